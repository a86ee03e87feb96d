/// The end of a run that names other tasks in `on_failure:` or `on_success:`: what each
/// run it triggers is told.
public struct RunEvent: Sendable, Equatable {
    /// The task whose run ended.
    public var task: String
    /// Which run.
    public var run: RunNumber
    /// How it ended.
    public var status: RunStatus
    /// Why it did not succeed; empty when it did.
    public var error: String
    /// The last ``outputLimit`` bytes of its last attempt's output (stdout, then stderr).
    public var output: String

    /// How much output an event carries: 4 KiB, as cron's mail would show the end of it.
    public static let outputLimit = 4096

    /// Creates an event.
    public init(task: String, run: RunNumber, status: RunStatus, error: String, output: String) {
        self.task = task
        self.run = run
        self.status = status
        self.error = error
        self.output = output
    }

    /// The event of `record`, a run of `task` that has just ended.
    public init(of record: RunRecord, task: String) {
        let last = record.attempts.last
        let error = record.status == .succeeded ? "" : last?.error ?? record.reason ?? ""
        self.init(task: task, run: record.run, status: record.status, error: error,
                  output: Self.tail(last.map { $0.stdoutTail + $0.stderrTail } ?? ""))
    }

    /// The value of `variable`.
    public func value(_ variable: EventVariable) -> String {
        switch variable {
        case .task: task
        case .run: String(run.rawValue)
        case .status: status.rawValue
        case .error: error
        case .output: output
        }
    }

    /// Every variable as `NAME=value`, for a process's environment.
    public var environment: [(key: String, value: String)] {
        EventVariable.allCases.map { ($0.name, value($0)) }
    }

    /// The last ``outputLimit`` bytes of `text`, starting on a character.
    public static func tail(_ text: String) -> String {
        let utf8 = text.utf8
        guard utf8.count > outputLimit else { return text }
        var start = utf8.index(utf8.endIndex, offsetBy: -outputLimit)
        // Not inside a character: step over continuation bytes.
        while start < utf8.endIndex, utf8[start] & 0xC0 == 0x80 { start = utf8.index(after: start) }
        return String(text[start...])
    }
}
