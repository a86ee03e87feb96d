import HeapModule

extension SchedulerCore {
    // MARK: Runs coming due

    /// Takes the task's next due time from its schedule and waits for it in the heap.
    mutating func scheduleNextRun(of t: TaskIndex, notBefore: Instant) {
        guard accepting, !tasks[t].pendingDue, !retired.contains(t) else {
            checkFinished(t)
            return
        }
        if !tasks[t].catchUp.isEmpty {
            // A missed instant being made up runs as soon as it can, on no jitter.
            let missed = tasks[t].catchUp.removeFirst()
            tasks[t].pendingDue = true
            dueHeap.insert(DueEntry(at: missed, seq: nextSeq(), kind: .newRun(task: t), nominal: missed))
            return
        }
        guard let nominal = tasks[t].due.next() else {
            checkFinished(t)
            return
        }
        let at = DueTimes.jittered(Swift.max(nominal, notBefore), by: file.tasks[t].jitter, using: &rng)
        tasks[t].pendingDue = true
        dueHeap.insert(DueEntry(at: at, seq: nextSeq(), kind: .newRun(task: t), nominal: nominal))
    }

    /// Moves every entry whose time has come from the due heap to the ready queue.
    mutating func releaseDue() {
        let now = now()
        while let top = dueHeap.min, top.at <= now {
            dueHeap.removeMin()
            switch top.kind {
            case .newRun(let t):
                tasks[t].pendingDue = false
                guard accepting, selected(t) else {
                    checkFinished(t)
                    continue
                }
                newRun(of: t, dueAt: top.at, nominal: top.nominal ?? top.at)
                scheduleNextRun(of: t, notBefore: top.at)
            case .retry(let r) where lostRuns.contains(r):
                finish(r, .abandoned, reason: RecordMessage.leaseLost)
            case .retry(let r):
                move(r, to: .queued)
                let t = book[r].task
                tasks[t].active.remove(r)
                enqueue(r, dueAt: top.at)
            }
        }
    }

    mutating func newRun(of t: TaskIndex, dueAt: Instant, nominal: Instant) {
        tasks[t].runsMade += 1
        tasks[t].started = true
        tasks[t].lastDue = nominal
        tasks[t].instants += 1
        var record = RunRecord(task: t, run: RunNumber(tasks[t].runsMade), dueAt: dueAt)
        record.nominalDueAt = nominal
        let r = book.open(record)
        let task = file.tasks[t]
        // Missed runs being made up queue behind each other rather than skip each other.
        if task.overlap == .skip && dueAt >= start && (!tasks[t].active.isEmpty || tasks[t].queued > 0) {
            finish(r, .skipped, reason: RecordMessage.previousRunStill(running: !tasks[t].active.isEmpty))
            return
        }
        move(r, to: .queued)
        enqueue(r, dueAt: dueAt)
    }

    mutating func enqueue(_ r: RunIndex, dueAt: Instant) {
        let t = book[r].task
        tasks[t].queued += 1
        emit(.queued(task: t, run: book[r].run, attempt: book[r].attempts.count + 1))
        ready.insert(ReadyEntry(priority: file.tasks[t].priority, dueAt: dueAt, task: t, order: claimOrder(t), seq: nextSeq(), run: r))
    }

    /// Starts queued runs while workers are free, best first.
    mutating func dispatch() {
        while running < setup.workers, let entry = ready.popMin() {
            let r = entry.run, t = entry.task
            // Missed runs being made up and triggered runs are never skipped: they wait their turn.
            let queues = file.tasks[t].overlap == .queue
                || (file.tasks[t].overlap == .skip && (book[r].dueAt < start || book[r].trigger != nil))
            if queues && !tasks[t].active.isEmpty {
                tasks[t].held.append(r)
                heldCount += 1
                continue
            }
            tasks[t].queued -= 1
            if lostRuns.contains(r) {
                finish(r, .abandoned, reason: RecordMessage.leaseLost)
                continue
            }
            tasks[t].active.insert(r)
            if setup.cluster && !claimedRuns.contains(r) {
                // Claimed first: it holds the worker, and starts when the claim is this replica's.
                claiming.insert(r)
                running += 1
                let nominal = book[r].nominalDueAt
                let request = AttemptRequest(task: file.tasks[t], run: book[r].run, attempt: 1)
                starts.append(Start(run: r, request: request, claim: ClaimRequest(task: t, name: file.tasks[t].name, due: nominal,
                                                                                   overlap: queues ? .queue : file.tasks[t].overlap,
                                                                                   unique: book[r].trigger != nil)))
                continue
            }
            running += 1
            startAttempt(r)
        }
    }

