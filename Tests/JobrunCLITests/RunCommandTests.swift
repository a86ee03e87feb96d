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
}
