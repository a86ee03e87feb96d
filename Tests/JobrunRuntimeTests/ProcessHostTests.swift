import CJobrunExec
import Foundation
import JobrunTestSupport
import Testing

@testable import JobrunRuntime

/// Every chunk of output a job wrote, by stream.
private final class Output: Sendable {
    private let chunks = Locked<[StreamKind: [UInt8]]>([:])

    func take(_ kind: StreamKind, _ bytes: UnsafeRawBufferPointer) {
        chunks.withLock { $0[kind, default: []].append(contentsOf: bytes) }
    }

    func text(_ kind: StreamKind) -> String { String(decoding: chunks.withLock { $0[kind] ?? [] }, as: UTF8.self) }
}

private func shell(_ script: String) -> Launch {
    Launch(program: "/bin/sh", arguments: ["sh", "-c", script], environment: [], workingDirectory: nil)
}

/// Starting jobs through jobrun-exec (built next to the tests), reading their output and
/// learning how they ended.
@Suite struct ProcessHostTests {
    private func host() throws -> ProcessHost {
        let program: String = try #require(ProcessHost.installedServer(), "jobrun-exec is built next to the tests")
        return ProcessHost(program: program)
    }

    /// Runs `launch` on a host of its own to its end.
    private func run(_ launch: Launch, after delay: Duration = .zero) async throws -> (ProcessEnd, Output) {
        let host = try host()
        defer { host.stop() }
        let output = Output()
        let job = try host.start(launch, after: delay, stdin: nil, output: output.take)
        return (await host.wait(job), output)
    }

    @Test func outputAndHowTheJobEndedArriveTogether() async throws {
        let (end, output) = try await run(shell("echo out; echo err >&2; exit 7"))
        #expect(end == .exited(7))
        #expect(output.text(.stdout) == "out\n")
        #expect(output.text(.stderr) == "err\n")
    }

    @Test func theJobGetsItsArgumentsEnvironmentAndWorkingDirectory() async throws {
        let (end, output) = try await run(Launch(program: "/bin/sh",
                                                 arguments: ["sh", "-c", "echo \"$0|$1|$FOO\"; pwd", "zero", "one two"],
                                                 environment: ["FOO=bar"], workingDirectory: "/tmp"))
        #expect(end == .exited(0))
        #expect(output.text(.stdout) == "zero|one two|bar\n/tmp\n")
    }

    @Test func aProgramThatCannotStartEndsWith127AndSaysWhy() async throws {
        let (end, output) = try await run(Launch(program: "/nonexistent/x", arguments: ["x"], environment: [],
                                                 workingDirectory: nil))
        #expect(end == .exited(127))
        #expect(output.text(.stderr) == "jobrun: cannot run /nonexistent/x: No such file or directory\n")
    }

    /// A signal goes to the job's whole group while it runs; once it has ended, nothing is sent.
    @Test func signalsReachTheJobsGroupWhileItRuns() async throws {
        let host = try host()
        defer { host.stop() }
        let output = Output()
        // Long enough for a slow, loaded machine (a sanitizer build) to get to the signal.
        let job = try host.start(shell("trap 'echo term; exit 3' TERM; echo ready; sleep 600 & wait"), stdin: nil,
                                 output: output.take)
        for _ in 0..<6000 where output.text(.stdout).isEmpty { try await Task.sleep(for: .milliseconds(10)) }
        #expect(host.count == 1)
        #expect(host.signal(job, SIGTERM))
        let end = await host.wait(job)
        #expect(end == .exited(3), "\(end)")
        #expect(output.text(.stdout) == "ready\nterm\n")
        #expect(host.count == 0)
        #expect(!host.signal(job, SIGKILL), "a signal was sent for a job that had ended")
    }

    /// Nothing of jobrun's or jobrun-exec's reaches a job but its three streams, whether it
    /// starts at once or was handed over ahead.
    @Test(arguments: [Duration.zero, .milliseconds(50)])
    func aJobGetsOnlyItsThreeStreams(after delay: Duration) async throws {
        let (end, output) = try await run(shell("ls /proc/$$/fd"), after: delay)
        #expect(end == .exited(0))
        #expect(output.text(.stdout) == "0\n1\n2\n")
    }

    /// A job handed over ahead of its time is made and waits; it runs on the instant, never before.
    @Test func aJobHandedAheadStartsOnItsInstantAndNotBefore() async throws {
        let due = Date().timeIntervalSince1970 + 0.2
        let (end, output) = try await run(shell("date +%s.%N"), after: .milliseconds(200))
        #expect(end == .exited(0))
        let started = try #require(Double(output.text(.stdout).trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(started >= due)
    }

