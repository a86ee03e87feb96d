#if canImport(Glibc)
import Glibc
#endif

/// A fault of jobrun's own, not of a job: what went wrong in words a user can act on, a code
/// for programs, and the `errno` behind it when a system call failed. A job that fails is a
/// record, never one of these.
public struct JobrunError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of fault.
    public enum Code: String, Sendable {
        /// A file could not be written (report, JUnit, `output:`, a log, the step summary, stdout).
        case write
        /// A path is the wrong kind: a directory or block device where a file goes, or not a
        /// directory where a directory must be.
        case notAFile
        /// The log directory cannot be used.
        case logDirectory
        /// A job could not be handed to jobrun-exec, or jobrun-exec could not be started.
        case start
        /// A task's executable is missing, not executable, or not found on PATH.
        case executable
        /// An HTTP request could not be followed to an answer (too many redirects, a loop).
        case http
        /// The state store cannot be opened, is in use, or a write to it failed.
        case state
        /// The HTTP endpoint (`--listen`) cannot listen where it was asked to.
        case listen
        /// `--watch` cannot watch the jobs file.
        case watch
    }

    /// What kind of failure it is.
    public let code: Code
    /// What happened, without the system's words for `errno`.
    public let message: String
    /// The `errno` of the failed system call, if one failed.
    public let errno: Int32?
    /// What to do about it, when there is something to say.
    public let hint: String?
    /// A store that did not answer (it is down, restarting, or out of reach), which may
    /// answer again, rather than one that refused what was asked.
    public let unreachable: Bool

    /// Creates an error.
    public init(_ code: Code, _ message: String, errno: Int32? = nil, hint: String? = nil, unreachable: Bool = false) {
        self.code = code
        self.message = message
        self.errno = errno
        self.hint = hint
        self.unreachable = unreachable
    }

    /// The same error with a hint.
    public func hinting(_ hint: String) -> JobrunError {
        JobrunError(code, message, errno: errno, hint: hint, unreachable: unreachable)
    }

    /// The message, the system's words for the errno, and the hint.
    public var description: String {
        var text = message
        if let errno { text += ": " + String(cString: strerror(errno)) }
        if let hint { text += "; " + hint }
        return text
    }
}
