/// What a triggered run records of the run that triggered it (`triggered_by` in the report).
public struct RunTrigger: Sendable, Equatable {
    /// The task whose run ended.
    public var task: String
    /// Which run.
    public var run: RunNumber
    /// How it ended.
    public var status: RunStatus

    /// Creates a trigger.
    public init(task: String, run: RunNumber, status: RunStatus) {
        self.task = task
        self.run = run
        self.status = status
    }
}
