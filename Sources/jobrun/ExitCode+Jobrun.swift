import ArgumentParser

/// jobrun's exit codes, the one table the code, `--help` and the README share (SPEC §1).
enum JobrunExit {
    /// Every scheduled run succeeded, or the file is valid.
    static let success = ExitCode(0)
    /// At least one run failed or timed out after its retries.
    static let runFailed = ExitCode(1)
    /// Usage error, or the configuration is invalid; nothing was run.
    static let invalid = ExitCode(2)
    /// jobrun itself could not work (report path not writable, …).
    static let internalFailure = ExitCode(3)

    /// Stopped by signal `n`.
    static func signal(_ n: Int32) -> ExitCode { ExitCode(128 + n) }

    /// The table as `--help` shows it.
    static let help = """
        EXIT CODES:
          0      every run that was scheduled succeeded (or: the file is valid)
          1      at least one run failed or timed out after its retries
          2      usage error, or the configuration is invalid (nothing was run)
          3      jobrun itself could not work (report path not writable, …)
          128+N  stopped by signal N (130 for SIGINT, 143 for SIGTERM)
        """
}
