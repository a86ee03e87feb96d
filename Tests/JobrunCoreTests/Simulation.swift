import JobrunCore
import Synchronization
import Testing

/// Every event the core emitted, in order.
final class EventLog: Sendable {
    private let events = Mutex<[SchedulerEvent]>([])
    func append(_ event: SchedulerEvent) { events.withLock { $0.append(event) } }
    var all: [SchedulerEvent] { events.withLock { $0 } }
}

/// A discrete-event simulation of a run: a manual clock that jumps to the next thing that
/// happens, and a fake executor whose attempts take a scripted time and end as scripted.
struct Simulation {
    struct Running { var finishAt: Instant; var order: Int; var run: RunIndex; var request: AttemptRequest; var startedAt: Instant }

    var core: SchedulerCore
    let events = EventLog()
    var now: Instant
    var running: [Running] = []
    var order = 0
    /// (task name, run, attempt, start offset in seconds)
    var started: [(String, Int, Int, Double)] = []
    let start: Instant
    let behaviour: (AttemptRequest) -> (seconds: Double, status: AttemptStatus)

    init(_ yaml: String, setup: (JobFile) -> SchedulerSetup = { SchedulerSetup(workers: $0.workers, jitterSeed: 1) },
         behaviour: @escaping (AttemptRequest) -> (seconds: Double, status: AttemptStatus) = { _ in (1, .succeeded) }) throws {
        let v = JobFileValidator().validate(Array(yaml.utf8))
        let file = try #require(v.file, "\(v.diagnostics.map { $0.formatted(file: "t") })")
        start = Instant(seconds: 1_800_000_000)
        now = start
        let events = self.events
        core = SchedulerCore(file: file, setup: setup(file), start: start, emit: { events.append($0) })
        self.behaviour = behaviour
    }

    private mutating func begin(_ starts: [SchedulerCore.Start]) {
        for s in starts {
            order += 1
            let (seconds, _) = behaviour(s.request)
            running.append(Running(finishAt: now + .milliseconds(Int64(seconds * 1000)), order: order, run: s.run,
                                   request: s.request, startedAt: now))
            started.append((s.request.task.name, s.request.run.value, s.request.attempt, Double((now - start).milliseconds) / 1000))
        }
    }

    private mutating func complete(_ r: Running, status: AttemptStatus) {
        let record = AttemptRecord(attempt: r.request.attempt, status: status, startedAt: r.startedAt, finishedAt: now,
                                   exitCode: status == .succeeded ? 0 : status == .failed ? 1 : nil,
                                   signal: status == .timedOut || status == .cancelled ? 15 : nil)
        begin(core.attemptFinished(r.run, record: record, at: now))
    }

    /// Runs until the core is done, or until `shutdownAt` seconds, or `limit` seconds.
    mutating func run(shutdownAt: Double? = nil, stopSchedulingAt: Double? = nil, limit: Double = 100_000) -> [RunRecord] {
        begin(core.advance(to: now))
        var stopped = false, shut = false
        while !core.isDone {
            var next = core.nextWake
            if let f = running.map(\.finishAt).min() { next = next.map { Swift.min($0, f) } ?? f }
            let stopAt = stopSchedulingAt.map { start + .milliseconds(Int64($0 * 1000)) }
            let shutAt = shutdownAt.map { start + .milliseconds(Int64($0 * 1000)) }
            if let stopAt, !stopped, next.map({ stopAt <= $0 }) ?? true {
                now = stopAt
                stopped = true
                begin(core.stopScheduling(at: now))
                continue
            }
            if let shutAt, !shut, next.map({ shutAt <= $0 }) ?? true {
                now = shutAt
                shut = true
                core.shutdown(at: now)
                // The executor ends every running attempt as cancelled.
                let all = running.sorted { $0.order < $1.order }
                running = []
                for r in all { complete(r, status: .cancelled) }
                continue
            }
            guard let next, (next - start) <= .seconds(Int64(limit)) else { break }
            now = next
            if let i = running.indices.filter({ running[$0].finishAt <= now }).min(by: { running[$0].order < running[$1].order }) {
                let r = running.remove(at: i)
                complete(r, status: behaviour(r.request).status)
            } else {
                begin(core.advance(to: now))
            }
        }
        return core.records
    }

    func startsOf(_ name: String) -> [Double] { started.filter { $0.0 == name }.map(\.3) }
}
