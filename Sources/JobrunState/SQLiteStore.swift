import Foundation
import GRDB
import JobrunCore

/// The SQLite store (README, "State"): one file, WAL, created mode 0600, held by one jobrun at
/// a time. Every run is a row of `jobrun_runs` keyed by (namespace, task, run) holding the
/// report's run object; `jobrun_tasks` keeps what pruning took away (``TaskPositions``). A write
/// returns once it is in the pending log (``PendingWrites``): a start waits for one `write(2)`,
/// and the database takes the changes in batches on a thread of its own.
public final class SQLiteStore: RunRecorder, @unchecked Sendable {
    /// The store file.
    public let path: String
    /// The file's namespace in the store (`name:`).
    public let namespace: String
    private let queue: DatabaseQueue
    private let fileLock: StateLock
    /// The tasks' names by position; a reload adds to them.
    private var names: ByTask<String>
    private let keepHistory: Duration
    /// `names`, `nextPrune`, `closed` and `latest` are behind `lock` (an NSLock, which ThreadSanitizer sees).
    private let lock = NSLock()
    private var nextPrune: Instant
    private var closed = false
    /// Set once the store is open: the changes between the log and the database.
    private var pending: PendingWrites?
    /// The latest instant a committed change names: what pruning counts from.
    private var latest: Instant

    /// Rows per INSERT; well under SQLite's limit on bound values.
    static let rowsPerStatement = 500

    private init(path: String, namespace: String, queue: DatabaseQueue, lock: StateLock, names: ByTask<String>,
                 keepHistory: Duration, now: Instant) {
        self.path = path
        self.namespace = namespace
        self.queue = queue
        self.fileLock = lock
        self.names = names
        self.keepHistory = keepHistory
        self.nextPrune = now
        self.latest = now
    }

