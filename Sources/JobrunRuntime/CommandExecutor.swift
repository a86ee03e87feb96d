import Foundation
import JobrunCore
import Subprocess
import Synchronization
import SystemPackage

/// Runs `type: command` attempts with swift-subprocess: each attempt in its own session
/// (so its own process group), stdin from /dev/null, the layered environment, streamed
/// output, and a timeout that ends the whole group with SIGTERM, then SIGKILL after
/// `kill_grace`. A job that cannot start is a failed attempt with a message, not an error.
public struct CommandExecutor: Executor {
    /// jobrun's own environment, the base of every job's.
    public let environment: [String: String]
    /// Where job output lines go.
    public let output: any OutputSink
    /// Keeps every attempt's full output, when set.
    public let logs: AttemptLogs?
    /// Every running job's process group, for shutdown.
    public let groups: ProcessGroups
    /// The `jobrun-exec` program that starts each job and ties its life to jobrun's (the
    /// whole group is killed when jobrun dies, even by SIGKILL), or nil to start jobs
    /// directly.
    public let tether: String?
    private let executables = ExecutableCache()

    /// Creates an executor.
    public init(environment: [String: String], output: any OutputSink, logs: AttemptLogs?, groups: ProcessGroups,
                tether: String? = CommandExecutor.installedTether()) {
        self.environment = environment
        self.output = output
        self.logs = logs
        self.groups = groups
        self.tether = tether
    }

    /// `jobrun-exec` next to the running program, when it is there and executable.
    public static func installedTether() -> String? {
        guard let program = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else { return nil }
        let candidate = (program as NSString).deletingLastPathComponent + "/jobrun-exec"
        return access(candidate, X_OK) == 0 ? candidate : nil
    }

    public func run(_ request: AttemptRequest, now: @Sendable () -> Instant) async -> AttemptRecord {
        let argv: [String]
        switch request.task.command {
        case .argv(let a): argv = a
        case .shell(let script): argv = [request.task.shell, "-c", script]
        case nil: argv = []
        }
        return await run(request, argv: argv, input: .none, now: now)
    }

    /// Runs `argv` for an attempt, with `input` on stdin: the process part that commands
    /// and email (the sendmail program) share.
    func run<Input: InputProtocol>(_ request: AttemptRequest, argv: [String], input: Input,
                                   now: @Sendable () -> Instant) async -> AttemptRecord {
        let task = request.task
        let startedAt = now()
        func failed(_ error: String) -> AttemptRecord {
            AttemptRecord(attempt: request.attempt, status: .failed, startedAt: startedAt, finishedAt: now(), error: error)
        }
        if Task.isCancelled {
            return AttemptRecord(attempt: request.attempt, status: .cancelled, startedAt: startedAt, finishedAt: now(),
                                 error: "jobrun was stopped before the attempt started")
        }
        let env = jobEnvironment(request)
        if let dir = task.workingDirectory {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDirectory) else {
                return failed("the working directory \"\(dir)\" does not exist; create it or fix `working_dir`")
            }
            guard isDirectory.boolValue else { return failed("the working directory \"\(dir)\" is not a directory") }
        }
        guard !argv.isEmpty else { return failed("the task has no command") }
        let executable: String
        switch executables.resolve(argv[0], task: task.index, path: env["PATH"] ?? "", workingDirectory: task.workingDirectory) {
        case .success(let path): executable = path
        case .failure(let message): return failed(message.text)
        }

        var destination: OutputFile?
        if let path = task.output {
            do { destination = try OutputFile(path) } catch {
                return failed("cannot write `output` \"\(path)\": \(error.message)")
            }
        }
        let log = logs.flatMap { try? $0.open(task: task.name, run: request.run, attempt: request.attempt) }
        let streams = AttemptStreams(task: task.name, sink: output, log: log, destination: destination)

