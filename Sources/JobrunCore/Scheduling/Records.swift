/// One execution of a run, as the report records it.
public struct AttemptRecord: Sendable, Equatable {
    /// 1-based.
    public var attempt: Int
    public var status: AttemptStatus
    public var startedAt: Instant
    public var finishedAt: Instant
    /// The exit status, when the process exited.
    public var exitCode: Int32?
    /// The signal that ended it, when one did.
    public var signal: Int32?
    /// Why it could not start, or what went wrong, when it did not succeed.
    public var error: String?
    /// The last 4 KiB of standard output and standard error.
    public var stdoutTail: String
    public var stderrTail: String
    /// `type: http`: the response status, the time to the response, and the first 4 KiB of its body.
    public var httpStatus: Int?
    public var responseMs: Int64?
    public var responseBody: String?
    /// False when another attempt cannot end otherwise (the executable does not exist): the
    /// run is not retried. Not in the report.
    public var retryable = true
    /// `--log-dir`: the attempt's log files, and why they could not be made or where one stops short.
    public var stdoutLog: String?
    public var stderrLog: String?
    public var logError: String?

    /// Creates a record.
    public init(attempt: Int, status: AttemptStatus, startedAt: Instant, finishedAt: Instant,
                exitCode: Int32? = nil, signal: Int32? = nil, error: String? = nil,
                stdoutTail: String = "", stderrTail: String = "") {
        self.attempt = attempt
        self.status = status
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.exitCode = exitCode
        self.signal = signal
        self.error = error
        self.stdoutTail = stdoutTail
        self.stderrTail = stderrTail
    }
}

/// One due occurrence of a task and what became of it.
public struct RunRecord: Sendable, Equatable {
    /// Position of the task in the file.
    public var task: Int
    /// 1-based number of the run within its task.
    public var run: Int
    public var status: RunStatus
    public var dueAt: Instant
    public var startedAt: Instant?
    public var finishedAt: Instant?
    public var attempts: [AttemptRecord]
    /// Why a run was skipped or cancelled.
    public var reason: String?

    /// Creates a record of a run that has just come due.
    public init(task: Int, run: Int, dueAt: Instant) {
        self.task = task
        self.run = run
        self.status = .scheduled
        self.dueAt = dueAt
        self.attempts = []
    }
}

/// What an executor is asked to do: one attempt of one run.
public struct AttemptRequest: Sendable {
    public let task: TaskSpec
    public let run: Int
    public let attempt: Int
    /// When the attempt was handed over ahead of its due instant: that instant, and how long
    /// until it comes (read when the process is about to be started). The executor starts the
    /// attempt then, not before.
    public var startsAt: (at: Instant, in: @Sendable () -> Duration)?

    public init(task: TaskSpec, run: Int, attempt: Int) {
        self.task = task
        self.run = run
        self.attempt = attempt
    }
}

/// Runs attempts. A failing job is a result, not a thrown error. When the calling task is
/// cancelled (shutdown), the executor ends the attempt and reports it `cancelled`.
public protocol Executor: Sendable {
    /// Runs one attempt; `now` reads the scheduler's clock for the record's times.
    func run(_ request: AttemptRequest, now: @Sendable () -> Instant) async -> AttemptRecord
}

/// What the scheduler reports as it goes; one event per status change.
public enum SchedulerEvent: Sendable, Equatable {
    case queued(task: Int, run: Int, attempt: Int)
    /// `at`: when the attempt starts (for a run handed ahead, its due instant, still to come).
    case started(task: Int, run: Int, attempt: Int, at: Instant)
    case attemptFinished(task: Int, run: Int, attempt: AttemptRecord)
    case retrying(task: Int, run: Int, attempt: Int, delay: Duration)
    /// `at`: when the run ended (its last attempt's end, or when it was decided).
    case finished(task: Int, run: Int, status: RunStatus, reason: String?, at: Instant)
    /// The next run or retry due is this task's, at this instant (nil when nothing is due).
    case nextDue(task: Int?, at: Instant?)
}
