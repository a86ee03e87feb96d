import JobrunCore

/// How jobrun was invoked for a run: the jobs file, the scheduler's setup, where the
/// report, JUnit report and logs go, and how the console looks (flags beat the file).
public struct RunInvocation: Sendable {
    public var configPath: String
    public var configSHA256: String
    public var setup: SchedulerSetup
    /// Where the report goes: a path, `-` for stdout, or nil for none.
    public var report: String?
    public var junit: String?
    public var logDirectory: String?
    public var format: RunConsole.Format
    public var quiet: Bool
    public var version: String
    /// `--color`: auto, always or never.
    public var color = "auto"

    public init(configPath: String, configSHA256: String, setup: SchedulerSetup, report: String?, junit: String?,
                logDirectory: String?, format: RunConsole.Format, quiet: Bool, version: String) {
        self.configPath = configPath
        self.configSHA256 = configSHA256
        self.setup = setup
        self.report = report
        self.junit = junit
        self.logDirectory = logDirectory
        self.format = format
        self.quiet = quiet
        self.version = version
    }
}
