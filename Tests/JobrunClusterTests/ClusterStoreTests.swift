import Foundation
import JobrunCore
import JobrunTestSupport
import Testing

@testable import JobrunCluster

/// One PostgreSQL server for the suite, started on first use; each test has a database of its own.
private actor Server {
    static let shared = Server()
    private var server: PostgresServer?
    private var databases = 0

    /// A new, empty database's URL.
    func database() throws -> PostgresURL {
        if server == nil { server = try PostgresServer() }
        databases += 1
        let name = "test\(databases)"
        try server!.createDatabase(name)
        return try PostgresURL(server!.url(database: name))
    }

    func psql(_ sql: String, database: String) throws -> String { try server!.psql(sql, database: database) }
}

private func replica(_ url: PostgresURL, _ name: String, lease: Duration = .seconds(30)) async throws -> ClusterStore {
    // A long call limit: a test process busy with others may leave a call's answer waiting
    // for seconds, which is the test's slowness, not the store's.
    try await ClusterStore.connect(url, namespace: "jobs", replica: name, lease: lease, callLimit: .seconds(120))
}

/// Runs `body` with replicas `names` of one cluster (leases of 30 s but where `leases` says
/// otherwise), and closes their connections however it ends.
private func withReplicas(_ url: PostgresURL, _ names: [String], leases: [String: Duration] = [:],
                          _ body: ([ClusterStore]) async throws -> Void) async throws {
    var stores: [ClusterStore] = []
    do {
        for name in names { stores.append(try await replica(url, name, lease: leases[name] ?? .seconds(30))) }
        try await body(stores)
    } catch {
        for store in stores { await store.close() }
        throw error
    }
    for store in stores { await store.close() }
}

@Suite(.serialized) struct ClusterStoreTests {
    @Test func aURLIsReadAsLibpqReadsIt() throws {
        let tcp = try PostgresURL("postgresql://jobrun:s%40cret@db.example:6543/jobs?sslmode=verify-full&sslrootcert=/ca.pem")
        #expect(tcp.host == "db.example" && tcp.port == 6543 && tcp.user == "jobrun" && tcp.password == "s@cret")
        #expect(tcp.database == "jobs" && tcp.sslMode == .verifyFull && tcp.rootCertificate == "/ca.pem")
        #expect(tcp.socketPath == nil && !tcp.redacted.contains("cret"))
        let socket = try PostgresURL("postgres://%2Fvar%2Frun%2Fpostgresql/jobs", defaultUser: "ops")
        #expect(socket.socketPath == "/var/run/postgresql/.s.PGSQL.5432" && socket.user == "ops" && socket.sslMode == .prefer)
        let query = try PostgresURL("postgres://u@/d?host=/tmp/x&port=7000")
        #expect(query.socketPath == "/tmp/x/.s.PGSQL.7000")
        let v6 = try PostgresURL("postgres://u@[::1]:5433")
        #expect(v6.host == "::1" && v6.port == 5433 && v6.database == "u")
        for bad in ["postgres://u@h:99999/d", "postgres://u@h/d?sslmode=sometimes", "postgres://u@h/d?colour=blue", "postgres://u@[::1/d"] {
            #expect(throws: JobrunError.self, "\(bad)") { try PostgresURL(bad) }
        }
        let error = try #require(throws: JobrunError.self) { try PostgresURL("postgres://u@h/d?sslmode=sometimes") }
        #expect(error.description.contains("sslmode \"sometimes\" is not one of disable, allow, prefer, require, verify-ca, verify-full"))
    }

