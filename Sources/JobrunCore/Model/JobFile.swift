import JobrunYAML

/// A validated jobs file: the top-level settings and every task, defaults applied.
public struct JobFile: Sendable {
    /// Format version (always 1).
    public var version: Int
    /// Worker pool size.
    public var workers: Int
    /// Zone for cron schedules and local timestamps.
    public var zone: Zone
    /// Report path from the file, if given.
    public var report: String?
    /// How many of each task's last runs the report lists (`report_runs:`); earlier ones are
    /// counted and left out, so memory stays flat.
    public var reportRuns: Int
    /// Grace period for running jobs on SIGINT or SIGTERM.
    public var shutdownGrace: Duration
    /// Tasks in file order.
    public var tasks: [TaskSpec]
    /// `name:`: the file's namespace in a store; nil: the file's base name without extension.
    public var name: String?
    /// `state:`: the store, a path or URL, as written (`${NAME}` not yet substituted).
    public var state: String?
    /// `listen:`: where the HTTP endpoint (metrics, health, status) listens; nil: nowhere.
    public var listen: ListenAddress?
    /// `keep_history:`: runs that ended longer ago than this are pruned from the store.
    public var keepHistory: Duration = .seconds(30 * 24 * 3600)
    /// `lease:` in a cluster, how long a replica's claim of a run holds without being renewed.
    public var lease: Duration = .seconds(30)

    /// The task named `name`.
    public func task(named name: String) -> TaskSpec? { tasks.first { $0.name == name } }
}

/// Key-value pairs that keep the order they were written in (environment variables, headers).
public typealias OrderedPairs = [(key: String, value: String)]

extension JobFile {
    /// The file as `--now` runs it: every task due once, at start, its schedule, `repeat`,
    /// `count`, `until` and `jitter` set aside; `after:`, retries and everything else stay.
    /// A `schedule: never` task still runs only when triggered, unless `named` (`--only`).
    public func dueOnceNow(named: Set<String> = []) -> JobFile {
        var file = self
        for i in file.tasks.indices where file.tasks[i].schedule != .never || named.contains(file.tasks[i].name) {
            file.tasks[i].schedule = .now
            file.tasks[i].repeatInterval = nil
            file.tasks[i].count = 1
            file.tasks[i].until = nil
            file.tasks[i].jitter = .zero
        }
        return file
    }
}
