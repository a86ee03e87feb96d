/// A run's place among every run of an invocation (an index into
/// ``SchedulerCore/records``, in the order the runs came due), counted from 0. Not to be
/// mixed up with a ``RunNumber``, which counts the runs of one task.
public struct RunIndex: Hashable, Comparable, Sendable, ExpressibleByIntegerLiteral, CustomStringConvertible {
    /// The place, from 0.
    public let position: Int

    /// The run at `position`.
    public init(_ position: Int) { self.position = position }
    public init(integerLiteral position: Int) { self.position = position }

    public static func < (a: RunIndex, b: RunIndex) -> Bool { a.position < b.position }
    public var description: String { String(position) }
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
