@testable import JobrunCore
import JobrunYAML
import JobrunTestSupport
import Testing

func validate(_ text: String, env: [String: String] = [:]) -> Validated {
    JobFileValidator(environment: env).validate(Array(text.utf8))
}

/// (marker, severity, path, fragment of the message) for each expected diagnostic.
typealias Expected = (String, Diagnostic.Severity, String, String)

func expectDiagnostics(_ marked: String, _ expected: [Expected], sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    let m = MarkedText(marked)
    let got = validate(m.text).diagnostics
    #expect(got.count == expected.count, "got: \(got.map { $0.formatted(file: "f") })", sourceLocation: sourceLocation)
    for (d, e) in zip(got, expected) {
        #expect(d.location == m[e.0], "\(d.formatted(file: "f"))", sourceLocation: sourceLocation)
        #expect(d.severity == e.1, sourceLocation: sourceLocation)
        #expect(d.path == e.2, sourceLocation: sourceLocation)
        #expect(d.message.contains(e.3), "\(d.message)", sourceLocation: sourceLocation)
    }
}
