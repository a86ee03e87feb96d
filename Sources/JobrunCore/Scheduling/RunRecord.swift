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
    /// Why a run was skipped, cancelled or abandoned.
    public var reason: String?
    /// The due instant its schedule gave, before jitter: where a restarted schedule continues.
    public var nominalDueAt: Instant
    /// How many due instants of the schedule the record stands for: 1, or for the record of
    /// runs missed while no jobrun ran, how many it names (they count toward `count`).
    public var dueInstants = 1
    /// For a run that another run's end triggered (`on_failure:`/`on_success:`), that run.
    /// Such a run stands for no due instant of its task's schedule (``dueInstants`` is 0).
    public var trigger: RunTrigger?

    /// Creates a record of a run that has just come due.
    public init(task: TaskIndex, run: RunNumber, dueAt: Instant) {
        self.task = task
        self.run = run
        self.status = .scheduled
        self.dueAt = dueAt
        self.nominalDueAt = dueAt
        self.attempts = []
    }
}
