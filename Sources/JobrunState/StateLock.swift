import Foundation
import JobrunCore

/// One jobrun per SQLite store: an exclusive flock(2) on the store file, held on a
/// descriptor of its own for as long as the jobrun runs and released by the kernel however
/// the jobrun ends (flock does not touch the POSIX locks SQLite takes on the same file).
final class StateLock: Sendable {
    let descriptor: Int32
    /// Whether opening the lock created the file.
    let created: Bool

    /// Opens (creating it, mode 0600, when it does not exist) and locks `path`; nil when
    /// another process holds it.
    static func take(_ path: String) throws(JobrunError) -> StateLock? {
        // Missing parent directories are made, as for every file jobrun writes.
        try WritePath.makeParent(of: path)
        var created = true
        var fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd < 0 && errno == EEXIST {
            created = false
            fd = open(path, O_RDWR | O_CLOEXEC)
        }
        guard fd >= 0 else {
            let e = errno
            throw JobrunError(.state, created ? "cannot create state \"\(path)\"" : "cannot open state \"\(path)\" for writing",
                              errno: e, hint: e == EISDIR ? "give a file path with --state or `state:`" : nil)
        }
        var st = stat()
        if fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) != S_IFREG {
            close(fd)
            throw JobrunError(.state, "state \"\(path)\" is not a regular file", hint: "give a file path with --state or `state:`")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let e = errno
            close(fd)
            if e == EWOULDBLOCK { return nil }
            throw JobrunError(.state, "cannot lock state \"\(path)\"", errno: e)
        }
        return StateLock(descriptor: fd, created: created)
    }

    /// Whether a jobrun holds `path` now (a holder row alone may be one a killed jobrun left).
    static func isHeld(_ path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK
    }

    private init(descriptor: Int32, created: Bool) {
        self.descriptor = descriptor
        self.created = created
    }

    /// Releases the lock (after the store's connection is closed).
    func release() { close(descriptor) }
}
