@testable import JobrunCore
import JobrunYAML
import JobrunTestSupport
import Testing

@Suite struct WideMappingTests {
    // A known key after 32,768 unknown ones once trapped in a 16-bit index.
    @Test func aKnownKeyAfterManyUnknownOnesIsStillRead() throws {
        let junk = 32_768
        let text = (0..<junk).map { "k\($0): 0\n" }.joined() + "version: 1\ntasks:\n  - name: a\n    command: 5\n    retries: -1\n"
        let v = validate(text)
        // Every junk key is reported, and the task after them was read (its bad retries found).
        #expect(v.diagnostics.count == junk + 1)
        #expect(v.diagnostics.prefix(junk).allSatisfy { $0.message.contains("unknown key") })
        #expect(v.diagnostics.last?.path == "tasks[0].retries", "\(v.diagnostics.last.map { $0.formatted(file: "f") } ?? "")")
    }
}

/// Messages a newcomer met, said in the file's terms.
@Suite struct NewcomerMessageTests {
    @Test func misplacedAndForeignKeysPointToTheirPlace() {
        expectDiagnostics("""
            1️⃣num_workers: 4
            tasks:
              - name: a
                command: x
                2️⃣max_retries: 3
                3️⃣url: https://example.com/
                4️⃣subject: Hi
                after: 5️⃣build
              - {name: build, command: x}
            """, [
                ("1️⃣", .error, "num_workers", "did you mean \"workers\"?"),
                ("2️⃣", .error, "tasks[0].max_retries", "did you mean \"retries\"?"),
                ("3️⃣", .error, "tasks[0].url", "under `http:`"),
                ("4️⃣", .error, "tasks[0].subject", "under `email:`"),
                ("5️⃣", .error, "tasks[0].after", "for a list of one, write [build]"),
            ])
    }

    @Test func aTabAndABadIndentAreExplained() {
        let tab = validate("tasks:\n\t- name: a\n").diagnostics
        #expect(tab.first?.message.contains("a tab character; YAML indents with spaces") == true, "\(tab)")
        #expect(tab.first?.location.line == 2 && tab.first?.location.column == 1)
        let indent = validate("tasks:\n  - name: a\n    command: x\n     timeout: 5s\n").diagnostics
        #expect(indent.first?.message.contains("indented more than the key above it expects") == true, "\(indent)")
    }

    @Test func likelyMistakesAreWarnings() {
        expectDiagnostics("""
            tasks:
              - {name: a, command: x, schedule: 1️⃣"*/10 * * * * *"}
              - {name: b, command: x, schedule: "0/10 * * * * *"}
              - {name: c, command: x, repeat: 1m, jitter: 2️⃣1m}
              - {name: d, command: x, repeat: 1m, jitter: 10s}
            """, [
                ("1️⃣", .warning, "tasks[0].schedule", "for minutes write \"*/10 * * * *\""),
                ("2️⃣", .warning, "tasks[2].jitter", "jitter 1m is not shorter than the interval 1m"),
            ])
    }
}
