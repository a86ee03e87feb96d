import JobrunYAML

/// The result of reading a jobs file: the model when it has no errors, and every diagnostic.
public struct Validated: Sendable {
    /// The model; nil when any error was found.
    public let file: JobFile?
    /// All diagnostics, sorted by position.
    public let diagnostics: [Diagnostic]
    /// The YAML tree, kept alive with the result: a process that exits right after
    /// validating a large file then skips tearing it down node by node.
    let tree: Node?

    init(file: JobFile?, diagnostics: [Diagnostic], tree: Node? = nil) {
        self.file = file
        self.diagnostics = diagnostics
        self.tree = tree
    }
}

/// Turns YAML text into a ``JobFile``, checking everything the README's "The jobs file" and "What `--validate` checks" ask for and
/// reporting every problem at once.
public struct JobFileValidator {
    /// The environment the file is read in: `TZ` for the default zone, and the values of
    /// `${NAME}` references.
    public var environment: [String: String]
    /// Hard limits for the YAML reader.
    public var limits: YAMLLimits
    /// Files at least this large are parsed on one thread while their tasks are read on another.
    public var streamingThreshold = 1 << 20
    /// Linting only (`--validate`, `--plan`): a `${NAME}` that is not set is a warning, since files are
    /// linted where their secrets are absent; in a run it is an error.
    public var linting = false

    /// Creates a validator.
    public init(environment: [String: String] = [:], limits: YAMLLimits = .standard) {
        self.environment = environment
        self.limits = limits
    }

    static let topKeys: [Key] = [
        .version, .name, .workers, .timezone, .report, .reportRuns, .state, .keepHistory, .lease, .listen, .shutdownGrace, .env,
        .defaults, .tasks,
    ]
    static let taskKeys: [Key] = [
        .name, .type, .command, .shell, .output, .http, .email, .schedule, .repeat, .count,
        .until, .priority, .timeout, .killGrace, .retries, .retryDelay, .backoff,
        .maxRetryDelay, .jitter, .overlap, .after, .enabled, .tags, .env, .workingDir,
        .catchUp, .catchUpWithin, .catchUpLimit, .onFailure, .onSuccess, .onLost,
    ]
    static let topTable = KeyTable(topKeys, context: Message.Place.topLevel, elsewhere: Dictionary(
        uniqueKeysWithValues: taskKeys.filter { !topKeys.contains($0) }.map { ($0.name, Message.Place.inATask) }))
    static let defaultsTable = KeyTable(TaskFields.keys, context: Message.Place.defaults, elsewhere: Dictionary(
        uniqueKeysWithValues: taskKeys.filter { !TaskFields.keys.contains($0) }
            .map { ($0.name, Message.Place.inEachTask(defaultsTake: TaskFields.keys.map(\.name))) }))
    static let taskTable = KeyTable(taskKeys, context: Message.Place.task, elsewhere: Dictionary(
        uniqueKeysWithValues: topKeys.filter { !taskKeys.contains($0) }.map { ($0.name, Message.Place.atTheTop) }
            + [Key.url, .method, .headers, .expectStatus, .followRedirects].map { ($0.name, Message.Place.underHTTP) }
            + [Key.to, .cc, .from, .subject, .sendmail].map { ($0.name, Message.Place.underEmail) }
            + [(Key.body.name, Message.Place.underHTTPOrEmail)]))
    static let httpTable = KeyTable([.url, .method, .headers, .body, .expectStatus, .timeout, .followRedirects],
                                    context: Message.Place.http)
    static let emailTable = KeyTable([.to, .cc, .from, .subject, .body, .sendmail], context: Message.Place.email)
    static let methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

    /// Validates YAML bytes.
    public func validate(_ bytes: [UInt8]) -> Validated {
        var bytes = bytes
        return validate(consuming: &bytes)
    }

