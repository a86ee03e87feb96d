import HeapModule

/// The scheduler's state machine: the due-time heap, the ready queue and every run's
/// lifecycle, with no clock and no concurrency of its own. It is told the time and what
/// happened (``advance(to:)``, ``attemptFinished(_:record:at:)``, ``shutdown(at:)``) and
/// answers with the attempts to start. ``Scheduler`` drives it with a real clock; tests
/// drive it with a simulated one.
public struct SchedulerCore: Sendable {
    enum State { case running, draining }

    /// An attempt the core wants started: run `run` (an index into ``records``).
    public struct Start: Sendable {
        /// The run, among ``records``.
        public let run: RunIndex
        /// What the executor is asked to do.
        public let request: AttemptRequest
        /// In a cluster, a new run that must be claimed before it starts: its task's name,
        /// nominal due instant and overlap policy. The run holds a worker meanwhile; it
        /// starts once ``SchedulerCore/claimed(_:_:at:)`` is told it is this replica's.
        public var claim: ClaimRequest? = nil
    }

    struct DueEntry: Comparable, Sendable {
        enum Kind { case newRun(task: TaskIndex), retry(run: RunIndex) }
        var at: Instant
        var seq: Int
        var kind: Kind
        /// A new run's due instant before jitter.
        var nominal: Instant? = nil
        static func < (a: DueEntry, b: DueEntry) -> Bool { (a.at, a.seq) < (b.at, b.seq) }
        static func == (a: DueEntry, b: DueEntry) -> Bool { a.seq == b.seq }
    }

    /// Due runs, ordered by (priority, due time, position in the file); `Heap` is not
    /// stable, so the sequence number breaks the last tie.
    struct ReadyEntry: Comparable, Sendable {
        var priority: Int
        var dueAt: Instant
        var task: TaskIndex
        /// Where the task comes among equals: its position in the file; in a cluster, its place
        /// in an order of the replica's own (see ``SchedulerCore/claimOrder(_:)``).
        var order: Int
        var seq: Int
        var run: RunIndex
        static func < (a: ReadyEntry, b: ReadyEntry) -> Bool {
            (a.priority, a.dueAt, a.order, a.seq) < (b.priority, b.dueAt, b.order, b.seq)
        }
        static func == (a: ReadyEntry, b: ReadyEntry) -> Bool { a.seq == b.seq }
    }

    struct TaskState: Sendable {
        var due: DueTimes
        var runsMade = 0
        /// The nominal due instant of its last run made (a store's included), and how many due
        /// instants its runs stood for: where a reload's new schedule continues.
        var lastDue: Instant?
        var instants = 0
        /// Runs running, or waiting out a retry delay.
        var active: Set<RunIndex> = []
        /// Runs queued (in the ready heap or held back by `overlap: queue`).
        var queued = 0
        /// Runs held back by `overlap: queue` while an earlier run is active.
        var held: [RunIndex] = []
        /// A new run is waiting in the due heap.
        var pendingDue = false
        /// Waiting for `after:` tasks to finish.
        var waiting: Bool
        var started = false
        var finished = false
        /// Some run failed or timed out, or the task was skipped for a failed `after`.
        var failed = false
        /// After a restart: missed due instants still to be made up (`catch_up:`), oldest first.
        var catchUp: [Instant] = []
    }

    /// The file, as the last reload left it: tasks a reload added come after the others,
    /// and a removed one stays (retired), so every ``TaskIndex`` keeps naming one task.
    public internal(set) var file: JobFile
    var setup: SchedulerSetup
    /// Tasks a reload removed: they get no new run.
    var retired = Set<TaskIndex>()
    let emit: @Sendable (SchedulerEvent) -> Void
    /// The instant the run started at: runs due before it are catch-up runs.
    let start: Instant
    /// Status changes for the store, when there is one (``takeWrites()``).
    var writes: [RunWrite] = []
    let recording: Bool
    /// The time of the event being handled.
    var clockNow: Instant
    var starts: [Start] = []

    var state = State.running
    /// Who stopped the run, once it drains.
    var stopper: RecordMessage.Stopper?
    /// For each triggered run that has not ended, the end that triggered it.
    var events: [RunIndex: RunEvent] = [:]
    /// Every run so far, in the order they came due.
    public internal(set) var book: RunBook
    /// Every run kept (see ``RunBook/records``), in the order they came due.
    public var records: [RunRecord] { book.records }
    var tasks = ByTask<TaskState>([])
    var dueHeap = Heap<DueEntry>()
    var ready = Heap<ReadyEntry>()
    var seq = 0
    var running = 0
    var accepting = true
    var rng: SplitMix64
    /// `after:` as positions: what each task waits for, and who waits for it.
    var dependencies: ByTask<[TaskIndex]>
    var dependents: ByTask<[TaskIndex]>
    /// Tasks still waiting for their `after:` tasks, and runs held back by `overlap: queue`.
    var waitingCount = 0
    var heldCount = 0
    /// In a cluster: runs waiting for their claim's answer, runs this replica claimed, and
    /// runs another replica runs (kept active until their end is known, so that `after:`
    /// and overlap see them; never in the report).
    var claiming = Set<RunIndex>()
    var claimedRuns = Set<RunIndex>()
    var elsewhere = Set<RunIndex>()
    /// Runs whose lease this replica lost: they end `abandoned`, and start no attempt more.
    var lostRuns = Set<RunIndex>()
    /// In a cluster, the replica id's hash: what its ``claimOrder(_:)`` is shuffled by.
    let replicaHash: UInt64?

