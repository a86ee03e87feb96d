import JobrunCore
import Testing

/// Large files are parsed and read on two threads; the result must be exactly what the
/// one-thread path gives.
@Suite struct StreamingValidationTests {
    private func both(_ text: String) -> (Validated, Validated) {
        var streaming = JobFileValidator(environment: ["TZ": "Europe/Berlin"])
        streaming.streamingThreshold = 0
        var sequential = streaming
        sequential.streamingThreshold = .max
        return (streaming.validate(Array(text.utf8)), sequential.validate(Array(text.utf8)))
    }

    private func tasks(_ n: Int, bad every: Int = 0) -> String {
        (0..<n).map { i in
            let timeout = every > 0 && i % every == 0 ? "five" : "5s"
            let after = i == 0 ? "" : ", after: [t\(i - 1)]"
            return "  - {name: t\(i), command: [echo, \"\(i)\"], timeout: \(timeout), schedule: 2026-03-29T02:30:00\(after)}"
        }.joined(separator: "\n")
    }

    @Test func aValidFileGivesTheSameModel() throws {
        let text = "timezone: America/New_York\ndefaults: {retries: 2}\ntasks:\n\(tasks(3000))\n"
        let (s, q) = both(text)
        #expect(s.diagnostics.filter { $0.severity == .error }.isEmpty, "\(s.diagnostics.prefix(3).map(\.message))")
        let a = try #require(s.file), b = try #require(q.file)
        #expect(a.tasks.count == 3000 && b.tasks.count == 3000)
        #expect(a.tasks.map(\.name) == b.tasks.map(\.name))
        #expect(a.tasks.map(\.retry.retries) == b.tasks.map(\.retry.retries))
        #expect(a.tasks.map(\.schedule) == b.tasks.map(\.schedule))
        #expect(s.diagnostics == q.diagnostics)
    }

    @Test func errorsAndWarningsAreTheSame() {
        let text = "timezone: Europe/Berlin\ndefaults: {retries: many}\ntasks:\n\(tasks(2000, bad: 7))\n  - oops\n"
        let (s, q) = both(text)
        #expect(s.diagnostics.count > 500)
        #expect(s.diagnostics == q.diagnostics)
    }

    @Test func defaultsAfterTheTasksStillApply() throws {
        let text = "tasks:\n\(tasks(500))\ndefaults: {retries: 3}\ntimezone: Asia/Tokyo\n"
        let (s, q) = both(text)
        #expect(s.file?.tasks.allSatisfy { $0.retry.retries == 3 } == true, "\(s.diagnostics.prefix(3).map(\.message))")
        #expect(s.file?.tasks.map(\.schedule) == q.file?.tasks.map(\.schedule))
        #expect(s.diagnostics == q.diagnostics)
    }

    // Found by the fuzzer (Tests/JobrunCLITests/Fixtures/fuzz-regressions/): of duplicate
    // keys YAML keeps the first, and the streaming reader must not read the tasks or the
    // defaults of the second.
    @Test func aDuplicateTasksKeyIsNotRead() {
        let text = "tasks:\n  - x\ntasks:\n  - command: [true]\n"
        let (s, q) = both(text)
        #expect(s.diagnostics.count == 2)
        #expect(s.diagnostics == q.diagnostics)
    }

    @Test func theFirstOfDuplicateDefaultsApplies() {
        let text = "defaults: {retries: 0}\ndefaults: {retries: 5, retry_delay: 1h}\n"
            + "tasks:\n  - {name: a, command: [\"true\"], schedule: \"@every 5m\"}\n"
        let (s, q) = both(text)
        #expect(s.diagnostics.count == 1)
        #expect(s.diagnostics == q.diagnostics)
    }

    @Test func yamlErrorsAreTheSame() {
        let text = "tasks:\n\(tasks(500))\n  - [unclosed\n"
        let (s, q) = both(text)
        #expect(!s.diagnostics.isEmpty)
        #expect(s.diagnostics == q.diagnostics)
    }
}
