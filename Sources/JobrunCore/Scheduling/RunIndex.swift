/// A run's place among every run of an invocation (how ``RunBook`` and the scheduler name a
/// run, in the order the runs came due), counted from 0. Not to be mixed up with a
/// ``RunNumber``, which counts the runs of one task.
public struct RunIndex: IntegerId {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// The place, from 0.
    public var position: Int { rawValue }
}