    /// Starts the next attempt of the run `r`, which holds a worker.
    mutating func startAttempt(_ r: RunIndex) {
        let t = book[r].task
        move(r, to: .running)
        let attempt = book[r].attempts.count + 1
        if book[r].startedAt == nil { book[r].startedAt = now() }
        if recording { writes.append(RunWrite(record: book[r], attemptStartedAt: now())) }
        emit(.started(task: t, run: book[r].run, attempt: attempt, at: now()))
        var request = AttemptRequest(task: file.tasks[t], run: book[r].run, attempt: attempt)
        request.event = events[r]
        request.due = book[r].nominalDueAt
        starts.append(Start(run: r, request: request))
    }

    // MARK: Attempts ending

    mutating func finishAttempt(run r: RunIndex, record: AttemptRecord) {
        running -= 1
        book[r].attempts.append(record)
        let t = book[r].task
        let task = file.tasks[t]
        emit(.attemptFinished(task: t, run: book[r].run, attempt: record))
        if lostRuns.contains(r) {
            // Its lease ran out: another replica may have it; this one is done with it.
            finish(r, .abandoned, reason: RecordMessage.leaseLost)
            return
        }
        switch record.status {
        case .succeeded:
            finish(r, .succeeded)
        case .cancelled:
            finish(r, .cancelled, reason: RecordMessage.stopped)
        case .abandoned where setup.cluster:
            // Its job was killed as the lease on the run could not be renewed in time.
            finish(r, .abandoned, reason: record.error)
        case .abandoned:
            // Only a store says so, of a run from an earlier start.
            finish(r, .failed)
        case .failed, .timedOut:
            let final: RunStatus = record.status == .failed ? .failed : .timedOut
            // A task a reload removed or disabled finishes its attempt and is not retried.
            if state == .running && record.retryable && record.attempt <= task.retry.retries && selected(t) {
                let delay = task.retry.delay(beforeRetry: record.attempt)
                move(r, to: .retrying)
                if recording { writes.append(RunWrite(record: book[r])) }
                emit(.retrying(task: t, run: book[r].run, attempt: record.attempt + 1, delay: delay))
                dueHeap.insert(DueEntry(at: now() + delay, seq: nextSeq(), kind: .retry(run: r)))
            } else {
                finish(r, final)
            }
        }
    }

    mutating func move(_ r: RunIndex, to status: RunStatus) {
        assert(book[r].status.canMove(to: status), "\(book[r].status) → \(status)")
        book[r].status = status
    }

    /// Ends a run; frees its task for held runs, and checks whether the task is done.
    /// `recorded`: false for a run that never came due (cancelled before its instant), which a
    /// store must not count: a restart runs it when it comes.
    mutating func finish(_ r: RunIndex, _ status: RunStatus, reason: String? = nil, recorded: Bool = true, missed: Bool = false) {
        let t = book[r].task
        move(r, to: status)
        book[r].reason = reason
        book[r].finishedAt = book[r].attempts.last?.finishedAt ?? (status == .skipped || status == .cancelled ? nil : now())
        if recording && recorded { writes.append(RunWrite(record: book[r], missed: missed)) }
        if status == .failed || status == .timedOut || status == .abandoned { tasks[t].failed = true }
        tasks[t].active.remove(r)
        claimedRuns.remove(r)
        lostRuns.remove(r)
        emit(.finished(task: t, run: book[r].run, status: status, reason: reason, at: Swift.max(book[r].finishedAt ?? now(), now())))
        let ended = book[r]
        // Counted, and kept among the last `report_runs` of its task, or let go.
        book.close(r)
        events[r] = nil
        releaseHeld(t)
        checkFinished(t)
        trigger(after: ended)
    }

