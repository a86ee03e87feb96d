/// The cluster's tables in PostgreSQL (README, "A cluster on PostgreSQL"), created and
/// migrated by jobrun itself: each step below brings a store from one version to the next,
/// in one transaction, under an advisory lock, so that replicas started together migrate once.
///
/// - `jobrun_clusters`: per namespace, the cluster's start (what `now` and `+offset` count
///   from) and its generation (one more at each new start).
/// - `jobrun_replicas`: every replica that joined, with its lease (by the database's clock).
/// - `jobrun_tasks`: per task, the claim cursor: the last due instant claimed, how many runs
///   and due instants the cluster has had. A due instant is claimed only past the cursor, so a
///   replica that is behind never claims one another replica claimed.
/// - `jobrun_runs`: one row per run, keyed by (namespace, task, due instant in Unix ms), with
///   its owner, its fencing counter (a new value at each claim, so a replica that lost the run
///   can change nothing of it), its lease, how many times it was lost (its replica's lease ran
///   out while it ran) and the report's run object. Besides the report's statuses, a run is
///   `claimed` (not started yet), `released` (given back unstarted) or `lost` (lost under
///   `on_lost: rerun`, waiting for another replica); the last two are taken by ``ClusterStore/adopt(tasks:)``.
///
/// Version 2 adds an index of the runs by due instant and fencing counter: a claim that finds
/// its run taken also returns the other runs due at that instant claimed since the replica
/// last asked, so that it does not ask for them one by one (``ClusterRuns``).
enum ClusterSchema {
    /// The version this jobrun writes.
    static let version = 2

    /// The statements that bring a store from version `index` to `index + 1`.
    static let steps: [[String]] = [
        [
            """
            CREATE TABLE jobrun_clusters (
                namespace text PRIMARY KEY,
                started_ms bigint NOT NULL,
                generation bigint NOT NULL
            )
            """,
            """
            CREATE TABLE jobrun_replicas (
                namespace text NOT NULL,
                replica text NOT NULL,
                host text NOT NULL,
                pid integer NOT NULL,
                started_at timestamptz NOT NULL,
                seen_at timestamptz NOT NULL,
                lease_until timestamptz NOT NULL,
                stopped_at timestamptz,
                PRIMARY KEY (namespace, replica)
            )
            """,
            """
            CREATE TABLE jobrun_tasks (
                namespace text NOT NULL,
                task text NOT NULL,
                runs bigint NOT NULL,
                instants bigint NOT NULL,
                last_due_ms bigint,
                PRIMARY KEY (namespace, task)
            )
            """,
            "CREATE SEQUENCE jobrun_fence",
            """
            CREATE TABLE jobrun_runs (
                namespace text NOT NULL,
                task text NOT NULL,
                due_ms bigint NOT NULL,
                run bigint NOT NULL,
                status text NOT NULL,
                owner text,
                fence bigint NOT NULL,
                lease_until timestamptz,
                attempts integer NOT NULL DEFAULT 0,
                lost integer NOT NULL DEFAULT 0,
                record text,
                updated_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (namespace, task, due_ms)
            )
            """,
            "CREATE UNIQUE INDEX jobrun_runs_number ON jobrun_runs (namespace, task, run)",
            "CREATE INDEX jobrun_runs_leased ON jobrun_runs (namespace, lease_until) WHERE status IN ('claimed', 'running')",
            "CREATE INDEX jobrun_runs_adoptable ON jobrun_runs (namespace, due_ms) WHERE status IN ('released', 'lost')",
        ],
        [
            "CREATE INDEX jobrun_runs_due ON jobrun_runs (namespace, due_ms, fence)",
        ],
    ]
}
