/// What a store recorded of one task before this start: enough for its schedule to continue
/// where it stopped (README, "State").
public struct TaskHistory: Sendable, Equatable {
    /// The highest run number recorded; the next run is one more.
    public var runs: Int
    /// Due instants recorded, each run counting one and a record of missed runs as many as it
    /// names: what `count` counts.
    public var instants: Int
    /// The latest nominal due instant recorded (jitter not included): cron, `@every` and
    /// `repeat` continue after it.
    public var lastDue: Instant?

    /// Creates a history.
    public init(runs: Int = 0, instants: Int = 0, lastDue: Instant? = nil) {
        self.runs = runs
        self.instants = instants
        self.lastDue = lastDue
    }
}

/// What a store hands the scheduler when a jobrun starts: each task's history, and the runs
/// the previous jobrun left unfinished when it was killed, now recorded `abandoned`.
public struct Resume: Sendable {
    /// By task; a task the store has never seen has an empty history.
    public var histories: ByTask<TaskHistory>
    /// Runs of this file's tasks found unfinished and recorded `abandoned`.
    public var abandoned: [RunRecord]
    /// In a cluster: the replica joined replicas that were running, so no instant was
    /// missed; those after the histories come due as the schedules say (the others claim
    /// them, or this replica does, late).
    public var live: Bool

    /// Creates a resume point.
    public init(histories: ByTask<TaskHistory>, abandoned: [RunRecord] = [], live: Bool = false) {
        self.histories = histories
        self.abandoned = abandoned
        self.live = live
    }
}
