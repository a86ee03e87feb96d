import JobrunCore
import PostgresNIO

/// The cluster as a replica finds it when it joins.
public struct ClusterStart: Sendable, Equatable {
    /// The cluster's start: what `now` and `+offset` are measured from.
    public var startedAt: Instant
    /// One more at each new start of the cluster (when every replica had stopped).
    public var generation: Int64
    /// Whether this replica began it.
    public var began: Bool
    /// The database's clock when the replica joined.
    public var databaseNow: Instant
}

/// A run this replica holds: its key, its number and its fencing counter.
public struct Claim: Sendable, Hashable {
    public var task: String
    /// The due instant (nominal, jitter not included): with the task, the run's key.
    public var due: Instant
    public var run: Int
    /// The counter every write of the run is guarded by, with the owner.
    public var fence: Int64

    /// The run's id, `namespace/task@due`, as jobs see it in `JOBRUN_RUN_ID`.
    public func id(in namespace: String) -> String { "\(namespace)/\(task)@\(due.rfc3339)" }
}

/// A change to a run this replica holds, for ``ClusterStore/record(_:)``.
public struct RunChange: Sendable {
    public var claim: Claim
    public var status: RunStatus
    public var attempts: Int
    /// The report's run object.
    public var record: String
    /// The run was given up as its lease could not be renewed in time, under `on_lost:
    /// rerun`: it is left `lost` (counted in the `lost` column) for a replica to run again.
    public var lost = false

    public init(claim: Claim, status: RunStatus, attempts: Int, record: String, lost: Bool = false) {
        self.claim = claim
        self.status = status
        self.attempts = attempts
        self.record = record
        self.lost = lost
    }
}

/// Changes as the functions of the claim and the record take them: eight arrays, a run's
/// key, claim and change at each position.
enum ChangeColumns {
    /// The placeholders of the eight, from `$first`.
    static func parameters(from first: Int) -> String {
        (first..<first + 8).map { "$\($0)" }.joined(separator: ", ")
    }

    /// Binds the eight, after what `binds` has.
    static func bind(_ changes: [RunChange], to binds: inout PostgresBindings) {
        binds.append(changes.map(\.claim.task))
        binds.append(changes.map(\.claim.due.milliseconds))
        binds.append(changes.map(\.claim.fence))
        binds.append(changes.map(\.status.rawValue))
        binds.append(changes.map { Int64($0.attempts) })
        binds.append(changes.map(\.record))
        binds.append(changes.map(\.status.isFinal))
        binds.append(changes.map(\.lost))
    }
}

/// What came of an attempt to claim a due instant.
public enum ClaimOutcome: Sendable, Equatable {
    /// This replica holds the run.
    case claimed(Claim)
    /// Recorded `skipped` by this replica: another run of the task was active (`overlap: skip`).
    case skipped(run: Int)
    /// Another replica claimed it (or a later instant of the task) first.
    case taken
    /// Too early: a run is claimed at most a second before it is due, by the database's clock.
    case early(databaseNow: Instant)
    /// Another run of the task is active, and the task waits for it (`overlap: queue`).
    case busy
}

/// Runs due at an instant that a claim found in the store (any replica's, this one's too):
/// whatever their status, none of them can be claimed again.
public struct SeenRuns: Sendable, Equatable {
    /// Their tasks.
    public var tasks: [String] = []
    /// The highest fencing counter among them (or the one asked after, when there were none).
    public var upTo: Int64 = .max
}

/// What a renewal found.
public struct Renewal: Sendable, Equatable {
    /// The runs this replica still holds, their leases renewed.
    public var held: Set<Claim>
    /// The database's clock at the renewal.
    public var databaseNow: Instant
}

