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
/// last asked, so that it does not ask for them one by one (``ClusterRuns``). And it puts the
/// two statements of every run, the claim and the record of a change, in PL/pgSQL functions
/// (`jobrun_claim_v2`, `jobrun_record_v2`): PostgreSQL plans a function's statement once per
/// connection, where it planned the statement sent each time at every call, which cost more
/// than running it. Each is still one statement, its own transaction; unlike prepared
/// statements, they work behind any pooler. A later version that changes one makes a function
/// of a new name, so that replicas of the older jobrun still running call theirs.
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
            "CREATE INDEX IF NOT EXISTS jobrun_runs_due ON jobrun_runs (namespace, due_ms, fence)",
            // ClusterStore.claim(task:due:overlap:seenAfter:start:recording:)
            """
            CREATE OR REPLACE FUNCTION jobrun_claim_v2(p_namespace text, p_task text, p_due_ms bigint, p_mode text, p_replica text,
                                            p_lease_ms bigint, p_seen_after bigint, p_start boolean,
                                            p_tasks text[], p_due_mss bigint[], p_fences bigint[], p_statuses text[],
                                            p_attempts bigint[], p_records text[], p_finals boolean[], p_losts boolean[])
            RETURNS TABLE (o_run bigint, o_fence bigint, o_status text, o_now_ms bigint, o_busy boolean, o_seen text[], o_seen_up_to bigint)
            LANGUAGE plpgsql AS $$
            BEGIN
                -- Changes of this replica's runs first (the end of its last run), as jobrun_record_v2.
                IF cardinality(p_tasks) > 0 THEN
                    PERFORM jobrun_record_v2(p_namespace, p_replica, p_tasks, p_due_mss, p_fences, p_statuses, p_attempts,
                                             p_records, p_finals, p_losts);
                END IF;
                RETURN QUERY
                WITH clock AS (SELECT (extract(epoch FROM now()) * 1000)::bigint AS now_ms),
                active AS (
                    SELECT EXISTS (SELECT 1 FROM jobrun_runs r WHERE r.namespace = p_namespace AND r.task = p_task
                                   AND r.status IN ('claimed', 'running') AND r.lease_until > now()) AS busy
                ),
                cursor AS (
                    INSERT INTO jobrun_tasks AS t (namespace, task, runs, instants, last_due_ms)
                    SELECT p_namespace, p_task, 1, 1, p_due_ms FROM clock, active
                    WHERE p_due_ms <= clock.now_ms + 1000 AND NOT (active.busy AND p_mode = 'queue')
                    ON CONFLICT (namespace, task) DO UPDATE SET runs = t.runs + 1, instants = t.instants + 1,
                        last_due_ms = GREATEST(t.last_due_ms, EXCLUDED.last_due_ms)
                        WHERE t.last_due_ms IS NULL OR t.last_due_ms < EXCLUDED.last_due_ms
                           OR (EXCLUDED.last_due_ms < t.last_due_ms AND NOT EXISTS (
                               SELECT 1 FROM jobrun_runs r WHERE r.namespace = t.namespace AND r.task = t.task AND r.due_ms = EXCLUDED.last_due_ms))
                    RETURNING t.runs
                ),
                claimed AS (
                    INSERT INTO jobrun_runs AS r (namespace, task, due_ms, run, status, owner, fence, lease_until)
                    SELECT p_namespace, p_task, p_due_ms, cursor.runs,
                           CASE WHEN active.busy AND p_mode = 'skip' THEN 'skipped' WHEN p_start THEN 'running' ELSE 'claimed' END,
                           p_replica, nextval('jobrun_fence'),
                           CASE WHEN active.busy AND p_mode = 'skip' THEN NULL ELSE now() + p_lease_ms * interval '1 millisecond' END
                    FROM cursor, active
                    ON CONFLICT DO NOTHING
                    RETURNING r.run, r.fence, r.status
                )
                SELECT claimed.run, claimed.fence, claimed.status, clock.now_ms, active.busy,
                       CASE WHEN claimed.run IS NULL THEN ARRAY(
                           SELECT r.task FROM jobrun_runs r WHERE r.namespace = p_namespace AND r.due_ms = p_due_ms AND r.fence > p_seen_after) END,
                       CASE WHEN claimed.run IS NULL THEN (
                           SELECT max(r.fence) FROM jobrun_runs r WHERE r.namespace = p_namespace AND r.due_ms = p_due_ms AND r.fence > p_seen_after) END
                FROM clock CROSS JOIN active LEFT JOIN claimed ON true;
            END
            $$
            """,
            // ClusterStore.record(_:)
            """
            CREATE OR REPLACE FUNCTION jobrun_record_v2(p_namespace text, p_replica text, p_tasks text[], p_due_ms bigint[], p_fences bigint[],
                                             p_statuses text[], p_attempts bigint[], p_records text[], p_finals boolean[], p_losts boolean[])
            RETURNS bigint LANGUAGE plpgsql AS $$
            DECLARE
                written bigint;
            BEGIN
                UPDATE jobrun_runs r SET status = CASE WHEN v.lost THEN 'lost' ELSE v.status END, attempts = v.attempts,
                    record = v.record, updated_at = now(), lost = r.lost + CASE WHEN v.lost THEN 1 ELSE 0 END,
                    lease_until = CASE WHEN v.final OR v.lost THEN NULL ELSE r.lease_until END
                FROM unnest(p_tasks, p_due_ms, p_fences, p_statuses, p_attempts, p_records, p_finals, p_losts)
                     AS v(task, due_ms, fence, status, attempts, record, final, lost)
                WHERE r.namespace = p_namespace AND r.task = v.task AND r.due_ms = v.due_ms
                  AND r.owner = p_replica AND r.fence = v.fence AND r.status IN ('claimed', 'running');
                GET DIAGNOSTICS written = ROW_COUNT;
                RETURN written;
            END
            $$
            """,
        ],
    ]
}
