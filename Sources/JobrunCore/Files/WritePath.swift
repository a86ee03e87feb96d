import Foundation

/// The one way jobrun writes a file (report, JUnit, `output:`, `--log-dir` logs, the step
/// summary, stdout), by the rules in the README ("Files jobrun writes"):
///
/// - only a regular file is ever replaced, and then atomically (a temporary file beside it,
///   fsync, rename, fsync of the directory), keeping its mode, and its owner and group when
///   jobrun runs as root; a new file gets 0644 less the umask;
/// - a character device, FIFO or socket is written into as it is; `/dev/stdout`,
///   `/dev/stderr`, `/dev/fd/N` and `/proc/self/fd/N` are jobrun's own descriptors;
/// - a symbolic link stays, and what it points to is written;
/// - a directory or a block device is an error;
/// - a missing parent directory is created;
/// - every failure is a ``JobrunError`` with its errno, never a trap.
public enum WritePath {
    /// What a path is, once links are followed.
    enum Target: Equatable {
        /// One of jobrun's own descriptors.
        case descriptor(Int32)
        /// A device, FIFO or socket: written as it is, at `path`.
        case inPlace(path: String, socket: Bool)
        /// A regular file, or none yet, at `path` (links followed): replaced or created.
        case file(path: String, existing: Existing?)
    }

    /// The mode and owner of a regular file that is replaced.
    struct Existing: Equatable {
        var mode: mode_t
        var uid: uid_t
        var gid: gid_t
    }

    /// Follows `path` to what a write would reach; creates missing parent directories of a
    /// file that does not exist yet.
    static func resolve(_ path: String) throws(JobrunError) -> Target {
        if let fd = descriptor(path) { return .descriptor(fd) }
        var st = stat()
        if lstat(path, &st) != 0 {
            let e = errno
            guard e == ENOENT else { throw JobrunError(.write, "cannot reach \"\(path)\"", errno: e) }
            try makeParent(of: path)
            return .file(path: path, existing: nil)
        }
        var target = path
        if st.st_mode & S_IFMT == S_IFLNK {
            if stat(path, &st) != 0 {
                let e = errno
                guard e == ENOENT else { throw JobrunError(.write, "cannot follow the link \"\(path)\"", errno: e) }
                // A dangling link: the file it names is created.
                target = try danglingTarget(path)
                try makeParent(of: target)
                return .file(path: target, existing: nil)
            }
            guard let real = realpath(path, nil) else {
                throw JobrunError(.write, "cannot follow the link \"\(path)\"", errno: errno)
            }
            target = String(cString: real)
            free(real)
        }
        switch st.st_mode & S_IFMT {
        case S_IFREG:
            return .file(path: target, existing: Existing(mode: st.st_mode & 0o7777, uid: st.st_uid, gid: st.st_gid))
        case S_IFDIR:
            throw JobrunError(.notAFile, "\"\(path)\" is a directory", hint: "give a file's path")
        case S_IFBLK:
            throw JobrunError(.notAFile, "\"\(path)\" is a block device; jobrun does not write onto disks",
                              hint: "give a file's path")
        case S_IFSOCK:
            return .inPlace(path: path, socket: true)
        default:
            return .inPlace(path: path, socket: false)
        }
    }

    /// jobrun's own descriptor that `path` names (`-` is stdout), if it names one.
    public static func descriptor(_ path: String) -> Int32? {
        switch path {
        case "-", "/dev/stdout": return 1
        case "/dev/stderr": return 2
        default:
            for prefix in ["/dev/fd/", "/proc/self/fd/"] where path.hasPrefix(prefix) {
                if let n = Int32(path.dropFirst(prefix.count)), n >= 0 { return n }
            }
            return nil
        }
    }

