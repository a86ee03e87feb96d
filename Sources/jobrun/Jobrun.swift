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
            """,
        discussion: """
            EXAMPLES:
              jobrun --validate examples/*.yaml      check files in CI (exit 2 when invalid)
              jobrun --plan jobs.yaml -n 3           show each task's next three start times

            \(JobrunExit.help)
            """,
        version: JobrunVersion.string
    )

    @Flag(name: .customLong("validate"), help: "Check the files and run nothing.")
    var validateOnly = false

    @Flag(help: "Print the next start times of every task and run nothing.")
    var plan = false

    @Option(name: .customShort("n"), help: ArgumentHelp("With --plan: how many start times per task (default 5).", valueName: "N"))
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

    @Flag(help: "Run each selected task (all, or --only/--tag) once, now, whatever its schedule; after: is honoured.")
    var now = false

    @Flag(name: [.short, .long], help: "No job output on the console, only failures and the summary.")
    var quiet = false

    @Option(help: ArgumentHelp("Colour on the console: auto (on a terminal, unless NO_COLOR is set; the default), always or never.", valueName: "auto|always|never"))
    var color: ColorChoice?

    @Argument(help: ArgumentHelp("The jobs file (several with --validate).", valueName: "file"))
    var files: [String] = []

    mutating func validate() throws {
        if validateOnly && plan { throw ValidationError("choose one of --validate and --plan") }
        if files.isEmpty { throw ValidationError("give a jobs file, e.g. `jobrun --validate jobs.yaml`") }
        if !validateOnly && files.count > 1 { throw ValidationError("give one jobs file (only --validate takes several)") }
        if let count, count < 1 || count > 10_000 { throw ValidationError("-n takes 1 to 10000") }
        // An option that does not apply to the chosen mode is a mistake, not something to ignore.
        if !plan {
            if from != nil { throw ValidationError("--from is for --plan") }
            if count != nil { throw ValidationError("-n is for --plan") }
        }
        if validateOnly || plan {
            let mode = validateOnly ? "--validate" : "--plan"
            let runOptions: [(String, Bool)] = [
                ("--workers", workers != nil), ("--report", report != nil), ("--no-report", noReport),
                ("--junit", junit != nil), ("--log-dir", logDir != nil), ("--for", runFor != nil),
                ("--only", !only.isEmpty), ("--tag", !tag.isEmpty), ("--quiet", quiet), ("--color", color != nil),
                ("--now", now),
            ]
            if let given = runOptions.first(where: \.1) {
                throw ValidationError("\(given.0) is for running a file; \(mode) runs nothing")
            }
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
        let signals = validateOnly || plan ? nil : await JobRun.trapSignals()
        var console = Console()
        if validateOnly {
            let (ok, last) = ValidateAction(files: files, format: format, strict: strict, environment: environment, linting: true)
                .run(&console)
            // Exit with the result still alive: tearing down a large file's tree is wasted work.
            withExtendedLifetime(last) { Self.exit(withError: ok ? JobrunExit.success : JobrunExit.invalid) }
        }
        let file = files[0]
        var unusedJSON: [String] = []
        // --plan runs nothing either: like --validate, it needs no secrets.
        let (validated, ok) = ValidateAction(files: [file], format: .text, strict: strict, environment: environment, linting: plan)
            .load(file, console: &console, quietWhenValid: true, collectJSON: &unusedJSON)
        guard ok, let jobs = validated.file else { throw JobrunExit.invalid }
        if plan {
            let start: Instant
            if let from {
                guard let t = ValueSyntax.timestamp(from) else {
                    throw ValidationError("--from \(from) is not a timestamp (e.g. 2026-12-01T02:00:00Z)")
                }
                start = t.instant(in: jobs.zone)
                guard PlanListing.writable(start, zone: jobs.zone) != nil else {
                    throw ValidationError("--from \(from) is outside the years 0000 to 9999 in UTC or in \(jobs.zone.identifier)")
                }
            } else {
                start = Instant.now()
            }
            let plan = PlanListing(jobs, start: start, limit: count ?? 5)
            console.out(format == .json ? plan.json(file: file) : plan.text(file: file))
            throw JobrunExit.success
        }
        let invocation = try runInvocation(file: file, jobs: jobs)
        do {
            let code = try await JobRun(file: now ? jobs.dueOnceNow() : jobs, invocation: invocation, signals: signals!).run()
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
