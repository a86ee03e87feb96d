import ArgumentParser
import Foundation
import JobrunCore
import JobrunRuntime

/// The `jobrun` command: maps flags onto the library and picks the exit code.
struct Jobrun: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobrun",
        abstract: "Validate, plan and run the tasks of a jobs.yaml file.",
        usage: """
            jobrun [options] <jobs.yaml>
            jobrun --now [--only NAME] [--tag TAG] <jobs.yaml>
            jobrun --validate <file>... [--format text|json] [--strict]
            jobrun --plan <jobs.yaml> [-n N] [--from TIME]
            jobrun --history <jobs.yaml> [--task NAME] [--status S] [--since TIME] [-n N] [--format text|json]
            jobrun --status <jobs.yaml> [--format text|json]
            """,
        discussion: """
            EXAMPLES:
              jobrun --validate examples/*.yaml      check files in CI (exit 2 when invalid)
              jobrun --plan jobs.yaml -n 3           show each task's next three start times
              jobrun --state jobs.db jobs.yaml       run, keeping every run in jobs.db across restarts
              jobrun --history jobs.yaml -n 20       the last 20 runs the store recorded
              jobrun --watch --listen :9090 jobs.yaml  reload on change; /metrics

            SIGNALS: SIGINT or SIGTERM stops gracefully (a second kills every job);
            SIGQUIT kills every job at once; SIGHUP reloads the file; SIGUSR1 prints
            the status table.

            \(JobrunExit.help)
            """,
        version: JobrunVersion.string
    )

    @Flag(name: .customLong("validate"), help: "Check the files and run nothing.")
    var validateOnly = false

    @Flag(help: "Print the next start times of every task and run nothing.")
    var plan = false

    @Flag(help: "List the runs the store recorded, newest first, and run nothing.")
    var history = false

    @Option(name: .customLong("status"), help: ArgumentHelp("Alone: print one row per task from the store (last run, running, next due, last 10) and run nothing. With --history: only runs with this status.", valueName: "S"))
    var statusFilter: String?

    /// `--status` as a mode (main.swift turns a `--status` without `--history` into this).
    @Flag(name: .customLong("status-table"), help: .hidden)
    var statusTable = false

    @Option(help: ArgumentHelp("With --history: only this task's runs.", valueName: "NAME"))
    var task: String?

    @Option(help: ArgumentHelp("With --history: only runs due at or after TIME (RFC 3339, or local in the file's zone).", valueName: "TIME"))
    var since: String?

    @Option(help: ArgumentHelp("The state store: an SQLite file kept across restarts, or a postgres:// URL that replicas of a cluster share (overrides `state:`).", valueName: "PATH|URL"))
    var state: String?

    @Option(name: .customShort("n"), help: ArgumentHelp("With --plan: how many start times per task (default 5). With --history: how many runs (default 20).", valueName: "N"))
    var count: Int?

    @Option(help: ArgumentHelp("With --plan: plan as if started at TIME (RFC 3339, or local in the file's zone) instead of now.", valueName: "TIME"))
    var from: String?

    @Option(help: ArgumentHelp("Console output: human text, or JSON (with --validate one array of diagnostics; for a run one JSON object per event, JSON Lines).", valueName: "text|json"))
    var format: OutputFormat = .text

    @Flag(help: "Count warnings as errors (exit 2).")
    var strict = false

    @Option(name: [.short, .long], help: ArgumentHelp("Size of the worker pool (overrides `workers:`).", valueName: "N"))
    var workers: Int?

    @Option(help: ArgumentHelp("Where the JSON report goes; - for stdout (default: `report:` of the file, else jobrun-report.json).", valueName: "PATH"))
    var report: String?

    @Flag(help: "Write no report.")
    var noReport = false

    @Option(help: ArgumentHelp("Also write JUnit XML, one test case per run, for CI test-report views.", valueName: "PATH"))
    var junit: String?

    @Option(help: ArgumentHelp("Also keep the whole stdout and stderr of every attempt, in a directory of this run's own inside DIR.", valueName: "DIR"))
    var logDir: String?

    @Option(name: .customLong("for"), help: ArgumentHelp("After this long (e.g. 10m), start no new run or retry; running attempts finish; what never started is recorded cancelled.", valueName: "DURATION"))
    var runFor: String?

    @Option(help: ArgumentHelp("Run only this task (repeatable); its `after:` tasks come along.", valueName: "NAME"))
    var only: [String] = []

    @Option(help: ArgumentHelp("Run only tasks with this tag (repeatable); their `after:` tasks come along.", valueName: "TAG"))
    var tag: [String] = []

    @Flag(help: "Run each selected task (all, or --only/--tag) once, now, whatever its schedule; after: is honoured. A schedule: never task still waits for its trigger unless --only names it.")
    var now = false

    @Flag(name: [.short, .long], help: "No job output on the console, only failures and the summary.")
    var quiet = false

    @Option(help: ArgumentHelp("Serve GET /metrics (Prometheus), /healthz and /status over HTTP at ADDR:PORT; :PORT is 127.0.0.1:PORT (overrides `listen:`).", valueName: "ADDR:PORT"))
    var listen: String?

    @Flag(help: "Reload the file when it changes on disk (as SIGHUP does), a Kubernetes ConfigMap's update included.")
    var watch = false

    @Option(help: ArgumentHelp("This replica's id in a cluster (a postgres:// state); default host:pid:random.", valueName: "NAME"))
    var replica: String?

    @Option(help: ArgumentHelp("Colour on the console: auto (on a terminal, unless NO_COLOR is set; the default), always or never.", valueName: "auto|always|never"))
    var color: ColorChoice?

    @Argument(help: ArgumentHelp("The jobs file (several with --validate).", valueName: "file"))
    var files: [String] = []

    mutating func validate() throws {
        let modes = [("--validate", validateOnly), ("--plan", plan), ("--history", history), ("--status", statusTable)].filter(\.1)
        if modes.count > 1 { throw ValidationError("choose one of \(modes.map(\.0).joined(separator: " and "))") }
        if !history {
            if task != nil { throw ValidationError("--task is for --history") }
            if since != nil { throw ValidationError("--since is for --history") }
            if statusFilter != nil { throw ValidationError("--status S is for --history (alone, --status takes no value)") }
        }
        if let s = statusFilter, RunStatus(rawValue: s) == nil {
            throw ValidationError("--status \(s) is not a status (one of \(RunStatus.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        if (validateOnly || plan) && state != nil { throw ValidationError("--state is for running a file, --history and --status") }
        if (validateOnly || plan || history || statusTable) && replica != nil { throw ValidationError("--replica is for running a file in a cluster") }
        if let replica, replica.isEmpty || replica.contains(where: { $0.isNewline }) {
            throw ValidationError("--replica takes a name on one line")
        }
        if files.isEmpty { throw ValidationError("give a jobs file, e.g. `jobrun --validate jobs.yaml`") }
        if !validateOnly && files.count > 1 { throw ValidationError("give one jobs file (only --validate takes several)") }
        if let count, count < 1 || count > (history ? 1_000_000 : 10_000) {
            throw ValidationError("-n takes 1 to \(history ? "1000000" : "10000")")
        }
        // An option that does not apply to the chosen mode is a mistake, not something to ignore.
        if !plan {
            if from != nil { throw ValidationError("--from is for --plan") }
            if count != nil && !history { throw ValidationError("-n is for --plan and --history") }
        }
        if validateOnly || plan || history || statusTable {
            let mode = modes.first?.0 ?? "--plan"
            let runOptions: [(String, Bool)] = [
                ("--workers", workers != nil), ("--report", report != nil), ("--no-report", noReport),
                ("--junit", junit != nil), ("--log-dir", logDir != nil), ("--for", runFor != nil),
                ("--only", !only.isEmpty), ("--tag", !tag.isEmpty), ("--quiet", quiet), ("--color", color != nil),
                ("--now", now), ("--listen", listen != nil), ("--watch", watch),
            ]
            if let given = runOptions.first(where: \.1) {
                throw ValidationError("\(given.0) is for running a file; \(mode) runs nothing")
            }
        }
        if let listen, ListenAddress(listen) == nil {
            throw ValidationError("--listen \(listen) is not ADDR:PORT (examples: :9090 for 127.0.0.1:9090, 0.0.0.0:9090, [::1]:9090)")
        }
        if noReport && report != nil { throw ValidationError("choose one of --report and --no-report") }
        if let workers, !(1...1024).contains(workers) { throw ValidationError("--workers takes 1 to 1024") }
        if let runFor, ValueSyntax.duration(runFor).map({ $0 > .zero }) != true {
            throw ValidationError("--for \(runFor) is not a duration (examples: 30s, 10m, 1h30m)")
        }
    }

    func run() async throws { try await execute() }

    /// The command's work; `main.swift` calls it directly so argument errors keep exit code 2.
    func execute() async throws {
        let environment = ProcessInfo.processInfo.environment
        // Signals first: a SIGTERM that arrives while the file is read must not kill jobrun
        // before it can write a report.
        let reading = validateOnly || plan || history || statusTable
        let signals = reading ? nil : await JobRun.trapSignals()
        var console = Console()
        if validateOnly {
            let (ok, last) = ValidateAction(files: files, format: format, strict: strict, environment: environment, linting: true)
                .run(&console)
            // Exit with the result still alive: tearing down a large file's tree is wasted work.
            withExtendedLifetime(last) { Self.exit(withError: ok ? JobrunExit.success : JobrunExit.invalid) }
        }
        let file = files[0]
        var unusedJSON: [String] = []
        // --plan, --history and --status run nothing either: like --validate, they need no secrets.
        let (validated, ok) = ValidateAction(files: [file], format: .text, strict: strict, environment: environment, linting: reading)
            .load(file, console: &console, quietWhenValid: true, collectJSON: &unusedJSON)
        guard ok, let jobs = validated.file else { throw JobrunExit.invalid }
        if plan {
            let start = try from.map { try time($0, jobs, "--from") } ?? Instant.now()
            let plan = PlanListing(jobs, start: start, limit: count ?? 5)
            console.out(format == .json ? plan.json(file: file) : plan.text(file: file))
            throw JobrunExit.success
        }
        if history || statusTable {
            let action = StateAction(file: file, jobs: jobs, path: try statePath(jobs), format: format, environment: environment)
            do {
                if history {
                    try await action.history(task: task, status: statusFilter, since: try since.map { try time($0, jobs, "--since") },
                                             limit: count ?? 20, console: &console)
                } else {
                    try await action.status(console: &console)
                }
            } catch let failure as JobrunError {
                console.err("jobrun: \(failure)")
                throw JobrunExit.internalFailure
            }
            throw JobrunExit.success
        }
        let invocation = try runInvocation(file: file, jobs: jobs)
        do {
            let code = try await JobRun(file: now ? jobs.dueOnceNow(named: Set(only)) : jobs, invocation: invocation, signals: signals!).run()
            throw ExitCode(code)
        } catch let failure as JobrunError {
            console.err("jobrun: \(failure)")
            throw JobrunExit.internalFailure
        }
    }
}

/// `--color`.
enum ColorChoice: String, ExpressibleByArgument, CaseIterable {
    case auto, always, never
}

/// Console output format.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

/// The version `--version` prints and the report records.
enum JobrunVersion {
    static let string = "0.1.0"
}