    /// Where a chain of links ends when its last target does not exist.
    private static func danglingTarget(_ path: String) throws(JobrunError) -> String {
        var current = path
        for _ in 0..<40 {
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let n = readlink(current, &buffer, buffer.count - 1)
            if n < 0 {
                if errno == EINVAL || errno == ENOENT { return current }
                throw JobrunError(.write, "cannot follow the link \"\(current)\"", errno: errno)
            }
            let next = String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            current = next.hasPrefix("/") ? next : (directory(of: current) + "/" + next)
        }
        throw JobrunError(.write, "cannot follow the link \"\(path)\"", errno: ELOOP)
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// Creates the directory a new file goes into, and its parents, when missing.
    public static func makeParent(of path: String) throws(JobrunError) {
        try makeDirectory(directory(of: path))
    }

    /// Creates `dir` and its missing parents (0755 less the umask); an existing directory is fine.
    public static func makeDirectory(_ dir: String, mode: mode_t = 0o755) throws(JobrunError) {
        var st = stat()
        if stat(dir, &st) == 0 {
            guard st.st_mode & S_IFMT == S_IFDIR else {
                throw JobrunError(.notAFile, "\"\(dir)\" is not a directory")
            }
            return
        }
        guard errno == ENOENT else { throw JobrunError(.write, "cannot reach the directory \"\(dir)\"", errno: errno) }
        let parent = directory(of: dir)
        if parent != dir { try makeDirectory(parent) }
        if mkdir(dir, mode) != 0 && errno != EEXIST {
            throw JobrunError(.write, "cannot create the directory \"\(dir)\"", errno: errno)
        }
    }

    /// Checks, before anything starts, that `path` can be written (creating its missing
    /// parent directories): a directory there, or no way to write, is an error now rather
    /// than a lost report later.
    public static func check(_ path: String) throws(JobrunError) {
        switch try resolve(path) {
        case .descriptor(let fd):
            let flags = fcntl(fd, F_GETFL)
            guard flags >= 0 else { throw JobrunError(.write, "cannot write to \"\(path)\"", errno: errno) }
            guard flags & O_ACCMODE != O_RDONLY else { throw JobrunError(.write, "cannot write to \"\(path)\"", errno: EBADF) }
        case .inPlace(let target, _):
            guard access(target, W_OK) == 0 else { throw JobrunError(.write, "cannot write to \"\(path)\"", errno: errno) }
        case .file(let target, _):
            let dir = directory(of: target)
            let temporary = temporaryPath(for: target)
            let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw JobrunError(.write, "cannot write in \"\(dir)\"", errno: errno) }
            close(fd)
            unlink(temporary)
        }
    }

    /// Writes `bytes` as the whole of `path`.
    public static func replace(_ path: String, with bytes: [UInt8]) throws(JobrunError) {
        let staged = try stage(path)
        if let error = bytes.withUnsafeBytes({ staged.write($0) }) {
            staged.discard()
            throw error
        }
        try staged.commit()
    }

    /// Adds `bytes` at the end of `path` (created 0644 less the umask when missing).
    public static func append(_ bytes: [UInt8], to path: String) throws(JobrunError) {
        let fd: Int32
        var owned = true
        switch try resolve(path) {
        case .descriptor(let n):
            fd = n
            owned = false
        case .inPlace(let target, let socket):
            fd = try openInPlace(target, socket: socket, as: path)
        case .file(let target, _):
            fd = open(target, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw JobrunError(.write, "cannot open \"\(path)\"", errno: errno) }
        }
        defer { if owned { close(fd) } }
        if let e = FileDescriptorWrite.all(fd, bytes) { throw JobrunError(.write, "cannot write \"\(path)\"", errno: e) }
    }

