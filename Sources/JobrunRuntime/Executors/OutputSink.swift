import JobrunCore

/// Which output stream of a job.
public enum StreamKind: String, Sendable {
    case stdout, stderr
}

/// Receives each whole output line of a job.
public protocol OutputSink: Sendable {
    /// One line of a job's output, without its newline, from attempt `attempt` of run `run`.
    func line(task: String, run: RunNumber, attempt: Int, stream: StreamKind, text: String)
    /// A warning of jobrun's own about an attempt (a log that could not be written).
    func warning(_ text: String)
}
