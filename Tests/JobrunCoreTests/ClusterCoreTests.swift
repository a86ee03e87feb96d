import JobrunCore
import JobrunTestSupport
import Synchronization
import Testing

/// A replica's scheduler in a cluster, on the pure core: every new run is claimed before it
/// starts, and what the cluster answers decides whether it starts here, is skipped, or is
/// another replica's (README, "A cluster on PostgreSQL").
@Suite struct ClusterCoreTests {
    private static let start = Instant(seconds: 1_800_000_000)

    private func core(_ tasks: String, workers: Int = 2) throws -> SchedulerCore {
        let v = JobFileValidator().validate(Array("tasks:\n\(tasks)".utf8))
        let file = try #require(v.file, "\(v.diagnostics.map { $0.formatted(file: "t") })")
        var setup = SchedulerSetup(workers: workers, jitterSeed: 1)
        setup.cluster = true
        return SchedulerCore(file: file, setup: setup, start: Self.start, emit: { _ in })
    }

    private func ended(_ start: SchedulerCore.Start, _ status: AttemptStatus = .succeeded) -> AttemptRecord {
        AttemptRecord(attempt: start.request.attempt, status: status, startedAt: Self.start, finishedAt: Self.start + .seconds(1))
    }

    @Test func aNewRunStartsOnlyOnceItsClaimIsThisReplicasAndTakesTheClustersNumber() throws {
        var core = try core("  - {name: t, command: x}\n")
        let asked = core.advance(to: Self.start)
        let claim = try #require(asked.first?.claim)
        #expect(asked.count == 1 && claim.name == "t" && claim.due == Self.start && claim.overlap == .skip)
        #expect(core.records.map(\.status) == [.queued], "not started before the answer")
        #expect(core.claimsPending == 1 && !core.isDone)
        let started = core.claimed(asked[0].run, .mine(run: 7), at: Self.start)
        #expect(started.count == 1 && started[0].claim == nil && started[0].request.run == 7)
        _ = core.attemptFinished(started[0].run, record: ended(started[0]), at: Self.start + .seconds(1))
        #expect(core.records.map(\.run) == [7] && core.records.map(\.status) == [.succeeded])
        #expect(core.isDone)
    }

    @Test func aRunAnotherReplicaTookHoldsNoWorkerIsNotInTheReportAndItsDependentsWaitForIt() throws {
        var core = try core("""
              - {name: a, command: x}
              - {name: b, command: x}
              - {name: c, command: x, after: [a]}

            """, workers: 1)
        let first = core.advance(to: Self.start)
        #expect(first.map(\.claim?.name) == ["a"], "one worker: one claim at a time")
        let next = core.claimed(first[0].run, .taken, at: Self.start)
        #expect(next.map(\.claim?.name) == ["b"], "the worker is free again")
        let b = core.claimed(next[0].run, .mine(run: 1), at: Self.start)
        #expect(core.attemptFinished(b[0].run, record: ended(b[0]), at: Self.start + .seconds(1)).isEmpty, "c waits for a")
        #expect(!core.isDone && core.runsElsewhere.map(\.task) == ["a"])
        let c = core.endedElsewhere(core.runsElsewhere[0].run, failed: false, at: Self.start + .seconds(2))
        #expect(c.map(\.claim?.name) == ["c"])
        let cStarted = core.claimed(c[0].run, .mine(run: 1), at: Self.start + .seconds(2))
        _ = core.attemptFinished(cStarted[0].run, record: ended(cStarted[0]), at: Self.start + .seconds(3))
        #expect(core.isDone)
        #expect(core.records.map { core.file.tasks[$0.task].name } == ["b", "c"], "a ran elsewhere: not this replica's")
        #expect(core.book.totals.runs == 2)
    }

    @Test func aFailureElsewhereSkipsTheDependentsHere() throws {
        var core = try core("""
              - {name: a, command: x}
              - {name: c, command: x, after: [a]}

            """)
        let first = core.advance(to: Self.start)
        #expect(core.claimed(first[0].run, .taken, at: Self.start).isEmpty)
        #expect(core.endedElsewhere(core.runsElsewhere[0].run, failed: true, at: Self.start + .seconds(1)).isEmpty)
        #expect(core.records.map(\.status) == [.skipped])
        #expect(core.records.first?.reason == RecordMessage.dependencyFailed("a"))
        #expect(core.isDone)
    }

