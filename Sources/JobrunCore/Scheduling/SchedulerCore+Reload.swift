import HeapModule

/// What a reload changed, by task name, in the new file's order (removed ones in the old's).
public struct ReloadChanges: Sendable, Equatable {
    /// Tasks the new file has and the old did not.
    public var added: [String] = []
    /// Tasks whose definition changed.
    public var changed: [String] = []
    /// Tasks the new file no longer has.
    public var removed: [String] = []

    /// Creates an empty change.
    public init() {}
}

extension SchedulerCore {
    // MARK: A reload

    /// Takes `new`, a valid file, as the schedule from `now` on (README, "Reload"). Tasks are
    /// matched by name: an unchanged one keeps its state and schedule; a changed one keeps its
    /// run numbers and takes the new definition from its next attempt (one running finishes
    /// under the old), and a new schedule continues after its last due instant; a removed one
    /// gets no new run (its queued runs and retry waits end cancelled, a running attempt
    /// finishes); an added one starts as at start, with `now` and `+offset` counted from the
    /// reload. `workers` is the pool's new size; `selecting`, the names `--only`/`--tag` pick in
    /// `new` (nil: all); `histories`, for an added task a store has seen, where its run
    /// numbers stand. While jobrun is stopping, nothing changes. Returns what changed and the
    /// attempts that can start now.
    public mutating func reload(_ new: JobFile, workers: Int, selecting: Set<String>?, histories: [String: TaskHistory],
                                at now: Instant) -> (changes: ReloadChanges, starts: [Start]) {
        clockNow = Swift.max(clockNow, now)
        var changes = ReloadChanges()
        guard state == .running else { return (changes, []) }
        // Where each task of the new file goes: its task of the same name (a removed one
        // comes back in its old place, so its run numbers go on), or a new place at the end.
        var byName: [String: TaskIndex] = [:]
        for t in tasks.indices { byName[file.tasks[t].name] = t }
        var place = [TaskIndex](), next = tasks.values.count
        for spec in new.tasks {
            if let t = byName[spec.name] {
                place.append(t)
            } else {
                place.append(TaskIndex(next))
                next += 1
            }
        }
        let zoneChanged = new.zone.identifier != file.zone.identifier
        let wasSelected = Set(tasks.indices.filter { selected($0) })
        // `reschedule`: tasks whose due instants change (a new schedule, enabled or picked
        // anew); `rewait`: tasks not run yet whose `after:` changed (their next instant stays).
        var reschedule = Set<TaskIndex>(), rewait = Set<TaskIndex>(), fresh: [TaskIndex] = []
        var kept = Set<TaskIndex>()
        for (p, var spec) in new.tasks.enumerated() {
            let t = place[p]
            spec.index = t
            spec.onFailure = spec.onFailure.map { place[$0.position] }
            spec.onSuccess = spec.onSuccess.map { place[$0.position] }
            kept.insert(t)
            if t.position >= tasks.values.count {
                file.tasks.append(spec)
                tasks.append(TaskState(due: DueTimes(spec, zone: new.zone, start: now), waiting: false))
                book.addTask()
                tasks[t].runsMade = histories[spec.name]?.runs ?? 0
                if setup.cluster { joinSchedule(of: t, spec, zone: new.zone, history: histories[spec.name], at: now) }
                fresh.append(t)
                changes.added.append(spec.name)
            } else if retired.contains(t) {
                retired.remove(t)
                spec.revision = file.tasks[t.position].revision + 1
                file.tasks[t.position] = spec
                // It starts again as at start (its run numbers go on); what of it is still
                // under way goes on.
                tasks[t].due = DueTimes(spec, zone: new.zone, start: now)
                tasks[t].finished = false
                tasks[t].failed = false
                tasks[t].waiting = false
                tasks[t].started = false
                tasks[t].lastDue = nil
                tasks[t].instants = 0
                tasks[t].catchUp = []
                if setup.cluster { joinSchedule(of: t, spec, zone: new.zone, history: histories[spec.name], at: now) }
                fresh.append(t)
                changes.added.append(spec.name)
            } else {
                let old = file.tasks[t]
                let dependsOnZone = spec.schedule.repeats || old.schedule.repeats
                guard !spec.sameDefinition(as: old) || (zoneChanged && dependsOnZone) else { continue }
                spec.revision = old.revision + 1
                file.tasks[t.position] = spec
                changes.changed.append(spec.name)
                if !spec.sameSchedule(as: old) || spec.enabled != old.enabled || (zoneChanged && dependsOnZone) {
                    reschedule.insert(t)
                } else if spec.after != old.after && !tasks[t].started {
                    rewait.insert(t)
                }
            }
        }
        let gone = tasks.indices.filter { !kept.contains($0) && !retired.contains($0) }
        file.zone = new.zone
        setup.workers = workers
        setup.selected = selecting.map { names in Set(file.tasks.filter { names.contains($0.name) }.map(\.index)) }
        // Retired and their `after:` ties cut before anything finishes or is released.
        retired.formUnion(gone)
        rebuildDependencies()
        let added = Set(fresh)
        for t in tasks.indices where !added.contains(t) && !retired.contains(t) && wasSelected.contains(t) != selected(t) {
            // Enabled or disabled, or picked by `--only`/`--tag` or no longer.
            reschedule.insert(t)
        }

        rewait.subtract(reschedule)
        // A task that is gone, or whose schedule changed, loses the run it was waiting for; one
        // that waits anew for its `after:` tasks keeps that run's instant for later.
        let dropping = Set(gone).union(reschedule).union(rewait)
        var dropped: [TaskIndex: Instant] = [:]
        if !dropping.isEmpty {
            dueHeap = Heap(dueHeap.unordered.filter { entry in
                guard case .newRun(let t) = entry.kind, dropping.contains(t) else { return true }
                tasks[t].pendingDue = false
                dropped[t] = entry.nominal ?? entry.at
                return false
            })
        }
        for t in gone { retire(t) }
        changes.removed = gone.map { file.tasks[$0].name }

        // First every changed task is set up, then runs are scheduled: a task finishing
        // below releases the ones that wait for it, which must find them set up already.
        var disabled: [TaskIndex] = []
        for t in reschedule.union(rewait) {
            let task = file.tasks[t]
            let wasWaiting = tasks[t].waiting && !tasks[t].finished
            guard selected(t) else {
                // Disabled, or no longer picked: no new run; what is queued ends cancelled.
                if wasWaiting { waitingCount -= 1 }
                tasks[t].waiting = false
                disabled.append(t)
                continue
            }
            tasks[t].finished = false
            if rewait.contains(t) {
                if let instant = dropped[t] { tasks[t].catchUp.insert(instant, at: 0) }
            } else if let lastDue = tasks[t].lastDue {
                tasks[t].catchUp = []
                var due = DueTimes(task, zone: file.zone, start: now,
                                   resuming: TaskHistory(runs: tasks[t].runsMade, instants: tasks[t].instants, lastDue: lastDue))
                // A one-time schedule that has had its run has no more; what the new schedule
                // had before now was never due.
                if task.runsOnceFromStart { due.finish() }
                _ = due.takeMissed(before: now, notBefore: now, keep: 0)
                tasks[t].due = due
            } else {
                tasks[t].catchUp = []
                tasks[t].due = DueTimes(task, zone: file.zone, start: now)
            }
            if !tasks[t].started && !task.after.isEmpty {
                // Not run yet: it waits for its `after:` tasks (released below when they are done).
                if !wasWaiting { waitingCount += 1 }
                tasks[t].waiting = true
            } else {
                if wasWaiting { waitingCount -= 1 }
                tasks[t].waiting = false
            }
        }
        for t in disabled { cancelPending(t, reason: RecordMessage.disabledByReload) }
        for t in reschedule.union(rewait) {
            if !selected(t) {
                checkFinished(t)
            } else if !tasks[t].waiting {
                scheduleNextRun(of: t, notBefore: now)
            }
        }
        for t in fresh {
            if !selected(t) {
                tasks[t].finished = true
            } else if !file.tasks[t].after.isEmpty {
                tasks[t].waiting = true
                waitingCount += 1
            } else {
                scheduleNextRun(of: t, notBefore: now)
            }
        }
        for t in tasks.indices where tasks[t].waiting && !tasks[t].finished { release(t) }
        return (changes, advance(to: now))
    }