extension ClusterStore {
    /// Registers this replica and takes the cluster's start: the one recorded when another
    /// replica of the namespace is live, or `at` (this replica's start), which begins a new
    /// generation, when none is. A replica counts as live unless it left, or its lease ran
    /// out more than two leases ago (it was killed); one whose lease ran out while the server
    /// was down counts as live for two leases after the server started again.
    public func join(host: String, pid: Int32, at: Instant) async throws(JobrunError) -> ClusterStart {
        let logger = Self.logger
        let (namespace, replica, lease) = (self.namespace, self.replica, leaseMilliseconds)
        return try await call("join") { connection in
            try await connection.withTransaction(logger: logger) { db in
                try await db.query("SELECT pg_advisory_xact_lock(7340552, hashtext(\(namespace)))", logger: logger)
                var live = false
                // Live: not left, and its lease held at most two leases ago, or it held when
                // the server itself last started (an outage of the store ends every lease;
                // the replicas renew as soon as it is back).
                for try await (_) in try await db.query("""
                    SELECT 1 FROM jobrun_replicas WHERE namespace = \(namespace) AND replica <> \(replica) AND stopped_at IS NULL
                    AND (lease_until > now() - 2 * \(lease) * interval '1 millisecond'
                         OR (now() < pg_postmaster_start_time() + 2 * \(lease) * interval '1 millisecond'
                             AND lease_until > pg_postmaster_start_time() - interval '1 hour'))
                    LIMIT 1
                    """, logger: logger).decode(Int.self) { live = true }
                let started = at.milliseconds
                if !live {
                    try await db.query("""
                        INSERT INTO jobrun_clusters (namespace, started_ms, generation) VALUES (\(namespace), \(started), 1)
                        ON CONFLICT (namespace) DO UPDATE SET started_ms = EXCLUDED.started_ms, generation = jobrun_clusters.generation + 1
                        """, logger: logger)
                }
                // What an earlier process under this name held (it was killed and restarted
                // within a lease) is its no more: the leases end now, for the sweep.
                try await db.query("""
                    UPDATE jobrun_runs SET lease_until = now()
                    WHERE namespace = \(namespace) AND owner = \(replica) AND status IN ('claimed', 'running') AND lease_until > now()
                    """, logger: logger)
                try await db.query("""
                    INSERT INTO jobrun_replicas (namespace, replica, host, pid, started_at, seen_at, lease_until, stopped_at)
                    VALUES (\(namespace), \(replica), \(host), \(Int(pid)), now(), now(), now() + \(lease) * interval '1 millisecond', NULL)
                    ON CONFLICT (namespace, replica) DO UPDATE SET host = EXCLUDED.host, pid = EXCLUDED.pid,
                        started_at = now(), seen_at = now(), lease_until = EXCLUDED.lease_until, stopped_at = NULL
                    """, logger: logger)
                var start = ClusterStart(startedAt: at, generation: 0, began: !live, databaseNow: at)
                for try await (ms, generation, now) in try await db.query("""
                    SELECT started_ms, generation, (extract(epoch FROM now()) * 1000)::bigint FROM jobrun_clusters WHERE namespace = \(namespace)
                    """, logger: logger).decode((Int64, Int64, Int64).self) {
                    start.startedAt = Instant(milliseconds: ms)
                    start.generation = generation
                    start.databaseNow = Instant(milliseconds: now)
                }
                return start
            }
        }
    }

    /// Renews this replica's lease and those of `claims` (the runs it holds) whose leases have
    /// not run out; returns the runs it still holds. A run missing from them is lost: its lease
    /// ran out, and another replica may have it. Only the claims named are renewed: runs of an
    /// earlier process under the same replica name are not, and run out.
    public func renew(_ claims: [Claim]) async throws(JobrunError) -> Renewal {
        let rows = try await rows("""
            WITH me AS (
                UPDATE jobrun_replicas SET seen_at = now(), lease_until = now() + \(leaseMilliseconds) * interval '1 millisecond'
                WHERE namespace = \(namespace) AND replica = \(replica) RETURNING 1
            ), held AS (
                UPDATE jobrun_runs r SET lease_until = now() + \(leaseMilliseconds) * interval '1 millisecond'
                FROM unnest(\(claims.map(\.task))::text[], \(claims.map(\.due.milliseconds))::bigint[], \(claims.map(\.fence))::bigint[])
                     AS v(task, due_ms, fence)
                WHERE r.namespace = \(namespace) AND r.owner = \(replica) AND r.task = v.task AND r.due_ms = v.due_ms
                  AND r.fence = v.fence AND r.status IN ('claimed', 'running') AND r.lease_until > now()
                RETURNING r.task, r.due_ms, r.run, r.fence
            )
            SELECT task, due_ms, run, fence, (extract(epoch FROM now()) * 1000)::bigint FROM held
            UNION ALL SELECT NULL, NULL, NULL, NULL, (extract(epoch FROM now()) * 1000)::bigint FROM me
            """, doing: "renew leases in", as: (String?, Int64?, Int64?, Int64?, Int64).self)
        var renewal = Renewal(held: [], databaseNow: Instant(milliseconds: rows.first?.4 ?? 0))
        for (task, due, run, fence, _) in rows {
            guard let task, let due, let run, let fence else { continue }
            renewal.held.insert(Claim(task: task, due: Instant(milliseconds: due), run: Int(run), fence: fence))
        }
        return renewal
    }

