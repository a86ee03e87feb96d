import CJobrunExec
import Foundation
import JobrunCore

/// How a job's process ended.
enum ProcessEnd: Sendable, Equatable {
    /// It exited with a status.
    case exited(Int32)
    /// A signal killed it.
    case signaled(Int32)
    /// It never ran, or its end is unknown; the message says why.
    case lost(String)

    init(waitStatus status: Int32) {
        // WIFEXITED / WEXITSTATUS / WTERMSIG, which Glibc's module leaves out.
        let signal = status & 0x7f
        self = signal == 0 ? .exited((status >> 8) & 0xff) : .signaled(signal)
    }

    /// "exited with status 3", "was killed by signal 9 (SIGKILL)", or the message.
    var summary: String {
        switch self {
        case .exited(let code): "exited with status \(code)"
        case .signaled(let signal): "was killed by signal \(signal) (\(signalName(signal)))"
        case .lost(let message): message
        }
    }
}

/// What a job is started with, encoded once for `jobrun-exec`: the program (a path), the
/// working directory, the arguments (from argv[0]) and the environment ("NAME=value").
struct Launch: Sendable {
    private(set) var payload: [UInt8] = []
    let argumentCount: Int
    private(set) var environmentCount = 0

    init(program: String, arguments: [String], environment: [String], workingDirectory: String?) {
        argumentCount = arguments.count
        payload.reserveCapacity(environment.reduce(256) { $0 + $1.utf8.count + 1 })
        for string in [program, workingDirectory ?? ""] + arguments { append(string) }
        adding(environment)
    }

    /// Adds environment entries.
    mutating func adding(_ environment: [String]) {
        for entry in environment { append(entry) }
        environmentCount += environment.count
    }

    private mutating func append(_ string: String) {
        let from = payload.count
        payload.append(contentsOf: string.utf8)
        // A NUL would end the string early; YAML can carry one ("\0").
        for i in from..<payload.count where payload[i] == 0 { payload[i] = 0x20 }
        payload.append(0)
    }
}

/// A job started through a ``ProcessHost``.
struct JobProcess: Sendable, Hashable {
    let id: UInt64
}

/// Starts every job's process through `jobrun-exec` (Sources/CJobrunExec/jobrun_exec.c), reads
/// its output and learns how it ended.
///
/// One `jobrun-exec` server runs for the whole run, started when the first job needs it; it
/// forks a small keeper per job, so jobrun never forks itself. The keeper puts the job in a
/// process group of its own, kills what the job leaves behind when it ends, and ends the job
/// when jobrun dies, even by SIGKILL. Signals for a job go through the server, which sends
/// them only while the job runs, so no signal reaches a process that merely reuses a finished
/// job's id. The server is the `jobrun-exec` program installed next to jobrun (a small static
/// program that forks fast), or, without it, jobrun itself run under that name.
///
/// One thread of its own (epoll) reads every job's stdout and stderr and the server's
/// replies, and wakes an attempt once: when its job has ended and its output is all read.
public final class ProcessHost: Sendable {
    /// The longest request jobrun-exec takes (MAX_PAYLOAD in jobrun_exec.c).
    static let maxPayload = 256 << 20
    /// The `jobrun-exec` program, or nil to run jobrun itself as the server.
    public let program: String?
    /// Where problems with the server are reported (a mismatched `jobrun-exec`).
    private let warn: @Sendable (String) -> Void
    /// Every job's stdin when it is given none.
    let devNull: Int32
    private let epoll: Int32
    /// A pipe that wakes the thread to stop.
    private let wake: (read: Int32, write: Int32)

    private struct Job {
        let output: @Sendable (StreamKind, UnsafeRawBufferPointer) -> Void
        var openPipes = 2
        var end: ProcessEnd?
        var waiter: CheckedContinuation<ProcessEnd, Never>?
    }

    private struct Server {
        let socket: Int32
        let pid: pid_t
    }

    private struct State {
        var server: Server?
        var nextID: UInt64 = 1
        var jobs: [UInt64: Job] = [:]
        /// The read end of every job's pipes.
        var pipes: [Int32: (job: UInt64, kind: StreamKind)] = [:]
        /// Servers' sockets, the current one and any that is still being read to its end.
        var sockets: [Int32: Server] = [:]
        /// The installed program did not answer as this jobrun expects.
        var installedFailed = false
        var stopping = false
    }

