import JobrunCluster
import JobrunCore
import JobrunState

/// `jobrun --history` and `jobrun --status`: what the store recorded of a file's tasks.
struct StateAction {
    let file: String
    let jobs: JobFile
    let path: String
    let format: OutputFormat
    /// For `${NAME}` in a `postgres://` URL.
    let environment: [String: String]

    private var namespace: String { Jobrun.namespace(file: file, jobs: jobs) }

    /// A run as listed: its task, the run, the report's run object, and in a cluster the
    /// replica that holds or held it.
    private struct Listed {
        var task: String
        var record: RunRecord
        var json: String
        var replica: String?
    }

    /// Runs `body` on a reader of the SQLite store, closing it after.
    private func reading<T>(_ body: (StoreReader) throws(JobrunError) -> T) throws(JobrunError) -> T {
        let reader = try StoreReader.open(path: path, namespace: namespace)
        defer { reader.close() }
        return try body(reader)
    }

    /// Runs `body` on a reader of the cluster's PostgreSQL store, closing it after.
    private func readingCluster<T>(_ body: (ClusterStore) async throws(JobrunError) -> T) async throws(JobrunError) -> T {
        let url = try PostgresURL(EnvironmentReference.expand(path, from: environment).text)
        let store = try await ClusterStore.reading(url, namespace: namespace)
        do {
            let result = try await body(store)
            await store.close()
            return result
        } catch {
            await store.close()
            throw error
        }
    }

    private var isCluster: Bool { PostgresURL.isURL(path) }

    /// Recorded runs, newest first.
    func history(task: String?, status: String?, since: Instant?, limit: Int, console: inout Console) async throws(JobrunError) {
        let runs: [Listed]
        if isCluster {
            runs = try await readingCluster { store throws(JobrunError) in
                try await store.history(task: task, status: status, since: since, limit: limit)
            }.map { Listed(task: $0.task, record: $0.record, json: Report.runObject($0.record, indent: 0), replica: $0.replica) }
        } else {
            runs = try reading { reader throws(JobrunError) in
                try reader.history(task: task, status: status, since: since, limit: limit)
            }.map { Listed(task: $0.task, record: $0.record, json: $0.json) }
        }
        if format == .json {
            // The report's run objects, each with its task (and in a cluster its replica).
            let items = runs.map { run in
                "{\n  \"task\": \(JSONText.string(run.task)),"
                    + (run.replica.map { " \"replica\": \(JSONText.string($0))," } ?? "")
                    + run.json.drop { $0 != "{" }.dropFirst()
            }
            console.out(items.isEmpty ? "[]" : "[\n" + items.joined(separator: ",\n") + "\n]")
            return
        }
        guard !runs.isEmpty else {
            console.out("jobrun: no runs recorded\(task.map { " of \"\($0)\"" } ?? "") in \(path) (namespace \"\(namespace)\")")
            return
        }
        var table = [["TASK", "RUN", "STATUS", "DUE", "STARTED", "DURATION", "ATTEMPTS"] + (isCluster ? ["REPLICA"] : []) + ["NOTE"]]
        for run in runs {
            let r = run.record
            let duration = r.startedAt.flatMap { s in r.finishedAt.map { ValueSyntax.format($0 - s) } } ?? "–"
            let note = r.attempts.last?.error ?? r.reason ?? ""
            table.append([run.task, r.run.description, r.status.rawValue.replacingOccurrences(of: "_", with: " "),
                          r.dueAt.rfc3339, r.startedAt?.rfc3339 ?? "–", duration, String(r.attempts.count)]
                         + (isCluster ? [r.attempts.last?.replica ?? run.replica ?? "–"] : [])
                         + [note.count > 80 ? String(note.prefix(79)) + "…" : note])
        }
        console.out(Self.aligned(table))
    }

    /// One row per task: last run, running now, next due, the last ten.
    func status(console: inout Console) async throws(JobrunError) {
        let names = jobs.tasks.map(\.name)
        var summaries: [TaskRecordSummary] = []
        var holder: String?
        /// Whether a jobrun (or a replica of the cluster) runs the schedule now: the next due
        /// instant is then one that has not passed.
        var running = false
        var replicas: [ClusterReplica]?
        if isCluster {
            let (statuses, found) = try await readingCluster { store throws(JobrunError) in
                (try await store.status(of: names), try await store.replicas())
            }
            summaries = zip(names, statuses).map { name, s in
                TaskRecordSummary(task: name, lastRun: s.lastRun.map { StoreReader.StoredRun(task: name, record: $0.record, json: Report.runObject($0.record, indent: 0)) },
                                  running: s.running, history: s.history, recentSucceeded: s.recentSucceeded, recentFailed: s.recentFailed)
            }
            replicas = found
            running = found.contains { $0.live }
        } else {
            (summaries, holder) = try reading { reader throws(JobrunError) in
                (try reader.status(of: names), reader.holder())
            }
            running = holder != nil
        }
        let now = Instant.now()
        let nextDue = jobs.tasks.map { task -> Instant? in
            guard task.enabled else { return nil }
            let history = summaries[task.index.position].history
            var due = DueTimes(task, zone: jobs.zone, start: now, resuming: history)
            while let at = due.next() { if at >= now || !running { return at } }
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
            let listed = (replicas ?? []).map { r in
                JSONText.object([
                    "replica": JSONText.string(r.replica), "host": JSONText.string(r.host), "pid": String(r.pid),
                    "started_at": JSONText.string(r.startedAt.rfc3339), "seen_at": JSONText.string(r.seenAt.rfc3339),
                    "stopped_at": r.stoppedAt.map { JSONText.string($0.rfc3339) } ?? "null", "live": String(r.live),
                ])
            }
            console.out("{\"tasks\": [" + tasks.joined(separator: ", ") + "], \"replicas\": [" + listed.joined(separator: ", ") + "]}")
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
        let table = StatusTable(rows: rows, names: jobs.tasks.map(\.name), at: now).text()
        if let replicas {
            var listed = [["REPLICA", "HOST", "PID", "STARTED", "LAST SEEN", "STATE"]]
            for r in replicas {
                listed.append([r.replica, r.host, String(r.pid), r.startedAt.rfc3339, r.seenAt.rfc3339,
                               r.live ? "running" : r.stoppedAt.map { "left at \($0.rfc3339)" } ?? "gone (its lease ran out)"])
            }
            console.out(table + "\n\n" + (replicas.isEmpty ? "jobrun: no replica has joined the cluster" : Self.aligned(listed)))
            return
        }
        console.out((holder.map { "jobrun: the store is held by \($0)\n" } ?? "jobrun: no jobrun has the store open\n") + table)
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
