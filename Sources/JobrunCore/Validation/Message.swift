/// Every message jobrun's validator can give, in one place.
public struct Message: Sendable, Hashable {
    /// The sentence shown to the user.
    public let text: String

    init(_ text: String) { self.text = text }

    private static func quoted(_ s: String) -> String {
        let body = String(String.UnicodeScalarView(s.unicodeScalars.prefix(80))).escaping { ch in
            switch ch {
            case "\"": "\\\""
            case "\\": "\\\\"
            case "\n": "\\n"
            case "\t": "\\t"
            default: ch.value < 0x20 || ch.value == 0x7f ? "\\u{\(String(ch.value, radix: 16))}" : nil
            }
        }
        return "\"" + body + (s.unicodeScalars.count > 80 ? "…\"" : "\"")
    }

    private static func suggestion(_ s: String?) -> String {
        s.map { "; did you mean \"\($0)\"?" } ?? ""
    }

    /// What a value was meant to be, with examples, for ``isNot(_:_:suggestion:)``.
    enum Notion: String {
        case wholeNumber = "a whole number"
        case duration = "a duration (examples: 250ms, 30s, 5m, 1h30m, 2d, or 300 for seconds)"
        case timestamp = "a timestamp (examples: 2026-12-01T02:00:00Z, 2026-12-01T02:00:00+01:00, or 2026-12-01T02:00:00 in `timezone`)"
        case schedule = "a schedule (examples: now, +10s, 2026-12-01T02:00:00Z, \"*/15 * * * *\", @daily, @every 5m)"
        case zone = "an IANA time zone (examples: UTC, Europe/Berlin, America/New_York)"
        case url = "an http:// or https:// URL with a host (e.g. https://example.com/hook)"
        case status = "an HTTP status or range (examples: 200, 204, \"200-299\")"
        case address = "an email address (e.g. ops@example.com or \"Ops <ops@example.com>\")"
        case listen = "an address and port to listen on (examples: :9090 for 127.0.0.1:9090, 0.0.0.0:9090, [::1]:9090)"
    }

    /// `"text" is not <notion>`, and a suggestion when there is one.
    private static func isNot(_ text: String, _ notion: Notion, suggestion: String? = nil) -> Message {
        Message("\(quoted(text)) is not \(notion.rawValue)\(Self.suggestion(suggestion))")
    }

    /// The parts of a file, as messages name them: where a key was found (`context`), and
    /// where a key that does not belong there goes.
    enum Place {
        static let topLevel = "the top level"
        static let defaults = "defaults"
        static let task = "a task"
        static let http = "http"
        static let email = "email"
        static let inATask = "in a task under `tasks:` (or in `defaults:`)"
        static let atTheTop = "at the top level of the file"
        static let underHTTP = "under `http:` (an http task's request)"
        static let underEmail = "under `email:` (an email task's message)"
        static let underHTTPOrEmail = "under `http:` or `email:`"
        static func inEachTask(defaultsTake keys: [String]) -> String {
            "in each task; `defaults:` takes only \(keys.joined(separator: ", "))"
        }
    }

    // MARK: YAML and file

    static func yaml(_ text: String) -> Message { Message(text) }
    static let emptyFile = Message("the file is empty; a jobs file needs at least `tasks:` with one task (see examples/)")
    static let rootNotMapping = Message("the top level must be a mapping with `tasks:` (and optionally version, workers, timezone, …)")
    static func cannotRead(_ reason: String) -> Message { Message("cannot read the file: \(reason)") }
    static func fileTooLarge(_ size: Int, limit: Int) -> Message {
        Message("the file is \(size >> 20) MiB; jobrun reads jobs files of at most \(limit >> 20) MiB — split it")
    }

    // MARK: keys

    static func unknownKey(_ key: String, in context: String, suggestion: String?, allowed: [String]) -> Message {
        if let suggestion { return Message("unknown key \(quoted(key)) in \(context)\(Self.suggestion(suggestion))") }
        return Message("unknown key \(quoted(key)) in \(context); allowed keys: \(allowed.joined(separator: ", "))")
    }
    static func keyBelongsElsewhere(_ key: String, place: String) -> Message {
        Message("\(quoted(key)) is not allowed here; it belongs \(place)")
    }
    static let keyNotString = Message("keys must be plain strings")
    static func missing(_ key: Key) -> Message {
        let why = switch key {
        case .name: "every task needs a unique name"
        case .command: "a task of type command runs `command:` (a string for the shell, or a list)"
        case .http: "a task of type http needs `http: {url: …}`"
        case .email: "a task of type email needs `email: {to: [...], subject: …}`"
        case .url: "the request needs `url: http://…` or `https://…`"
        case .to: "a message needs at least one recipient"
        case .tasks: "a jobs file lists its tasks under `tasks:`"
        default: "see the README, \"The jobs file\""
        }
        return Message("missing required key `\(key.name)`: \(why)")
    }

    // MARK: types

