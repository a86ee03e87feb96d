/// A task's position in the jobs file, counted from 0: how the scheduler, the records, the
/// events and the console name a task. Arrays of tasks (and of per-task state) are indexed
/// by it, so it cannot be mixed up with a ``RunIndex`` or a ``RunNumber``.
public struct TaskIndex: IntegerId {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// The position, from 0.
    public var position: Int { rawValue }
}

extension Array where Element == TaskSpec {
    /// The task at `index`.
    public subscript(_ index: TaskIndex) -> TaskSpec { self[index.position] }

    /// Every task's index, in file order.
    public var taskIndices: [TaskIndex] { indices.map { TaskIndex($0) } }
}
