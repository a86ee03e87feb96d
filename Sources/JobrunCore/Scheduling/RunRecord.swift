/// One due occurrence of a task and what became of it.
public struct RunRecord: Sendable, Equatable {
    /// Position of the task in the file.
    public var task: TaskIndex
    /// 1-based number of the run within its task.
    public var run: RunNumber
    /// Where the run is in its lifecycle.
    public var status: RunStatus
    /// When it came due (jitter included).
    public var dueAt: Instant
    /// When its first attempt started, if one did.
    public var startedAt: Instant?
    /// When it ended: its last attempt's end, or when it was decided.
    public var finishedAt: Instant?
    /// Its attempts, in order.
    public var attempts: [AttemptRecord]
    /// Why a run was skipped or cancelled.
    public var reason: String?

    /// Creates a record of a run that has just come due.
    public init(task: TaskIndex, run: RunNumber, dueAt: Instant) {
        self.task = task
        self.run = run
        self.status = .scheduled
        self.dueAt = dueAt
        self.attempts = []
    }
}
