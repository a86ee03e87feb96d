import JobrunCore
import JobrunTestSupport
import Testing

/// A restart with a store: where each schedule continues, what counts toward `count`, and
/// which missed instants `catch_up` makes up. All on the pure core, at fixed instants.
@Suite struct ResumeTests {
    private static let start = Instant(seconds: 1_800_000_000)

    private func file(_ tasks: String) throws -> JobFile {
        let v = JobFileValidator().validate(Array("tasks:\n\(tasks)".utf8))
        return try #require(v.file, "\(v.diagnostics.map { $0.formatted(file: "t") })")
    }

    private func seconds(_ i: Instant) -> Int64 { (i.milliseconds - Self.start.milliseconds) / 1000 }

    /// The due times of the only task after a restart at `start` that found `history`, as
    /// seconds from `start` (negative: before it).
    private func resumed(_ yaml: String, _ history: TaskHistory, limit: Int = 4) throws -> [Int64] {
        let f = try file("  - {name: t, command: x, \(yaml)}\n")
        return Array(DueTimes(f.tasks[0], zone: f.zone, start: Self.start, resuming: history).prefix(limit)).map(seconds)
    }

    private func history(runs: Int = 3, instants: Int = 3, lastDue secondsFromStart: Int64) -> TaskHistory {
        TaskHistory(runs: runs, instants: instants, lastDue: Self.start + .seconds(secondsFromStart))
    }

    @Test func cronEveryAndRepeatContinueAfterTheLastRecordedDueInstant() throws {
        #expect(try resumed("schedule: '*/10 * * * * *'", history(lastDue: -30)) == [-20, -10, 0, 10])
        #expect(try resumed("schedule: '@every 1m'", history(lastDue: -90)) == [-30, 30, 90, 150])
        #expect(try resumed("repeat: 1m", history(lastDue: -90)) == [-30, 30, 90, 150])
        #expect(try resumed("schedule: +5s, repeat: 1h", history(lastDue: 60)) == [3660, 7260, 10860, 14460])
    }

    @Test func aRecordedTimestampDoesNotComeAgainAndNowMeansEachStart() throws {
        #expect(try resumed("schedule: 2027-01-15T08:00:00Z", history(runs: 1, instants: 1, lastDue: -100)) == [])
        #expect(try resumed("schedule: now", history(runs: 7, instants: 7, lastDue: -100)) == [0])
        #expect(try resumed("schedule: +30s", history(runs: 7, instants: 7, lastDue: -100)) == [30])
    }

    @Test func countCountsTheInstantsRecordedBefore() throws {
        #expect(try resumed("repeat: 10s, count: 5", history(runs: 3, instants: 3, lastDue: -5)) == [5, 15])
        #expect(try resumed("repeat: 10s, count: 3", history(runs: 3, instants: 3, lastDue: -5)) == [])
    }

    @Test func missedInstantsOfAFixedRateAreCountedWithoutWalkingThem() throws {
        let f = try file("  - {name: t, command: x, repeat: 1ms}\n")
        // Down for 30 days at one run a millisecond: 2,592,000,000 instants, counted at once.
        var due = DueTimes(f.tasks[0], zone: f.zone, start: Self.start,
                           resuming: TaskHistory(runs: 1, instants: 1, lastDue: Self.start + .seconds(-30 * 86_400)))
        let missed = due.takeMissed(before: Self.start, notBefore: Self.start + .seconds(-1), keep: 3)
        #expect(missed.count == 30 * 86_400 * 1000 - 1)
        #expect(missed.kept.map { $0.milliseconds - Self.start.milliseconds } == [-3, -2, -1])
        #expect(due.next() == Self.start)
    }

    /// Runs the file from `start` after a restart whose history puts each task's last due
    /// instant at `lastDue` seconds before start.
    private func simulate(_ tasks: String, lastDue: Int64, runs: Int = 5, seconds: Double = 30) throws -> Simulation {
        let f = try file(tasks)
        var sim = try Simulation("tasks:\n\(tasks)", setup: { f in
            var setup = SchedulerSetup(workers: 4, jitterSeed: 1)
            setup.resume = Resume(histories: ByTask(repeating: TaskHistory(runs: runs, instants: runs,
                                                                           lastDue: Self.start + .seconds(-lastDue)),
                                                    count: f.tasks.count))
            return setup
        }, behaviour: { _ in (1, .succeeded) })
        _ = f
        _ = sim.run(stopSchedulingAt: seconds)
        return sim
    }

    /// The records of a simulation, without the run `--for` cancelled before it was due.
    private func ended(_ sim: Simulation) -> [RunRecord] { sim.core.records.filter { $0.status != .cancelled } }

    // Each task below last ran 630 s before this start at a rate of one a minute: ten instants
    // (570 s to 30 s before start) were missed, and the next is 30 s after it.

    @Test func catchUpNoneRecordsOneSkippedRunNamingEveryMissedInstant() throws {
        let sim = try simulate("  - {name: t, command: x, repeat: 1m}\n", lastDue: 630, seconds: 45)
        let records = ended(sim)
        #expect(records.map(\.status) == [.skipped, .succeeded])
        #expect(records[0].run == 6)
        #expect(records[0].dueInstants == 10)
        #expect(seconds(records[0].dueAt) == -570)
        #expect(records[0].reason?.contains("missed 10 runs") == true)
        #expect(records[0].reason?.contains("catch_up: none") == true)
        // The schedule goes on at its rate, from after the last recorded instant.
        #expect(sim.startsOf("t") == [30])
        #expect(records[1].run == 7)
    }

