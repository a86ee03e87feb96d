/// The JSON report of a run (README, "Running"; schemas/report.schema.json), built from the scheduler's records.
public struct Report: Sendable {
    /// How the run ended.
    public enum Outcome: String, Sendable {
        case completed, failed, interrupted
    }

    /// jobrun's version.
    public var version: String
    /// The jobs file, as given.
    public var configPath: String
    /// The SHA-256 of the jobs file.
    public var configSHA256: String
    /// When the run started.
    public var startedAt: Instant
    /// When it ended.
    public var finishedAt: Instant
    /// The worker pool's size.
    public var workers: Int
    /// The signal that stopped the run, if one did.
    public var signal: Int32?
    /// Every task of the file.
    public var tasks: [TaskSpec]
    /// Every run, in the order they came due.
    public var records: [RunRecord]
    /// Every reload of the file, in order.
    public var reloads: [ReloadRecord] = []

    /// Creates a report of `records` (every run) and what they count.
    public init(version: String, configPath: String, configSHA256: String, startedAt: Instant, finishedAt: Instant,
                workers: Int, signal: Int32?, tasks: [TaskSpec], records: [RunRecord]) {
        self.init(version: version, configPath: configPath, configSHA256: configSHA256, startedAt: startedAt,
                  finishedAt: finishedAt, workers: workers, signal: signal, tasks: tasks, records: records,
                  omitted: ByTask(repeating: 0, count: tasks.count), totals: Totals(counting: records))
    }

    /// Creates a report of the runs `book` kept, with the counts of every run.
    public init(version: String, configPath: String, configSHA256: String, startedAt: Instant, finishedAt: Instant,
                workers: Int, signal: Int32?, tasks: [TaskSpec], book: RunBook) {
        self.init(version: version, configPath: configPath, configSHA256: configSHA256, startedAt: startedAt,
                  finishedAt: finishedAt, workers: workers, signal: signal, tasks: tasks, records: book.records,
                  omitted: book.omitted, totals: book.totals)
    }

    private init(version: String, configPath: String, configSHA256: String, startedAt: Instant, finishedAt: Instant,
                 workers: Int, signal: Int32?, tasks: [TaskSpec], records: [RunRecord], omitted: ByTask<Int>, totals: Totals) {
        self.omitted = omitted
        self.totals = totals
        self.version = version
        self.configPath = configPath
        self.configSHA256 = configSHA256
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.workers = workers
        self.signal = signal
        self.tasks = tasks
        self.records = records
    }

    /// Counts of runs by final status, and of attempts.
    public struct Totals: Sendable, Equatable {
        public var runs = 0, succeeded = 0, failed = 0, timedOut = 0, skipped = 0, cancelled = 0, abandoned = 0, attempts = 0

        /// No run counted yet.
        public init() {}

        /// Every run of `runs` and its attempts counted.
        public init(counting runs: some Sequence<RunRecord>) {
            for run in runs { count(run) }
        }

        /// Counts `run` and its attempts.
        public mutating func count(_ run: RunRecord) {
            runs += 1
            attempts += run.attempts.count
            switch run.status {
            case .succeeded: succeeded += 1
            case .failed: failed += 1
            case .timedOut: timedOut += 1
            case .skipped: skipped += 1
            case .cancelled: cancelled += 1
            case .abandoned: abandoned += 1
            default: break
            }
        }
    }

    /// Every run and attempt of the invocation counted, the runs left out of ``records`` included.
    public let totals: Totals
    /// Per task, how many earlier runs ``records`` leaves out (`report_runs:`).
    public let omitted: ByTask<Int>

    public var outcome: Outcome {
        if signal != nil { return .interrupted }
        let t = totals
        return t.failed + t.timedOut + t.abandoned > 0 ? .failed : .completed
    }

    /// The process exit code (README, "Exit codes"): 128+N on a signal, 1 when a run failed or timed out, else 0.
    public var exitCode: Int32 {
        switch outcome {
        case .interrupted: ExitStatus.signal(signal ?? 0)
        case .failed: ExitStatus.runFailed
        case .completed: ExitStatus.success
        }
    }

