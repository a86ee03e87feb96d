/// What an executor is asked to do: one attempt of one run.
public struct AttemptRequest: Sendable {
    /// The task, as the file says.
    public let task: TaskSpec
    /// Which run of the task.
    public let run: RunNumber
    /// Which attempt of the run, from 1.
    public let attempt: Int
    /// When the attempt was handed over ahead of its due instant: that instant, and how long
    /// until it comes (read when the process is about to be started). The executor starts the
    /// attempt then, not before.
    public var startsAt: (at: Instant, in: @Sendable () -> Duration)?
    /// For a triggered run, the end that triggered it (`JOBRUN_EVENT_*`).
    public var event: RunEvent?
    /// The run's nominal due instant: in a cluster, with the task, the run's key.
    public var due: Instant?

    /// A request to start attempt `attempt` of run `run` now.
    public init(task: TaskSpec, run: RunNumber, attempt: Int) {
        self.task = task
        self.run = run
        self.attempt = attempt
    }
}
