import JobrunCore
import PostgresNIO

/// A run of the cluster as `jobrun --history` and `--status` show it.
public struct ClusterRun: Sendable {
    /// The task's name.
    public var task: String
    /// The run, as its replica recorded it. A run claimed and not started (`claimed`,
    /// `released`) reads as `queued`; one lost under `on_lost: rerun` and not run again yet
    /// (`lost`), as `abandoned`.
    public var record: RunRecord
    /// The replica that holds or held it.
    public var replica: String?
    /// How many times it was lost (its replica's lease ran out while it ran).
    public var lost: Int
}

/// A replica of the cluster as `jobrun --status` shows it.
public struct ClusterReplica: Sendable {
    public var replica: String
    public var host: String
    public var pid: Int
    public var startedAt: Instant
    /// When it last renewed its lease.
    public var seenAt: Instant
    /// When it left the cluster, if it did.
    public var stoppedAt: Instant?
    /// Whether its lease holds now (by the database's clock): it is running.
    public var live: Bool
}

/// One task's row of `jobrun --status`, from the cluster.
public struct ClusterTaskStatus: Sendable {
    /// Its last run that succeeded, failed, timed out or was abandoned.
    public var lastRun: ClusterRun?
    /// Its runs running now, on any replica.
    public var running: Int
    /// Where its schedule stands.
    public var history: TaskHistory
    /// How its last ten such runs ended.
    public var recentSucceeded: Int, recentFailed: Int
}

extension ClusterStore {
    /// Connects to the store at `url` to read what the cluster of `namespace` recorded;
    /// makes no table (a database no jobrun ran in is said so).
    public static func reading(_ url: PostgresURL, namespace: String) async throws(JobrunError) -> ClusterStore {
        let store = try await connect(url, namespace: namespace, replica: "", lease: .seconds(30), migrating: false)
        let found = try await store.rows("SELECT to_regclass('jobrun_runs') IS NOT NULL", doing: "read", as: Bool.self)
        guard found.first == true else {
            await store.close()
            throw JobrunError(.state, "the PostgreSQL store \(url.redacted) has no jobrun tables: no cluster has run there",
                              hint: "check the URL's database")
        }
        return store
    }

    /// The columns ``clusterRuns(_:)`` reads. A run whose lease ran out and that no replica
    /// has swept yet (every replica ended soon after) reads as the sweep will make it.
    private static let runColumns = """
        task, run, CASE WHEN status IN ('claimed', 'running') AND lease_until <= now()
                        THEN CASE WHEN status = 'claimed' THEN 'released' ELSE 'abandoned' END ELSE status END,
        due_ms, owner, lost, record, (extract(epoch FROM updated_at) * 1000)::bigint
        """

    private func clusterRuns(_ query: PostgresQuery) async throws(JobrunError) -> [ClusterRun] {
        try await rows(query, doing: "read", as: (String, Int64, String, Int64, String?, Int32, String?, Int64).self).map { row in
            let (task, run, status, due, owner, lost, text, updated) = row
            var record = text.flatMap { RunRecord(runObject: $0) } ?? RunRecord(task: 0, run: RunNumber(Int(run)), dueAt: Instant(milliseconds: due))
            if text == nil && status == "running" {
                // Claimed running to start at once: its record comes with its end; it started
                // when it was claimed.
                record.startedAt = Instant(milliseconds: updated)
            }
            record.run = RunNumber(Int(run))
            record.nominalDueAt = Instant(milliseconds: due)
            record.status = switch status {
            case "claimed", "released": .queued
            case "lost": .abandoned
            default: RunStatus(rawValue: status) ?? .abandoned
            }
            return ClusterRun(task: task, record: record, replica: owner, lost: Int(lost))
        }
    }

    /// Recorded runs, newest first (by due instant, then run number): at most `limit`, of
    /// `task` if given, with `status` if given (`abandoned` includes runs lost and waiting to
    /// run again), due at or after `since` if given.
    public func history(task: String?, status: String?, since: Instant?, limit: Int) async throws(JobrunError) -> [ClusterRun] {
        let sinceMs = since?.milliseconds ?? Int64.min
        return try await clusterRuns("""
            SELECT \(unescaped: Self.runColumns) FROM jobrun_runs
            WHERE namespace = \(namespace) AND (\(task)::text IS NULL OR task = \(task))
              AND (\(status)::text IS NULL OR status = \(status) OR (\(status) = 'abandoned' AND status = 'lost'))
              AND due_ms >= \(sinceMs)
            ORDER BY due_ms DESC, run DESC LIMIT \(limit)
            """)
    }

    /// Per task of `names`: what `--status` shows.
    public func status(of names: [String]) async throws(JobrunError) -> [ClusterTaskStatus] {
        let histories = try await histories(of: names)
        var statuses: [ClusterTaskStatus] = []
        for (name, history) in zip(names, histories) {
            let recent = try await clusterRuns("""
                SELECT \(unescaped: Self.runColumns) FROM jobrun_runs
                WHERE namespace = \(namespace) AND task = \(name) AND status IN ('succeeded', 'failed', 'timed_out', 'abandoned', 'lost')
                ORDER BY due_ms DESC LIMIT 10
                """)
            let running: Int64 = try await rows("""
                SELECT count(*) FROM jobrun_runs WHERE namespace = \(namespace) AND task = \(name)
                AND status IN ('claimed', 'running') AND lease_until > now()
                """, doing: "read", as: Int64.self).first ?? 0
            statuses.append(ClusterTaskStatus(lastRun: recent.first, running: Int(running), history: history,
                                              recentSucceeded: recent.count { $0.record.status == .succeeded },
                                              recentFailed: recent.count { $0.record.status != .succeeded }))
        }
        return statuses
    }

    /// The replicas that joined the cluster, first started first.
    public func replicas() async throws(JobrunError) -> [ClusterReplica] {
        try await rows("""
            SELECT replica, host, pid, (extract(epoch FROM started_at) * 1000)::bigint, (extract(epoch FROM seen_at) * 1000)::bigint,
                   (extract(epoch FROM stopped_at) * 1000)::bigint, stopped_at IS NULL AND lease_until > now()
            FROM jobrun_replicas WHERE namespace = \(namespace) ORDER BY started_at, replica
            """, doing: "read", as: (String, String, Int32, Int64, Int64, Int64?, Bool).self).map {
            ClusterReplica(replica: $0.0, host: $0.1, pid: Int($0.2), startedAt: Instant(milliseconds: $0.3),
                           seenAt: Instant(milliseconds: $0.4), stoppedAt: $0.5.map { Instant(milliseconds: $0) }, live: $0.6)
        }
    }
}