    /// What a value should have been, for ``expected(_:found:)``.
    struct Shape: Sendable {
        let text: String
        static let string = Shape(text: "a string")
        static let stringQuoteEmpty = Shape(text: "a string (quote it: \"\")")
        static let stringList = Shape(text: "a list of strings")
        static let stringOrList = Shape(text: "a string or a list of strings")
        static let wholeNumber = Shape(text: "a whole number")
        static let boolean = Shape(text: "true or false")
        static let duration = Shape(text: "a duration (e.g. 30s, 5m, 1h30m)")
        static let environmentMapping = Shape(text: "a mapping of names to strings")
        static let taskList = Shape(text: "a list of tasks")
        static let versionOne = Shape(text: "1")
        static func mapping(of context: String) -> Shape { Shape(text: "a mapping of \(context) keys") }
    }

    static func expected(_ what: Shape, found: String) -> Message { Message("expected \(what.text), found \(found)") }
    static func notInteger(_ text: String) -> Message { isNot(text, .wholeNumber) }
    static func outOfRange(_ value: Int, _ range: ClosedRange<Int>) -> Message {
        Message("\(value) is out of range; use \(range.lowerBound)–\(range.upperBound)")
    }
    static func tooSmall(_ value: Int, minimum: Int) -> Message { Message("\(value) is too small; use \(minimum) or more") }
    static func badEnum(_ text: String, allowed: [String], suggestion: String?) -> Message {
        Message("\(quoted(text)) is not one of \(allowed.joined(separator: ", "))\(Self.suggestion(suggestion))")
    }
    static func badDuration(_ text: String) -> Message { isNot(text, .duration) }
    static let negativeDuration = Message("a duration cannot be negative (examples: 30s, 5m, 1h30m)")
    static func mustBePositive(_ text: String) -> Message { Message("\(quoted(text)) must be longer than 0") }
    static func badTimestamp(_ text: String) -> Message { isNot(text, .timestamp) }
    static func badUntil(_ text: String) -> Message {
        Message("\(quoted(text)) is neither a timestamp nor an offset (examples: 2026-12-01T02:00:00Z, +10m)")
    }
    static func badSchedule(_ text: String) -> Message { isNot(text, .schedule) }
    static func badCron(_ text: String, _ error: CronError) -> Message {
        let why: String = switch error {
        case .fieldCount(let n):
            "it has \(n) field\(n == 1 ? "" : "s"); cron takes 5 (minute hour day-of-month month day-of-week) or 6 (with leading seconds)"
        case .unknownMacro(let m): "\(m) is not a macro; use @hourly, @daily, @weekly, @monthly, @yearly or @every <duration>"
        case .badValue(let f, let t): "the \(f.name) field has \(quoted(t)), which is not a number\(f == .month ? " or month name (jan–dec)" : f == .dayOfWeek ? " or day name (sun–sat)" : "")"
        case .outOfRange(let f, let v): "the \(f.name) field has \(v), outside \(f.range.lowerBound)–\(f.range.upperBound)"
        case .badStep(let f, let t): "the \(f.name) field has \(quoted(t)); a step is a whole number of 1 or more (e.g. */15)"
        case .reversedRange(let f, let t): "the \(f.name) field has the range \(quoted(t)), whose start is after its end"
        case .unsupported(let f, let t): "the \(f.name) field has \(quoted(t)); L, W, # and ? are not Debian cron syntax"
        }
        return Message("\(quoted(text)) is not a valid cron expression: \(why)")
    }
    static func badZone(_ text: String, suggestion: String?) -> Message { isNot(text, .zone, suggestion: suggestion) }
    static func badEnvZone(_ text: String) -> Message {
        Message("the TZ environment variable (\(quoted(text))) is not an IANA time zone; using UTC — set `timezone:` in the file")
    }
    static func badVersion(_ text: String) -> Message {
        Message("version \(text) is not supported; this jobrun reads version 1")
    }
    static let emptyString = Message("must not be empty")
    static let emptyList = Message("must not be an empty list")
    static let emptyTasks = Message("there are no tasks; add at least one under `tasks:`")
    static func nameTooLong(characters: Int) -> Message { Message("a task name has \(characters) characters; use at most 128") }
    static func badURL(_ text: String) -> Message { isNot(text, .url) }
    static func badStatus(_ text: String) -> Message { isNot(text, .status) }
    static func badAddress(_ text: String) -> Message { isNot(text, .address) }
    static func badListen(_ text: String) -> Message { isNot(text, .listen) }
    static func badStateURL(_ problem: String) -> Message {
        Message("this PostgreSQL URL cannot be used: \(problem); write it as postgres://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=MODE")
    }
    static let leaseTooShort = Message("must be at least 1s: a replica renews its claims every quarter of the lease")
    static let controlCharactersInName = Message("a task name must not contain control characters or line breaks")
    static let controlCharactersInValue = Message("this value must not contain control characters or line breaks")

