import GRDB
import JobrunCore

/// What SQLite's errors mean for a store, in words an operator can act on.
enum StoreFailure {
    /// `error`, met while trying to `doing` (read, write) the store at `path`, as a ``JobrunError``.
    static func jobrunError(_ error: any Error, path: String, doing: String) -> JobrunError {
        if let error = error as? JobrunError { return error }
        guard let sqlite = error as? DatabaseError else {
            return JobrunError(.state, "cannot \(doing) state \"\(path)\": \(error)")
        }
        let said = sqlite.message ?? "\(sqlite.resultCode)"
        let what: String, hint: String?
        switch sqlite.resultCode {
        case .SQLITE_NOTADB:
            what = "is not an SQLite database (a jobrun store is one)"
            hint = "give jobrun a file of its own with --state or `state:`"
        case .SQLITE_CORRUPT:
            what = "is corrupt (SQLite: \(said))"
            hint = "restore it from a backup, or move it aside to start a new store"
        case .SQLITE_FULL:
            what = "cannot be written: the disk is full"
            hint = "free space on its file system"
        case .SQLITE_READONLY, .SQLITE_PERM, .SQLITE_CANTOPEN:
            what = "cannot be \(doing == "read" ? "opened" : "written") (SQLite: \(said))"
            hint = "SQLite writes its -wal and -shm files next to the store: its directory must be writable"
        case .SQLITE_IOERR:
            what = "cannot be \(doing == "read" ? "read" : "written"): an I/O error (SQLite: \(said))"
            hint = "check the disk; a full disk shows as this too"
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            what = "is locked by another program (SQLite: \(said))"
            hint = nil
        default:
            what = "failed: \(said)"
            hint = nil
        }
        return JobrunError(.state, "state \"\(path)\" \(what)", hint: hint)
    }
}
