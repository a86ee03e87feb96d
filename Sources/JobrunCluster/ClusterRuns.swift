import Foundation
import JobrunCore

/// A replica's runs in the cluster's store: what its ``Scheduler`` claims, records and looks
/// for (``RunClaims``), on a ``ClusterStore``. It keeps the claims this replica holds, so that
/// every write of a run is guarded by its owner and fencing counter.
public final class ClusterRuns: RunClaims, @unchecked Sendable {
    /// The store.
    public let store: ClusterStore
    /// How long to wait between two looks at other replicas' runs, and before asking again
    /// for a run another replica's run of the task holds back (`overlap: queue`).
    public let lookInterval: Duration
    /// How long to wait between two looks for runs to take over.
    public let adoptInterval: Duration
    /// The runs this replica holds, by task and run number, each with when its lease was last
    /// proved (the local instant before the statement that claimed, took over or renewed it);
    /// behind `lock`. A run lost (its lease ran out) leaves it, so nothing of it is written
    /// any more.
    private var held: [Key: (claim: Claim, proven: ContinuousClock.Instant)] = [:]
    /// Runs this replica need not ask for, behind `lock`: by due instant, the tasks whose runs
    /// at that instant the store has (as claims found taken told), and the highest fencing
    /// counter among what they told. For the last ``seenInstants`` instants asked about.
    private var seen: [Instant: (tasks: Set<String>, upTo: Int64)] = [:]
    /// Runs claimed `running` (they were to start at once) whose first `running` write has not
    /// come yet: it is not made, as the store has it; behind `lock`.
    private var startedByClaim: Set<Key> = []
    private let lock = NSLock()
    /// How many due instants ``seen`` keeps.
    static let seenInstants = 64
    /// The tasks under `on_lost: rerun`.
    public let rerun: Set<String>
    /// The file's task names, by position: for records that no claim names.
    let names: [String]

    private struct Key: Hashable {
        var task: TaskIndex
        var run: Int
    }

    /// A replica's runs in `store`.
    public init(store: ClusterStore, tasks: [String] = [], rerun: Set<String> = [], lookInterval: Duration = .milliseconds(250),
                adoptInterval: Duration = .seconds(1)) {
        self.store = store
        self.rerun = rerun
        self.names = tasks
        self.lookInterval = lookInterval
        self.adoptInterval = adoptInterval
    }

    /// The runs this replica holds now.
    public var claims: [Claim] { lock.withLock { held.values.map(\.claim) } }

    /// Of the runs this replica held when a renewal began (`before`, at `at`), those the
    /// renewal did not renew (`renewed`) and this replica still holds: lost, their leases ran
    /// out. They are let go (nothing of them is written any more) and returned, with their
    /// tasks. The others' leases are proved as of `at`.
    public func lose(before: [Claim], renewed: Set<Claim>, at: ContinuousClock.Instant) -> [(task: TaskIndex, claim: Claim)] {
        lock.withLock {
            var gone: [(task: TaskIndex, claim: Claim)] = []
            for claim in before {
                guard let (key, run) = held.first(where: { $0.value.claim == claim }) else { continue }  // ended meanwhile
                if renewed.contains(claim) {
                    held[key] = (claim, Swift.max(run.proven, at))
                    continue
                }
                held[key] = nil
                startedByClaim.remove(key)
                gone.append((key.task, claim))
            }
            return gone
        }
    }

    /// The instant by which this replica must have renewed its lease on the run `id` (as in
    /// `JOBRUN_RUN_ID`), if it holds the run: an eighth of a lease before the lease could run
    /// out, by what the replica last proved of it. Its job must not run past it.
    public func deadline(of id: String) -> ContinuousClock.Instant? {
        lock.withLock {
            held.values.first { $0.claim.id(in: store.namespace) == id }.map { $0.proven + Self.safeFor(store.lease) }
        }
    }

    /// How long after the statement that proved a lease (it began then) the lease surely
    /// holds, with an eighth of it kept for killing the job: the lease runs from the
    /// statement's time in the database, which is later.
    public static func safeFor(_ lease: Duration) -> Duration { lease - lease / 8 }

    public func adopt(_ tasks: [(task: TaskIndex, name: String)]) async throws(JobrunError) -> Adoption? {
        let found: (claim: Claim, attempts: Int)?
        let asked = ContinuousClock.now
        do { found = try await store.adopt(tasks: tasks.map(\.name)) } catch where error.unreachable { return nil }
        guard let (claim, _) = found,
              let task = tasks.first(where: { $0.name == claim.task })?.task else { return nil }
        lock.withLock { held[Key(task: task, run: claim.run)] = (claim, asked) }
        return Adoption(task: task, run: claim.run, due: claim.due)
    }

