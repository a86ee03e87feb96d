import Foundation
import JobrunCore
import SQLiteNIO

/// Reads a store without changing it, while a jobrun may be writing it (WAL readers do not
/// wait for the writer): `jobrun --history` and `jobrun --status`.
public struct StoreReader: Sendable {
    let connection: SQLiteConnection
    /// The store file.
    public let path: String
    /// The namespace read.
    public let namespace: String

    /// A read-only connection to `path`, which must exist.
    static func connect(_ path: String) async throws -> SQLiteConnection {
        var escaped = ""
        for ch in path.unicodeScalars {
            switch ch {
            case "%", "?", "#": escaped += String(format: "%%%02X", ch.value)
            default: escaped.unicodeScalars.append(ch)
            }
        }
        let db = try await SQLiteConnection.open(storage: .file(path: "file:\(escaped)?mode=ro"))
        _ = try await db.query("PRAGMA busy_timeout = 10000")
        return db
    }

    /// Opens the store at `path` to read `namespace`; a missing file, or one that is not a
    /// jobrun store this jobrun can read, is an error.
    public static func open(path: String, namespace: String) async throws(JobrunError) -> StoreReader {
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw JobrunError(.state, "state \"\(path)\" does not exist", errno: errno,
                              hint: "a run with --state or `state:` creates it")
        }
        do {
            let db = try await connect(path)
            do {
                let application = try await db.query("PRAGMA application_id").first?.columns.first?.data.integer ?? 0
                let version = try await db.query("PRAGMA user_version").first?.columns.first?.data.integer ?? 0
                if Int64(application) != StoreSchema.applicationId {
                    throw JobrunError(.state, "state \"\(path)\" is not a jobrun store")
                }
                if Int64(version) > StoreSchema.version {
                    throw JobrunError(.state, "state \"\(path)\" was written by a newer jobrun (store version \(version); "
                                      + "this jobrun reads up to \(StoreSchema.version))")
                }
                if Int64(version) < StoreSchema.version {
                    throw JobrunError(.state, "state \"\(path)\" is from an older jobrun",
                                      hint: "a run of this jobrun migrates it")
                }
            } catch {
                try? await db.close()
                throw error
            }
            return StoreReader(connection: db, path: path, namespace: namespace)
        } catch {
            throw StoreFailure.jobrunError(error, path: path, doing: "read")
        }
    }

    /// Closes the connection.
    public func close() async { try? await connection.close() }

    /// A run read back: its task's name and the report's run object.
    public struct StoredRun: Sendable {
        /// The task's name.
        public var task: String
        /// The run, from its row.
        public var record: RunRecord
        /// The report's run object, as stored.
        public var json: String
    }

    /// Recorded runs, newest first (by due instant, then run number): at most `limit`, of
    /// `task` if given, with `status` if given, due at or after `since` if given.
    public func history(task: String?, status: String?, since: Instant?, limit: Int) async throws(JobrunError) -> [StoredRun] {
        var sql = "SELECT task, run, status, due_ms, nominal_ms, instants, started_ms, finished_ms, record FROM jobrun_runs WHERE namespace = ?"
        var binds: [SQLiteData] = [.text(namespace)]
        if let task { sql += " AND task = ?"; binds.append(.text(task)) }
        if let status { sql += " AND status = ?"; binds.append(.text(status)) }
        if let since { sql += " AND due_ms >= ?"; binds.append(.integer(Int(since.milliseconds))) }
        sql += task == nil ? " ORDER BY due_ms DESC, run DESC LIMIT ?" : " ORDER BY run DESC LIMIT ?"
        binds.append(.integer(limit))
        return try await runs(sql, binds)
    }

    /// Per task of `names`: what `--status` shows.
    public func status(of names: [String]) async throws(JobrunError) -> [TaskRecordSummary] {
        var rows: [TaskRecordSummary] = []
        for name in names {
            let recent = try await runs(
                "SELECT task, run, status, due_ms, nominal_ms, instants, started_ms, finished_ms, record FROM jobrun_runs "
                    + "WHERE namespace = ? AND task = ? AND status NOT IN ('skipped', 'cancelled', 'running', 'retrying') "
                    + "ORDER BY run DESC LIMIT 10", [.text(namespace), .text(name)])
            let running = try await count(
                "SELECT count(*) FROM jobrun_runs WHERE namespace = ? AND task = ? AND status IN ('running', 'retrying')",
                [.text(namespace), .text(name)])
            let position = try await query("SELECT runs, instants, last_due_ms FROM jobrun_tasks WHERE namespace = ? AND task = ?",
                                           [.text(namespace), .text(name)]).first
            let history = TaskHistory(runs: position?.column("runs")?.integer ?? 0,
                                      instants: position?.column("instants")?.integer ?? 0,
                                      lastDue: position?.column("last_due_ms")?.integer.map { Instant(milliseconds: Int64($0)) })
            rows.append(TaskRecordSummary(task: name, lastRun: recent.first, running: running, history: history,
                                          recentSucceeded: recent.count { $0.record.status == .succeeded },
                                          recentFailed: recent.count { $0.record.status != .succeeded }))
        }
        return rows
    }

    /// The holder row: which jobrun has the store open now, if one does.
    public func holder() async -> String? {
        guard let row = try? await connection.query("SELECT pid, host, since FROM jobrun_holder WHERE id = 1").first,
              let pid = row.column("pid")?.integer, let host = row.column("host")?.string,
              let since = row.column("since")?.string
        else { return nil }
        return "pid \(pid) on \(host) since \(since)"
    }

    private func query(_ sql: String, _ binds: [SQLiteData]) async throws(JobrunError) -> [SQLiteRow] {
        do { return try await connection.query(sql, binds) } catch {
            throw StoreFailure.jobrunError(error, path: path, doing: "read")
        }
    }

    private func count(_ sql: String, _ binds: [SQLiteData]) async throws(JobrunError) -> Int {
        try await query(sql, binds).first?.columns.first?.data.integer ?? 0
    }

    private func runs(_ sql: String, _ binds: [SQLiteData]) async throws(JobrunError) -> [StoredRun] {
        try await query(sql, binds).compactMap { row in
            guard let task = row.column("task")?.string, let json = row.column("record")?.string,
                  let record = RunRow.record(row) else { return nil }
            return StoredRun(task: task, record: record, json: json)
        }
    }
}

/// One task's row of `jobrun --status`, from the store.
public struct TaskRecordSummary: Sendable {
    /// The task's name.
    public var task: String
    /// Its last run that succeeded, failed, timed out or was abandoned.
    public var lastRun: StoreReader.StoredRun?
    /// Runs recorded running or waiting to retry.
    public var running: Int
    /// Where its schedule stands.
    public var history: TaskHistory
    /// How its last ten such runs ended.
    public var recentSucceeded: Int, recentFailed: Int
}
