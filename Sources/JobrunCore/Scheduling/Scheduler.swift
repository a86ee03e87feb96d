/// Drives a ``SchedulerCore`` with a clock: sleeps until the next due instant (no polling;
/// an idle jobrun uses no CPU), runs attempts as child tasks of one task group (at most
/// `workers` at a time), and on ``shutdown()`` cancels them so executors end their processes.
public actor Scheduler<C: Clock> where C.Duration == Duration {
    private struct EndedElsewhere: Sendable {
        var run: RunIndex
        var failed: Bool
    }

    private enum Event: Sendable {
        case wake
        case deadline
        case attempt(run: RunIndex, record: AttemptRecord)
        case claimed(run: RunIndex, answer: ClaimAnswer)
        case claimFailed(run: RunIndex, JobrunError)
        /// Runs of other replicas found ended (their index and whether each failed), or why
        /// the store could not say.
        case endedElsewhere(Result<[EndedElsewhere], JobrunError>)
        /// A run of another replica taken over (or none found), or why the store could not say.
        case adopted(Result<Adoption?, JobrunError>)
        /// Whether the cluster has runs of this file left that a replica may have to run.
        case unsettled(Bool)
        case control(Control)
        case ignored
    }

    /// What the scheduler is asked from outside its run.
    private enum Control: Sendable {
        case shutdown
        case reload(Reload, reply: CheckedContinuation<ReloadChanges?, Never>)
        case lost([LostRun])
    }

    /// A run whose lease this replica lost: its task and the cluster's run number.
    public struct LostRun: Sendable, Equatable {
        public var task: TaskIndex
        public var run: Int

        /// Run `run` of `task`.
        public init(task: TaskIndex, run: Int) {
            self.task = task
            self.run = run
        }
    }

    /// A reload's new file and what goes with it (see ``SchedulerCore/reload(_:workers:selecting:histories:at:)``).
    public struct Reload: Sendable {
        /// The new file, valid.
        public var file: JobFile
        /// The worker pool's size from now on.
        public var workers: Int
        /// The names `--only`/`--tag` pick in it; nil for all.
        public var selecting: Set<String>?
        /// For tasks a store has seen, where their run numbers stand.
        public var histories: [String: TaskHistory]

        /// Creates a reload.
        public init(file: JobFile, workers: Int, selecting: Set<String>?, histories: [String: TaskHistory]) {
            self.file = file
            self.workers = workers
            self.selecting = selecting
            self.histories = histories
        }
    }

    private var core: SchedulerCore
    private let setup: SchedulerSetup
    private let executor: any Executor
    private let timebase: Timebase<C>
    private let control: AsyncStream<Control>
    private let controlContinuation: AsyncStream<Control>.Continuation
    private var armed: Instant?
    /// How long before their due instant runs are handed to the executor (see
    /// ``SchedulerCore/advanceAhead(to:stopAt:startsIn:)``); zero: on the instant.
    private let lead: Duration
    /// The due instant for which handing ahead was tried and could not be done.
    private var notAhead: Instant?
    private let emit: @Sendable (SchedulerEvent) -> Void
    private var announced: (task: TaskIndex, at: Instant)?
    /// The store every status change goes to before the scheduler acts on it, if there is one.
    private let recorder: (any RunRecorder)?
    /// Why the store stopped taking writes, if it did: no run or retry started after that.
    public private(set) var storeFailure: JobrunError?
    /// In a cluster: where runs are claimed.
    private let claims: (any RunClaims)?
    /// A look at other replicas' runs is under way.
    private var looking = false
    /// In a cluster: a look for runs to take over is under way; the next one is at once.
    private var adopting = false
    private var adoptAtOnce = false
    /// In a cluster, with this replica's schedule done: a look at whether the cluster's is
    /// under way, and whether the last found it done.
    private var settling = false
    private var settled = false
    private var settleLooks = 0
    /// Runs handed ahead whose claim is being asked: their instant, for the start the answer makes.
    private var claimTimes: [RunIndex: (at: Instant, in: @Sendable () -> Duration)] = [:]
    /// Ends of runs to be written with the claim of the run they are keyed by (see
    /// ``recordChanges(_:in:)``), until that claim is asked.
    private var carried: [RunIndex: [RunWrite]] = [:]

    /// Creates a scheduler that starts now on `clock`, whose now is the wall-clock `wallOrigin`.
    /// `originAge`: see ``Timebase/init(clock:wallOrigin:originAge:)``.
    public init(file: JobFile, setup: SchedulerSetup, clock: C, wallOrigin: Instant, originAge: Duration = .zero,
                lead: Duration = .zero, executor: any Executor, recorder: (any RunRecorder)? = nil,
                claims: (any RunClaims)? = nil, emit: @escaping @Sendable (SchedulerEvent) -> Void) {
        self.setup = setup
        self.recorder = recorder
        self.claims = claims
        self.lead = lead
        self.executor = executor
        self.timebase = Timebase(clock: clock, wallOrigin: wallOrigin, originAge: originAge)
        self.emit = emit
        var setup = setup
        // Runs are claimed only where there is a cluster to claim them from.
        if claims == nil { setup.cluster = false }
        core = SchedulerCore(file: file, setup: setup, start: setup.origin ?? wallOrigin, emit: emit)
        (control, controlContinuation) = AsyncStream.makeStream(of: Control.self)
    }

    /// The instant the run started at.
    public nonisolated var start: Instant { timebase.wallOrigin }

    /// The current instant on the scheduler's clock, the clock every record is timed by.
    public nonisolated func now() -> Instant { timebase.now() }

    /// Each task's state now (see ``SchedulerCore/status()``).
    public func status() -> [TaskStatus] { core.status() }

    /// Each task's running and queued runs and next due instant (see ``SchedulerCore/gauges()``).
    public func gauges() -> [TaskStatus] { core.gauges() }

    /// The file as the last reload left it (tasks a reload added come last; removed ones stay).
    public func currentFile() -> JobFile { core.file }

    /// Stops dispatching and cancels running attempts; ``run()`` then returns once they end.
    public nonisolated func shutdown() { controlContinuation.yield(.shutdown) }

    /// In a cluster: this replica's leases on `runs` ran out (see ``SchedulerCore/lost(_:at:)``).
    public nonisolated func runsLost(_ runs: [LostRun]) { controlContinuation.yield(.lost(runs)) }

    /// Takes a new file as the schedule from now on (see
    /// ``SchedulerCore/reload(_:workers:selecting:histories:at:)``); returns what changed, or
    /// nil when the run has ended or is stopping.
    public nonisolated func reload(_ reload: Reload) async -> ReloadChanges? {
        await withCheckedContinuation { reply in
            if case .terminated = controlContinuation.yield(.reload(reload, reply: reply)) { reply.resume(returning: nil) }
        }
    }

    /// Runs the file to the end, or to a shutdown, and returns the book of its runs.
    public func run() async -> RunBook {
        await withTaskGroup(of: Event.self) { group in
            let control = self.control
            func listen(_ group: inout TaskGroup<Event>) {
                group.addTask {
                    for await c in control { return .control(c) }
                    return .ignored
                }
            }
            listen(&group)
            if let runFor = setup.runFor {
                group.addTask { [timebase] in
                    let deadline = timebase.clockInstant(timebase.wallOrigin + runFor)
                    do { try await timebase.clock.sleep(until: deadline, tolerance: nil) } catch { return .ignored }
                    return .deadline
                }
            }
            var starts = core.advance(to: timebase.now())
            while true {
                // Nothing starts before the store holds it.
                if let claims { await recordChanges(&starts, in: claims) } else { recordChanges(&starts) }
                for start in starts {
                    let executor = self.executor, timebase = self.timebase
                    if var claim = start.claim, let claims {
                        if let startsAt = start.request.startsAt { claimTimes[start.run] = startsAt }
                        claim.startsAtOnce = start.request.startsAt == nil
                        let writes = carried.removeValue(forKey: start.run) ?? []
                        group.addTask {
                            do throws(JobrunError) {
                                return .claimed(run: start.run, answer: try await claims.claim(claim, recording: writes))
                            } catch {
                                return Task.isCancelled ? .claimed(run: start.run, answer: .stopped) : .claimFailed(run: start.run, error)
                            }
                        }
                        continue
                    }
                    group.addTask {
                        .attempt(run: start.run, record: await executor.run(start.request, now: { timebase.now() }))
                    }
                }
                starts = []
                if core.isDone && !lingers { break }
                announceNextDue()
                armTimer(&group)
                lookElsewhere(&group)
                adopt(&group)
                settle(&group)
                guard let event = await group.next() else { break }
                let now = timebase.now()
                switch event {
                case .wake:
                    if let armed, armed <= now { self.armed = nil }
                    starts = core.advance(to: now)
                    if lead > .zero, let next = core.nextWake, next > now, next <= now + lead {
                        let timebase = self.timebase
                        let ahead = core.advanceAhead(to: now + lead, stopAt: setup.runFor.map { timebase.wallOrigin + $0 }) {
                            timebase.clock.now.duration(to: timebase.clockInstant($0))
                        }
                        if ahead.isEmpty { notAhead = next }
                        starts += ahead
                    }
                case .deadline:
                    starts = core.stopScheduling(at: now)
                case .attempt(let run, var record):
                    record.replica = setup.replica
                    starts = core.attemptFinished(run, record: record, at: now)
                case .claimed(let run, let answer):
                    starts = core.claimed(run, answer, at: now)
                    if let startsAt = claimTimes.removeValue(forKey: run), let i = starts.firstIndex(where: { $0.run == run }) {
                        // Claimed ahead of its instant: it starts on it.
                        var request = starts[i].request
                        request.startsAt = startsAt
                        starts[i] = SchedulerCore.Start(run: run, request: request)
                    }
                case .claimFailed(let run, let error):
                    failStore(error, at: now)
                    claimTimes[run] = nil
                    starts = core.claimed(run, .stopped, at: now)
                case .endedElsewhere(.success(let ended)):
                    looking = false
                    starts = []
                    for end in ended { starts += core.endedElsewhere(end.run, failed: end.failed, at: now) }
                case .endedElsewhere(.failure(let error)):
                    looking = false
                    failStore(error, at: now)
                case .adopted(.success(let adoption)):
                    adopting = false
                    guard let adoption, let claims else { break }
                    if core.canAdopt {
                        starts = core.adopted(adoption, at: now)
                        adoptAtOnce = true  // there may be more
                    } else {
                        group.addTask {
                            try? await claims.giveBack(adoption)
                            return .ignored
                        }
                    }
                case .unsettled(let unsettled):
                    settling = false
                    settled = !unsettled
                case .adopted(.failure(let error)):
                    adopting = false
                    failStore(error, at: now)
                case .control(.lost(let runs)):
                    starts = core.lost(runs.map { ($0.task, $0.run) }, at: now)
                case .control(.shutdown):
                    core.shutdown(at: now)
                    // Attempts see the cancellation and end their processes.
                    group.cancelAll()
                case .control(.reload(let reload, let reply)):
                    let (changes, started) = core.reload(reload.file, workers: reload.workers, selecting: reload.selecting,
                                                         histories: reload.histories, at: now)
                    starts = started
                    // A stopping run changes nothing.
                    reply.resume(returning: core.isStopping ? nil : changes)
                    notAhead = nil
                    listen(&group)
                case .ignored:
                    break
                }
            }
            group.cancelAll()
            // A reload the listener took just as the run ended is answered: nothing changed.
            while let event = await group.next() {
                if case .control(.reload(_, let reply)) = event { reply.resume(returning: nil) }
            }
        }
        controlContinuation.finish()
        // Reloads asked for while the run ended are answered: nothing changed.
        for await c in control { if case .reload(_, let reply) = c { reply.resume(returning: nil) } }
        return core.book
    }

    /// Hands the core's status changes to the store and waits until they are durable. When
    /// the store fails, `starts` do not start (each attempt fails, saying why) and the run
    /// drains: running attempts finish, nothing new starts.
    private func recordChanges(_ starts: inout [SchedulerCore.Start]) {
        let writes = core.takeWrites()
        guard !writes.isEmpty, let recorder, storeFailure == nil else { return }
        do {
            try recorder.record(writes)
        } catch {
            failStore(error, &starts)
        }
    }

    /// In a cluster, ``recordChanges(_:)`` through the cluster, which the loop waits for.
    /// Ends of runs, when a claim is among `starts`, go with that claim instead (``carried``):
    /// nothing starts before them, and no later change of their runs can overtake them.
    private func recordChanges(_ starts: inout [SchedulerCore.Start], in claims: any RunClaims) async {
        let writes = core.takeWrites()
        guard !writes.isEmpty, storeFailure == nil else { return }
        if writes.allSatisfy({ $0.record.status.isFinal && $0.attemptStartedAt == nil && !$0.missed }),
           let first = starts.first(where: { $0.claim != nil }) {
            carried[first.run] = writes
            return
        }
        do throws(JobrunError) {
            try await claims.record(writes)
        } catch {
            failStore(error, &starts)
        }
    }

    /// The store failed: `starts` do not start (each attempt fails, saying why), and the run
    /// drains.
    private func failStore(_ error: JobrunError, _ starts: inout [SchedulerCore.Start]) {
        storeFailure = error
        let now = timebase.now()
        core.storeFailed(at: now)
        for start in starts {
            if start.claim != nil {
                // Not claimed yet: it ends as one stopped while its claim was asked.
                _ = core.claimed(start.run, .stopped, at: now)
                continue
            }
            var record = AttemptRecord(attempt: start.request.attempt, status: .failed, startedAt: now, finishedAt: now,
                                       error: RecordMessage.notRecorded(error))
            record.retryable = false
            _ = core.attemptFinished(start.run, record: record, at: now)
        }
        starts = []
        // The store takes nothing more.
        _ = core.takeWrites()
    }

    /// Tells the console what comes next, when that changed.
    private func announceNextDue() {
        let next = core.nextDue
        guard next?.task != announced?.task || next?.at != announced?.at else { return }
        announced = next
        emit(.nextDue(task: next?.task, at: next?.at))
    }

    /// In a cluster, while other replicas run runs this one waits for (`after:`), looks
    /// every ``RunClaims/lookInterval`` for their ends.
    private func lookElsewhere(_ group: inout TaskGroup<Event>) {
        guard let claims, !looking, storeFailure == nil else { return }
        let runs = core.runsElsewhere
        guard !runs.isEmpty else { return }
        looking = true
        group.addTask { [timebase] in
            do { try await timebase.clock.sleep(for: claims.lookInterval, tolerance: nil) } catch { return .ignored }
            do throws(JobrunError) {
                let ended = try await claims.ended(runs.map { ($0.task, $0.due) })
                return .endedElsewhere(.success(ended.map { EndedElsewhere(run: runs[$0.index].run, failed: $0.failed) }))
            } catch {
                return .endedElsewhere(.failure(error))
            }
        }
    }

    /// In a cluster, while a worker is free, looks every ``RunClaims/adoptInterval`` for a run
    /// to take over: one another replica gave back unstarted, or lost under `on_lost: rerun`.
    private func adopt(_ group: inout TaskGroup<Event>) {
        guard let claims, !adopting, storeFailure == nil, core.canAdopt else { return }
        adopting = true
        let wait = adoptAtOnce ? Duration.zero : claims.adoptInterval
        adoptAtOnce = false
        let tasks = core.file.tasks.taskIndices.map { (task: $0, name: core.file.tasks[$0].name) }
        group.addTask { [timebase] in
            if wait > .zero {
                do { try await timebase.clock.sleep(for: wait, tolerance: nil) } catch { return .ignored }
            }
            do throws(JobrunError) {
                return .adopted(.success(try await claims.adopt(tasks)))
            } catch {
                return Task.isCancelled ? .ignored : .adopted(.failure(error))
            }
        }
    }

    /// The store failed: the first failure stops the run (no run or retry starts after it);
    /// later ones say nothing new.
    private func failStore(_ error: JobrunError, at now: Instant) {
        guard storeFailure == nil else { return }
        storeFailure = error
        core.storeFailed(at: now)
    }

    /// In a cluster, a replica whose schedule is done (not stopped) stays while the cluster
    /// has runs of its file that a replica may still have to run (``RunClaims/unsettled(_:)``),
    /// taking over those given back or lost.
    private var lingers: Bool {
        claims != nil && storeFailure == nil && !core.isStopping && !settled
    }

    /// With this replica's schedule done, looks whether the cluster's is: at once, then every
    /// ``RunClaims/adoptInterval``; a store that does not answer is asked again.
    private func settle(_ group: inout TaskGroup<Event>) {
        guard let claims, core.isDone, lingers, !settling else { return }
        settling = true
        let wait = settleLooks == 0 ? Duration.zero : claims.adoptInterval
        settleLooks += 1
        let tasks = core.file.tasks.map(\.name)
        group.addTask { [timebase] in
            if wait > .zero {
                do { try await timebase.clock.sleep(for: wait, tolerance: nil) } catch { return .ignored }
            }
            do throws(JobrunError) {
                return .unsettled(try await claims.unsettled(tasks))
            } catch {
                return Task.isCancelled ? .ignored : .unsettled(true)
            }
        }
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
