import Foundation
import JobrunCore

/// The status changes on their way into the database. ``add(_:entries:)`` appends them to the
/// pending log, which is what makes them durable against a killed jobrun, and returns; a
/// thread of its own then commits them to SQLite, everything that arrived within `delay` in
/// one transaction, and empties the log once the database holds all of it. A start waits for
/// one `write(2)`, not for a commit (README, "State").
final class PendingWrites: @unchecked Sendable {
    /// Everything below is behind `condition`.
    private let condition = NSCondition()
    private var rows: [PendingRow] = []
    private var logSize = 0
    private var failure: JobrunError?
    private var closing = false
    private var done = false

    private let log: PendingLog
    private let delay: TimeInterval
    /// Commits a batch (one transaction).
    private let commit: ([PendingRow]) throws(JobrunError) -> Void
    /// Runs after the log was emptied: the database holds every change, so nothing it deletes
    /// can come back from the log.
    private let emptied: () -> Void

    /// A log this long is emptied before more is appended: appends wait for one commit.
    static let longestLog = 4 << 20

    init(log: PendingLog, delay: Duration, commit: @escaping ([PendingRow]) throws(JobrunError) -> Void,
         emptied: @escaping () -> Void) {
        self.log = log
        self.delay = Double(delay.milliseconds) / 1000
        self.commit = commit
        self.emptied = emptied
        let thread = Thread { [self] in run() }
        thread.name = "jobrun state"
        thread.start()
    }

    /// Appends `entries` (the pending log's text of `new`) to the log and queues `new` for the
    /// database. Throws when the log cannot be written, or a commit failed before.
    func add(_ new: [PendingRow], entries: [UInt8], path: String) throws(JobrunError) {
        condition.lock()
        defer { condition.unlock() }
        if let failure { throw failure }
        if let error = log.append(entries, size: logSize) {
            let failure = error == ENOSPC
                ? JobrunError(.state, "state \"\(path)\" cannot be written: the disk is full", hint: "free space on its file system")
                : JobrunError(.state, "state \"\(path)\" cannot be written (its pending log: \(String(cString: strerror(error))))",
                              hint: "check the disk")
            self.failure = failure
            throw failure
        }
        logSize += entries.count
        if rows.isEmpty { condition.signal() }
        rows += new
    }

    /// Commits what is left and stops the thread. Returns why a change did not reach the
    /// database, if one did not (then the log stays for the next jobrun to apply; else it is
    /// removed).
    func close() -> JobrunError? {
        condition.lock()
        closing = true
        condition.broadcast()
        while !done { condition.wait() }
        let failure = self.failure
        condition.unlock()
        log.close(remove: failure == nil)
        return failure
    }

    private func run() {
        condition.lock()
        while true {
            while rows.isEmpty && !closing { condition.wait() }
            if rows.isEmpty { break }
            // What arrives meanwhile goes in the same transaction. (A sleep, not a timed wait:
            // that one counts on the wall clock, which may be set back.)
            if !closing {
                condition.unlock()
                usleep(useconds_t(delay * 1_000_000))
                condition.lock()
            }
            let batch = rows
            rows.removeAll(keepingCapacity: true)
            let holding = logSize > Self.longestLog
            var error: JobrunError?
            if failure == nil {
                if !holding { condition.unlock() }
                do { try commit(batch) } catch let e { error = e }
                if !holding { condition.lock() }
            }
            if let error, failure == nil { failure = error }
            if failure == nil && rows.isEmpty {
                if let error = log.truncate() {
                    failure = JobrunError(.state, "cannot empty \"\(log.path)\", the store's pending log: \(String(cString: strerror(error)))")
                    continue
                }
                logSize = 0
                condition.unlock()
                emptied()
                condition.lock()
            }
        }
        done = true
        condition.broadcast()
        condition.unlock()
    }
}
