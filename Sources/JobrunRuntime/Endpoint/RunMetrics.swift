import JobrunCore

/// What `/metrics` shows (README, "Metrics, health and status"), in the Prometheus text
/// format. Counts follow the scheduler's events as they happen (a few integers per task under
/// one lock); the gauges of the moment (running, queued, next due) are read from the
/// scheduler's status at each scrape. The text is written straight into one buffer, every
/// value an integer of milliseconds or a count: with 1,000 tasks (about 21,000 lines) a
/// scrape answers in about 2 ms, where a general registry took 9 (README).
public final class RunMetrics: Sendable {
    private struct TaskCounts {
        /// By ``RunStatus`` (its position in `allCases`).
        var runs = [Int](repeating: 0, count: RunStatus.allCases.count)
        /// By ``AttemptStatus``.
        var attempts = [Int](repeating: 0, count: AttemptStatus.allCases.count)
        /// Runs whose duration fell in each bucket (not cumulative; the last is +Inf only).
        var buckets = [Int](repeating: 0, count: RunMetrics.bucketBounds.count + 1)
        var durationCount = 0
        var durationSumMs: Int64 = 0
        /// By ``RunStatus``: when the last run with it ended, in milliseconds since the epoch.
        var lastEndMs = [Int64?](repeating: nil, count: RunStatus.allCases.count)
    }

    private struct State {
        /// Per task: `task="<name>"`, escaped, as it goes between the braces.
        var labels: [[UInt8]] = []
        var counts: [TaskCounts] = []
        /// When each run that has started began, until it ends (for its duration).
        var starts: [RunKey: Instant] = [:]
        var reloads = (succeeded: 0, failed: 0)
    }

    private struct RunKey: Hashable {
        var task: TaskIndex
        var run: RunNumber
    }

    private let state = Locked(State())
    private let workers = Locked(0)

    /// Upper bounds of `jobrun_run_duration_seconds`' buckets, in milliseconds: batch jobs take
    /// from milliseconds to hours.
    static let bucketBounds: [Int64] = [100, 500, 1000, 5000, 10_000, 30_000, 60_000, 300_000, 600_000,
                                        1_800_000, 3_600_000, 7_200_000, 21_600_000]
    private static let runStatuses = RunStatus.allCases
    private static let attemptStatuses = AttemptStatus.allCases

    /// Metrics for a file whose tasks are `names`, run on `workers` workers.
    public init(names: [String], workers: Int) {
        add(names)
        self.workers.withLock { $0 = workers }
    }

    /// Tasks a reload added, in the order of their positions.
    public func add(_ names: [String]) {
        let labels = names.map { name -> [UInt8] in
            var out = Array("task=\"".utf8)
            Self.appendEscaped(name, to: &out)
            out.append(UInt8(ascii: "\""))
            return out
        }
        state.withLock { s in
            s.labels += labels
            s.counts += Array(repeating: TaskCounts(), count: labels.count)
        }
    }

    /// The worker pool's size, after a reload changed it.
    public func setWorkers(_ n: Int) { workers.withLock { $0 = n } }

    /// Takes in one scheduler event.
    public func observe(_ event: SchedulerEvent) {
        switch event {
        case .started(let t, let run, let attempt, let at):
            if attempt == 1 { state.withLock { $0.starts[RunKey(task: t, run: run)] = at } }
        case .attemptFinished(let t, _, let a):
            let i = Self.attemptStatuses.firstIndex(of: a.status)!
            state.withLock { $0.counts[t.position].attempts[i] += 1 }
        case .finished(let t, let run, let status, _, let at):
            let i = Self.runStatuses.firstIndex(of: status)!
            state.withLock { s in
                s.counts[t.position].runs[i] += 1
                s.counts[t.position].lastEndMs[i] = at.milliseconds
                if let started = s.starts.removeValue(forKey: RunKey(task: t, run: run)) {
                    let ms = Swift.max(0, (at - started).milliseconds)
                    let bucket = Self.bucketBounds.firstIndex { ms <= $0 } ?? Self.bucketBounds.count
                    s.counts[t.position].buckets[bucket] += 1
                    s.counts[t.position].durationCount += 1
                    s.counts[t.position].durationSumMs += ms
                }
            }
        case .queued, .retrying, .triggered, .nextDue:
            break
        }
    }

    /// Counts a reload of the file.
    public func reloaded(succeeded: Bool) {
        state.withLock { s in
            if succeeded { s.reloads.succeeded += 1 } else { s.reloads.failed += 1 }
        }
    }

