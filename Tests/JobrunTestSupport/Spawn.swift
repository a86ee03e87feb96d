import Foundation

/// Starts programs for the tests with `posix_spawn`, every descriptor above stderr closed in
/// the child.
///
/// Closing them matters because of how Foundation's `Process` sees its child end on Linux: a
/// socket the child inherits, whose end tells the parent. A program started from this process
/// while another test launches a `Process` could inherit that socket (or the write end of the
/// other test's pipes) and keep it as long as it lives; a server that lives to the end of the
/// test process (PostgreSQL, its watcher) would make the other test wait for ever.
public enum Spawn {
    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private typealias ChangeDirectory = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34) and `…_addchdir_np` (2.29),
    /// which Swift's Glibc module leaves out (they are GNU extensions).
    private static let closeFrom: CloseFrom? = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np").map { unsafeBitCast($0, to: CloseFrom.self) }
    private static let changeDirectory: ChangeDirectory? = dlsym(nil, "posix_spawn_file_actions_addchdir_np").map { unsafeBitCast($0, to: ChangeDirectory.self) }

    /// Starts `program` (a path) with `arguments`. Its stdin is /dev/null; its stdout and
    /// stderr are `output` and `errors` (descriptors of this process, left open here), or the
    /// file at `outputPath` for both, or /dev/null. `newSession` and `newGroup` give it a session
    /// or a process group of its own.
    public static func start(_ program: String, _ arguments: [String], environment: [String: String]? = nil,
                      directory: String? = nil, output: Int32? = nil, errors: Int32? = nil, outputPath: String? = nil,
                      newSession: Bool = false, newGroup: Bool = false) throws -> pid_t {
        guard let closeFrom, let changeDirectory else {
            throw SupportError("this C library has no posix_spawn_file_actions_addclosefrom_np (glibc 2.34 or later is needed)")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        if let outputPath {
            posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        } else {
            for (fd, target) in [(Int32(1), output), (2, errors)] {
                if let target {
                    posix_spawn_file_actions_adddup2(&actions, target, fd)
                } else {
                    posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", O_WRONLY, 0)
                }
            }
        }
        _ = closeFrom(&actions, 3)
        if let directory { _ = changeDirectory(&actions, directory) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // A session of its own: a terminal's Ctrl-C that ends the tests does not end it.
        if newSession {
            posix_spawnattr_setflags(&attributes, 0x80)  // POSIX_SPAWN_SETSID, also left out
        } else if newGroup {
            posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
            posix_spawnattr_setpgroup(&attributes, 0)
        }
        let argv: [UnsafeMutablePointer<CChar>?] = ([program] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let env: [UnsafeMutablePointer<CChar>?]? = environment.map { $0.map { strdup("\($0.key)=\($0.value)") } + [nil] }
        defer { env?.forEach { free($0) } }
        var pid: pid_t = 0
        let error = env.map { env in env.withUnsafeBufferPointer { posix_spawn(&pid, program, &actions, &attributes, argv, $0.baseAddress) } }
            ?? posix_spawn(&pid, program, &actions, &attributes, argv, environ)
        guard error == 0 else { throw SupportError("cannot start \(program): \(String(cString: strerror(error)))") }
        return pid
    }

    /// Waits for `pid` to end and returns its wait status.
    public static func wait(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return status
    }

    /// Runs `program` to its end, reading its stdout and stderr, for at most `limit`: a program
    /// still running then is killed (SIGKILL), and its stderr says so. Returns its exit status
    /// (the signal's number when a signal ended it, as `Process` has it) and what it printed.
    /// Like `Process`, it starts the program in a process group of its own.
    public static func run(_ program: String, _ arguments: [String], environment: [String: String], directory: String,
                    limit: Duration) throws -> (status: Int32, stdout: Data, stderr: Data) {
        var outPipe: [Int32] = [0, 0], errPipe: [Int32] = [0, 0]
        guard pipe(&outPipe) == 0 else { throw SupportError("pipe: \(String(cString: strerror(errno)))") }
        guard pipe(&errPipe) == 0 else {
            close(outPipe[0]); close(outPipe[1])
            throw SupportError("pipe: \(String(cString: strerror(errno)))")
        }
        let pid: pid_t
        do {
            pid = try start(program, arguments, environment: environment, directory: directory, output: outPipe[1], errors: errPipe[1],
                        newGroup: true)
        } catch {
            for fd in outPipe + errPipe { close(fd) }
            throw error
        }
        close(outPipe[1])
        close(errPipe[1])
        var collected = [Data(), Data()]
        var open = [outPipe[0], errPipe[0]]
        var deadline = ContinuousClock.now + limit
        var killed = false
        var buffer = [UInt8](repeating: 0, count: 65536)
        while open.contains(where: { $0 >= 0 }) {
            let left = deadline - ContinuousClock.now
            if left <= .zero {
                if killed { break }  // killed, and something else holds its output open: leave it
                kill(pid, SIGKILL)
                killed = true
                deadline = ContinuousClock.now + .seconds(5)
                continue
            }
            var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            let ready = poll(&fds, nfds_t(fds.count), Int32(min(left.milliseconds + 1, 1000)))
            if ready < 0 && errno != EINTR { break }
            for (i, fd) in fds.enumerated() where fd.fd >= 0 && fd.revents != 0 {
                let n = read(fd.fd, &buffer, buffer.count)
                if n > 0 {
                    collected[i].append(contentsOf: buffer[0..<n])
                } else if n == 0 || errno != EINTR {
                    close(fd.fd)
                    open[i] = -1
                }
            }
        }
        for fd in open where fd >= 0 { close(fd) }
        let status = wait(pid)
        if killed {
            collected[1].append(contentsOf: Array("\n[the test killed it: no end within \(limit)]\n".utf8))
        }
        // As Foundation's Process says it: the exit status, or the signal that ended it.
        let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : status & 0x7f
        return (code, collected[0], collected[1])
    }
}

extension Duration {
    /// Whole milliseconds, for a timeout of `poll`.
    fileprivate var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
