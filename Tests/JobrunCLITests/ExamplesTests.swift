import Foundation
import JobrunTestSupport
import Testing

/// Every example runs from a fresh clone and writes only under `scratch/` (ignored by git).
/// Each task runs once (`--now`) for at most 3 s (`--for`, so no retry waits its minutes),
/// with the programs the examples name but this machine lacks (psql, pg_dump, certbot, …)
/// failing as missing executables, HTTP going to a proxy that refuses at once, and mail to a
/// sendmail that keeps nothing. A run may fail (exit 1); jobrun itself must not (2 or 3).
@Suite struct ExamplesTests {
    /// All but the cluster's, which needs a PostgreSQL: `ClusterWalkthroughTests` runs it
    /// against one, as the README's walk-through does.
    @Test(arguments: ValidateCommandTests.examples.filter { $0 != "cluster.yaml" })
    func anExampleRunsFromAFreshCloneAndWritesOnlyUnderScratch(_ name: String) throws {
        let w = try Workspace("")
        try FileManager.default.removeItem(at: w.appendingPathComponent("jobs.yaml"))
        try FileManager.default.copyItem(at: JobrunBinary.packageRoot.appendingPathComponent("examples"),
                                         to: w.appendingPathComponent("examples"))
        let r = try JobrunBinary.run(["--now", "--for", "3s", "examples/\(name)"],
                                     environment: ["http_proxy": "http://127.0.0.1:1", "https_proxy": "http://127.0.0.1:1",
                                                   "JOBRUN_SENDMAIL": "/bin/true"],
                                     in: w.url)
        #expect(r.status == 0 || r.status == 1, "\(r.stdout)\(r.stderr)")
        let written = (FileManager.default.enumerator(atPath: w.path)?.allObjects as? [String] ?? [])
            .filter { !$0.hasPrefix("examples") && $0 != "scratch" }
        #expect(written.allSatisfy { $0.hasPrefix("scratch/") }, "written outside scratch/: \(written.filter { !$0.hasPrefix("scratch/") })")
        // Nothing jobrun writes is named by an absolute path (it would land outside scratch/).
        let text = try String(contentsOf: w.appendingPathComponent("examples/\(name)"), encoding: .utf8)
        #expect(text.range(of: #"(?m)^\s*-?\s*(report|output|state):\s*/"#, options: .regularExpression) == nil)
        // The report is there, under scratch/.
        #expect(written.contains { $0.hasPrefix("scratch/") && $0.hasSuffix("report.json") }, "\(written)")
    }
}
