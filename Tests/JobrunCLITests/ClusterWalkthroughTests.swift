import Foundation
import JobrunTestSupport
import Testing

/// The README's walk-through of a cluster on one machine ("A cluster on PostgreSQL"), run as
/// it is written there: its shell blocks, a throwaway PostgreSQL in the first terminal and a
/// replica in each of two more.
@Suite(.serialized) struct ClusterWalkthroughTests {
    /// The README's blocks, by the name in the comment before each (`<!-- walkthrough: NAME -->`).
    static func blocks() throws -> [String: String] {
        let text = try String(contentsOf: JobrunBinary.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        var blocks: [String: String] = [:]
        for part in text.components(separatedBy: "<!-- walkthrough: ").dropFirst() {
            guard let end = part.range(of: " -->"), let open = part.range(of: "```sh\n"),
                  let close = part.range(of: "\n```", range: open.upperBound..<part.endIndex) else { continue }
            blocks[String(part[..<end.lowerBound])] = String(part[open.upperBound..<close.lowerBound])
        }
        return blocks
    }

    @Test func theREADMEsWalkthroughRunsAsWritten() throws {
        let blocks = try Self.blocks()
        #expect(Set(blocks.keys) == ["server", "replica a", "replica b", "look", "cleanup"])
        let (server, a, b, look, cleanup) = (blocks["server"] ?? "", blocks["replica a"] ?? "", blocks["replica b"] ?? "",
                                             blocks["look"] ?? "", blocks["cleanup"] ?? "")
        let w = try Workspace("")
        try FileManager.default.copyItem(at: JobrunBinary.packageRoot.appendingPathComponent("examples"),
                                         to: w.appendingPathComponent("examples"))
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = JobrunBinary.url.deletingLastPathComponent().path + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        func shell(_ script: String, output: String) throws -> pid_t {
            try Spawn.start("/bin/sh", ["-c", script], environment: environment, directory: w.path,
                            outputPath: w.appendingPathComponent(output).path, newGroup: true)
        }
        // Stops a server this test (or an earlier run of it, which crashed) left.
        let stopServer = server.components(separatedBy: "\n").prefix(3).joined(separator: "\n") + "\n"
            + "[ -d $pg/data ] && (cd /tmp && $as $bin/pg_ctl -D $pg/data -m immediate -w stop); rm -rf $pg"
        _ = Spawn.wait(try shell(stopServer, output: "stale.out"))
        // The first terminal: the server, then (once both replicas have ended) the look and the cleanup.
        let first = try shell("set -e\n\(server)\ntouch server-ready\nwhile [ ! -f replicas-done ]; do sleep 0.1; done\n\(look)\n\(cleanup)",
                              output: "terminal1.out")
        defer {
            // However the test ends, the first terminal ends and the server goes.
            _ = FileManager.default.createFile(atPath: w.appendingPathComponent("replicas-done").path, contents: nil)
            if let stop = try? shell(stopServer, output: "stop.out") { _ = Spawn.wait(stop) }
        }
        for _ in 0..<1500 where w.file("server-ready") == nil && !ended(first) { usleep(20_000) }
        #expect(w.file("server-ready") != nil, "the server started: \(w.file("terminal1.out") ?? "")")
        let replicaA = try shell(a, output: "a.out")
        usleep(1_000_000)
        let replicaB = try shell(b, output: "b.out")
        let (statusA, statusB) = (wait(replicaA), wait(replicaB))
        _ = FileManager.default.createFile(atPath: w.appendingPathComponent("replicas-done").path, contents: nil)
        let statusFirst = wait(first)
        let (outA, outB, terminal1) = (w.file("a.out") ?? "", w.file("b.out") ?? "", w.file("terminal1.out") ?? "")
        #expect(statusA == 0 && statusB == 0, "a: \(outA)\nb: \(outB)")
        #expect(statusFirst == 0, "\(terminal1)")
        #expect(outA.contains("replica a began the cluster cluster-demo"), "\(outA)")
        #expect(outB.contains("replica b joined the cluster cluster-demo"), "\(outB)")
        // Each run once in the cluster, publish after export, whichever replica ran each.
        let runs = (w.file("scratch/cluster/runs.log") ?? "").split(separator: "\n").map(String.init)
        let ids = runs.compactMap { $0.split(separator: " ").first.map(String.init) }
        #expect(Set(ids).count == ids.count, "each run once: \(runs)")
        #expect(ids.filter { $0.hasPrefix("cluster-demo/tick@") }.count >= 9, "\(runs)")
        let export = try #require(ids.firstIndex { $0.hasPrefix("cluster-demo/export@") })
        let publish = try #require(ids.firstIndex { $0.hasPrefix("cluster-demo/publish@") })
        #expect(export < publish)
        // What the first terminal showed: the log, then the cluster's rows, every run succeeded.
        #expect(terminal1.contains(runs.last ?? "—"))
        #expect(terminal1.contains("REPLICA") && terminal1.contains("left at"), "--status shows the replicas: \(terminal1)")
        let rows = terminal1.split(separator: "\n").filter { $0.contains(" | ") && !$0.contains("status") }
        #expect(rows.count == runs.count && rows.allSatisfy { $0.contains("succeeded") }, "\(terminal1)")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/jobrun-pg"), "the cleanup removed the server")
    }

    /// Whether `pid` has ended (it is reaped then).
    private func ended(_ pid: pid_t) -> Bool {
        var status: Int32 = 0
        return waitpid(pid, &status, WNOHANG) == pid
    }

    /// `pid`'s exit status, once it has ended (within two minutes; it is killed after).
    private func wait(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        for _ in 0..<6000 {
            if waitpid(pid, &status, WNOHANG) == pid { return (status >> 8) & 0xff }
            usleep(20_000)
        }
        kill(-pid, SIGKILL)
        return (Spawn.wait(pid) >> 8) & 0xff
    }
}
