import CJobrunExec
import Foundation
import JobrunCore

/// A job started through a ``ProcessHost``.
struct JobProcess: Sendable, Hashable {
    let id: UInt64
}

/// Starts every job's process through `jobrun-exec` (Sources/CJobrunExec/jobrun_exec.c), reads
/// its output and learns how it ended.
///
/// One `jobrun-exec` server runs at a time, started by ``prepare()`` or by the first job that
/// needs it (and again after one ends unexpectedly); it forks small keepers, so jobrun never
/// forks itself. A keeper runs one job at a time: a job goes to a keeper that waits for one,
/// on the keeper's own channel, or, when none waits, to the server, which forks a keeper for
/// it. The keeper puts the job in a
/// process group of its own, kills what the job leaves behind when it ends, and ends the job
/// when jobrun dies, even by SIGKILL. Signals for a job go through the server, which sends
/// them only while the job runs, so no signal reaches a process that merely reuses a finished
/// job's id. The server is the `jobrun-exec` program installed next to jobrun (a small static
/// program that forks fast), or, without it, jobrun itself run under that name.
///
/// One thread of its own (epoll) reads every job's stdout and stderr and the server's
/// replies, and wakes an attempt once: when its job has ended and its output is all read.
public final class ProcessHost: Sendable {
    /// The longest request jobrun-exec takes.
    static let maxPayload = Int(JOBRUN_EXEC_MAX_PAYLOAD)
    /// The `jobrun-exec` program, or nil to run jobrun itself as the server.
    public let program: String?
    /// Where problems with the server are reported (a mismatched `jobrun-exec`).
    let warn: @Sendable (String) -> Void
    /// Every job's stdin when it is given none.
    let devNull: Int32
    let epoll: Int32
    /// A pipe that wakes the thread to stop.
    let wake: (read: Int32, write: Int32)

    struct Job {
        let output: @Sendable (StreamKind, UnsafeRawBufferPointer) -> Void
        /// What the job is known by to ``signal(label:_:)``: in a cluster, its run's id.
        var label: String?
        var openPipes = 2
        var end: ProcessEnd?
        var waiter: CheckedContinuation<ProcessEnd, Never>?
        /// The number of the keeper that runs it, once known.
        var keeper: Int32?
    }

    /// A keeper of the server's with a channel: jobs are handed to it there, not through the
    /// server, once it has ended the last one.
    struct Keeper {
        /// jobrun's end of the keeper's channel (a sequenced-packet socket), or -1.
        let channel: Int32
        /// The job it runs, or nil while it waits for one.
        var job: UInt64?
    }

    struct Server {
        let socket: Int32
        let pid: pid_t
    }

    struct State {
        var server: Server?
        var nextID: UInt64 = 1
        var jobs: [UInt64: Job] = [:]
        /// The read end of every job's pipes.
        var pipes: [Int32: (job: UInt64, kind: StreamKind)] = [:]
        /// Servers' sockets, the current one and any that is still being read to its end.
        var sockets: [Int32: Server] = [:]
        /// The current server's keepers, by number, and those waiting for a job.
        var keepers: [Int32: Keeper] = [:]
        var waiting: [Int32] = []
        /// The installed program did not answer as this jobrun expects.
        var installedFailed = false
        var stopping = false
    }

    let state = Locked(State())
    /// Serializes requests on the socket (never held while waiting for a reply).
    let sending = NSLock()
    /// Held while a request goes on a keeper's channel (never waits) and while a channel is
    /// closed: the host's thread, which closes channels, never waits for `sending`, which may be
    /// held while a long request goes to the server.
    let handing = NSLock()

    /// Creates a host; its server starts with ``prepare()`` or the first job.
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
    /// With a `deadline`, jobrun-exec kills the job then (it ends ``ProcessEnd/expired``)
    /// unless ``extendLeases(to:)`` moves it first, even while jobrun itself is stopped.
    func start(_ launch: Launch, after delay: Duration = .zero, stdin: Int32?, label: String? = nil,
               deadline: ContinuousClock.Instant? = nil,
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
            state.jobs[state.nextID] = Job(output: output, label: label)
            state.pipes[stdout[0]] = (state.nextID, .stdout)
            state.pipes[stderr[0]] = (state.nextID, .stderr)
            return state.nextID
        }
        // Blocking: the host's thread reads a pipe only when epoll finds it readable, and is
        // its only reader.
        _ = jobrun_epoll_add(epoll, stdout[0])
        _ = jobrun_epoll_add(epoll, stderr[0])
        var header = jobrun_exec_request(kind: UInt32(JOBRUN_EXEC_START), a: UInt32(launch.argumentCount),
                                         b: UInt32(launch.environmentCount), length: UInt32(launch.payload.count),
                                         id: id, start: 0, deadline: 0)
        if delay > .zero { header.start = Self.bootTime(in: delay) }
        if let deadline { header.deadline = Self.bootTime(in: deadline - .now) }
        let fds = [stdin ?? devNull, stdout[1], stderr[1]]
        if !handToWaitingKeeper(header, launch.payload, fds: fds, server: server),
           let error = send(header, launch.payload, fds: fds, on: server.socket) {
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

    /// Sends `signal` to the job's process group, if the job still runs; returns whether it
    /// was sent (never once the job has ended, so no process that merely reuses its id is hit).
    @discardableResult
    func signal(_ job: JobProcess, _ signal: Int32) -> Bool {
        sending.lock()
        defer { sending.unlock() }
        let found = state.withLock { state -> (Server, Int32?)? in
            guard let entry = state.jobs[job.id], entry.end == nil, let server = state.server else { return nil }
            return (server, entry.keeper)
        }
        guard let (server, keeper) = found else { return false }
        let request = jobrun_exec_request(kind: UInt32(JOBRUN_EXEC_SIGNAL), a: UInt32(signal), b: keeper.map { UInt32($0 + 1) } ?? 0,
                                          length: 0, id: job.id, start: 0, deadline: 0)
        return send(request, [], fds: [], on: server.socket) == nil
    }

    /// Moves the deadline of every running job that has one to `deadline`, where that is
    /// later: a renewal proved every lease the replica holds until then.
    public func extendLeases(to deadline: ContinuousClock.Instant) {
        sending.lock()
        defer { sending.unlock() }
        guard let server = state.withLock({ $0.server }) else { return }
        let request = jobrun_exec_request(kind: UInt32(JOBRUN_EXEC_LEASE), a: 0, b: 0, length: 0, id: 0, start: 0,
                                          deadline: Self.bootTime(in: deadline - .now))
        _ = send(request, [], fds: [], on: server.socket)
    }

    /// The CLOCK_BOOTTIME instant (ns) `duration` from now (now, when it is negative).
    static func bootTime(in duration: Duration) -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_BOOTTIME, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec) + UInt64(Swift.max(0, duration.nanoseconds))
    }

    /// Sends `signal` to the process group of every running job started with `label`.
    public func signal(label: String, _ signal: Int32) {
        let running = state.withLock { state in
            state.jobs.compactMap { $0.value.end == nil && $0.value.label == label ? JobProcess(id: $0.key) : nil }
        }
        for job in running { self.signal(job, signal) }
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
}
