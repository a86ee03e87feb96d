import Foundation
import JobrunCore

/// `jobrun --validate`: reads each file, prints its diagnostics, says whether all are valid.
struct ValidateAction {
    let files: [String]
    let format: OutputFormat
    let strict: Bool
    let environment: [String: String]
    /// `--validate` or `--plan` (not a run): unset `${NAME}`s are warnings.
    var linting = false

    private var github: Bool { environment["GITHUB_ACTIONS"] == "true" }

    /// Validates every file; true when all pass. Also returns the last result, which the
    /// caller may keep alive until it exits.
    func run(_ console: inout Console) -> (ok: Bool, last: Validated?) {
        var ok = true
        var json: [String] = []
        var last: Validated?
        for file in files {
            last = nil
            let (validated, fileOK) = load(file, console: &console, quietWhenValid: false, collectJSON: &json)
            last = validated
            ok = ok && fileOK
        }
        if format == .json { console.out("[" + json.joined(separator: ",\n") + "]") }
        return (ok, last)
    }

    /// Reads and validates one file and prints its diagnostics (to stderr, when
    /// `quietWhenValid` and the file passes); with `--format json` they are collected instead.
    func load(_ file: String, console: inout Console, quietWhenValid: Bool, collectJSON json: inout [String]) -> (Validated, Bool) {
        var validator = JobFileValidator(environment: environment)
        validator.linting = linting
        let validated = validator.validate(contentsOf: file)
        let diagnostics = validated.diagnostics
        let ok = !diagnostics.fails(strict: strict)
        if format == .json {
            json += diagnostics.map { $0.json(file: file) }
            return (validated, ok)
        }
        var lines = diagnostics.map { $0.formatted(file: file) }
        if github { lines += diagnostics.map { $0.githubAnnotation(file: file) } }
        let errors = diagnostics.filter { $0.severity == .error }.count
        let warnings = diagnostics.count - errors
        if !ok || !quietWhenValid {
            if ok {
                let n = validated.file?.tasks.count ?? 0
                lines.append("\(file): valid, \(n) task\(n == 1 ? "" : "s")\(warnings > 0 ? ", \(Self.plural(warnings, "warning"))" : "")")
            } else {
                lines.append("\(file): invalid, \([errors > 0 ? Self.plural(errors, "error") : nil, warnings > 0 ? Self.plural(warnings, "warning") : nil].compactMap { $0 }.joined(separator: ", "))\(strict && errors == 0 ? " (--strict)" : "")")
            }
        }
        if !lines.isEmpty {
            if ok && quietWhenValid { console.err(lines.joined(separator: "\n")) } else { console.out(lines.joined(separator: "\n")) }
        }
        return (validated, ok)
    }

    private static func plural(_ n: Int, _ word: String) -> String { "\(n) \(word)\(n == 1 ? "" : "s")" }
}