    @Test func aClaimRecordedSkippedEndsSkippedUnderTheClustersNumber() throws {
        var core = try core("  - {name: t, command: x}\n")
        let asked = core.advance(to: Self.start)
        #expect(core.claimed(asked[0].run, .skipped(run: 4), at: Self.start).isEmpty)
        #expect(core.records.map(\.run) == [4] && core.records.map(\.status) == [.skipped])
        #expect(core.records.first?.reason == RecordMessage.previousRunElsewhere)
        #expect(core.isDone)
    }

    @Test func aRunAnotherReplicaGaveBackRunsHereUnderItsNumberAndDueInstant() throws {
        var core = try core("  - {name: t, command: x, repeat: 1h}\n", workers: 1)
        let asked = core.advance(to: Self.start)
        #expect(!core.canAdopt, "the one worker waits for a claim")
        #expect(core.claimed(asked[0].run, .taken, at: Self.start).isEmpty)
        #expect(core.canAdopt)
        let due = Self.start + (.zero - .seconds(30))
        let started = core.adopted(Adoption(task: TaskIndex(0), run: 5, due: due), at: Self.start + .seconds(1))
        #expect(started.count == 1 && started[0].claim == nil, "claimed already: it starts at once")
        #expect(started.first?.request.run == 5 && started.first?.request.due == due)
        #expect(!core.canAdopt, "its worker is busy")
        _ = core.attemptFinished(started[0].run, record: ended(started[0]), at: Self.start + .seconds(2))
        #expect(core.records.map(\.run) == [5] && core.records.map(\.status) == [.succeeded])
        #expect(core.records.first?.nominalDueAt == due)
    }

    @Test func aRunThisReplicaLostEndsAbandonedAndIsNotRetried() throws {
        var core = try core("""
              - {name: t, command: x, retries: 2, retry_delay: 1s}
              - {name: u, command: x, retries: 2, retry_delay: 1s}
              - {name: d, command: x, after: [t]}

            """)
        let asked = core.advance(to: Self.start)
        let t = core.claimed(asked[0].run, .mine(run: 1), at: Self.start)
        let u = core.claimed(asked[1].run, .mine(run: 4), at: Self.start)
        // u's attempt fails and waits to retry; t's runs. Then both leases run out.
        #expect(core.attemptFinished(u[0].run, record: ended(u[0], .failed), at: Self.start + .seconds(1)).isEmpty)
        #expect(core.lost([(TaskIndex(0), 1), (TaskIndex(1), 4), (TaskIndex(1), 99)], at: Self.start + .seconds(1)).isEmpty)
        // t's job, killed, ends: no retry, and d, after t, is skipped.
        #expect(core.attemptFinished(t[0].run, record: ended(t[0], .failed), at: Self.start + .seconds(1)).isEmpty)
        #expect(core.advance(to: Self.start + .seconds(5)).isEmpty, "u's retry does not start")
        let byName = Dictionary(uniqueKeysWithValues: core.records.map { (core.file.tasks[$0.task].name, $0) })
        #expect(byName["t"]?.status == .abandoned && byName["t"]?.reason == RecordMessage.leaseLost && byName["t"]?.attempts.count == 1)
        #expect(byName["u"]?.status == .abandoned && byName["u"]?.run == 4)
        #expect(byName["d"]?.status == .skipped)
        #expect(core.isDone)
    }

