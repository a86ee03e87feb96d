import JobrunCore
import Synchronization
import Testing

@Suite struct SchedulerCoreTests {
    @Test func lowerPriorityRunsFirstWhenWorkersAreSaturated() throws {
        var sim = try Simulation("""
            workers: 1
            tasks:
              - {name: c, command: x, priority: 5}
              - {name: a, command: x, priority: 1}
              - {name: b, command: x, priority: 3}
              - {name: d, command: x, priority: 3}
            """)
        let records = sim.run()
        #expect(sim.started.map(\.0) == ["a", "b", "d", "c"])
        #expect(sim.started.map(\.3) == [0, 1, 2, 3])
        #expect(records.allSatisfy { $0.status == .succeeded })
    }

    @Test func repeatsAreFixedRateFromTheDueTimes() throws {
        // The busy task holds the only worker until 15 s: run 2 of "beat" starts late,
        // run 3 is still due at 20 s.
        var sim = try Simulation("""
            workers: 1
            tasks:
              - {name: beat, command: x, repeat: 10s, count: 3, priority: 50}
              - {name: busy, command: x, schedule: +5s, priority: 1}
            """, behaviour: { r in (r.task.name == "busy" ? 10 : 1, .succeeded) })
        let records = sim.run()
        #expect(sim.startsOf("beat") == [0, 15, 20])
        #expect(records.filter { $0.task == 0 }.map { ($0.dueAt - sim.start).milliseconds } == [0, 10_000, 20_000])
    }

    @Test func overlapSkipDropsRunsThatComeDueWhileOneIsRunning() throws {
        var sim = try Simulation("""
            tasks:
              - {name: slow, command: x, repeat: 10s, count: 4}
            """, behaviour: { _ in (25, .succeeded) })
        let records = sim.run()
        #expect(records.map(\.status) == [.succeeded, .skipped, .skipped, .succeeded])
        #expect(sim.startsOf("slow") == [0, 30])
        #expect(records[1].reason?.contains("overlap: skip") == true)
        #expect(records[1].startedAt == nil && records[1].attempts.isEmpty)
    }

    @Test func overlapQueueRunsThemOneAfterAnother() throws {
        var sim = try Simulation("""
            tasks:
              - {name: slow, command: x, repeat: 10s, count: 3, overlap: queue}
            """, behaviour: { _ in (25, .succeeded) })
        let records = sim.run()
        #expect(records.map(\.status) == [.succeeded, .succeeded, .succeeded])
        #expect(sim.startsOf("slow") == [0, 25, 50])
    }

    @Test func overlapAllowRunsThemAlongside() throws {
        var sim = try Simulation("""
            tasks:
              - {name: slow, command: x, repeat: 10s, count: 3, overlap: allow}
            """, behaviour: { _ in (25, .succeeded) })
        _ = sim.run()
        #expect(sim.startsOf("slow") == [0, 10, 20])
    }

    @Test(arguments: [
        ("exponential", "1m", [0.0, 1, 3, 7]),
        ("exponential", "2s", [0.0, 1, 3, 5]),
        ("fixed", "5m", [0.0, 1, 2, 3]),
    ])
    func retriesWaitOutTheirBackoff(backoff: String, cap: String, expected: [Double]) throws {
        var sim = try Simulation("""
            tasks:
              - {name: flaky, command: x, retries: 3, retry_delay: 1s, backoff: \(backoff), max_retry_delay: \(cap)}
            """, behaviour: { _ in (0, .failed) })
        let records = sim.run()
        #expect(sim.startsOf("flaky") == expected)
        #expect(records.count == 1)
        #expect(records[0].status == .failed)
        #expect(records[0].attempts.map(\.attempt) == [1, 2, 3, 4])
    }

    @Test func aRetryDoesNotHoldAWorker() throws {
        // While "flaky" waits 10 s to retry, the single worker runs "other".
        var sim = try Simulation("""
            workers: 1
            tasks:
              - {name: flaky, command: x, retries: 1, retry_delay: 10s, priority: 1}
              - {name: other, command: x, schedule: +2s}
            """, behaviour: { r in (1, r.task.name == "flaky" && r.attempt == 1 ? .failed : .succeeded) })
        let records = sim.run()
        #expect(sim.startsOf("other") == [2])
        #expect(sim.startsOf("flaky") == [0, 11])
        #expect(records.first { $0.task == 0 }?.status == .succeeded)
    }

