extension SchedulerCore {
    // MARK: A restart

    /// Continues every task where the store left it: run numbers go on, each schedule resumes
    /// after its last recorded due instant, and the instants missed while no jobrun ran are
    /// made up or recorded skipped as the task's `catch_up` says. Runs the last jobrun left
    /// unfinished arrive `abandoned` and are filed with this run's.
    mutating func resume(_ resume: Resume) {
        var told: [RunRecord] = []
        for record in resume.abandoned where tasks.indices.contains(record.task) {
            let r = book.open(record)
            emit(.finished(task: record.task, run: record.run, status: record.status, reason: record.reason,
                           at: record.finishedAt ?? start))
            book.close(r)
            told.append(record)
        }
        for t in tasks.indices where resume.histories.indices.contains(t) {
            // Every task's run numbers go on, a task not run now included (a reload may enable it).
            let history = resume.histories[t]
            tasks[t].runsMade = history.runs
            tasks[t].instants = history.instants
            tasks[t].lastDue = history.lastDue
            guard history.lastDue != nil, selected(t) else { continue }
            let task = file.tasks[t]
            tasks[t].due = DueTimes(task, zone: file.zone, start: start, resuming: history)
            if resume.live { continue }
            let keep = task.catchUp == .all ? task.catchUpLimit : task.catchUp == .latest ? 1 : 0
            let missed = tasks[t].due.takeMissed(before: start, notBefore: start + (.zero - task.catchUpWithin), keep: keep)
            let skipped = missed.count - missed.kept.count
            if skipped > 0, let first = missed.first, let last = missed.lastLeft {
                // One record names every missed instant that is not made up; the schedule
                // stands after the last of them, so a start killed before the ones made up
                // are recorded neither counts nor names them twice.
                tasks[t].runsMade += 1
                var record = RunRecord(task: t, run: RunNumber(tasks[t].runsMade), dueAt: first)
                record.nominalDueAt = last
                record.dueInstants = skipped
                let r = book.open(record)
                finish(r, .skipped, reason: RecordMessage.missed(skipped, from: first, to: last,
                                                                 catchUp: task.catchUp, within: task.catchUpWithin), missed: true)
            }
            tasks[t].catchUp = missed.kept
        }
        // The runs they trigger, numbered after each notifier's history.
        for record in told { trigger(after: record) }
    }
}
