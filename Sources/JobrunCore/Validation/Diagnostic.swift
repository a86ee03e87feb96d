import JobrunYAML

/// One problem found in a jobs file: where, how bad, and what to do.
public struct Diagnostic: Sendable, Hashable, Comparable, Error {
    /// How bad a problem is.
    public enum Severity: String, Sendable, Hashable {
        case error, warning
    }

    /// Error or warning.
    public var severity: Severity
    /// The position of the offending node.
    public var location: SourceLocation
    /// The dotted path of the offending value, e.g. `tasks[2].timeout`; empty for problems at document level.
    public var path: String
    /// The message: what is wrong and how to fix it.
    public var message: String

    /// Creates a diagnostic.
    public init(_ severity: Severity, _ message: Message, at location: SourceLocation, path: String) {
        self.severity = severity
        self.location = location
        self.path = path
        self.message = message.text
    }

    /// Diagnostics sort by position, then errors before warnings, then path.
    public static func < (a: Diagnostic, b: Diagnostic) -> Bool {
        if a.location != b.location { return a.location < b.location }
        if a.severity != b.severity { return a.severity == .error }
        return a.path < b.path
    }

    /// `file:line:col: severity: path: message`, the format compilers use.
    public func formatted(file: String) -> String {
        let prefix = "\(file):\(location.line):\(location.column): \(severity.rawValue): "
        return path.isEmpty ? prefix + message : prefix + path + ": " + message
    }
}

extension Array where Element == Diagnostic {
    /// Whether any diagnostic is an error (or, when `strict`, a warning).
    public func fails(strict: Bool) -> Bool {
        contains { $0.severity == .error || strict }
    }
}

extension Diagnostic {
    /// `{"file":…,"line":…,"column":…,"severity":…,"message":…,"path":…}`.
    public func json(file: String) -> String {
        JSONText.object([
            "file": JSONText.string(file), "line": String(location.line), "column": String(location.column),
            "severity": JSONText.string(severity.rawValue), "message": JSONText.string(message),
            "path": JSONText.string(path),
        ])
    }

    /// A GitHub Actions workflow command that shows the diagnostic as an annotation.
    public func githubAnnotation(file: String) -> String {
        let data = GitHubAnnotation.data, property = GitHubAnnotation.property
        let title = path.isEmpty ? "jobrun" : "jobrun: \(path)"
        return "::\(severity == .error ? "error" : "warning") file=\(property(file)),line=\(location.line),col=\(location.column),title=\(property(title))::\(data(message))"
    }
}
