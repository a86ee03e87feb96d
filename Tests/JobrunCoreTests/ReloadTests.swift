import JobrunCore
import Testing

/// A reload on the pure core: tasks matched by name, what each kind of change does to runs,
/// at fixed instants.
@Suite struct ReloadTests {
    private static let start = Instant(seconds: 1_800_000_000)

    private func file(_ yaml: String) throws -> JobFile {
        let v = JobFileValidator().validate(Array(yaml.utf8))
        return try #require(v.file, "\(v.diagnostics.map { $0.formatted(file: "t") })")
    }

    /// A core on `yaml` whose attempts the test ends itself.
    private struct Run {
        var core: SchedulerCore
        var running: [SchedulerCore.Start] = []
        var now = ReloadTests.start

        init(_ file: JobFile, workers: Int? = nil) {
            core = SchedulerCore(file: file, setup: SchedulerSetup(workers: workers ?? file.workers, jitterSeed: 1),
                                 start: ReloadTests.start, emit: { _ in })
            running = core.advance(to: now)
        }

        /// Moves time to `seconds` after start.
        mutating func at(_ seconds: Int64) {
            now = ReloadTests.start + .seconds(seconds)
            running += core.advance(to: now)
        }

        /// Ends the running attempts of `task`.
        mutating func end(_ task: String, _ status: AttemptStatus = .succeeded) {
            let ending = running.filter { $0.request.task.name == task }
            running.removeAll { $0.request.task.name == task }
            for s in ending {
                let record = AttemptRecord(attempt: s.request.attempt, status: status, startedAt: now, finishedAt: now)
                running += core.attemptFinished(s.run, record: record, at: now)
            }
        }

        mutating func reload(_ file: JobFile, workers: Int? = nil) -> ReloadChanges {
            let (changes, starts) = core.reload(file, workers: workers ?? file.workers, selecting: nil, histories: [:], at: now)
            running += starts
            return changes
        }

        func started(_ task: String) -> [SchedulerCore.Start] { running.filter { $0.request.task.name == task } }

        func runs(_ task: String) -> [RunRecord] {
            guard let t = core.file.tasks.first(where: { $0.name == task })?.index else { return [] }
            return core.records.filter { $0.task == t }.sorted { $0.run < $1.run }
        }
    }

    @Test func tasksAreMatchedByNameAndEachKindOfChangeDoesWhatItSays() throws {
        var run = Run(try file("""
            workers: 4
            tasks:
              - {name: same, command: a, schedule: '@every 10s'}
              - {name: edited, command: v1, schedule: '@every 10s'}
              - {name: gone, command: x, schedule: '@every 10s'}
            """))
        run.at(10)
        #expect(run.running.map(\.request.task.name).sorted() == ["edited", "gone", "same"])
        run.at(12)
        let changes = run.reload(try file("""
            workers: 4
            tasks:
              - {name: added, command: n}
              - {name: same, command: a, schedule: '@every 10s'}
              - {name: edited, command: v2, schedule: '@every 10s'}
            """))
        #expect(changes.added == ["added"] && changes.changed == ["edited"] && changes.removed == ["gone"])
        // The added task runs at once; the running attempts go on under the old definition.
        #expect(run.started("added").count == 1)
        #expect(run.started("edited").first?.request.task.command == .shell("v1"))
        for name in ["same", "edited", "gone", "added"] { run.end(name) }
        run.at(20)
        // Unchanged and changed tasks keep their schedule and run numbers; the changed one
        // runs its new definition; the removed one gets no new run.
        #expect(run.started("same").map(\.request.run) == [2])
        #expect(run.started("edited").map(\.request.run) == [2])
        #expect(run.started("edited").first?.request.task.command == .shell("v2"))
        #expect(run.started("edited").first?.request.task.revision == 1)
        #expect(run.started("gone").isEmpty)
        #expect(run.runs("gone").map(\.status) == [.succeeded])
        #expect(run.core.file.tasks.map(\.name) == ["same", "edited", "gone", "added"])
    }

