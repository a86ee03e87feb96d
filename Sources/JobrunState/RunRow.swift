import Foundation
import JobrunCore
import SQLiteNIO

/// A run as a row of `jobrun_runs`, and back.
enum RunRow {
    /// Appends the ten values of `write`'s row, in the INSERT's column order.
    static func append(_ write: RunWrite, task: String, namespace: String, to binds: inout [SQLiteData]) {
        let r = write.record
        let running = write.attemptStartedAt.map { (attempt: r.attempts.count + 1, startedAt: $0) }
        binds.append(.text(namespace))
        binds.append(.text(task))
        binds.append(.integer(r.run.value))
        binds.append(.text(r.status.rawValue))
        binds.append(.integer(Int(r.dueAt.milliseconds)))
        binds.append(.integer(Int(r.nominalDueAt.milliseconds)))
        binds.append(.integer(r.dueInstants))
        binds.append(r.startedAt.map { .integer(Int($0.milliseconds)) } ?? .null)
        binds.append(r.finishedAt.map { .integer(Int($0.milliseconds)) } ?? .null)
        binds.append(.text(Report.runObject(r, indent: 0, running: running)))
    }

    /// The run a row holds (its task left at position 0 for the caller to set); a running
    /// attempt comes back with status `abandoned`, ended at the run's end or its start.
    static func record(_ row: SQLiteRow) -> RunRecord? {
        guard let run = row.column("run")?.integer, let due = row.column("due_ms")?.integer,
              let text = row.column("record")?.string,
              let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        else { return nil }
        var record = RunRecord(task: 0, run: RunNumber(run), dueAt: Instant(milliseconds: Int64(due)))
        record.status = RunStatus(rawValue: row.column("status")?.string ?? "") ?? .abandoned
        record.nominalDueAt = row.column("nominal_ms")?.integer.map { Instant(milliseconds: Int64($0)) } ?? record.dueAt
        record.dueInstants = row.column("instants")?.integer ?? 1
        record.startedAt = row.column("started_ms")?.integer.map { Instant(milliseconds: Int64($0)) }
        record.finishedAt = row.column("finished_ms")?.integer.map { Instant(milliseconds: Int64($0)) }
        record.reason = object["reason"] as? String
        for a in object["attempts"] as? [[String: Any]] ?? [] {
            guard let number = a["attempt"] as? Int, let started = instant(a["started_at"]) else { continue }
            let status = AttemptStatus(rawValue: a["status"] as? String ?? "") ?? .abandoned
            var attempt = AttemptRecord(attempt: number, status: status, startedAt: started,
                                        finishedAt: instant(a["finished_at"]) ?? started,
                                        exitCode: (a["exit_code"] as? Int).map { Int32($0) },
                                        signal: (a["signal"] as? Int).map { Int32($0) }, error: a["error"] as? String,
                                        stdoutTail: a["stdout_tail"] as? String ?? "", stderrTail: a["stderr_tail"] as? String ?? "")
            attempt.httpStatus = a["http_status"] as? Int
            attempt.responseMs = (a["response_ms"] as? Int).map { Int64($0) }
            attempt.responseBody = a["response_body"] as? String
            attempt.stdoutLog = a["stdout_log"] as? String
            attempt.stderrLog = a["stderr_log"] as? String
            attempt.logError = a["log_error"] as? String
            record.attempts.append(attempt)
        }
        return record
    }

    /// Marks the attempt that was under way (recorded `running`, or none for a run waiting to
    /// retry) abandoned, ended at `at`.
    static func abandon(_ record: inout RunRecord, at: Instant) {
        if let last = record.attempts.indices.last, record.attempts[last].status == .abandoned {
            record.attempts[last].finishedAt = at
            record.attempts[last].error = RecordMessage.abandoned(found: at)
        }
    }

    private static func instant(_ value: Any?) -> Instant? {
        guard let text = value as? String, let t = ValueSyntax.timestamp(text) else { return nil }
        return t.instant(in: .utc)
    }
}
