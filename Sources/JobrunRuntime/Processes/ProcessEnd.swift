import Foundation
import JobrunCore

/// How a job's process ended.
enum ProcessEnd: Sendable, Equatable {
    /// It exited with a status.
    case exited(Int32)
    /// A signal killed it.
    case signaled(Int32)
    /// It never ran, or its end is unknown; the message says why.
    case lost(String)
    /// jobrun-exec killed it at its deadline: the lease on its run was not renewed in time.
    case expired

    init(waitStatus status: Int32) {
        // WIFEXITED / WEXITSTATUS / WTERMSIG, which Glibc's module leaves out.
        let signal = status & 0x7f
        self = signal == 0 ? .exited((status >> 8) & 0xff) : .signaled(signal)
    }

    /// "exited with status 3", "was killed by signal 9 (SIGKILL)", or the message.
    var summary: String {
        switch self {
        case .exited(let code): "exited with status \(code)"
        case .signaled(let signal): "was killed by signal \(signal) (\(RecordMessage.signalName(signal)))"
        case .lost(let message): message
        case .expired: "was killed as the lease on its run could not be renewed in time"
        }
    }
}
