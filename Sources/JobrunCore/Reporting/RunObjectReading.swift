import Foundation

extension RunRecord {
    /// The run a store kept as the report's run object (``Report/runObject(_:indent:running:)``),
    /// read back: its task left at position 0 for the caller to set. An attempt recorded
    /// running comes back `abandoned` (its jobrun or replica did not record its end). Nil when
    /// the text is not such an object.
    public init?(runObject text: String) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
              let run = object["run"] as? Int, let due = Self.instant(object["due_at"]) else { return nil }
        self.init(task: 0, run: RunNumber(run), dueAt: due)
        status = RunStatus(rawValue: object["status"] as? String ?? "") ?? .abandoned
        startedAt = Self.instant(object["started_at"])
        finishedAt = Self.instant(object["finished_at"])
        reason = object["reason"] as? String
        if let by = object["triggered_by"] as? [String: Any], let task = by["task"] as? String, let run = by["run"] as? Int {
            trigger = RunTrigger(task: task, run: RunNumber(run), status: RunStatus(rawValue: by["status"] as? String ?? "") ?? .failed)
        }
        for a in object["attempts"] as? [[String: Any]] ?? [] {
            guard let number = a["attempt"] as? Int, let started = Self.instant(a["started_at"]) else { continue }
            let status = AttemptStatus(rawValue: a["status"] as? String ?? "") ?? .abandoned
            var attempt = AttemptRecord(attempt: number, status: status, startedAt: started,
                                        finishedAt: Self.instant(a["finished_at"]) ?? started,
                                        exitCode: (a["exit_code"] as? Int).map { Int32($0) },
                                        signal: (a["signal"] as? Int).map { Int32($0) }, error: a["error"] as? String,
                                        stdoutTail: a["stdout_tail"] as? String ?? "", stderrTail: a["stderr_tail"] as? String ?? "")
            attempt.httpStatus = a["http_status"] as? Int
            attempt.responseMs = (a["response_ms"] as? Int).map { Int64($0) }
            attempt.responseBody = a["response_body"] as? String
            attempt.stdoutLog = a["stdout_log"] as? String
            attempt.stderrLog = a["stderr_log"] as? String
            attempt.logError = a["log_error"] as? String
            attempt.replica = a["replica"] as? String
            attempts.append(attempt)
        }
    }

    private static func instant(_ value: Any?) -> Instant? {
        guard let text = value as? String, let t = ValueSyntax.timestamp(text) else { return nil }
        return t.instant(in: .utc)
    }
}
