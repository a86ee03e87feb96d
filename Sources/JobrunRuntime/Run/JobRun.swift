import Foundation
import JobrunCluster
import JobrunCore
import JobrunState
import UnixSignals

/// One run of a jobs file: the console, the executors and the scheduler on the real clock,
/// then the report. Signals are trapped by the caller (``trapSignals()``) before the file is
/// even read, and handled here (see `JobRun+Signals.swift`); the report, the JUnit report
/// and the step summary are delivered by `JobRun+Delivery.swift`.
public struct JobRun: Sendable {
    let file: JobFile
    let invocation: RunInvocation
    let signals: UnixSignalsSequence

    /// How long before its due instant a run of a command or email task is handed to
    /// jobrun-exec, which starts it on the instant (so the time it takes jobrun to get there
    /// does not make it late).
    static let lead: Duration = .milliseconds(10)
    /// In a cluster, the lead also covers the claim's round trip to the database.
    static let clusterLead: Duration = .milliseconds(100)

    /// Prepares a run of `file`; `signals` is the sequence ``trapSignals()`` returned.
    public init(file: JobFile, invocation: RunInvocation, signals: UnixSignalsSequence) {
        self.file = file
        self.invocation = invocation
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
        if let path = invocation.report {
            do { try WritePath.check(path) } catch { throw error.hinting("choose another path with --report or `report:`") }
        }
        if let path = invocation.junit {
            do { try WritePath.check(path) } catch { throw error.hinting("choose another path with --junit") }
        }
        guard let dir = invocation.logDirectory else { return nil }
        return try AttemptLogs(directory: dir, now: Instant.now())
    }

