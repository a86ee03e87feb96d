import Dispatch
import JobrunCluster
import JobrunCore
import JobrunState

/// Reloads (README, "Reload"): SIGHUP, and with `--watch` a change of the file, ask for one;
/// they are carried out one after another on a task of their own, so the file is read and
/// validated off the scheduler's path, which only takes the result.
final class Reloader: Sendable {
    enum Trigger: Sendable { case signal, change }

    private let path: String
    private let reread: @Sendable () -> FileReading
    private let scheduler: Scheduler<ContinuousClock>
    private let console: RunConsole
    private let metrics: RunMetrics?
    private let store: SQLiteStore?
    /// In a cluster: where the histories of added tasks are read.
    private let cluster: ClusterStore?
    private let original: JobFile
    private let triggers: AsyncStream<Trigger>
    private let continuation: AsyncStream<Trigger>.Continuation
    private let lastSHA: Locked<String>
    /// Every reload, for the report.
    let records = Locked<[ReloadRecord]>([])
    /// The last reload, when it failed: when, and its first error (for `/healthz`).
    let failed = Locked<(at: Instant, error: String)?>(nil)

    init(path: String, sha256: String, original: JobFile, reread: @escaping @Sendable () -> FileReading,
         scheduler: Scheduler<ContinuousClock>, console: RunConsole, metrics: RunMetrics?, store: SQLiteStore?,
         cluster: ClusterStore? = nil) {
        self.cluster = cluster
        self.path = path
        self.original = original
        self.reread = reread
        self.scheduler = scheduler
        self.console = console
        self.metrics = metrics
        self.store = store
        lastSHA = Locked(sha256)
        (triggers, continuation) = AsyncStream.makeStream(of: Trigger.self)
    }

    /// Asks for a reload.
    func ask(_ trigger: Trigger) { continuation.yield(trigger) }

    /// No more reloads: ``run()`` returns once the one under way is done.
    func finish() { continuation.finish() }

    /// Carries out the reloads asked for, in order, until ``finish()``.
    func run() async {
        for await trigger in triggers { await reload(trigger) }
    }

    private func reload(_ trigger: Trigger) async {
        let at = scheduler.now()
        // Read and validated on a thread outside Swift's pool: a large file takes a while,
        // and the scheduler's own work must not wait for a thread.
        let reread = self.reread
        let reading = await withCheckedContinuation { done in
            DispatchQueue.global().async { done.resume(returning: reread()) }
        }
        switch reading {
        case .invalid(let lines, let error, let sha):
            // A change that leaves the same bytes (a touch, a rewrite) is no change.
            if trigger == .change, let sha, lastSHA.withLock({ $0 }) == sha { return }
            if let sha { lastSHA.withLock { $0 = sha } }
            for line in lines { console.note(line) }
            let record = ReloadRecord(at: at, succeeded: false, error: error, sha256: sha)
            failed.withLock { $0 = (at, error) }
            metrics?.reloaded(succeeded: false)
            records.withLock { $0.append(record) }
            console.reload(record, file: path)
        case .valid(let read):
            if trigger == .change, lastSHA.withLock({ $0 }) == read.sha256 { return }
            lastSHA.withLock { $0 = read.sha256 }
            for line in read.lines { console.note(line) }
            let current = await scheduler.currentFile()
            let known = Set(current.tasks.map(\.name))
            // The scheduler puts added tasks after the others, in the new file's order: their
            // names go to the console and the metrics first, before any event of theirs.
            let added = read.file.tasks.map(\.name).filter { !known.contains($0) }
            console.add(names: added)
            metrics?.add(added)
            var histories: [String: TaskHistory] = [:]
            do {
                histories = try store?.add(tasks: added) ?? [:]
                if let cluster, !added.isEmpty {
                    let read = try await cluster.histories(of: added)
                    for (name, history) in zip(added, read) { histories[name] = history }
                }
            } catch {
                // The run numbers of an added task then start from 1; the store's own writes
                // say whether it still works.
                console.note("jobrun: \(error); the tasks the reload adds number their runs from 1")
            }
            guard let changes = await scheduler.reload(Scheduler.Reload(file: read.file, workers: read.workers,
                                                                        selecting: read.selecting, histories: histories)) else {
                console.note("jobrun: jobrun is stopping; the reload of \(path) changes nothing")
                return
            }
            for note in restartOnly(read.file) { console.note(note) }
            let record = ReloadRecord(at: at, succeeded: true, changes: changes, sha256: read.sha256)
            failed.withLock { $0 = nil }
            metrics?.reloaded(succeeded: true)
            metrics?.setWorkers(read.workers)
            records.withLock { $0.append(record) }
            console.reload(record, file: path)
        }
    }

    /// Settings a running jobrun keeps until its next start, when the new file changes them.
    private func restartOnly(_ new: JobFile) -> [String] {
        var changed: [String] = []
        if new.state != original.state { changed.append("state") }
        if new.name != original.name { changed.append("name") }
        if new.listen != original.listen { changed.append("listen") }
        if new.report != original.report { changed.append("report") }
        if new.reportRuns != original.reportRuns { changed.append("report_runs") }
        if new.shutdownGrace != original.shutdownGrace { changed.append("shutdown_grace") }
        if new.keepHistory != original.keepHistory { changed.append("keep_history") }
        return changed.map { "jobrun: `\($0):` changed in \(path); it takes effect at the next start" }
    }
}