    @Test func aChangedScheduleContinuesAfterTheLastDueInstantAndAOneTimeRunIsNotRepeated() throws {
        var run = Run(try file("""
            tasks:
              - {name: beat, command: x, schedule: '@every 10s'}
              - {name: once, command: x, schedule: now}
            """))
        run.end("once")
        run.at(10)
        run.end("beat")
        run.at(14)
        _ = run.reload(try file("""
            tasks:
              - {name: beat, command: x, repeat: 3s, schedule: +1s}
              - {name: once, command: y, schedule: +2s}
            """))
        // beat last came due at 10 s: every 3 s from there, the instants before now (13 s) not run.
        #expect(run.core.nextDue?.at == ReloadTests.start + .seconds(16))
        run.at(16)
        #expect(run.started("beat").map(\.request.run) == [2])
        run.at(30)
        #expect(run.started("once").isEmpty, "a one-time task that ran does not run again")
    }

    @Test func aRemovedTaskLosesItsQueuedRunsAndComesBackWithItsRunNumbers() throws {
        var run = Run(try file("""
            workers: 1
            tasks:
              - {name: busy, command: x}
              - {name: waiting, command: x}
            """))
        #expect(run.started("busy").count == 1)
        let without = try file("""
            workers: 1
            tasks:
              - {name: busy, command: x}
            """)
        #expect(run.reload(without).removed == ["waiting"])
        #expect(run.runs("waiting").map(\.status) == [.cancelled])
        #expect(run.runs("waiting").first?.reason == RecordMessage.removedByReload)
        run.end("busy")
        let back = run.reload(try file("""
            workers: 1
            tasks:
              - {name: busy, command: x}
              - {name: waiting, command: x}
            """))
        #expect(back.added == ["waiting"])
        #expect(run.started("waiting").map(\.request.run) == [2])
        #expect(run.core.file.tasks.count == 2, "it came back in its place")
    }

    @Test func moreWorkersStartWhatIsQueuedAndStoppingTakesNoReload() throws {
        let yaml = """
            workers: 1
            tasks:
              - {name: a, command: x}
              - {name: b, command: x}
              - {name: c, command: x}
            """
        var run = Run(try file(yaml))
        #expect(run.running.count == 1)
        _ = run.reload(try file(yaml.replacingOccurrences(of: "workers: 1", with: "workers: 3")))
        #expect(run.running.count == 3)

        run.core.shutdown(at: run.now)
        #expect(run.core.isStopping)
        let changes = run.reload(try file("tasks:\n  - {name: d, command: x}\n"))
        #expect(changes == ReloadChanges())
        #expect(run.core.file.tasks.count == 3)
    }

    @Test func removingAWaitingDisabledTaskOrATaskWithItsDependentLeavesNothingBehind() throws {
        // A disabled task that waits for another is counted nowhere: removing it must not
        // leave jobrun waiting for it forever.
        var run = Run(try file("""
            tasks:
              - {name: build, command: x}
              - {name: deploy, command: x, enabled: false, after: [build]}
            """))
        #expect(run.reload(try file("tasks:\n  - {name: build, command: x}\n")).removed == ["deploy"])
        run.end("build")
        #expect(run.core.isDone)

        // Removing a task and the one that waits for it: neither runs again.
        var pair = Run(try file("""
            tasks:
              - {name: a, command: x, repeat: 10s, count: 2}
              - {name: b, command: x, after: [a]}
              - {name: c, command: x, schedule: '@every 1h'}
            """))
        _ = pair.reload(try file("tasks:\n  - {name: c, command: x, schedule: '@every 1h'}\n"))
        pair.end("a")
        pair.at(30)
        #expect(pair.started("b").isEmpty && pair.runs("b").isEmpty)
        #expect(pair.runs("a").count == 1)
    }

