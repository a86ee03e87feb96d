import JobrunCore
import SQLiteNIO

/// What SQLite's errors mean for a store, in words an operator can act on.
enum StoreFailure {
    /// `error`, met while trying to `doing` (open, read, write) the store at `path`, as a ``JobrunError``.
    static func jobrunError(_ error: any Error, path: String, doing: String) -> JobrunError {
        if let error = error as? JobrunError { return error }
        guard let sqlite = error as? SQLiteError else {
            return JobrunError(.state, "cannot \(doing) state \"\(path)\": \(error)")
        }
        let what: String, hint: String?
        switch sqlite.reason {
        case .notADatabase:
            what = "is not an SQLite database (a jobrun store is one)"
            hint = "give jobrun a file of its own with --state or `state:`"
        case .corrupt:
            what = "is corrupt (SQLite: \(sqlite.message))"
            hint = "restore it from a backup, or move it aside to start a new store"
        case .full:
            what = "cannot be written: the disk is full"
            hint = "free space on its file system"
        case .readOnly, .permission, .cantOpen:
            what = "cannot be \(doing == "read" ? "opened" : "written") (SQLite: \(sqlite.message))"
            hint = "SQLite writes its -wal and -shm files next to the store: its directory must be writable"
        case .ioError:
            what = "cannot be \(doing == "read" ? "read" : "written"): an I/O error (SQLite: \(sqlite.message))"
            hint = "check the disk; a full disk shows as this too"
        case .busy, .locked:
            what = "is locked by another program (SQLite: \(sqlite.message))"
            hint = nil
        default:
            what = "failed: \(sqlite.message)"
            hint = nil
        }
        return JobrunError(.state, "state \"\(path)\" \(what)", hint: hint)
    }
}
