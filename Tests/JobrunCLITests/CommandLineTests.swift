import Foundation
import Testing

@Suite struct CommandLineTests {
    @Test func helpShowsUsageExitCodesAndAnExample() throws {
        let r = try JobrunBinary.run(["--help"])
        #expect(r.status == 0)
        for text in ["--validate", "--plan", "EXIT CODES", "128+N", "jobrun --validate examples/*.yaml"] {
            #expect(r.stdout.contains(text), "\(text)")
        }
    }

    @Test(arguments: [
        ["--bogus", "x.yaml"], [], ["--validate", "--plan", "x.yaml"], ["--plan", "a.yaml", "b.yaml"],
        ["--plan", "examples/seed-demo.yaml", "-n", "0"], ["--validate", "--format", "xml", "x.yaml"],
    ])
    func usageErrorsExitTwo(_ arguments: [String]) throws {
        let r = try JobrunBinary.run(arguments)
        #expect(r.status == 2)
        #expect(r.stderr.contains("Error:"))
    }

    @Test func anInvalidFileIsNeverRun() throws {
        let bad = try JobrunBinary.run([JobrunBinary.fixture("invalid/enum-type.yaml"), "--no-report"])
        #expect(bad.status == 2)
        #expect(bad.stdout.contains("invalid"))
    }

    @Test func versionPrints() throws {
        let r = try JobrunBinary.run(["--version"])
        #expect(r.status == 0)
        #expect(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ".").count == 3)
    }
}
