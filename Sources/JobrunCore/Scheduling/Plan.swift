/// What `jobrun --plan` shows: each task's next due times from a start instant.
public struct Plan: Sendable {
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
            while times.count < limit, let t = due.next() { times.append(t) }
            return Entry(task: task, times: times, exhausted: times.count < limit || due.next() == nil)
        }
    }

    /// An instant on the zone's wall clock with its UTC offset, e.g. `2026-12-01 03:00:00 +01:00`.
    public func local(_ t: Instant) -> String { zone.wallClock(t.seconds) }

    /// The plan as text for a terminal.
    public func text(file: String) -> String {
        var out = "Plan for \(file) from \(local(start)) (\(start.rfc3339)), zone \(zone.identifier)\n"
        for e in entries {
            let t = e.task
            out += "\n\(t.name)  (\(t.type.rawValue), priority \(t.priority))\n"
            out += "  when: \(ScheduleWords.describe(t, zone: zone))\n"
            guard t.enabled else {
                out += "  never (enabled: false)\n"
                continue
            }
            if !t.after.isEmpty {
                let names = t.after.map { "\"\($0)\"" }.joined(separator: ", ")
                if case .now = t.schedule, t.repeatInterval == nil {
                    out += "  after \(names) \(t.after.count == 1 ? "finishes" : "finish") all runs successfully\n"
                    continue
                }
                out += "  after \(names) \(t.after.count == 1 ? "finishes" : "finish") all runs successfully, and not before:\n"
            }
            if t.jitter > .zero { out += "  (each run up to \(ValueSyntax.format(t.jitter)) later: jitter)\n" }
            let width = String(e.times.count).count
            for (i, time) in e.times.enumerated() {
                let n = String(i + 1)
                out += "  \(String(repeating: " ", count: width - n.count))\(n). \(local(time))   \(time.rfc3339)\n"
            }
            if e.times.isEmpty {
                out += "  never: no due time before `until`\n"
            } else if e.exhausted {
                out += "  then no more runs\n"
            }
        }
        return out
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
