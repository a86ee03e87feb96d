import JobrunCore
import Synchronization
import Testing

/// `on_failure:` / `on_success:` on the pure core: which ends trigger which runs, once, with
/// what event, and what a notifier's own end does.
@Suite struct NotificationTests {
    /// The event of every attempt a simulation started, by task name.
    final class Told: Sendable {
        private let events = Mutex<[(String, RunEvent?)]>([])
        func note(_ request: AttemptRequest) { events.withLock { $0.append((request.task.name, request.event)) } }
        func of(_ task: String) -> [RunEvent?] { events.withLock { $0.filter { $0.0 == task }.map(\.1) } }
    }

    @Test func aFailedRunTriggersItsOnFailureTasksOnceAfterItsRetries() throws {
        let told = Told()
        var sim = try Simulation("""
            tasks:
              - {name: backup, command: x, retries: 2, retry_delay: 1s, backoff: fixed, on_failure: [alert, page], on_success: [yay]}
              - {name: alert, command: x, schedule: never}
              - {name: page, command: x, schedule: never}
              - {name: yay, command: x, schedule: never}
            """, behaviour: { r in
                told.note(r)
                return (2, r.task.name == "backup" ? .failed : .succeeded)
            })
        let records = sim.run()
        // Attempts at 0, 3 and 6 s, each 2 s long: the run fails for good at 8 s.
        #expect(sim.startsOf("backup") == [0, 3, 6])
        #expect(sim.startsOf("alert") == [8])
        #expect(sim.startsOf("page") == [8])
        #expect(sim.startsOf("yay") == [])
        let alert = try #require(records.first { $0.task == 1 })
        #expect(alert.trigger == RunTrigger(task: "backup", run: 1, status: .failed))
        #expect(alert.dueInstants == 0)
        #expect(alert.status == .succeeded)
        let event = try #require(told.of("alert").first ?? nil)
        #expect(event.task == "backup" && event.run == 1 && event.status == .failed)
        #expect(told.of("backup").allSatisfy { $0 == nil })
        #expect(sim.events.all.contains(.triggered(task: 1, run: 1, by: RunTrigger(task: "backup", run: 1, status: .failed))))
    }

    @Test func aSuccessTriggersOnSuccessAndEachEndIsToldEvenWhenTheNotifierIsBusy() throws {
        // Two runs end together, and the notifier (overlap: skip) is still busy with the first:
        // the second notification waits its turn instead of being skipped.
        var sim = try Simulation("""
            workers: 4
            tasks:
              - {name: a, command: x, on_success: [log]}
              - {name: b, command: x, on_success: [log]}
              - {name: log, command: x, schedule: never}
            """, behaviour: { r in (r.task.name == "log" ? 5 : 1, .succeeded) })
        let records = sim.run()
        #expect(sim.startsOf("log") == [1, 6])
        let logs = records.filter { $0.task == 2 }
        #expect(logs.map(\.status) == [.succeeded, .succeeded])
        #expect(Set(logs.compactMap { $0.trigger?.task }) == ["a", "b"])
        #expect(logs.map(\.run) == [1, 2])
    }

    @Test func aNotifiersOwnEndTriggersNothing() throws {
        var sim = try Simulation("""
            tasks:
              - {name: job, command: x, on_failure: [notify]}
              - {name: notify, command: x, schedule: never, on_failure: [fallback], on_success: [fallback]}
              - {name: fallback, command: x, schedule: never}
            """, behaviour: { r in (1, .failed) })
        let records = sim.run()
        #expect(sim.startsOf("notify") == [1])
        #expect(records.first { $0.task == 1 }?.status == .failed)
        #expect(sim.startsOf("fallback") == [])
    }

    @Test func defaultsNotifyEveryTaskButTheNotifiersThemselves() throws {
        var sim = try Simulation("""
            defaults: {on_failure: [alert]}
            tasks:
              - {name: a, command: x}
              - {name: b, command: x, on_failure: []}
              - {name: alert, command: x, schedule: never}
            """, behaviour: { _ in (1, .failed) })
        _ = sim.run()
        // a's failure is told once; b opted out; alert's own failure is told to nobody.
        #expect(sim.startsOf("alert") == [1])
    }

    @Test func whenForRunsOutTheLastFailureIsStillToldButNotWhenJobrunIsStopped() throws {
        let yaml = """
            tasks:
              - {name: job, command: x, on_failure: [alert]}
              - {name: alert, command: x, schedule: never}
            """
        var runFor = try Simulation(yaml, behaviour: { r in (r.task.name == "job" ? 5 : 1, .failed) })
        _ = runFor.run(stopSchedulingAt: 2)
        #expect(runFor.startsOf("alert") == [5])

        // Stopped by a signal, the job ends cancelled: nothing failed, so nothing is told.
        var stopped = try Simulation(yaml, behaviour: { r in (r.task.name == "job" ? 5 : 1, .failed) })
        let records = stopped.run(shutdownAt: 2)
        #expect(stopped.startsOf("alert") == [])
        #expect(records.first { $0.task == 0 }?.status == .cancelled)
    }

