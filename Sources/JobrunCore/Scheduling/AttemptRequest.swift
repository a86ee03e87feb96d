/// What an executor is asked to do: one attempt of one run.
public struct AttemptRequest: Sendable {
    public let task: TaskSpec
    public let run: RunNumber
    public let attempt: Int
    /// When the attempt was handed over ahead of its due instant: that instant, and how long
    /// until it comes (read when the process is about to be started). The executor starts the
    /// attempt then, not before.
    public var startsAt: (at: Instant, in: @Sendable () -> Duration)?

    public init(task: TaskSpec, run: RunNumber, attempt: Int) {
        self.task = task
        self.run = run
        self.attempt = attempt
    }
}
