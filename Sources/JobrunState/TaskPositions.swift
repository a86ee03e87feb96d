import GRDB
import JobrunCore

/// Where each task's schedule stands in a store: what pruning folded into `jobrun_tasks`,
/// combined with the runs still kept. A run and a start read it the same way.
enum TaskPositions {
    /// Each task of `namespace` that has runs, by name.
    static func read(_ db: Database, namespace: String) throws -> [String: TaskHistory] {
        var positions: [String: TaskHistory] = [:]
        for sql in ["SELECT task, runs, instants, last_due_ms FROM jobrun_tasks WHERE namespace = ?",
                    "SELECT task, max(run) AS runs, sum(instants) AS instants, max(nominal_ms) AS last_due_ms "
                        + "FROM jobrun_runs WHERE namespace = ? GROUP BY task"] {
            for row in try Row.fetchAll(db, sql: sql, arguments: [namespace]) {
                let lastDue = Instant(milliseconds: row["last_due_ms"])
                var position = positions[row["task"], default: TaskHistory()]
                position.runs = Swift.max(position.runs, row["runs"])
                position.instants += row["instants"] as Int
                position.lastDue = position.lastDue.map { Swift.max($0, lastDue) } ?? lastDue
                positions[row["task"]] = position
            }
        }
        return positions
    }
}