    /// Creates the state machine for a run starting at `start`; `emit` receives every status change.
    public init(file: JobFile, setup: SchedulerSetup, start: Instant, emit: @escaping @Sendable (SchedulerEvent) -> Void) {
        self.file = file
        self.setup = setup
        self.emit = emit
        self.clockNow = start
        self.start = start
        self.recording = setup.resume != nil
        if setup.cluster, let replica = setup.replica {
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a: the same on every machine
            for byte in replica.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
            replicaHash = hash
        } else {
            replicaHash = nil
        }
        book = RunBook(tasks: file.tasks.count, keep: file.reportRuns)
        rng = SplitMix64(seed: setup.jitterSeed ?? UInt64.random(in: .min ... .max))
        var index: [String: TaskIndex] = [:]
        for t in file.tasks where index[t.name] == nil { index[t.name] = t.index }
        dependencies = ByTask(file.tasks.map { $0.after.compactMap { index[$0] } })
        var dependents = ByTask<[TaskIndex]>(repeating: [], count: file.tasks.count)
        for t in dependencies.indices { for d in dependencies[t] { dependents[d].append(t) } }
        self.dependents = dependents
        tasks = ByTask(file.tasks.map { t in
            TaskState(due: DueTimes(t, zone: file.zone, start: start), waiting: !t.after.isEmpty)
        })
        if let resume = setup.resume { self.resume(resume) }
        for i in tasks.indices {
            if !selected(i) {
                tasks[i].finished = true
                // Waits for nothing: only a selected task is counted in `waitingCount`.
                tasks[i].waiting = false
            } else if tasks[i].waiting {
                waitingCount += 1
            } else {
                scheduleNextRun(of: i, notBefore: start)
            }
        }
        for i in tasks.indices where tasks[i].waiting && !tasks[i].finished { release(i) }
    }

    /// When the core next needs to be told the time: the earliest due run or retry.
    public var nextWake: Instant? { state == .running ? dueHeap.min?.at : nil }

    /// The task of the earliest due run or retry, and when.
    public var nextDue: (task: TaskIndex, at: Instant)? {
        guard state == .running, let entry = dueHeap.min else { return nil }
        switch entry.kind {
        case .newRun(let t): return (t, entry.at)
        case .retry(let r): return (book[r].task, entry.at)
        }
    }

    /// Whether jobrun is stopping (a signal, `--for`, a failed store): no reload applies then.
    public var isStopping: Bool { state == .draining }

    /// Whether the run is over: nothing is due, queued, waiting or running.
    public var isDone: Bool { running == 0 && (state == .draining || isExhausted) }

    /// Handles the passing of time: runs that came due are queued, and queued runs start
    /// while workers are free. Returns the attempts to start.
    public mutating func advance(to now: Instant) -> [Start] {
        clockNow = Swift.max(clockNow, now)
        if state == .running {
            releaseDue()
            dispatch()
        } else if stopper == .runFor {
            // Only runs triggered by the last ends are queued now (see ``trigger(after:)``).
            dispatch()
        }
        defer { starts = [] }
        return starts
    }

    /// Starts ahead of time, each for its due instant, the runs due by `horizon` whose start
    /// nothing that can still happen before their instant would change, so that an executor can
    /// start their processes on the instant itself rather than some hops of work after it. That
    /// holds when every entry due by `horizon` is a new run of a command or email task (HTTP
    /// requests are not handed ahead), of different tasks, none with a run active or queued,
    /// nothing is queued, enough workers are free for all of them, and all come before
    /// `deadline` (`--for`). Otherwise nothing starts, and they start on time as usual.
    /// A run that only becomes ready in the meantime (a dependent, a retry) does not take
    /// the workers handed ahead. Returns the starts, each with its instant in `startsAt`.
    public mutating func advanceAhead(to horizon: Instant, stopAt deadline: Instant?,
                                      startsIn: @escaping @Sendable (Instant) -> Duration) -> [Start] {
        guard state == .running, accepting, ready.isEmpty, heldCount == 0 else { return [] }
        var window = dueHeap, entries: [DueEntry] = []
        // In a cluster the lead is long enough for several runs: as many as workers are free
        // go ahead (their claims are asked now), the others at the next wake.
        let room = setup.cluster ? setup.workers - running : Int.max
        while entries.count < room, let top = window.min, top.at <= horizon { entries.append(window.removeMin()) }
        guard !entries.isEmpty, running + entries.count <= setup.workers else { return [] }
        var seen = Set<TaskIndex>()
        for entry in entries {
            guard case .newRun(let t) = entry.kind, seen.insert(t).inserted, entry.at > clockNow,
                  tasks[t].active.isEmpty, tasks[t].queued == 0, file.tasks[t].type != .http,
                  deadline.map({ entry.at < $0 }) ?? true
            else { return [] }
        }
        let now = clockNow
        defer { clockNow = now }
        var ahead: [Start] = []
        for entry in entries {
            // A later run of the same task may have been scheduled inside the window; it waits.
            guard dueHeap.min?.seq == entry.seq, case .newRun(let t) = entry.kind else { break }
            clockNow = entry.at
            dueHeap.removeMin()
            tasks[t].pendingDue = false
            newRun(of: t, dueAt: entry.at, nominal: entry.nominal ?? entry.at)
            scheduleNextRun(of: t, notBefore: entry.at)
            dispatch()
            for start in starts {
                var request = start.request
                request.startsAt = (entry.at, { startsIn(entry.at) })
                ahead.append(Start(run: start.run, request: request, claim: start.claim))
            }
            starts = []
        }
        return ahead
    }

