import Foundation
import JobrunTestSupport
import Testing

/// Replicas of a cluster, as users run them: jobrun binaries with one file and a
/// `postgres://` state, on a real PostgreSQL (README, "A cluster on PostgreSQL").
@Suite(.serialized) struct ClusterCommandTests {
    @Test func twoReplicasRunEachRunOnceBetweenThemAndTellJobsTheRunsIdAndTheirOwn() throws {
        let server = try PostgresServer(port: 54331)
        defer { server.stop() }
        try server.createDatabase("jobs")
        let peer = try LocalPeer("http_peer.py")
        defer { peer.stop() }
        let append = "echo $JOBRUN_RUN_ID $JOBRUN_REPLICA >> ids"
        let w = try Workspace("""
            name: nightly
            state: "\(server.url(database: "jobs"))"
            workers: 2
            lease: 5s
            tasks:
              - {name: tick, command: "\(append)", repeat: 200ms, count: 15, overlap: allow}
              - {name: a, command: "sleep 0.3; \(append)"}
              - {name: c, command: "\(append)", after: [a]}
              - {name: hook, type: http, http: {url: "http://127.0.0.1:\(peer.port)/status/200"}}

            """)
        let replicas = try ["r1", "r2"].map { try w.start(["--replica", $0, "--no-report"]) }
        for replica in replicas { #expect(w.finish(replica), "ended by itself") }
        #expect(replicas.map(\.terminationStatus) == [0, 0])
        let lines = (w.file("ids") ?? "").split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        let ids = lines.map { $0.first ?? "" }
        #expect(ids.count == 17 && Set(ids).count == 17, "each run once in the cluster: \(lines)")
        #expect(ids.filter { $0.hasPrefix("nightly/tick@") }.count == 15)
        let a = try #require(ids.firstIndex { $0.hasPrefix("nightly/a@") }), c = try #require(ids.firstIndex { $0.hasPrefix("nightly/c@") })
        #expect(a < c, "c after a, whichever replica ran each")
        #expect(Set(lines.map { $0.last ?? "" }) == ["r1", "r2"], "both replicas ran runs: \(lines)")
        // One request for the cluster, keyed by its run's id, the same whichever replica sent it.
        #expect(peer.requests.count == 1)
        let key = (peer.requests.first?["headers"] as? [String: String])?["idempotency-key"]
        #expect(key?.hasPrefix("nightly/hook@") == true && key == ids.first { $0.hasPrefix("nightly/a@") }?.replacingOccurrences(of: "/a@", with: "/hook@"),
                "\(String(describing: key))")
        let rows = try server.psql("SELECT status, count(*) FROM jobrun_runs WHERE namespace = 'nightly' GROUP BY status", database: "jobs")
        #expect(rows.trimmingCharacters(in: .whitespacesAndNewlines) == "succeeded|18")
        let stopped = try server.psql("SELECT count(*) FROM jobrun_replicas WHERE stopped_at IS NOT NULL", database: "jobs")
        #expect(stopped.trimmingCharacters(in: .whitespacesAndNewlines) == "2", "both left the cluster")
        // --history and --status read the cluster: every run, who ran each, and the replicas.
        let history = try w.run(["--history", "-n", "100", "--format", "json"])
        let listed = try #require(try JSONSerialization.jsonObject(with: Data(history.stdout.utf8)) as? [[String: Any]], "\(history.stderr)")
        #expect(listed.count == 18)
        let ranBy = listed.compactMap { ($0["attempts"] as? [[String: Any]])?.first?["replica"] as? String }
        #expect(ranBy.count == 18 && Set(ranBy) == ["r1", "r2"], "\(ranBy)")
        let status = try w.run(["--status", "--format", "json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any], "\(status.stderr)")
        let replicaRows = try #require(object["replicas"] as? [[String: Any]])
        #expect(replicaRows.map { $0["replica"] as? String } == ["r1", "r2"] || replicaRows.map { $0["replica"] as? String } == ["r2", "r1"])
        #expect(replicaRows.allSatisfy { $0["live"] as? Bool == false && $0["stopped_at"] is String })
        let tasks = try #require(object["tasks"] as? [[String: Any]])
        #expect(tasks.first { $0["task"] as? String == "tick" }.flatMap { ($0["recent"] as? [String: Any])?["succeeded"] as? Int } == 10)
        let text = try w.run(["--status"])
        #expect(text.status == 0 && text.stdout.contains("REPLICA") && text.stdout.contains("left at"), "\(text.stdout)\(text.stderr)")
        #expect(text.stdout.contains(" on r1") || text.stdout.contains(" on r2"), "which replica ran the last run: \(text.stdout)")
    }

    @Test func replicaIsAUsageErrorWithoutAClusterOrOutsideARun() throws {
        let w = try Workspace("state: jobs.db\ntasks: [{name: t, command: \"touch ran\"}]\n")
        let sqlite = try w.run(["--replica", "r1", "--no-report"])
        #expect(sqlite.status == 2 && sqlite.stderr.contains("--replica names this replica in a cluster: give a postgres:// state"), "\(sqlite.stderr)")
        #expect(w.file("ran") == nil)
        let validate = try w.run(["--validate", "--replica", "r1"])
        #expect(validate.status == 2 && validate.stderr.contains("--replica is for running a file in a cluster"), "\(validate.stderr)")
    }

    /// A replica stopped (SIGSTOP) for longer than its lease: another replica finds its leases
    /// run out, runs again the run under `on_lost: rerun` and leaves the other `abandoned`; the
    /// stopped replica, once it runs again, finds out and kills both jobs.
    @Test func aReplicaStoppedLongerThanItsLeaseLosesItsRunsAndKillsTheirJobs() throws {
        let server = try PostgresServer(port: 54331)
        defer { server.stop() }
        try server.createDatabase("jobs")
        let job = "echo $$ >> pids.$JOBRUN_REPLICA; echo $JOBRUN_RUN_ID $JOBRUN_REPLICA >> ids; sleep 4; echo $JOBRUN_RUN_ID $JOBRUN_REPLICA >> done"
        let w = try Workspace("""
            name: lost
            state: "\(server.url(database: "jobs"))"
            workers: 3
            lease: 1s
            tasks:
              - {name: rerun, command: "\(job)", on_lost: rerun}
              - {name: once, command: "\(job)"}
              - {name: keep, command: "true", repeat: 500ms, count: 24, overlap: allow}

            """)
        let r1 = try w.start(["--replica", "r1", "--no-report"])
        defer { kill(r1.processIdentifier, SIGKILL) }
        // r1 alone claims both runs; then r2 joins, and r1 stops while their jobs run.
        for _ in 0..<500 where (w.file("ids") ?? "").split(separator: "\n").count < 2 { usleep(20_000) }
        let r2 = try w.start(["--replica", "r2", "--no-report"])
        defer { kill(r2.processIdentifier, SIGKILL) }
        usleep(300_000)
        kill(r1.processIdentifier, SIGSTOP)
        // jobrun-exec, which is not stopped with jobrun, kills r1's jobs before their leases
        // (renewed every 250 ms) run out, so no rerun overlaps them.
        usleep(1_500_000)
        let pids = (w.file("pids.r1") ?? "").split(separator: "\n").compactMap { Int32($0) }
        #expect(pids.count == 2)
        for pid in pids {
            let state = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8))?.split(separator: " ").dropFirst(2).first
            #expect(state == nil || state == "Z", "r1's job \(pid) still runs while r1 is stopped")
        }
        usleep(1_000_000)
        kill(r1.processIdentifier, SIGCONT)
        #expect(w.finish(r1) && w.finish(r2), "both ended by themselves")
        let ids = (w.file("ids") ?? "").split(separator: "\n").map(String.init).sorted()
        let done = (w.file("done") ?? "").split(separator: "\n").map(String.init)
        let rerunID = try #require(ids.first { $0.hasPrefix("lost/rerun@") }?.split(separator: " ").first.map(String.init))
        let onceID = try #require(ids.first { $0.hasPrefix("lost/once@") }?.split(separator: " ").first.map(String.init))
        #expect(ids == ["\(onceID) r1", "\(rerunID) r1", "\(rerunID) r2"], "the rerun run again by r2, the other not: \(ids)")
        #expect(done == ["\(rerunID) r2"], "r1's jobs were killed before their end: \(done)")
        let rows = try server.psql("SELECT task || ' ' || status || ' ' || coalesce(owner, '-') || ' ' || lost FROM jobrun_runs "
                                   + "WHERE task <> 'keep' ORDER BY task", database: "jobs")
        #expect(rows.split(separator: "\n") == ["once abandoned r1 1", "rerun succeeded r2 1"], "\(rows)")
        #expect(r1.terminationStatus == 1 && r2.terminationStatus == 0)
    }

