import Foundation
import JobrunCore

/// Runs `type: command` attempts through a ``ProcessHost``: each attempt in its own process
/// group, stdin from /dev/null, the layered environment, streamed output, and a timeout that
/// ends the whole group with SIGTERM, then SIGKILL after `kill_grace`. A job that cannot start
/// is a failed attempt with a message, not an error.
public struct CommandExecutor: Executor {
    /// jobrun's own environment, the base of every job's.
    public let environment: [String: String]
    /// Where job output lines go.
    public let output: any OutputSink
    /// Keeps every attempt's full output, when set.
    public let logs: AttemptLogs?
    /// Starts every job's process, and reaches running ones for shutdown.
    public let processes: ProcessHost
    /// Masks the file's secrets in the output tails.
    public let mask: SecretMask
    /// The clock timeouts and kill grace periods are measured on.
    let clock: any Clock<Duration>
    /// In a cluster: the namespace and this replica, for `JOBRUN_RUN_ID` and `JOBRUN_REPLICA`.
    public var replica: ReplicaIdentity?
    /// In a cluster: the instant by which the lease on a run (by its id) must be renewed,
    /// when this replica holds it. jobrun-exec kills the run's job then, unless a renewal
    /// moves it (``ProcessHost/extendLeases(to:)``).
    public var leaseDeadline: (@Sendable (String) -> ContinuousClock.Instant?)?
    private let executables = PerTask<Result<String, JobrunError>>()
    private let launches = PerTask<Launch>()
    /// `environment` as `NAME=value` entries, without the variables jobrun sets per attempt:
    /// the environment of every task without an `env:` of its own (but `JOBRUN_TASK`).
    private let baseEntries: [String]

    /// Creates an executor.
    public init(environment: [String: String], output: any OutputSink, logs: AttemptLogs?, processes: ProcessHost,
                mask: SecretMask = .none, clock: any Clock<Duration> = ContinuousClock()) {
        self.clock = clock
        self.mask = mask
        self.environment = environment
        baseEntries = environment.compactMap {
            Self.perAttempt($0.key) ? nil : "\($0.key)=\($0.value)"
        }
        self.output = output
        self.logs = logs
        self.processes = processes
    }

    public func run(_ request: AttemptRequest, now: @Sendable () -> Instant) async -> AttemptRecord {
        let argv: [String]
        switch request.task.command {
        case .argv(let a): argv = a
        case .shell(let script): argv = [request.task.shell, "-c", script]
        case nil: argv = []
        }
        return await run(request, argv: argv, input: nil, now: now)
    }

    /// Runs `argv` for an attempt, with `input` (a descriptor, closed here) on stdin, or
    /// /dev/null: the process part that commands and email (the sendmail program) share.
    func run(_ request: AttemptRequest, argv: [String], input: Int32?, now: @Sendable () -> Instant) async -> AttemptRecord {
        defer { if let input { close(input) } }
        let task = request.task
        // Handed over ahead of its due instant, the attempt starts on it, and never ends
        // before it (stopped, or failed before a process started).
        let startedAt = request.startsAt.map { Swift.max(now(), $0.at) } ?? now()
        func finishedAt() -> Instant { Swift.max(now(), startedAt) }
        func failed(_ error: String) -> AttemptRecord {
            AttemptRecord(attempt: request.attempt, status: .failed, startedAt: startedAt, finishedAt: finishedAt(), error: error)
        }
        if Task.isCancelled {
            return AttemptRecord(attempt: request.attempt, status: .cancelled, startedAt: startedAt, finishedAt: finishedAt(),
                                 error: RecordMessage.stoppedBeforeTheAttempt)
        }
        if let dir = task.workingDirectory {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDirectory) else {
                return failed(RecordMessage.noWorkingDirectory(dir))
            }
            guard isDirectory.boolValue else { return failed(RecordMessage.workingDirectoryNotADirectory(dir)) }
        }
        guard !argv.isEmpty else { return failed(RecordMessage.noCommand) }
        let executable: String
        let resolved = executables.value(for: task) {
            Executables.search(argv[0], path: task.env.last { $0.key == "PATH" }?.value ?? environment["PATH"] ?? "",
                               workingDirectory: task.workingDirectory)
        }
        switch resolved {
        case .success(let path): executable = path
        case .failure(let error):
            // The lookup is made once per task: another attempt would fail the same way.
            var record = failed(RecordMessage.cannotFind(error, retried: task.retry.retries > 0))
            record.retryable = false
            return record
        }

        var destination: StagedFile?
        if let path = task.output {
            do { destination = try WritePath.stage(path, waitForReader: false) } catch {
                return failed(RecordMessage.cannotWriteOutput(path, error))
            }
        }
        var log: AttemptLog?
        var logError: String?
        if let logs {
            switch logs.open(task: task.name, run: request.run, attempt: request.attempt) {
            case .success(let files): log = files
            case .failure(let error):
                logError = RecordMessage.noLog(error)
                output.warning("jobrun: warning: [\(task.name)] run \(request.run) attempt \(request.attempt): \(logError!)")
            }
        }
        func closeLog(_ record: inout AttemptRecord) {
            record.stdoutLog = log?.stdout.path
            record.stderrLog = log?.stderr.path
            record.logError = logError
            let errors = log?.close() ?? []
            if !errors.isEmpty {
                record.logError = errors.map(\.description).joined(separator: "; ")
                for error in errors {
                    output.warning("jobrun: warning: [\(task.name)] run \(request.run) attempt \(request.attempt): \(error)")
                }
            }
        }
        let streams = AttemptStreams(request, sink: output, log: log, destination: destination, mask: mask)

