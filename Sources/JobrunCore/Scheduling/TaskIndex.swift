/// A task's position in the jobs file, counted from 0: how the scheduler, the records, the
/// events and the console name a task. Arrays of tasks (and of per-task state) are indexed
/// by it, so it cannot be mixed up with a ``RunIndex`` or a ``RunNumber``.
public struct TaskIndex: Hashable, Comparable, Sendable, ExpressibleByIntegerLiteral, CustomStringConvertible {
    /// The position, from 0.
    public let position: Int

    /// The task at `position`.
    public init(_ position: Int) { self.position = position }
    public init(integerLiteral position: Int) { self.position = position }

    public static func < (a: TaskIndex, b: TaskIndex) -> Bool { a.position < b.position }
    public var description: String { String(position) }
}

extension Array where Element == TaskSpec {
    /// The task at `index`.
    public subscript(_ index: TaskIndex) -> TaskSpec { self[index.position] }

    /// Every task's index, in file order.
    public var taskIndices: [TaskIndex] { indices.map { TaskIndex($0) } }
}
