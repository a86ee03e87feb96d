import JobrunCore
import Prometheus

/// What `/metrics` shows (README, "Metrics, health and status"): counters and the last-run
/// gauges follow the scheduler's events as they happen; the gauges of the moment (running,
/// queued, next due) are read from the scheduler's status at each scrape.
public final class RunMetrics: Sendable {
    private let registry = PrometheusCollectorRegistry()
    private let names: [String]
    private let workers: Int
    /// When each run that has started began, until it ends (for its duration).
    private let starts = Locked<[RunKey: Instant]>([:])
    /// The tasks whose next-run gauge is registered (a task with nothing due has none).
    private let nextRegistered = Locked<Set<Int>>([])

    private struct RunKey: Hashable {
        var task: TaskIndex
        var run: RunNumber
    }

    /// Buckets of `jobrun_run_duration_seconds`: batch jobs take from milliseconds to hours.
    static let durationBuckets: [Duration] = [
        .milliseconds(100), .milliseconds(500), .seconds(1), .seconds(5), .seconds(10), .seconds(30), .seconds(60),
        .seconds(300), .seconds(600), .seconds(1800), .seconds(3600), .seconds(7200), .seconds(21600),
    ]

    /// The metrics' names and help texts (SPEC §12 names them).
    enum Name {
        static func jobrun(_ name: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(namespace: "jobrun", metricName: name, unitName: unit, helpText: help)
        }
        static var runs: MetricNameDescriptor { jobrun("runs", "total", "Runs that ended, by task and final status.") }
        static var attempts: MetricNameDescriptor { jobrun("attempts", "total", "Attempts that ended, by task and status.") }
        static var duration: MetricNameDescriptor {
            jobrun("run_duration", "seconds", "How long runs took, from the first attempt's start to the last one's end (retry delays included).")
        }
        static var running: MetricNameDescriptor { jobrun("running", "", "Runs running now, by task.") }
        static var queued: MetricNameDescriptor { jobrun("queued", "", "Runs due and waiting for a worker.") }
        static var workers: MetricNameDescriptor { jobrun("workers", "", "The size of the worker pool.") }
        static var next: MetricNameDescriptor {
            jobrun("next_run_timestamp", "seconds", "When the task's next run or retry is due, in seconds since the epoch; absent when none is.")
        }
        static var last: MetricNameDescriptor {
            jobrun("last_run_timestamp", "seconds", "When the task's last run with this status ended, in seconds since the epoch.")
        }
        static var reloads: MetricNameDescriptor { jobrun("reloads", "total", "Reloads of the jobs file, by result.") }
    }

    /// Metrics for a file whose tasks are `names`, run on `workers` workers.
    public init(names: [String], workers: Int) {
        self.names = names
        self.workers = workers
        registry.makeGauge(descriptor: Name.workers).set(Int64(workers))
        registry.makeGauge(descriptor: Name.queued).set(Int64(0))
        for result in ["succeeded", "failed"] {
            _ = registry.makeCounter(descriptor: Name.reloads, labels: [("result", result)])
        }
        for name in names {
            registry.makeGauge(descriptor: Name.running, labels: [("task", name)]).set(Int64(0))
        }
    }

    /// Takes in one scheduler event.
    public func observe(_ event: SchedulerEvent) {
        switch event {
        case .started(let t, let run, let attempt, let at):
            if attempt == 1 { starts.withLock { $0[RunKey(task: t, run: run)] = at } }
        case .attemptFinished(let t, _, let a):
            registry.makeCounter(descriptor: Name.attempts, labels: [("task", names[t.position]), ("status", a.status.rawValue)]).increment()
        case .finished(let t, let run, let status, _, let at):
            let name = names[t.position]
            registry.makeCounter(descriptor: Name.runs, labels: [("task", name), ("status", status.rawValue)]).increment()
            registry.makeGauge(descriptor: Name.last, labels: [("task", name), ("status", status.rawValue)]).set(Double(at.milliseconds) / 1000)
            if let started = starts.withLock({ $0.removeValue(forKey: RunKey(task: t, run: run)) }) {
                registry.makeDurationHistogram(descriptor: Name.duration, labels: [("task", name)], buckets: Self.durationBuckets).record(at - started)
            }
        case .queued, .retrying, .triggered, .nextDue:
            break
        }
    }

    /// Counts a reload of the file.
    public func reloaded(succeeded: Bool) {
        registry.makeCounter(descriptor: Name.reloads, labels: [("result", succeeded ? "succeeded" : "failed")]).increment()
    }

    /// The text of `/metrics` with the scheduler's state `rows`.
    public func render(_ rows: [TaskStatus]) -> [UInt8] {
        var queued = 0
        var due = Set<Int>()
        for row in rows {
            let name = names[row.task.position]
            queued += row.queued
            registry.makeGauge(descriptor: Name.running, labels: [("task", name)]).set(Int64(row.running))
            if let next = row.nextDueAt {
                due.insert(row.task.position)
                registry.makeGauge(descriptor: Name.next, labels: [("task", name)])
                    .set(Double(next.milliseconds) / 1000)
            }
        }
        registry.makeGauge(descriptor: Name.queued).set(Int64(queued))
        let gone = nextRegistered.withLock { registered in
            defer { registered = due }
            return registered.subtracting(due)
        }
        for t in gone {
            registry.unregisterGauge(registry.makeGauge(descriptor: Name.next, labels: [("task", names[t])]))
        }
        return registry.emitToBuffer()
    }
}
