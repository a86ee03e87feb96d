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
              var record = RunRecord(runObject: text) else { return nil }
        record.run = RunNumber(run)
        record.dueAt = Instant(milliseconds: due)
        record.status = RunStatus(rawValue: row["status"] as String? ?? "") ?? .abandoned
        record.nominalDueAt = (row["nominal_ms"] as Int64?).map { Instant(milliseconds: $0) } ?? record.dueAt
        record.dueInstants = row["instants"] as Int? ?? 1
        record.startedAt = (row["started_ms"] as Int64?).map { Instant(milliseconds: $0) }
        record.finishedAt = (row["finished_ms"] as Int64?).map { Instant(milliseconds: $0) }
        return record
    }

    /// Ends the attempt that was under way (recorded `running`) as abandoned at `at`.
    static func abandon(_ record: inout RunRecord, at: Instant) {
        if let last = record.attempts.indices.last, record.attempts[last].status == .abandoned {
            record.attempts[last].finishedAt = at
            record.attempts[last].error = RecordMessage.abandoned(found: at)
        }
    }

}