    /// Validates YAML bytes, emptying `bytes` so the text can be freed once it is parsed.
    func validate(consuming bytes: inout [UInt8]) -> Validated {
        if bytes.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 10 || $0 == 13 }) {
            return Validated(file: nil, diagnostics: [Diagnostic(.error, .emptyFile, at: .start, path: "")])
        }
        let text = bytes
        bytes = []
        if text.count >= streamingThreshold { return validateStreaming(text) }
        return finish(YAMLComposer.compose(text, limits: limits), precomputed: nil)
    }

    /// Turns a composed document into the result; `precomputed` holds tasks already read
    /// while parsing, with the top-level keys that were known when they were read.
    func finish(_ document: YAMLDocument, precomputed: (prelude: Set<String>, chunk: TaskChunk)?) -> Validated {
        var reader = NodeReader()
        for p in document.problems {
            reader.diagnostics.append(Diagnostic(.error, .yaml(p.message), at: p.location, path: p.path))
        }
        var file: JobFile?
        let fatal = document.problems.contains { $0.kind != .duplicateKey && $0.kind != .badMerge }
        if let root = document.root, !fatal {
            if root.scalar?.resolved == .null {
                reader.error(.emptyFile, at: .start, "")
            } else {
                var pass = FilePass(reader: reader, environment: environment, linting: linting)
                // Tasks read while parsing count only if nothing they depend on came later.
                let late = root.pairs?.contains { pair in
                    guard let key = pair.key.scalar?.text else { return false }
                    return ["defaults", "env", "timezone"].contains(key) && !(precomputed?.prelude.contains(key) ?? false)
                } ?? true
                var precomputed = precomputed
                pass.precomputed = late ? nil : precomputed.take()?.chunk
                file = pass.read(root)
                reader = pass.reader
            }
        } else if document.root == nil && !fatal {
            reader.error(.emptyFile, at: .start, "")
        }
        let diagnostics = reader.diagnostics.sorted()
        return Validated(file: diagnostics.contains { $0.severity == .error } ? nil : file, diagnostics: diagnostics,
                         tree: document.root)
    }
}

/// One pass over a composed document.
struct FilePass {
    var reader: NodeReader
    let environment: [String: String]
    /// See ``JobFileValidator/linting``.
    let linting: Bool
    var zone = Zone.utc
    /// Tasks already read while the file was parsed.
    var precomputed: TaskChunk?
    /// Large files repeat the same few cron expressions: parse each once, share the result.
    var cronCache: [String: Schedule] = [:]

    init(reader: NodeReader, environment: [String: String], linting: Bool = false) {
        self.reader = reader
        self.environment = environment
        self.linting = linting
    }

    mutating func read(_ root: Node) -> JobFile? {
        guard let top = reader.mapping(root, "", keys: JobFileValidator.topTable) else { return nil }

        if let v = top[.version]?.value {
            if case .int(1)? = v.scalar?.resolved {} else {
                reader.error(v.scalar.map { .badVersion($0.text) } ?? .expected(.versionOne, found: NodeReader.describe(v)), v, "version")
            }
        }
        let workers = top[.workers].flatMap { reader.int($0.value, "workers", range: 1...1024) } ?? 3
        readZone(top[.timezone])
        let report = top[.report].flatMap { reader.string($0.value, "report", singleLine: true) }
        let reportRuns = top[.reportRuns].flatMap { reader.int($0.value, "report_runs", range: 0...1_000_000) } ?? 1000
        let grace = top[.shutdownGrace].flatMap { reader.duration($0.value, "shutdown_grace") } ?? .seconds(10)
        let env = top[.env].flatMap { reader.stringMap($0.value, "env") } ?? []
        let name = top[.name].flatMap { reader.string($0.value, "name", singleLine: true) }
        let state = top[.state].flatMap { reader.string($0.value, "state", singleLine: true) }
        if let state, let node = top[.state]?.value, PostgresURL.isURL(state) {
            // ${NAME} in the URL (a password): set, and long enough to be masked.
            checkReferences(state, node, "state")
            let expanded = EnvironmentReference.expand(state, from: environment).text
            if let problem = PostgresURL.problem(in: expanded) { reader.error(.badStateURL(problem), node, "state") }
        }
        var lease: Duration?
        if let pair = top[.lease], let value = reader.duration(pair.value, "lease", positive: true) {
            if value < .seconds(1) { reader.error(.leaseTooShort, pair.value, "lease") } else { lease = value }
        }
        let keepHistory = top[.keepHistory].flatMap { reader.duration($0.value, "keep_history", positive: true) }
        var listen: ListenAddress?
        if let l = top[.listen], let text = reader.string(l.value, "listen", singleLine: true) {
            listen = ListenAddress(text)
            if listen == nil { reader.error(.badListen(text), l.value, "listen") }
        }

        var defaults = TaskFields()
        if let d = top[.defaults] {
            if let values = reader.mapping(d.value, "defaults", keys: JobFileValidator.defaultsTable) {
                defaults = TaskFields.read(values, "defaults", into: &reader)
            }
        }

        guard let tasksPair = top[.tasks] else {
            reader.error(.missing(.tasks), root, "tasks")
            return nil
        }
        guard let items = tasksPair.value.items else {
            reader.error(.expected(.taskList, found: NodeReader.describe(tasksPair.value)), tasksPair.value, "tasks")
            return nil
        }
        if items.isEmpty {
            reader.error(.emptyTasks, tasksPair.value, "tasks")
            return nil
        }
        var sources: [TaskSource] = []
        var tasks: [TaskSpec] = []
        var done = false
        if let chunk = precomputed, Set(chunk.sources.map(\.index)).count == chunk.sources.count,
           chunk.sources.last.map({ $0.index < items.count }) ?? true {
            // Take the arrays over without copying them.
            precomputed = nil
            sources = chunk.sources
            tasks = chunk.tasks
            reader.diagnostics += chunk.diagnostics
            done = true
        } else {
            sources.reserveCapacity(items.count)
            tasks.reserveCapacity(items.count)
        }
        for (i, item) in items.enumerated() where !done {
            if let (source, spec) = readTask(item, index: i, defaults: defaults, fileEnv: env) {
                sources.append(source)
                if let spec {
                    sources[sources.count - 1].task = tasks.count
                    tasks.append(spec)
                }
            }
        }
        var semantics = Semantics(sources: sources, tasks: tasks, zone: zone, reader: reader, defaults: defaults)
        semantics.check()
        reader = semantics.reader
        tasks = semantics.tasks
        guard tasks.count == items.count else { return nil }
        var file = JobFile(version: 1, workers: workers, zone: zone, report: report, reportRuns: reportRuns,
                           shutdownGrace: grace, tasks: tasks)
        file.name = name
        file.state = state
        if let keepHistory { file.keepHistory = keepHistory }
        if let lease { file.lease = lease }
        file.listen = listen
        return file
    }