    /// A job stopped before its time comes never runs.
    @Test func aJobCancelledBeforeItsInstantNeverRuns() async throws {
        let host = try host()
        defer { host.stop() }
        let marker = FileManager.default.temporaryDirectory.appendingPathComponent("jobrun-never-\(UUID().uuidString)").path
        // Its time is far off; the signal follows the start request, so it finds the keeper waiting.
        let job = try host.start(shell("touch \(marker)"), after: .seconds(60), stdin: nil) { _, _ in }
        host.signal(job, SIGTERM)
        #expect(await host.wait(job) == .lost("the job was cancelled before its time came"))
        // The keeper has killed the waiting process before it replied.
        #expect(!FileManager.default.fileExists(atPath: marker))
    }

    /// A job with a deadline (in a cluster: by when the lease on its run must be renewed) is
    /// killed then by jobrun-exec, with what it started; a renewal never brings a deadline
    /// nearer, and a job without one is left alone.
    @Test func aJobIsKilledAtItsDeadlineWithWhatItStarted() async throws {
        let host = try host()
        defer { host.stop() }
        let output = Output(), other = Output(), free = Output()
        let job = try host.start(shell("sleep 600 & echo $!; wait"), stdin: nil, deadline: .now + .milliseconds(300), output: output.take)
        let later = try host.start(shell("sleep 1; echo done"), stdin: nil, deadline: .now + .seconds(5), output: other.take)
        let none = try host.start(shell("sleep 1; echo done"), stdin: nil, output: free.take)
        host.extendLeases(to: .now + .milliseconds(200))  // earlier than both: moves neither
        #expect(await host.wait(job) == .expired)
        let child = try #require(Int32(output.text(.stdout).trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(kill(child, 0) != 0, "what the job started went with it")
        #expect(await host.wait(later) == .exited(0) && other.text(.stdout) == "done\n")
        #expect(await host.wait(none) == .exited(0) && free.text(.stdout) == "done\n")
    }

    /// A renewal moves the deadline of every running job that has one.
    @Test func aRenewalMovesTheDeadline() async throws {
        let host = try host()
        defer { host.stop() }
        let output = Output()
        let job = try host.start(shell("sleep 2.5; echo done"), stdin: nil, deadline: .now + .seconds(2), output: output.take)
        host.extendLeases(to: .now + .seconds(60))
        #expect(await host.wait(job) == .exited(0))
        #expect(output.text(.stdout) == "done\n")
    }

    /// A job whose deadline comes before its start never runs.
    @Test func aJobWhoseDeadlineComesBeforeItsStartNeverRuns() async throws {
        let host = try host()
        defer { host.stop() }
        let marker = FileManager.default.temporaryDirectory.appendingPathComponent("jobrun-never-\(UUID().uuidString)").path
        let job = try host.start(shell("touch \(marker)"), after: .seconds(60), stdin: nil, deadline: .now) { _, _ in }
        #expect(await host.wait(job) == .expired)
        #expect(!FileManager.default.fileExists(atPath: marker))
    }

    /// The process that keeps a job ignores a stray `kill` (SIGTERM); the job runs on.
    @Test func aStraySignalToTheKeeperDoesNotEndTheJob() async throws {
        let host = try host()
        defer { host.stop() }
        let output = Output()
        let job = try host.start(shell("echo $PPID; sleep 1; echo done"), stdin: nil, output: output.take)
        for _ in 0..<500 where !output.text(.stdout).hasSuffix("\n") { try await Task.sleep(for: .milliseconds(10)) }
        let keeper = try #require(Int32(output.text(.stdout).split(separator: "\n").first ?? ""))
        kill(keeper, SIGTERM)
        kill(keeper, SIGHUP)
        #expect(await host.wait(job) == .exited(0))
        #expect(output.text(.stdout).hasSuffix("done\n"))
    }