    @Test func aTimedOutAttemptIsRetriedAndTheRunEndsTimedOut() throws {
        var sim = try Simulation("""
            tasks:
              - {name: hang, command: x, retries: 1, retry_delay: 0s, timeout: 5s}
            """, behaviour: { _ in (5, .timedOut) })
        let records = sim.run()
        #expect(records[0].status == .timedOut)
        #expect(records[0].attempts.map(\.status) == [.timedOut, .timedOut])
    }

    @Test func afterWaitsForSuccessAndSkipsWhenADependencyFailed() throws {
        var sim = try Simulation("""
            tasks:
              - {name: extract, command: x}
              - {name: transform, command: x, after: [extract]}
              - {name: broken, command: x}
              - {name: load, command: x, after: [transform, broken]}
              - {name: report, command: x, after: [load]}
            """, behaviour: { r in (r.task.name == "extract" ? 3 : 1, r.task.name == "broken" ? .failed : .succeeded) })
        let records = sim.run()
        #expect(sim.startsOf("transform") == [3])
        let status = Dictionary(uniqueKeysWithValues: records.map { ($0.task, $0.status) })
        #expect(status == [0: .succeeded, 1: .succeeded, 2: .failed, 3: .skipped, 4: .skipped])
        #expect(records.first { $0.task == 3 }?.reason?.contains("\"broken\" did not succeed") == true)
        #expect(records.first { $0.task == 4 }?.reason?.contains("\"load\" did not succeed") == true)
    }

    @Test func afterWaitsForEveryRunOfARepeatingTask() throws {
        var sim = try Simulation("""
            tasks:
              - {name: beat, command: x, repeat: 10s, count: 3}
              - {name: summary, command: x, after: [beat]}
            """)
        _ = sim.run()
        #expect(sim.startsOf("summary") == [21])
    }

    @Test func untilAndCountEndTheSchedule() throws {
        var sim = try Simulation("""
            tasks:
              - {name: a, command: x, repeat: 10s, until: +25s}
              - {name: b, command: x, schedule: "@every 7s", count: 2}
            """)
        _ = sim.run()
        #expect(sim.startsOf("a") == [0, 10, 20])
        #expect(sim.startsOf("b") == [7, 14])
    }

    @Test func forStopsSchedulingNewRunsAndTheRunEndsCleanly() throws {
        var sim = try Simulation("""
            tasks:
              - {name: forever, command: x, repeat: 10s}
              - {name: waits, command: x, after: [forever]}
            """)
        let records = sim.run(stopSchedulingAt: 35)
        #expect(sim.startsOf("forever") == [0, 10, 20, 30])
        #expect(sim.startsOf("waits") == [])
        // What never started is in the records, cancelled, with the reason.
        #expect(records.filter { $0.status == .succeeded }.count == 4)
        let cancelled = records.filter { $0.status == .cancelled }
        #expect(cancelled.map(\.reason) == ["--for ended before the run was due", "--for ended while the run waited for its after: tasks"])
        #expect(sim.now == sim.start + .seconds(35))
    }

    // `--for 1s` once went on retrying for many seconds, and a task waiting for another's
    // runs had no record at all.
    @Test func afterForNoRetryStartsAndARunningAttemptIsNotRetried() throws {
        var sim = try Simulation("""
            workers: 1
            tasks:
              - {name: flaky, command: x, retries: 5, retry_delay: 10s, priority: 1}
              - {name: long, command: x, retries: 5, retry_delay: 1s}
              - {name: queued, command: x}
            """, behaviour: { $0.task.name == "long" ? (30, .failed) : (1, .failed) })
        let records = sim.run(stopSchedulingAt: 5)
        let byName = Dictionary(grouping: records) { $0.task }
        // flaky failed once at 1 s and waited to retry: cancelled, with one attempt.
        let flaky = try #require(byName[0]?.first)
        #expect(flaky.status == .cancelled && flaky.reason == "--for ended while the run waited to retry" && flaky.attempts.count == 1)
        // long started at 1 s and was running at 5 s: it ran to its end (31 s), failed, no retry.
        #expect(sim.startsOf("long") == [1])
        #expect(byName[1]?.first?.status == .failed)
        #expect(byName[2]?.first?.status == .cancelled && byName[2]?.first?.reason == "--for ended before it started")
        #expect(sim.now == sim.start + .seconds(31))
    }

