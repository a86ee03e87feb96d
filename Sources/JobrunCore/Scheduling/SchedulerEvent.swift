/// What the scheduler reports as it goes; one event per status change.
public enum SchedulerEvent: Sendable, Equatable {
    case queued(task: Int, run: Int, attempt: Int)
    /// `at`: when the attempt starts (for a run handed ahead, its due instant, still to come).
    case started(task: Int, run: Int, attempt: Int, at: Instant)
    case attemptFinished(task: Int, run: Int, attempt: AttemptRecord)
    case retrying(task: Int, run: Int, attempt: Int, delay: Duration)
    /// `at`: when the run ended (its last attempt's end, or when it was decided).
    case finished(task: Int, run: Int, status: RunStatus, reason: String?, at: Instant)
    /// The next run or retry due is this task's, at this instant (nil when nothing is due).
    case nextDue(task: Int?, at: Instant?)
}
