import JobrunYAML

/// The fields `defaults:` and a task may both set, each with where it was written, so a
/// task's effective value can be traced back to its line.
struct TaskFields {
    var timeout: Located<Duration>?
    var killGrace: Located<Duration>?
    var retries: Located<Int>?
    var retryDelay: Located<Duration>?
    var backoff: Located<Backoff>?
    var maxRetryDelay: Located<Duration>?
    var priority: Located<Int>?
    var overlap: Located<OverlapPolicy>?
    var env: OrderedPairs?
    var workingDirectory: Located<String>?
    var shell: Located<String>?
    var catchUp: Located<CatchUp>?
    var catchUpWithin: Located<Duration>?
    var catchUpLimit: Located<Int>?
    var onFailure: [Located<String>]?
    var onSuccess: [Located<String>]?
    var onLost: Located<OnLost>?

    /// Keys `defaults:` accepts (README, "Top level").
    static let keys: [Key] = [
        .timeout, .killGrace, .retries, .retryDelay, .backoff, .maxRetryDelay,
        .priority, .overlap, .env, .workingDir, .shell, .catchUp, .catchUpWithin, .catchUpLimit,
        .onFailure, .onSuccess, .onLost,
    ]

    /// Reads the shared fields out of a checked mapping.
    static func read(_ values: Fields, _ path: @autoclosure () -> String, into reader: inout NodeReader) -> TaskFields {
        var f = TaskFields()
        func p(_ key: String) -> String { NodeReader.join(path(), key) }
        func at<T>(_ key: Key, _ value: T?) -> Located<T>? {
            value.map { Located(value: $0, location: values[key]!.value.location) }
        }
        if let v = values[.timeout]?.value { f.timeout = at(.timeout, reader.duration(v, p("timeout"), positive: true)) }
        if let v = values[.killGrace]?.value { f.killGrace = at(.killGrace, reader.duration(v, p("kill_grace"))) }
        if let v = values[.retries]?.value { f.retries = at(.retries, reader.int(v, p("retries"), range: 0...100)) }
        if let v = values[.retryDelay]?.value { f.retryDelay = at(.retryDelay, reader.duration(v, p("retry_delay"))) }
        if let v = values[.backoff]?.value { f.backoff = at(.backoff, reader.choice(v, p("backoff"), Backoff.self)) }
        if let v = values[.maxRetryDelay]?.value { f.maxRetryDelay = at(.maxRetryDelay, reader.duration(v, p("max_retry_delay"))) }
        if let v = values[.priority]?.value { f.priority = at(.priority, reader.int(v, p("priority"), range: 0...100)) }
        if let v = values[.overlap]?.value { f.overlap = at(.overlap, reader.choice(v, p("overlap"), OverlapPolicy.self)) }
        if let v = values[.env]?.value { f.env = reader.stringMap(v, p("env")) }
        if let v = values[.workingDir]?.value { f.workingDirectory = at(.workingDir, reader.string(v, p("working_dir"), singleLine: true)) }
        if let v = values[.shell]?.value { f.shell = at(.shell, reader.string(v, p("shell"), singleLine: true)) }
        if let v = values[.catchUp]?.value { f.catchUp = at(.catchUp, reader.choice(v, p("catch_up"), CatchUp.self)) }
        if let v = values[.catchUpWithin]?.value {
            f.catchUpWithin = at(.catchUpWithin, reader.duration(v, p("catch_up_within"), positive: true))
        }
        if let v = values[.catchUpLimit]?.value {
            f.catchUpLimit = at(.catchUpLimit, reader.int(v, p("catch_up_limit"), range: 1...100_000))
        }
        if let v = values[.onFailure]?.value { f.onFailure = reader.strings(v, p("on_failure")) }
        if let v = values[.onSuccess]?.value { f.onSuccess = reader.strings(v, p("on_success")) }
        if let v = values[.onLost]?.value { f.onLost = at(.onLost, reader.choice(v, p("on_lost"), OnLost.self)) }
        return f
    }

    /// This task's fields, falling back to `defaults` field by field, except `env`, which
    /// `readTask` layers itself (file, defaults, task). `on_failure`/`on_success` from
    /// `defaults` are taken back later from the tasks they name (``Semantics``).
    func over(_ defaults: TaskFields) -> TaskFields {
        TaskFields(
            timeout: timeout ?? defaults.timeout, killGrace: killGrace ?? defaults.killGrace,
            retries: retries ?? defaults.retries, retryDelay: retryDelay ?? defaults.retryDelay,
            backoff: backoff ?? defaults.backoff, maxRetryDelay: maxRetryDelay ?? defaults.maxRetryDelay,
            priority: priority ?? defaults.priority, overlap: overlap ?? defaults.overlap,
            env: env, workingDirectory: workingDirectory ?? defaults.workingDirectory,
            shell: shell ?? defaults.shell, catchUp: catchUp ?? defaults.catchUp,
            catchUpWithin: catchUpWithin ?? defaults.catchUpWithin, catchUpLimit: catchUpLimit ?? defaults.catchUpLimit,
            onFailure: onFailure ?? defaults.onFailure, onSuccess: onSuccess ?? defaults.onSuccess,
            onLost: onLost ?? defaults.onLost)
    }
}
