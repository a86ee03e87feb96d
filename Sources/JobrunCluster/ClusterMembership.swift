import Foundation
import JobrunCore

/// One replica's membership of a cluster for one run of jobrun: it joins (takes the
/// cluster's start and each task's history), keeps its leases while the run lasts, and
/// leaves, giving back what it claimed and did not start (README, "A cluster on PostgreSQL").
public final class ClusterMembership: Sendable {
    /// The store.
    public let store: ClusterStore
    /// What the replica's scheduler claims and records through.
    public let runs: ClusterRuns
    /// The cluster as the replica found it.
    public let start: ClusterStart
    /// Each task's history, for the scheduler's ``SchedulerSetup/resume``.
    public let resume: Resume

    private init(store: ClusterStore, tasks: [String], rerun: Set<String>, start: ClusterStart, resume: Resume) {
        self.store = store
        self.runs = ClusterRuns(store: store, tasks: tasks, rerun: rerun)
        self.start = start
        self.resume = resume
    }

    /// A replica id when none is given: `host:pid:random`.
    public static func defaultReplica() -> String {
        "\(hostName()):\(getpid()):\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"
    }

    /// Connects to the store at `url` and joins the cluster of `namespace` as `replica`, at
    /// `at` (this replica's start). `rerun`: the tasks under `on_lost: rerun`.
    public static func join(_ url: PostgresURL, namespace: String, replica: String, lease: Duration, tasks names: [String],
                            rerun: Set<String>, at: Instant) async throws(JobrunError) -> ClusterMembership {
        let store = try await ClusterStore.connect(url, namespace: namespace, replica: replica, lease: lease)
        do {
            let start = try await store.join(host: hostName(), pid: getpid(), at: at)
            let histories = try await store.histories(of: names)
            return ClusterMembership(store: store, tasks: names, rerun: rerun, start: start,
                                     resume: Resume(histories: ByTask(histories), live: !start.began))
        } catch {
            await store.close()
            throw error
        }
    }

    /// Renews the replica's leases every quarter of a lease until cancelled, and ends the
    /// leases of any replica that ran out (``ClusterStore/sweep(rerun:)``, for the tasks under
    /// `on_lost: rerun`).
    /// - `renewed` is called after each renewal with the instant until which the runs it
    ///   renewed may run (``ClusterRuns/safeFor(_:)``): the replica's jobs get that deadline.
    /// - `lost` is called with the runs of this replica whose leases ran out all the same (the
    ///   store answered late, or the replica was stopped): the replica must end their jobs and
    ///   write nothing more of them.
    /// - `unreachable` is called once when the leases could not be renewed for so long that
    ///   their deadline has come: the jobs are being killed, as another replica may take their
    ///   runs.
    /// - `say` is told when the store stops answering, and when it answers again.
    public func keepLeases(renewed: @Sendable (ContinuousClock.Instant) -> Void, lost: @Sendable ([(task: TaskIndex, claim: Claim)]) -> Void,
                           unreachable: @Sendable () -> Void, say: @Sendable (String) -> Void) async {
        let quarter = store.lease / 4
        let rerun = runs.rerun.sorted()
        var proven = ContinuousClock.now
        var told = false
        var down = false
        while !Task.isCancelled {
            do { try await Task.sleep(for: quarter) } catch { return }
            do {
                let before = runs.claims
                let asked = ContinuousClock.now
                let renewal = try await store.renew(before)
                proven = asked
                told = false
                if down {
                    down = false
                    say("jobrun: the cluster's store answers again")
                }
                let gone = runs.lose(before: before, renewed: renewal.held, at: asked)
                if !gone.isEmpty { lost(gone) }
                renewed(asked + ClusterRuns.safeFor(store.lease))
                try await store.sweep(rerun: rerun)
            } catch {
                if !down && error.unreachable {
                    down = true
                    say("jobrun: \(error.message); this replica claims nothing until the store answers again")
                }
                if !told && ContinuousClock.now >= proven + ClusterRuns.safeFor(store.lease) {
                    told = true
                    unreachable()
                }
            }
        }
    }

    /// Leaves the cluster: what the replica claimed and did not start is given back, and the
    /// connection closes.
    public func leave() async {
        try? await store.leave()
        await store.close()
    }
}