    /// jobrun-exec killed the job at its deadline (the lease could not be renewed in time):
    /// the attempt ends `abandoned`, and so does the run, with no retry, whether or not the
    /// replica learns later that the lease ran out.
    @Test func aJobKilledAtItsLeasesDeadlineEndsItsRunAbandonedWithoutARetry() throws {
        var core = try core("""
              - {name: t, command: x, retries: 2}
              - {name: d, command: x, after: [t]}

            """)
        let asked = core.advance(to: Self.start)
        let t = core.claimed(asked[0].run, .mine(run: 1), at: Self.start)
        var killed = ended(t[0], .abandoned)
        killed.error = RecordMessage.leaseNotRenewed
        #expect(core.attemptFinished(t[0].run, record: killed, at: Self.start + .seconds(1)).isEmpty, "no retry, and d does not start")
        #expect(core.lost([(TaskIndex(0), 1)], at: Self.start + .seconds(2)).isEmpty)
        let byName = Dictionary(uniqueKeysWithValues: core.records.map { (core.file.tasks[$0.task].name, $0) })
        #expect(byName["t"]?.status == .abandoned && byName["t"]?.reason == RecordMessage.leaseNotRenewed && byName["t"]?.attempts.count == 1)
        #expect(byName["d"]?.status == .skipped)
        #expect(core.isDone)
    }

    /// A triggered run is claimed as a run of its own (another at its instant moves it later,
    /// and its record says where) and, like everywhere, waits its turn rather than being skipped.
    @Test func aTriggeredRunIsClaimedAsARunOfItsOwnAndNeverSkipped() throws {
        var core = try core("""
              - {name: a, command: x, on_failure: [n]}
              - {name: b, command: x, on_failure: [n]}
              - {name: n, command: x, schedule: never}

            """, workers: 4)
        let asked = core.advance(to: Self.start)
        #expect(asked.map { $0.claim?.unique } == [false, false])
        let a = core.claimed(asked[0].run, .mine(run: 1), at: Self.start)
        let b = core.claimed(asked[1].run, .mine(run: 1), at: Self.start)
        let end = Self.start + .seconds(1)
        let notify = core.attemptFinished(a[0].run, record: ended(a[0], .failed), at: end)
        #expect(core.attemptFinished(b[0].run, record: ended(b[0], .failed), at: end).isEmpty, "the second waits for the first")
        #expect(notify.count == 1 && notify.allSatisfy { $0.claim?.unique == true && $0.claim?.overlap == .queue && $0.claim?.due == end })
        let first = core.claimed(notify[0].run, .mine(run: 1), at: end)
        let next = core.attemptFinished(first[0].run, record: ended(first[0]), at: end + .seconds(1))
        #expect(next.count == 1 && next[0].claim?.unique == true && next[0].claim?.due == end)
        // The other replica's trigger had that millisecond: this one moved to the next.
        let second = core.claimed(next[0].run, .mineAt(run: 3, due: end + .milliseconds(1)), at: end + .seconds(1))
        #expect(second.count == 1 && second.first?.request.due == end + .milliseconds(1), "its JOBRUN_RUN_ID names the instant it holds")
        #expect(core.records.filter { core.file.tasks[$0.task].name == "n" }.map(\.run.value).sorted() == [1, 3])
    }

