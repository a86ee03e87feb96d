import JobrunYAML

/// Every key a jobs file may contain, in any of its mappings. Lookups go by case, not by
/// string, so reading a task of a large file hashes each key once and never again.
enum Key: Int, CaseIterable, Sendable {
    case version, workers, timezone, report, reportRuns, shutdownGrace, defaults, tasks, state, keepHistory, listen, lease
    case name, type, command, shell, output, http, email, schedule, `repeat`, count, until, priority
    case timeout, killGrace, retries, retryDelay, backoff, maxRetryDelay, jitter, overlap, after
    case enabled, tags, env, workingDir, catchUp, catchUpWithin, catchUpLimit, onFailure, onSuccess, onLost
    case url, method, headers, body, expectStatus, followRedirects
    case to, cc, from, subject, sendmail

    /// The key as written in a file.
    var name: String { Key.names[rawValue] }

    private static let names = allCases.map { key in
        // The case names are the file's keys in camel case.
        String(describing: key).reduce(into: "") { out, ch in
            if ch.isUppercase { out += "_" + ch.lowercased() } else { out.append(ch) }
        }
    }

    static let byName = Dictionary(uniqueKeysWithValues: allCases.map { ($0.name, $0) })

    /// Names other schedulers (and the design jobrun grew from) use for jobrun's keys, too far
    /// from them for the edit distance to suggest.
    static let aliases: [String: Key] = [
        "num_workers": .workers, "max_workers": .workers, "concurrency": .workers, "parallelism": .workers,
        "max_retries": .retries, "retry_count": .retries, "retry": .retries, "attempts": .retries,
        "interval": .repeat, "every": .repeat, "cron": .schedule, "when": .schedule, "at": .schedule,
        "job_type": .type, "task_type": .type, "cmd": .command, "run": .command, "script": .command,
        "depends_on": .after, "dependencies": .after, "needs": .after, "requires": .after,
        "delay": .retryDelay, "retry_interval": .retryDelay, "tz": .timezone, "time_zone": .timezone,
        "environment": .env, "cwd": .workingDir, "workdir": .workingDir, "directory": .workingDir,
        "disabled": .enabled, "active": .enabled, "labels": .tags,
        "on_error": .onFailure, "on_fail": .onFailure, "notify": .onFailure, "on_failed": .onFailure, "on_succeeded": .onSuccess,
    ]
}

/// The keys one kind of mapping accepts, with where misplaced keys belong.
final class KeyTable: Sendable {
    /// Allowed keys in the order messages list them.
    let keys: [Key]
    /// The same keys as a bit set over `Key.rawValue`.
    let allowed: UInt64
    /// What the mapping is, for messages ("a task", "defaults").
    let context: String
    /// Keys that are not allowed here but are elsewhere, with where they belong.
    let elsewhere: [String: String]

    init(_ keys: [Key], context: String, elsewhere: [String: String] = [:]) {
        self.keys = keys
        self.allowed = keys.reduce(0) { $0 | (1 << UInt64($1.rawValue)) }
        self.context = context
        self.elsewhere = elsewhere
    }

    var names: [String] { keys.map(\.name) }

    func allows(_ key: Key) -> Bool { allowed & (1 << UInt64(key.rawValue)) != 0 }
}

/// The pairs of a checked mapping, found by key.
struct Fields {
    let pairs: [Pair]
    /// For each `Key`, the index of its pair in `pairs`, or -1. Full-width indices: a mapping
    /// may hold any number of (unknown) keys before a known one.
    private var slots = InlineArray<64, Int>(repeating: -1)

    init(pairs: [Pair]) { self.pairs = pairs }

    mutating func set(_ key: Key, at index: Int) { slots[key.rawValue] = index }

    subscript(_ key: Key) -> Pair? {
        let i = slots[key.rawValue]
        return i < 0 ? nil : pairs[i]
    }
}