    /// Reads the top-level values the tasks depend on (zone, defaults, env) from nodes seen
    /// before the first task; diagnostics go to `scratch`, as the full pass repeats them.
    mutating func readPrelude(_ prelude: [String: Node], into scratch: inout NodeReader) -> (TaskFields, OrderedPairs) {
        let saved = reader
        reader = NodeReader()
        defer {
            scratch.diagnostics += reader.diagnostics
            reader = saved
        }
        if let tz = prelude["timezone"] {
            readZone(Pair(key: Node(.scalar(Scalar("timezone")), at: tz.location), value: tz))
        } else {
            readZone(nil)
        }
        let env = prelude["env"].flatMap { reader.stringMap($0, "env") } ?? []
        var defaults = TaskFields()
        if let d = prelude["defaults"], let values = reader.mapping(d, "defaults", keys: JobFileValidator.defaultsTable) {
            defaults = TaskFields.read(values, "defaults", into: &reader)
        }
        return (defaults, env)
    }

    mutating func readZone(_ pair: Pair?) {
        if let pair {
            guard let name = reader.string(pair.value, "timezone", singleLine: true) else { return }
            if let z = Zone(identifier: name) {
                zone = z
            } else {
                reader.error(.badZone(name, suggestion: Zone.suggestion(for: name)), pair.value, "timezone")
            }
            return
        }
        guard var tz = environment["TZ"], !tz.isEmpty else { return }
        if tz.hasPrefix(":") { tz.removeFirst() }
        if tz.hasPrefix("/usr/share/zoneinfo/") { tz.removeFirst("/usr/share/zoneinfo/".count) }
        if let z = Zone(identifier: tz) {
            zone = z
        } else {
            reader.warning(.badEnvZone(tz), at: .start, "timezone")
        }
    }
}

/// Where the parts of a task that later checks point at were written.
struct TaskSource {
    var index: Int
    var name: String?
    /// Position of the task's spec in the list of specs, when it read without errors.
    var task: Int?
    var nameLocation: SourceLocation
    var after: [Located<String>]
    /// `on_failure:` and `on_success:` as the task itself writes them.
    var notifies: [(key: Key, name: Located<String>)] = []
    /// The task takes `on_failure:` / `on_success:` from `defaults:`.
    var inherits: (onFailure: Bool, onSuccess: Bool) = (false, false)
    var schedule: Located<String>?
    var repeatLocation: SourceLocation?
    var countLocation: SourceLocation?
    var timeoutLocation: SourceLocation?
    var retriesLocation: SourceLocation?
    var jitterLocation: SourceLocation?
    var localTimes: [(path: String, text: String, civil: CivilDateTime, location: SourceLocation)] = []
}
