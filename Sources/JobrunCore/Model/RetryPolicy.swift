/// Retries after a failed or timed-out attempt.
public struct RetryPolicy: Sendable, Equatable {
    /// Further attempts after the first.
    public var retries: Int
    /// Delay before the first retry.
    public var delay: Duration
    /// How the delay grows.
    public var backoff: Backoff
    /// Cap on the delay.
    public var maxDelay: Duration

    /// Creates a policy.
    public init(retries: Int, delay: Duration, backoff: Backoff, maxDelay: Duration) {
        self.retries = retries
        self.delay = delay
        self.backoff = backoff
        self.maxDelay = maxDelay
    }

    /// The wait before retry number `n` (1-based).
    public func delay(beforeRetry n: Int) -> Duration {
        guard backoff == .exponential, n > 1 else { return min(delay, maxDelay) }
        var d = delay
        for _ in 1..<n {
            d = d * 2
            if d >= maxDelay { return maxDelay }
        }
        return min(d, maxDelay)
    }

    /// The sum of every retry delay.
    public var totalDelay: Duration {
        (0..<retries).reduce(Duration.zero) { $0 + delay(beforeRetry: $1 + 1) }
    }
}

/// How retry delays grow.
public enum Backoff: String, Sendable, CaseIterable {
    case fixed, exponential
}
