import Foundation
import JobrunCore
import GRDB

/// Reads a store without changing it, while a jobrun may be writing it (WAL readers do not
/// wait for the writer): `jobrun --history` and `jobrun --status`.
public struct StoreReader: Sendable {
    let queue: DatabaseQueue
    /// The store file.
    public let path: String
    /// The namespace read.
    public let namespace: String
    /// Whether a jobrun held the store when it was opened.
    let held: Bool

    /// A read-only connection to `path`, which must exist.
    static func connect(_ path: String) throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(10)
        configuration.foreignKeysEnabled = false
        return try DatabaseQueue(path: path, configuration: configuration)
    }

    /// Opens the store at `path` to read `namespace`; a missing file, or one that is not a
    /// jobrun store this jobrun can read, is an error.
    public static func open(path: String, namespace: String) throws(JobrunError) -> StoreReader {
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw JobrunError(.state, "state \"\(path)\" does not exist", errno: errno,
                              hint: "a run with --state or `state:` creates it")
        }
        // Before the connection: a descriptor of the store closed while SQLite has it open
        // would drop SQLite's own locks on it (POSIX locks are per process).
        SQLiteStore.applyLeftLog(path: path)
        let held = StateLock.isHeld(path)
        do {
            let queue = try connect(path)
            do {
                try queue.read { db in
                    let application = try Int64.fetchOne(db, sql: "PRAGMA application_id") ?? 0
                    let version = try Int64.fetchOne(db, sql: "PRAGMA user_version") ?? 0
                    if application != StoreSchema.applicationId {
                        throw JobrunError(.state, "state \"\(path)\" is not a jobrun store")
                    }
                    if version > StoreSchema.version {
                        throw JobrunError(.state, "state \"\(path)\" was written by a newer jobrun (store version \(version); "
                                          + "this jobrun reads up to \(StoreSchema.version))")
                    }
                    if version < StoreSchema.version {
                        throw JobrunError(.state, "state \"\(path)\" is from an older jobrun", hint: "a run of this jobrun migrates it")
                    }
                }
            } catch {
                try? queue.close()
                throw error
            }
            return StoreReader(queue: queue, path: path, namespace: namespace, held: held)
        } catch {
            throw StoreFailure.jobrunError(error, path: path, doing: "read")
        }
    }

    /// Closes the connection.
    public func close() { try? queue.close() }

    /// A run read back: its task's name and the report's run object.
    public struct StoredRun: Sendable {
        /// The task's name.
        public var task: String
        /// The run, from its row.
        public var record: RunRecord
        /// The report's run object, as stored.
        public var json: String

        /// A run of `task`: `record`, whose run object is `json`.
        public init(task: String, record: RunRecord, json: String) {
            self.task = task
            self.record = record
            self.json = json
        }
    }

    /// Recorded runs, newest first (by due instant, then run number): at most `limit`, of
    /// `task` if given, with `status` if given, due at or after `since` if given.
    public func history(task: String?, status: String?, since: Instant?, limit: Int) throws(JobrunError) -> [StoredRun] {
        var sql = "SELECT \(RunRow.columns) FROM jobrun_runs WHERE namespace = ?"
        var binds: [(any DatabaseValueConvertible)?] = [namespace]
        if let task { sql += " AND task = ?"; binds.append(task) }
        if let status { sql += " AND status = ?"; binds.append(status) }
        if let since { sql += " AND due_ms >= ?"; binds.append(since.milliseconds) }
        sql += task == nil ? " ORDER BY due_ms DESC, run DESC LIMIT ?" : " ORDER BY run DESC LIMIT ?"
        binds.append(limit)
        return try runs(sql, binds)
    }

    /// Per task of `names`: what `--status` shows.
    public func status(of names: [String]) throws(JobrunError) -> [TaskRecordSummary] {
        let positions: [String: TaskHistory]
        do { positions = try queue.read { db in try TaskPositions.read(db, namespace: namespace) } } catch {
            throw StoreFailure.jobrunError(error, path: path, doing: "read")
        }
        var rows: [TaskRecordSummary] = []
        for name in names {
            let recent = try runs(
                "SELECT \(RunRow.columns) FROM jobrun_runs "
                    + "WHERE namespace = ? AND task = ? AND status NOT IN ('skipped', 'cancelled', 'running', 'retrying') "
                    + "ORDER BY run DESC LIMIT 10", [namespace, name])
            // Runs under way are among a task's latest: its last 100 are looked at.
            let running = try query(
                "SELECT count(*) AS n FROM (SELECT status FROM jobrun_runs WHERE namespace = ? AND task = ? "
                    + "ORDER BY run DESC LIMIT 100) WHERE status IN ('running', 'retrying')",
                [namespace, name]).first.map { $0["n"] as Int } ?? 0
            let history = positions[name] ?? TaskHistory()
            rows.append(TaskRecordSummary(task: name, lastRun: recent.first, running: running, history: history,
                                          recentSucceeded: recent.count { $0.record.status == .succeeded },
                                          recentFailed: recent.count { $0.record.status != .succeeded }))
        }
        return rows
    }

    /// Which jobrun has the store open now, if one does: its holder row, while the store's
    /// lock is held (a killed jobrun leaves its row, never its lock).
    public func holder() -> String? {
        guard held,
              let row = try? query("SELECT pid, host, since FROM jobrun_holder WHERE id = 1", []).first else { return nil }
        return "pid \(row["pid"] as Int64) on \(row["host"] as String) since \(row["since"] as String)"
    }

    private func query(_ sql: String, _ binds: [(any DatabaseValueConvertible)?]) throws(JobrunError) -> [Row] {
        do {
            return try queue.read { db in try Row.fetchAll(db, sql: sql, arguments: StatementArguments(binds)) }
        } catch {
            throw StoreFailure.jobrunError(error, path: path, doing: "read")
        }
    }

    private func runs(_ sql: String, _ binds: [(any DatabaseValueConvertible)?]) throws(JobrunError) -> [StoredRun] {
        try query(sql, binds).compactMap { row in
            guard let record = RunRow.record(row) else { return nil }
            return StoredRun(task: row["task"], record: record, json: row["record"])
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

    /// A task's row.
    public init(task: String, lastRun: StoreReader.StoredRun?, running: Int, history: TaskHistory, recentSucceeded: Int, recentFailed: Int) {
        self.task = task
        self.lastRun = lastRun
        self.running = running
        self.history = history
        self.recentSucceeded = recentSucceeded
        self.recentFailed = recentFailed
    }
}