    /// The report as JSON text, keys in the order schemas/report.schema.json lists them.
    public func json() -> String {
        let t = totals
        func time(_ i: Instant?) -> String { Self.time(i) }
        func ms(_ from: Instant?, _ to: Instant?) -> String { Self.ms(from, to) }
        var byTask = ByTask<[RunRecord]>(repeating: [], count: tasks.count)
        for r in records { byTask[r.task].append(r) }
        let taskJSON = tasks.taskIndices.map { i -> String in
            let task = tasks[i]
            let runs = byTask[i].sorted { $0.run < $1.run }.map { Self.runObject($0, indent: 8) }
            return Self.object([
                ("name", JSONText.string(task.name)), ("type", JSONText.string(task.type.rawValue)),
                ("priority", String(task.priority)), ("omitted_runs", String(omitted[i])),
                ("runs", Self.array(runs, indent: 6)),
            ], indent: 4)
        }
        var top: [(String, String)] = [
            ("jobrun", JSONText.string(version)),
            ("config", Self.object([("path", JSONText.string(configPath)), ("sha256", JSONText.string(configSHA256))], indent: 2)),
            ("started_at", time(startedAt)), ("finished_at", time(finishedAt)),
            ("duration_ms", ms(startedAt, finishedAt)), ("workers", String(workers)),
            ("outcome", JSONText.string(outcome.rawValue)),
        ]
        if let signal { top.append(("signal", String(signal))) }
        top.append(("exit_code", String(exitCode)))
        top.append(("totals", Self.object([
            ("runs", String(t.runs)), ("succeeded", String(t.succeeded)), ("failed", String(t.failed)),
            ("timed_out", String(t.timedOut)), ("skipped", String(t.skipped)), ("cancelled", String(t.cancelled)),
            ("abandoned", String(t.abandoned)), ("attempts", String(t.attempts)),
        ], indent: 2)))
        top.append(("reloads", Self.array(reloads.map(\.json), indent: 2)))
        top.append(("tasks", Self.array(taskJSON, indent: 2)))
        return Self.object(top, indent: 0) + "\n"
    }

    /// One run as the report lists it (schemas/report.schema.json, `tasks[].runs[]`), as JSON
    /// text indented by `indent`. `running`: the attempt under way while the run is `running`
    /// (the store records it so; the report never has one).
    public static func runObject(_ r: RunRecord, indent: Int, running: (attempt: Int, startedAt: Instant)? = nil) -> String {
        String(decoding: runObjectUTF8(r, indent: indent, running: running), as: UTF8.self)
    }

    /// ``runObject(_:indent:running:)`` as UTF-8 bytes.
    public static func runObjectUTF8(_ r: RunRecord, indent: Int, running: (attempt: Int, startedAt: Instant)? = nil) -> [UInt8] {
        var out = JSONOut(indent: indent, capacity: 256 + 320 * (r.attempts.count + 1))
        out.open("{")
        out.key("run"); out.number(r.run.value)
        out.key("status"); out.string(r.status.rawValue)
        out.key("due_at"); out.instant(r.dueAt)
        out.key("started_at"); out.instant(r.startedAt)
        out.key("finished_at"); out.instant(r.finishedAt)
        out.key("queue_ms"); out.milliseconds(r.dueAt, r.startedAt)
        out.key("duration_ms"); out.milliseconds(r.startedAt, r.finishedAt)
        if let reason = r.reason { out.key("reason"); out.string(reason) }
        if let trigger = r.trigger {
            out.key("triggered_by")
            out.open("{")
            out.key("task"); out.string(trigger.task)
            out.key("run"); out.number(trigger.run.value)
            out.key("status"); out.string(trigger.status.rawValue)
            out.close("}")
        }
        out.key("attempts")
        out.open("[")
        for a in r.attempts {
            out.item()
            attempt(a, to: &out)
        }
        if let running {
            out.item()
            out.open("{")
            out.key("attempt"); out.number(running.attempt)
            out.key("status"); out.string("running")
            out.key("started_at"); out.instant(running.startedAt)
            out.key("finished_at"); out.null()
            out.key("duration_ms"); out.null()
            out.key("stdout_tail"); out.string("")
            out.key("stderr_tail"); out.string("")
            out.close("}")
        }
        out.close("]")
        out.close("}")
        return out.bytes
    }

