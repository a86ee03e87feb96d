import Foundation
import JobrunTestSupport
import Testing

/// jobs that misbehave, and jobrun being stopped or killed at bad moments. After each: no
/// process left, no temporary file, a complete report.
@Suite(.serialized) struct FaultInjectionTests {
    @Test func aJobThatSegfaultsIsAFailedAttemptWithItsSignal() throws {
        let w = try Workspace("""
            tasks:
              - {name: crash, command: "echo before; kill -SEGV $$; echo never 201.1"}
            """)
        let r = try w.run()
        #expect(r.status == 1)
        let attempt = try firstAttempt(try w.report(), "crash")
        #expect(attempt["status"] as? String == "failed")
        #expect(attempt["signal"] as? Int == 11)
        #expect(attempt["error"] as? String == "killed by signal 11 (SIGSEGV)")
        #expect(attempt["stdout_tail"] as? String == "before\n")
        try expectCleanAftermath(w, marker: "201.1", tasks: 1)
    }

    @Test func aJobThatIgnoresSIGTERMAndItsChildrenAreKilledAfterTheGrace() throws {
        let w = try Workspace("""
            tasks:
              - name: stubborn
                command: trap '' TERM; sleep 202.1 & sleep 202.2 & wait; sleep 202.3
                timeout: 200ms
                kill_grace: 200ms
            """)
        let r = try w.run()
        #expect(r.status == 1)
        let attempt = try firstAttempt(try w.report(), "stubborn")
        #expect(attempt["status"] as? String == "timed_out")
        #expect(attempt["signal"] as? Int == 9)
        try expectCleanAftermath(w, marker: "202.", tasks: 1)
    }

    /// A job's descendant that leaves the process group (setsid) after a double fork is not
    /// reached by signals to the group; jobrun-exec, a child subreaper, inherits it and kills
    /// it when the job's main process ends.
    @Test func aDaemonizedGrandchildIsKilledWhenTheJobEnds() throws {
        let w = try Workspace("""
            tasks:
              - name: daemonizes
                command: (setsid sleep 203.1 >/dev/null 2>&1 &); (sh -c 'sleep 203.2 &' &); echo started
              - name: waits
                command: "sleep 0.5"
            """)
        let r = try w.run()
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(try firstAttempt(try w.report(), "daemonizes")["stdout_tail"] as? String == "started\n")
        try expectCleanAftermath(w, marker: "203.", tasks: 2)
    }

    @Test func hundredMegabytesOfOutputReachTheLogWhole() throws {
        let w = try Workspace("""
            tasks:
              - {name: flood, command: "yes 0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopq | head -c 100000000"}
            """)
        let r = try w.run(["--quiet", "--log-dir", "logs"])
        #expect(r.status == 0, "\(r.stderr)")
        let log = try #require(firstAttempt(try w.report(), "flood")["stdout_log"] as? String)
        let attributes = try FileManager.default.attributesOfItem(atPath: w.url.appendingPathComponent(log).path)
        #expect(attributes[.size] as? Int == 100_000_000)
        let tail = try firstAttempt(try w.report(), "flood")["stdout_tail"] as? String
        #expect(tail?.utf8.count == 4096)
        try expectCleanAftermath(w, marker: "abcdefghijklmnopq", tasks: 1)
    }

    @Test func aFiveMegabyteLineIsKeptWholeInTheLogAndTheOutputFile() throws {
        let w = try Workspace("""
            tasks:
              - {name: wide, command: "head -c 5000000 /dev/zero | tr '\\\\0' y; echo", output: wide.txt}
            """)
        let r = try w.run(["--quiet", "--log-dir", "logs"])
        #expect(r.status == 0, "\(r.stderr)")
        let output = try Data(contentsOf: w.url.appendingPathComponent("wide.txt"))
        #expect(output.count == 5_000_001)
        #expect(output.dropLast().allSatisfy { $0 == UInt8(ascii: "y") } && output.last == UInt8(ascii: "\n"))
        let name = try #require(firstAttempt(try w.report(), "wide")["stdout_log"] as? String)
        let log = try Data(contentsOf: w.url.appendingPathComponent(name))
        #expect(log.filter { $0 == UInt8(ascii: "y") }.count == 5_000_000)
        try expectCleanAftermath(w, marker: "5000000", tasks: 1)
    }

