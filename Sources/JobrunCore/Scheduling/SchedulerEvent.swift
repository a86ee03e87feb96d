/// What the scheduler reports as it goes; one event per status change.
public enum SchedulerEvent: Sendable, Equatable {
    /// The attempt waits for a worker.
    case queued(task: TaskIndex, run: RunNumber, attempt: Int)
    /// `at`: when the attempt starts (for a run handed ahead, its due instant, still to come).
    case started(task: TaskIndex, run: RunNumber, attempt: Int, at: Instant)
    /// The attempt ended, as its record says.
    case attemptFinished(task: TaskIndex, run: RunNumber, attempt: AttemptRecord)
    /// The attempt failed and attempt `attempt` follows after `delay`.
    case retrying(task: TaskIndex, run: RunNumber, attempt: Int, delay: Duration)
    /// `at`: when the run ended (its last attempt's end, or when it was decided).
    case finished(task: TaskIndex, run: RunNumber, status: RunStatus, reason: String?, at: Instant)
    /// Run `run` of the task came due because another run ended (`on_failure`/`on_success`).
    case triggered(task: TaskIndex, run: RunNumber, by: RunTrigger)
    /// The next run or retry due is this task's, at this instant (nil when nothing is due).
    case nextDue(task: TaskIndex?, at: Instant?)
}
