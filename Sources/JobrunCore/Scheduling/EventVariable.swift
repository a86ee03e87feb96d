/// The variables a triggered run gets (`JOBRUN_EVENT_<NAME>` in its environment, and
/// `${JOBRUN_EVENT_<NAME>}` in an http or email task's fields).
public enum EventVariable: String, Sendable, CaseIterable {
    /// The name of the task whose run ended.
    case task = "TASK"
    /// That run's number.
    case run = "RUN"
    /// How it ended: `failed`, `timed_out`, `abandoned` or `succeeded`.
    case status = "STATUS"
    /// Why it did not succeed (its last attempt's error, or the run's reason); empty on success.
    case error = "ERROR"
    /// The last 4 KiB of its last attempt's output, standard output then standard error,
    /// secrets masked.
    case output = "OUTPUT"

    /// The prefix every event variable's name has.
    public static let prefix = "JOBRUN_EVENT_"

    /// The name in the environment and in `${…}`.
    public var name: String { Self.prefix + rawValue }

    /// The variable `name` stands for (`JOBRUN_EVENT_TASK`), if any.
    public init?(name: String) {
        guard name.hasPrefix(Self.prefix) else { return nil }
        self.init(rawValue: String(name.dropFirst(Self.prefix.count)))
    }
}
