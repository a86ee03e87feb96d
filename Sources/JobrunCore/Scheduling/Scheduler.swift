import HeapModule

/// How a run of a jobs file is set up: which tasks, how many workers, how long.
public struct RunPlan: Sendable {
    /// Worker pool size.
    public var workers: Int
    /// Positions of the tasks to run (`--only`/`--tag` with their `after:` dependencies); nil for all.
    public var selected: Set<Int>?
    /// Stop scheduling new runs this long after start (`--for`).
    public var runFor: Duration?
    /// Seed for jitter; nil draws one from the system.
    public var jitterSeed: UInt64?

    /// Creates a plan.
    public init(workers: Int, selected: Set<Int>? = nil, runFor: Duration? = nil, jitterSeed: UInt64? = nil) {
        self.workers = workers
        self.selected = selected
        self.runFor = runFor
        self.jitterSeed = jitterSeed
    }
}

/// Converts between the injected clock and wall-clock instants for the records.
public struct Timebase<C: Clock>: Sendable where C.Duration == Duration {
    public let clock: C
    public let origin: C.Instant
    public let wallOrigin: Instant

    /// `originAge` is how long ago, in real time, the wall clock read `wallOrigin`: wall
    /// instants have millisecond resolution, and the clock's origin is set back by the part
    /// that was cut off, so that a run due at a wall instant starts then and not up to a
    /// millisecond later.
    public init(clock: C, wallOrigin: Instant, originAge: Duration = .zero) {
        self.clock = clock
        self.origin = clock.now.advanced(by: .zero - originAge)
        self.wallOrigin = wallOrigin
    }

    /// The current wall-clock instant, as the clock counts it.
    public func now() -> Instant { wallOrigin + origin.duration(to: clock.now) }

    /// The clock's instant for a wall-clock instant.
    public func clockInstant(_ t: Instant) -> C.Instant { origin.advanced(by: t - wallOrigin) }
}

/// The scheduler's state machine: the due-time heap, the ready queue and every run's
/// lifecycle, with no clock and no concurrency of its own. It is told the time and what
/// happened (``advance(to:)``, ``attemptFinished(_:record:at:)``, ``shutdown(at:)``) and
/// answers with the attempts to start. ``Scheduler`` drives it with a real clock; tests
/// drive it with a simulated one.
public struct SchedulerCore: Sendable {
    private enum State { case running, draining, done }

    /// An attempt the core wants started: run `run` (an index into ``records``).
    public struct Start: Sendable {
        public let run: Int
        public let request: AttemptRequest
    }

    private struct DueEntry: Comparable, Sendable {
        enum Kind { case newRun(task: Int), retry(run: Int) }
        var at: Instant
        var seq: Int
        var kind: Kind
        static func < (a: DueEntry, b: DueEntry) -> Bool { (a.at, a.seq) < (b.at, b.seq) }
        static func == (a: DueEntry, b: DueEntry) -> Bool { a.seq == b.seq }
    }

    /// Due runs, ordered by (priority, due time, position in the file); `Heap` is not
    /// stable, so the sequence number breaks the last tie.
    private struct ReadyEntry: Comparable, Sendable {
        var priority: Int
        var dueAt: Instant
        var task: Int
        var seq: Int
        var run: Int
        static func < (a: ReadyEntry, b: ReadyEntry) -> Bool {
            (a.priority, a.dueAt, a.task, a.seq) < (b.priority, b.dueAt, b.task, b.seq)
        }
        static func == (a: ReadyEntry, b: ReadyEntry) -> Bool { a.seq == b.seq }
    }

    private struct TaskState: Sendable {
        var due: DueTimes
        var runsMade = 0
        /// Runs running, or waiting out a retry delay.
        var active: Set<Int> = []
        /// Runs queued (in the ready heap or held back by `overlap: queue`).
        var queued = 0
        /// Runs held back by `overlap: queue` while an earlier run is active.
        var held: [Int] = []
        /// A new run is waiting in the due heap.
        var pendingDue = false
        /// Waiting for `after:` tasks to finish.
        var waiting: Bool
        var started = false
        var finished = false
        /// Some run failed or timed out, or the task was skipped for a failed `after`.
        var failed = false
    }

