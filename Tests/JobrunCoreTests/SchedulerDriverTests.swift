import JobrunCore
import JobrunTestSupport
import Synchronization
import Testing

/// Runs attempts on the manual clock: an attempt of task `name` takes `durations[name]` of
/// clock time, and fails when `fails` says so; every start is recorded with its instant.
private final class ClockedExecutor: Executor {
    let clock: ManualClock
    let durations: [String: Duration]
    let fails: @Sendable (AttemptRequest) -> Bool
    private let calls = Mutex<[(task: String, run: RunNumber, attempt: Int, at: Instant, startsAt: Instant?)]>([])

    init(clock: ManualClock, durations: [String: Duration] = [:], fails: @escaping @Sendable (AttemptRequest) -> Bool = { _ in false }) {
        self.clock = clock
        self.durations = durations
        self.fails = fails
    }

    var starts: [(task: String, run: RunNumber, attempt: Int, at: Instant, startsAt: Instant?)] { calls.withLock { $0 } }

    func run(_ request: AttemptRequest, now: @Sendable () -> Instant) async -> AttemptRecord {
        let started = request.startsAt.map { Swift.max(now(), $0.at) } ?? now()
        calls.withLock { $0.append((request.task.name, request.run, request.attempt, started, request.startsAt?.at)) }
        if let duration = durations[request.task.name], duration > .zero {
            do { try await clock.sleep(for: duration) } catch {
                return AttemptRecord(attempt: request.attempt, status: .cancelled, startedAt: started, finishedAt: now())
            }
        }
        return AttemptRecord(attempt: request.attempt, status: fails(request) ? .failed : .succeeded,
                             startedAt: started, finishedAt: now())
    }

    /// Waits (up to 20 s of real time) until `count` attempts have started.
    func waitForStarts(_ count: Int) async -> Bool {
        for _ in 0..<20_000 {
            if calls.withLock({ $0.count }) >= count { return true }
            try? await Task.sleep(for: .milliseconds(1))
        }
        return false
    }
}

/// The ``Scheduler`` actor, the driver of the core, on a manual clock: it sleeps until what
/// is due next (and only then), starts attempts through the executor, stops at `--for` and
/// on shutdown, and times every record by its clock.
@Suite struct SchedulerDriverTests {
    let wallStart = Instant(seconds: 1_800_000_000)

    private func file(_ yaml: String) throws -> JobFile {
        let v = JobFileValidator().validate(Array(yaml.utf8))
        return try #require(v.file, "\(v.diagnostics.map { $0.formatted(file: "t") })")
    }

    private func at(_ seconds: Int) -> ManualClock.Instant { ManualClock.Instant(offset: .seconds(seconds)) }

    @Test func runsStartOnTheirDueInstantsAndTheDriverSleepsInBetween() async throws {
        let file = try file("tasks: [{name: tick, command: x, schedule: \"@every 10s\", count: 3}]\n")
        let clock = ManualClock()
        let executor = ClockedExecutor(clock: clock)
        let scheduler = Scheduler(file: file, setup: SchedulerSetup(workers: 1, jitterSeed: 1), clock: clock,
                                  wallOrigin: wallStart, executor: executor, emit: { _ in })
        let run = Task { await scheduler.run() }
        for k in 1...3 {
            #expect(await clock.waitForSleepers(1))
            // Asleep until the next run is due, and nothing started before it.
            #expect(clock.deadlines == [at(10 * k)])
            #expect(executor.starts.count == k - 1)
            clock.advance(to: at(10 * k))
            #expect(await executor.waitForStarts(k))
        }
        let records = await run.value.records
        #expect(records.map(\.status) == [.succeeded, .succeeded, .succeeded])
        #expect(records.map(\.run) == [1, 2, 3])
        let due = (1...3).map { wallStart + .seconds(10 * $0) }
        #expect(records.map(\.dueAt) == due)
        #expect(records.map(\.startedAt) == due)
        #expect(executor.starts.map(\.at) == due)
    }

