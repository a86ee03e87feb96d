import ArgumentParser
import JobrunCore

/// ``ExitStatus`` as argument-parser exit codes.
enum JobrunExit {
    static let success = ExitCode(ExitStatus.success)
    static let invalid = ExitCode(ExitStatus.invalid)
    static let internalFailure = ExitCode(ExitStatus.internalFailure)
    static let help = ExitStatus.table
}
