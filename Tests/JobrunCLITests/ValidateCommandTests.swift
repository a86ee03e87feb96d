import Foundation
import JobrunTestSupport
import Testing

private func json(_ text: String) throws -> [[String: Any]] {
    try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]])
}

@Suite struct ValidateCommandTests {
    static let invalidFixtures: [String] = {
        let dir = JobrunBinary.packageRoot.appendingPathComponent("Tests/JobrunCLITests/Fixtures/invalid")
        return ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [])
            .filter { $0.hasSuffix(".yaml") }.sorted()
    }()

    static let examples: [String] = {
        let dir = JobrunBinary.packageRoot.appendingPathComponent("examples")
        return ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [])
            .filter { $0.hasSuffix(".yaml") }.sorted()
    }()

    @Test func thereAreFixturesAndExamples() {
        #expect(Self.invalidFixtures.count >= 40)
        #expect(Self.examples.count >= 5)
    }

    /// Each fixture's `.expected` lists `line:col: severity: path` for every diagnostic.
    @Test(arguments: invalidFixtures)
    func invalidFixtureGivesExactlyTheExpectedDiagnostics(_ name: String) throws {
        let path = JobrunBinary.fixture("invalid/\(name)")
        let expected = try String(contentsOfFile: path.replacingOccurrences(of: ".yaml", with: ".expected"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        let result = try JobrunBinary.run(["--validate", "--format", "json", path])
        let got = try json(result.stdout).map { d in
            "\(d["line"]!):\(d["column"]!): \(d["severity"]!): \((d["path"] as! String).isEmpty ? "-" : d["path"] as! String)"
        }
        #expect(got == expected)
        let onlyWarnings = expected.allSatisfy { $0.contains(": warning: ") }
        #expect(result.status == (onlyWarnings ? 0 : 2))
        if onlyWarnings {
            #expect(try JobrunBinary.run(["--validate", "--strict", path]).status == 2)
        }
    }

    @Test(arguments: examples)
    func everyExampleIsValidEvenWhenStrict(_ name: String) throws {
        let result = try JobrunBinary.run(["--validate", "--strict", "examples/\(name)"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("examples/\(name): valid"))
    }

    @Test func textDiagnosticsUseTheCompilerFormat() throws {
        let r = try JobrunBinary.run(["--validate", JobrunBinary.fixture("invalid/duration-words.yaml")])
        #expect(r.status == 2)
        let first = try #require(r.stdout.split(separator: "\n").first)
        #expect(first.hasSuffix("duration-words.yaml:12:14: error: tasks[2].timeout: \"5 minutes\" is not a duration (examples: 250ms, 30s, 5m, 1h30m, 2d, or 300 for seconds)"))
        #expect(r.stdout.contains("invalid, 1 error"))
    }

    @Test func jsonDiagnosticsHaveTheSpecifiedKeys() throws {
        let r = try JobrunBinary.run(["--validate", "--format", "json", "examples/seed-demo.yaml", JobrunBinary.fixture("invalid/many-problems.yaml")])
        #expect(r.status == 2)
        let all = try json(r.stdout)
        #expect(all.count == 10)
        for d in all {
            #expect(Set(d.keys) == ["file", "line", "column", "severity", "message", "path"])
        }
        #expect(r.stdout.hasPrefix("[{\"file\":"))
    }

    @Test func githubActionsGetsAnnotations() throws {
        let r = try JobrunBinary.run(["--validate", JobrunBinary.fixture("invalid/enum-overlap.yaml")], environment: ["GITHUB_ACTIONS": "true"])
        let line = try #require(r.stdout.split(separator: "\n").first { $0.hasPrefix("::error ") })
        #expect(line.contains("file=\(JobrunBinary.fixture("invalid/enum-overlap.yaml"))"))
        #expect(line.contains(",line=") && line.contains(",col=") && line.contains("title=jobrun%3A tasks"))
        let w = try JobrunBinary.run(["--validate", JobrunBinary.fixture("invalid/warn-dst-gap.yaml")], environment: ["GITHUB_ACTIONS": "true"])
        #expect(w.stdout.contains("::warning file="))
        #expect(w.status == 0)
    }

    @Test func severalFilesAreCheckedAndAnyInvalidOneFails() throws {
        let ok = try JobrunBinary.run(["--validate"] + Self.examples.map { "examples/\($0)" })
        #expect(ok.status == 0)
        let bad = try JobrunBinary.run(["--validate", "examples/seed-demo.yaml", JobrunBinary.fixture("invalid/empty.yaml")])
        #expect(bad.status == 2)
        #expect(bad.stdout.contains("seed-demo.yaml: valid"))
        #expect(bad.stdout.contains("empty.yaml:1:1: error: the file is empty"))
    }

    @Test func hostileInputGetsAClearErrorNotACrash() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("jobrun-hostile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        // 100 MB, sparse: the size check must refuse it without reading it.
        let huge = dir.appendingPathComponent("huge.yaml")
        _ = FileManager.default.createFile(atPath: huge.path, contents: nil)
        let handle = try FileHandle(forWritingTo: huge)
        try handle.truncate(atOffset: 100 << 20)
        try handle.close()
        // A binary file.
        let binary = dir.appendingPathComponent("binary.yaml")
        try Data([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0]).write(to: binary)
        // 10,000-deep nesting and an alias bomb.
        let deep = dir.appendingPathComponent("deep.yaml")
        try (String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)).write(to: deep, atomically: true, encoding: .utf8)
        var bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for i in 1...9 { bomb += "a\(i): &a\(i) [\(Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", "))]\n" }
        let bombFile = dir.appendingPathComponent("bomb.yaml")
        try bomb.write(to: bombFile, atomically: true, encoding: .utf8)

        for (file, words) in [(huge, "at most 64 MiB"), (binary, "binary file"), (deep, "nests deeper than 256"),
                              (bombFile, "alias bomb"), (dir.appendingPathComponent("missing.yaml"), "cannot read the file"), (dir, "directory")] {
            let r = try JobrunBinary.run(["--validate", file.path])
            #expect(r.status == 2, "\(file.lastPathComponent)")
            #expect(r.stdout.contains(words), "\(file.lastPathComponent): \(r.stdout)")
            #expect(r.stderr.isEmpty, "\(r.stderr)")
        }
    }
}

@Suite struct WideFileTests {
    // 32,767 unknown keys and then `tasks:` (a 316 KB file) once trapped in --validate,
    // --plan and runs alike (exit 132, no diagnostics).
    @Test(arguments: [["--validate"], ["--plan"], []])
    func aKnownKeyAfter32767UnknownOnesIsAnErrorPerKeyNotACrash(mode: [String]) throws {
        let w = try Workspace((0..<32_767).map { "k\($0): 0\n" }.joined() + "tasks:\n  - {name: a, command: \"touch ran\"}\n")
        let r = try JobrunBinary.run(mode + ["jobs.yaml"], in: w.url)
        #expect(r.status == 2)
        let last = r.stdout.split(separator: "\n").first { $0.hasPrefix("jobs.yaml:32767:1: error: ") } ?? ""
        #expect(last.contains("unknown key \"k32766\""), "\(r.stdout.suffix(300))")
        #expect(r.stdout.contains("jobs.yaml: invalid, 32767 errors"), "\(r.stdout.suffix(300))")
        #expect(w.file("ran") == nil)
    }
}