    /// In a cluster, the schedule of a task a reload adds is the cluster's, so that replicas
    /// reloading at different moments agree on its instants: it goes on after the cluster's
    /// last instant of the task (`history`), or else starts from the cluster's start, `now`
    /// and `+offset` included; instants before the reload are not made up, but a one-time
    /// instant the cluster has not run yet runs now, once in the cluster.
    private mutating func joinSchedule(of t: TaskIndex, _ spec: TaskSpec, zone: Zone, history: TaskHistory?, at now: Instant) {
        let oneTime = spec.runsOnceFromStart
        var due: DueTimes
        if let history, history.lastDue != nil {
            due = DueTimes(spec, zone: zone, start: start, resuming: history)
            if oneTime { due.finish() }
            tasks[t].runsMade = Swift.max(tasks[t].runsMade, history.runs)
            tasks[t].instants = history.instants
            tasks[t].lastDue = history.lastDue
        } else {
            due = DueTimes(spec, zone: zone, start: start)
        }
        if !oneTime { _ = due.takeMissed(before: now, notBefore: now, keep: 0) }
        tasks[t].due = due
    }

    /// A task a reload removed: it gets no new run. Its queued and held runs, and the runs
    /// waiting to retry, end cancelled; a running attempt finishes (and is not retried).
    private mutating func retire(_ t: TaskIndex) {
        cancelPending(t, reason: RecordMessage.removedByReload)
        checkFinished(t)
    }

