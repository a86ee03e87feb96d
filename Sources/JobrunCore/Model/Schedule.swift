/// When a task's first run is due.
public enum Schedule: Sendable, Equatable {
    /// At start.
    case now
    /// This long after start.
    case offset(Duration)
    /// At this instant; a past instant runs at start.
    case at(Instant)
    /// At each matching time of a cron expression (boxed, and shared by tasks with the same expression).
    indirect case cron(CronExpression)
    /// One interval after start, then every interval.
    case every(Duration)
    /// No run of its own: the task runs only when another task's `on_failure`/`on_success`
    /// names it.
    case never

    /// Whether the schedule itself repeats (cron and `@every`).
    public var repeats: Bool {
        switch self {
        case .cron, .every: true
        default: false
        }
    }
}

/// The end of a task's schedule.
public enum Until: Sendable, Equatable {
    case at(Instant)
    case offset(Duration)

    /// The instant for a run started at `start`.
    public func instant(from start: Instant) -> Instant {
        switch self {
        case .at(let i): i
        case .offset(let d): start + d
        }
    }
}
