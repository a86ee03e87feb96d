import JobrunYAML

/// One task of a jobs file, with the file's defaults applied.
public struct TaskSpec: Sendable {
    /// Unique name.
    public var name: String
    /// 0-based position in the file; the last tie-breaker of the run queue.
    public var index: Int
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
    /// Total number of runs; nil means unlimited (only with `repeat` or cron).
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

    /// Whether the task can have more than one run.
    public var recurs: Bool {
        if repeatInterval != nil { return true }
        switch schedule {
        case .cron, .every: return true
        default: return false
        }
    }

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

/// An HTTP request (`type: http`).
public struct HTTPRequest: Sendable {
    /// The URL; may reference environment variables as `${NAME}`, as may headers and body.
    public var url: String
    public var method: String
    public var headers: OrderedPairs
    public var body: String?
    /// Accepted statuses; empty means 2xx.
    public var expectStatus: [ClosedRange<Int>]
    /// The request deadline; nil means the task's `timeout`.
    public var timeout: Duration?
    /// Whether redirects are followed (to another origin without the task's headers and body).
    public var followRedirects = true

    /// Whether `status` counts as success.
    public func accepts(_ status: Int) -> Bool {
        expectStatus.isEmpty ? (200...299).contains(status) : expectStatus.contains { $0.contains(status) }
    }
}

/// `${NAME}` references to environment variables in a text.
public enum EnvironmentReference {
    /// The names referenced in `text`, in order.
    public static func names(in text: String) -> [String] {
        var names: [String] = []
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else { break }
            names.append(String(rest[start.upperBound..<end]))
            rest = rest[rest.index(after: end)...]
        }
        return names
    }

    /// `text` with every `${NAME}` replaced from `environment`; the values used are
    /// returned too, so they can be kept out of reports and logs.
    public static func expand(_ text: String, from environment: [String: String]) -> (text: String, secrets: [String]) {
        var out = ""
        var secrets: [String] = []
        var rest = Substring(text)
        while let start = rest.range(of: "${"), let end = rest[start.upperBound...].firstIndex(of: "}") {
            out += rest[..<start.lowerBound]
            let name = String(rest[start.upperBound..<end])
            let value = environment[name] ?? ""
            if !value.isEmpty { secrets.append(value) }
            out += value
            rest = rest[rest.index(after: end)...]
        }
        return (out + rest, secrets)
    }
}

/// A mail message (`type: email`).
public struct EmailMessage: Sendable {
    public var to: [String]
    public var cc: [String]
    public var from: String?
    public var subject: String
    public var body: String
    /// The sendmail-compatible program; nil means `$JOBRUN_SENDMAIL`, else `/usr/sbin/sendmail`.
    public var sendmail: String?

    /// Creates a message.
    public init(to: [String], cc: [String], from: String?, subject: String, body: String, sendmail: String?) {
        (self.to, self.cc, self.from, self.subject, self.body, self.sendmail) = (to, cc, from, subject, body, sendmail)
    }
}

/// When a task's first run is due.
public enum Schedule: Sendable, Equatable {
    /// At start.
    case now
    /// This long after start.
    case offset(Duration)
    /// At this instant (Unix milliseconds); a past instant runs at start.
    case at(Instant)
    /// At each matching time of a cron expression (boxed, and shared by tasks with the same expression).
    indirect case cron(CronExpression)
    /// One interval after start, then every interval.
    case every(Duration)
}

/// The end of a task's schedule.
public enum Until: Sendable, Equatable {
    case at(Instant)
    case offset(Duration)

    /// The instant for a run started at `start`.
    public func instant(from start: Instant) -> Instant {
        switch self {
        case .at(let i): i
        case .offset(let d): start + d
        }
    }
}

/// Retries after a failed or timed-out attempt.
public struct RetryPolicy: Sendable, Equatable {
    /// Further attempts after the first.
    public var retries: Int
    /// Delay before the first retry.
    public var delay: Duration
    /// How the delay grows.
    public var backoff: Backoff
    /// Cap on the delay.
    public var maxDelay: Duration

    /// Creates a policy.
    public init(retries: Int, delay: Duration, backoff: Backoff, maxDelay: Duration) {
        self.retries = retries
        self.delay = delay
        self.backoff = backoff
        self.maxDelay = maxDelay
    }

    /// The wait before retry number `n` (1-based).
    public func delay(beforeRetry n: Int) -> Duration {
        guard backoff == .exponential, n > 1 else { return min(delay, maxDelay) }
        var d = delay
        for _ in 1..<n {
            d = d * 2
            if d >= maxDelay { return maxDelay }
        }
        return min(d, maxDelay)
    }

    /// The sum of every retry delay.
    public var totalDelay: Duration {
        (0..<retries).reduce(Duration.zero) { $0 + delay(beforeRetry: $1 + 1) }
    }
}

/// How retry delays grow.
public enum Backoff: String, Sendable, CaseIterable {
    case fixed, exponential
}

/// What to do with a run that comes due while the previous run is still queued or running.
public enum OverlapPolicy: String, Sendable, CaseIterable {
    case skip, queue, allow
}
