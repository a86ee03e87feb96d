import JobrunCore

/// A value worked out once per task (by its position): every attempt of a task starts the
/// same way.
final class PerTask<Value: Sendable>: Sendable {
    private let values = Locked<[TaskIndex: Value]>([:])

    func value(for task: TaskIndex, _ make: () -> Value) -> Value {
        if let hit = values.withLock({ $0[task] }) { return hit }
        let made = make()
        values.withLock { $0[task] = made }
        return made
    }
}
