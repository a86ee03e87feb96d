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
