/// A new run a replica asks the cluster for before it starts it (README, "A cluster on
/// PostgreSQL").
public struct ClaimRequest: Sendable, Equatable {
    /// The run's task.
    public let task: TaskIndex
    /// The task's name: with `due`, the run's key in the cluster.
    public let name: String
    /// The run's nominal due instant (jitter not included).
    public let due: Instant
    /// What happens when another replica's run of the task is active.
    public let overlap: OverlapPolicy
    /// A run of its own, not one of the schedule's instants (a triggered run): when another
    /// run of the task has its instant, it moves a millisecond later instead of being that
    /// other run (``ClaimAnswer/mineAt(run:due:)``).
    public let unique: Bool
    /// The run starts as soon as it is claimed (it is due, not claimed ahead): the claim may
    /// record it `running` at once, and its first `running` write then need not be made.
    public var startsAtOnce = false

    /// Creates a request.
    public init(task: TaskIndex, name: String, due: Instant, overlap: OverlapPolicy, unique: Bool = false) {
        self.task = task
        self.name = name
        self.due = due
        self.overlap = overlap
        self.unique = unique
    }
}

/// What became of a claim.
public enum ClaimAnswer: Sendable, Equatable {
    /// This replica's, as the cluster's run number `run`: it starts now.
    case mine(run: Int)
    /// This replica's, as the cluster's run number `run`, at the due instant `due`: a
    /// ``ClaimRequest/unique`` run moved past the instants other runs of its task had.
    case mineAt(run: Int, due: Instant)
    /// Recorded `skipped`, as run number `run`, by this replica: another replica's run of
    /// the task was active (`overlap: skip`).
    case skipped(run: Int)
    /// Another replica's; never in this replica's report. While a task here waits for its
    /// task (`after:`), it stays active until ``SchedulerCore/endedElsewhere(_:failed:at:)``.
    case taken
    /// Jobrun was stopped while it waited for the answer.
    case stopped
}

/// A run another replica gave back before it started, or lost under `on_lost: rerun`, that
/// this replica has claimed (README, "A cluster on PostgreSQL"): it runs here under the
/// cluster's number and due instant.
public struct Adoption: Sendable, Equatable {
    /// The run's task.
    public var task: TaskIndex
    /// The cluster's number of the run.
    public var run: Int
    /// The run's nominal due instant: with the task, its key in the cluster.
    public var due: Instant

    /// An adoption of run `run` of `task`, due at `due`.
    public init(task: TaskIndex, run: Int, due: Instant) {
        self.task = task
        self.run = run
        self.due = due
    }
}

extension SchedulerCore {
    /// Whether a worker is free and runs may start: when this replica could take over a run
    /// another gave back or lost.
    public var canAdopt: Bool { state == .running && running < setup.workers }

    /// Takes a run this replica claimed from the ones other replicas gave back or lost
    /// (see ``Adoption``): it is queued, and starts when a worker is free. Returns the
    /// attempts that can start now.
    public mutating func adopted(_ adoption: Adoption, at now: Instant) -> [Start] {
        clockNow = Swift.max(clockNow, now)
        let t = adoption.task
        var record = RunRecord(task: t, run: RunNumber(adoption.run), dueAt: adoption.due)
        record.nominalDueAt = adoption.due
        let r = book.open(record)
        tasks[t].runsMade = Swift.max(tasks[t].runsMade, adoption.run)
        claimedRuns.insert(r)
        move(r, to: .queued)
        enqueue(r, dueAt: now)
        return advance(to: now)
    }

    /// This replica's leases on these runs (task, the cluster's run number) ran out: another
    /// replica may have them. A running attempt (whose job the runtime kills) ends the run
    /// `abandoned`, and so does a retry it waited for, without starting. Runs not found are
    /// over already.
    public mutating func lost(_ runs: [(task: TaskIndex, run: Int)], at now: Instant) -> [Start] {
        clockNow = Swift.max(clockNow, now)
        for (t, number) in runs {
            if let r = claimedRuns.first(where: { book[$0].task == t && book[$0].run.value == number }) { lostRuns.insert(r) }
        }
        return advance(to: now)
    }

    /// The runs waiting for their claim's answer.
    public var claimsPending: Int { claiming.count }

    /// The runs another replica runs, as far as this replica knows, by their claim's key.
    public var runsElsewhere: [(run: RunIndex, task: String, due: Instant)] {
        elsewhere.map { r in (r, file.tasks[book[r].task].name, book[r].nominalDueAt) }
    }

