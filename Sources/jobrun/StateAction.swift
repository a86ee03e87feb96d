import JobrunCore
import JobrunState

/// `jobrun --history` and `jobrun --status`: what the store recorded of a file's tasks.
struct StateAction {
    let file: String
    let jobs: JobFile
    let path: String
    let format: OutputFormat

    private var namespace: String { Jobrun.namespace(file: file, jobs: jobs) }

    /// Runs `body` on a reader of the store, closing it after.
    private func reading<T>(_ body: (StoreReader) throws(JobrunError) -> T) throws(JobrunError) -> T {
        if PostgresURL.isURL(path) { throw PostgresURL.notReadable(path) }
        let reader = try StoreReader.open(path: path, namespace: namespace)
        defer { reader.close() }
        return try body(reader)
    }

    /// Recorded runs, newest first.
    func history(task: String?, status: String?, since: Instant?, limit: Int, console: inout Console) throws(JobrunError) {
        let runs = try reading { reader throws(JobrunError) in
            try reader.history(task: task, status: status, since: since, limit: limit)
        }
        if format == .json {
            // The report's run objects, each with its task.
            let items = runs.map { run in
                "{\n  \"task\": \(JSONText.string(run.task))," + run.json.drop { $0 != "{" }.dropFirst()
            }
            console.out(items.isEmpty ? "[]" : "[\n" + items.joined(separator: ",\n") + "\n]")
            return
        }
        guard !runs.isEmpty else {
            console.out("jobrun: no runs recorded\(task.map { " of \"\($0)\"" } ?? "") in \(path) (namespace \"\(namespace)\")")
            return
        }
        var table = [["TASK", "RUN", "STATUS", "DUE", "STARTED", "DURATION", "ATTEMPTS", "NOTE"]]
        for run in runs {
            let r = run.record
            let duration = r.startedAt.flatMap { s in r.finishedAt.map { ValueSyntax.format($0 - s) } } ?? "–"
            let note = r.attempts.last?.error ?? r.reason ?? ""
            table.append([run.task, r.run.description, r.status.rawValue.replacingOccurrences(of: "_", with: " "),
                          r.dueAt.rfc3339, r.startedAt?.rfc3339 ?? "–", duration, String(r.attempts.count),
                          note.count > 80 ? String(note.prefix(79)) + "…" : note])
        }
        console.out(Self.aligned(table))
    }

    /// One row per task: last run, running now, next due, the last ten.
    func status(console: inout Console) throws(JobrunError) {
        let names = jobs.tasks.map(\.name)
        let (summaries, holder) = try reading { reader throws(JobrunError) in
            (try reader.status(of: names), reader.holder())
        }
        let now = Instant.now()
        let nextDue = jobs.tasks.map { task -> Instant? in
            guard task.enabled else { return nil }
            let history = summaries[task.index.position].history
            var due = DueTimes(task, zone: jobs.zone, start: now, resuming: history)
            while let at = due.next() { if at >= now || holder == nil { return at } }
            return nil
        }
        if format == .json {
            let tasks = summaries.enumerated().map { i, s in
                JSONText.object([
                    "task": JSONText.string(s.task),
                    "last_run": s.lastRun.map { $0.json } ?? "null",
                    "running": String(s.running),
                    "next_due_at": nextDue[i].map { JSONText.string($0.rfc3339) } ?? "null",
                    "recent": JSONText.object(["succeeded": String(s.recentSucceeded), "failed": String(s.recentFailed)]),
                ])
            }
            console.out("{\"tasks\": [" + tasks.joined(separator: ", ") + "], \"replicas\": []}")
            return
        }
        let rows = summaries.enumerated().map { i, s in
            var row = TaskStatus(task: TaskIndex(i))
            row.lastRun = s.lastRun?.record
            row.running = s.running
            row.nextDueAt = nextDue[i]
            row.recentSucceeded = s.recentSucceeded
            row.recentFailed = s.recentFailed
            return row
        }
        console.out((holder.map { "jobrun: the store is held by \($0)\n" } ?? "jobrun: no jobrun has the store open\n")
                    + StatusTable(rows: rows, names: jobs.tasks.map(\.name), at: now).text())
    }

    private static func aligned(_ table: [[String]]) -> String {
        let widths = table[0].indices.map { c in table.map { $0[c].count }.max() ?? 0 }
        return table.map { cells in
            cells.enumerated().map { c, cell in
                c == cells.count - 1 ? cell : cell + String(repeating: " ", count: widths[c] - cell.count)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