    /// Instants missed while no replica ran are recorded once, by the replica that begins the
    /// cluster again, as a run of its own for the cluster; a replica joining replicas that
    /// run missed nothing (the others ran those instants).
    @Test(arguments: [false, true])
    func instantsMissedWhileTheClusterWasDownAreRecordedByTheReplicaThatBeginsItAgain(live: Bool) throws {
        let v = JobFileValidator().validate(Array("tasks:\n  - {name: t, command: x, repeat: 1s}\n".utf8))
        var setup = SchedulerSetup(workers: 2, jitterSeed: 1)
        setup.cluster = true
        setup.resume = Resume(histories: ByTask([TaskHistory(runs: 4, instants: 4, lastDue: Self.start + .seconds(-10))]), live: live)
        var core = SchedulerCore(file: try #require(v.file), setup: setup, start: Self.start, emit: { _ in })
        let missed = core.takeWrites()
        if live {
            #expect(missed.isEmpty)
            // The schedule goes on from the cluster's last instant: the next is claimed (late).
            #expect(core.advance(to: Self.start).first?.claim?.due == Self.start + .seconds(-9))
        } else {
            #expect(missed.count == 1 && missed.allSatisfy(\.missed))
            #expect(missed.first?.record.status == .skipped && missed.first?.record.dueInstants == 9)
            #expect(missed.first?.record.nominalDueAt == Self.start + .seconds(-1) && missed.first?.record.run.value == 5)
            #expect(core.advance(to: Self.start).first?.claim?.due == Self.start)
        }
    }

    /// Among runs of equal priority due together, each replica claims in an order of its own
    /// (a shuffle of the file seeded by its id), so replicas given a burst do not ask for the
    /// same runs in the same order; a replica's order is the same at each start. Priority
    /// still comes first.
    @Test func replicasClaimABurstInOrdersOfTheirOwn() throws {
        let tasks = (0..<12).map { "  - {name: t\($0), command: x}\n" }.joined() + "  - {name: urgent, command: x, priority: 0}\n"
        let v = JobFileValidator().validate(Array("tasks:\n\(tasks)".utf8))
        let file = try #require(v.file)
        func order(_ id: String) -> [String] {
            var setup = SchedulerSetup(workers: 13, jitterSeed: 1)
            setup.cluster = true
            setup.replica = id
            var core = SchedulerCore(file: file, setup: setup, start: Self.start, emit: { _ in })
            return core.advance(to: Self.start).compactMap { $0.claim?.name }
        }
        var orders: Set<[String]> = []
        for id in ["a", "b", "c", "host:1:x", "host:2:y"] {
            let o = order(id)
            #expect(o.first == "urgent", "priority first: \(o)")
            #expect(Set(o) == Set((0..<12).map { "t\($0)" } + ["urgent"]) && o.count == 13, "every run once: \(o)")
            #expect(order(id) == o, "the same order at each start")
            orders.insert(Array(o.dropFirst()))
        }
        #expect(orders.count == 5, "each replica's order is its own: \(orders)")
    }

    @Test func asManyRunsAsWorkersAreFreeAreClaimedAheadAndStartOnTheirInstants() throws {
        var core = try core("""
              - {name: a, command: x, schedule: +50ms}
              - {name: b, command: x, schedule: +60ms}
              - {name: c, command: x, schedule: +70ms}

            """)
        #expect(core.advance(to: Self.start).isEmpty)
        let ahead = core.advanceAhead(to: Self.start + .milliseconds(100), stopAt: nil) { _ in .milliseconds(50) }
        #expect(ahead.map(\.claim?.name) == ["a", "b"], "two workers: two claims ahead, c at the next wake")
        #expect(ahead.allSatisfy { $0.request.startsAt != nil })
        // The claim comes back before a's instant: its record starts on the instant.
        let started = core.claimed(ahead[0].run, .mine(run: 1), at: Self.start + .milliseconds(5))
        #expect(started.count == 1)
        #expect(core.records.first { core.file.tasks[$0.task].name == "a" }?.startedAt == Self.start + .milliseconds(50))
    }

    @Test func aRetryOfARunThisReplicaHoldsIsNotClaimedAgain() throws {
        var core = try core("  - {name: t, command: x, retries: 1, retry_delay: 1s}\n")
        let asked = core.advance(to: Self.start)
        let first = core.claimed(asked[0].run, .mine(run: 1), at: Self.start)
        #expect(core.attemptFinished(first[0].run, record: ended(first[0], .failed), at: Self.start + .seconds(1)).isEmpty)
        let retry = core.advance(to: Self.start + .seconds(3))
        #expect(retry.count == 1 && retry[0].claim == nil && retry[0].request.attempt == 2)
    }

    @Test func stoppingWhileAClaimIsAskedCancelsItsRunWhateverTheAnswer() throws {
        var core = try core("""
              - {name: a, command: x}
              - {name: b, command: x}

            """)
        let asked = core.advance(to: Self.start)
        #expect(asked.count == 2)
        core.shutdown(at: Self.start)
        #expect(!core.isDone, "the answers are waited for")
        #expect(core.claimed(asked[0].run, .mine(run: 1), at: Self.start).isEmpty, "a claim that comes back mine does not start")
        #expect(core.claimed(asked[1].run, .stopped, at: Self.start).isEmpty)
        #expect(core.records.map(\.status) == [.cancelled, .cancelled])
        #expect(core.isDone)
    }

    @Test func runsOfOtherReplicasAreLetGoWhenJobrunStops() throws {
        var core = try core("  - {name: a, command: x}\n  - {name: c, command: x, after: [a]}\n")
        let asked = core.advance(to: Self.start)
        _ = core.claimed(asked[0].run, .taken, at: Self.start)
        core.shutdown(at: Self.start)
        #expect(core.runsElsewhere.isEmpty && core.isDone)
        #expect(core.records.map { core.file.tasks[$0.task].name } == ["c"], "only c, cancelled while it waited for a")
    }
}

/// The cluster as a replica's scheduler sees it: answers set per task, and the ends of other
/// replicas' runs told at the first look.
private final class ScriptedClaims: RunClaims {
    let answers: [String: ClaimAnswer]
    let failedElsewhere: Bool
    let busyLooks: Int
    private let state = Mutex<(asked: [String], looks: Int, written: [String], adoptions: [Adoption], adopted: Int, settleLooks: Int)>(
        ([], 0, [], [], 0, 0))