    @Test func theSchemaIsMadeOnceAndAStoreFromANewerJobrunIsRefused() async throws {
        let url = try await Server.shared.database()
        try await withReplicas(url, ["a", "b"]) { _ in }  // the second finds the schema made
        #expect(try await Server.shared.psql("SELECT version FROM jobrun_schema", database: url.database).trimmingCharacters(in: .whitespacesAndNewlines) == "2")
        _ = try await Server.shared.psql("UPDATE jobrun_schema SET version = 99", database: url.database)
        let error = await #expect(throws: JobrunError.self) { try await replica(url, "c") }
        #expect(error?.description.contains("was written by a newer jobrun (its version 99, this jobrun's 2)") == true)
        // A store of version 1 is brought to 2: the index of runs by due instant and the
        // functions of the claim and the record are made.
        _ = try await Server.shared.psql("UPDATE jobrun_schema SET version = 1; DROP INDEX jobrun_runs_due; DROP FUNCTION jobrun_claim_v2; DROP FUNCTION jobrun_record_v2",
                                         database: url.database)
        try await withReplicas(url, ["d"]) { _ in }
        #expect(try await Server.shared.psql("SELECT version FROM jobrun_schema", database: url.database).trimmingCharacters(in: .whitespacesAndNewlines) == "2")
        #expect(try await Server.shared.psql("SELECT count(*) FROM pg_indexes WHERE indexname = 'jobrun_runs_due'", database: url.database)
            .trimmingCharacters(in: .whitespacesAndNewlines) == "1")
        #expect(try await Server.shared.psql("SELECT count(*) FROM pg_proc WHERE proname IN ('jobrun_claim_v2', 'jobrun_record_v2')", database: url.database)
            .trimmingCharacters(in: .whitespacesAndNewlines) == "2")
    }

    @Test func anUnreachableServerIsSaidWithTheURLAndWithoutThePassword() async throws {
        let url = try PostgresURL("postgres://jobrun:hunter2@/jobs?host=/nonexistent-dir&port=5999")
        let error = await #expect(throws: JobrunError.self) { try await replica(url, "a") }
        let text = error?.description ?? ""
        #expect(text.contains("cannot connect to the PostgreSQL store postgres://jobrun@:5999/jobs?host=/nonexistent-dir"))
        #expect(!text.contains("hunter2"))
    }

    @Test func theFirstReplicaBeginsTheClusterAndTheOthersTakeItsStart() async throws {
        let url = try await Server.shared.database()
        try await withReplicas(url, ["a", "b"]) { r in
            let (a, b) = (r[0], r[1])
            let first = try await a.join(host: "h", pid: 1, at: Instant(milliseconds: 1_000_000))
            #expect(first.began && first.startedAt == Instant(milliseconds: 1_000_000) && first.generation == 1)
            let second = try await b.join(host: "h", pid: 2, at: Instant(milliseconds: 1_005_000))
            #expect(!second.began && second.startedAt == Instant(milliseconds: 1_000_000) && second.generation == 1)
            try await a.leave()
            try await b.leave()
            // Everyone stopped: the next one begins a new cluster.
            let third = try await a.join(host: "h", pid: 3, at: Instant(milliseconds: 2_000_000))
            #expect(third.began && third.startedAt == Instant(milliseconds: 2_000_000) && third.generation == 2)
        }
    }

    @Test func eachDueInstantIsClaimedOnceAndRunNumbersHaveNoGaps() async throws {
        let url = try await Server.shared.database()
        try await withReplicas(url, ["a", "b", "c"]) { replicas in
            let now = Instant.now()
            var claims: [Claim] = []
            for step in 0..<20 {
                let due = Instant(milliseconds: now.milliseconds - 20_000 + Int64(step) * 1000)
                // All three at once, as replicas due at the same instant do.
                let outcomes = try await withThrowingTaskGroup(of: ClaimOutcome.self) { group in
                    for r in replicas { group.addTask { try await r.claim(task: "tick", due: due, overlap: .allow) } }
                    return try await group.reduce(into: [ClaimOutcome]()) { $0.append($1) }
                }
                let won = outcomes.compactMap { if case .claimed(let c) = $0 { c } else { nil } }
                #expect(won.count == 1, "step \(step): \(outcomes)")
                #expect(outcomes.filter { $0 == .taken }.count == 2)
                claims += won
            }
            #expect(claims.map(\.run) == Array(1...20))
            #expect(Set(claims.map(\.fence)).count == 20)
            // An instant before the last one claimed is never claimed again, by anyone.
            #expect(try await replicas[0].claim(task: "tick", due: claims[3].due, overlap: .allow) == .taken)
            // One nobody claimed (its replica's claim waited out an outage while another
            // claimed later instants) still is, once, under the next number.
            let passed = Instant(milliseconds: claims[3].due.milliseconds + 500)
            guard case .claimed(let late) = try await replicas[1].claim(task: "tick", due: passed, overlap: .allow) else {
                Issue.record("a passed instant nobody claimed was not claimed")
                return
            }
            #expect(late.run == 21)
            #expect(try await replicas[2].claim(task: "tick", due: passed, overlap: .allow) == .taken)
            #expect(try await replicas[0].histories(of: ["tick"]).first?.lastDue == claims[19].due, "the cursor stays")
        }
    }

    @Test func aRunIsClaimedAtMostASecondBeforeItIsDueByTheDatabaseClock() async throws {
        let url = try await Server.shared.database()
        try await withReplicas(url, ["a"]) { r in
            let a = r[0]
            let due = Instant(milliseconds: Instant.now().milliseconds + 5000)
            guard case .early(let databaseNow) = try await a.claim(task: "later", due: due, overlap: .allow) else {
                Issue.record("claimed 5 s early")
                return
            }
            #expect(abs(databaseNow.milliseconds - Instant.now().milliseconds) < 2000)
            let soon = Instant(milliseconds: databaseNow.milliseconds + 800)
            guard case .claimed(let claim) = try await a.claim(task: "later", due: soon, overlap: .allow) else {
                Issue.record("not claimed 0.8 s early")
                return
            }
            #expect(claim.run == 1)
        }
    }

    @Test func overlapHoldsAcrossReplicas() async throws {
        let url = try await Server.shared.database()
        try await withReplicas(url, ["a", "b"]) { r in
            let (a, b) = (r[0], r[1])
            let now = Instant.now().milliseconds
            guard case .claimed(let first) = try await a.claim(task: "long", due: Instant(milliseconds: now - 3000), overlap: .skip) else {
                Issue.record("first not claimed")
                return
            }
            // Another replica, the next instant, while the first run is active.
            #expect(try await b.claim(task: "long", due: Instant(milliseconds: now - 2000), overlap: .skip) == .skipped(run: 2))
            #expect(try await b.claim(task: "queued", due: Instant(milliseconds: now - 2000), overlap: .queue) != .busy)
            guard case .claimed(let q1) = try await a.claim(task: "q", due: Instant(milliseconds: now - 2000), overlap: .queue) else {
                Issue.record("q not claimed")
                return
            }
            #expect(try await b.claim(task: "q", due: Instant(milliseconds: now - 1000), overlap: .queue) == .busy)
            #expect(try await a.record([RunChange(claim: q1, status: .succeeded, attempts: 1, record: "{}")]) == 1)
            guard case .claimed(let q2) = try await b.claim(task: "q", due: Instant(milliseconds: now - 1000), overlap: .queue) else {
                Issue.record("q's next run not claimed once the first ended")
                return
            }
            #expect(q2.run == 2)
            #expect(try await a.record([RunChange(claim: first, status: .succeeded, attempts: 1, record: "{}")]) == 1)
        }
    }

    @Test func aReplicaThatLostItsLeaseCannotWriteTheRunAnotherTook() async throws {
        let url = try await Server.shared.database()
        try await withReplicas(url, ["a", "b"], leases: ["a": .milliseconds(300)]) { r in
            let (a, b) = (r[0], r[1])
            let due = Instant(milliseconds: Instant.now().milliseconds - 1000)
            guard case .claimed(let mine) = try await a.claim(task: "t", due: due, overlap: .allow) else {
                Issue.record("not claimed")
                return
            }
            #expect(try await a.renew([mine]).held == [mine])
            #expect(try await a.record([RunChange(claim: mine, status: .running, attempts: 0, record: "{}")]) == 1)
            #expect(try await b.sweep(rerun: ["t"]).isEmpty)  // the lease is alive
            #expect(try await b.adopt(tasks: ["t"]) == nil)
            try await Task.sleep(for: .milliseconds(400))
            #expect(try await a.renew([mine]).held.isEmpty)  // ran out: not renewed
            #expect(try await b.adopt(tasks: ["t"]) == nil)  // not before a sweep says it is lost
            let swept = try await b.sweep(rerun: ["t"])
            #expect(swept.map(\.status) == ["lost"] && swept.first?.due == mine.due)
            let (taken, attempts) = try #require(try await b.adopt(tasks: ["t"]))
            #expect(taken.run == mine.run && taken.due == mine.due && taken.fence > mine.fence && attempts == 0)
            #expect(try await a.record([RunChange(claim: mine, status: .succeeded, attempts: 1, record: "{}")]) == 0)
            #expect(try await b.record([RunChange(claim: taken, status: .running, attempts: 0, record: "{}")]) == 1)
            #expect(try await b.record([RunChange(claim: taken, status: .succeeded, attempts: 1, record: "{\"status\":\"succeeded\"}")]) == 1)
            #expect(try await Server.shared.psql("SELECT status || ' ' || owner || ' ' || lost FROM jobrun_runs", database: url.database)
                .trimmingCharacters(in: .whitespacesAndNewlines) == "succeeded b 1")
            // Under on_lost: abandon, a lost run stays abandoned: nobody takes it.
            guard case .claimed(let other) = try await a.claim(task: "u", due: due, overlap: .allow) else {
                Issue.record("not claimed")
                return
            }
            #expect(try await a.record([RunChange(claim: other, status: .running, attempts: 0, record: "{}")]) == 1)
            try await Task.sleep(for: .milliseconds(400))
            #expect(try await b.sweep(rerun: ["t"]).map(\.status) == ["abandoned"])
            #expect(try await b.adopt(tasks: ["t", "u"]) == nil)
        }
    }

    /// The deadline of a run's job follows what the replica last proved of its lease; a run
    /// whose job was killed before the lease ran out is left `lost` for a rerun under
    /// `on_lost: rerun`, and `abandoned` otherwise.
    @Test func aRunGivenUpBeforeItsLeaseRanOutIsLeftForARerunUnderOnLostRerun() async throws {
        let url = try await Server.shared.database()
        try await withReplicas(url, ["a", "b"]) { r in
            let (a, b) = (r[0], r[1])
            let runs = ClusterRuns(store: a, rerun: ["t"])
            let due = Instant(milliseconds: Instant.now().milliseconds - 1000)
            let safe = ClusterRuns.safeFor(.seconds(30))
            #expect(safe == .milliseconds(26_250))
            let asked = ContinuousClock.now
            #expect(try await runs.claim(ClaimRequest(task: TaskIndex(0), name: "t", due: due, overlap: .allow)) == .mine(run: 1))
            #expect(try await runs.claim(ClaimRequest(task: TaskIndex(1), name: "u", due: due, overlap: .allow)) == .mine(run: 1))
            let answered = ContinuousClock.now
            let t = try #require(runs.claims.first { $0.task == "t" }), u = try #require(runs.claims.first { $0.task == "u" })
            let deadline = try #require(runs.deadline(of: t.id(in: "jobs")))
            #expect(deadline >= asked + safe && deadline <= answered + safe, "from the claim's statement")
            #expect(runs.deadline(of: t.id(in: "other")) == nil, "not a run this replica holds")
            let held = runs.claims
            let renewing = ContinuousClock.now
            let renewal = try await a.renew(held)
            #expect(runs.lose(before: held, renewed: renewal.held, at: renewing).isEmpty)
            #expect(runs.deadline(of: t.id(in: "jobs")) == renewing + safe, "a renewal moves it")
            // Both jobs killed at their deadline (the renewal came too late): t is left for a
            // rerun, u is over.
            func write(_ task: Int, _ claim: Claim) -> RunWrite {
                var record = RunRecord(task: TaskIndex(task), run: RunNumber(1), dueAt: due)
                record.status = .abandoned
                record.attempts = [AttemptRecord(attempt: 1, status: .abandoned, startedAt: due, finishedAt: due)]
                return RunWrite(record: record)
            }
            try await runs.record([write(0, t), write(1, u)])
            #expect(runs.claims.isEmpty && runs.deadline(of: t.id(in: "jobs")) == nil, "let go")
            #expect(try await Server.shared.psql("SELECT task || ' ' || status || ' ' || lost FROM jobrun_runs ORDER BY task", database: url.database)
                .split(separator: "\n") == ["t lost 1", "u abandoned 0"])
            let (taken, attempts) = try #require(try await b.adopt(tasks: ["t", "u"]))
            #expect(taken.task == "t" && taken.run == 1 && attempts == 1)
            #expect(try await b.adopt(tasks: ["t", "u"]) == nil)
        }
    }

    /// Triggered runs are runs of their own: two due in the same millisecond (on one replica
    /// or two) are both claimed, the later a millisecond on; a run of a schedule at an instant
    /// another replica has is still that replica's.
    @Test func triggeredRunsDueInTheSameMillisecondAreAllClaimed() async throws {
        let url = try await Server.shared.database()
        try await withReplicas(url, ["a", "b"]) { r async throws in
            let a = ClusterRuns(store: r[0]), b = ClusterRuns(store: r[1])
            let due = Instant(milliseconds: Instant.now().milliseconds)
            let request = ClaimRequest(task: TaskIndex(0), name: "notify", due: due, overlap: .allow, unique: true)
            #expect(try await a.claim(request) == .mine(run: 1))
            #expect(try await b.claim(request) == .mineAt(run: 2, due: due + .milliseconds(1)))
            #expect(try await a.claim(request) == .mineAt(run: 3, due: due + .milliseconds(2)))
            #expect(try await b.claim(ClaimRequest(task: TaskIndex(0), name: "notify", due: due, overlap: .allow)) == .taken)
        }
    }

    /// A claim that finds its run taken brings back the other runs due at that instant
    /// claimed since the replica last asked, and the replica does not ask for those: it
    /// answers `taken` at once, even for a task under `overlap: queue` whose other run is
    /// active (the store would say "wait", then "taken" once that run ended).
    @Test func aTakenClaimTellsWhichOtherRunsOfTheInstantAreTaken() async throws {
        let url = try await Server.shared.database()
        try await withReplicas(url, ["a", "b"]) { r async throws in
            let (a, b) = (r[0], r[1])
            let due = Instant(milliseconds: Instant.now().milliseconds - 1000)
            for task in ["t1", "t2", "q"] {
                guard case .claimed = try await a.claim(task: task, due: due, overlap: .queue) else {
                    Issue.record("\(task) not claimed")
                    return
                }
            }
            let first = try await b.claim(task: "t1", due: due, overlap: .allow, seenAfter: 0, start: false, recording: [])
            #expect(first.outcome == .taken)
            #expect(Set(first.seen.tasks) == ["t1", "t2", "q"])
            guard case .claimed = try await a.claim(task: "t3", due: due, overlap: .allow) else {
                Issue.record("t3 not claimed")
                return
            }
            let second = try await b.claim(task: "t2", due: due, overlap: .allow, seenAfter: first.seen.upTo, start: false, recording: [])
            #expect(second.outcome == .taken && second.seen.tasks == ["t3"], "only what was claimed since: \(second.seen)")
            #expect(try await b.claim(task: "q", due: due, overlap: .queue) == .busy, "the store says wait")

            let runs = ClusterRuns(store: b, lookInterval: .seconds(60))
            #expect(try await runs.claim(ClaimRequest(task: TaskIndex(0), name: "t1", due: due, overlap: .allow)) == .taken)
            // Seen with t1's answer: taken, without waiting a minute for q's other run.
            let clock = ContinuousClock()
            let started = clock.now
            #expect(try await runs.claim(ClaimRequest(task: TaskIndex(2), name: "q", due: due, overlap: .queue)) == .taken)
            #expect(clock.now - started < .seconds(30))
        }
    }

    /// A run that starts as soon as it is claimed is claimed `running`: its first `running`
    /// write is not made (the history shows it running since its claim), its end is written
    /// as any other; one stopped before it started is still given back.
    @Test func aRunThatStartsAtOnceIsClaimedRunning() async throws {
        let url = try await Server.shared.database()
        try await withReplicas(url, ["a", "b"]) { r async throws in
            let runs = ClusterRuns(store: r[0])
            let due = Instant(milliseconds: Instant.now().milliseconds - 1000)
            func status() async throws -> [Substring] {
                try await Server.shared.psql("SELECT task || ' ' || status || ' ' || (record IS NULL) FROM jobrun_runs ORDER BY task", database: url.database)
                    .split(separator: "\n")
            }
            var now = ClaimRequest(task: TaskIndex(0), name: "now", due: due, overlap: .allow)
            now.startsAtOnce = true
            var stopped = ClaimRequest(task: TaskIndex(1), name: "stopped", due: due, overlap: .allow)
            stopped.startsAtOnce = true
            let ahead = ClaimRequest(task: TaskIndex(2), name: "ahead", due: due, overlap: .allow)
            #expect(try await runs.claim(now) == .mine(run: 1))
            #expect(try await runs.claim(stopped) == .mine(run: 1))
            #expect(try await runs.claim(ahead) == .mine(run: 1))
            #expect(try await status() == ["ahead claimed true", "now running true", "stopped running true"])

            var record = RunRecord(task: TaskIndex(0), run: RunNumber(1), dueAt: due)
            record.status = .running
            record.startedAt = Instant.now()
            var cancelled = RunRecord(task: TaskIndex(1), run: RunNumber(1), dueAt: due)
            cancelled.status = .cancelled
            var started = RunRecord(task: TaskIndex(2), run: RunNumber(1), dueAt: due)
            started.status = .running
            try await runs.record([RunWrite(record: record, attemptStartedAt: Instant.now()), RunWrite(record: cancelled),
                                   RunWrite(record: started, attemptStartedAt: Instant.now())])
            #expect(try await status() == ["ahead running false", "now running true", "stopped released true"],
                    "the first running write of a run claimed running is not made; the stopped one is given back")
            let reader = try await ClusterStore.reading(url, namespace: "jobs")
            let shown = try await reader.history(task: "now", status: nil, since: nil, limit: 10)
            await reader.close()
            #expect(shown.first?.record.status == .running && shown.first?.record.startedAt != nil, "running since its claim")

            record.status = .succeeded
            record.attempts = [AttemptRecord(attempt: 1, status: .succeeded, startedAt: due, finishedAt: Instant.now())]
            try await runs.record([RunWrite(record: record)])
            #expect(try await status() == ["ahead running false", "now succeeded false", "stopped released true"])
        }
    }

    /// The end of a run goes with the claim of the next, in its statement, and before it: the
    /// next run of the same task under `overlap: queue` finds the first ended, not active. An
    /// end whose claim makes no statement (its run known taken, or the claim stopped) is
    /// written on its own.
    @Test func theEndOfARunGoesWithTheClaimOfTheNext() async throws {
        let url = try await Server.shared.database()
        try await withReplicas(url, ["a", "b"]) { r async throws in
            let runs = ClusterRuns(store: r[0], lookInterval: .seconds(60))
            let due = Instant(milliseconds: Instant.now().milliseconds - 2000)
            func status() async throws -> [Substring] {
                try await Server.shared.psql("SELECT task || ' ' || due_ms || ' ' || status FROM jobrun_runs ORDER BY task, due_ms", database: url.database)
                    .split(separator: "\n")
            }
            func end(_ task: Int, _ at: Instant) -> RunWrite {
                var record = RunRecord(task: TaskIndex(task), run: RunNumber(1), dueAt: at)
                record.status = .succeeded
                record.attempts = [AttemptRecord(attempt: 1, status: .succeeded, startedAt: at, finishedAt: Instant.now())]
                return RunWrite(record: record)
            }
            #expect(try await runs.claim(ClaimRequest(task: TaskIndex(0), name: "q", due: due, overlap: .queue)) == .mine(run: 1))
            let next = ClaimRequest(task: TaskIndex(0), name: "q", due: due + .seconds(1), overlap: .queue)
            #expect(try await runs.claim(next, recording: [end(0, due)]) == .mine(run: 2), "not busy: q's first run ended first")
            #expect(try await status() == ["q \(due.milliseconds) succeeded", "q \(due.milliseconds + 1000) claimed"])
            #expect(runs.claims.map(\.run) == [2], "the ended run is let go")

            // Another replica's claim of t is known from a taken claim of u: the end of q's
            // second run is written without a claim statement.
            guard case .claimed = try await r[1].claim(task: "t", due: due, overlap: .allow),
                  case .claimed = try await r[1].claim(task: "u", due: due, overlap: .allow) else {
                Issue.record("not claimed")
                return
            }
            #expect(try await runs.claim(ClaimRequest(task: TaskIndex(1), name: "u", due: due, overlap: .allow)) == .taken)
            var second = end(0, due + .seconds(1))
            second.record.run = RunNumber(2)
            #expect(try await runs.claim(ClaimRequest(task: TaskIndex(2), name: "t", due: due, overlap: .allow), recording: [second]) == .taken)
            #expect(try await status() == ["q \(due.milliseconds) succeeded", "q \(due.milliseconds + 1000) succeeded",
                                           "t \(due.milliseconds) claimed", "u \(due.milliseconds) claimed"])
            #expect(runs.claims.isEmpty)
        }
    }

    /// A replica killed and restarted under its name within a lease: what the earlier process
    /// held is not the new one's. Its leases end at the join (the new process renews only its
    /// own claims), and the next sweep ends its runs.
    @Test func aReplicaRestartedUnderItsNameDoesNotKeepWhatItsEarlierProcessHeld() async throws {
        let url = try await Server.shared.database()
        try await withReplicas(url, ["a", "b"]) { r async throws in
            let (a, b) = (r[0], r[1])
            _ = try await a.join(host: "h", pid: 1, at: Instant.now())
            let due = Instant(milliseconds: Instant.now().milliseconds - 1000)
            guard case .claimed(let earlier) = try await a.claim(task: "t", due: due, overlap: .allow) else {
                Issue.record("not claimed")
                return
            }
            #expect(try await a.record([RunChange(claim: earlier, status: .running, attempts: 0, record: "{}")]) == 1)
            let again = try await replica(url, "a")
            do {
                _ = try await again.join(host: "h", pid: 2, at: Instant.now())
                #expect(try await again.renew([]).held.isEmpty)
                #expect(try await b.sweep(rerun: []).map(\.status) == ["abandoned"])
            } catch {
                await again.close()
                throw error
            }
            await again.close()
        }
    }

    @Test func aStoppingReplicaReleasesWhatItClaimedButHadNotStarted() async throws {
        let url = try await Server.shared.database()
        try await withReplicas(url, ["a", "b"]) { r in
            let (a, b) = (r[0], r[1])
            let due = Instant(milliseconds: Instant.now().milliseconds - 500)
            guard case .claimed(let claim) = try await a.claim(task: "t", due: due, overlap: .allow) else {
                Issue.record("not claimed")
                return
            }
            #expect(try await b.adopt(tasks: ["t"]) == nil)
            try await a.leave()
            #expect(try await b.adopt(tasks: ["other"]) == nil)
            let (taken, _) = try #require(try await b.adopt(tasks: ["t"]))
            #expect(taken.run == claim.run && taken.due == claim.due)
            #expect(try await a.record([RunChange(claim: claim, status: .running, attempts: 0, record: "{}")]) == 0)
        }
    }

    /// The test server must hold none of the test process's descriptors: Foundation's Process
    /// sees its child end by the end of a socket the child inherits, and a server holding
    /// one (or another test's pipe) would make that test wait for ever.
    @Test func theTestServerHoldsNoneOfTheTestsDescriptors() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        let server = try PostgresServer(port: 54332)
        defer { server.stop() }
        let pidFile = try String(contentsOfFile: server.directory.appendingPathComponent("data/postmaster.pid").path, encoding: .utf8)
        let postmaster = try #require(pidFile.split(separator: "\n").first.map(String.init))
        let held = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(postmaster)/fd").compactMap {
            try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(postmaster)/fd/\($0)")
        }
        let ours = try [0, 1].map { try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(fds[$0])") }
        #expect(!held.isEmpty, "the server's descriptors are readable")
        #expect(held.allSatisfy { !ours.contains($0) }, "\(held)")
    }
}
