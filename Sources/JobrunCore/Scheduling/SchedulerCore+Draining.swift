import HeapModule

extension SchedulerCore {
    // MARK: Shutdown

    /// Stops starting runs: what is queued, held, waiting to retry or for its `after:` tasks,
    /// and the next run of every task, ends cancelled, with `cause` saying who stopped it.
    mutating func beginDraining(_ cause: RecordMessage.Stopper) {
        guard state == .running else { return }
        state = .draining
        stopper = cause
        // Other replicas' runs: theirs to finish; this replica waits for none of them.
        for r in elsewhere {
            tasks[book[r].task].active.remove(r)
            book.discard(r)
        }
        elsewhere = []
        // Every run that has not started ends cancelled; so does the next run of each task.
        cancelQueued(cause)
        for entry in dueHeap.unordered.sorted(by: <) {
            switch entry.kind {
            case .retry(let r):
                tasks[book[r].task].active.remove(r)
                finish(r, .cancelled, reason: cause.whileWaitingToRetry)
            case .newRun(let t):
                tasks[t].pendingDue = false
                tasks[t].runsMade += 1
                var record = RunRecord(task: t, run: RunNumber(tasks[t].runsMade), dueAt: entry.at)
                record.nominalDueAt = entry.nominal ?? entry.at
                let r = book.open(record)
                finish(r, .cancelled, reason: cause.beforeItWasDue, recorded: false)
            }
        }
        dueHeap = Heap()
        for t in tasks.indices where tasks[t].waiting && !tasks[t].finished && selected(t) {
            tasks[t].waiting = false
            tasks[t].finished = true
            waitingCount -= 1
            tasks[t].runsMade += 1
            let r = book.open(RunRecord(task: t, run: RunNumber(tasks[t].runsMade), dueAt: now()))
            finish(r, .cancelled, reason: cause.whileWaitingForAfter, recorded: false)
        }
        accepting = false
    }

    /// Ends every queued and held run cancelled, saying who stopped it.
    mutating func cancelQueued(_ cause: RecordMessage.Stopper) {
        while let entry = ready.popMin() {
            tasks[entry.task].queued -= 1
            finish(entry.run, .cancelled, reason: cause.beforeItStarted)
        }
        for t in tasks.indices where !tasks[t].held.isEmpty {
            let held = tasks[t].held
            tasks[t].held = []
            heldCount -= held.count
            for h in held {
                tasks[t].queued -= 1
                finish(h, .cancelled, reason: cause.beforeItStarted)
            }
        }
    }
}
