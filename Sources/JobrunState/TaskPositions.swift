import GRDB
import JobrunCore

/// Where each task's schedule stands in a store: what pruning folded into `jobrun_tasks`,
/// combined with the runs still kept. A run and a start read it the same way.
enum TaskPositions {
    /// The latest nominal due instant of a group of runs, in SQL: a triggered run
    /// (`on_failure:`/`on_success:`, 0 instants) is not where a schedule stands. A group of
    /// triggered runs only has none: the lowest integer, which any other outruns.
    static let lastDue = "coalesce(max(CASE WHEN instants > 0 THEN nominal_ms END), -9223372036854775807 - 1)"

    /// Each task of `namespace` that has runs, by name.
    static func read(_ db: Database, namespace: String) throws -> [String: TaskHistory] {
        var positions: [String: TaskHistory] = [:]
        for sql in ["SELECT task, runs, instants, last_due_ms FROM jobrun_tasks WHERE namespace = ?",
                    "SELECT task, max(run) AS runs, sum(instants) AS instants, \(lastDue) AS last_due_ms "
                        + "FROM jobrun_runs WHERE namespace = ? GROUP BY task"] {
            for row in try Row.fetchAll(db, sql: sql, arguments: [namespace]) {
                var position = positions[row["task"], default: TaskHistory()]
                position.runs = Swift.max(position.runs, row["runs"])
                position.instants += row["instants"] as Int
                let ms: Int64 = row["last_due_ms"]
                if ms != Int64.min {
                    let lastDue = Instant(milliseconds: ms)
                    position.lastDue = position.lastDue.map { Swift.max($0, lastDue) } ?? lastDue
                }
                positions[row["task"]] = position
            }
        }
        return positions
    }
}
