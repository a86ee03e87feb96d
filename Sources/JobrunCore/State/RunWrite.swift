/// A change of a run's status that a store must hold before the scheduler acts on it: the
/// run as it is now, and, while an attempt runs, when that attempt started.
public struct RunWrite: Sendable {
    /// The run; ``RunRecord/attempts`` holds the attempts that ended.
    public var record: RunRecord
    /// Set while the run is `running`: when its current attempt (number `attempts.count + 1`) started.
    public var attemptStartedAt: Instant?
    /// The record of instants missed while no jobrun ran (`catch_up` did not make them up):
    /// in a cluster, a run of its own that no replica claimed.
    public var missed = false

    /// Creates a write.
    public init(record: RunRecord, attemptStartedAt: Instant? = nil, missed: Bool = false) {
        self.record = record
        self.attemptStartedAt = attemptStartedAt
        self.missed = missed
    }
}

/// Where runs are kept across starts (README, "State"). ``record(_:)`` returns once the
/// writes are durable (a jobrun killed right after loses none of them): the scheduler starts
/// no process before the run is recorded `running`. It is synchronous, called on the
/// scheduler's own thread, on the path of every start: it must be quick.
public protocol RunRecorder: Sendable {
    /// Records `writes` in one transaction, in order.
    func record(_ writes: [RunWrite]) throws(JobrunError)
}