    /// Takes the answer to the claim of run `r` (a start whose ``Start/claim`` was set);
    /// returns the attempts that can start now.
    public mutating func claimed(_ r: RunIndex, _ answer: ClaimAnswer, at now: Instant) -> [Start] {
        clockNow = Swift.max(clockNow, now)
        guard claiming.remove(r) != nil else { return advance(to: now) }
        let t = book[r].task
        running -= 1
        if case .mineAt(_, let due) = answer {
            book[r].nominalDueAt = due
            book[r].dueAt = Swift.max(book[r].dueAt, due)
        }
        switch answer {
        case .mine(let number), .mineAt(let number, _):
            renumber(r, number)
            claimedRuns.insert(r)
            if state == .running || (stopper == .runFor && book[r].trigger != nil) {
                running += 1
                // A run claimed ahead of its instant starts on it: so its record says.
                let now = clockNow
                clockNow = Swift.max(clockNow, book[r].dueAt)
                startAttempt(r)
                clockNow = now
            } else {
                tasks[t].active.remove(r)
                finish(r, .cancelled, reason: (stopper ?? .jobrun).beforeItStarted)
            }
        case .skipped(let number):
            renumber(r, number)
            tasks[t].active.remove(r)
            finish(r, .skipped, reason: RecordMessage.previousRunElsewhere)
        case .taken where dependents[t].contains { tasks[$0].waiting }:
            elsewhere.insert(r)
        case .taken:
            // Nothing here waits for its end: let go at once.
            tasks[t].active.remove(r)
            book.discard(r)
            releaseHeld(t)
            checkFinished(t)
        case .stopped:
            tasks[t].active.remove(r)
            finish(r, .cancelled, reason: (stopper ?? .jobrun).beforeItStarted, recorded: false)
        }
        return advance(to: now)
    }

    /// Another replica's run `r` (``ClaimAnswer/taken``) has ended, `failed` or not: it
    /// leaves this replica's books as if it had never been here, but for what `after:` learns
    /// from it. Returns the attempts that can start now.
    public mutating func endedElsewhere(_ r: RunIndex, failed: Bool, at now: Instant) -> [Start] {
        clockNow = Swift.max(clockNow, now)
        guard elsewhere.remove(r) != nil else { return advance(to: now) }
        let t = book[r].task
        if failed { tasks[t].failed = true }
        tasks[t].active.remove(r)
        book.discard(r)
        releaseHeld(t)
        checkFinished(t)
        return advance(to: now)
    }

    /// Gives run `r` the cluster's number `number`; the task's next local number follows the
    /// highest seen.
    mutating func renumber(_ r: RunIndex, _ number: Int) {
        book[r].run = RunNumber(number)
        let t = book[r].task
        tasks[t].runsMade = Swift.max(tasks[t].runsMade, number)
    }
}

/// How a replica's ``Scheduler`` asks the cluster for its runs (README, "A cluster on
/// PostgreSQL"); the PostgreSQL store gives it.
public protocol RunClaims: Sendable {
    /// Claims the run `claim`, waiting while it is too early by the database's clock or, with
    /// `overlap: queue`, while another replica's run of the task is active.
    func claim(_ claim: ClaimRequest) async throws(JobrunError) -> ClaimAnswer
    /// Records `writes` (as ``record(_:)`` does), then claims the run `claim`: the store may
    /// take both in one statement. The writes are durable when it returns, whatever the
    /// answer. The scheduler hands the ends of runs to the claim of the next run this way.
    func claim(_ claim: ClaimRequest, recording writes: [RunWrite]) async throws(JobrunError) -> ClaimAnswer
    /// Of these runs of other replicas (task name, nominal due instant), the ones that have
    /// ended: their position in `runs`, and whether the run failed (failed, timed out or
    /// abandoned). A run the cluster has no record of has ended, not failed.
    func ended(_ runs: [(task: String, due: Instant)]) async throws(JobrunError) -> [(index: Int, failed: Bool)]
    /// How long to wait between two looks at other replicas' runs.
    var lookInterval: Duration { get }
    /// How long to wait between two looks for runs to take over (``adopt(_:)``).
    var adoptInterval: Duration { get }
    /// Claims one run of these tasks (position and name) that another replica gave back
    /// before it started, or lost under `on_lost: rerun`; nil when there is none.
    func adopt(_ tasks: [(task: TaskIndex, name: String)]) async throws(JobrunError) -> Adoption?
    /// Gives back a run ``adopt(_:)`` claimed that this replica will not run after all (it
    /// began stopping meanwhile).
    func giveBack(_ adoption: Adoption) async throws(JobrunError)
    /// Whether the cluster still has runs of these tasks that a replica may have to run: given
    /// back or lost and waiting to be taken over, claimed and not started, or running under
    /// `on_lost: rerun` (their replica may die). A replica whose own schedule is done stays,
    /// taking such runs over, until there are none.
    func unsettled(_ tasks: [String]) async throws(JobrunError) -> Bool
    /// Records status changes of this replica's runs, in order, each guarded by the run's
    /// claim; returns once they are durable. A run cancelled before its first attempt started
    /// is given back for other replicas to claim rather than recorded.
    func record(_ writes: [RunWrite]) async throws(JobrunError)
}

extension RunClaims {
    /// Records `writes`, then claims: two calls.
    public func claim(_ claim: ClaimRequest, recording writes: [RunWrite]) async throws(JobrunError) -> ClaimAnswer {
        if !writes.isEmpty { try await record(writes) }
        return try await self.claim(claim)
    }
}
