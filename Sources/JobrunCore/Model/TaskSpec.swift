import JobrunYAML

/// One task of a jobs file, with the file's defaults applied.
public struct TaskSpec: Sendable {
    /// Unique name.
    public var name: String
    /// 0-based position in the file; the last tie-breaker of the run queue.
    public var index: TaskIndex
    /// Where the task's mapping begins.
    public var location: SourceLocation
    /// Which executor runs it.
    public var type: TaskType
    /// What a `command` task runs.
    public var command: Command?
    /// The shell for a string command.
    public var shell: String
    /// Where stdout goes, replaced atomically on success.
    public var output: String?
    /// The request of an `http` task.
    public var http: HTTPRequest? {
        get { if case .http(let h) = message { h } else { nil } }
        set {
            if let newValue { message = .http(newValue) } else if http != nil { message = .none }
        }
    }
    /// The message of an `email` task.
    public var email: EmailMessage? {
        get { if case .email(let e) = message { e } else { nil } }
        set {
            if let newValue { message = .email(newValue) } else if email != nil { message = .none }
        }
    }
    /// What an http or email task sends, boxed: most tasks are commands, and a large file
    /// holds many tasks.
    var message: Message = .none

    indirect enum Message: Sendable {
        case none
        case http(HTTPRequest)
        case email(EmailMessage)
    }
    /// When the first run is due.
    public var schedule: Schedule
    /// Fixed-rate interval between due times.
    public var repeatInterval: Duration?

    /// Whether the task has one run, counted from the start: `now` or `+offset`, without
    /// `repeat`.
    public var runsOnceFromStart: Bool {
        guard repeatInterval == nil else { return false }
        switch schedule {
        case .now, .offset: return true
        default: return false
        }
    }
    /// Total number of runs; nil means unlimited (only with `repeat`, cron or `@every`).
    public var count: Int?
    /// No run is due after this.
    public var until: Until?
    /// Lower runs first.
    public var priority: Int
    /// Limit for one attempt.
    public var timeout: Duration?
    /// Time between SIGTERM and SIGKILL.
    public var killGrace: Duration
    /// Retries and their delays.
    public var retry: RetryPolicy
    /// Largest random delay added to each due time.
    public var jitter: Duration
    /// What happens when a run comes due while the previous one is still queued or running.
    public var overlap: OverlapPolicy
    /// Tasks that must finish all their runs successfully first.
    public var after: [String]
    /// False: validated, never run.
    public var enabled: Bool
    /// Labels for `--tag`.
    public var tags: [String]
    /// Environment: the file's `env`, then `defaults.env`, then the task's `env`.
    public var env: OrderedPairs
    /// Working directory.
    public var workingDirectory: String?
    /// `on_failure:` tasks run once when a run of this task ends failed, timed out or
    /// abandoned (after its retries); positions in the file.
    public var onFailure: [TaskIndex] = []
    /// `on_success:` tasks run once when a run of this task succeeds; positions in the file.
    public var onSuccess: [TaskIndex] = []
    /// How many times a reload changed the task's definition: what is made once per task
    /// (its executable found on PATH, its environment) is made again when it changes.
    public var revision = 0
    /// With a store: what becomes of due instants that passed while no jobrun was running.
    public var catchUp = CatchUp.none
    /// With a store: missed instants older than this, before the start, are never made up.
    public var catchUpWithin: Duration = .seconds(24 * 3600)
    /// With a store and `catch_up: all`: at most this many missed instants run.
    public var catchUpLimit = 100
    /// In a cluster: what becomes of a run whose replica lost its lease while it ran.
    public var onLost = OnLost.abandon

    /// Whether the task can have more than one run.
    public var recurs: Bool { repeatInterval != nil || schedule.repeats }

    /// Whether the task would run forever without `--for` or a signal.
    public var isUnbounded: Bool { recurs && count == nil && until == nil }
}

/// The executor that runs a task.
public enum TaskType: String, Sendable, CaseIterable {
    case command, http, email
}

/// What a command task runs.
public enum Command: Sendable, Equatable {
    /// Run directly, found on `PATH`.
    case argv([String])
    /// Run as `<shell> -c <script>`.
    case shell(String)
}

/// What to do with a run that comes due while the previous run is still queued or running.
public enum OverlapPolicy: String, Sendable, CaseIterable {
    case skip, queue, allow
}

/// `on_lost:` in a cluster, what becomes of a run whose replica lost its lease while the run
/// was running (README, "A cluster on PostgreSQL").
public enum OnLost: String, Sendable, CaseIterable {
    /// It is recorded `abandoned` and not run again: every run at most once.
    case abandon
    /// It is recorded with an `abandoned` attempt, and another replica runs it again.
    case rerun
}

/// `catch_up:` what a restarted jobrun does with the due instants it missed (README, "State").
public enum CatchUp: String, Sendable, CaseIterable {
    /// None runs; one skipped record says how many were missed and when.
    case none
    /// The most recent one runs at start.
    case latest
    /// Each runs, oldest first, up to `catch_up_limit`.
    case all
}