    /// Once no run of the task is active, the runs `overlap: queue` held back are ready.
    mutating func releaseHeld(_ t: TaskIndex) {
        guard tasks[t].active.isEmpty, !tasks[t].held.isEmpty else { return }
        let held = tasks[t].held
        tasks[t].held = []
        heldCount -= held.count
        for h in held {
            ready.insert(ReadyEntry(priority: file.tasks[t].priority, dueAt: book[h].dueAt, task: t, order: claimOrder(t), seq: nextSeq(), run: h))
        }
    }

    // MARK: Notifications

    /// Queues a run of each task `record`'s task names in `on_failure:` (it ended failed,
    /// timed out or abandoned) or `on_success:` (it succeeded). A triggered run's own end
    /// triggers nothing. Once jobrun is stopping (a signal, a failed store) the triggered
    /// runs are recorded cancelled; when `--for` ran out they still run, so that the last
    /// failure is not left untold.
    mutating func trigger(after record: RunRecord) {
        guard record.trigger == nil else { return }
        let task = file.tasks[record.task]
        let targets: [TaskIndex]
        switch record.status {
        case .succeeded: targets = task.onSuccess
        case .failed, .timedOut, .abandoned: targets = task.onFailure
        default: return
        }
        guard !targets.isEmpty else { return }
        let event = RunEvent(of: record, task: task.name)
        for n in targets where selected(n) {
            tasks[n].runsMade += 1
            tasks[n].started = true
            var run = RunRecord(task: n, run: RunNumber(tasks[n].runsMade), dueAt: now())
            run.dueInstants = 0
            run.trigger = RunTrigger(task: task.name, run: record.run, status: record.status)
            let r = book.open(run)
            events[r] = event
            emit(.triggered(task: n, run: run.run, by: run.trigger!))
            if state == .running || stopper == .runFor {
                move(r, to: .queued)
                enqueue(r, dueAt: now())
            } else {
                finish(r, .cancelled, reason: (stopper ?? .jobrun).beforeItStarted)
            }
        }
    }

    /// A task is finished when its schedule is exhausted and no run of it is left.
    mutating func checkFinished(_ t: TaskIndex) {
        let s = tasks[t]
        guard !s.finished, !s.waiting, !s.pendingDue, s.active.isEmpty, s.queued == 0, s.held.isEmpty else { return }
        if accepting && state == .running && selected(t) {
            // The schedule may still have runs: peek by asking for the next one.
            var due = s.due
            if due.next() != nil { return }
        }
        tasks[t].finished = true
        for d in dependents[t] where tasks[d].waiting && !tasks[d].finished { release(d) }
    }

    /// Starts a task whose `after:` tasks have all finished, or skips it when one did not succeed.
    mutating func release(_ t: TaskIndex) {
        // Once draining, a task still waiting stays so, and is recorded cancelled.
        guard state == .running, selected(t) else { return }
        let deps = dependencies[t]
        guard deps.allSatisfy({ tasks[$0].finished }) else { return }
        tasks[t].waiting = false
        waitingCount -= 1
        guard let failed = deps.first(where: { tasks[$0].failed }) else {
            scheduleNextRun(of: t, notBefore: now())
            return
        }
        let nominal = tasks[t].due.next()
        let at = Swift.max(nominal ?? now(), now())
        tasks[t].runsMade += 1
        tasks[t].failed = true
        var record = RunRecord(task: t, run: RunNumber(tasks[t].runsMade), dueAt: at)
        record.nominalDueAt = nominal ?? at
        let r = book.open(record)
        tasks[t].finished = true
        finish(r, .skipped, reason: RecordMessage.dependencyFailed(file.tasks[failed].name))
        for d in dependents[t] where tasks[d].waiting && !tasks[d].finished { release(d) }
    }

}