    /// Records an attempt's end; returns the attempts that can start now.
    public mutating func attemptFinished(_ run: RunIndex, record: AttemptRecord, at now: Instant) -> [Start] {
        // An attempt handed ahead that failed before its process started (no such program)
        // ends on its due instant, which may not have come yet: what follows from it (a
        // retry's delay) counts from there.
        clockNow = Swift.max(clockNow, now, record.finishedAt)
        finishAttempt(run: run, record: record)
        return advance(to: now)
    }

    /// `--for` ran out: no new run and no new retry starts; running attempts finish (a failed
    /// one is not retried); every run that has not started, and the next run of every task,
    /// ends `cancelled` with the reason.
    public mutating func stopScheduling(at now: Instant) -> [Start] {
        clockNow = Swift.max(clockNow, now)
        beginDraining(.runFor)
        return []
    }

    /// The store failed: as when `--for` runs out, no new run and no retry starts and running
    /// attempts finish; what has not started ends cancelled, saying why.
    public mutating func storeFailed(at now: Instant) {
        clockNow = Swift.max(clockNow, now)
        if state == .draining {
            // `--for` had run out: runs it let through (triggered ones) start no more.
            stopper = .state
            cancelQueued(.state)
        } else {
            beginDraining(.state)
        }
    }

    /// Stops dispatching: every run that has not started, and the next run of every task,
    /// ends `cancelled`. Running attempts are for the caller to end; their records still come in.
    public mutating func shutdown(at now: Instant) {
        clockNow = Swift.max(clockNow, now)
        beginDraining(.jobrun)
    }

    func now() -> Instant { clockNow }

    /// The status changes since the last call, for the store: each must be durable before
    /// the attempts returned with it start. Empty without a store.
    public mutating func takeWrites() -> [RunWrite] {
        defer { writes = [] }
        return writes
    }

    /// Where task `t` comes among runs of equal priority due at the same instant: its
    /// position in the file; in a cluster, its place in an order of the replica's own (a
    /// shuffle of the file seeded by the replica's id), so that replicas claiming a burst of
    /// runs due together do not ask for the same runs in the same order: each finds few of
    /// the runs it asks for taken, and learns of the others' claims from those it does.
    func claimOrder(_ t: TaskIndex) -> Int {
        guard let replicaHash else { return t.position }
        // SplitMix64's finaliser of the id's hash and the position: the same on every machine.
        var z = replicaHash &+ UInt64(t.position) &* 0x9e37_79b9_7f4a_7c15
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return Int(truncatingIfNeeded: (z ^ (z >> 31)) >> 1)
    }

    mutating func nextSeq() -> Int {
        seq += 1
        return seq
    }

    func selected(_ i: TaskIndex) -> Bool {
        file.tasks[i].enabled && (setup.selected?.contains(i) ?? true) && !retired.contains(i)
    }

    var isExhausted: Bool {
        dueHeap.isEmpty && ready.isEmpty && heldCount == 0 && waitingCount == 0
    }

    /// Each task's runs running and queued now, and its next due instant: the gauges of
    /// `/metrics`, without what ``status()`` adds (last runs), so a scrape costs little.
    public func gauges() -> [TaskStatus] {
        var rows = ByTask(file.tasks.taskIndices.map { TaskStatus(task: $0) })
        for entry in dueHeap.unordered {
            let t: TaskIndex
            switch entry.kind {
            case .newRun(let task): t = task
            case .retry(let r): t = book[r].task
            }
            if rows[t].nextDueAt.map({ entry.at < $0 }) ?? true { rows[t].nextDueAt = entry.at }
        }
        for t in rows.indices {
            rows[t].running = tasks[t].active.count - tasks[t].active.count { book[$0].status != .running }
            rows[t].queued = tasks[t].queued
        }
        return rows.values
    }

    /// Each task's state now, for the status table (SIGUSR1): its last finished run, runs
    /// running, its next due instant, and how its last ten finished runs ended.
    public func status() -> [TaskStatus] {
        var rows = ByTask(gauges())
        for t in rows.indices {
            rows[t].lastRun = book.lastRun[t]
            let recent = book.recent(t)
            rows[t].recentSucceeded = recent.count { $0 }
            rows[t].recentFailed = recent.count { !$0 }
        }
        return rows.values
    }

}
