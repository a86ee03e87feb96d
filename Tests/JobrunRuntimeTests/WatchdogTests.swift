import Foundation
import JobrunTestSupport
import Testing

@testable import JobrunRuntime

/// The watchdog on a manual clock, ending a real job: SIGTERM when the timeout comes,
/// SIGKILL when the grace ends, and nothing once the job has ended.
@Suite struct WatchdogTests {
    /// What a job wrote to stdout.
    private final class Output: Sendable {
        private let bytes = Locked<[UInt8]>([])
        func take(_ kind: StreamKind, _ chunk: UnsafeRawBufferPointer) {
            if kind == .stdout { bytes.withLock { $0.append(contentsOf: chunk) } }
        }
        var text: String { String(decoding: bytes.withLock { $0 }, as: UTF8.self) }

        /// Waits (up to 20 s) until the output contains `word`.
        func waitFor(_ word: String) async -> Bool {
            for _ in 0..<2000 {
                if text.contains(word) { return true }
                try? await Task.sleep(for: .milliseconds(10))
            }
            return false
        }
    }

    /// A job that survives SIGTERM (it says so) and runs until it is killed.
    private func startStubbornJob(on host: ProcessHost, _ output: Output) throws -> JobProcess {
        try host.start(Launch(program: "/bin/sh",
                              arguments: ["sh", "-c", "trap 'echo term' TERM; echo ready; while :; do sleep 0.05; done"],
                              environment: [], workingDirectory: nil),
                       stdin: nil, output: output.take)
    }

    @Test func theTimeoutAndTheGraceAreCountedOnTheClock() async throws {
        let program: String = try #require(ProcessHost.installedServer())
        let host = ProcessHost(program: program)
        defer { host.stop() }
        let output = Output()
        let job = try startStubbornJob(on: host, output)
        #expect(await output.waitFor("ready"))
        let clock = ManualClock()
        let watchdog = Watchdog(job: job, processes: host, grace: .seconds(10), clock: clock)
        watchdog.arm(.seconds(30))
        #expect(await clock.waitForSleepers(1))
        clock.advance(to: .init(offset: .seconds(29)))
        #expect(clock.deadlines == [.init(offset: .seconds(30))])
        #expect(host.count == 1)
        clock.advance(to: .init(offset: .seconds(30)))
        #expect(await output.waitFor("term"), "SIGTERM reached the job when the timeout came")
        // The grace, counted from the SIGTERM; the job outlives SIGTERM until it ends.
        #expect(await clock.waitForSleepers(1))
        #expect(clock.deadlines == [.init(offset: .seconds(40))])
        clock.advance(to: .init(offset: .seconds(40)))
        let end = await host.wait(job)
        #expect(end == .signaled(SIGKILL), "\(end)")
        #expect(watchdog.end() == .timedOut)
    }

    @Test func aJobThatEndsInTimeIsNeverSignalledAndItsTimerEnds() async throws {
        let program: String = try #require(ProcessHost.installedServer())
        let host = ProcessHost(program: program)
        defer { host.stop() }
        let output = Output()
        let job = try host.start(Launch(program: "/bin/sh", arguments: ["sh", "-c", "echo done"], environment: [],
                                        workingDirectory: nil), stdin: nil, output: output.take)
        let clock = ManualClock()
        let watchdog = Watchdog(job: job, processes: host, grace: .seconds(1), clock: clock)
        watchdog.arm(.seconds(30))
        #expect(await host.wait(job) == .exited(0))
        #expect(watchdog.end() == nil)
        // The timer is cancelled: nothing is left asleep on the clock, and the timeout passing
        // sends nothing.
        for _ in 0..<2000 where !clock.deadlines.isEmpty { try await Task.sleep(for: .milliseconds(10)) }
        #expect(clock.deadlines.isEmpty)
        clock.advance(to: .init(offset: .seconds(60)))
        #expect(watchdog.end() == nil)
    }
}