    private let state = Locked(State())
    /// Serializes requests on the socket (never held while waiting for a reply).
    private let sending = NSLock()

    /// Creates a host; its server starts with the first job.
    public init(program: String? = ProcessHost.installedServer(), warn: @escaping @Sendable (String) -> Void = { _ in }) {
        self.program = program
        self.warn = warn
        devNull = open("/dev/null", O_RDONLY | O_CLOEXEC)
        epoll = jobrun_epoll_create()
        var pipe: [Int32] = [-1, -1]
        _ = jobrun_exec_pipe(&pipe)
        wake = (pipe[0], pipe[1])
        _ = jobrun_epoll_add(epoll, wake.read)
        let thread = Thread { [self] in watch() }
        thread.name = "jobrun jobs"
        thread.start()
    }

    /// Ends the host's thread and closes the server's socket, which ends the server. Jobs
    /// still running are ended by their keepers.
    public func stop() {
        state.withLock { $0.stopping = true }
        var one: UInt8 = 1
        _ = Foundation.write(wake.write, &one, 1)
    }

    /// Starts the server now, if it is not running, so that the first job does not wait for
    /// it. A failure is left for the first job to report.
    public func prepare() {
        sending.lock()
        defer { sending.unlock() }
        _ = try? running()
    }

    /// `jobrun-exec` next to the running program, when it is there and executable.
    public static func installedServer() -> String? {
        guard let program = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else { return nil }
        let candidate = (program as NSString).deletingLastPathComponent + "/jobrun-exec"
        return access(candidate, X_OK) == 0 ? candidate : nil
    }

