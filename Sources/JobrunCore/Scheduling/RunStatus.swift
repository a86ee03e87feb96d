/// Where a run is in its lifecycle (README, "Running"). The legal moves are in ``canMove(to:)``.
public enum RunStatus: String, Sendable, CaseIterable {
    case scheduled, queued, running, retrying, succeeded, failed
    case timedOut = "timed_out"
    case skipped, cancelled

    /// Whether the run has ended.
    public var isFinal: Bool {
        switch self {
        case .succeeded, .failed, .timedOut, .skipped, .cancelled: true
        default: false
        }
    }

    /// The lifecycle as one table:
    /// scheduled → queued → running → succeeded | failed | timed_out | retrying;
    /// retrying → queued; scheduled | queued → skipped; any unfinished → cancelled.
    public func canMove(to next: RunStatus) -> Bool {
        switch (self, next) {
        case (.scheduled, .queued), (.scheduled, .skipped), (.scheduled, .cancelled),
             (.queued, .running), (.queued, .skipped), (.queued, .cancelled),
             (.running, .succeeded), (.running, .failed), (.running, .timedOut), (.running, .cancelled),
             (.running, .retrying), (.retrying, .queued), (.retrying, .cancelled):
            true
        default:
            false
        }
    }
}

/// How one attempt ended.
public enum AttemptStatus: String, Sendable {
    case succeeded, failed
    case timedOut = "timed_out"
    case cancelled
}