    @Test func aRemovedTasksFailingAttemptIsNotRetriedAndABackTaskIsNotDoubled() throws {
        var run = Run(try file("""
            tasks:
              - {name: flaky, command: x, retries: 3, retry_delay: 1s, repeat: 10s}
              - {name: keep, command: x, schedule: '@every 1h'}
            """))
        _ = run.reload(try file("tasks:\n  - {name: keep, command: x, schedule: '@every 1h'}\n"))
        run.end("flaky", .failed)
        run.at(5)
        #expect(run.started("flaky").isEmpty)
        #expect(run.runs("flaky").map(\.status) == [.failed])

        // Removed while its attempt runs, then back: the attempt under way is still its
        // run, so the run due at the second reload is skipped (overlap: skip), not doubled.
        var again = Run(try file("""
            tasks:
              - {name: long, command: x, repeat: 10s}
            """))
        let keep = try file("tasks:\n  - {name: keep, command: x, schedule: '@every 1h'}\n")
        _ = again.reload(keep)
        again.at(3)
        #expect(again.reload(try file("tasks:\n  - {name: long, command: x, repeat: 10s}\n")).added == ["long"])
        #expect(again.started("long").count == 1)
        #expect(again.runs("long").map(\.status).last == .skipped)
    }

    @Test func disablingATaskReleasesWhatWaitsForItAndEnablingItRunsIt() throws {
        var run = Run(try file("""
            tasks:
              - {name: a, command: x, repeat: 10s, count: 3}
              - {name: b, command: x, after: [a]}
            """))
        run.end("a")
        _ = run.reload(try file("""
            tasks:
              - {name: a, command: x, repeat: 10s, count: 3, enabled: false}
              - {name: b, command: x, after: [a]}
            """))
        #expect(run.started("b").count == 1, "a is done as far as b is concerned")
        run.end("b")
        #expect(run.core.isDone)

        var off = Run(try file("""
            tasks:
              - {name: a, command: x, enabled: false}
              - {name: keep, command: x, schedule: '@every 1h'}
            """))
        _ = off.reload(try file("""
            tasks:
              - {name: a, command: x}
              - {name: keep, command: x, schedule: '@every 1h'}
            """))
        #expect(off.started("a").count == 1)
    }

    @Test func twoTasksChangedTogetherAreSetUpBeforeEitherIsReleased() throws {
        // a disabled and b (waiting for a) given a new schedule in one reload: b runs once,
        // on its new schedule, whichever of the two is handled first.
        var run = Run(try file("""
            tasks:
              - {name: a, command: x, schedule: +10m}
              - {name: b, command: x, schedule: +1h, after: [a]}
            """))
        run.at(60)
        _ = run.reload(try file("""
            tasks:
              - {name: a, command: x, schedule: +10m, enabled: false}
              - {name: b, command: x, schedule: +2h, after: [a]}
            """))
        run.at(3600)
        #expect(run.started("b").isEmpty, "not on the replaced schedule")
        run.at(60 + 7200)
        #expect(run.started("b").count == 1)
        run.end("b")
        run.at(4 * 3600)
        #expect(run.runs("b").count == 1)
        #expect(run.core.isDone)
    }

    @Test func aTaskNotRunYetThatGainsAnAfterWaitsAndKeepsItsInstant() throws {
        var run = Run(try file("""
            tasks:
              - {name: a, command: x, schedule: +2h}
              - {name: b, command: x, schedule: +1h}
            """))
        run.at(60)
        _ = run.reload(try file("""
            tasks:
              - {name: a, command: x, schedule: +2h}
              - {name: b, command: x, schedule: +1h, after: [a]}
            """))
        run.at(3600)
        #expect(run.started("b").isEmpty, "b waits for a now")
        run.at(7200)
        run.end("a")
        #expect(run.started("b").map { $0.request.run } == [1], "b runs once a is done, for its instant")
        #expect(run.runs("b").first?.nominalDueAt == ReloadTests.start + .seconds(3600))
    }