    @Test func forEndsOnTheClockAndTheNextRunIsCancelled() async throws {
        let file = try file("tasks: [{name: tick, command: x, schedule: \"@every 10s\"}]\n")
        let clock = ManualClock()
        let executor = ClockedExecutor(clock: clock)
        let scheduler = Scheduler(file: file, setup: SchedulerSetup(workers: 1, runFor: .seconds(25), jitterSeed: 1),
                                  clock: clock, wallOrigin: wallStart, executor: executor, emit: { _ in })
        let run = Task { await scheduler.run() }
        // Two sleepers: the next run, and the end of --for.
        #expect(await clock.waitForSleepers(2))
        #expect(clock.deadlines == [at(10), at(25)])
        clock.advance(to: at(10))
        #expect(await executor.waitForStarts(1))
        #expect(await clock.waitForSleepers(2))
        #expect(clock.deadlines == [at(20), at(25)])
        clock.advance(to: at(20))
        #expect(await executor.waitForStarts(2))
        #expect(await clock.waitForSleepers(2))
        clock.advance(to: at(25))
        let records = await run.value.records
        #expect(records.map(\.status) == [.succeeded, .succeeded, .cancelled])
        #expect(records.last?.reason == "--for ended before the run was due")
        #expect(records.last?.dueAt == wallStart + .seconds(30))
        #expect(executor.starts.count == 2)
    }

    @Test func shutdownCancelsTheRunningAttemptAndWhatIsStillToCome() async throws {
        let file = try file("""
            tasks:
              - {name: long, command: x}
              - {name: later, command: x, schedule: +30s}
            """)
        let clock = ManualClock()
        let executor = ClockedExecutor(clock: clock, durations: ["long": .seconds(60)])
        let scheduler = Scheduler(file: file, setup: SchedulerSetup(workers: 2, jitterSeed: 1), clock: clock,
                                  wallOrigin: wallStart, executor: executor, emit: { _ in })
        let run = Task { await scheduler.run() }
        #expect(await executor.waitForStarts(1))
        #expect(await clock.waitForSleepers(2))  // the attempt's 60 s, and the driver's wait for +30s
        clock.advance(to: at(5))
        scheduler.shutdown()
        let records = await run.value.records
        let long = try #require(records.first { $0.task == 0 })
        #expect(long.status == .cancelled)
        #expect(long.attempts.map(\.status) == [.cancelled])
        #expect(long.attempts.first?.finishedAt == wallStart + .seconds(5))
        let later = try #require(records.first { $0.task == 1 })
        #expect(later.status == .cancelled)
        #expect(later.reason == "jobrun was stopped before the run was due")
        // Nothing is left asleep on the clock: the attempt and the timer were cancelled.
        #expect(clock.deadlines.isEmpty)
    }

    @Test func aRetryWaitsOutItsDelayOnTheClock() async throws {
        let file = try file("tasks: [{name: flaky, command: x, retries: 2, retry_delay: 5s, backoff: fixed}]\n")
        let clock = ManualClock()
        let executor = ClockedExecutor(clock: clock, durations: ["flaky": .seconds(2)], fails: { $0.attempt < 3 })
        let scheduler = Scheduler(file: file, setup: SchedulerSetup(workers: 1, jitterSeed: 1), clock: clock,
                                  wallOrigin: wallStart, executor: executor, emit: { _ in })
        let run = Task { await scheduler.run() }
        // Attempt 1 runs 0–2 s, waits 5 s; attempt 2 runs 7–9 s, waits 5 s; attempt 3 runs 14–16 s.
        for (k, next) in [(1, 2), (1, 7), (2, 9), (2, 14), (3, 16)] {
            #expect(await executor.waitForStarts(k))
            #expect(await clock.waitForSleepers(1))
            #expect(clock.deadlines == [at(next)])
            clock.advance(to: at(next))
        }
        let records = await run.value.records
        let attempts = try #require(records.first?.attempts)
        #expect(attempts.map(\.status) == [.failed, .failed, .succeeded])
        #expect(attempts.map(\.startedAt) == [0, 7, 14].map { wallStart + .seconds($0) })
        #expect(attempts.map(\.finishedAt) == [2, 9, 16].map { wallStart + .seconds($0) })
    }

    @Test func aRunIsHandedAheadByTheLeadAndStartsOnItsInstant() async throws {
        let file = try file("tasks: [{name: once, command: x, schedule: +10s}]\n")
        let clock = ManualClock()
        let executor = ClockedExecutor(clock: clock)
        let scheduler = Scheduler(file: file, setup: SchedulerSetup(workers: 1, jitterSeed: 1), clock: clock,
                                  wallOrigin: wallStart, lead: .seconds(1), executor: executor, emit: { _ in })
        let run = Task { await scheduler.run() }
        #expect(await clock.waitForSleepers(1))
        // The driver wakes a lead early and hands the run over with its instant.
        #expect(clock.deadlines == [at(9)])
        clock.advance(to: at(9))
        #expect(await executor.waitForStarts(1))
        #expect(executor.starts.first?.startsAt == wallStart + .seconds(10))
        let records = await run.value.records
        #expect(records.first?.startedAt == wallStart + .seconds(10))
        #expect(records.first?.status == .succeeded)
    }
}