    /// Claims the run of `task` due at `due`. `overlap` says what happens when another run of
    /// the task is active (claimed or running, its lease alive): `skip` records this one
    /// `skipped`, `queue` leaves it for later (``ClaimOutcome/busy``), `allow` claims it.
    public func claim(task: String, due: Instant, overlap: OverlapPolicy) async throws(JobrunError) -> ClaimOutcome {
        try await claim(task: task, due: due, overlap: overlap, seenAfter: .max, start: false, recording: []).outcome
    }

    /// ``claim(task:due:overlap:)``, and when the run is not claimed, the runs of other tasks
    /// due at `due` with a fencing counter above `seenAfter` (those claimed since the replica
    /// last asked), with the highest such counter: runs a replica need not ask for, as their
    /// rows exist. What was claimed in the moments the statement ran may be missing from them.
    /// `start`: the run is recorded `running` at once, not `claimed` (its job starts as soon as
    /// the answer comes), which saves its first `running` write. `changes` are written first,
    /// in the same statement, as ``record(_:)`` writes them.
    public func claim(task: String, due: Instant, overlap: OverlapPolicy, seenAfter: Int64, start: Bool,
                      recording changes: [RunChange]) async throws(JobrunError) -> (outcome: ClaimOutcome, seen: SeenRuns) {
        let mode: String = switch overlap {
        case .skip: "skip"
        case .queue: "queue"
        case .allow: "allow"
        }
        // The statement is the function's (ClusterSchema, version 2). The literal binds eight
        // values ($1-$8); the changes' eight arrays follow them.
        var query: PostgresQuery = """
            SELECT * FROM jobrun_claim_v2(\(namespace), \(task), \(due.milliseconds), \(mode), \(replica), \(leaseMilliseconds), \(seenAfter), \(start),
                                          \(unescaped: ChangeColumns.parameters(from: 9)))
            """
        ChangeColumns.bind(changes, to: &query.binds)
        let rows = try await rows(query, doing: "claim a run in", as: (Int64?, Int64?, String?, Int64, Bool, [String]?, Int64?).self)
        guard let (run, fence, status, now, busy, tasks, upTo) = rows.first else { return (.taken, SeenRuns()) }
        let seen = SeenRuns(tasks: tasks ?? [], upTo: upTo ?? seenAfter)
        if let run, let fence, let status {
            if status == "skipped" { return (.skipped(run: Int(run)), seen) }
            return (.claimed(Claim(task: task, due: due, run: Int(run), fence: fence)), seen)
        }
        if due.milliseconds > now + 1000 { return (.early(databaseNow: Instant(milliseconds: now)), seen) }
        if busy && overlap == .queue { return (.busy, seen) }
        return (.taken, seen)
    }