    /// Every replica stops, and the cluster starts again later: run numbers go on, the
    /// instants missed meanwhile are recorded once (`catch_up: none`), in the cluster, and
    /// the task due `now` runs at the new start.
    @Test func aClusterStartedAgainGoesOnAndRecordsWhatItMissedOnce() throws {
        let server = try PostgresServer(port: 54331)
        defer { server.stop() }
        try server.createDatabase("jobs")
        let w = try Workspace("""
            name: again
            state: "\(server.url(database: "jobs"))"
            lease: 1s
            tasks:
              - {name: tick, command: "echo $JOBRUN_RUN_ID >> ids", repeat: 200ms, overlap: allow}
              - {name: once, command: "echo $JOBRUN_RUN_ID >> once"}

            """)
        let first = try ["r1", "r2"].map { try w.start(["--replica", $0, "--no-report", "--for", "1s"]) }
        defer { first.forEach { kill($0.processIdentifier, SIGKILL) } }
        for replica in first { #expect(w.finish(replica) && replica.terminationStatus == 0) }
        usleep(1_500_000)
        let again = try w.start(["--replica", "r3", "--no-report", "--for", "1s"], output: "r3.err")
        defer { kill(again.processIdentifier, SIGKILL) }
        #expect(w.finish(again) && again.terminationStatus == 0, "\(w.file("r3.err") ?? "")")
        #expect(w.file("r3.err")?.contains("replica r3 began the cluster") == true, "\(w.file("r3.err") ?? "")")
        let rows = try server.psql("SELECT run || ' ' || status FROM jobrun_runs WHERE task = 'tick' ORDER BY run", database: "jobs")
            .split(separator: "\n").map(String.init)
        #expect(rows.map { Int($0.split(separator: " ")[0]) } == Array(1...rows.count).map { Optional($0) }, "numbers go on: \(rows)")
        #expect(rows.filter { $0.hasSuffix("skipped") }.count == 1, "one record of the missed instants: \(rows)")
        let missed = try server.psql("SELECT record FROM jobrun_runs WHERE task = 'tick' AND status = 'skipped'", database: "jobs")
        #expect(missed.contains("missed ") && missed.contains("catch_up: none"), "\(missed)")
        let counted = try server.psql("SELECT instants FROM jobrun_tasks WHERE task = 'tick'", database: "jobs")
        let ran = rows.count - 1
        #expect(Int(counted.trimmingCharacters(in: .whitespacesAndNewlines)).map { $0 > ran + 3 } == true,
                "the missed instants count toward the schedule: \(counted) instants, \(ran) run")
        // `now` is at each start of the cluster: once in each, under the next number.
        let once = (w.file("once") ?? "").split(separator: "\n")
        #expect(once.count == 2 && Set(once).count == 2, "\(once)")
        #expect(try server.psql("SELECT string_agg(run::text, ' ' ORDER BY run) FROM jobrun_runs WHERE task = 'once'", database: "jobs")
            .trimmingCharacters(in: .whitespacesAndNewlines) == "1 2")
    }

    /// The store stops for longer than a lease and starts again: the replicas claim nothing
    /// meanwhile, say so, and go on once it is back; every run still runs once, late.
    @Test func replicasWaitOutAStoreThatStopsAndComesBack() throws {
        let server = try PostgresServer(port: 54331)
        defer { server.stop() }
        try server.createDatabase("jobs")
        let w = try Workspace("""
            name: outage
            state: "\(server.url(database: "jobs"))"
            lease: 2s
            tasks:
              - {name: tick, command: "echo $JOBRUN_RUN_ID $JOBRUN_REPLICA >> ids", repeat: 300ms, count: 20, overlap: allow}

            """)
        let replicas = try ["r1", "r2"].map { name in
            try w.start(["--replica", name, "--no-report"], output: "\(name).err")
        }
        defer { replicas.forEach { kill($0.processIdentifier, SIGKILL) } }
        for _ in 0..<500 where (w.file("ids") ?? "").split(separator: "\n").count < 3 { usleep(10_000) }
        try server.pause()
        usleep(3_000_000)
        try server.start()
        for replica in replicas { #expect(w.finish(replica), "ended by itself") }
        #expect(replicas.map(\.terminationStatus) == [0, 0], "\(w.file("r1.err") ?? "")\(w.file("r2.err") ?? "")")
        let said = (w.file("r1.err") ?? "") + (w.file("r2.err") ?? "")
        #expect(said.contains("this replica claims nothing until the store answers again") && said.contains("the cluster's store answers again"), "\(said)")
        let ids = (w.file("ids") ?? "").split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) }
        #expect(ids.count == 20 && Set(ids).count == 20, "each of the 20 runs once: \(ids)")
        let rows = try server.psql("SELECT status, count(*) FROM jobrun_runs GROUP BY status", database: "jobs")
        #expect(rows.trimmingCharacters(in: .whitespacesAndNewlines) == "succeeded|20")
    }
}
