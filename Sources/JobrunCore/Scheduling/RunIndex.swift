/// A run's place among every run of an invocation (an index into
/// ``SchedulerCore/records``, in the order the runs came due), counted from 0. Not to be
/// mixed up with a ``RunNumber``, which counts the runs of one task.
public struct RunIndex: IntegerId {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// The place, from 0.
    public var position: Int { rawValue }
}

extension Array where Element == RunRecord {
    /// The record of the run at `index`.
    public subscript(_ index: RunIndex) -> RunRecord {
        get { self[index.position] }
        set { self[index.position] = newValue }
    }

    /// The index the next record appended will have.
    var nextIndex: RunIndex { RunIndex(count) }
}
