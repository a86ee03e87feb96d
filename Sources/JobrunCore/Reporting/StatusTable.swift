/// One task's state in a running jobrun.
public struct TaskStatus: Sendable, Equatable {
    /// The task's position in the file.
    public var task: TaskIndex
    /// The last run that ended succeeded, failed or timed out.
    public var lastRun: RunRecord?
    /// Runs of the task running now.
    public var running = 0
    /// Runs of the task waiting for a worker (or behind a run of their own, `overlap: queue`).
    public var queued = 0
    /// When its next run (or retry) is due, if one is.
    public var nextDueAt: Instant?
    /// How its last ten finished runs ended.
    public var recentSucceeded = 0
    public var recentFailed = 0

    /// A task with nothing recorded yet.
    public init(task: TaskIndex) { self.task = task }
}

/// The status table (SIGUSR1): one row per task.
public struct StatusTable: Sendable {
    /// One row per task, in file order.
    public let rows: [TaskStatus]
    /// The tasks' names, in file order.
    public let names: [String]
    /// When the table was taken.
    public let at: Instant

    /// Creates a table of `rows` for the tasks named `names`, taken at `at`.
    public init(rows: [TaskStatus], names: [String], at: Instant) {
        self.rows = rows
        self.names = names
        self.at = at
    }

    /// The table as text for a terminal, columns aligned.
    public func text() -> String {
        var table = [["TASK", "LAST RUN", "RUNNING", "NEXT DUE", "LAST 10"]]
        for row in rows {
            let last = row.lastRun.map { r in
                "#\(r.run) \(r.status.rawValue.replacingOccurrences(of: "_", with: " "))"
                    + (r.finishedAt.map { " at \($0.rfc3339)" } ?? "")
                    + (r.attempts.last?.replica.map { " on \($0)" } ?? "")
            } ?? "–"
            let name = names[row.task.position]
            table.append([
                name.count > 40 ? String(name.prefix(39)) + "…" : name, last, String(row.running),
                row.nextDueAt?.rfc3339 ?? "–",
                "\(row.recentSucceeded) succeeded, \(row.recentFailed) failed",
            ])
        }
        let widths = (0..<5).map { c in table.map { $0[c].count }.max() ?? 0 }
        let lines = table.map { cells in
            cells.enumerated().map { c, cell in
                c == cells.count - 1 ? cell : cell + String(repeating: " ", count: widths[c] - cell.count)
            }.joined(separator: "  ")
        }
        return "jobrun: status at \(at.rfc3339)\n" + lines.joined(separator: "\n") + "\n"
    }

    /// The table as JSON, in the shape of `jobrun --status --format json`: one object per task
    /// (`last_run` as the report writes a run).
    public func json() -> String {
        let tasks = rows.map { row in
            JSONText.object([
                "task": JSONText.string(names[row.task.position]),
                "last_run": row.lastRun.map { Report.runObject($0, indent: 0) } ?? "null",
                "running": String(row.running),
                "next_due_at": row.nextDueAt.map { JSONText.string($0.rfc3339) } ?? "null",
                "recent": JSONText.object(["succeeded": String(row.recentSucceeded), "failed": String(row.recentFailed)]),
            ])
        }
        return "{\"at\": \(JSONText.string(at.rfc3339)), \"tasks\": [" + tasks.joined(separator: ", ") + "], \"replicas\": []}"
    }
}