    init(_ answers: [String: ClaimAnswer], failedElsewhere: Bool = false, adoptions: [Adoption] = [], busyLooks: Int = 0) {
        self.answers = answers
        self.failedElsewhere = failedElsewhere
        self.busyLooks = busyLooks
        state.withLock { $0.adoptions = adoptions }
    }

    /// How many times the scheduler asked whether the cluster was settled.
    var settleLooks: Int { state.withLock { $0.settleLooks } }

    /// Another replica's run is lost: it waits to be taken over.
    func lose(_ adoption: Adoption) { state.withLock { $0.adoptions.append(adoption) } }

    /// How many runs were taken over.
    var adopted: Int { state.withLock { $0.adopted } }
    var adoptInterval: Duration { .seconds(1) }

    func adopt(_ tasks: [(task: TaskIndex, name: String)]) async throws(JobrunError) -> Adoption? {
        state.withLock { state in
            guard !state.adoptions.isEmpty else { return nil }
            state.adopted += 1
            return state.adoptions.removeFirst()
        }
    }

    func giveBack(_ adoption: Adoption) async throws(JobrunError) {}

    /// Unsettled while runs are left to take over, or `busyLooks` more looks (another
    /// replica's run under way).
    func unsettled(_ tasks: [String]) async throws(JobrunError) -> Bool {
        state.withLock { state in
            state.settleLooks += 1
            return !state.adoptions.isEmpty || state.settleLooks <= busyLooks
        }
    }

    var asked: [String] { state.withLock { $0.asked } }
    var looks: Int { state.withLock { $0.looks } }
    /// Each write as "run status".
    var written: [String] { state.withLock { $0.written } }

    func record(_ writes: [RunWrite]) async throws(JobrunError) {
        state.withLock { $0.written += writes.map { "\($0.record.run) \($0.record.status.rawValue)" } }
    }
    var lookInterval: Duration { .seconds(1) }

    func claim(_ claim: ClaimRequest) async throws(JobrunError) -> ClaimAnswer {
        state.withLock { $0.asked.append(claim.name) }
        guard let answer = answers[claim.name] else { throw JobrunError(.state, "the cluster is unreachable") }
        return answer
    }

    func ended(_ runs: [(task: String, due: Instant)]) async throws(JobrunError) -> [(index: Int, failed: Bool)] {
        state.withLock { $0.looks += 1 }
        return runs.indices.map { ($0, failedElsewhere) }
    }
}

private struct Immediate: Executor {
    func run(_ request: AttemptRequest, now: @Sendable () -> Instant) async -> AttemptRecord {
        AttemptRecord(attempt: request.attempt, status: .succeeded, startedAt: now(), finishedAt: now())
    }
}

/// The ``Scheduler`` actor with claims, on a manual clock.
@Suite struct ClusterSchedulerTests {
    private let wallStart = Instant(seconds: 1_800_000_000)

    private func scheduler(_ claims: ScriptedClaims, clock: ManualClock) throws -> Scheduler<ManualClock> {
        let v = JobFileValidator().validate(Array("tasks:\n  - {name: a, command: x}\n  - {name: c, command: x, after: [a]}\n".utf8))
        var setup = SchedulerSetup(workers: 2, jitterSeed: 1)
        setup.cluster = true
        setup.resume = Resume(histories: ByTask(repeating: TaskHistory(), count: 2))
        return Scheduler(file: try #require(v.file), setup: setup, clock: clock, wallOrigin: wallStart, executor: Immediate(),
                         claims: claims, emit: { _ in })
    }