    /// The text of `/metrics`, with the scheduler's state `rows` for the gauges of the moment.
    public func render(_ rows: [TaskStatus]) -> [UInt8] {
        let s = state.withLock { $0 }
        let workers = self.workers.withLock { $0 }
        var out = MetricsText(capacity: 1024 + s.labels.count * 1400)
        let runLabels = Self.runStatusLabels, attemptLabels = Self.attemptStatusLabels, le = Self.bucketLabelBytes

        out.family("jobrun_runs_total", "counter", "Runs that ended, by task and final status.")
        for (t, counts) in s.counts.enumerated() {
            for (i, n) in counts.runs.enumerated() where n > 0 {
                out.sample("jobrun_runs_total", s.labels[t], runLabels[i], count: n)
            }
        }
        out.family("jobrun_attempts_total", "counter", "Attempts that ended, by task and status.")
        for (t, counts) in s.counts.enumerated() {
            for (i, n) in counts.attempts.enumerated() where n > 0 {
                out.sample("jobrun_attempts_total", s.labels[t], attemptLabels[i], count: n)
            }
        }
        out.family("jobrun_run_duration_seconds", "histogram",
                   "How long runs took, from the first attempt's start to the last one's end (retry delays included).")
        for (t, counts) in s.counts.enumerated() where counts.durationCount > 0 {
            var cumulative = 0
            for b in Self.bucketBounds.indices {
                cumulative += counts.buckets[b]
                out.sample("jobrun_run_duration_seconds_bucket", s.labels[t], le[b], count: cumulative)
            }
            out.sample("jobrun_run_duration_seconds_bucket", s.labels[t], le[Self.bucketBounds.count], count: counts.durationCount)
            out.sample("jobrun_run_duration_seconds_sum", s.labels[t], milliseconds: counts.durationSumMs)
            out.sample("jobrun_run_duration_seconds_count", s.labels[t], count: counts.durationCount)
        }
        out.family("jobrun_last_run_timestamp_seconds", "gauge",
                   "When the task's last run with this status ended, in seconds since the epoch.")
        for (t, counts) in s.counts.enumerated() {
            for (i, ms) in counts.lastEndMs.enumerated() {
                if let ms { out.sample("jobrun_last_run_timestamp_seconds", s.labels[t], runLabels[i], milliseconds: ms) }
            }
        }
        out.family("jobrun_running", "gauge", "Runs running now, by task.")
        for row in rows where row.task.position < s.labels.count {
            out.sample("jobrun_running", s.labels[row.task.position], count: row.running)
        }
        out.family("jobrun_next_run_timestamp_seconds", "gauge",
                   "When the task's next run or retry is due, in seconds since the epoch; absent when none is.")
        for row in rows where row.task.position < s.labels.count {
            if let next = row.nextDueAt { out.sample("jobrun_next_run_timestamp_seconds", s.labels[row.task.position], milliseconds: next.milliseconds) }
        }
        out.family("jobrun_queued", "gauge", "Runs due and waiting for a worker.")
        out.sample("jobrun_queued", nil, count: rows.reduce(0) { $0 + $1.queued })
        out.family("jobrun_workers", "gauge", "The size of the worker pool.")
        out.sample("jobrun_workers", nil, count: workers)
        out.family("jobrun_reloads_total", "counter", "Reloads of the jobs file, by result.")
        out.sample("jobrun_reloads_total", Array("result=\"succeeded\"".utf8), count: s.reloads.succeeded)
        out.sample("jobrun_reloads_total", Array("result=\"failed\"".utf8), count: s.reloads.failed)
        return out.bytes
    }

    /// `,status="…"` for each run status and each attempt status, and `,le="…"` for each
    /// bucket and +Inf: written once, copied into every line.
    private static let runStatusLabels = runStatuses.map { Array(",status=\"\($0.rawValue)\"".utf8) }
    private static let attemptStatusLabels = attemptStatuses.map { Array(",status=\"\($0.rawValue)\"".utf8) }
    private static let bucketLabelBytes = (bucketLabels + ["+Inf"]).map { Array(",le=\"\($0)\"".utf8) }

    /// `le` of each bucket, in seconds (`0.1`, `5`, `3600`).
    private static let bucketLabels: [String] = bucketBounds.map { ms in
        var fraction = String(ms % 1000)
        fraction = String(repeating: "0", count: 3 - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return "\(ms / 1000)" + (fraction.isEmpty ? "" : "." + fraction)
    }

    /// A label value as the text format carries it: `\`, `"` and line feed escaped.
    static func appendEscaped(_ value: String, to out: inout [UInt8]) {
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\n"): out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            default: out.append(byte)
            }
        }
    }
}