    @Test func aJobThatClosesItsStdoutEarlyStillHasItsStderrAndExitRecorded() throws {
        let w = try Workspace("""
            tasks:
              - {name: closes, command: "echo out; exec >&-; sleep 0.1; echo err 204.1 >&2; exit 3"}
            """)
        let r = try w.run()
        #expect(r.status == 1)
        let attempt = try firstAttempt(try w.report(), "closes")
        #expect(attempt["exit_code"] as? Int == 3)
        #expect(attempt["stdout_tail"] as? String == "out\n")
        #expect(attempt["stderr_tail"] as? String == "err 204.1\n")
        try expectCleanAftermath(w, marker: "204.1", tasks: 1)
    }

    @Test func jobsThatCannotStartAreFailedAttemptsAndTheRunGoesOn() throws {
        let w = try Workspace("""
            tasks:
              - {name: missing, command: [no-such-program-205.1]}
              - {name: plain, command: [./plain.txt]}
              - {name: nodir, command: "true", working_dir: /no/such/dir/205.1}
              - {name: fine, command: "echo fine"}
            """)
        try "x".write(to: w.url.appendingPathComponent("plain.txt"), atomically: true, encoding: .utf8)
        let r = try w.run()
        #expect(r.status == 1)
        let report = try w.report()
        for name in ["missing", "plain", "nodir"] {
            let attempt = try? firstAttempt(report, name)
            #expect(attempt?["status"] as? String == "failed")
            #expect((attempt?["error"] as? String)?.isEmpty == false)
        }
        #expect(runs(report, "fine").first?["status"] as? String == "succeeded")
        // With a dot: no UUID in another test's paths can contain it.
        try expectCleanAftermath(w, marker: "205.1", tasks: 4)
    }

    @Test func anUnwritableLogDirectoryStopsJobrunBeforeAnyTaskStarts() throws {
        let w = try Workspace("tasks: [{name: t, command: \"touch ran\"}]\n")
        try "x".write(to: w.url.appendingPathComponent("afile"), atomically: true, encoding: .utf8)
        let r = try w.run(["--log-dir", "afile/logs"])
        #expect(r.status == 3)
        #expect(r.stderr.contains("cannot use the log directory \"afile/logs\""), "\(r.stderr)")
        #expect(w.file("ran") == nil)
        #expect(w.file("jobrun-report.json") == nil)
    }

