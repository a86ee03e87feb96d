/// One value per task of a file, indexed by ``TaskIndex`` (and by nothing else).
public struct ByTask<Value> {
    /// The values, in file order.
    public private(set) var values: [Value]

    /// `values[i]` belongs to the task at position `i`.
    public init(_ values: [Value]) { self.values = values }

    /// `value` for each of `count` tasks.
    public init(repeating value: Value, count: Int) { values = Array(repeating: value, count: count) }

    /// The value of task `task`.
    public subscript(_ task: TaskIndex) -> Value {
        get { values[task.position] }
        set { values[task.position] = newValue }
    }

    /// Adds the value of a task put after the others (by a reload).
    public mutating func append(_ value: Value) { values.append(value) }

    /// Every task's index, in file order.
    public var indices: [TaskIndex] { values.indices.map { TaskIndex($0) } }
}

extension ByTask: Sendable where Value: Sendable {}