        var platformOptions = PlatformOptions()
        platformOptions.createSession = true
        // jobrun ends jobs itself (below); this only covers a body that throws.
        platformOptions.teardownSequence = [.gracefulShutDown(toProcessGroup: true, allowedDurationToNextStep: task.killGrace)]
        let options = platformOptions
        let timedOut = Flag(), stopped = Flag()
        let status: TerminationStatus
        var leader: pid_t = 0
        // Through jobrun-exec: PARENT_PID PROGRAM ARGV0 ARGS...
        let program = tether ?? executable
        let arguments = tether == nil ? Array(argv.dropFirst()) : [String(getpid()), executable] + argv
        do {
            let result = try await Subprocess.run(
                .path(FilePath(program)), arguments: Arguments(arguments),
                environment: .custom(Dictionary(uniqueKeysWithValues: env.compactMap { k, v in
                    Environment.Key(rawValue: k).map { ($0, v) }
                })),
                workingDirectory: task.workingDirectory.map { FilePath($0) },
                platformOptions: options, input: input, output: .sequence, error: .sequence
            ) { execution in
                let pid = execution.processIdentifier.value
                groups.insert(pid)
                let finished = Flag(), grace = GraceTimer()
                await withTaskGroup(of: Void.self) { group in
                    group.addTask { await streams.read(execution.standardOutput, .stdout) }
                    group.addTask { await streams.read(execution.standardError, .stderr) }
                    // The watchdog: on timeout or shutdown, SIGTERM to the whole group, then
                    // SIGKILL after kill_grace.
                    group.addTask {
                        do {
                            if let timeout = task.timeout { try await Task.sleep(for: timeout) } else {
                                try await Task.sleep(for: .seconds(100 * 366 * 86_400))
                            }
                            timedOut.set()
                        } catch {
                            guard !finished.isSet else { return }
                            stopped.set()
                        }
                        kill(-pid, SIGTERM)
                        if await grace.wait(task.killGrace) { kill(-pid, SIGKILL) }
                    }
                    // The streams end when the job exits, or when it closes them and goes on;
                    // then the watchdog stays until the job has really exited.
                    await group.next()
                    await group.next()
                    // Then wait for the exit itself, on a thread of its own: a blocking
                    // waitid that does not reap (swift-subprocess does that).
                    if !hasExited(pid) { await waitForExit(of: pid) }
                    finished.set()
                    grace.end()
                    group.cancelAll()
                }
            }
            status = result.terminationStatus
            leader = result.processIdentifier.value
        } catch {
            streams.finish(success: false)
            log?.close()
            return failed("could not run \(executable): \(error)")
        }
        // Whatever the job left behind in its process group goes with it.
        groups.remove(leader)
        let wasTimedOut = timedOut.isSet
        let cancelled = stopped.isSet && !wasTimedOut
        var record = AttemptRecord(attempt: request.attempt, status: .succeeded, startedAt: startedAt, finishedAt: now(),
                                   stdoutTail: streams.tail(.stdout), stderrTail: streams.tail(.stderr))
        switch status {
        case .exited(let code):
            record.exitCode = code
            if code != 0 {
                record.status = .failed
                record.error = "exited with status \(code)"
            }
        case .signaled(let signal):
            record.signal = signal
            record.status = .failed
            record.error = "killed by signal \(signal) (\(signalName(signal)))"
        }
        if wasTimedOut {
            record.status = .timedOut
            record.error = "timed out after \(ValueSyntax.format(task.timeout ?? .zero)); the process group got SIGTERM"
                + (record.signal == SIGKILL ? ", then SIGKILL after \(ValueSyntax.format(task.killGrace))" : "")
        } else if cancelled {
            record.status = .cancelled
            record.error = "jobrun was stopped" + (record.signal.map { "; the job ended by signal \($0) (\(signalName($0)))" } ?? "")
        }
        let written = streams.finish(success: record.status == .succeeded)
        if let written, record.status == .succeeded, case .failure(let message) = written {
            record.status = .failed
            record.error = message.text
        }
        log?.close()
        return record
    }

    private func jobEnvironment(_ request: AttemptRequest) -> [String: String] {
        var env = environment
        for (k, v) in request.task.env { env[k] = v }
        env["JOBRUN_TASK"] = request.task.name
        env["JOBRUN_RUN"] = String(request.run)
        env["JOBRUN_ATTEMPT"] = String(request.attempt)
        return env
    }
}

/// The grace period between SIGTERM and SIGKILL. It runs even when the attempt's task is
/// cancelled (a job told to stop still gets its grace), and ends early when the job is gone.
final class GraceTimer: Sendable {
    private enum State { case idle, waiting(CheckedContinuation<Bool, Never>), ended }
    private let state = Locked(State.idle)