    /// Starts `launch` with `stdin` (the caller keeps its descriptor) or /dev/null, `after`
    /// from now (it waits, set up, and starts on the instant; ``signal(_:_:)`` before then
    /// cancels it). Its stdout and stderr go to `output`, chunk by chunk, on the host's thread.
    func start(_ launch: Launch, after delay: Duration = .zero, stdin: Int32?,
               output: @escaping @Sendable (StreamKind, UnsafeRawBufferPointer) -> Void) throws(JobrunError) -> JobProcess {
        // The counts below go out as 32-bit fields, and jobrun-exec refuses a request longer
        // than MAX_PAYLOAD (jobrun_exec.c); every count is at most the payload's length.
        guard launch.payload.count <= Self.maxPayload else {
            throw JobrunError(.start, "the command, its arguments and environment take \(launch.payload.count) bytes, "
                              + "more than the \(Self.maxPayload >> 20) MiB a job can be handed")
        }
        var stdout: [Int32] = [-1, -1], stderr: [Int32] = [-1, -1]
        guard jobrun_exec_pipe(&stdout) == 0 else { throw JobrunError(.start, "cannot make a pipe", errno: errno) }
        guard jobrun_exec_pipe(&stderr) == 0 else {
            let e = errno
            [stdout[0], stdout[1]].forEach { close($0) }
            throw JobrunError(.start, "cannot make a pipe", errno: e)
        }
        defer {
            close(stdout[1])
            close(stderr[1])
        }
        sending.lock()
        defer { sending.unlock() }
        let server: Server
        do { server = try running() } catch {
            [stdout[0], stderr[0]].forEach { close($0) }
            throw error
        }
        let id = state.withLock { state -> UInt64 in
            defer { state.nextID += 1 }
            state.jobs[state.nextID] = Job(output: output)
            state.pipes[stdout[0]] = (state.nextID, .stdout)
            state.pipes[stderr[0]] = (state.nextID, .stderr)
            return state.nextID
        }
        for fd in [stdout[0], stderr[0]] {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = jobrun_epoll_add(epoll, fd)
        }
        var header = Request(kind: UInt32(JOBRUN_EXEC_START), a: UInt32(launch.argumentCount),
                             b: UInt32(launch.environmentCount), length: UInt32(launch.payload.count), id: id)
        if delay > .zero {
            var now = timespec()
            clock_gettime(CLOCK_BOOTTIME, &now)
            header.start = UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec) + UInt64(delay.nanoseconds)
        }
        if let error = send(header, launch.payload, fds: [stdin ?? devNull, stdout[1], stderr[1]], on: server.socket) {
            // The pipes' write ends close below, so the job completes as lost once they are read.
            finish(id, .lost("cannot hand the job to jobrun-exec: \(String(cString: strerror(error)))"))
        }
        return JobProcess(id: id)
    }

    /// Waits until the job has ended and all its output is read, and tells how it ended.
    func wait(_ job: JobProcess) async -> ProcessEnd {
        await withCheckedContinuation { (continuation: CheckedContinuation<ProcessEnd, Never>) in
            let done = state.withLock { state -> ProcessEnd? in
                guard let entry = state.jobs[job.id] else { return .lost("unknown job") }
                if let end = entry.end, entry.openPipes == 0 {
                    state.jobs[job.id] = nil
                    return end
                }
                state.jobs[job.id]?.waiter = continuation
                return nil
            }
            if let done { continuation.resume(returning: done) }
        }
    }

    /// Sends `signal` to the job's process group, if the job still runs.
    func signal(_ job: JobProcess, _ signal: Int32) {
        sending.lock()
        defer { sending.unlock() }
        let server = state.withLock { state -> Server? in
            guard let entry = state.jobs[job.id], entry.end == nil else { return nil }
            return state.server
        }
        guard let server else { return }
        _ = send(Request(kind: UInt32(JOBRUN_EXEC_SIGNAL), a: UInt32(signal), b: 0, length: 0, id: job.id), [],
                 fds: [], on: server.socket)
    }

    /// Sends `signal` to every running job's process group.
    public func signalAll(_ signal: Int32) {
        let running = state.withLock { state in state.jobs.compactMap { $0.value.end == nil ? JobProcess(id: $0.key) : nil } }
        for job in running { self.signal(job, signal) }
    }

    /// The running server's process id, if one runs.
    var serverProcess: pid_t? { state.withLock { $0.server?.pid } }

    /// How many jobs are running.
    public var count: Int {
        state.withLock { $0.jobs.values.count { $0.end == nil } }
    }

    // MARK: - The thread

    private func watch() {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 << 10, alignment: 16)
        var ready = [Int32](repeating: 0, count: 64)
        var partial: [Int32: [UInt8]] = [:]  // part of a reply, by socket
        defer {
            buffer.deallocate()
            let sockets = state.withLock { state in
                state.server = nil
                return Array(state.sockets.keys)
            }
            sockets.forEach { close($0) }
            [epoll, wake.read, wake.write, devNull].forEach { close($0) }
        }
        while true {
            let count = ready.withUnsafeMutableBufferPointer { jobrun_epoll_wait(epoll, $0.baseAddress, Int32($0.count)) }
            if count < 0 {
                if errno == EINTR { continue }
                return
            }
            for fd in ready.prefix(Int(count)) {
                if fd == wake.read {
                    if state.withLock({ $0.stopping }) { return }
                    continue
                }
                let (pipe, server) = state.withLock { ($0.pipes[fd], $0.sockets[fd]) }
                if let pipe {
                    // One read per wake-up: epoll is level-triggered, so the rest comes next
                    // round, and every pipe gets its turn.
                    let n = Foundation.read(fd, buffer.baseAddress, buffer.count)
                    if n > 0 {
                        let output = state.withLock { $0.jobs[pipe.job]?.output }
                        output?(pipe.kind, UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
                    } else if n == 0 || (errno != EAGAIN && errno != EINTR) {
                        jobrun_epoll_remove(epoll, fd)
                        pipeEnded(fd, pipe.job)
                    }
                } else if let server {
                    let n = recv(fd, buffer.baseAddress, buffer.count, Int32(MSG_DONTWAIT))
                    if n > 0 {
                        var bytes = partial[fd, default: []]
                        bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
                        let whole = bytes.count / MemoryLayout<Reply>.size * MemoryLayout<Reply>.size
                        for offset in stride(from: 0, to: whole, by: MemoryLayout<Reply>.size) {
                            let reply = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: Reply.self) }
                            received(reply)
                        }
                        partial[fd] = Array(bytes[whole...])
                    } else if n == 0 || (errno != EAGAIN && errno != EINTR) {
                        jobrun_epoll_remove(epoll, fd)
                        partial[fd] = nil
                        serverEnded(server)
                    }
                } else {
                    jobrun_epoll_remove(epoll, fd)  // not ours (any more)
                }
            }
        }
    }

    private func received(_ reply: Reply) {
        switch reply.kind {
        case JOBRUN_EXEC_ENDED:
            finish(reply.id, ProcessEnd(waitStatus: reply.value))
        case JOBRUN_EXEC_NOT_STARTED where reply.value == ECANCELED:
            finish(reply.id, .lost("the job was cancelled before its time came"))
        case JOBRUN_EXEC_NOT_STARTED:
            finish(reply.id, .lost("jobrun-exec could not start the job: \(String(cString: strerror(reply.value)))"))
        case JOBRUN_EXEC_LOST:
            let how = ProcessEnd(waitStatus: reply.value).summary
            finish(reply.id, .lost("the process that watched the job ended before it could tell how (it \(how))"))
        default:
            break
        }
    }

    /// The server is gone (it ended on its own, or was killed): its keepers have ended their
    /// jobs. The next job starts a new server.
    private func serverEnded(_ server: Server) {
        var status: Int32 = 0
        while waitpid(server.pid, &status, 0) < 0 && errno == EINTR {}
        sending.lock()
        let orphans = state.withLock { state -> [UInt64] in
            if state.server?.socket == server.socket { state.server = nil }
            state.sockets[server.socket] = nil
            return state.jobs.compactMap { $0.value.end == nil ? $0.key : nil }
        }
        close(server.socket)
        sending.unlock()
        let how = ProcessEnd(waitStatus: status).summary
        for id in orphans {
            finish(id, .lost("jobrun-exec, which started the job, ended unexpectedly (it \(how)); the job was killed with it"))
        }
    }

    /// A pipe has reached its end: it is closed only once it is off the books, so its number,
    /// free again, cannot be mistaken for it.
    private func pipeEnded(_ fd: Int32, _ id: UInt64) {
        let resume = state.withLock { state -> (CheckedContinuation<ProcessEnd, Never>, ProcessEnd)? in
            state.pipes[fd] = nil
            state.jobs[id]?.openPipes -= 1
            return complete(id, in: &state)
        }
        close(fd)
        if let (waiter, end) = resume { waiter.resume(returning: end) }
    }

    private func finish(_ id: UInt64, _ end: ProcessEnd) {
        let resume = state.withLock { state -> (CheckedContinuation<ProcessEnd, Never>, ProcessEnd)? in
            guard state.jobs[id] != nil, state.jobs[id]?.end == nil else { return nil }
            state.jobs[id]?.end = end
            return complete(id, in: &state)
        }
        if let (waiter, end) = resume { waiter.resume(returning: end) }
    }

    /// The waiter to wake, when the job has ended, its output is read and it is waited for.
    private func complete(_ id: UInt64, in state: inout State) -> (CheckedContinuation<ProcessEnd, Never>, ProcessEnd)? {
        guard let job = state.jobs[id], let end = job.end, job.openPipes == 0, let waiter = job.waiter else { return nil }
        state.jobs[id] = nil
        return (waiter, end)
    }

    // MARK: - The server

    private struct Request {
        var kind: UInt32
        var a: UInt32
        var b: UInt32
        var length: UInt32
        var id: UInt64
        var start: UInt64 = 0
    }

    private struct Reply {
        var id: UInt64 = 0
        var kind: Int32 = -1
        var value: Int32 = 0
    }

    /// The running server, started when there is none. Called with `sending` held.
    private func running() throws(JobrunError) -> Server {
        if let server = state.withLock({ $0.server }) { return server }
        let useInstalled = program != nil && !state.withLock { $0.installedFailed }
        let server: Server
        do {
            server = try launch(useInstalled ? program! : "/proc/self/exe")
        } catch where useInstalled {
            state.withLock { $0.installedFailed = true }
            warn("jobrun: warning: \(program!) \(error); jobrun starts jobs itself instead, which is slower. "
                + "Install jobrun and jobrun-exec from the same build.")
            server = try launch("/proc/self/exe")
        }
        state.withLock {
            $0.server = server
            $0.sockets[server.socket] = server
        }
        _ = jobrun_epoll_add(epoll, server.socket)
        return server
    }

    /// Starts a server from `path` and checks its greeting.
    private func launch(_ path: String) throws(JobrunError) -> Server {
        var pair: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else {
            throw JobrunError(.start, "cannot make a socket", errno: errno)
        }
        var theirs = pair[1]
        if theirs < 4 {
            // Out of the way of the server's 0-2 (jobrun may have started with one of them
            // closed) and of 3 (dup2 onto itself would keep close-on-exec set).
            theirs = fcntl(pair[1], F_DUPFD_CLOEXEC, 4)
            close(pair[1])
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, theirs, 3)
        var pid: pid_t = 0
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup("jobrun-exec"), strdup("--serve"), nil]
        defer { argv.forEach { free($0) } }
        let error = posix_spawn(&pid, path, &actions, nil, argv, environ)
        close(theirs)
        guard error == 0 else {
            close(pair[0])
            throw JobrunError(.start, "cannot be started", errno: error)
        }
        // The greeting, within 10 s.
        var hello = Reply()
        var ready = pollfd(fd: pair[0], events: Int16(POLLIN), revents: 0)
        var polled: Int32
        repeat { polled = poll(&ready, 1, 10_000) } while polled < 0 && errno == EINTR
        let greeted = polled == 1 && withUnsafeMutableBytes(of: &hello) { buffer in
            var done = 0
            while done < buffer.count {
                let n = Foundation.read(pair[0], buffer.baseAddress! + done, buffer.count - done)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { return false }
                done += n
            }
            return true
        }
        if !greeted || hello.kind != JOBRUN_EXEC_HELLO || hello.value != JOBRUN_EXEC_PROTOCOL {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            close(pair[0])
            throw JobrunError(.start, "does not speak the protocol of this jobrun (version \(JOBRUN_EXEC_PROTOCOL))")
        }
        return Server(socket: pair[0], pid: pid)
    }

    /// Sends a request whole; the descriptors go with its first byte. Returns an errno.
    private func send(_ header: Request, _ payload: [UInt8], fds: [Int32], on socket: Int32) -> Int32? {
        var header = header
        return withUnsafeBytes(of: &header) { head -> Int32? in
            var sent = 0
            if !fds.isEmpty {
                let space = MemoryLayout<cmsghdr>.stride + ((fds.count * 4 + 7) & ~7)
                var control = [UInt8](repeating: 0, count: space)
                let n = control.withUnsafeMutableBytes { control -> Int in
                    let c = control.baseAddress!.assumingMemoryBound(to: cmsghdr.self)
                    c.pointee.cmsg_level = SOL_SOCKET
                    c.pointee.cmsg_type = Int32(SCM_RIGHTS)
                    c.pointee.cmsg_len = MemoryLayout<cmsghdr>.stride + fds.count * 4
                    let data = control.baseAddress! + MemoryLayout<cmsghdr>.stride
                    for (i, fd) in fds.enumerated() { data.storeBytes(of: fd, toByteOffset: i * 4, as: Int32.self) }
                    var iov = iovec(iov_base: UnsafeMutableRawPointer(mutating: head.baseAddress!), iov_len: head.count)
                    return withUnsafeMutablePointer(to: &iov) { iov in
                        var message = msghdr()
                        message.msg_iov = iov
                        message.msg_iovlen = 1
                        message.msg_control = control.baseAddress
                        message.msg_controllen = space
                        var n: Int
                        repeat { n = sendmsg(socket, &message, Int32(MSG_NOSIGNAL)) } while n < 0 && errno == EINTR
                        return n
                    }
                }
                guard n > 0 else { return errno }
                sent = n
            }
            if let error = writeAll(socket, UnsafeRawBufferPointer(rebasing: head[sent...])) { return error }
            return payload.withUnsafeBytes { writeAll(socket, $0) }
        }
    }

    private func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32? {
        var done = 0
        while done < bytes.count {
            let n = Foundation.send(fd, bytes.baseAddress! + done, bytes.count - done, Int32(MSG_NOSIGNAL))
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return errno }
            done += n
        }
        return nil
    }
}
