import Foundation
import JobrunCore
import UnixSignals

/// Everything a run needs from the command line.
public struct RunSettings: Sendable {
    public var configPath: String
    public var configSHA256: String
    public var plan: RunPlan
    /// Where the report goes: a path, `-` for stdout, or nil for none.
    public var report: String?
    public var junit: String?
    public var logDirectory: String?
    public var format: RunConsole.Format
    public var quiet: Bool
    public var version: String
    /// `--color`: auto, always or never.
    public var color = "auto"

    public init(configPath: String, configSHA256: String, plan: RunPlan, report: String?, junit: String?,
                logDirectory: String?, format: RunConsole.Format, quiet: Bool, version: String) {
        self.configPath = configPath
        self.configSHA256 = configSHA256
        self.plan = plan
        self.report = report
        self.junit = junit
        self.logDirectory = logDirectory
        self.format = format
        self.quiet = quiet
        self.version = version
    }
}

/// One run of a jobs file: the scheduler on the real clock, the executors, signals and the
/// report. Signal handling is installed before anything else starts.
public struct JobRun: Sendable {
    let file: JobFile
    let settings: RunSettings
    let signals: UnixSignalsSequence

    /// How long before its due instant a run of a command or email task is handed to
    /// jobrun-exec, which starts it on the instant (so the time it takes jobrun to get there
    /// does not make it late).
    static let lead: Duration = .milliseconds(10)

    /// Installs signal handling first thing, then prepares the run.
    public init(file: JobFile, settings: RunSettings, signals: UnixSignalsSequence) {
        self.file = file
        self.settings = settings
        self.signals = signals
    }

    /// Traps every signal jobrun acts on (SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1); call
    /// before anything else starts.
    public static func trapSignals() async -> UnixSignalsSequence {
        await UnixSignalsSequence(trapping: .sigterm, .sigint, .sighup, .sigquit, .sigusr1)
    }

    /// Checks that the report and log locations can be written, before any task starts;
    /// creates their missing directories.
    public func checkOutputs() throws(JobrunError) -> AttemptLogs? {
        if let path = settings.report {
            do { try WritePath.check(path) } catch { throw error.hinting("choose another path with --report or `report:`") }
        }
        if let path = settings.junit {
            do { try WritePath.check(path) } catch { throw error.hinting("choose another path with --junit") }
        }
        guard let dir = settings.logDirectory else { return nil }
        return try AttemptLogs(directory: dir, now: RunConsole.now())
    }