    /// Waits `duration`; true when it ran out, false when ``end()`` came first.
    func wait(_ duration: Duration) async -> Bool {
        let (seconds, attoseconds) = duration.components
        let nanoseconds = Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
        return await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let ended = state.withLock { state -> Bool in
                if case .ended = state { return true }
                state = .waiting(continuation)
                return false
            }
            if ended { return continuation.resume(returning: false) }
            DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(nanoseconds)) { self.resume(true) }
        }
    }

    /// The job is gone: a pending wait returns at once.
    func end() { resume(false) }

    private func resume(_ ranOut: Bool) {
        let continuation = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            defer { state = .ended }
            if case .waiting(let c) = state { return c }
            return nil
        }
        continuation?.resume(returning: ranOut)
    }
}

/// Whether a child has exited, without reaping it (swift-subprocess does that).
func hasExited(_ pid: pid_t) -> Bool {
    var info = siginfo_t()
    let rc = waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT)
    return rc != 0 || info._sifields._sigchld.si_pid != 0
}

/// Waits until child `pid` has exited, without reaping it, on a thread of its own (not one
/// of the pool's, which a blocked wait would take from every other job).
func waitForExit(of pid: pid_t) async {
    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        Thread.detachNewThread {
            var info = siginfo_t()
            while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR {}
            continuation.resume()
        }
    }
}

/// A flag set once, from any thread.
final class Flag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .relaxed) }
    var isSet: Bool { value.load(ordering: .relaxed) }
}

/// The name of a signal, for messages.
func signalName(_ signal: Int32) -> String {
    switch signal {
    case SIGTERM: "SIGTERM"
    case SIGKILL: "SIGKILL"
    case SIGINT: "SIGINT"
    case SIGSEGV: "SIGSEGV"
    case SIGABRT: "SIGABRT"
    case SIGHUP: "SIGHUP"
    case SIGPIPE: "SIGPIPE"
    case SIGQUIT: "SIGQUIT"
    case SIGBUS: "SIGBUS"
    case SIGFPE: "SIGFPE"
    default: "signal \(signal)"
    }
}

/// A message for the user, as an error value.
struct UserMessage: Error {
    let text: String
}

extension Error {
    /// A short description of a system error.
    var message: String {
        if let e = self as? UserMessage { return e.text }
        if let e = self as? CocoaError, let path = e.filePath { return "\(e.code) (\(path))" }
        return (self as NSError).localizedDescription
    }
}

/// Resolves each task's executable once: a path with a slash as given (relative to the
/// working directory), a bare name by searching `PATH`.
final class ExecutableCache: Sendable {
    private let resolved = Locked<[Int: Result<String, UserMessage>]>([:])

    func resolve(_ name: String, task: Int, path: String, workingDirectory: String?) -> Result<String, UserMessage> {
        if let hit = resolved.withLock({ $0[task] }) { return hit }
        let result = Self.search(name, path: path, workingDirectory: workingDirectory)
        resolved.withLock { $0[task] = result }
        return result
    }

    static func search(_ name: String, path: String, workingDirectory: String?) -> Result<String, UserMessage> {
        if name.isEmpty { return .failure(UserMessage(text: "the command is empty")) }
        if name.contains("/") {
            let full = name.hasPrefix("/") || workingDirectory == nil ? name : workingDirectory! + "/" + name
            return check(full, as: name)
        }
        for dir in path.split(separator: ":", omittingEmptySubsequences: false) {
            let candidate = (dir.isEmpty ? "." : String(dir)) + "/" + name
            if access(candidate, X_OK) == 0, !isDirectory(candidate) { return .success(candidate) }
        }
        if path.split(separator: ":").contains(where: { FileManager.default.fileExists(atPath: "\($0)/\(name)") }) {
            return .failure(UserMessage(text: "\"\(name)\" was found on PATH but is not executable; chmod +x it"))
        }
        return .failure(UserMessage(text: "executable \"\(name)\" not found on PATH (\(path)); install it or give its full path"))
    }

    private static func check(_ full: String, as name: String) -> Result<String, UserMessage> {
        guard FileManager.default.fileExists(atPath: full) else {
            return .failure(UserMessage(text: "executable \"\(name)\" does not exist"))
        }
        if isDirectory(full) { return .failure(UserMessage(text: "\"\(name)\" is a directory, not an executable")) }
        guard access(full, X_OK) == 0 else {
            return .failure(UserMessage(text: "\"\(name)\" is not executable (permission denied); chmod +x it"))
        }
        return .success(full)
    }

    private static func isDirectory(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
    }
}
