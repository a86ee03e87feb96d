import Foundation
import JobrunTestSupport
import Testing

/// The cluster's chaos run (README, "A cluster on PostgreSQL"): `scripts/chaos` with the
/// built jobrun, three replicas for 120 s under a seeded killer, a store outage and a replica
/// stopped for longer than its lease. It prints its counts, and fails when a promise was broken.
@Suite struct ClusterChaosTests {
    /// The seed of the test's run: the killer's moments and victims, the outage's and the
    /// pause's moments. `scripts/chaos --seed N` runs others.
    static let seed = 7

    // Not under ThreadSanitizer: the run is 120 s of wall time with three instrumented
    // replicas, which would push CI's sanitizer run (about 7.5 min) well past its budget,
    // and the code it drives is raced under the sanitizer by the other cluster tests
    // (two schedulers in one process, the store outage, the stopped replica).
    @Test(.enabled(if: ProcessInfo.processInfo.environment["TSAN_OPTIONS"] == nil,
                   "run in the debug suite; the sanitizer run covers the cluster code with the shorter cluster tests"))
    func threeReplicasKeepEveryPromiseThroughKillsAStoreOutageAndAStoppedReplica() async throws {
        let script = JobrunBinary.packageRoot.appendingPathComponent("scripts/chaos").path
        // Waited for on a thread of its own: two and a half minutes on one of the cooperative
        // pool's two threads would starve the in-process tests beside it.
        let r = try await offThePool {
            try JobrunBinary.run(["python3", script, "--seed", "\(Self.seed)", "--jobrun", JobrunBinary.url.path],
                                 binary: URL(fileURLWithPath: "/usr/bin/env"), limit: .seconds(900))
        }
        // The counts, in the test's output whatever the outcome.
        print(r.stdout, terminator: "")
        #expect(r.status == 0, "scripts/chaos --seed \(Self.seed) broke a promise:\n\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("chaos: ") && r.stdout.contains(" kills, "), "it printed its counts")
    }
}