    /// Starts writing `path`: into a temporary file that ``StagedFile/commit()`` renames over
    /// it, or, for a device, FIFO, socket or descriptor, into it directly. A FIFO with no
    /// reader yet is waited for when `waitForReader` (as a shell's `>` waits), and an error
    /// otherwise (an attempt must not hold a thread waiting for a reader that may never come).
    public static func stage(_ path: String, waitForReader: Bool = true) throws(JobrunError) -> StagedFile {
        switch try resolve(path) {
        case .descriptor(let fd):
            return StagedFile(fd: fd, owned: false, path: path == "-" ? "stdout" : path, temporary: nil, target: path)
        case .inPlace(let target, let socket):
            return StagedFile(fd: try openInPlace(target, socket: socket, as: path, wait: waitForReader), owned: true,
                              path: path, temporary: nil, target: target)
        case .file(let target, let existing):
            let temporary = temporaryPath(for: target)
            let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, existing == nil ? 0o644 : 0o600)
            guard fd >= 0 else { throw JobrunError(.write, "cannot write in \"\(directory(of: target))\"", errno: errno) }
            if let existing {
                // Owner first: a change of owner clears the set-id bits that the mode then restores.
                if geteuid() == 0 { _ = fchown(fd, existing.uid, existing.gid) }
                _ = fchmod(fd, existing.mode)
            }
            return StagedFile(fd: fd, owned: true, path: path, temporary: temporary, target: target)
        }
    }

    /// Creates `name` in the open directory `directory`: a new file only its owner can read
    /// (0600) that cannot be a planted link or an existing file (`O_CREAT|O_EXCL|O_NOFOLLOW`,
    /// relative to the directory, so a swapped path to it cannot redirect it either). `shownAs`
    /// names the directory in messages.
    public static func createPrivate(_ name: String, in directory: Int32, shownAs: String) throws(JobrunError) -> Int32 {
        let fd = openat(directory, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw JobrunError(.write, "cannot create \"\(shownAs)/\(name)\"", errno: errno) }
        return fd
    }

    private static func openInPlace(_ target: String, socket: Bool, as path: String, wait: Bool = true) throws(JobrunError) -> Int32 {
        if socket { return try connect(target, as: path) }
        // Without `wait`, a FIFO nobody reads is ENXIO at once rather than a wait.
        let flags = O_WRONLY | O_NOCTTY | O_CLOEXEC | (wait ? 0 : O_NONBLOCK)
        var fd: Int32
        repeat { fd = open(target, flags) } while fd < 0 && errno == EINTR
        guard fd >= 0 else {
            if errno == ENXIO {
                throw JobrunError(.write, "nothing reads the FIFO \"\(path)\"", hint: "start its reader before the task runs")
            }
            throw JobrunError(.write, "cannot open \"\(path)\"", errno: errno)
        }
        if !wait { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) }
        return fd
    }

    /// A stream connection to the Unix socket at `target`.
    private static func connect(_ target: String, as path: String) throws(JobrunError) -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw JobrunError(.write, "cannot connect to the socket \"\(path)\"", errno: errno) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(target.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            close(fd)
            throw JobrunError(.write, "cannot connect to the socket \"\(path)\"", errno: ENAMETOOLONG)
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else {
            let e = errno
            close(fd)
            throw JobrunError(.write, "cannot connect to the socket \"\(path)\"", errno: e)
        }
        return fd
    }

    /// A name beside `path` that no other file has.
    static func temporaryPath(for path: String) -> String {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        return directory(of: path) + "/." + name + ".jobrun-\(uniqueSuffix()).tmp"
    }

    /// `PID-RANDOM`: the writer's pid and 64 random bits in hex, which no other jobrun's
    /// file or directory name carries.
    public static func uniqueSuffix() -> String {
        "\(getpid())-\(String(UInt64.random(in: 0 ... .max), radix: 16))"
    }
}

/// A file being written by ``WritePath/stage(_:waitForReader:)``: a temporary file that ``commit()``
/// renames over the target and ``discard()`` removes, or a device, FIFO, socket or
/// descriptor written directly (for which commit only closes it).
public final class StagedFile: Sendable {
    /// The path as the user gave it, for messages.
    public let path: String
    /// Where the bytes end up once links are followed.
    public let target: String
    private let fd: Int32
    private let owned: Bool
    private let temporary: String?

    init(fd: Int32, owned: Bool, path: String, temporary: String?, target: String) {
        self.fd = fd
        self.owned = owned
        self.path = path
        self.temporary = temporary
        self.target = target
    }

    /// Whether the target is replaced on commit (a regular file), rather than written directly.
    public var replaces: Bool { temporary != nil }

    /// Writes bytes; returns the error when they could not all be written.
    public func write(_ bytes: UnsafeRawBufferPointer) -> JobrunError? {
        FileDescriptorWrite.all(fd, bytes).map { JobrunError(.write, "cannot write \"\(path)\"", errno: $0) }
    }

    /// Makes the written bytes the file's content.
    public func commit() throws(JobrunError) {
        guard let temporary else {
            if owned { close(fd) }
            return
        }
        if fsync(fd) != 0 {
            let e = errno
            discard()
            throw JobrunError(.write, "cannot write \"\(path)\"", errno: e)
        }
        close(fd)
        if rename(temporary, target) != 0 {
            let e = errno
            unlink(temporary)
            throw JobrunError(.write, "cannot replace \"\(path)\"", errno: e)
        }
        let dirfd = open(WritePath.directory(of: target), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dirfd >= 0 {
            fsync(dirfd)
            close(dirfd)
        }
    }

    /// Drops what was written (a regular file keeps its old content).
    public func discard() {
        if owned { close(fd) }
        if let temporary { unlink(temporary) }
    }
}