    public func unsettled(_ tasks: [String]) async throws(JobrunError) -> Bool {
        do { return try await store.unsettled(tasks: tasks, rerun: rerun.sorted()) } catch where error.unreachable { return true }
    }

    public func giveBack(_ adoption: Adoption) async throws(JobrunError) {
        guard let (claim, _) = lock.withLock({ held.removeValue(forKey: Key(task: adoption.task, run: adoption.run)) }) else { return }
        try await store.release([claim])
    }

    public func claim(_ request: ClaimRequest) async throws(JobrunError) -> ClaimAnswer {
        var none: [RunChange] = []
        return try await claim(request, carrying: &none)
    }

    /// Records `writes`, then claims `request`, in one statement where it can: the changes
    /// ride with the claim's first statement that reaches the store. Changes that cannot
    /// (runs given back, missed instants) are recorded first, on their own.
    public func claim(_ request: ClaimRequest, recording writes: [RunWrite]) async throws(JobrunError) -> ClaimAnswer {
        guard !writes.isEmpty else { return try await claim(request) }
        let prepared = prepare(writes)
        guard prepared.released.isEmpty && prepared.missed.isEmpty else {
            try await record(writes)
            return try await claim(request)
        }
        var changes = prepared.batch
        let answer: ClaimAnswer
        do {
            answer = try await claim(request, carrying: &changes)
        } catch {
            forget(prepared.ended)
            throw error
        }
        if !changes.isEmpty {
            // The claim made no statement (stopped, or its run known taken): written alone.
            try await write(Prepared(batch: changes, ended: prepared.ended))
        } else {
            forget(prepared.ended)
        }
        return answer
    }

    /// Claims `request`; `changes`, when there are some, are written by the claim's first
    /// statement that reaches the store, and then emptied.
    private func claim(_ request: ClaimRequest, carrying changes: inout [RunChange]) async throws(JobrunError) -> ClaimAnswer {
        var due = request.due
        while true {
            if Task.isCancelled { return .stopped }
            let (known, after) = lock.withLock { (seen[due]?.tasks.contains(request.name) ?? false, seen[due]?.upTo ?? 0) }
            if known {
                // Another replica's claim of this run was seen: its row exists, so a claim
                // could only find it taken.
                if request.unique && due < request.due + .seconds(1) {
                    due = due + .milliseconds(1)
                    continue
                }
                return .taken
            }
            let outcome: ClaimOutcome
            let asked = ContinuousClock.now
            do {
                let answer = try await store.claim(task: request.name, due: due, overlap: request.overlap, seenAfter: after,
                                                   start: request.startsAtOnce, recording: changes)
                changes = []
                outcome = answer.outcome
                note(answer.seen, at: due)
            } catch where error.unreachable {
                // Nothing is claimed until the store is back; the run waits with its worker.
                do { try await Task.sleep(for: Self.retryInterval) } catch { return .stopped }
                continue
            }
            switch outcome {
            case .claimed(let claim):
                lock.withLock {
                    let key = Key(task: request.task, run: claim.run)
                    held[key] = (claim, asked)
                    if request.startsAtOnce { startedByClaim.insert(key) }
                }
                return due == request.due ? .mine(run: claim.run) : .mineAt(run: claim.run, due: due)
            case .skipped(let run):
                return .skipped(run: run)
            case .taken where request.unique && due < request.due + .seconds(1):
                // Another run of the task has the instant (a trigger on another replica in
                // the same millisecond): this one takes the next.
                due = due + .milliseconds(1)
            case .taken:
                return .taken
            case .early(let databaseNow):
                // This replica's clock is ahead of the database's: wait until the claim is due by it.
                let wait = Duration.milliseconds(Swift.max(10, due.milliseconds - databaseNow.milliseconds - 1000))
                do { try await Task.sleep(for: wait) } catch { return .stopped }
            case .busy:
                do { try await Task.sleep(for: lookInterval) } catch { return .stopped }
            }
        }
    }

    /// Keeps what a claim at `due` saw of other runs due then.
    private func note(_ runs: SeenRuns, at due: Instant) {
        guard !runs.tasks.isEmpty else { return }
        lock.withLock {
            if seen[due] == nil, seen.count >= Self.seenInstants, let oldest = seen.keys.min() {
                seen[oldest] = nil
            }
            var known = seen[due] ?? ([], 0)
            known.tasks.formUnion(runs.tasks)
            known.upTo = Swift.max(known.upTo, runs.upTo)
            seen[due] = known
        }
    }