        let wait = Swift.max(.zero, request.startsAt?.in() ?? .zero)
        let job: JobProcess
        do {
            var launch = launches.value(for: task) {
                Launch(program: executable, arguments: argv, environment: taskEnvironment(request),
                       workingDirectory: task.workingDirectory)
            }
            launch.adding(["JOBRUN_RUN=\(request.run)", "JOBRUN_ATTEMPT=\(request.attempt)"])
            var label: String?
            if let replica, let due = request.due {
                label = replica.runID(task: task.name, due: due)
                launch.adding(["JOBRUN_RUN_ID=\(label!)", "JOBRUN_REPLICA=\(replica.replica)"])
            }
            if let event = request.event {
                // A triggered run: the end it is told of, secrets masked.
                launch.adding(event.environment.map { "\($0.key)=\(mask($0.value))" })
            }
            let deadline = label.flatMap { leaseDeadline?($0) }
            job = try processes.start(launch, after: wait, stdin: input, label: label, deadline: deadline) { streams.take($1, $0) }
        } catch {
            streams.finish(success: false)
            var record = failed(RecordMessage.couldNotRun(executable, error))
            closeLog(&record)
            return record
        }
        // On timeout or shutdown, SIGTERM to the whole group, then SIGKILL after kill_grace.
        let watchdog = Watchdog(job: job, processes: processes, grace: task.killGrace, clock: clock)
        if let timeout = task.timeout { watchdog.arm(wait + timeout) }
        // When the job's main process has ended, what it left behind has been killed too, so
        // its output ends with it (a job may close its streams earlier and go on).
        let end = await withTaskCancellationHandler {
            await processes.wait(job)
        } onCancel: {
            watchdog.fire(.stopped)
        }
        let reason = watchdog.end()
        let wasTimedOut = reason == .timedOut
        let cancelled = reason == .stopped
        var record = AttemptRecord(attempt: request.attempt, status: .succeeded, startedAt: startedAt, finishedAt: finishedAt(),
                                   stdoutTail: streams.tail(.stdout), stderrTail: streams.tail(.stderr))
        switch end {
        case .lost(let message):
            record.status = .failed
            record.error = message
        case .exited(let code):
            record.exitCode = code
            if code != 0 {
                record.status = .failed
                record.error = RecordMessage.exited(code)
            }
        case .signaled(let signal):
            record.signal = signal
            record.status = .failed
            record.error = RecordMessage.killed(by: signal)
        case .expired:
            record.signal = SIGKILL
            record.status = .abandoned
            record.error = RecordMessage.leaseNotRenewed
        }
        if wasTimedOut {
            record.status = .timedOut
            record.error = RecordMessage.timedOut(after: task.timeout ?? .zero, grace: task.killGrace,
                                                  killed: record.signal == SIGKILL)
        } else if cancelled {
            record.status = .cancelled
            record.error = RecordMessage.stoppedWhileRunning(signal: record.signal)
        }
        let written = streams.finish(success: record.status == .succeeded)
        if let written, record.status == .succeeded, case .failure(let error) = written {
            record.status = .failed
            record.error = RecordMessage.outputFailed(error)
        }
        closeLog(&record)
        return record
    }

    /// The job's environment but the per-attempt entries: jobrun's, then the task's, then
    /// `JOBRUN_TASK` (`JOBRUN_RUN` and `JOBRUN_ATTEMPT` come with each attempt).
    private func taskEnvironment(_ request: AttemptRequest) -> [String] {
        if request.task.env.isEmpty { return baseEntries + ["JOBRUN_TASK=\(request.task.name)"] }
        var env = environment
        for (k, v) in request.task.env { env[k] = v }
        env["JOBRUN_TASK"] = request.task.name
        return env.compactMap { $0.key != "JOBRUN_TASK" && Self.perAttempt($0.key) ? nil : "\($0.key)=\($0.value)" }
    }

    /// Whether jobrun sets the variable `name` for each attempt itself (`JOBRUN_TASK`,
    /// `JOBRUN_RUN`, `JOBRUN_ATTEMPT`, `JOBRUN_EVENT_…`), so a value from its own environment
    /// (a jobrun started by another) must not reach the job.
    static func perAttempt(_ name: String) -> Bool {
        name == "JOBRUN_TASK" || name == "JOBRUN_RUN" || name == "JOBRUN_ATTEMPT" || name == "JOBRUN_RUN_ID" || name == "JOBRUN_REPLICA"
            || name.hasPrefix(EventVariable.prefix)
    }
}
