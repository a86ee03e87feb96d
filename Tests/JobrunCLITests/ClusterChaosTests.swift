import Foundation
import JobrunTestSupport
import Testing

/// The cluster's chaos run (`scripts/chaos`; README, "A cluster on PostgreSQL"): three
/// replicas for 120 s under a seeded killer, a store outage of 5 s and a replica stopped for
/// longer than its lease, then every promise checked from the store and from what the jobs
/// wrote. The script prints the counts; this test fails with them when one was broken.
@Suite struct ClusterChaosTests {
    /// Not under ThreadSanitizer (`.ci/run` sets `TSAN_OPTIONS` for that run): its replicas
    /// run many times slower, and the run's promises that are about time (a replica that
    /// cannot reach the store kills its jobs within its lease) would be the sanitizer's, not
    /// jobrun's. The debug run of the suite runs it, and ThreadSanitizer still watches the
    /// cluster through the other cluster tests.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["TSAN_OPTIONS"] == nil, "the chaos run's timing is not ThreadSanitizer's"))
    func threeReplicasKeepEveryPromiseUnderAKillerAnOutageAndAPause() throws {
        let random = TestRandom()
        let seed = random.seed % (1 << 32)
        let script = JobrunBinary.packageRoot.appendingPathComponent("scripts/chaos").path
        let ran = try Spawn.run("/usr/bin/env", ["python3", script, "--seconds", "120", "--seed", String(seed), "--jobrun", JobrunBinary.url.path],
                                environment: ProcessInfo.processInfo.environment, directory: JobrunBinary.packageRoot.path,
                                limit: .seconds(600))
        let output = String(decoding: ran.stdout + ran.stderr, as: UTF8.self)
        print(output)
        #expect(ran.status == 0, "\(output)")
        #expect(output.contains("tick ") && output.contains("burst 200/200"), "\(output)")
    }
}
