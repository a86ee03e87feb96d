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

    /// Keys `defaults:` accepts (SPEC §2).
    static let keys = [
        "timeout", "kill_grace", "retries", "retry_delay", "backoff", "max_retry_delay",
        "priority", "overlap", "env", "working_dir", "shell",
    ]

    /// Reads the shared fields out of a checked mapping.
    static func read(_ values: [String: Pair], _ path: String, into reader: inout NodeReader) -> TaskFields {
        var f = TaskFields()
        func at<T>(_ key: String, _ read: (Node, String) -> T?) -> Located<T>? {
            guard let pair = values[key], let v = read(pair.value, NodeReader.join(path, key)) else { return nil }
            return Located(value: v, location: pair.value.location)
        }
        f.timeout = at("timeout") { reader.duration($0, $1, positive: true) }
        f.killGrace = at("kill_grace") { reader.duration($0, $1) }
        f.retries = at("retries") { reader.int($0, $1, range: 0...100) }
        f.retryDelay = at("retry_delay") { reader.duration($0, $1) }
        f.backoff = at("backoff") { reader.choice($0, $1, Backoff.self) }
        f.maxRetryDelay = at("max_retry_delay") { reader.duration($0, $1) }
        f.priority = at("priority") { reader.int($0, $1, range: 0...100) }
        f.overlap = at("overlap") { reader.choice($0, $1, OverlapPolicy.self) }
        f.env = values["env"].flatMap { reader.stringMap($0.value, NodeReader.join(path, "env")) }
        f.workingDirectory = at("working_dir") { reader.string($0, $1, singleLine: true) }
        f.shell = at("shell") { reader.string($0, $1, singleLine: true) }
        return f
    }

    /// This task's fields, falling back to `defaults` field by field.
    func over(_ defaults: TaskFields) -> TaskFields {
        TaskFields(
            timeout: timeout ?? defaults.timeout, killGrace: killGrace ?? defaults.killGrace,
            retries: retries ?? defaults.retries, retryDelay: retryDelay ?? defaults.retryDelay,
            backoff: backoff ?? defaults.backoff, maxRetryDelay: maxRetryDelay ?? defaults.maxRetryDelay,
            priority: priority ?? defaults.priority, overlap: overlap ?? defaults.overlap,
            env: env, workingDirectory: workingDirectory ?? defaults.workingDirectory,
            shell: shell ?? defaults.shell)
    }
}