    /// Runs every task to the end or to a signal, writes the report, and returns the exit code.
    public func run() async throws(JobrunError) -> Int32 {
        let logs = try checkOutputs()
        let environment = ProcessInfo.processInfo.environment
        let fd: Int32 = settings.report.flatMap(WritePath.descriptor) == 1 ? 2 : 1
        let mask = SecretMask(SecretMask.secrets(of: file, environment: environment))
        let console = RunConsole(fd: fd, format: settings.format, quiet: settings.quiet, mask: mask,
                                 taskNames: file.tasks.map(\.name), github: environment["GITHUB_ACTIONS"] == "true",
                                 color: RunConsole.wantsColor(settings.color, fd: fd, environment: environment))
        let groups = ProcessHost(warn: { console.note($0) })
        defer { groups.stop() }
        // Started now rather than by the first job, which would wait for it.
        if file.tasks.contains(where: { $0.type != .http }) { groups.prepare() }
        let command = CommandExecutor(environment: environment, output: console, logs: logs, processes: groups, mask: mask)
        let http = HTTPExecutor(environment: environment, mask: mask)
        let executor = TaskExecutor(command: command, http: http, email: EmailExecutor(command: command))
        let wallStart = RunConsole.now()
        let scheduler = Scheduler(file: file, plan: settings.plan, clock: ContinuousClock(), wallOrigin: wallStart,
                                  originAge: .seconds(Date().timeIntervalSince1970 - Double(wallStart.milliseconds) / 1000),
                                  lead: Self.lead, executor: executor, emit: { console.event($0) })
        let shutdownGrace = file.shutdownGrace
        let signals = self.signals
        let file = self.file
        let received = SignalRecord()
        let records = await withTaskGroup(of: [RunRecord]?.self) { group -> [RunRecord] in
            group.addTask { await scheduler.run() }
            group.addTask {
                await withTaskGroup(of: Void.self) { killer in
                    for await signal in signals {
                        switch signal {
                        case .sigusr1:
                            // The status table, and nothing changes.
                            let table = StatusTable(rows: await scheduler.status(), names: file.tasks.map(\.name),
                                                    at: scheduler.now())
                            _ = FileDescriptorWrite.all(2, Array(table.text().utf8))
                        case .sigquit:
                            _ = received.first(signal.rawValue)
                            console.note("jobrun: received \(signal); killing every job now")
                            scheduler.shutdown()
                            groups.signalAll(SIGKILL)
                        default:
                            // SIGINT, SIGTERM and (until reload exists) SIGHUP: stop gracefully.
                            if received.first(signal.rawValue) {
                                console.note("jobrun: received \(signal); stopping (a second signal kills every job at once)")
                                scheduler.shutdown()
                                // Jobs get shutdown_grace in all; whatever is left then is killed.
                                killer.addTask {
                                    try? await Task.sleep(for: shutdownGrace)
                                    if !Task.isCancelled { groups.signalAll(SIGKILL) }
                                }
                            } else {
                                console.note("jobrun: received \(signal) again; killing every job now")
                                groups.signalAll(SIGKILL)
                            }
                        }
                    }
                    killer.cancelAll()
                }
                return nil
            }
            var records: [RunRecord] = []
            while let next = await group.next() {
                if let next {
                    records = next
                    group.cancelAll()
                }
            }
            return records
        }
        let signal = received.value
        await http.shutdown()
        console.clearStatus()
        let report = Report(version: settings.version, configPath: settings.configPath, configSHA256: settings.configSHA256,
                            startedAt: wallStart, finishedAt: scheduler.now(), workers: settings.plan.workers,
                            signal: signal, tasks: file.tasks, records: records)
        var written = "no report"
        var delivered = true
        if let path = settings.report {
            delivered = Self.deliver(report.json(), to: path, what: "report", console: console)
            written = path == "-" ? "report on stdout" : "report: \(path)"
        }
        if let junit = settings.junit {
            delivered = Self.deliver(JUnitReport(report).xml(), to: junit, what: "JUnit report", console: console) && delivered
        }
        if let path = environment["GITHUB_STEP_SUMMARY"], !path.isEmpty {
            do { try WritePath.append(Array(report.markdownSummary().utf8), to: path) } catch {
                console.note("jobrun: warning: the step summary was not written: \(error)")
            }
        }
        let code = delivered ? report.exitCode : ExitStatus.internalFailure
        console.summary(Self.summary(report, written), report: report, exitCode: code,
                        reportPath: delivered ? settings.report : nil)
        return code
    }

    /// Writes a report through the one write path. When it cannot be written, the report
    /// goes to stderr (unless that is where it failed), so that it is not lost.
    static func deliver(_ text: String, to path: String, what: String, console: RunConsole) -> Bool {
        do {
            try WritePath.replace(path, with: Array(text.utf8))
            return true
        } catch {
            if WritePath.descriptor(path) == 2 {
                console.note("jobrun: the \(what) could not be written: \(error)")
            } else {
                console.note("jobrun: the \(what) could not be written: \(error); it follows on stderr")
                _ = FileDescriptorWrite.all(2, Array(text.utf8))
            }
            return false
        }
    }

    static func summary(_ report: Report, _ written: String) -> String {
        let t = report.totals
        let seconds = Double((report.finishedAt - report.startedAt).milliseconds) / 1000
        var parts = ["\(t.succeeded) succeeded"]
        if t.failed > 0 { parts.append("\(t.failed) failed") }
        if t.timedOut > 0 { parts.append("\(t.timedOut) timed out") }
        if t.skipped > 0 { parts.append("\(t.skipped) skipped") }
        if t.cancelled > 0 { parts.append("\(t.cancelled) cancelled") }
        let outcome = report.outcome == .interrupted ? "interrupted by signal \(report.signal ?? 0)" : report.outcome.rawValue
        return "jobrun: \(outcome): \(t.runs) run\(t.runs == 1 ? "" : "s") (\(parts.joined(separator: ", "))), "
            + "\(t.attempts) attempt\(t.attempts == 1 ? "" : "s") in \(String(format: "%.1f", seconds))s; \(written)"
    }
}

/// The first signal received, if any.
final class SignalRecord: Sendable {
    private let stored = Locked<Int32?>(nil)

    /// Records `signal` if it is the first; returns whether it was.
    func first(_ signal: Int32) -> Bool {
        stored.withLock { value in
            guard value == nil else { return false }
            value = signal
            return true
        }
    }

    var value: Int32? { stored.withLock { $0 } }
}

/// Picks the executor for a task's type.
struct TaskExecutor: Executor {
    let command: CommandExecutor
    let http: HTTPExecutor
    let email: EmailExecutor

    func run(_ request: AttemptRequest, now: @Sendable () -> Instant) async -> AttemptRecord {
        switch request.task.type {
        case .command: await command.run(request, now: now)
        case .http: await http.run(request, now: now)
        case .email: await email.run(request, now: now)
        }
    }
}
