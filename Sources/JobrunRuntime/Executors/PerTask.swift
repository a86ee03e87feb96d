import JobrunCore

/// A value worked out once per task (by its position): every attempt of a task starts the
/// same way.
final class PerTask<Value: Sendable>: Sendable {
    private let values = Locked<[TaskIndex: (revision: Int, value: Value)]>([:])

    /// The value for `task` as it is now: one made for an earlier revision of its definition
    /// (before a reload changed it) is made again.
    func value(for task: TaskSpec, _ make: () -> Value) -> Value {
        if let hit = values.withLock({ $0[task.index] }), hit.revision == task.revision { return hit.value }
        let made = make()
        values.withLock { $0[task.index] = (task.revision, made) }
        return made
    }
}