    public func ended(_ runs: [(task: String, due: Instant)]) async throws(JobrunError) -> [(index: Int, failed: Bool)] {
        let statuses: [ClusterRunKey: String]
        do { statuses = try await store.statuses(of: runs) } catch where error.unreachable { return [] }  // asked again later
        var ended: [(index: Int, failed: Bool)] = []
        for (i, run) in runs.enumerated() {
            guard let status = statuses[ClusterRunKey(task: run.task, due: run.due)] else {
                ended.append((i, false))  // never claimed: the cluster went past it
                continue
            }
            guard let status = RunStatus(rawValue: status), status.isFinal else { continue }
            ended.append((i, status == .failed || status == .timedOut || status == .abandoned))
        }
        return ended
    }

    /// The changes go in one statement, each run's last one (and runs cancelled before they
    /// started are given back). While the store does not answer, they are tried again for up
    /// to a lease; then they are given up, as the leases of their runs have run out (the runs
    /// are lost, and nothing this replica writes of them counts any more). A run `abandoned`
    /// here (its job was killed as its lease could not be renewed in time) of a task under
    /// `on_lost: rerun` is left `lost`, for a replica to run again.
    public func record(_ writes: [RunWrite]) async throws(JobrunError) {
        try await write(prepare(writes))
    }

    /// Writes, in the store's terms: each run's last change, the runs to give back, the
    /// missed instants to record, and the runs that end (let go once written).
    private struct Prepared {
        var batch: [RunChange] = []
        var released: [Claim] = []
        var missed: [(task: String, record: RunRecord)] = []
        var ended: [Key] = []
    }

    private func prepare(_ writes: [RunWrite]) -> Prepared {
        var prepared = Prepared()
        var changes: [Key: RunChange] = [:]
        var order: [Key] = []
        for write in writes {
            let record = write.record
            let key = Key(task: record.task, run: record.run.value)
            if write.missed, names.indices.contains(record.task.position) {
                prepared.missed.append((names[record.task.position], record))
                continue
            }
            // Not a run this replica holds, or one it lost.
            guard let (claim, claimedRunning) = lock.withLock({ held[key].map { ($0.claim, startedByClaim.remove(key) != nil) } }) else { continue }
            if claimedRunning && record.status == .running && record.attempts.isEmpty && write.attemptStartedAt != nil {
                continue  // its claim recorded it running
            }
            if record.status.isFinal { prepared.ended.append(key) }
            if record.status == .cancelled && record.attempts.isEmpty && write.attemptStartedAt == nil {
                // Never started here: another replica may run it.
                prepared.released.append(claim)
                continue
            }
            let running = write.attemptStartedAt.map { (attempt: record.attempts.count + 1, startedAt: $0) }
            if changes[key] == nil { order.append(key) }
            changes[key] = RunChange(claim: claim, status: record.status, attempts: record.attempts.count,
                                     record: Report.runObject(record, indent: 0, running: running),
                                     lost: record.status == .abandoned && rerun.contains(claim.task))
        }
        prepared.batch = order.compactMap { changes[$0] }
        return prepared
    }

    private func write(_ prepared: Prepared) async throws(JobrunError) {
        var missed = prepared.missed
        let giveUp = ContinuousClock.now + store.lease
        while true {
            do {
                try await store.record(prepared.batch)
                for (task, record) in missed {
                    try await store.recordMissed(task: task, due: record.nominalDueAt, instants: record.dueInstants,
                                                 record: Report.runObject(record, indent: 0, running: nil))
                }
                missed = []
                if !prepared.released.isEmpty { try await store.release(prepared.released) }
                break
            } catch where error.unreachable && ContinuousClock.now < giveUp {
                try? await Task.sleep(for: Self.retryInterval)
            } catch where error.unreachable {
                break
            }
        }
        forget(prepared.ended)
    }

    /// Lets go of runs that ended: nothing more is written of them.
    private func forget(_ ended: [Key]) {
        guard !ended.isEmpty else { return }
        lock.withLock {
            for key in ended {
                held[key] = nil
                startedByClaim.remove(key)
            }
        }
    }

    /// How long to wait before asking a store that did not answer again.
    static let retryInterval: Duration = .milliseconds(250)
}

/// A run's key in the cluster: its task's name and its nominal due instant.
public struct ClusterRunKey: Hashable, Sendable {
    public var task: String
    public var due: Instant
}