    @Test func aRunAbandonedByAKilledJobrunIsToldAtTheNextStart() throws {
        let told = Told()
        var sim = try Simulation("""
            tasks:
              - {name: job, command: x, schedule: '@daily', on_failure: [alert]}
              - {name: alert, command: x, schedule: never}
            """, setup: { f in
                var setup = SchedulerSetup(workers: 2, jitterSeed: 1)
                var abandoned = RunRecord(task: 0, run: 7, dueAt: Instant(seconds: 1_799_990_000))
                abandoned.status = .abandoned
                abandoned.reason = "the jobrun running it ended without recording its end (killed?)"
                var orphan = RunRecord(task: 1, run: 3, dueAt: Instant(seconds: 1_799_990_000))
                orphan.status = .abandoned
                orphan.trigger = RunTrigger(task: "job", run: 6, status: .failed)
                setup.resume = Resume(histories: ByTask(repeating: TaskHistory(), count: f.tasks.count), abandoned: [abandoned, orphan])
                return setup
            }, behaviour: { r in
                told.note(r)
                return (1, .succeeded)
            })
        _ = sim.run(stopSchedulingAt: 10)
        // Only job's run 7 is told: alert's own abandoned run 3 triggers nothing.
        #expect(sim.startsOf("alert") == [0])
        let event = try #require(told.of("alert").first ?? nil)
        #expect(event.task == "job" && event.run == 7 && event.status == .abandoned)
        #expect(event.error.contains("killed?"))
    }

    @Test func theEventCarriesTheLastAttemptsErrorAndTheEndOfItsOutput() {
        var record = RunRecord(task: 0, run: 4, dueAt: Instant(seconds: 0))
        record.status = .failed
        var attempt = AttemptRecord(attempt: 2, status: .failed, startedAt: Instant(seconds: 0), finishedAt: Instant(seconds: 1),
                                    error: "exited with status 3", stdoutTail: String(repeating: "o", count: 4000),
                                    stderrTail: "é" + String(repeating: "e", count: 200))
        attempt.exitCode = 3
        record.attempts = [attempt]
        let event = RunEvent(of: record, task: "export")
        #expect(event.error == "exited with status 3")
        #expect(event.output.utf8.count <= RunEvent.outputLimit)
        #expect(event.output.hasSuffix("é" + String(repeating: "e", count: 200)))
        #expect(event.output.hasPrefix("o"))
        #expect(event.environment.map(\.key) == ["JOBRUN_EVENT_TASK", "JOBRUN_EVENT_RUN", "JOBRUN_EVENT_STATUS",
                                                 "JOBRUN_EVENT_ERROR", "JOBRUN_EVENT_OUTPUT"])
        #expect(event.value(.run) == "4" && event.value(.status) == "failed")
        // A cut inside a character moves to the next one.
        #expect(RunEvent.tail("é" + String(repeating: "a", count: 4095)) == String(repeating: "a", count: 4095))
        #expect(RunEvent.tail("é" + String(repeating: "a", count: 4094)) == "é" + String(repeating: "a", count: 4094))
    }
}

extension NotificationTests {
    @Test func aRunTriggeredAtARestartIsNumberedAfterTheNotifiersHistory() throws {
        var sim = try Simulation("""
            tasks:
              - {name: job, command: x, schedule: '@daily', on_failure: [alert]}
              - {name: alert, command: x, schedule: never}
            """, setup: { f in
                var setup = SchedulerSetup(workers: 2, jitterSeed: 1)
                var abandoned = RunRecord(task: 0, run: 7, dueAt: Instant(seconds: 1_799_990_000))
                abandoned.status = .abandoned
                setup.resume = Resume(histories: ByTask([TaskHistory(runs: 7, instants: 7, lastDue: Instant(seconds: 1_799_990_000)),
                                                         TaskHistory(runs: 5, instants: 0, lastDue: nil)]),
                                      abandoned: [abandoned])
                return setup
            })
        let records = sim.run(stopSchedulingAt: 10)
        #expect(records.filter { $0.task == 1 }.map(\.run) == [6])
    }

    @Test func aStoreThatFailsAfterForRanOutCancelsTheTriggeredRunsLeft() throws {
        let f = try #require(JobFileValidator().validate(Array("""
            workers: 1
            tasks:
              - {name: a, command: x, on_failure: [n1, n2]}
              - {name: n1, command: x, schedule: never}
              - {name: n2, command: x, schedule: never}
            """.utf8)).file)
        let t0 = Instant(seconds: 1_800_000_000)
        var core = SchedulerCore(file: f, setup: SchedulerSetup(workers: 1, jitterSeed: 1), start: t0, emit: { _ in })
        let first = core.advance(to: t0)
        _ = core.stopScheduling(at: t0 + .seconds(1))
        let failed = AttemptRecord(attempt: 1, status: .failed, startedAt: t0, finishedAt: t0 + .seconds(2))
        let triggered = core.attemptFinished(first[0].run, record: failed, at: t0 + .seconds(2))
        #expect(triggered.map(\.request.task.name) == ["n1"])
        core.storeFailed(at: t0 + .seconds(2))
        let ended = AttemptRecord(attempt: 1, status: .failed, startedAt: t0 + .seconds(2), finishedAt: t0 + .seconds(2))
        _ = core.attemptFinished(triggered[0].run, record: ended, at: t0 + .seconds(2))
        #expect(core.isDone)
        #expect(core.records.first { $0.task == 2 }?.status == .cancelled)
    }
}
