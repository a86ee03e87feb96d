import HeapModule

extension SchedulerCore {
    // MARK: Shutdown

    /// Why runs stop being started, as the reasons recorded for what never started say it.
    enum DrainCause {
        case stopped, forEnded

        private var who: String { self == .stopped ? "jobrun was stopped" : "--for ended" }
        var before: String { "\(who) before it started" }
        var beforeRetry: String { "\(who) while the run waited to retry" }
        var beforeDue: String { "\(who) before the run was due" }
        var whileWaiting: String { "\(who) while the run waited for its after: tasks" }
    }

    mutating func beginDraining(_ cause: DrainCause) {
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
                let r = records.nextIndex
                records.append(RunRecord(task: t, run: RunNumber(tasks[t].runsMade), dueAt: entry.at))
                finish(r, .cancelled, reason: cause.beforeDue)
            }
        }
        dueHeap = Heap()
        for t in tasks.indices where tasks[t].waiting && !tasks[t].finished && selected(t) {
            tasks[t].waiting = false
            tasks[t].finished = true
            waitingCount -= 1
            tasks[t].runsMade += 1
            let r = records.nextIndex
            records.append(RunRecord(task: t, run: 1, dueAt: now()))
            finish(r, .cancelled, reason: cause.whileWaiting)
        }
        accepting = false
    }
}