    /// Ends the task's queued and held runs, and its runs waiting to retry, cancelled, and
    /// stops it waiting for its `after:` tasks. (Whether it is finished is for the caller to
    /// check, once every task of the reload is set up.)
    private mutating func cancelPending(_ t: TaskIndex, reason: String) {
        var keep: [ReadyEntry] = [], cancel: [RunIndex] = []
        for entry in ready.unordered {
            if entry.task == t { cancel.append(entry.run) } else { keep.append(entry) }
        }
        if !cancel.isEmpty {
            ready = Heap(keep)
            for r in cancel {
                tasks[t].queued -= 1
                finish(r, .cancelled, reason: reason)
            }
        }
        let held = tasks[t].held
        tasks[t].held = []
        heldCount -= held.count
        for r in held {
            tasks[t].queued -= 1
            finish(r, .cancelled, reason: reason)
        }
        var retries: [RunIndex] = []
        dueHeap = Heap(dueHeap.unordered.filter { entry in
            guard case .retry(let r) = entry.kind, book[r].task == t else { return true }
            retries.append(r)
            return false
        })
        for r in retries {
            tasks[t].active.remove(r)
            finish(r, .cancelled, reason: reason)
        }
        if tasks[t].waiting && !tasks[t].finished {
            waitingCount -= 1
        }
        tasks[t].waiting = false
    }

    /// `after:` as positions again, from the names of the tasks that are not retired.
    private mutating func rebuildDependencies() {
        var index: [String: TaskIndex] = [:]
        for t in tasks.indices where !retired.contains(t) { index[file.tasks[t].name] = t }
        dependencies = ByTask(file.tasks.map { task in retired.contains(task.index) ? [] : task.after.compactMap { index[$0] } })
        var dependents = ByTask<[TaskIndex]>(repeating: [], count: file.tasks.count)
        for t in dependencies.indices { for d in dependencies[t] { dependents[d].append(t) } }
        self.dependents = dependents
    }
}