    @Test func aReportDirectoryThatDisappearsMidRunIsMadeAgain() throws {
        let w = try Workspace("tasks: [{name: remover, command: \"rm -rf out; echo removed\"}]\n")
        try FileManager.default.createDirectory(at: w.url.appendingPathComponent("out"), withIntermediateDirectories: true)
        let r = try w.run(["--report", "out/report.json", "--junit", "out/junit.xml"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(w.file("out/junit.xml")?.contains("remover run 1") == true)
        try expectCleanAftermath(w, marker: "removed", report: "out/report.json", tasks: 1)
    }

    @Test func aReportThatCannotBeWrittenAtTheEndGoesToStderr() throws {
        // The directory is replaced by a file during the run: it cannot be made again.
        let w = try Workspace("tasks: [{name: blocker, command: \"rm -rf out; echo x > out\"}]\n")
        try FileManager.default.createDirectory(at: w.url.appendingPathComponent("out"), withIntermediateDirectories: true)
        let r = try w.run(["--report", "out/report.json"])
        #expect(r.status == 3)
        #expect(r.stdout.contains("the report could not be written") && r.stdout.contains("it follows on stderr"), "\(r.stdout)")
        let report = try #require(JSONSerialization.jsonObject(with: Data(r.stderr.utf8)) as? [String: Any])
        #expect(runs(report, "blocker").first?["status"] as? String == "succeeded")
    }

    /// SIGTERM at a random moment, from just after jobrun trapped it to well into the run,
    /// 50 times: every time exit 143, a complete schema-valid report, and nothing left.
    @Test func sigtermAtARandomMomentFiftyTimes() throws {
        let w = try Workspace("""
            workers: 4
            shutdown_grace: 3s
            tasks:
              - {name: ticker, command: "echo tick 206.0", schedule: "@every 100ms"}
              - {name: slow, command: "sleep 206.1"}
              - {name: tree, command: "sleep 206.2 & sleep 206.3 & wait"}
              - {name: stubborn, command: "trap '' TERM; sleep 206.4 & wait; sleep 206.5", kill_grace: 100ms}
              - {name: flaky, command: "exit 1", retries: 3, retry_delay: 50ms}
              - {name: writer, command: "echo data 206.0; sleep 206.6", output: written.txt}
              - {name: later, command: "true", after: [slow]}
            """)
        var generator = TestRandom()
        for round in 0..<50 {
            let report = "report-\(round).json"
            let process = try startThenWaitRandomly(w, report: report, using: &generator)
            kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
            #expect(process.terminationReason == .exit && process.terminationStatus == 143, "round \(round), seed \(generator.seed)")
            try expectCleanAftermath(w, marker: "206.", report: report, tasks: 7, checkSchema: false)
            let json = try w.report(report)
            #expect(json["outcome"] as? String == "interrupted" && json["signal"] as? Int == 15, "round \(round), seed \(generator.seed)")
            #expect(w.file("written.txt") == nil, "round \(round), seed \(generator.seed): a stopped job's output must not be kept")
        }
        // One schema check of all 50 reports.
        try expectValidAgainstSchema((0..<50).map { w.url.appendingPathComponent("report-\($0).json").path })
    }

    /// SIGINT, SIGTERM and SIGQUIT at random moments, ten times each: exit 128+N, a complete
    /// report, no temporary `output:` file and no process left. SIGQUIT kills at once: a job
    /// that ignores SIGTERM for a minute does not hold it up.
    @Test(arguments: [SIGINT, SIGTERM, SIGQUIT])
    func everyStoppingSignalAtARandomMomentLeavesAReportAndNothingElse(signal: Int32) throws {
        let marker = "208.\(signal)"
        let w = try Workspace("""
            workers: 4
            shutdown_grace: 2s
            tasks:
              - {name: ticker, command: "echo tick \(marker)", schedule: "@every 50ms", output: tick.txt}
              - {name: writer, command: "echo data \(marker); sleep 30", output: written.txt}
              - {name: stubborn, command: "trap '' TERM INT HUP; sleep 30 \(marker) & wait; sleep 31 \(marker)", kill_grace: 60s}
              - {name: flaky, command: "exit 1", retries: 3, retry_delay: 50ms}
            """)
        var generator = TestRandom()
        for round in 0..<10 {
            let report = "report-\(round).json"
            let process = try startThenWaitRandomly(w, report: report, signal: signal, using: &generator)
            let sent = ContinuousClock.now
            kill(process.processIdentifier, signal)
            if signal != SIGQUIT {
                // The stubborn job needs a second signal (or the 2 s grace).
                usleep(100_000)
                kill(process.processIdentifier, signal)
            }
            process.waitUntilExit()
            #expect(ContinuousClock.now - sent < .seconds(10), "round \(round), seed \(generator.seed)")
            #expect(process.terminationReason == .exit && process.terminationStatus == 128 + signal, "round \(round), seed \(generator.seed)")
            try expectCleanAftermath(w, marker: marker, report: report, tasks: 4, checkSchema: false)
            let json = try w.report(report)
            #expect(json["outcome"] as? String == "interrupted" && json["signal"] as? Int == Int(signal), "round \(round), seed \(generator.seed)")
            #expect(w.file("written.txt") == nil, "round \(round), seed \(generator.seed): a stopped job's output must not be kept")
        }
        try expectValidAgainstSchema((0..<10).map { w.url.appendingPathComponent("report-\($0).json").path })
    }

    @Test func sigusr1PrintsTheStatusTableAndChangesNothing() throws {
        let w = try Workspace("""
            tasks:
              - {name: beat, command: "echo 209.1", repeat: 100ms, count: 30}
              - {name: long, command: "touch started; sleep 209.2", timeout: 20s}
            """)
        let process = Process()
        process.executableURL = JobrunBinary.url
        process.arguments = ["jobs.yaml", "--quiet"]
        process.currentDirectoryURL = w.url
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        try w.waitFor("started")
        usleep(400_000)
        kill(process.processIdentifier, SIGUSR1)
        usleep(300_000)
        kill(process.processIdentifier, SIGTERM)
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 143)
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("jobrun: status at ") }, "\(text)")
        #expect(lines.contains { $0.hasPrefix("TASK") && $0.contains("LAST RUN") && $0.contains("NEXT DUE") })
        let beat = lines.first { $0.hasPrefix("beat ") } ?? ""
        #expect(beat.contains("succeeded at") && beat.contains(" 0 failed"), "\(beat)")
        let long = lines.first { $0.hasPrefix("long ") } ?? ""
        #expect(long.split(separator: " ", omittingEmptySubsequences: true).dropFirst(2).first == "1", "running: \(long)")
        // Nothing changed: the beat kept going after the status, the run ended by SIGTERM.
        let json = try w.report()
        #expect(runs(json, "beat").count > 4)
        try expectCleanAftermath(w, marker: "209.", tasks: 2)
    }

    @Test func aSecondSIGINTKillsEveryJobAtOnceAndStillWritesTheReport() throws {
        let w = try Workspace("""
            shutdown_grace: 60s
            tasks:
              - {name: stubborn, command: "trap '' INT TERM; sleep 207.1 & wait; sleep 207.2", kill_grace: 60s}
              - {name: marker, command: "touch started; sleep 207.3"}
            """)
        let process = try w.start()
        try w.waitFor("started")
        kill(process.processIdentifier, SIGINT)
        usleep(200_000)
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        #expect(process.terminationStatus == 130)
        try expectCleanAftermath(w, marker: "207.", tasks: 2)
    }

    @Test func aThousandTasksOnFiftyWorkers() throws {
        var yaml = "workers: 50\ntasks:\n"
        for i in 0..<1000 { yaml += "  - {name: t\(i), command: \"sleep 0.02; echo 208.0 \(i)\"}\n" }
        let w = try Workspace(yaml)
        let r = try w.run(["--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        let report = try w.report()
        let tasks = report["tasks"] as? [[String: Any]] ?? []
        #expect(tasks.count == 1000)
        var edges: [(Int64, Int)] = []
        for (i, task) in tasks.enumerated() {
            let run = (task["runs"] as? [[String: Any]])?.first ?? [:]
            #expect(run["status"] as? String == "succeeded")
            #expect(attempts(run).first?["stdout_tail"] as? String == "208.0 \(i)\n")
            edges.append((millis(run["started_at"]), 1))
            edges.append((millis(run["finished_at"]), -1))
        }
        // Never more than 50 at once (ends sort before starts at the same millisecond).
        var running = 0, most = 0
        for edge in edges.sorted(by: { ($0.0, $0.1) < ($1.0, $1.1) }) {
            running += edge.1
            most = max(most, running)
        }
        #expect(most <= 50 && most > 1, "at most \(most) at once")
        try expectCleanAftermath(w, marker: "208.0", tasks: 1000)
    }

    /// jobrun killed with SIGKILL cannot clean up: the kernel closes its end of the socket to
    /// jobrun-exec, which then exits, and every keeper, told by its parent-death signal, kills
    /// its job's group and whatever the job daemonized.
    @Test func jobsDieWithJobrunEvenWhenItIsKilledWithSIGKILL() throws {
        try expectJobsDieWithJobrun(binary: JobrunBinary.url)
    }

    /// A job's descendant that left the group (setsid) survives a SIGKILL of the group; the
    /// keeper, outside the group and a child subreaper, still kills it.
    @Test func aDaemonizedGrandchildIsKilledEvenWhenTheJobHadToBeKilled() throws {
        let w = try Workspace("""
            tasks:
              - name: stubborn
                command: (setsid sleep 211.$((0 + 1)) >/dev/null 2>&1 &); trap '' TERM; touch started; sleep 211.2
                timeout: 3s
                kill_grace: 100ms
            """)
        let process = try w.start()
        try w.waitFor("started")
        // The daemon may exec a moment after the job's shell went on to `touch` (on a loaded
        // machine, up to the timeout).
        for _ in 0..<250 where survivors("211.1").isEmpty { usleep(20_000) }
        #expect(survivors("211.1").count == 1, "the daemon (only it has 211.1 in its command line) runs")
        process.waitUntilExit()
        #expect(process.terminationStatus == 1)
        let attempt = try firstAttempt(try w.report(), "stubborn")
        #expect(attempt["status"] as? String == "timed_out")
        #expect(attempt["signal"] as? Int == 9)
        try expectCleanAftermath(w, marker: "211.", tasks: 1)
    }

    /// When jobrun-exec itself dies (killed by hand, or by the OOM killer), the jobs it started
    /// die with it and their attempts fail with a message; the next jobs start through a new one.
    @Test func jobrunExecKilledMidRunFailsItsJobsAndTheRunGoesOn() throws {
        let w = try Workspace("""
            tasks:
              - {name: lost, command: "touch started; sleep 212.1"}
              - {name: later, command: "echo 212.2", schedule: "+1500ms"}
            """)
        let process = try w.start()
        try w.waitFor("started")
        let server = try #require(serverOf(process.processIdentifier))
        kill(server, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationStatus == 1)
        let report = try w.report()
        let lost = try firstAttempt(report, "lost")
        #expect(lost["status"] as? String == "failed")
        #expect((lost["error"] as? String)?.contains("jobrun-exec, which started the job, ended unexpectedly") == true,
                "\(lost)")
        #expect(try firstAttempt(report, "later")["stdout_tail"] as? String == "212.2\n")
        try expectCleanAftermath(w, marker: "212.", tasks: 2)
    }

    /// Without jobrun-exec next to it, jobrun runs itself as jobrun-exec: slower to fork, the
    /// same guarantees, no warning.
    @Test func withoutJobrunExecJobrunStartsJobsItselfWithTheSameGuarantees() throws {
        let w = try Workspace("tasks: [{name: t, command: \"echo ran\"}]\n")
        let lone = try loneCopy(in: w)
        let r = try JobrunBinary.run(["jobs.yaml"], in: w.url, binary: lone)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("[t] ran"))
        #expect(!r.stdout.contains("warning"), "\(r.stdout)")
        try expectJobsDieWithJobrun(binary: lone)
    }

    /// A jobrun-exec from another build does not speak this jobrun's protocol: jobrun says so
    /// and starts jobs itself.
    @Test func aJobrunExecFromAnotherBuildIsNotUsed() throws {
        let w = try Workspace("tasks: [{name: t, command: \"echo ran\"}]\n")
        let lone = try loneCopy(in: w)
        let stranger = lone.deletingLastPathComponent().appendingPathComponent("jobrun-exec")
        try "#!/bin/sh\necho 'usage: jobrun-exec PARENT_PID PROGRAM ARGV0 [ARG...]' >&2\nexit 2\n"
            .write(to: stranger, atomically: true, encoding: .utf8)
        chmod(stranger.path, 0o755)
        let r = try JobrunBinary.run(["jobs.yaml"], in: w.url, binary: lone)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("does not speak the protocol of this jobrun"), "\(r.stdout)")
        #expect(r.stdout.contains("[t] ran"))
    }

    @Test func jobrunExecRunByHandExplainsItself() throws {
        let exec = JobrunBinary.url.deletingLastPathComponent().appendingPathComponent("jobrun-exec")
        let r = try JobrunBinary.run(["--serve"], binary: exec)
        #expect(r.status == 2)
        #expect(r.stderr.contains("starts jobs for jobrun"), "\(r.stderr)")
    }
}