    @Test func catchUpLatestRunsTheMostRecentMissedInstantAtStart() throws {
        let sim = try simulate("  - {name: t, command: x, repeat: 1m, catch_up: latest}\n", lastDue: 630, seconds: 45)
        let records = ended(sim)
        #expect(records.map(\.status) == [.skipped, .succeeded, .succeeded])
        #expect(records[0].dueInstants == 9)
        #expect(records[1].run == 7)
        #expect(seconds(records[1].dueAt) == -30)
        #expect(sim.startsOf("t") == [0, 30])
    }

    @Test func catchUpAllRunsEachMissedInstantOldestFirstOneAtATimeUpToTheLimit() throws {
        let sim = try simulate("  - {name: t, command: x, repeat: 1m, catch_up: all, catch_up_limit: 3}\n", lastDue: 630, seconds: 10)
        let records = ended(sim)
        #expect(records.map(\.status) == [.skipped, .succeeded, .succeeded, .succeeded])
        #expect(records[0].dueInstants == 7)
        // The schedule stands after the last instant the record names (-210 s): a start killed
        // before the runs made up are recorded finds only those left.
        #expect(seconds(records[0].nominalDueAt) == -210)
        #expect(records[0].reason?.contains("to \((Self.start + .seconds(-210)).rfc3339)") == true)
        #expect(records.dropFirst().map { seconds($0.dueAt) } == [-150, -90, -30])
        // overlap: skip does not drop the missed runs being made up: they queue behind each other.
        #expect(sim.startsOf("t") == [0, 1, 2])
    }

    @Test func catchUpWithinLeavesOlderInstantsToTheSkippedRecord() throws {
        let sim = try simulate("  - {name: t, command: x, repeat: 1m, catch_up: all, catch_up_within: 100s}\n", lastDue: 630, seconds: 10)
        let records = ended(sim)
        #expect(records[0].status == .skipped)
        #expect(records[0].dueInstants == 8)
        #expect(records[0].reason?.contains("catch_up_within (1m40s)") == true)
        #expect(records.dropFirst().map { seconds($0.dueAt) } == [-90, -30])
    }

    @Test func runNumbersContinueAndEveryStartIsWrittenBeforeItsAttempt() throws {
        let f = try file("  - {name: t, command: x, schedule: now}\n")
        var setup = SchedulerSetup(workers: 1, jitterSeed: 1)
        setup.resume = Resume(histories: ByTask([TaskHistory(runs: 41, instants: 41, lastDue: Self.start + .seconds(-3600))]))
        var core = SchedulerCore(file: f, setup: setup, start: Self.start, emit: { _ in })
        let starts = core.advance(to: Self.start)
        #expect(starts.map(\.request.run) == [42])
        let writes = core.takeWrites()
        #expect(writes.map(\.record.status) == [.running])
        #expect(writes.first?.attemptStartedAt == Self.start)
        let ended = AttemptRecord(attempt: 1, status: .succeeded, startedAt: Self.start, finishedAt: Self.start + .seconds(1))
        _ = core.attemptFinished(starts[0].run, record: ended, at: Self.start + .seconds(1))
        #expect(core.takeWrites().map(\.record.status) == [.succeeded])
    }

    @Test func aRunCancelledBeforeItWasDueIsNotWrittenSoARestartRunsIt() throws {
        let f = try file("  - {name: t, command: x, repeat: 1h}\n")
        var setup = SchedulerSetup(workers: 1, jitterSeed: 1)
        setup.resume = Resume(histories: ByTask([TaskHistory()]))
        var core = SchedulerCore(file: f, setup: setup, start: Self.start, emit: { _ in })
        let starts = core.advance(to: Self.start)
        _ = core.takeWrites()
        let ended = AttemptRecord(attempt: 1, status: .succeeded, startedAt: Self.start, finishedAt: Self.start + .seconds(1))
        _ = core.attemptFinished(starts[0].run, record: ended, at: Self.start + .seconds(1))
        core.shutdown(at: Self.start + .seconds(2))
        // Run 1's end is written; run 2 (due in an hour, cancelled now) is in the report only.
        #expect(core.takeWrites().map(\.record.run) == [1])
        #expect(core.records.map(\.status) == [.succeeded, .cancelled])
    }

    @Test func abandonedRunsArriveInTheBookAndCountAsFailed() throws {
        let f = try file("  - {name: t, command: x, schedule: now}\n")
        var lost = RunRecord(task: 0, run: 9, dueAt: Self.start + .seconds(-60))
        lost.status = .abandoned
        lost.reason = "killed"
        var setup = SchedulerSetup(workers: 1, jitterSeed: 1)
        setup.resume = Resume(histories: ByTask([TaskHistory(runs: 9, instants: 9, lastDue: Self.start + .seconds(-60))]),
                              abandoned: [lost])
        let core = SchedulerCore(file: f, setup: setup, start: Self.start, emit: { _ in })
        #expect(core.book.totals.abandoned == 1)
        #expect(core.records.first?.status == .abandoned)
    }
}
