import Foundation

/// Writes whole files so that a reader never sees half of one: a temporary file in the
/// same directory, fsync, rename, then fsync of the directory.
public enum AtomicFile {
    /// Why a file could not be written.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    private static func temporaryPath(for path: String) -> (directory: String, temporary: String) {
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        return (dir, dir + "/." + url.lastPathComponent + ".jobrun-\(getpid())-\(UInt32.random(in: 0 ... .max)).tmp")
    }

    /// Checks that `path` can be written, by creating and removing a file beside it.
    public static func checkWritable(_ path: String) throws(Failure) {
        let (dir, temporary) = temporaryPath(for: path)
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
            throw Failure(description: "\"\(path)\" is a directory")
        }
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw Failure(description: "cannot write in \"\(dir)\": \(String(cString: strerror(errno)))")
        }
        close(fd)
        unlink(temporary)
    }

    /// Replaces `path` with `text` atomically.
    public static func write(_ text: String, to path: String) throws(Failure) {
        let (dir, temporary) = temporaryPath(for: path)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw Failure(description: "cannot write in \"\(dir)\": \(String(cString: strerror(errno)))")
        }
        var failure = FileDescriptorWrite.all(fd, Array(text.utf8)) ?? 0
        if failure == 0 && fsync(fd) != 0 { failure = errno }
        close(fd)
        if failure == 0 && rename(temporary, path) != 0 { failure = errno }
        if failure != 0 {
            unlink(temporary)
            throw Failure(description: "cannot write \"\(path)\": \(String(cString: strerror(failure)))")
        }
        let dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dirfd >= 0 {
            fsync(dirfd)
            close(dirfd)
        }
    }
}
