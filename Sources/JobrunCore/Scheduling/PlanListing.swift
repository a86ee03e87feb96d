/// What `jobrun --plan` shows: each task's next due times from a start instant.
public struct PlanListing: Sendable {
    /// One task's part of the plan.
    public struct Entry: Sendable {
        /// The task.
        public let task: TaskSpec
        /// Its next due times (empty for a disabled task).
        public let times: [Instant]
        /// True when the schedule ends within the times shown.
        public let exhausted: Bool
    }

    /// The zone times are shown in.
    public let zone: Zone
    /// The instant the plan starts from.
    public let start: Instant
    /// Entries in file order.
    public let entries: [Entry]

    /// Computes up to `limit` due times per task for a run starting at `start`.
    public init(_ file: JobFile, start: Instant, limit: Int) {
        zone = file.zone
        self.start = start
        entries = file.tasks.map { task in
            guard task.enabled else { return Entry(task: task, times: [], exhausted: true) }
            var due = DueTimes(task, zone: file.zone, start: start)
            var times: [Instant] = []
            var next = due.next().flatMap { Self.writable($0, zone: file.zone) }
            while times.count < limit, let t = next {
                times.append(t)
                next = due.next().flatMap { Self.writable($0, zone: file.zone) }
            }
            return Entry(task: task, times: times, exhausted: next == nil)
        }
    }

    /// `t`, when it can be written as a timestamp jobrun itself reads: a four-digit year, in
    /// UTC and in the zone (a schedule may reach beyond year 9999, a start before year 0).
    public static func writable(_ t: Instant, zone: Zone) -> Instant? {
        let years = 0...9999
        guard years.contains(CivilDateTime(localSeconds: t.seconds).year),
              years.contains(CivilDateTime(localSeconds: t.seconds + Int64(zone.offset(atUnix: t.seconds))).year) else { return nil }
        return t
    }

    /// An instant on the zone's wall clock with its UTC offset, e.g. `2026-12-01 03:00:00 +01:00`.
    public func local(_ t: Instant) -> String { zone.wallClock(t.seconds) }

    /// The plan as a table for a terminal: task, priority, schedule in words, and the next
    /// start times in the file's zone and in UTC (or why there are none).
    public func text(file: String) -> String {
        struct Row { var task = "", priority = "", schedule = "", local = "", utc = "" }
        var rows: [Row] = []
        for e in entries {
            let t = e.task
            var first = Row(task: Self.clip(t.name), priority: String(t.priority), schedule: ScheduleWords.describe(t, zone: zone))
            var notes: [String] = []
            if !t.enabled {
                notes.append("never (enabled: false)")
            } else {
                if !t.after.isEmpty {
                    let names = t.after.map { "\"\($0)\"" }.joined(separator: ", ")
                    let finish = t.after.count == 1 ? "finishes" : "finish"
                    if case .now = t.schedule, t.repeatInterval == nil {
                        notes.append("after \(names) \(finish) all runs successfully")
                    } else {
                        notes.append("after \(names) \(finish) all runs successfully, and not before:")
                    }
                }
                if t.jitter > .zero { notes.append("each run up to \(ValueSyntax.format(t.jitter)) later (jitter)") }
            }
            let showTimes = t.enabled && t.schedule != .never && !(notes.first?.hasSuffix("successfully") ?? false)
            var lines: [Row] = notes.map { Row(local: $0) }
            if showTimes {
                lines += e.times.map { Row(local: local($0), utc: $0.rfc3339) }
                if e.times.isEmpty { lines.append(Row(local: "never: no due time before `until`")) }
                else if e.exhausted { lines.append(Row(local: "then no more runs")) }
            }
            if let head = lines.first {
                first.local = head.local
                first.utc = head.utc
                lines.removeFirst()
            }
            rows.append(first)
            rows += lines
        }
        let header = Row(task: "TASK", priority: "PRI", schedule: "SCHEDULE", local: "NEXT RUNS (\(zone.identifier))", utc: "UTC")
        let all = [header] + rows
        func width(_ k: KeyPath<Row, String>) -> Int { all.map { $0[keyPath: k].count }.max() ?? 0 }
        let (w1, w2, w3, w4) = (width(\.task), width(\.priority), width(\.schedule), width(\.local))
        func pad(_ s: String, _ w: Int) -> String { s + String(repeating: " ", count: max(0, w - s.count)) }
        var out = "Plan for \(file) from \(local(start)) (\(start.rfc3339)), zone \(zone.identifier)\n\n"
        for r in all {
            let line = "\(pad(r.task, w1))  \(pad(r.priority, w2))  \(pad(r.schedule, w3))  \(pad(r.local, w4))  \(r.utc)"
            out += String(line.reversed().drop { $0 == " " }.reversed()) + "\n"
        }
        return out
    }

    /// A task name cut to 40 characters for the table.
    private static func clip(_ name: String) -> String {
        name.count > 40 ? String(name.prefix(39)) + "…" : name
    }

    /// The plan as JSON for tools: the start, the zone, and per task its next due times.
    public func json(file: String) -> String {
        let tasks = entries.map { e -> String in
            let t = e.task
            let times = e.times.map { time in
                JSONText.object(["local": JSONText.string(local(time)), "utc": JSONText.string(time.rfc3339)])
            }
            return JSONText.object([
                "name": JSONText.string(t.name), "type": JSONText.string(t.type.rawValue),
                "schedule": JSONText.string(ScheduleWords.describe(t, zone: zone)),
                "priority": String(t.priority), "enabled": t.enabled ? "true" : "false",
                "after": "[" + t.after.map(JSONText.string).joined(separator: ",") + "]",
                "jitter_ms": String(t.jitter.milliseconds),
                "times": "[" + times.joined(separator: ",") + "]",
                "more": e.exhausted || !t.enabled ? "false" : "true",
            ])
        }
        return JSONText.object([
            "file": JSONText.string(file), "zone": JSONText.string(zone.identifier),
            "start": JSONText.string(start.rfc3339), "tasks": "[" + tasks.joined(separator: ",\n") + "]",
        ])
    }
}
