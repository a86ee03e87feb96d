/// One execution of a run, as the report records it.
public struct AttemptRecord: Sendable, Equatable {
    /// 1-based.
    public var attempt: Int
    /// How it ended.
    public var status: AttemptStatus
    /// When its process started (for one handed ahead, its due instant).
    public var startedAt: Instant
    /// When it ended.
    public var finishedAt: Instant
    /// The exit status, when the process exited.
    public var exitCode: Int32?
    /// The signal that ended it, when one did.
    public var signal: Int32?
    /// Why it could not start, or what went wrong, when it did not succeed.
    public var error: String?
    /// The last 4 KiB of standard output.
    public var stdoutTail: String
    /// The last 4 KiB of standard error.
    public var stderrTail: String
    /// `type: http`: the response status.
    public var httpStatus: Int?
    /// `type: http`: the time to the response.
    public var responseMs: Int64?
    /// `type: http`: the first 4 KiB of the response body.
    public var responseBody: String?
    /// False when another attempt cannot end otherwise (the executable does not exist): the
    /// run is not retried. Not in the report.
    public var retryable = true
    /// `--log-dir`: the file holding the attempt's stdout.
    public var stdoutLog: String?
    /// `--log-dir`: the file holding its stderr.
    public var stderrLog: String?
    /// `--log-dir`: why the logs could not be made, or where one stops short.
    public var logError: String?
    /// In a cluster: the replica that ran it.
    public var replica: String?

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
