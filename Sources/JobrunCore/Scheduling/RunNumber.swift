/// A run's number within its task, counted from 1, as the report, the console, the log
/// names and `JOBRUN_RUN` give it. Not to be mixed up with a ``RunIndex``.
public struct RunNumber: IntegerId {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// The number, from 1.
    public var value: Int { rawValue }
}
