import Foundation
import JobrunTestSupport
import Testing

@Suite(.serialized) struct RunCommandTests {
    @Test func aSuccessfulRunExitsZeroWithACompleteReport() throws {
        let w = try Workspace("""
            env: {GREETING: hello}
            tasks:
              - name: greet
                command: echo "$GREETING from $JOBRUN_TASK run $JOBRUN_RUN attempt $JOBRUN_ATTEMPT in $(pwd)"
                working_dir: /tmp
                env: {GREETING: hi}
              - name: list
                command: [printf, "%s\\\\n", one, two]
            """)
        let r = try w.run()
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("[greet] hi from greet run 1 attempt 1 in /tmp"))
        #expect(r.stdout.contains("[list] one\n") && r.stdout.contains("[list] two\n"))
        #expect(r.stdout.contains("jobrun: completed: 2 runs (2 succeeded), 2 attempts"))
        #expect(r.stdout.contains("report: jobrun-report.json"))
        let report = try w.report()
        #expect(report["outcome"] as? String == "completed")
        #expect(report["exit_code"] as? Int == 0)
        #expect((report["config"] as? [String: Any])?["sha256"] as? String != nil)
        let greet = try #require(runs(report, "greet").first)
        #expect(greet["status"] as? String == "succeeded")
        #expect(attempts(greet).first?["stdout_tail"] as? String == "hi from greet run 1 attempt 1 in /tmp\n")
        #expect(attempts(greet).first?["exit_code"] as? Int == 0)
        try expectValidAgainstSchema([w.url.appendingPathComponent("jobrun-report.json").path])
    }

    @Test func aJobThatIgnoresSIGTERMIsKilledAfterKillGrace() throws {
        let w = try Workspace("""
            tasks:
              - name: stubborn
                command: trap '' TERM; sleep 103.1 & wait; sleep 103.1
                timeout: 300ms
                kill_grace: 300ms
            """)
        let r = try w.run()
        #expect(r.status == 1)
        let run = try #require(runs(try w.report(), "stubborn").first)
        #expect(run["status"] as? String == "timed_out")
        let attempt = try #require(attempts(run).first)
        #expect(attempt["signal"] as? Int == 9)
        #expect((attempt["error"] as? String)?.contains("SIGKILL after 300ms") == true)
        #expect(millis(attempt["finished_at"]) - millis(attempt["started_at"]) >= 600)
        #expect(survivors("103.1").isEmpty)
    }

    @Test func aTimeoutLeavesNoProcessOfTheGroupAlive() throws {
        let w = try Workspace("""
            tasks:
              - name: fanout
                command: sh -c 'sleep 104.1 & sleep 104.1 & wait'
                timeout: 300ms
            """)
        let r = try w.run()
        #expect(r.status == 1)
        let fanout = try #require(runs(try w.report(), "fanout").first)
        let attempt = try #require(attempts(fanout).first)
        #expect(attempt["status"] as? String == "timed_out")
        #expect(attempt["signal"] as? Int == 15)
        #expect(survivors("104.1").isEmpty)
    }

    @Test func sigtermMidRunWritesAnInterruptedReportAndLeavesNoChildren() throws {
        let w = try Workspace("""
            workers: 1
            tasks:
              - {name: long, command: "touch started; sleep 105.1 & sleep 105.1 & wait", priority: 1}
              - {name: queued, command: echo never}
              - {name: later, command: echo later, schedule: +1h}
            """)
        let process = try w.start()
        try w.waitFor("started")
        process.terminate()
        process.waitUntilExit()
        #expect(process.terminationStatus == 143)
        let report = try w.report()
        #expect(report["outcome"] as? String == "interrupted")
        #expect(report["signal"] as? Int == 15)
        #expect(report["exit_code"] as? Int == 143)
        let long = try #require(runs(report, "long").first)
        #expect(long["status"] as? String == "cancelled")
        #expect(attempts(long).first?["signal"] as? Int == 15)
        #expect(runs(report, "queued").first?["status"] as? String == "cancelled")
        let queued = try #require(runs(report, "queued").first)
        #expect(attempts(queued).isEmpty)
        #expect(runs(report, "later").first?["started_at"] is NSNull)
        try expectValidAgainstSchema([w.url.appendingPathComponent("jobrun-report.json").path])
        #expect(survivors("105.1").isEmpty)
    }

    @Test func aSecondSIGINTKillsAtOnce() throws {
        let w = try Workspace("""
            shutdown_grace: 1h
            tasks:
              - {name: stubborn, command: "trap '' TERM INT; touch started; sleep 106.1 & wait; sleep 106.1", kill_grace: 1h}
            """)
        let process = try w.start()
        try w.waitFor("started")
        process.interrupt()
        usleep(200_000)
        process.interrupt()
        process.waitUntilExit()
        #expect(process.terminationStatus == 130)
        let report = try w.report()
        #expect(report["signal"] as? Int == 2)
        let stubborn = try #require(runs(report, "stubborn").first)
        let attempt = try #require(attempts(stubborn).first)
        #expect(attempt["signal"] as? Int == 9)
        #expect(survivors("106.1").isEmpty)
    }

    @Test func aFailedExportLeavesThePreviousOutputIntact() throws {
        let w = try Workspace("""
            tasks:
              - {name: export, command: "echo partial; exit 1", output: data.csv}
              - {name: fresh, command: "echo new", output: fresh.csv}
            """)
        try "good\n".write(to: w.url.appendingPathComponent("data.csv"), atomically: true, encoding: .utf8)
        let r = try w.run()
        #expect(r.status == 1)
        #expect(w.file("data.csv") == "good\n")
        #expect(w.file("fresh.csv") == "new\n")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: w.path).filter { $0.hasSuffix(".tmp") }
        #expect(leftovers.isEmpty)
        #expect(!r.stdout.contains("[export] partial"))
    }

    @Test func retriesHappenTheConfiguredNumberOfTimesWithTheConfiguredDelays() throws {
        let w = try Workspace("""
            tasks:
              - {name: flaky, command: "exit 1", retries: 2, retry_delay: 200ms, backoff: exponential}
            """)
        let r = try w.run()
        #expect(r.status == 1)
        let run = try #require(runs(try w.report(), "flaky").first)
        let starts = attempts(run).map { millis($0["started_at"]) }
        let ends = attempts(run).map { millis($0["finished_at"]) }
        #expect(starts.count == 3)
        #expect(starts[1] - ends[0] >= 200)
        #expect(starts[2] - ends[1] >= 400)
        #expect(run["status"] as? String == "failed")
        #expect(r.stdout.contains("retrying in 200ms") && r.stdout.contains("retrying in 400ms"))
    }

    @Test func prioritiesDecideTheOrderWithOneWorker() throws {
        let w = try Workspace("""
            tasks:
              - {name: c, command: "true", priority: 30}
              - {name: a, command: "true", priority: 10}
              - {name: d, command: "true", priority: 30}
              - {name: b, command: "true", priority: 20}
            """)
        let r = try w.run(["--workers", "1"])
        #expect(r.status == 0)
        let report = try w.report()
        let order = ["a", "b", "c", "d"].map { millis(runs(report, $0).first?["started_at"]) }
        #expect(order == order.sorted())
        #expect(report["workers"] as? Int == 1)
    }

    @Test func aReportPathThatCannotBeWrittenStopsJobrunBeforeAnyTaskStarts() throws {
        let w = try Workspace("tasks: [{name: t, command: \"touch ran\"}]\n")
        try "x".write(to: w.url.appendingPathComponent("afile"), atomically: true, encoding: .utf8)
        let r = try w.run(["--report", "afile/report.json"])
        #expect(r.status == 3)
        #expect(r.stderr.contains("\"afile/report.json\": Not a directory; choose another path with --report"), "\(r.stderr)")
        #expect(w.file("ran") == nil)
    }

    @Test func startFailuresAreFailedAttemptsWithAClearMessage() throws {
        let w = try Workspace("""
            tasks:
              - {name: missing, command: [no-such-program-jobrun]}
              - {name: baddir, command: "true", working_dir: /no/such/dir}
              - {name: noexec, command: [./plain.txt]}
            """)
        try "x".write(to: w.url.appendingPathComponent("plain.txt"), atomically: true, encoding: .utf8)
        let r = try w.run()
        #expect(r.status == 1)
        let report = try w.report()
        let errors = ["missing", "baddir", "noexec"].map { attempts(runs(report, $0).first ?? [:]).first?["error"] as? String ?? "" }
        #expect(errors[0].contains("not found on PATH"))
        #expect(errors[1].contains("does not exist"))
        #expect(errors[2].contains("not executable"))
    }

    @Test func afterSkipsDependentsOfAFailedTask() throws {
        let w = try Workspace("""
            tasks:
              - {name: extract, command: "exit 1"}
              - {name: load, command: "touch loaded", after: [extract]}
            """)
        let r = try w.run()
        #expect(r.status == 1)
        #expect(w.file("loaded") == nil)
        #expect(runs(try w.report(), "load").first?["status"] as? String == "skipped")
    }

    @Test func onlyAndTagPullInDependencies() throws {
        let w = try Workspace("""
            tasks:
              - {name: a, command: "touch a"}
              - {name: b, command: "touch b", after: [a], tags: [nightly]}
              - {name: c, command: "touch c"}
            """)
        #expect(try w.run(["--tag", "nightly"]).status == 0)
        #expect(w.file("a") != nil && w.file("b") != nil && w.file("c") == nil)
        let bad = try w.run(["--only", "bb"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("did you mean \"b\""))
    }

    @Test func forStopsARepeatingTaskAndTheRunEndsCleanly() throws {
        let w = try Workspace("tasks: [{name: beat, command: \"true\", repeat: 100ms}]\n")
        let r = try w.run(["--for", "350ms"])
        #expect(r.status == 0)
        // Four runs are due in 350 ms, plus the next one, cancelled; a slow machine (or
        // ThreadSanitizer) may record skipped overlaps as well, but never one past --for.
        let beats = runs(try w.report(), "beat")
        #expect((1...8).contains(beats.count), "\(beats.count) runs")
        #expect(beats.allSatisfy { millis($0["due_at"]) - millis(try? w.report()["started_at"]) <= 450 })
    }

    @Test func whatForLeavesUndoneIsCancelledWithTheReasonAndNoRetryStartsAfterIt() throws {
        let w = try Workspace("""
            tasks:
              - {name: first, command: "sleep 0.6"}
              - {name: second, command: "touch ran", after: [first]}
              - {name: flaky, command: "exit 1", retries: 5, retry_delay: 2s}
            """)
        let r = try w.run(["--for", "300ms"])
        // A clean exit: no run failed (flaky's retry was cut off, so its run is cancelled).
        #expect(r.status == 0, "\(r.stdout)")
        let report = try w.report()
        #expect(runs(report, "first").first?["status"] as? String == "succeeded")
        let second = try #require(runs(report, "second").first)
        #expect(second["status"] as? String == "cancelled")
        #expect(second["reason"] as? String == "--for ended while the run waited for its after: tasks")
        let flaky = try #require(runs(report, "flaky").first)
        #expect(flaky["status"] as? String == "cancelled" && flaky["reason"] as? String == "--for ended while the run waited to retry")
        #expect(attempts(flaky).count == 1)
        #expect(w.file("ran") == nil)
        #expect(r.stdout.contains("1 succeeded, 2 cancelled"), "\(r.stdout)")
    }

    // Runs handed ahead once printed "started" ~10 ms before the job started, and a failure
    // before the due instant.
    @Test func eventsCarryTheInstantTheJobReallyStartedAndEnded() throws {
        let w = try Workspace("""
            tasks:
              - {name: timed, command: "date +%s%N > started-at", schedule: +300ms}
              - {name: missing, command: ["no-such-program-anywhere"], schedule: +400ms}
            """)
        let r = try w.run(["--format", "json"])
        #expect(r.status == 1)
        let events = r.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let report = try w.report()
        for task in ["timed", "missing"] {
            let run = try #require(runs(report, task).first)
            let started = try #require(events.first { $0["event"] as? String == "started" && $0["task"] as? String == task })
            #expect(millis(started["time"]) == millis(run["due_at"]), "\(task): \(started)")
            let ended = try #require(events.first { $0["event"] as? String == "attempt_finished" && $0["task"] as? String == task })
            #expect(millis(ended["time"]) >= millis(run["due_at"]), "\(task): \(ended)")
        }
        // The job itself started no earlier than its event says.
        let nanos = Int64(w.file("started-at")?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 0
        let timed = try #require(runs(report, "timed").first)
        #expect(nanos / 1_000_000 >= millis(timed["due_at"]))
    }

    @Test func nowRunsEachSelectedTaskOnceWhateverItsScheduleAndHonoursAfter() throws {
        let w = try Workspace("""
            tasks:
              - {name: nightly, command: "echo n >> order", schedule: "0 3 * * *"}
              - {name: beat, command: "echo b >> beats", repeat: 10m, until: +1h}
              - {name: later, command: "echo l >> order", schedule: +1h, after: [nightly]}
              - {name: off, command: "touch off", enabled: false}
            """)
        let all = try w.run(["--now"])
        #expect(all.status == 0, "\(all.stdout)")
        #expect(w.file("order") == "n\nl\n")
        #expect(w.file("beats") == "b\n")
        #expect(w.file("off") == nil)
        #expect(runs(try w.report(), "beat").count == 1)
        // With --only, the task and what it waits for.
        let one = try w.run(["--now", "--only", "later"])
        #expect(one.status == 0)
        #expect(w.file("order") == "n\nl\nn\nl\n")
        #expect(w.file("beats") == "b\n")
    }

    @Test func aMissingExecutableIsNotRetried() throws {
        let w = try Workspace("tasks: [{name: t, command: [no-such-program-anywhere], retries: 3, retry_delay: 10s}]\n")
        let r = try w.run()
        #expect(r.status == 1)
        let run = try #require(runs(try w.report(), "t").first)
        #expect(attempts(run).count == 1)
        #expect((attempts(run).first?["error"] as? String)?.hasSuffix("(not retried: it would fail the same way)") == true)
    }

    @Test func logDirKeepsEveryAttemptUnderASafeName() throws {
        let w = try Workspace("""
            tasks:
              - {name: "../../escape", command: "echo out; echo err >&2; exit 1", retries: 1, retry_delay: 0s}
            """)
        _ = try w.run(["--log-dir", "logs"])
        // One directory of this invocation's own, holding stdout and stderr of each attempt apart.
        let invocations = try FileManager.default.contentsOfDirectory(atPath: w.path + "/logs")
        #expect(invocations.count == 1 && invocations[0].hasPrefix("jobrun-"), "\(invocations)")
        let dir = "logs/" + invocations[0]
        let logs = try FileManager.default.contentsOfDirectory(atPath: w.path + "/" + dir).sorted()
        #expect(logs.count == 4, "\(logs)")
        #expect(logs.allSatisfy { !$0.hasPrefix(".") && !$0.contains("/") && $0.contains("escape") })
        let run = try #require(runs(try w.report(), "../../escape").first)
        let first = try #require(attempts(run).first)
        #expect(first["stdout_log"] as? String == dir + "/" + logs.first { $0.hasSuffix(".run1.attempt1.stdout.log") }!)
        #expect(w.file(first["stdout_log"] as? String ?? "") == "out\n")
        #expect(w.file(first["stderr_log"] as? String ?? "") == "err\n")
        // A second invocation keeps the first one's logs.
        _ = try w.run(["--log-dir", "logs"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: w.path + "/logs").count == 2)
        #expect(w.file(first["stdout_log"] as? String ?? "") == "out\n")
    }

    @Test func jsonFormatPrintsOneObjectPerLine() throws {
        let w = try Workspace("tasks: [{name: t, command: \"echo hi\"}]\n")
        let r = try w.run(["--format", "json", "--report", "-"])
        #expect(r.status == 0)
        let events = r.stderr.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(events.count == r.stderr.split(separator: "\n").count)
        // Every event names the task, run and attempt where it has them.
        #expect(events.contains { $0["event"] as? String == "output" && $0["line"] as? String == "hi"
            && $0["task"] as? String == "t" && $0["run"] as? Int == 1 && $0["attempt"] as? Int == 1 })
        #expect(events.contains { $0["event"] as? String == "finished" && $0["status"] as? String == "succeeded" })
        // The last event is a structured summary.
        let summary = try #require(events.last)
        #expect(summary["event"] as? String == "summary" && summary["exit_code"] as? Int == 0, "\(summary)")
        #expect(summary["outcome"] as? String == "completed" && summary["report"] as? String == "-")
        #expect((summary["totals"] as? [String: Any])?["succeeded"] as? Int == 1)
        // The report went to stdout.
        #expect((try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])?["outcome"] as? String == "completed")
    }

    @Test func linesOfDifferentJobsAreNeverMixed() throws {
        let line = String(repeating: "x", count: 3000)
        let w = try Workspace("""
            tasks:
              - {name: a, command: "for i in $(seq 200); do echo \(line)a; done"}
              - {name: b, command: "for i in $(seq 200); do echo \(line)b; done"}
            """)
        let r = try w.run(["--no-report"])
        #expect(r.status == 0)
        let jobLines = r.stdout.split(separator: "\n").filter { $0.hasPrefix("[") }
        #expect(jobLines.count == 400)
        #expect(jobLines.allSatisfy { $0 == "[a] \(line)a" || $0 == "[b] \(line)b" })
    }

    @Test func aVeryLongLineIsPrintedInBoundedPieces() throws {
        let w = try Workspace("tasks: [{name: t, command: \"head -c 1500000 /dev/zero | tr '\\\\0' x; echo\"}]\n")
        let r = try w.run()
        #expect(r.status == 0, "\(r.stderr)")
        let pieces = r.stdout.split(separator: "\n").filter { $0.hasPrefix("[t] ") }
        #expect(pieces.allSatisfy { $0.count <= 4 + 65_536 && $0.dropFirst(4).allSatisfy { $0 == "x" } })
        #expect(pieces.reduce(0) { $0 + $1.count - 4 } == 1_500_000)
        let tail = attempts(try #require(runs(try w.report(), "t").first)).first?["stdout_tail"] as? String
        #expect(tail?.utf8.count == 4096)
    }

    @Test func junitGetsOneTestCasePerRun() throws {
        let w = try Workspace("""
            tasks:
              - {name: ok, command: "echo fine"}
              - {name: bad, command: "exit 4"}
              - {name: after-bad, command: "true", after: [bad]}
            """)
        let r = try w.run(["--junit", "junit.xml"])
        #expect(r.status == 1)
        let xml = try #require(w.file("junit.xml"))
        #expect(xml.contains("<testsuites name=\"jobrun\" tests=\"3\" failures=\"1\""))
        #expect(xml.contains("<failure message=\"exited with status 4\""))
        #expect(xml.contains("<skipped message=\"&quot;bad&quot; did not succeed (after:)\""))
        #expect(xml.contains("<system-out>fine"))
        // A real consumer reads it: junitparser, as CI test-report tools do.
        let parse = Process()
        parse.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        parse.arguments = ["python3", "-c", """
            import sys
            from junitparser import JUnitXml, Failure, Skipped
            cases = [c for suite in JUnitXml.fromfile(sys.argv[1]) for c in suite]
            kinds = [(c.name, type(c.result[0]).__name__ if c.result else "ok") for c in cases]
            assert kinds == [("ok run 1", "ok"), ("bad run 1", "Failure"), ("after-bad run 1", "Skipped")], kinds
            """, w.url.appendingPathComponent("junit.xml").path]
        let err = Pipe()
        parse.standardError = err
        try parse.run()
        parse.waitUntilExit()
        #expect(parse.terminationStatus == 0, "\(String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))")
    }

    @Test func aJobThatClosesItsOutputEarlyIsStillTimedOut() throws {
        let w = try Workspace("""
            tasks:
              - {name: quiet, command: "echo bye; exec >&- 2>&-; sleep 107.1", timeout: 300ms}
              - {name: closes, command: "exec >&-; sleep 0.2; echo done >&2"}
            """)
        let r = try w.run()
        #expect(r.status == 1)
        let report = try w.report()
        #expect(attempts(try #require(runs(report, "quiet").first)).first?["status"] as? String == "timed_out")
        let closes = try #require(runs(report, "closes").first)
        #expect(closes["status"] as? String == "succeeded")
        #expect(attempts(closes).first?["stderr_tail"] as? String == "done\n")
        #expect(survivors("107.1").isEmpty)
    }

    @Test func githubActionsGetsAnnotationsAndAStepSummary() throws {
        let w = try Workspace("""
            tasks:
              - {name: ok, command: "true"}
              - {name: "bad, really", command: "exit 3", retries: 1, retry_delay: 0s}
              - {name: after-bad, command: "true", after: ["bad, really"]}
            """)
        let summary = w.url.appendingPathComponent("summary.md")
        try "# earlier step\n".write(to: summary, atomically: true, encoding: .utf8)
        let r = try JobrunBinary.run(["jobs.yaml"], environment: ["GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": summary.path], in: w.url)
        #expect(r.status == 1)
        let annotations = r.stdout.split(separator: "\n").filter { $0.hasPrefix("::") }
        #expect(annotations == ["::error title=jobrun%3A bad%2C really run 1 failed::exited with status 3"])
        // The summary is appended; durations are masked.
        let text = try String(contentsOf: summary, encoding: .utf8)
            .replacingOccurrences(of: #"\| \d+ms \||\| \d+s(\d+ms)? \|"#, with: "| D |", options: .regularExpression)
        #expect(text == """
            # earlier step
            ### jobrun: failed

            3 runs: 1 succeeded, 1 failed, 0 timed out, 1 skipped, 0 cancelled; 3 attempts

            | task | run | status | duration | attempts |
            |---|---|---|---|---|
            | ok | 1 | ✅ succeeded | D | 1 |
            | bad, really | 1 | ❌ failed | D | 2 |
            | after-bad | 1 | ⏭️ skipped | – | 0 |

            """)
    }

    @Test func colourOnlyWhenAskedOrOnATerminal() throws {
        let w = try Workspace("tasks: [{name: t, command: \"echo hi\"}]\n")
        let plain = try w.run(["--no-report"])
        #expect(!plain.stdout.contains("\u{1B}["))
        let always = try w.run(["--no-report", "--color", "always"])
        #expect(always.stdout.contains("\u{1B}[36m[t]\u{1B}[0m hi"))
        #expect(always.stdout.contains("\u{1B}[32msucceeded\u{1B}[0m"))
        let never = try JobrunBinary.run(["jobs.yaml", "--no-report", "--color", "never"], environment: ["TERM": "xterm"], in: w.url)
        #expect(!never.stdout.contains("\u{1B}["))
    }

    @Test func githubGroupsEachAttemptsOutputWhenJobsDoNotInterleave() throws {
        let w = try Workspace("""
            workers: 1
            tasks:
              - {name: first, command: "echo one; echo two", priority: 1}
              - {name: second, command: "echo three"}
            """)
        let r = try JobrunBinary.run(["jobs.yaml", "--no-report"], environment: ["GITHUB_ACTIONS": "true"], in: w.url)
        #expect(r.status == 0)
        let lines = r.stdout.split(separator: "\n").filter { !$0.first!.isNumber && !$0.hasPrefix("jobrun:") }
        #expect(lines == ["::group::first", "one", "two", "::endgroup::", "::group::second", "three", "::endgroup::"])
    }

    @Test func jobsStartWithDefaultSignalDispositions() throws {
        // jobrun ignores SIGPIPE itself; a job must not inherit that, or `yes` would complain.
        let w = try Workspace("tasks: [{name: t, command: \"yes | head -n 1\"}]\n")
        let r = try w.run()
        #expect(r.status == 0)
        let attempt = attempts(try #require(runs(try w.report(), "t").first)).first
        #expect(attempt?["stderr_tail"] as? String == "")
    }

    /// A run due later is handed to jobrun-exec a little ahead, and the job starts on its due
    /// instant: the report says so, and the job's own clock is never earlier.
    @Test func aScheduledRunStartsOnItsDueInstantAndNeverBefore() throws {
        let w = try Workspace("tasks: [{name: t, command: 'date +%s.%N', schedule: +300ms, repeat: 50ms, count: 3}]\n")
        let r = try w.run()
        #expect(r.status == 0, "\(r.stderr)")
        let all = runs(try w.report(), "t")
        #expect(all.count == 3)
        for run in all {
            let attempt = try #require(attempts(run).first)
            #expect(millis(attempt["started_at"]) == millis(run["due_at"]))
            let stamp = try #require(Double((attempt["stdout_tail"] as? String ?? "").trimmingCharacters(in: .whitespacesAndNewlines)))
            #expect(stamp * 1000 >= Double(millis(run["due_at"])), "started before it was due")
        }
    }

    @Test func strictTurnsWarningsIntoAnInvalidFile() throws {
        let w = try Workspace("tasks: [{name: t, command: \"touch ran\", count: 2}]\n")
        let r = try w.run(["--strict"])
        #expect(r.status == 2)
        #expect(w.file("ran") == nil)
    }
}