    /// One attempt as the report lists it.
    private static func attempt(_ a: AttemptRecord, to out: inout JSONOut) {
        out.open("{")
        out.key("attempt"); out.number(a.attempt)
        out.key("status"); out.string(a.status.rawValue)
        out.key("started_at"); out.instant(a.startedAt)
        out.key("finished_at"); out.instant(a.finishedAt)
        out.key("duration_ms"); out.milliseconds(a.startedAt, a.finishedAt)
        if let code = a.exitCode { out.key("exit_code"); out.number(code) }
        if let signal = a.signal { out.key("signal"); out.number(signal) }
        if let error = a.error { out.key("error"); out.string(error) }
        if let status = a.httpStatus { out.key("http_status"); out.number(status) }
        if let ms = a.responseMs { out.key("response_ms"); out.number(ms) }
        if let body = a.responseBody { out.key("response_body"); out.string(body) }
        if let log = a.stdoutLog { out.key("stdout_log"); out.string(log) }
        if let log = a.stderrLog { out.key("stderr_log"); out.string(log) }
        if let error = a.logError { out.key("log_error"); out.string(error) }
        if let replica = a.replica { out.key("replica"); out.string(replica) }
        out.key("stdout_tail"); out.string(a.stdoutTail)
        out.key("stderr_tail"); out.string(a.stderrTail)
        out.close("}")
    }

    private static func time(_ i: Instant?) -> String { i.map { JSONText.string($0.rfc3339) } ?? "null" }

    private static func ms(_ from: Instant?, _ to: Instant?) -> String {
        guard let from, let to else { return "null" }
        return String((to - from).milliseconds)
    }

    private static func object(_ fields: [(String, String)], indent: Int) -> String {
        var out = "{\n"
        out.reserveCapacity(fields.reduce(indent + 4) { $0 + $1.0.utf8.count + $1.1.utf8.count + indent + 8 })
        for (i, field) in fields.enumerated() {
            if i > 0 { out += ",\n" }
            for _ in 0..<(indent + 2) { out += " " }
            out += "\""
            out += field.0
            out += "\": "
            out += field.1
        }
        out += "\n"
        for _ in 0..<indent { out += " " }
        out += "}"
        return out
    }

    private static func array(_ items: [String], indent: Int) -> String {
        guard !items.isEmpty else { return "[]" }
        var out = "[\n"
        out.reserveCapacity(items.reduce(indent + 4) { $0 + $1.utf8.count + indent + 4 })
        for (i, item) in items.enumerated() {
            if i > 0 { out += ",\n" }
            for _ in 0..<(indent + 2) { out += " " }
            out += item
        }
        out += "\n"
        for _ in 0..<indent { out += " " }
        out += "]"
        return out
    }

    /// A Markdown summary for `$GITHUB_STEP_SUMMARY`: the outcome and a table of runs
    /// with status, duration and attempts.
    public func markdownSummary() -> String {
        let t = totals
        func cell(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ") }
        var lines = [
            "### jobrun: \(outcome.rawValue)\(signal.map { " (signal \($0))" } ?? "")",
            "",
            "\(t.runs) runs: \(t.succeeded) succeeded, \(t.failed) failed, \(t.timedOut) timed out, "
                + "\(t.skipped) skipped, \(t.cancelled) cancelled\(t.abandoned > 0 ? ", \(t.abandoned) abandoned" : ""); \(t.attempts) attempts",
            "",
        ]
        let left = omitted.values.reduce(0, +)
        if left > 0 {
            lines += ["The table lists \(records.count) run\(records.count == 1 ? "" : "s"), the last of each task (`report_runs`); "
                      + "\(left) earlier ones are counted above but not listed.", ""]
        }
        lines += [
            "| task | run | status | duration | attempts |",
            "|---|---|---|---|---|",
        ]
        for r in records.sorted(by: { ($0.task, $0.run) < ($1.task, $1.run) }) {
            let duration = r.startedAt.flatMap { s in r.finishedAt.map { ValueSyntax.format($0 - s) } } ?? "–"
            let status = r.status == .succeeded ? "✅ succeeded" : r.status == .skipped || r.status == .cancelled
                ? "⏭️ \(r.status.rawValue)" : "❌ \(r.status.rawValue.replacingOccurrences(of: "_", with: " "))"
            lines.append("| \(cell(tasks[r.task].name)) | \(r.run) | \(status) | \(duration) | \(r.attempts.count) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
