/// Where a run is in its lifecycle (README, "Running"). The legal moves are in ``canMove(to:)``.
public enum RunStatus: String, Sendable, CaseIterable {
    case scheduled, queued, running, retrying, succeeded, failed
    case timedOut = "timed_out"
    case skipped, cancelled
    /// The store showed the run unfinished when a jobrun opened it: the jobrun that ran it
    /// was killed; or, in a cluster, the replica running it lost its lease. Counted as failed.
    case abandoned

    /// Whether the run has ended.
    public var isFinal: Bool {
        switch self {
        case .succeeded, .failed, .timedOut, .skipped, .cancelled, .abandoned: true
        default: false
        }
    }

    /// The lifecycle as one table:
    /// scheduled → queued → running → succeeded | failed | timed_out | retrying;
    /// retrying → queued; scheduled | queued → skipped; any unfinished → cancelled; in a
    /// cluster, a run whose lease ran out: queued | running | retrying → abandoned.
    public func canMove(to next: RunStatus) -> Bool {
        switch (self, next) {
        case (.scheduled, .queued), (.scheduled, .skipped), (.scheduled, .cancelled),
             (.queued, .running), (.queued, .skipped), (.queued, .cancelled),
             (.running, .succeeded), (.running, .failed), (.running, .timedOut), (.running, .cancelled),
             (.running, .retrying), (.retrying, .queued), (.retrying, .cancelled),
             (.running, .abandoned), (.retrying, .abandoned), (.queued, .abandoned):
            true
        default:
            false
        }
    }
}

/// How one attempt ended.
public enum AttemptStatus: String, Sendable, CaseIterable {
    case succeeded, failed
    case timedOut = "timed_out"
    case cancelled
    /// It was running when its jobrun was killed (see ``RunStatus/abandoned``).
    case abandoned
}