    @Test func aDependentWaitsForTheEndOfARunAnotherReplicaTookLookingOnTheClock() async throws {
        let clock = ManualClock()
        let claims = ScriptedClaims(["a": .taken, "c": .mine(run: 3)])
        let scheduler = try scheduler(claims, clock: clock)
        let run = Task { await scheduler.run() }
        // Asleep until the look at other replicas' runs (and for runs to take over); c not
        // claimed before a's end is known.
        #expect(await clock.waitForSleepers(2))
        #expect(claims.asked == ["a"] && claims.looks == 0)
        clock.advance(by: .seconds(1))
        let book = await run.value
        #expect(claims.asked == ["a", "c"] && claims.looks == 1)
        #expect(book.records.map(\.run) == [3] && book.records.map(\.status) == [.succeeded])
        // Only this replica's run is written, under the cluster's number, running before it starts.
        #expect(claims.written == ["3 running", "3 succeeded"])
    }

    @Test func aFailedClaimStopsTheRunAsAFailedStoreDoes() async throws {
        let clock = ManualClock()
        let claims = ScriptedClaims([:])
        let scheduler = try scheduler(claims, clock: clock)
        let book = await scheduler.run()
        #expect(claims.asked == ["a"])
        #expect(await scheduler.storeFailure?.message == "the cluster is unreachable")
        // a, whose claim failed, and c, which waited for it: neither ran.
        #expect(book.records.map(\.status) == [.cancelled, .cancelled])
        #expect(book.records.first?.reason == RecordMessage.Stopper.state.beforeItStarted)
    }

    /// A replica whose schedule is done stays while the cluster has runs of its file that a
    /// replica may have to run, and takes over one that is lost meanwhile.
    @Test func aReplicaWhoseScheduleIsDoneStaysUntilTheClustersIs() async throws {
        let clock = ManualClock()
        let claims = ScriptedClaims(["a": .mine(run: 1), "c": .mine(run: 1)], busyLooks: 2)
        let scheduler = try scheduler(claims, clock: clock)
        let run = Task { await scheduler.run() }
        // Its own runs done, it looks at once and finds another replica's run under way.
        for _ in 0..<20_000 where claims.settleLooks == 0 { try await Task.sleep(for: .milliseconds(1)) }
        #expect(claims.written == ["1 running", "1 succeeded", "1 running", "1 succeeded"])
        // That run is lost: this replica takes it over, runs it, and ends once nothing is left.
        claims.lose(Adoption(task: TaskIndex(0), run: 7, due: wallStart))
        let driver = Task {
            while !Task.isCancelled {
                if await clock.waitForSleepers(1), !Task.isCancelled { clock.advance(by: .seconds(1)) }
                try? await Task.sleep(for: .milliseconds(2))
            }
        }
        let book = await run.value
        driver.cancel()
        await driver.value
        #expect(claims.adopted == 1)
        #expect(book.records.map(\.run.value).sorted() == [1, 1, 7])
        #expect(claims.settleLooks > 2, "it stayed while the other run was under way")
    }

    @Test func aFreeWorkerTakesOverARunAnotherReplicaGaveBack() async throws {
        let clock = ManualClock()
        let given = Adoption(task: TaskIndex(0), run: 9, due: wallStart + (.zero - .seconds(60)))
        let claims = ScriptedClaims(["a": .taken, "c": .mine(run: 3)], adoptions: [given])
        let scheduler = try scheduler(claims, clock: clock)
        let run = Task { await scheduler.run() }
        #expect(await clock.waitForSleepers(2))
        #expect(claims.adopted == 0, "looked for after a wait, not at once")
        clock.advance(by: .seconds(1))
        let book = await run.value
        #expect(claims.adopted == 1)
        let a = try #require(book.records.first { $0.run == 9 })
        #expect(a.task == TaskIndex(0) && a.status == .succeeded && a.nominalDueAt == given.due)
        #expect(claims.written.contains("9 running") && claims.written.contains("9 succeeded"))
    }
}