    /// Runs every task to the end or to a signal, writes the report, and returns the exit code.
    public func run() async throws(JobrunError) -> Int32 {
        let logs = try checkOutputs()
        let environment = ProcessInfo.processInfo.environment
        let fd: Int32 = invocation.report.flatMap(WritePath.descriptor) == 1 ? 2 : 1
        let mask = SecretMask(SecretMask.secrets(of: file, environment: environment)
            + (invocation.state.map { SecretMask.secrets(ofState: $0, environment: environment) } ?? []))
        let console = RunConsole(fd: fd, format: invocation.format, quiet: invocation.quiet, mask: mask,
                                 taskNames: file.tasks.map(\.name), github: environment["GITHUB_ACTIONS"] == "true",
                                 color: RunConsole.wantsColor(invocation.color, fd: fd, environment: environment))
        let processes = ProcessHost(warn: { console.note($0) })
        defer { processes.stop() }
        // Started now rather than by the first job, which would wait for it.
        if file.tasks.contains(where: { $0.type != .http }) { processes.prepare() }
        let wallStart = Instant.now()
        var setup = invocation.setup
        var store: SQLiteStore?
        var cluster: ClusterMembership?
        if let path = invocation.state, PostgresURL.isURL(path) {
            let url = try PostgresURL(EnvironmentReference.expand(path, from: environment).text)
            let replica = invocation.replica ?? ClusterMembership.defaultReplica()
            let joined = try await ClusterMembership.join(url, namespace: invocation.namespace, replica: replica, lease: file.lease,
                                                          tasks: file.tasks.map(\.name),
                                                          rerun: Set(file.tasks.filter { $0.onLost == .rerun }.map(\.name)), at: wallStart)
            cluster = joined
            setup.cluster = true
            setup.replica = replica
            setup.origin = joined.start.startedAt
            setup.resume = joined.resume
            console.note("jobrun: replica \(replica) \(joined.start.began ? "began" : "joined") the cluster \(invocation.namespace) "
                         + "on \(url.redacted) (its start: \(joined.start.startedAt.rfc3339))")
        } else if let path = invocation.state {
            let (opened, resume) = try SQLiteStore.open(path: path, namespace: invocation.namespace, tasks: file.tasks.map(\.name),
                                                              keepHistory: file.keepHistory, holder: invocation.version, now: wallStart)
            store = opened
            setup.resume = resume
        }
        let identity = cluster.map { ReplicaIdentity(namespace: invocation.namespace, replica: $0.store.replica) }
        var command = CommandExecutor(environment: environment, output: console, logs: logs, processes: processes, mask: mask)
        command.replica = identity
        if let runs = cluster?.runs { command.leaseDeadline = { runs.deadline(of: $0) } }
        let http = HTTPExecutor(environment: environment, mask: mask, replica: identity)
        let executor = TaskExecutor(command: command, http: http, email: EmailExecutor(command: command))
        let metrics = invocation.listen.map { _ in RunMetrics(names: file.tasks.map(\.name), workers: setup.workers) }
        let scheduler = Scheduler(file: file, setup: setup, clock: ContinuousClock(), wallOrigin: wallStart,
                                  originAge: .seconds(Date().timeIntervalSince1970 - Double(wallStart.milliseconds) / 1000),
                                  lead: cluster == nil ? Self.lead : Self.clusterLead, executor: executor, recorder: store, claims: cluster?.runs, emit: { event in
                                      console.event(event)
                                      metrics?.observe(event)
                                  })
        let reloader = invocation.reread.map { reread in
            Reloader(path: invocation.configPath, sha256: invocation.configSHA256, original: file, reread: reread,
                     scheduler: scheduler, console: console, metrics: metrics, store: store, cluster: cluster?.store)
        }
        var watch: FileWatch?
        if invocation.watch {
            do {
                watch = try FileWatch(path: invocation.configPath)
            } catch {
                _ = store?.close()
                await cluster?.leave()
                throw error
            }
        }
        var endpoint: Endpoint?
        if let address = invocation.listen, let metrics {
            let monitoring = Monitoring(scheduler: scheduler, metrics: metrics, store: invocation.state, since: wallStart, mask: mask,
                                        failedReload: { reloader?.failed.withLock { $0 } })
            do {
                endpoint = try await Endpoint.bind(address) { await monitoring.respond($0) }
            } catch {
                watch?.stop()
                _ = store?.close()
                await cluster?.leave()
                throw error
            }
            console.note("jobrun: serving /metrics, /healthz and /status on http://\(endpoint!.address)")
        }
        // A replica that cannot renew its leases ends its jobs before they run out: another
        // replica may then take their runs. jobrun-exec kills each job at its run's deadline
        // unless a renewal moves it, so this holds also while jobrun is stopped. One whose
        // leases ran out all the same ends those runs' jobs as soon as it finds out.
        let leases = cluster.map { cluster in
            Task {
                await cluster.keepLeases(renewed: { processes.extendLeases(to: $0) }, lost: { gone in
                    let ids = gone.map { $0.claim.id(in: invocation.namespace) }
                    console.note("jobrun: this replica's lease ran out on \(ids.joined(separator: ", ")); "
                                 + "\(gone.count == 1 ? "its job is" : "their jobs are") killed (on_lost decides whether another replica runs \(gone.count == 1 ? "it" : "them") again)")
                    for id in ids { processes.signal(label: id, SIGKILL) }
                    scheduler.runsLost(gone.map { .init(task: $0.task, run: $0.claim.run) })
                }, unreachable: {
                    console.note("jobrun: the cluster's store has not answered for most of a lease (\(file.lease)); "
                                 + "this replica's jobs are killed before their leases run out, as another replica may take their runs")
                }, say: { console.note($0) })
            }
        }
        let (book, signal) = await runHandlingSignals(scheduler, processes: processes, console: console,
                                                      reloader: reloader, watch: watch, endpoint: endpoint)
        leases?.cancel()
        await leases?.value
        await cluster?.leave()
        let closeFailure = store?.close()
        await http.shutdown()
        console.clearStatus()
        var report = Report(version: invocation.version, configPath: invocation.configPath,
                            configSHA256: invocation.configSHA256, startedAt: wallStart, finishedAt: scheduler.now(),
                            workers: invocation.setup.workers, signal: signal, tasks: await scheduler.currentFile().tasks, book: book)
        report.reloads = reloader?.records.withLock { $0 } ?? []
        let code = deliver(report, console: console, environment: environment)
        if let failure = await scheduler.storeFailure {
            console.note("jobrun: \(failure); no run started after that")
            return ExitStatus.internalFailure
        }
        if let failure = closeFailure, let path = invocation.state {
            console.note("jobrun: \(failure); the last changes stay in \(path)-pending, which the next start applies")
            return ExitStatus.internalFailure
        }
        return code
    }
}
