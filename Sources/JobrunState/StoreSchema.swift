/// The tables of a store, by version. A store records its version in `PRAGMA user_version`
/// and that it is jobrun's in `PRAGMA application_id`; a newer jobrun's store is refused, an
/// older one's migrated in one transaction.
enum StoreSchema {
    /// "jobr": marks an SQLite file as a jobrun store.
    static let applicationId: Int64 = 0x6A6F_6272
    /// The version this jobrun writes.
    static var version: Int64 { Int64(migrations.count) }

    /// Migration `i` takes a store from version `i` to `i + 1`.
    static let migrations: [[String]] = [
        [
            // Who holds the store: one jobrun at a time (the lock is flock(2) on the file).
            """
            CREATE TABLE jobrun_holder (id INTEGER PRIMARY KEY CHECK (id = 1), pid INTEGER NOT NULL,
                host TEXT NOT NULL, since TEXT NOT NULL, version TEXT NOT NULL)
            """,
            // Per task, what pruning took away: the highest run number, the due instants and the
            // latest nominal due instant of the runs deleted. With the runs still kept, it gives
            // where the schedule stands (`count` and run numbers hold however much is kept).
            """
            CREATE TABLE jobrun_tasks (namespace TEXT NOT NULL, task TEXT NOT NULL, runs INTEGER NOT NULL,
                instants INTEGER NOT NULL, last_due_ms INTEGER NOT NULL, PRIMARY KEY (namespace, task)) WITHOUT ROWID
            """,
            // Every run: the columns it is found by, and the report's run object (a rowid table:
            // the rows are large, and WITHOUT ROWID is for small ones). No more indexes and no
            // trigger: each costs time in the commit every start waits for.
            """
            CREATE TABLE jobrun_runs (id INTEGER PRIMARY KEY, namespace TEXT NOT NULL, task TEXT NOT NULL,
                run INTEGER NOT NULL, status TEXT NOT NULL, due_ms INTEGER NOT NULL, nominal_ms INTEGER NOT NULL,
                instants INTEGER NOT NULL, started_ms INTEGER, finished_ms INTEGER, record TEXT NOT NULL,
                UNIQUE (namespace, task, run))
            """,
            "CREATE INDEX jobrun_runs_by_due ON jobrun_runs (namespace, due_ms, run)",
        ],
    ]
}
