import JobrunCore

/// How jobrun was invoked for a run: the jobs file, the scheduler's setup, where the
/// report, JUnit report and logs go, and how the console looks (flags beat the file).
public struct RunInvocation: Sendable {
    /// The jobs file, as given.
    public var configPath: String
    /// The SHA-256 of its bytes, for the report.
    public var configSHA256: String
    /// Workers, selection, `--for` and the jitter seed.
    public var setup: SchedulerSetup
    /// Where the report goes: a path, `-` for stdout, or nil for none.
    public var report: String?
    /// `--junit`: where the JUnit XML goes.
    public var junit: String?
    /// `--log-dir`: where every attempt's full output is kept.
    public var logDirectory: String?
    /// `--format`: text or JSON Lines on the console.
    public var format: RunConsole.Format
    /// `--quiet`: no job output on the console.
    public var quiet: Bool
    /// jobrun's version, for the report.
    public var version: String
    /// `--color`: auto, always or never.
    public var color = "auto"
    /// `--state` or `state:`: the store's path; nil for none.
    public var state: String?
    /// `--listen` or `listen:`: where the HTTP endpoint listens; nil for nowhere.
    public var listen: ListenAddress?
    /// Reads and validates the file again, flags applied (SIGHUP, `--watch`); nil: a reload
    /// is impossible (SIGHUP is then ignored).
    public var reread: (@Sendable () -> FileReading)?
    /// `--watch`: reload when the file changes on disk.
    public var watch = false
    /// The file's namespace in the store: `name:`, else the file's base name without extension.
    public var namespace = "jobs"
    /// `--replica`: this replica's id in a cluster; nil for `host:pid:random`.
    public var replica: String?

    /// Creates an invocation; `color` is `auto` until set.
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
