/// jobrun's exit codes (README, "Exit codes"): the one table the code, `--help` and the README share.
public enum ExitStatus {
    /// Every run that was scheduled succeeded, or the file is valid.
    public static let success: Int32 = 0
    /// At least one run failed or timed out after its retries.
    public static let runFailed: Int32 = 1
    /// Usage error, or the configuration is invalid; nothing was run.
    public static let invalid: Int32 = 2
    /// jobrun itself could not work (report path not writable, …).
    public static let internalFailure: Int32 = 3

    /// Stopped by signal `n`.
    public static func signal(_ n: Int32) -> Int32 { 128 + n }

    /// The table as `--help` and the README show it.
    public static let table = """
        EXIT CODES:
          0      every run that was scheduled succeeded (or: the file is valid)
          1      at least one run failed or timed out after its retries, or was abandoned
          2      usage error, or the configuration is invalid (nothing was run)
          3      jobrun itself could not work (the report cannot be written, the state store
                 is unusable or in use)
          128+N  stopped by signal N (130 SIGINT, 131 SIGQUIT, 143 SIGTERM);
                 the report is still written
        """
}
