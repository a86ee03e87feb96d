import Foundation
import GRDB
import JobrunCore

/// A run as a row of `jobrun_runs`, and back.
enum RunRow {
    /// The columns after `namespace`, in the order ``append(_:task:namespace:to:)`` gives their values.
    static let columns = "task, run, status, due_ms, nominal_ms, instants, started_ms, finished_ms, record"

    /// The row of `write`, a run of the task `task` in `namespace`.
    static func pending(_ write: RunWrite, task: String, namespace: String) -> PendingRow {
        let r = write.record
        let running = write.attemptStartedAt.map { (attempt: r.attempts.count + 1, startedAt: $0) }
        return PendingRow(namespace: namespace, task: task, run: r.run.value, status: r.status.rawValue,
                          dueMs: r.dueAt.milliseconds, nominalMs: r.nominalDueAt.milliseconds, instants: r.dueInstants,
                          startedMs: r.startedAt?.milliseconds, finishedMs: r.finishedAt?.milliseconds,
                          record: Report.runObjectUTF8(r, indent: 0, running: running))
    }

    /// Appends the ten values of `row`: the namespace, then ``columns``.
    static func append(_ row: PendingRow, to values: inout [(any DatabaseValueConvertible)?]) {
        values.append(row.namespace)
        values.append(row.task)
        values.append(row.run)
        values.append(row.status)
        values.append(row.dueMs)
        values.append(row.nominalMs)
        values.append(row.instants)
        values.append(row.startedMs)
        values.append(row.finishedMs)
        values.append(String(decoding: row.record, as: UTF8.self))
    }

    /// The run a row of ``columns`` holds (its task left at position 0 for the caller to set);
    /// an attempt recorded running comes back `abandoned`.
    static func record(_ row: Row) -> RunRecord? {
        guard let run = row["run"] as Int?, let due = row["due_ms"] as Int64?, let text = row["record"] as String?,
              let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        else { return nil }
        var record = RunRecord(task: 0, run: RunNumber(run), dueAt: Instant(milliseconds: due))
        record.status = RunStatus(rawValue: row["status"] as String? ?? "") ?? .abandoned
        record.nominalDueAt = (row["nominal_ms"] as Int64?).map { Instant(milliseconds: $0) } ?? record.dueAt
        record.dueInstants = row["instants"] as Int? ?? 1
        record.startedAt = (row["started_ms"] as Int64?).map { Instant(milliseconds: $0) }
        record.finishedAt = (row["finished_ms"] as Int64?).map { Instant(milliseconds: $0) }
        record.reason = object["reason"] as? String
        if let by = object["triggered_by"] as? [String: Any], let task = by["task"] as? String, let run = by["run"] as? Int {
            record.trigger = RunTrigger(task: task, run: RunNumber(run), status: RunStatus(rawValue: by["status"] as? String ?? "") ?? .failed)
        }
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

    /// Ends the attempt that was under way (recorded `running`) as abandoned at `at`.
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
