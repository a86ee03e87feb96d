import Foundation
import JobrunCore
import NIOPosix
import SQLiteNIO

/// The SQLite store (README, "State"): one file, WAL, created mode 0600, held by one jobrun at
/// a time. Every run is a row of `jobrun_runs` keyed by (namespace, task, run) holding the
/// report's run object; `jobrun_tasks` keeps where each schedule stands.
public actor SQLiteStore: RunRecorder {
    /// The store file.
    public nonisolated let path: String
    /// The file's namespace in the store (`name:`).
    public nonisolated let namespace: String
    private let connection: SQLiteConnection
    private let lock: StateLock?
    private let names: ByTask<String>
    private let keepHistory: Duration
    private var nextPrune: Instant
    private var closed = false

    /// Rows per INSERT; well under SQLite's limit on bound values.
    static let rowsPerStatement = 500

    private init(path: String, namespace: String, connection: SQLiteConnection, lock: StateLock?, names: ByTask<String>,
                 keepHistory: Duration, now: Instant) {
        self.path = path
        self.namespace = namespace
        self.connection = connection
        self.lock = lock
        self.names = names
        self.keepHistory = keepHistory
        self.nextPrune = now
    }

    /// Opens the store at `path` for a run of the tasks `names` under `namespace`: takes the
    /// lock, checks the file is a jobrun store this jobrun can read (creating or migrating it),
    /// records unfinished runs `abandoned`, and returns each task's history.
    public static func open(path: String, namespace: String, tasks names: [String], keepHistory: Duration,
                            holder: String, now: Instant) async throws(JobrunError) -> (SQLiteStore, Resume) {
        guard let lock = try StateLock.take(path) else {
            throw JobrunError(.state, try await describeHolder(path),
                              hint: "stop that jobrun first, or give this one another --state")
        }
        let connection: SQLiteConnection
        do {
            connection = try await SQLiteConnection.open(storage: .file(path: path))
        } catch {
            lock.release()
            throw StoreFailure.jobrunError(error, path: path, doing: "open")
        }
        do {
            try await prepare(connection, path: path)
            let store = SQLiteStore(path: path, namespace: namespace, connection: connection, lock: lock,
                                    names: ByTask(names), keepHistory: keepHistory, now: now)
            let resume = try await store.start(holder: holder, now: now)
            return (store, resume)
        } catch {
            try? await connection.close()
            if lock.created { unlink(path) }
            lock.release()
            throw error
        }
    }

    /// Checks what the file is, then creates or migrates the tables; the file is not written
    /// before it is known to be a jobrun store of this version or older (or empty).
    private static func prepare(_ db: SQLiteConnection, path: String) async throws(JobrunError) {
        do {
            _ = try await db.query("PRAGMA busy_timeout = 10000")
            let application = try await db.query("PRAGMA application_id").first?.columns.first?.data.integer ?? 0
            let version = try await db.query("PRAGMA user_version").first?.columns.first?.data.integer ?? 0
            let objects = try await db.query("SELECT count(*) FROM sqlite_schema").first?.columns.first?.data.integer ?? 0
            if Int64(application) != StoreSchema.applicationId && (application != 0 || version != 0 || objects != 0) {
                throw JobrunError(.state, "state \"\(path)\" is an SQLite database of another program, not a jobrun store",
                                  hint: "give jobrun a file of its own with --state or `state:`")
            }
            if Int64(version) > StoreSchema.version {
                throw JobrunError(.state, "state \"\(path)\" was written by a newer jobrun (store version \(version); "
                                  + "this jobrun reads up to \(StoreSchema.version))", hint: "run a newer jobrun, or give another --state")
            }
            if objects > 0 {
                let check = try await db.query("PRAGMA quick_check(1)").first?.columns.first?.data.string ?? ""
                if check != "ok" {
                    let found = check.replacingOccurrences(of: "*** in database main ***", with: "")
                        .split(whereSeparator: \.isNewline).joined(separator: "; ")
                    throw JobrunError(.state, "state \"\(path)\" is corrupt (SQLite: \(found))",
                                      hint: "restore it from a backup, or move it aside to start a new store")
                }
            }
            _ = try await db.query("PRAGMA journal_mode = WAL")
            // Durable against a killed jobrun (the WAL is written before each commit returns);
            // a power cut may lose the last commits, never the file.
            _ = try await db.query("PRAGMA synchronous = NORMAL")
            if Int64(version) < StoreSchema.version {
                _ = try await db.query("BEGIN IMMEDIATE")
                for step in StoreSchema.migrations[Int(version)...] {
                    for sql in step { _ = try await db.query(sql) }
                }
                _ = try await db.query("PRAGMA application_id = \(StoreSchema.applicationId)")
                _ = try await db.query("PRAGMA user_version = \(StoreSchema.version)")
                _ = try await db.query("COMMIT")
            }
        } catch let error as JobrunError {
            throw error
        } catch {
            throw StoreFailure.jobrunError(error, path: path, doing: "read")
        }
    }

    /// Records this jobrun as the holder, abandons what the last one left unfinished, and
    /// reads each task's history.
    private func start(holder: String, now: Instant) async throws(JobrunError) -> Resume {
        do {
            _ = try await connection.query(
                "INSERT INTO jobrun_holder (id, pid, host, since, version) VALUES (1, ?, ?, ?, ?) "
                    + "ON CONFLICT (id) DO UPDATE SET pid = excluded.pid, host = excluded.host, since = excluded.since, version = excluded.version",
                [.integer(Int(getpid())), .text(Self.hostName()), .text(now.rfc3339), .text(holder)])
            let abandoned = try await abandonUnfinished(now: now)
            var histories = ByTask(repeating: TaskHistory(), count: names.values.count)
            var index: [String: TaskIndex] = [:]
            for t in names.indices { index[names[t]] = t }
            for row in try await connection.query(
                "SELECT task, runs, instants, last_due_ms FROM jobrun_tasks WHERE namespace = ?", [.text(namespace)]) {
                guard let name = row.column("task")?.string, let t = index[name] else { continue }
                histories[t] = TaskHistory(runs: row.column("runs")?.integer ?? 0, instants: row.column("instants")?.integer ?? 0,
                                           lastDue: row.column("last_due_ms")?.integer.map { Instant(milliseconds: Int64($0)) })
            }
            try await prune(now: now)
            return Resume(histories: histories, abandoned: abandoned.compactMap { row in
                index[row.task].map { t in
                    var record = row.record
                    record.task = t
                    return record
                }
            })
        } catch let error as JobrunError {
            throw error
        } catch {
            throw StoreFailure.jobrunError(error, path: path, doing: "read")
        }
    }

    /// Every run left `running` or `retrying` (its jobrun was killed) becomes `abandoned`, in
    /// every namespace: whoever holds the lock is the only jobrun on the store. Returns them.
    private func abandonUnfinished(now: Instant) async throws -> [(task: String, record: RunRecord)] {
        let rows = try await connection.query(
            "SELECT namespace, task, run, status, due_ms, nominal_ms, instants, started_ms, record FROM jobrun_runs "
                + "WHERE status IN ('running', 'retrying')")
        guard !rows.isEmpty else { return [] }
        var found: [(task: String, record: RunRecord)] = []
        _ = try await connection.query("BEGIN IMMEDIATE")
        for row in rows {
            guard let ns = row.column("namespace")?.string, let task = row.column("task")?.string,
                  var record = RunRow.record(row) else { continue }
            record.status = .abandoned
            record.reason = RecordMessage.abandoned(found: now)
            record.finishedAt = now
            RunRow.abandon(&record, at: now)
            _ = try await connection.query(
                "UPDATE jobrun_runs SET status = 'abandoned', finished_ms = ?, record = ? WHERE namespace = ? AND task = ? AND run = ?",
                [.integer(Int(now.milliseconds)), .text(Report.runObject(record, indent: 0)), .text(ns), .text(task),
                 .integer(record.run.value)])
            if ns == namespace { found.append((task, record)) }
        }
        _ = try await connection.query("COMMIT")
        return found
    }

    /// Records `writes` in one transaction; returns once SQLite has committed it.
    public func record(_ writes: [RunWrite]) async throws(JobrunError) {
        guard !writes.isEmpty else { return }
        do {
            let chunks = stride(from: 0, to: writes.count, by: Self.rowsPerStatement).map {
                writes[$0..<Swift.min($0 + Self.rowsPerStatement, writes.count)]
            }
            if chunks.count > 1 { _ = try await connection.query("BEGIN IMMEDIATE") }
            for chunk in chunks {
                var binds: [SQLiteData] = []
                binds.reserveCapacity(chunk.count * 10)
                for write in chunk { RunRow.append(write, task: names[write.record.task], namespace: namespace, to: &binds) }
                let values = Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", count: chunk.count).joined(separator: ", ")
                _ = try await connection.query(
                    "INSERT INTO jobrun_runs (namespace, task, run, status, due_ms, nominal_ms, instants, started_ms, finished_ms, record) "
                        + "VALUES \(values) ON CONFLICT (namespace, task, run) DO UPDATE SET status = excluded.status, "
                        + "started_ms = excluded.started_ms, finished_ms = excluded.finished_ms, record = excluded.record",
                    binds)
            }
            if chunks.count > 1 { _ = try await connection.query("COMMIT") }
            let now = writes.last?.record.finishedAt ?? writes.last?.attemptStartedAt ?? nextPrune
            if now >= nextPrune { try await prune(now: now) }
        } catch {
            throw StoreFailure.jobrunError(error, path: path, doing: "write")
        }
    }

    /// Deletes ended runs due longer than `keep_history` ago, at most 1,000 at a time; comes
    /// back soon while there are more, else in an hour.
    private func prune(now: Instant) async throws {
        let cutoff = now + (.zero - keepHistory)
        let rows = try await connection.query(
            "DELETE FROM jobrun_runs WHERE (namespace, task, run) IN (SELECT namespace, task, run FROM jobrun_runs "
                + "WHERE namespace = ? AND due_ms < ? AND status NOT IN ('running', 'retrying') LIMIT 1000) RETURNING run",
            [.text(namespace), .integer(Int(cutoff.milliseconds))])
        nextPrune = now + (rows.count == 1000 ? .seconds(1) : .seconds(3600))
    }

    /// Closes the store: the holder row goes, the WAL is checkpointed, the lock released.
    public func close() async {
        guard !closed else { return }
        closed = true
        _ = try? await connection.query("DELETE FROM jobrun_holder")
        try? await connection.close()
        lock?.release()
    }

    static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "unknown host" }
        return String(cString: buffer)
    }

    /// The message for a store another jobrun holds, naming it from the holder row.
    private static func describeHolder(_ path: String) async throws(JobrunError) -> String {
        var who = "another jobrun"
        if let db = try? await StoreReader.connect(path) {
            if let row = try? await db.query("SELECT pid, host, since FROM jobrun_holder WHERE id = 1").first,
               let pid = row.column("pid")?.integer, let host = row.column("host")?.string, let since = row.column("since")?.string {
                who = "jobrun (pid \(pid) on \(host)) since \(since)"
            }
            try? await db.close()
        }
        return "state \"\(path)\" is in use by \(who)"
    }
}