    private let file: JobFile
    private let plan: RunPlan
    private let emit: @Sendable (SchedulerEvent) -> Void
    /// The time of the event being handled.
    private var clockNow: Instant
    private var starts: [Start] = []

    private var state = State.running
    /// Every run so far, in the order they came due.
    public private(set) var records: [RunRecord] = []
    private var tasks: [TaskState] = []
    private var dueHeap = Heap<DueEntry>()
    private var ready = Heap<ReadyEntry>()
    private var seq = 0
    private var running = 0
    private var accepting = true
    private var rng: SplitMix64
    /// `after:` as positions: what each task waits for, and who waits for it.
    private let dependencies: [[Int]]
    private let dependents: [[Int]]
    /// Tasks still waiting for their `after:` tasks, and runs held back by `overlap: queue`.
    private var waitingCount = 0
    private var heldCount = 0

    /// Creates the state machine for a run starting at `start`; `emit` receives every status change.
    public init(file: JobFile, plan: RunPlan, start: Instant, emit: @escaping @Sendable (SchedulerEvent) -> Void) {
        self.file = file
        self.plan = plan
        self.emit = emit
        self.clockNow = start
        rng = SplitMix64(seed: plan.jitterSeed ?? UInt64.random(in: .min ... .max))
        var index: [String: Int] = [:]
        for (i, t) in file.tasks.enumerated() where index[t.name] == nil { index[t.name] = i }
        dependencies = file.tasks.map { $0.after.compactMap { index[$0] } }
        var dependents = [[Int]](repeating: [], count: file.tasks.count)
        for (i, deps) in dependencies.enumerated() { for d in deps { dependents[d].append(i) } }
        self.dependents = dependents
        tasks = file.tasks.map { t in
            TaskState(due: DueTimes(t, zone: file.zone, start: start), waiting: !t.after.isEmpty)
        }
        for i in tasks.indices {
            if !selected(i) {
                tasks[i].finished = true
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
    public var nextDue: (task: Int, at: Instant)? {
        guard state == .running, let entry = dueHeap.min else { return nil }
        switch entry.kind {
        case .newRun(let t): return (t, entry.at)
        case .retry(let r): return (records[r].task, entry.at)
        }
    }

    /// Whether the run is over: nothing is due, queued, waiting or running.
    public var isDone: Bool { running == 0 && (state == .draining || isExhausted) }

    /// Attempts running now.
    public var runningAttempts: Int { running }

    /// Handles the passing of time: runs that came due are queued, and queued runs start
    /// while workers are free. Returns the attempts to start.
    public mutating func advance(to now: Instant) -> [Start] {
        clockNow = Swift.max(clockNow, now)
        if state == .running {
            releaseDue()
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
        while let top = window.min, top.at <= horizon { entries.append(window.removeMin()) }
        guard !entries.isEmpty, running + entries.count <= plan.workers else { return [] }
        var seen = Set<Int>()
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
            newRun(of: t, dueAt: entry.at)
            scheduleNextRun(of: t, notBefore: entry.at)
            dispatch()
            for start in starts {
                var request = start.request
                request.startsAt = (entry.at, { startsIn(entry.at) })
                ahead.append(Start(run: start.run, request: request))
            }
            starts = []
        }
        return ahead
    }

    /// Records an attempt's end; returns the attempts that can start now.
    public mutating func attemptFinished(_ run: Int, record: AttemptRecord, at now: Instant) -> [Start] {
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
        beginDraining(.forEnded)
        return []
    }

    /// Stops dispatching: every run that has not started, and the next run of every task,
    /// ends `cancelled`. Running attempts are for the caller to end; their records still come in.
    public mutating func shutdown(at now: Instant) {
        clockNow = Swift.max(clockNow, now)
        beginDraining(.stopped)
    }

    private func now() -> Instant { clockNow }

    private mutating func nextSeq() -> Int {
        seq += 1
        return seq
    }

    private func selected(_ i: Int) -> Bool {
        file.tasks[i].enabled && (plan.selected?.contains(i) ?? true)
    }

    private var isExhausted: Bool {
        dueHeap.isEmpty && ready.isEmpty && heldCount == 0 && waitingCount == 0
    }

    // MARK: Runs coming due

    /// Takes the task's next due time from its schedule and waits for it in the heap.
    private mutating func scheduleNextRun(of t: Int, notBefore: Instant) {
        guard accepting, !tasks[t].pendingDue, let nominal = tasks[t].due.next() else {
            checkFinished(t)
            return
        }
        let at = DueTimes.jittered(Swift.max(nominal, notBefore), by: file.tasks[t].jitter, using: &rng)
        tasks[t].pendingDue = true
        dueHeap.insert(DueEntry(at: at, seq: nextSeq(), kind: .newRun(task: t)))
    }

    /// Each task's state now, for the status table (SIGUSR1): its last finished run, runs
    /// running, its next due instant, and how its last ten finished runs ended.
    public func status() -> [TaskStatus] {
        var rows = file.tasks.indices.map { TaskStatus(task: $0) }
        for entry in dueHeap.unordered {
            let t: Int
            switch entry.kind {
            case .newRun(let task): t = task
            case .retry(let r): t = records[r].task
            }
            if rows[t].nextDueAt.map({ entry.at < $0 }) ?? true { rows[t].nextDueAt = entry.at }
        }
        var recentSeen = [Int](repeating: 0, count: rows.count)
        for record in records.reversed() {
            let t = record.task
            if record.status == .running { rows[t].running += 1 }
            guard record.status.isFinal, record.status != .skipped, record.status != .cancelled else { continue }
            if rows[t].lastRun == nil { rows[t].lastRun = record }
            guard recentSeen[t] < 10 else { continue }
            recentSeen[t] += 1
            if record.status == .succeeded { rows[t].recentSucceeded += 1 } else { rows[t].recentFailed += 1 }
        }
        return rows
    }

    /// Moves every entry whose time has come from the due heap to the ready queue.
    private mutating func releaseDue() {
        let now = now()
        while let top = dueHeap.min, top.at <= now {
            dueHeap.removeMin()
            switch top.kind {
            case .newRun(let t):
                tasks[t].pendingDue = false
                guard accepting else {
                    checkFinished(t)
                    continue
                }
                newRun(of: t, dueAt: top.at)
                scheduleNextRun(of: t, notBefore: top.at)
            case .retry(let r):
                move(r, to: .queued)
                let t = records[r].task
                tasks[t].active.remove(r)
                enqueue(r, dueAt: top.at)
            }
        }
    }

    private mutating func newRun(of t: Int, dueAt: Instant) {
        tasks[t].runsMade += 1
        tasks[t].started = true
        let r = records.count
        records.append(RunRecord(task: t, run: tasks[t].runsMade, dueAt: dueAt))
        let task = file.tasks[t]
        if task.overlap == .skip && (!tasks[t].active.isEmpty || tasks[t].queued > 0) {
            finish(r, .skipped, reason: "the previous run was still \(tasks[t].active.isEmpty ? "queued" : "running") (overlap: skip)")
            return
        }
        move(r, to: .queued)
        enqueue(r, dueAt: dueAt)
    }

    private mutating func enqueue(_ r: Int, dueAt: Instant) {
        let t = records[r].task
        tasks[t].queued += 1
        emit(.queued(task: t, run: records[r].run, attempt: records[r].attempts.count + 1))
        ready.insert(ReadyEntry(priority: file.tasks[t].priority, dueAt: dueAt, task: t, seq: nextSeq(), run: r))
    }

    /// Starts queued runs while workers are free, best first.
    private mutating func dispatch() {
        while running < plan.workers, let entry = ready.popMin() {
            let r = entry.run, t = entry.task
            if file.tasks[t].overlap == .queue && !tasks[t].active.isEmpty {
                tasks[t].held.append(r)
                heldCount += 1
                continue
            }
            tasks[t].queued -= 1
            tasks[t].active.insert(r)
            move(r, to: .running)
            let attempt = records[r].attempts.count + 1
            if records[r].startedAt == nil { records[r].startedAt = now() }
            emit(.started(task: t, run: records[r].run, attempt: attempt, at: now()))
            running += 1
            starts.append(Start(run: r, request: AttemptRequest(task: file.tasks[t], run: records[r].run, attempt: attempt)))
        }
    }

    // MARK: Attempts ending

    private mutating func finishAttempt(run r: Int, record: AttemptRecord) {
        running -= 1
        records[r].attempts.append(record)
        let t = records[r].task
        let task = file.tasks[t]
        emit(.attemptFinished(task: t, run: records[r].run, attempt: record))
        switch record.status {
        case .succeeded:
            finish(r, .succeeded)
        case .cancelled:
            finish(r, .cancelled, reason: "jobrun was stopped")
        case .failed, .timedOut:
            let final: RunStatus = record.status == .failed ? .failed : .timedOut
            if state == .running && record.retryable && record.attempt <= task.retry.retries {
                let delay = task.retry.delay(beforeRetry: record.attempt)
                move(r, to: .retrying)
                emit(.retrying(task: t, run: records[r].run, attempt: record.attempt + 1, delay: delay))
                dueHeap.insert(DueEntry(at: now() + delay, seq: nextSeq(), kind: .retry(run: r)))
            } else {
                finish(r, final)
            }
        }
    }

    private mutating func move(_ r: Int, to status: RunStatus) {
        assert(records[r].status.canMove(to: status), "\(records[r].status) → \(status)")
        records[r].status = status
    }

    /// Ends a run; frees its task for held runs, and checks whether the task is done.
    private mutating func finish(_ r: Int, _ status: RunStatus, reason: String? = nil) {
        let t = records[r].task
        move(r, to: status)
        records[r].reason = reason
        records[r].finishedAt = records[r].attempts.last?.finishedAt ?? (status == .skipped || status == .cancelled ? nil : now())
        if status == .failed || status == .timedOut { tasks[t].failed = true }
        tasks[t].active.remove(r)
        emit(.finished(task: t, run: records[r].run, status: status, reason: reason, at: Swift.max(records[r].finishedAt ?? now(), now())))
        if tasks[t].active.isEmpty, !tasks[t].held.isEmpty {
            let held = tasks[t].held
            tasks[t].held = []
            heldCount -= held.count
            for h in held {
                ready.insert(ReadyEntry(priority: file.tasks[t].priority, dueAt: records[h].dueAt, task: t, seq: nextSeq(), run: h))
            }
        }
        checkFinished(t)
    }

    /// A task is finished when its schedule is exhausted and no run of it is left.
    private mutating func checkFinished(_ t: Int) {
        let s = tasks[t]
        guard !s.finished, !s.waiting, !s.pendingDue, s.active.isEmpty, s.queued == 0, s.held.isEmpty else { return }
        if accepting && state == .running {
            // The schedule may still have runs: peek by asking for the next one.
            var due = s.due
            if due.next() != nil { return }
        }
        tasks[t].finished = true
        for d in dependents[t] where tasks[d].waiting && !tasks[d].finished { release(d) }
    }

    /// Starts a task whose `after:` tasks have all finished, or skips it when one did not succeed.
    private mutating func release(_ t: Int) {
        // Once draining, a task still waiting stays so, and is recorded cancelled.
        guard state == .running else { return }
        let deps = dependencies[t]
        guard deps.allSatisfy({ tasks[$0].finished }) else { return }
        tasks[t].waiting = false
        waitingCount -= 1
        guard let failed = deps.first(where: { tasks[$0].failed }) else {
            scheduleNextRun(of: t, notBefore: now())
            return
        }
        let at = Swift.max(tasks[t].due.next() ?? now(), now())
        tasks[t].runsMade += 1
        tasks[t].failed = true
        let r = records.count
        records.append(RunRecord(task: t, run: 1, dueAt: at))
        tasks[t].finished = true
        finish(r, .skipped, reason: "\"\(file.tasks[failed].name)\" did not succeed (after:)")
        for d in dependents[t] where tasks[d].waiting && !tasks[d].finished { release(d) }
    }

    // MARK: Shutdown

    /// Why runs stop being started, as the reasons recorded for what never started say it.
    private enum DrainCause {
        case stopped, forEnded

        private var who: String { self == .stopped ? "jobrun was stopped" : "--for ended" }
        var before: String { "\(who) before it started" }
        var beforeRetry: String { "\(who) while the run waited to retry" }
        var beforeDue: String { "\(who) before the run was due" }
        var whileWaiting: String { "\(who) while the run waited for its after: tasks" }
    }

    private mutating func beginDraining(_ cause: DrainCause) {
        guard state == .running else { return }
        state = .draining
        // Every run that has not started ends cancelled; so does the next run of each task.
        while let entry = ready.popMin() {
            tasks[entry.task].queued -= 1
            finish(entry.run, .cancelled, reason: cause.before)
        }
        for t in tasks.indices where !tasks[t].held.isEmpty {
            let held = tasks[t].held
            tasks[t].held = []
            heldCount -= held.count
            for h in held {
                tasks[t].queued -= 1
                finish(h, .cancelled, reason: cause.before)
            }
        }
        for entry in dueHeap.unordered.sorted(by: <) {
            switch entry.kind {
            case .retry(let r):
                tasks[records[r].task].active.remove(r)
                finish(r, .cancelled, reason: cause.beforeRetry)
            case .newRun(let t):
                tasks[t].pendingDue = false
                tasks[t].runsMade += 1
                let r = records.count
                records.append(RunRecord(task: t, run: tasks[t].runsMade, dueAt: entry.at))
                finish(r, .cancelled, reason: cause.beforeDue)
            }
        }
        dueHeap = Heap()
        for t in tasks.indices where tasks[t].waiting && !tasks[t].finished && selected(t) {
            tasks[t].waiting = false
            tasks[t].finished = true
            waitingCount -= 1
            tasks[t].runsMade += 1
            let r = records.count
            records.append(RunRecord(task: t, run: 1, dueAt: now()))
            finish(r, .cancelled, reason: cause.whileWaiting)
        }
        accepting = false
    }
}

/// Drives a ``SchedulerCore`` with a clock: sleeps until the next due instant (no polling;
/// an idle jobrun uses no CPU), runs attempts as child tasks of one task group (at most
/// `workers` at a time), and on ``shutdown()`` cancels them so executors end their processes.
public actor Scheduler<C: Clock> where C.Duration == Duration {
    private enum Event: Sendable {
        case wake
        case deadline
        case attempt(run: Int, record: AttemptRecord)
        case shutdown
        case ignored
    }

    private var core: SchedulerCore
    private let plan: RunPlan
    private let executor: any Executor
    private let timebase: Timebase<C>
    private let control: AsyncStream<Void>
    private let controlContinuation: AsyncStream<Void>.Continuation
    private var armed: Instant?
    /// How long before their due instant runs are handed to the executor (see
    /// ``SchedulerCore/advanceAhead(to:stopAt:startsIn:)``); zero: on the instant.
    private let lead: Duration
    /// The due instant for which handing ahead was tried and could not be done.
    private var notAhead: Instant?
    private let emit: @Sendable (SchedulerEvent) -> Void
    private var announced: (task: Int, at: Instant)?

    /// Creates a scheduler that starts now on `clock`, whose now is the wall-clock `wallOrigin`.
    /// `originAge`: see ``Timebase/init(clock:wallOrigin:originAge:)``.
    public init(file: JobFile, plan: RunPlan, clock: C, wallOrigin: Instant, originAge: Duration = .zero,
                lead: Duration = .zero, executor: any Executor, emit: @escaping @Sendable (SchedulerEvent) -> Void) {
        self.plan = plan
        self.lead = lead
        self.executor = executor
        self.timebase = Timebase(clock: clock, wallOrigin: wallOrigin, originAge: originAge)
        self.emit = emit
        core = SchedulerCore(file: file, plan: plan, start: wallOrigin, emit: emit)
        (control, controlContinuation) = AsyncStream.makeStream(of: Void.self)
    }

    /// The instant the run started at.
    public nonisolated var start: Instant { timebase.wallOrigin }

    /// The current instant on the scheduler's clock, the clock every record is timed by.
    public nonisolated func now() -> Instant { timebase.now() }

    /// Each task's state now (see ``SchedulerCore/status()``).
    public func status() -> [TaskStatus] { core.status() }

    /// Stops dispatching and cancels running attempts; ``run()`` then returns once they end.
    public nonisolated func shutdown() { controlContinuation.yield() }

    /// Runs the file to the end, or to a shutdown, and returns every run's record.
    public func run() async -> [RunRecord] {
        await withTaskGroup(of: Event.self) { group in
            let control = self.control
            group.addTask {
                for await _ in control { return .shutdown }
                return .ignored
            }
            if let runFor = plan.runFor {
                group.addTask { [timebase] in
                    let deadline = timebase.clockInstant(timebase.wallOrigin + runFor)
                    do { try await timebase.clock.sleep(until: deadline, tolerance: nil) } catch { return .ignored }
                    return .deadline
                }
            }
            var starts = core.advance(to: timebase.now())
            while true {
                for start in starts {
                    let executor = self.executor, timebase = self.timebase
                    group.addTask {
                        .attempt(run: start.run, record: await executor.run(start.request, now: { timebase.now() }))
                    }
                }
                starts = []
                if core.isDone { break }
                announceNextDue()
                armTimer(&group)
                guard let event = await group.next() else { break }
                let now = timebase.now()
                switch event {
                case .wake:
                    if let armed, armed <= now { self.armed = nil }
                    starts = core.advance(to: now)
                    if lead > .zero, let next = core.nextWake, next > now, next <= now + lead {
                        let timebase = self.timebase
                        let ahead = core.advanceAhead(to: now + lead, stopAt: plan.runFor.map { timebase.wallOrigin + $0 }) {
                            timebase.clock.now.duration(to: timebase.clockInstant($0))
                        }
                        if ahead.isEmpty { notAhead = next }
                        starts += ahead
                    }
                case .deadline:
                    starts = core.stopScheduling(at: now)
                case .attempt(let run, let record):
                    starts = core.attemptFinished(run, record: record, at: now)
                case .shutdown:
                    core.shutdown(at: now)
                    // Attempts see the cancellation and end their processes.
                    group.cancelAll()
                case .ignored:
                    break
                }
            }
            group.cancelAll()
        }
        controlContinuation.finish()
        return core.records
    }

    /// Tells the console what comes next, when that changed.
    private func announceNextDue() {
        let next = core.nextDue
        guard next?.task != announced?.task || next?.at != announced?.at else { return }
        announced = next
        emit(.nextDue(task: next?.task, at: next?.at))
    }

    private func armTimer(_ group: inout TaskGroup<Event>) {
        guard var next = core.nextWake else { return }
        if lead > .zero && notAhead != next { next = next + (.zero - lead) }
        if let armed, armed <= next { return }
        armed = next
        group.addTask { [timebase] in
            do { try await timebase.clock.sleep(until: timebase.clockInstant(next), tolerance: nil) } catch { return .ignored }
            return .wake
        }
    }
}

/// A small, fast, seedable random number generator (for jitter that tests can repeat).
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// Creates a generator from a seed.
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