    /// A keeper killed with SIGKILL cannot end its job; the server, which inherits the job,
    /// does, with everything the job started, and the attempt ends.
    @Test func aJobWhoseKeeperIsKilledEndsWithIt() async throws {
        let host = try host()
        defer { host.stop() }
        let output = Output()
        let job = try host.start(shell("echo $PPID; sleep 213.1 & sleep 213.2; wait"), stdin: nil, output: output.take)
        for _ in 0..<500 where !output.text(.stdout).hasSuffix("\n") { try await Task.sleep(for: .milliseconds(10)) }
        let keeper = try #require(Int32(output.text(.stdout).split(separator: "\n").first ?? ""))
        kill(keeper, SIGKILL)
        let end = await host.wait(job)
        #expect(end == .lost("the process that watched the job ended before it could tell how (it was killed by signal 9 (SIGKILL))"),
                "\(end)")
        #expect(try await gone("213.").isEmpty)
    }

    /// A keeper runs one job after another (no fork but the job's own): the next job has the
    /// same parent, and nothing of the last one, such as its working directory, stays with it.
    @Test func aKeeperRunsTheNextJobWithNothingOfTheLast() async throws {
        let host = try host()
        defer { host.stop() }
        let first = Output(), second = Output(), third = Output()
        let a = try host.start(Launch(program: "/bin/sh", arguments: ["sh", "-c", "echo $PPID; pwd"], environment: [],
                                      workingDirectory: "/tmp"), stdin: nil, output: first.take)
        #expect(await host.wait(a) == .exited(0))
        let b = try host.start(Launch(program: "/bin/sh", arguments: ["sh", "-c", "echo $PPID"], environment: [],
                                      workingDirectory: "/nonexistent-\(UUID().uuidString)"), stdin: nil, output: second.take)
        #expect(await host.wait(b) == .exited(126))
        #expect(second.text(.stderr).hasPrefix("jobrun: cannot enter the working directory /nonexistent-"), "\(second.text(.stderr))")
        let c = try host.start(shell("echo $PPID; pwd"), stdin: nil, output: third.take)
        #expect(await host.wait(c) == .exited(0))
        let lines = first.text(.stdout).split(separator: "\n"), next = third.text(.stdout).split(separator: "\n")
        #expect(lines.count == 2 && next.count == 2, "\(lines) \(next)")
        #expect(lines.first == next.first, "the next job's keeper is the last one's")
        #expect(lines.last == "/tmp")
        #expect(next.last.map(String.init) == FileManager.default.currentDirectoryPath)
    }

    /// A signal for a job may reach its keeper after the job ended (jobrun sent it as the job
    /// ended); it is not for the next job the keeper runs.
    @Test func aSignalForAnEndedJobDoesNotReachTheKeepersNextJob() async throws {
        let host = try host()
        defer { host.stop() }
        let first = Output(), second = Output()
        let a = try host.start(shell("echo $PPID"), stdin: nil, output: first.take)
        #expect(await host.wait(a) == .exited(0))
        // As jobrun could have sent it a moment sooner: the server still knows the keeper by
        // that job, and queues the signal to it.
        let server = try #require(host.state.withLock { $0.server })
        let late = jobrun_exec_request(kind: UInt32(JOBRUN_EXEC_SIGNAL), a: UInt32(SIGKILL), b: 0, length: 0, id: a.id,
                                       start: 0, deadline: 0)
        #expect(host.send(late, [], fds: [], on: server.socket) == nil)
        let b = try host.start(shell("echo $PPID; sleep 0.2; echo done"), stdin: nil, output: second.take)
        #expect(await host.wait(b) == .exited(0))
        #expect(second.text(.stdout) == first.text(.stdout) + "done\n", "the keeper is the same")
    }

    /// A job handed to a keeper that waited for it (on the keeper's channel, not through the
    /// server) is signalled and killed at its deadline like one the server forked a keeper for.
    @Test func aJobHandedToAWaitingKeeperIsSignalledAndKilledAtItsDeadline() async throws {
        let host = try host()
        defer { host.stop() }
        let first = Output(), second = Output(), third = Output()
        let a = try host.start(shell("echo $PPID"), stdin: nil, output: first.take)
        #expect(await host.wait(a) == .exited(0))
        let b = try host.start(shell("trap 'echo term; exit 3' TERM; echo $PPID; sleep 600 & wait"), stdin: nil,
                               output: second.take)
        for _ in 0..<6000 where !second.text(.stdout).hasSuffix("\n") { try await Task.sleep(for: .milliseconds(10)) }
        #expect(host.signal(b, SIGTERM))
        #expect(await host.wait(b) == .exited(3))
        #expect(second.text(.stdout) == first.text(.stdout) + "term\n", "the keeper is the same")
        let c = try host.start(shell("echo $PPID; sleep 5 & wait"), stdin: nil, deadline: .now + .milliseconds(300),
                               output: third.take)
        #expect(await host.wait(c) == .expired)
        #expect(third.text(.stdout) == first.text(.stdout), "the keeper is the same")
    }

    /// A request too long for a keeper's channel (a large environment) goes to the server, which
    /// forks a keeper for it.
    @Test func aJobWithALargeEnvironmentStillStarts() async throws {
        let host = try host()
        defer { host.stop() }
        let first = Output(), second = Output()
        let a = try host.start(shell("echo $PPID"), stdin: nil, output: first.take)
        #expect(await host.wait(a) == .exited(0))
        let large = String(repeating: "x", count: 100_000)
        let b = try host.start(Launch(program: "/bin/sh", arguments: ["sh", "-c", "echo ${#LARGE} $PPID"],
                                      environment: ["LARGE=\(large)"], workingDirectory: nil), stdin: nil, output: second.take)
        #expect(await host.wait(b) == .exited(0))
        let words = second.text(.stdout).split(separator: " ")
        #expect(words.first == "100000")
        #expect(words.last.map(String.init) != first.text(.stdout), "a keeper of its own")
    }

    /// A keeper that waits for a job ends with the server, so jobrun learns that the server has
    /// ended (the keeper held the server's end of jobrun's socket, to reply), and the next job
    /// starts through a new one.
    @Test func aWaitingKeeperEndsWithTheServerAndTheNextJobStartsThroughANewOne() async throws {
        let host = try host()
        defer { host.stop() }
        let first = Output(), second = Output()
        let a = try host.start(shell("echo $PPID"), stdin: nil, output: first.take)
        #expect(await host.wait(a) == .exited(0))
        let keeper = try #require(Int32(first.text(.stdout).trimmingCharacters(in: .whitespacesAndNewlines)))
        let server = try #require(host.serverProcess)
        kill(server, SIGKILL)
        for _ in 0..<1000 where host.serverProcess != nil { try await Task.sleep(for: .milliseconds(10)) }
        #expect(host.serverProcess == nil, "jobrun saw the server end")
        for _ in 0..<500 where isAlive(keeper) { try await Task.sleep(for: .milliseconds(10)) }
        #expect(!isAlive(keeper), "the keeper that waited is gone")
        let b = try host.start(shell("echo $PPID"), stdin: nil, output: second.take)
        #expect(await host.wait(b) == .exited(0))
        #expect(host.serverProcess != server)
    }

    /// A keeper killed while it waits for a job takes none with it: the next job gets another.
    @Test func aKeeperKilledWhileItWaitsLosesNoJob() async throws {
        let host = try host()
        defer { host.stop() }
        let first = Output(), second = Output()
        let a = try host.start(shell("echo $PPID"), stdin: nil, output: first.take)
        #expect(await host.wait(a) == .exited(0))
        let keeper = try #require(Int32(first.text(.stdout).trimmingCharacters(in: .whitespacesAndNewlines)))
        kill(keeper, SIGKILL)
        for _ in 0..<500 where isAlive(keeper) { try await Task.sleep(for: .milliseconds(10)) }
        let b = try host.start(shell("echo $PPID"), stdin: nil, output: second.take)
        #expect(await host.wait(b) == .exited(0))
        let next = try #require(Int32(second.text(.stdout).trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(next != keeper)
    }

    /// A job handed over ahead and waiting for its instant dies with jobrun-exec.
    @Test func aJobWaitingForItsInstantNeverRunsWhenTheServerDies() async throws {
        let host = try host()
        defer { host.stop() }
        let marker = FileManager.default.temporaryDirectory.appendingPathComponent("jobrun-orphan-\(UUID().uuidString)").path
        let job = try host.start(shell("touch \(marker)"), after: .milliseconds(800), stdin: nil) { _, _ in }
        kill(try #require(host.serverProcess), SIGKILL)
        let end = await host.wait(job)
        #expect(end.summary.contains("jobrun-exec, which started the job, ended unexpectedly"), "\(end)")
        try await Task.sleep(for: .seconds(1))
        #expect(!FileManager.default.fileExists(atPath: marker))
    }

    /// The kernel sends a parent-death signal when the *thread* that started a process exits;
    /// jobrun's threads come and go, so nothing may take that for jobrun's death.
    @Test func aJobStartedByAThreadThatEndsRunsToItsEnd() async throws {
        let host = try host()
        defer { host.stop() }
        let started = Locked<JobProcess?>(nil)
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            started.withLock { $0 = try? host.start(shell("sleep 0.3; echo still here"), stdin: nil) { _, _ in } }
            done.signal()
        }
        thread.start()
        done.wait()
        let job = try #require(started.withLock { $0 })
        #expect(await host.wait(job) == .exited(0))
    }
}