    @Test func aTaskAddedBackStartsAfreshWithItsRunNumbers() throws {
        var run = Run(try file("""
            tasks:
              - {name: x, command: x}
              - {name: keep, command: x, schedule: '@every 1h'}
            """))
        run.end("x")
        let keepOnly = try file("tasks:\n  - {name: keep, command: x, schedule: '@every 1h'}\n")
        _ = run.reload(keepOnly)
        run.at(10)
        _ = run.reload(try file("tasks:\n  - {name: x, command: x, schedule: +1h}\n  - {name: keep, command: x, schedule: '@every 1h'}\n"))
        run.at(20)
        _ = run.reload(try file("tasks:\n  - {name: x, command: x, schedule: +2h}\n  - {name: keep, command: x, schedule: '@every 1h'}\n"))
        run.at(20 + 7200)
        #expect(run.started("x").map { $0.request.run } == [2])
    }

    @Test func aTaskEnabledByAReloadNumbersItsRunsAfterTheStoresHistory() throws {
        let f = try file("""
            tasks:
              - {name: report, command: x, schedule: '@every 1m', enabled: false}
              - {name: keep, command: x, schedule: '@every 1h'}
            """)
        var setup = SchedulerSetup(workers: 2, jitterSeed: 1)
        setup.resume = Resume(histories: ByTask([TaskHistory(runs: 5, instants: 5, lastDue: ReloadTests.start + .seconds(-30)),
                                                 TaskHistory()]))
        var core = SchedulerCore(file: f, setup: setup, start: ReloadTests.start, emit: { _ in })
        _ = core.advance(to: ReloadTests.start)
        let (_, starts) = core.reload(try file("""
            tasks:
              - {name: report, command: x, schedule: '@every 1m'}
              - {name: keep, command: x, schedule: '@every 1h'}
            """), workers: 2, selecting: nil, histories: [:], at: ReloadTests.start + .seconds(10))
        #expect(starts.isEmpty)
        #expect(core.nextDue?.at == ReloadTests.start + .seconds(30), "it continues after its last recorded instant")
        let next = core.advance(to: ReloadTests.start + .seconds(30))
        #expect(next.map(\.request.run) == [6])
    }

    /// In a cluster, a task a reload adds takes the cluster's schedule, so that replicas
    /// reloading at different moments agree on its instants: from the cluster's start (not
    /// the reload), or after the cluster's last instant of it; a one-time task due at the
    /// cluster's start runs at the reload, once for the cluster.
    @Test func inAClusterAnAddedTaskTakesTheClustersSchedule() throws {
        let before = try file("tasks:\n  - {name: keep, command: x, schedule: '@every 1h'}\n")
        var setup = SchedulerSetup(workers: 4, jitterSeed: 1)
        setup.cluster = true
        setup.resume = Resume(histories: ByTask([TaskHistory()]))
        var core = SchedulerCore(file: before, setup: setup, start: ReloadTests.start, emit: { _ in })
        _ = core.advance(to: ReloadTests.start)
        let reloadAt = ReloadTests.start + .milliseconds(10_300)
        let (_, starts) = core.reload(try file("""
            tasks:
              - {name: keep, command: x, schedule: '@every 1h'}
              - {name: tick, command: x, repeat: 1s}
              - {name: once, command: x}
              - {name: more, command: x, repeat: 1s}
            """), workers: 4, selecting: nil,
            histories: ["more": TaskHistory(runs: 12, instants: 12, lastDue: ReloadTests.start + .seconds(11))], at: reloadAt)
        let claims = Dictionary(uniqueKeysWithValues: starts.compactMap { $0.claim }.map { ($0.name, $0.due) })
        #expect(claims["once"] == ReloadTests.start, "due at the cluster's start: it runs now, once for the cluster")
        #expect(claims["tick"] == nil && claims["more"] == nil)
        #expect(core.nextDue?.at == ReloadTests.start + .seconds(11), "tick on the cluster's instants, not the reload's")
        func claimed(_ starts: [SchedulerCore.Start]) -> [String] {
            starts.compactMap { $0.claim }.map { "\($0.name) \($0.due.milliseconds - ReloadTests.start.milliseconds)" }
        }
        #expect(claimed(core.advance(to: ReloadTests.start + .seconds(11))) == ["tick 11000"])
        #expect(claimed(core.advance(to: ReloadTests.start + .seconds(12))).contains("more 12000"), "after the cluster's last instant")
    }
}