    @Test func shutdownCancelsRunningAndUnstartedRuns() throws {
        var sim = try Simulation("""
            workers: 1
            tasks:
              - {name: long, command: x, priority: 1}
              - {name: queued, command: x}
              - {name: later, command: x, schedule: +1h}
              - {name: waits, command: x, after: [long]}
            """, behaviour: { _ in (60, .succeeded) })
        let records = sim.run(shutdownAt: 5)
        let status = Dictionary(uniqueKeysWithValues: records.map { ($0.task, $0.status) })
        #expect(status == [0: .cancelled, 1: .cancelled, 2: .cancelled, 3: .cancelled])
        #expect(records.first { $0.task == 0 }?.attempts.first?.signal == 15)
        #expect(records.first { $0.task == 1 }?.attempts.isEmpty == true)
        #expect(records.first { $0.task == 2 }.map { ($0.dueAt - sim.start).milliseconds } == 3_600_000)
    }

    @Test func onlySelectedTasksRun() throws {
        var sim = try Simulation("""
            tasks:
              - {name: a, command: x}
              - {name: b, command: x, after: [a]}
              - {name: c, command: x}
            """, setup: { SchedulerSetup(workers: $0.workers, selected: [0, 1]) })
        _ = sim.run()
        #expect(Set(sim.started.map(\.0)) == ["a", "b"])
    }

    @Test func disabledTasksNeverRun() throws {
        var sim = try Simulation("""
            tasks:
              - {name: a, command: x, enabled: false}
              - {name: b, command: x}
            """)
        _ = sim.run()
        #expect(sim.started.map(\.0) == ["b"])
    }

    @Test func everyStatusChangeFollowsTheLifecycle() throws {
        // Every path a run can take: retries, overlap: queue, and after:.
        var sim = try Simulation("""
            workers: 2
            tasks:
              - {name: a, command: x, repeat: 3s, count: 5, retries: 2, retry_delay: 1s}
              - {name: b, command: x, repeat: 2s, count: 6, overlap: queue}
              - {name: c, command: x, after: [a]}
            """, behaviour: { r in (2.5, r.attempt == 1 && r.run.value % 2 == 0 ? .failed : .succeeded) })
        let records = sim.run()
        #expect(records.allSatisfy { $0.status.isFinal })
        // Each run's statuses, told by the events, from `scheduled` to its end: every step
        // must be a move the lifecycle table allows, and the last one the record's.
        var statuses: [String: [RunStatus]] = [:]
        for event in sim.events.all {
            switch event {
            case .queued(let t, let r, _): statuses["\(t)/\(r)", default: [.scheduled]].append(.queued)
            case .started(let t, let r, _, _): statuses["\(t)/\(r)", default: [.scheduled]].append(.running)
            case .retrying(let t, let r, _, _): statuses["\(t)/\(r)", default: [.scheduled]].append(.retrying)
            case .finished(let t, let r, let status, _, _): statuses["\(t)/\(r)", default: [.scheduled]].append(status)
            case .attemptFinished, .nextDue, .triggered: break
            }
        }
        #expect(statuses.count == records.count)
        #expect(statuses.values.contains { $0.contains(.retrying) }, "the file takes every path, retries included")
        for (run, path) in statuses {
            for (from, to) in zip(path, path.dropFirst()) { #expect(from.canMove(to: to), "\(run): \(path)") }
        }
        for record in records { #expect(statuses["\(record.task)/\(record.run)"]?.last == record.status) }
        #expect(RunStatus.queued.canMove(to: .running))
        #expect(!RunStatus.succeeded.canMove(to: .queued))
        #expect(!RunStatus.scheduled.canMove(to: .running))
    }

    /// The wall clock is read in whole milliseconds: the clock's origin is set back by the
    /// part cut off, so a run due at a wall instant is due on the clock at that moment, not
    /// up to a millisecond later.
    @Test func theTimebaseSetsItsOriginBackByTheCutOffPartOfTheWallClock() {
        let before = ContinuousClock.now
        let timebase = Timebase(clock: ContinuousClock(), wallOrigin: Instant(milliseconds: 1_000),
                                originAge: .microseconds(700))
        let after = ContinuousClock.now
        // 700 µs before the moment it was made, so between before − 700 µs and after − 700 µs.
        #expect(timebase.origin.duration(to: after) >= .microseconds(700))
        #expect(before.duration(to: timebase.origin) >= .microseconds(-700))
        #expect(timebase.clockInstant(Instant(milliseconds: 1_001)) == timebase.origin.advanced(by: .milliseconds(1)))
        #expect(timebase.now() >= Instant(milliseconds: 1_000))
    }
}