    /// Writes each run's change in one statement, where this replica still holds the run (its
    /// owner and fencing counter); returns how many it wrote. A final status ends the lease;
    /// a change ``RunChange/lost`` leaves the run `lost`, for a replica to run again.
    @discardableResult
    public func record(_ changes: [RunChange]) async throws(JobrunError) -> Int {
        guard !changes.isEmpty else { return 0 }
        // The statement is the function's (ClusterSchema, version 2).
        var query: PostgresQuery = "SELECT jobrun_record_v2(\(namespace), \(replica), \(unescaped: ChangeColumns.parameters(from: 3)))"
        ChangeColumns.bind(changes, to: &query.binds)
        let rows = try await rows(query, doing: "record runs in", as: Int64.self)
        return Int(rows.first ?? 0)
    }

    /// Whether the cluster has runs of `tasks` that a replica may still have to run: `released`
    /// or `lost` (waiting to be taken over), `claimed` (not started), or `running` under
    /// `on_lost: rerun` (tasks `rerun`).
    public func unsettled(tasks: [String], rerun: [String]) async throws(JobrunError) -> Bool {
        let rows = try await rows("""
            SELECT EXISTS (SELECT 1 FROM jobrun_runs WHERE namespace = \(namespace) AND task = ANY(\(tasks)::text[])
                           AND (status IN ('released', 'lost', 'claimed') OR (status = 'running' AND task = ANY(\(rerun)::text[]))))
            """, doing: "read", as: Bool.self)
        return rows.first ?? false
    }

    /// Records the instants of `task` missed while no replica ran (up to `due`, `instants` of
    /// them), which `catch_up` did not make up, as one `skipped` run of its own, numbered
    /// next; the task's schedule stands after them. Nothing is written when the cluster's
    /// history is past `due` already (another replica recorded them).
    public func recordMissed(task: String, due: Instant, instants: Int, record: String) async throws(JobrunError) {
        try await execute("""
            WITH cursor AS (
                INSERT INTO jobrun_tasks AS t (namespace, task, runs, instants, last_due_ms)
                VALUES (\(namespace), \(task), 1, \(Int64(instants)), \(due.milliseconds))
                ON CONFLICT (namespace, task) DO UPDATE SET runs = t.runs + 1, instants = t.instants + EXCLUDED.instants,
                    last_due_ms = EXCLUDED.last_due_ms
                    WHERE t.last_due_ms IS NULL OR t.last_due_ms < EXCLUDED.last_due_ms
                RETURNING runs
            )
            INSERT INTO jobrun_runs (namespace, task, due_ms, run, status, fence, record)
            SELECT \(namespace), \(task), \(due.milliseconds), cursor.runs, 'skipped', nextval('jobrun_fence'), \(record) FROM cursor
            ON CONFLICT DO NOTHING
            """, doing: "record missed runs in")
    }

    /// What the cluster recorded of each of `names` (tasks the cluster has never claimed a
    /// run of have an empty history): where their schedules and numbers continue.
    public func histories(of names: [String]) async throws(JobrunError) -> [TaskHistory] {
        let rows = try await rows("""
            SELECT task, runs, instants, last_due_ms FROM jobrun_tasks WHERE namespace = \(namespace)
            """, doing: "read", as: (String, Int64, Int64, Int64?).self)
        var byName: [String: TaskHistory] = [:]
        for (task, runs, instants, last) in rows {
            byName[task] = TaskHistory(runs: Int(runs), instants: Int(instants), lastDue: last.map { Instant(milliseconds: $0) })
        }
        return names.map { byName[$0] ?? TaskHistory() }
    }

    /// The statuses of these runs (any replica's), by key; a run the store has no row for is
    /// missing.
    public func statuses(of runs: [(task: String, due: Instant)]) async throws(JobrunError) -> [ClusterRunKey: String] {
        guard !runs.isEmpty else { return [:] }
        let rows = try await rows("""
            SELECT r.task, r.due_ms, r.status FROM jobrun_runs r
            JOIN unnest(\(runs.map(\.task))::text[], \(runs.map { $0.due.milliseconds })::bigint[]) AS k(task, due_ms)
              ON r.task = k.task AND r.due_ms = k.due_ms
            WHERE r.namespace = \(namespace)
            """, doing: "read runs in", as: (String, Int64, String).self)
        var statuses: [ClusterRunKey: String] = [:]
        for (task, due, status) in rows { statuses[ClusterRunKey(task: task, due: Instant(milliseconds: due))] = status }
        return statuses
    }

