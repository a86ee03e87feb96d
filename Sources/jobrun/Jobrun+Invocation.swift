import ArgumentParser
import Foundation
import JobrunCore
import JobrunRuntime

extension Jobrun {
    /// The run flags mapped onto a ``RunInvocation`` for the jobs file `file`: flags beat the file.
    func runInvocation(file: String, jobs: JobFile) throws -> RunInvocation {
        let bytes = (try? Data(contentsOf: URL(fileURLWithPath: file))).map { [UInt8]($0) } ?? []
        let reportPath: String? = noReport ? nil : report ?? jobs.report ?? "jobrun-report.json"
        var invocation = RunInvocation(
            configPath: file, configSHA256: SHA256.hex(bytes),
            setup: SchedulerSetup(workers: workers ?? jobs.workers, selected: try selection(jobs),
                                  runFor: runFor.flatMap(ValueSyntax.duration)),
            report: reportPath, junit: junit, logDirectory: logDir,
            format: format == .json ? .json : .text, quiet: quiet, version: JobrunVersion.string)
        invocation.color = (color ?? .auto).rawValue
        invocation.state = state ?? jobs.state
        invocation.listen = listen.flatMap(ListenAddress.init) ?? jobs.listen
        invocation.watch = watch
        invocation.reread = Self.reread(file, environment: ProcessInfo.processInfo.environment, strict: strict,
                                        workers: workers, only: only, tag: tag, now: now)
        invocation.namespace = Self.namespace(file: file, jobs: jobs)
        if let replica {
            guard let state = invocation.state, PostgresURL.isURL(state) else {
                throw ValidationError("--replica names this replica in a cluster: give a postgres:// state (--state or `state:`)")
            }
            invocation.replica = replica
        }
        return invocation
    }

    /// The file's namespace in a store: `name:`, else the file's base name without extension.
    static func namespace(file: String, jobs: JobFile) -> String {
        jobs.name ?? URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
    }

    /// The store `--history` and `--status` read: `--state`, else `state:`.
    func statePath(_ jobs: JobFile) throws -> String {
        guard let path = state ?? jobs.state else {
            throw ValidationError("\(history ? "--history" : "--status") reads the state store: give --state PATH, or `state:` in the file")
        }
        return path
    }

    /// A time given to `flag` (RFC 3339, or local in the file's zone).
    func time(_ text: String, _ jobs: JobFile, _ flag: String) throws -> Instant {
        guard let t = ValueSyntax.timestamp(text) else {
            throw ValidationError("\(flag) \(text) is not a timestamp (e.g. 2026-12-01T02:00:00Z)")
        }
        let instant = t.instant(in: jobs.zone)
        guard PlanListing.writable(instant, zone: jobs.zone) != nil else {
            throw ValidationError("\(flag) \(text) is outside the years 0000 to 9999 in UTC or in \(jobs.zone.identifier)")
        }
        return instant
    }

    /// How a reload reads `file` again: validated as at start, with the same flags applied.
    static func reread(_ file: String, environment: [String: String], strict: Bool, workers: Int?, only: [String], tag: [String],
                       now: Bool) -> @Sendable () -> FileReading {
        {
            let bytes = (try? Data(contentsOf: URL(fileURLWithPath: file))).map { [UInt8]($0) }
            let sha = bytes.map(SHA256.hex)
            let validated = JobFileValidator(environment: environment).validate(contentsOf: file)
            let diagnostics = validated.diagnostics
            var lines = diagnostics.map { $0.formatted(file: file) }
            guard !diagnostics.fails(strict: strict), let jobs = validated.file else {
                let first = diagnostics.first { $0.severity == .error } ?? diagnostics.first
                return .invalid(lines: lines, firstError: first?.formatted(file: file) ?? "\(file) could not be read", sha256: sha)
            }
            do {
                let picked = try selection(jobs, only: only, tag: tag)
                let selecting = picked.map { Set($0.map { jobs.tasks[$0.position].name }) }
                return .valid(ReadFile(file: now ? jobs.dueOnceNow(named: Set(only)) : jobs, workers: workers ?? jobs.workers,
                                       selecting: selecting, sha256: sha ?? "", lines: lines))
            } catch {
                let message = "\(file): \((error as? ValidationError)?.message ?? "\(error)")"
                lines.append(message)
                return .invalid(lines: lines, firstError: message, sha256: sha)
            }
        }
    }

    /// The tasks `--only` and `--tag` pick, with everything they wait for and the tasks
    /// their `on_failure`/`on_success` name; nil for all.
    func selection(_ jobs: JobFile) throws -> Set<TaskIndex>? {
        try Self.selection(jobs, only: only, tag: tag)
    }

    /// ``selection(_:)`` for the names and tags given.
    static func selection(_ jobs: JobFile, only: [String], tag: [String]) throws -> Set<TaskIndex>? {
        guard !only.isEmpty || !tag.isEmpty else { return nil }
        let names = jobs.tasks.map(\.name)
        func index(of name: String) -> TaskIndex? { names.firstIndex(of: name).map { TaskIndex($0) } }
        var picked = Set<TaskIndex>()
        for name in only {
            guard let i = index(of: name) else {
                let close = Suggestion.closest(to: name, in: names)
                throw ValidationError("--only \(name): no task has that name\(close.map { "; did you mean \"\($0)\"?" } ?? "")")
            }
            picked.insert(i)
        }
        for tag in tag {
            let tagged = jobs.tasks.filter { $0.tags.contains(tag) }.map(\.index)
            guard !tagged.isEmpty else { throw ValidationError("--tag \(tag): no task has that tag") }
            picked.formUnion(tagged)
        }
        // With what they wait for, and the tasks their ends notify.
        var queue = Array(picked)
        while let i = queue.popLast() {
            for dep in jobs.tasks[i].after {
                if let d = index(of: dep), picked.insert(d).inserted { queue.append(d) }
            }
            for n in jobs.tasks[i].onFailure + jobs.tasks[i].onSuccess where picked.insert(n).inserted { queue.append(n) }
        }
        return picked
    }
}
