import Foundation
import JobrunTestSupport
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

    // Options that do not apply to the chosen mode were once accepted and ignored.
    @Test(arguments: [
        (["examples/seed-demo.yaml", "-n", "3"], "-n is for --plan"),
        (["examples/seed-demo.yaml", "--from", "2026-12-01T00:00:00Z"], "--from is for --plan"),
        (["--validate", "--workers", "2", "examples/seed-demo.yaml"], "--workers is for running a file; --validate runs nothing"),
        (["--plan", "--report", "r.json", "examples/seed-demo.yaml"], "--report is for running a file; --plan runs nothing"),
        (["--validate", "--quiet", "examples/seed-demo.yaml"], "--quiet is for running a file"),
        (["--plan", "--color", "never", "examples/seed-demo.yaml"], "--color is for running a file"),
        (["--validate", "--only", "x", "examples/seed-demo.yaml"], "--only is for running a file"),
        (["--plan", "--now", "examples/seed-demo.yaml"], "--now is for running a file"),
    ])
    func anOptionThatDoesNotApplyIsAUsageError(_ arguments: [String], _ message: String) throws {
        let r = try JobrunBinary.run(arguments)
        #expect(r.status == 2)
        #expect(r.stderr.contains(message), "\(r.stderr)")
    }

    @Test func theWeekendIsSaturdayThenSunday() throws {
        let w = try Workspace("tasks: [{name: weekend, command: x, schedule: \"0 9 * * sat,sun\"}, {name: long, command: x, schedule: \"0 9 * * fri,sat,sun,mon\"}]\n")
        let r = try JobrunBinary.run(["--plan", "jobs.yaml", "--format", "json"], in: w.url)
        let plan = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let schedules = (plan["tasks"] as? [[String: Any]] ?? []).compactMap { $0["schedule"] as? String }
        #expect(schedules.count == 2)
        #expect(schedules.first?.hasSuffix("Saturday, Sunday") == true, "\(schedules)")
        #expect(schedules.last?.hasSuffix("Monday, Friday to Sunday") == true, "\(schedules)")
    }

    @Test func anInvalidFileIsNeverRun() throws {
        let bad = try JobrunBinary.run([JobrunBinary.fixture("invalid/enum-type.yaml"), "--no-report"])
        #expect(bad.status == 2)
        #expect(bad.stdout.contains("invalid"))
    }

    // The man page is made from the same text and lost what was not ASCII (an ellipsis).
    @Test func helpIsPlainASCII() throws {
        let r = try JobrunBinary.run(["--help"])
        let foreign = r.stdout.unicodeScalars.filter { !$0.isASCII }
        #expect(foreign.isEmpty, "\(foreign)")
    }

    @Test func versionPrints() throws {
        let r = try JobrunBinary.run(["--version"])
        #expect(r.status == 0)
        #expect(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ".").count == 3)
    }
}
