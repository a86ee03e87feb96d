import Foundation
import JobrunTestSupport
import Testing

/// The run's events, outputs and reports (the second half of ``RunCommandTests``).
extension RunCommandTests {
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

    @Test func theReportListsTheLastReportRunsOfATaskAndCountsThemAll() throws {
        let w = try Workspace("""
            report_runs: 2
            tasks:
              - {name: tick, command: "true", repeat: 10ms, count: 5}
            """)
        let r = try w.run(["--junit", "junit.xml"])
        #expect(r.status == 0, "\(r.stderr)")
        let report = try w.report()
        #expect(runs(report, "tick").map { $0["run"] as? Int } == [4, 5])
        let task = (report["tasks"] as? [[String: Any]])?.first
        #expect(task?["omitted_runs"] as? Int == 3)
        #expect((report["totals"] as? [String: Any])?["runs"] as? Int == 5)
        #expect(w.file("junit.xml")?.components(separatedBy: "<testcase ").count == 3)
        #expect(w.file("junit.xml")?.contains(#"<testsuites name="jobrun" tests="2" "#) == true, "the counts agree with the test cases")
        try expectValidAgainstSchema([w.appendingPathComponent("jobrun-report.json").path])
    }
}