    static func unsetVariable(_ name: String) -> Message {
        Message("the environment variable \(name) is not set; set it before running jobrun (values from the environment stay out of the file and the report)")
    }

    static func unsetVariableWhenLinting(_ name: String) -> Message {
        Message("the environment variable \(name) is not set here; it must be set when the file runs")
    }
    static func cronSecondsLookAccidental(_ text: String, minutes: String) -> Message {
        Message("\(quoted(text)) has 6 fields, so the first is seconds: it runs several times a minute; for minutes write "
                + "\(quoted(minutes + " * * * *")), and to mean seconds write them from 0 (\(quoted("0" + minutes.dropFirst() + " * * * * *")))")
    }
    static func jitterExceedsInterval(jitter: String, interval: String) -> Message {
        Message("jitter \(jitter) is not shorter than the interval \(interval): a run may move past the next one's due time; "
                + "make it a fraction of the interval")
    }
    static func oneItemList(_ text: String) -> Message {
        Message("expected a list, found the single value \(quoted(text)); for a list of one, write [\(text)]")
    }
    static func shortSecret(_ name: String, length: Int) -> Message {
        Message("the value of \(name) has \(length) character\(length == 1 ? "" : "s"); a secret shorter than \(SecretMask.shortest) "
                + "characters is not masked in the console, the report or the logs (it would blank out ordinary text); use a longer one")
    }

    // MARK: per type

    static func wrongType(_ key: String, taskType: String, needs: String) -> Message {
        Message("`\(key)` is for tasks of type \(needs); this task is type \(taskType)")
    }

    // MARK: semantics

    static func duplicateName(_ name: String, firstLine: Int) -> Message {
        Message("the task name \(quoted(name)) is already used on line \(firstLine); names must be unique")
    }
    static func unknownAfter(_ name: String, suggestion: String?) -> Message {
        Message("no task is named \(quoted(name))\(Self.suggestion(suggestion))")
    }
    static func afterSelf(_ name: String) -> Message { Message("task \(quoted(name)) cannot wait for itself") }
    static func cycle(_ names: [String]) -> Message {
        Message("`after` forms a cycle: \(names.map { quoted($0) }.joined(separator: " → ")); none of these tasks could ever start")
    }
    static func neverWith(_ key: String) -> Message {
        Message("`\(key)` has no effect with `schedule: never`: the task runs only when an `on_failure` or `on_success` names it; remove `\(key)`")
    }
    static func unknownNotified(_ key: String, _ name: String, suggestion: String?) -> Message {
        Message("`\(key)` names \(quoted(name)), but no task has that name\(Self.suggestion(suggestion))")
    }
    static func notifiesSelf(_ key: String, _ name: String) -> Message {
        Message("task \(quoted(name)) cannot name itself in `\(key)`: a notifier's own outcome triggers nothing")
    }
    static func notificationCycle(_ names: [String]) -> Message {
        Message("`on_failure`/`on_success` form a cycle: \(names.map { quoted($0) }.joined(separator: " → ")); "
                + "each task here notifies the next, and a notifier's own outcome triggers nothing, so break the cycle")
    }
    static func unknownEventVariable(_ name: String) -> Message {
        Message("\(name) is not an event variable; a triggered run has \(EventVariable.allCases.map { "JOBRUN_EVENT_" + $0.rawValue }.joined(separator: ", "))")
    }
    static func repeatWithCron(_ schedule: String) -> Message {
        Message("`repeat` cannot be combined with the schedule \(quoted(schedule)), which already repeats; remove `repeat` or use a one-time schedule")
    }

    // MARK: warnings

    static func cronNeverFires(_ text: String) -> Message {
        Message("\(quoted(text)) never fires: no month has that day; the task will never run")
    }
    static func timeoutExceedsInterval(timeout: String, interval: String) -> Message {
        Message("timeout \(timeout) is longer than the interval \(interval) with `overlap: skip`; runs that come due while one is still running will be skipped")
    }
    static func retriesExceedInterval(retries: Int, wait: String, interval: String) -> Message {
        Message("\(retries) retries wait \(wait) in all, longer than the interval \(interval); retries cannot finish before the next run is due")
    }
    static func localTimeInGap(_ text: String, zone: String, runsAt: String) -> Message {
        Message("\(quoted(text)) does not exist in \(zone) (the clocks skip it for daylight saving time); it is read as \(runsAt)")
    }
    static func countWithoutRepeat(_ count: Int) -> Message {
        Message("count: \(count) has no effect without `repeat` or a cron/@every schedule; the task runs once")
    }
    static func neverNotified(_ name: String) -> Message {
        Message("task \(quoted(name)) has `schedule: never` and no `on_failure` or `on_success` names it, so it never runs")
    }
    static func notifiesDisabled(_ name: String) -> Message {
        Message("\(quoted(name)) has `enabled: false`, so this notification never runs")
    }
    static func afterUnbounded(_ name: String) -> Message {
        Message("\(quoted(name)) repeats without end (no count or until), so this task waits for it forever unless --for is given")
    }
}
