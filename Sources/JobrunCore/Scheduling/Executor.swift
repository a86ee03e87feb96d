/// Runs attempts. A failing job is a result, not a thrown error. When the calling task is
/// cancelled (shutdown), the executor ends the attempt and reports it `cancelled`.
public protocol Executor: Sendable {
    /// Runs one attempt; `now` reads the scheduler's clock for the record's times.
    func run(_ request: AttemptRequest, now: @Sendable () -> Instant) async -> AttemptRecord
}
