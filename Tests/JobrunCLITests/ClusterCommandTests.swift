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
        for replica in replicas { replica.waitUntilExit() }
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
    }

    @Test func replicaIsAUsageErrorWithoutAClusterOrOutsideARun() throws {
        let w = try Workspace("state: jobs.db\ntasks: [{name: t, command: \"touch ran\"}]\n")
        let sqlite = try w.run(["--replica", "r1", "--no-report"])
        #expect(sqlite.status == 2 && sqlite.stderr.contains("--replica names this replica in a cluster: give a postgres:// state"), "\(sqlite.stderr)")
        #expect(w.file("ran") == nil)
        let validate = try w.run(["--validate", "--replica", "r1"])
        #expect(validate.status == 2 && validate.stderr.contains("--replica is for running a file in a cluster"), "\(validate.stderr)")
    }
}