    /// Opens the store at `path` for a run of the tasks `names` under `namespace`: takes the
    /// lock, checks the file is a jobrun store this jobrun can read (creating or migrating it),
    /// records unfinished runs `abandoned`, and returns each task's history.
    public static func open(path: String, namespace: String, tasks names: [String], keepHistory: Duration,
                            holder: String, now: Instant) throws(JobrunError) -> (SQLiteStore, Resume) {
        // A reader (`--history`, `--status`) holds the lock for moments: a jobrun waits a
        // second for it before it says the store is in use.
        var taken = try StateLock.take(path)
        for _ in 0..<20 where taken == nil {
            usleep(50_000)
            taken = try StateLock.take(path)
        }
        guard let lock = taken else {
            throw JobrunError(.state, describeHolder(path), hint: "stop that jobrun first, or give this one another --state")
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.foreignKeysEnabled = false
        configuration.label = "jobrun state"
        let queue: DatabaseQueue
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration)
        } catch {
            if lock.created { unlink(path) }
            lock.release()
            throw StoreFailure.jobrunError(error, path: path, doing: "read")
        }
        var log: PendingLog?
        do {
            try prepare(queue, path: path)
            log = try PendingLog.open(path + "-pending")
            try apply(log!, to: queue, path: path)
            let store = SQLiteStore(path: path, namespace: namespace, queue: queue, lock: lock, names: ByTask(names),
                                    keepHistory: keepHistory, now: now)
            let resume = try store.start(holder: holder, now: now)
            store.pending = PendingWrites(log: log!, delay: commitDelay, commit: { [unowned store] rows throws(JobrunError) in
                try store.commit(rows)
            }, emptied: { [unowned store] in store.pruneIfDue() })
            return (store, resume)
        } catch {
            if let log { log.close(remove: log.created) }
            try? queue.close()
            if lock.created { unlink(path) }
            lock.release()
            throw error
        }
    }

    /// How long a change waits in memory for others to share its commit (README, "State").
    static let commitDelay = Duration.milliseconds(10)

    /// Applies what the pending log holds (changes a killed jobrun had not committed), then
    /// empties it. The store is then marked as not closed (a holder row), so that the next
    /// start looks for the runs left unfinished.
    static func apply(_ log: PendingLog, to queue: DatabaseQueue, path: String) throws(JobrunError) {
        guard !log.isEmpty else { return }
        let rows = log.entries()
        // Only an entry cut short: nothing to apply, but the log must be emptied all the same,
        // or the next entries would follow it and never be read.
        if !rows.isEmpty { try commitLeft(rows, to: queue, path: path) }
        if let error = log.truncate() {
            throw JobrunError(.state, "cannot empty \"\(log.path)\", the store's pending log: \(String(cString: strerror(error)))",
                              hint: "check the disk and the file's permissions")
        }
    }

    private static func commitLeft(_ rows: [PendingRow], to queue: DatabaseQueue, path: String) throws(JobrunError) {
        do {
            try queue.inDatabase { db in
                try db.inTransaction(.immediate) {
                    try upsert(rows, in: db)
                    try db.execute(sql: "INSERT INTO jobrun_holder (id, pid, host, since, version) VALUES (1, 0, ?, ?, '') "
                                       + "ON CONFLICT (id) DO NOTHING", arguments: [hostName(), Instant.now().rfc3339])
                    return .commit
                }
            }
        } catch {
            throw StoreFailure.jobrunError(error, path: path, doing: "write")
        }
    }

    /// What a killed jobrun left in the pending log of the store at `path`, applied when no
    /// jobrun holds the store (a jobrun that holds it commits its log itself within
    /// ``commitDelay``): what `--history` and `--status` show is then all a killed jobrun
    /// recorded. Nothing happens when the store is held or cannot be written.
    static func applyLeftLog(path: String) {
        var st = stat()
        guard stat(path + "-pending", &st) == 0, st.st_size > 0, let lock = try? StateLock.take(path) else { return }
        defer { lock.release() }
        guard let log = try? PendingLog.open(path + "-pending", create: false) else { return }
        defer { log.close(remove: false) }
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.foreignKeysEnabled = false
        guard let queue = try? DatabaseQueue(path: path, configuration: configuration) else { return }
        defer { try? queue.close() }
        // Only a store this jobrun writes: a newer one's log may not be this one's.
        let version = try? queue.inDatabase { db in
            (try Int64.fetchOne(db, sql: "PRAGMA application_id"), try Int64.fetchOne(db, sql: "PRAGMA user_version"))
        }
        guard let version, version.0 == StoreSchema.applicationId, version.1 == StoreSchema.version else { return }
        try? apply(log, to: queue, path: path)
    }

    /// Checks what the file is, then creates or migrates the tables; the file is not written
    /// before it is known to be a jobrun store of this version or older (or empty).
    private static func prepare(_ queue: DatabaseQueue, path: String) throws(JobrunError) {
        do {
            try queue.inDatabase { db in
                let application = try Int64.fetchOne(db, sql: "PRAGMA application_id") ?? 0
                let version = try Int64.fetchOne(db, sql: "PRAGMA user_version") ?? 0
                let objects = try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") ?? 0
                if application != StoreSchema.applicationId && (application != 0 || version != 0 || objects != 0) {
                    throw JobrunError(.state, "state \"\(path)\" is an SQLite database of another program, not a jobrun store",
                                      hint: "give jobrun a file of its own with --state or `state:`")
                }
                if version > StoreSchema.version {
                    throw JobrunError(.state, "state \"\(path)\" was written by a newer jobrun (store version \(version); "
                                      + "this jobrun reads up to \(StoreSchema.version))", hint: "run a newer jobrun, or give another --state")
                }
                if objects > 0 {
                    let check = try String.fetchAll(db, sql: "PRAGMA quick_check(5)")
                    if check != ["ok"] {
                        let found = check.joined(separator: "\n").replacingOccurrences(of: "*** in database main ***", with: "")
                            .split(whereSeparator: \.isNewline).joined(separator: "; ")
                        throw JobrunError(.state, "state \"\(path)\" is corrupt (SQLite: \(found))",
                                          hint: "restore it from a backup, or move it aside to start a new store")
                    }
                }
                _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
                // Durable against a killed jobrun (a commit is in the WAL file before it returns);
                // a power cut may lose the last commits, never the file.
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
                if version < StoreSchema.version {
                    try db.inTransaction(.immediate) {
                        for step in StoreSchema.migrations[Int(version)...] {
                            for sql in step { try db.execute(sql: sql) }
                        }
                        try db.execute(sql: "PRAGMA application_id = \(StoreSchema.applicationId)")
                        try db.execute(sql: "PRAGMA user_version = \(StoreSchema.version)")
                        return .commit
                    }
                }
            }
        } catch let error as JobrunError {
            throw error
        } catch {
            throw StoreFailure.jobrunError(error, path: path, doing: "read")
        }
    }

    /// Records this jobrun as the holder, abandons what the last one left unfinished, and
    /// reads each task's history.
    private func start(holder: String, now: Instant) throws(JobrunError) -> Resume {
        do {
            return try queue.inDatabase { db in
                // A holder row left behind: the last jobrun did not close the store (it was
                // killed, or a write failed), so runs may be left unfinished.
                let unclean = try Int.fetchOne(db, sql: "SELECT count(*) FROM jobrun_holder") ?? 0 > 0
                try db.execute(
                    sql: "INSERT INTO jobrun_holder (id, pid, host, since, version) VALUES (1, ?, ?, ?, ?) "
                        + "ON CONFLICT (id) DO UPDATE SET pid = excluded.pid, host = excluded.host, since = excluded.since, "
                        + "version = excluded.version",
                    arguments: [Int(getpid()), hostName(), now.rfc3339, holder])
                let abandoned = unclean ? try abandonUnfinished(db, now: now) : []
                var histories = ByTask(repeating: TaskHistory(), count: names.values.count)
                var index: [String: TaskIndex] = [:]
                for t in names.indices { index[names[t]] = t }
                let positions = try TaskPositions.read(db, namespace: namespace)
                for t in names.indices { histories[t] = positions[names[t]] ?? TaskHistory() }
                try prune(db, now: now)
                return Resume(histories: histories, abandoned: abandoned.compactMap { found in
                    index[found.task].map { t in
                        var record = found.record
                        record.task = t
                        return record
                    }
                })
            }
        } catch let error as JobrunError {
            throw error
        } catch {
            throw StoreFailure.jobrunError(error, path: path, doing: "read")
        }
    }

    /// Every run left `running` or `retrying` (its jobrun was killed) becomes `abandoned`, in
    /// every namespace: whoever holds the lock is the only jobrun on the store. Returns this
    /// namespace's.
    private func abandonUnfinished(_ db: Database, now: Instant) throws -> [(task: String, record: RunRecord)] {
        let rows = try Row.fetchAll(db, sql: "SELECT namespace, \(RunRow.columns) FROM jobrun_runs WHERE status IN ('running', 'retrying')")
        guard !rows.isEmpty else { return [] }
        var found: [(task: String, record: RunRecord)] = []
        try db.inTransaction(.immediate) {
            for row in rows {
                guard var record = RunRow.record(row) else { continue }
                let ns: String = row["namespace"], task: String = row["task"]
                record.status = .abandoned
                record.reason = RecordMessage.abandoned(found: now)
                record.finishedAt = now
                RunRow.abandon(&record, at: now)
                try db.execute(
                    sql: "UPDATE jobrun_runs SET status = 'abandoned', finished_ms = ?, record = ? WHERE namespace = ? AND task = ? AND run = ?",
                    arguments: [now.milliseconds, Report.runObject(record, indent: 0), ns, task, record.run.value])
                if ns == namespace { found.append((task, record)) }
            }
            return .commit
        }
        return found
    }

    /// Names tasks a reload adds (they come after the others), and returns where the run
    /// numbers of each stand in the store, for those it has seen.
    public func add(tasks added: [String]) throws(JobrunError) -> [String: TaskHistory] {
        lock.withLock { for name in added { names.append(name) } }
        guard !added.isEmpty else { return [:] }
        do {
            let positions = try queue.inDatabase { db in try TaskPositions.read(db, namespace: namespace) }
            return positions.filter { added.contains($0.key) }
        } catch {
            throw StoreFailure.jobrunError(error, path: path, doing: "read")
        }
    }

    /// Records `writes`, in order; returns once they are in the pending log (a killed jobrun
    /// loses none of them). The database has them within ``commitDelay`` and a commit.
    public func record(_ writes: [RunWrite]) throws(JobrunError) {
        guard !writes.isEmpty, let pending else { return }
        var rows: [PendingRow] = []
        rows.reserveCapacity(writes.count)
        var entries: [UInt8] = []
        entries.reserveCapacity(writes.count * 1024)
        let names = lock.withLock { self.names }
        for write in writes {
            let row = RunRow.pending(write, task: names[write.record.task], namespace: namespace)
            PendingLog.append(row, to: &entries)
            rows.append(row)
        }
        try pending.add(rows, entries: entries, path: path)
    }

    /// Commits `rows` (on the pending writes' thread): of several changes of one run, the last
    /// (a short run's start and end usually come in one batch).
    private func commit(_ rows: [PendingRow]) throws(JobrunError) {
        var last: [RunKey: Int] = [:]
        for (i, row) in rows.enumerated() { last[RunKey(namespace: row.namespace, task: row.task, run: row.run)] = i }
        let lastOnly = last.count == rows.count ? rows : rows.indices.filter { i in
            last[RunKey(namespace: rows[i].namespace, task: rows[i].task, run: rows[i].run)] == i
        }.map { rows[$0] }
        do {
            try queue.inDatabase { db in try Self.upsert(lastOnly, in: db) }
        } catch {
            throw StoreFailure.jobrunError(error, path: path, doing: "write")
        }
        let newest = rows.lazy.compactMap { $0.finishedMs ?? $0.startedMs }.max()
        if let newest { lock.withLock { latest = Swift.max(latest, Instant(milliseconds: newest)) } }
    }

    private struct RunKey: Hashable {
        let namespace: String
        let task: String
        let run: Int
    }

    /// Upserts `rows` in order: one statement commits by itself (or in the transaction under
    /// way), more go in one transaction.
    private static func upsert(_ rows: [PendingRow], in db: Database) throws {
        func insertAll() throws {
            for start in stride(from: 0, to: rows.count, by: rowsPerStatement) {
                var values: [(any DatabaseValueConvertible)?] = []
                values.reserveCapacity(Swift.min(rowsPerStatement, rows.count - start) * 10)
                for row in rows[start..<Swift.min(start + rowsPerStatement, rows.count)] { RunRow.append(row, to: &values) }
                try db.cachedStatement(sql: upsertSQL(rows: values.count / 10)).execute(arguments: StatementArguments(values))
            }
        }
        if rows.count <= rowsPerStatement || db.isInsideTransaction { return try insertAll() }
        try db.inTransaction(.immediate) {
            try insertAll()
            return .commit
        }
    }

    /// Prunes when it is time (see ``prune(_:now:)``); a failure is left for the next time.
    private func pruneIfDue() {
        let (now, due) = lock.withLock { (latest, latest >= nextPrune) }
        guard due else { return }
        try? queue.inDatabase { db in try prune(db, now: now) }
    }

    private static func upsertSQL(rows: Int) -> String {
        "INSERT INTO jobrun_runs (namespace, \(RunRow.columns)) VALUES "
            + Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", count: rows).joined(separator: ", ")
            + " ON CONFLICT (namespace, task, run) DO UPDATE SET status = excluded.status, "
            + "started_ms = excluded.started_ms, finished_ms = excluded.finished_ms, record = excluded.record"
    }

    /// Deletes ended runs due longer than `keep_history` ago, at most 1,000 at a time, folding
    /// what they count into `jobrun_tasks` first; comes back soon while there are more, else
    /// in an hour.
    private func prune(_ db: Database, now: Instant) throws {
        let cutoff = now + (.zero - keepHistory)
        var deleted = 0
        try db.inTransaction(.immediate) {
            try db.execute(sql: "CREATE TEMP TABLE IF NOT EXISTS jobrun_pruned (id INTEGER PRIMARY KEY)")
            try db.execute(sql: "DELETE FROM jobrun_pruned")
            try db.execute(
                sql: "INSERT INTO jobrun_pruned SELECT id FROM jobrun_runs "
                    + "WHERE namespace = ? AND due_ms < ? AND status NOT IN ('running', 'retrying') LIMIT 1000",
                arguments: [namespace, cutoff.milliseconds])
            deleted = db.changesCount
            guard deleted > 0 else { return .commit }
            try db.execute(
                sql: "INSERT INTO jobrun_tasks (namespace, task, runs, instants, last_due_ms) "
                    + "SELECT namespace, task, max(run), sum(instants), \(TaskPositions.lastDue) FROM jobrun_runs "
                    + "WHERE id IN (SELECT id FROM jobrun_pruned) GROUP BY namespace, task "
                    + "ON CONFLICT (namespace, task) DO UPDATE SET runs = max(runs, excluded.runs), "
                    + "instants = instants + excluded.instants, last_due_ms = max(last_due_ms, excluded.last_due_ms)")
            try db.execute(sql: "DELETE FROM jobrun_runs WHERE id IN (SELECT id FROM jobrun_pruned)")
            return .commit
        }
        lock.withLock { nextPrune = now + (deleted == 1000 ? .seconds(1) : .seconds(3600)) }
    }

    /// Closes the store: what is pending is committed, the holder row goes and the pending
    /// log with it, the lock is released. Returns why a change did not reach the database, if
    /// one did not: then the log and the holder row stay, and the next jobrun applies the log
    /// and looks for unfinished runs.
    @discardableResult
    public func close() -> JobrunError? {
        guard lock.withLock({ () -> Bool in defer { closed = true }; return !closed }) else { return nil }
        let failure = pending?.close()
        if failure == nil {
            try? queue.inDatabase { db in try db.execute(sql: "DELETE FROM jobrun_holder") }
        }
        try? queue.close()
        fileLock.release()
        return failure
    }

    /// The message for a store another jobrun holds, naming it from the holder row.
    private static func describeHolder(_ path: String) -> String {
        let who = (try? StoreReader.connect(path)).flatMap { queue in
            defer { try? queue.close() }
            return try? queue.read { db in
                try Row.fetchOne(db, sql: "SELECT pid, host, since FROM jobrun_holder WHERE id = 1").map { row in
                    "jobrun (pid \(row["pid"] as Int64) on \(row["host"] as String)) since \(row["since"] as String)"
                }
            }
        }
        return "state \"\(path)\" is in use by \(who ?? "another jobrun")"
    }
}