    /// Gives back runs this replica claimed but did not start, for other replicas to claim
    /// (one claimed `running` to start at once is given back too: the replica says it did not
    /// start).
    public func release(_ claims: [Claim]) async throws(JobrunError) {
        for claim in claims {
            try await execute("""
                UPDATE jobrun_runs SET status = 'released', owner = NULL, lease_until = NULL, fence = nextval('jobrun_fence'), updated_at = now()
                WHERE namespace = \(namespace) AND task = \(claim.task) AND due_ms = \(claim.due.milliseconds)
                  AND owner = \(replica) AND fence = \(claim.fence) AND status IN ('claimed', 'running')
                """, doing: "release a run in")
        }
    }

    /// Claims the earliest run of `tasks` that its replica gave back unstarted (`released`)
    /// or lost under `on_lost: rerun` (`lost`), at most a second before it is due by the
    /// database's clock. Returns it with the attempts it had.
    public func adopt(tasks: [String]) async throws(JobrunError) -> (claim: Claim, attempts: Int)? {
        guard !tasks.isEmpty else { return nil }
        let rows = try await rows("""
            WITH next AS (
                SELECT task, due_ms FROM jobrun_runs
                WHERE namespace = \(namespace) AND status IN ('released', 'lost') AND task = ANY(\(tasks)::text[])
                  AND due_ms <= (extract(epoch FROM now()) * 1000)::bigint + 1000
                ORDER BY due_ms LIMIT 1 FOR UPDATE SKIP LOCKED
            )
            UPDATE jobrun_runs r SET status = 'claimed', owner = \(replica), fence = nextval('jobrun_fence'),
                lease_until = now() + \(leaseMilliseconds) * interval '1 millisecond', updated_at = now()
            FROM next WHERE r.namespace = \(namespace) AND r.task = next.task AND r.due_ms = next.due_ms
            RETURNING r.task, r.due_ms, r.run, r.fence, r.attempts
            """, doing: "take over a run in", as: (String, Int64, Int64, Int64, Int32).self)
        return rows.first.map { (Claim(task: $0.0, due: Instant(milliseconds: $0.1), run: Int($0.2), fence: $0.3), Int($0.4)) }
    }

    /// Ends the leases that ran out, whoever held them: a run claimed and not started is
    /// `released` for another replica; a run that was running is lost, `abandoned`, or under
    /// `on_lost: rerun` (tasks `rerun`) `lost`, for another replica to run again. Returns
    /// what it ended: each run's key and what it became.
    @discardableResult
    public func sweep(rerun: [String]) async throws(JobrunError) -> [(task: String, due: Instant, status: String)] {
        let rows = try await rows("""
            UPDATE jobrun_runs SET
                status = CASE WHEN status = 'claimed' THEN 'released'
                              WHEN task = ANY(\(rerun)::text[]) THEN 'lost' ELSE 'abandoned' END,
                lost = lost + CASE WHEN status = 'running' THEN 1 ELSE 0 END,
                owner = CASE WHEN status = 'running' THEN owner END,
                fence = nextval('jobrun_fence'), lease_until = NULL, updated_at = now()
            WHERE namespace = \(namespace) AND status IN ('claimed', 'running') AND lease_until <= now()
            RETURNING task, due_ms, status
            """, doing: "end the leases that ran out in", as: (String, Int64, String).self)
        return rows.map { ($0.0, Instant(milliseconds: $0.1), $0.2) }
    }

    /// Marks this replica stopped; its claims that had not started are released.
    public func leave() async throws(JobrunError) {
        try await execute("""
            WITH released AS (
                UPDATE jobrun_runs SET status = 'released', owner = NULL, lease_until = NULL, fence = nextval('jobrun_fence'), updated_at = now()
                WHERE namespace = \(namespace) AND owner = \(replica) AND status = 'claimed' RETURNING 1
            )
            UPDATE jobrun_replicas SET stopped_at = now(), lease_until = now()
            WHERE namespace = \(namespace) AND replica = \(replica)
            """, doing: "leave")
    }
}
