import ArgumentParser
import Foundation
import JobrunCore

/// The `jobrun` command: maps flags onto the library and picks the exit code.
struct Jobrun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobrun",
        abstract: "Validate, plan and run the tasks of a jobs.yaml file.",
        usage: """
            jobrun [options] <jobs.yaml>
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

    @Option(name: .customShort("n"), help: ArgumentHelp("With --plan: how many start times per task.", valueName: "N"))
    var count = 5

    @Option(help: ArgumentHelp("With --plan: plan as if started at TIME (RFC 3339, or local in the file's zone) instead of now.", valueName: "TIME"))
    var from: String?

    @Option(help: ArgumentHelp("Output: human text, or JSON (diagnostics as one JSON array).", valueName: "text|json"))
    var format: OutputFormat = .text

    @Flag(help: "Count warnings as errors (exit 2).")
    var strict = false

    @Argument(help: ArgumentHelp("The jobs file (several with --validate).", valueName: "file"))
    var files: [String] = []

    mutating func validate() throws {
        if validateOnly && plan { throw ValidationError("choose one of --validate and --plan") }
        if files.isEmpty { throw ValidationError("give a jobs file, e.g. `jobrun --validate jobs.yaml`") }
        if !validateOnly && files.count > 1 { throw ValidationError("give one jobs file (only --validate takes several)") }
        if count < 1 || count > 10_000 { throw ValidationError("-n takes 1 to 10000") }
        if from != nil && !plan { throw ValidationError("--from is for --plan") }
    }

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        var console = Console()
        if validateOnly {
            let (ok, last) = ValidateAction(files: files, format: format, strict: strict, environment: environment).run(&console)
            // Exit with the result still alive: tearing down a large file's tree is wasted work.
            withExtendedLifetime(last) { Self.exit(withError: ok ? JobrunExit.success : JobrunExit.invalid) }
        }
        let file = files[0]
        guard let (validated, ok) = ValidateAction(files: [file], format: .text, strict: strict, environment: environment)
            .load(file, console: &console, quietWhenValid: true)
        else { throw JobrunExit.invalid }
        guard ok, let jobs = validated.file else { throw JobrunExit.invalid }
        if plan {
            let start: Instant
            if let from {
                guard let t = ValueSyntax.timestamp(from) else {
                    throw ValidationError("--from \(from) is not a timestamp (e.g. 2026-12-01T02:00:00Z)")
                }
                switch t {
                case .instant(let i): start = i
                case .local(let c, let ms): start = Instant(milliseconds: jobs.zone.instant(local: c.localSeconds) * 1000 + Int64(ms))
                }
            } else {
                start = Instant(milliseconds: Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)))
            }
            console.out(Plan(jobs, start: start, limit: count).text(file: file))
            throw JobrunExit.success
        }
        console.err("jobrun: \(file) is valid (\(jobs.tasks.count) task\(jobs.tasks.count == 1 ? "" : "s")), but running tasks is not implemented in this version; use --validate or --plan")
        throw JobrunExit.internalFailure
    }
}

/// Console output format.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

/// The version `--version` prints and the report records.
enum JobrunVersion {
    static let string = "0.1.0"
}
