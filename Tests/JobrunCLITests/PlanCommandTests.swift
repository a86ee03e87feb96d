import Foundation
import Testing

@Suite struct PlanCommandTests {
    private func plan(_ yaml: String, _ extra: [String] = [], environment: [String: String] = [:]) throws -> JobrunBinary.Result {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("jobrun-plan-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("jobs.yaml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        return try JobrunBinary.run(["--plan", "jobs.yaml"] + extra, environment: environment, in: dir)
    }

    @Test func showsTheNextTimesInTheFilesZoneAndInUTC() throws {
        let r = try plan("""
            timezone: Europe/Berlin
            tasks:
              - {name: nightly, command: x, schedule: "30 2 * * *"}
              - {name: soon, command: x, schedule: +10s, priority: 1}
              - {name: beat, command: x, repeat: 30s, count: 2}
              - {name: report, command: x, after: [nightly]}
              - {name: old, command: x, enabled: false}
            """, ["-n", "3", "--from", "2026-03-28T12:00:00"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("from 2026-03-28 12:00:00 +01:00 (2026-03-28T11:00:00.000Z), zone Europe/Berlin"))
        // 02:30 does not exist on 29 March in Berlin: Debian cron runs it at the jump.
        #expect(r.stdout.contains("""
            nightly  (command, priority 50)
              when: at 02:30
              1. 2026-03-29 03:00:00 +02:00   2026-03-29T01:00:00.000Z
              2. 2026-03-30 02:30:00 +02:00   2026-03-30T00:30:00.000Z
              3. 2026-03-31 02:30:00 +02:00   2026-03-31T00:30:00.000Z
            """))
        #expect(r.stdout.contains("""
            soon  (command, priority 1)
              when: 10s after start
              1. 2026-03-28 12:00:10 +01:00   2026-03-28T11:00:10.000Z
              then no more runs
            """))
        #expect(r.stdout.contains("""
            beat  (command, priority 50)
              when: at start, then every 30s, 2 runs
              1. 2026-03-28 12:00:00 +01:00   2026-03-28T11:00:00.000Z
              2. 2026-03-28 12:00:30 +01:00   2026-03-28T11:00:30.000Z
              then no more runs
            """))
        #expect(r.stdout.contains("report  (command, priority 50)\n  when: at start\n  after \"nightly\" finishes all runs successfully\n"))
        #expect(r.stdout.contains("old  (command, priority 50)\n  when: at start\n  never (enabled: false)\n"))
    }

    @Test(arguments: [
        ("*/15 9-17 * * mon-fri", "every 15 minutes, 09:00–17:59, Monday to Friday"),
        ("30 2 * * *", "at 02:30"),
        ("0 9,13,17 * * *", "at 09:00, 13:00, 17:00"),
        ("5 * * * *", "every hour at :05"),
        ("0 0 1,15 * *", "at 00:00, on day 1, 15 of the month"),
        ("0 0 13 * fri", "at 00:00, on day 13 of the month, and every Friday"),
        ("30 */5 * * * *", "at second 30, every 5 minutes"),
        ("*/30 * * * * *", "every 30 seconds"),
        ("@monthly", "at 00:00, on day 1 of the month"),
        ("0 12 * jul-aug sat", "at 12:00, Saturday, in July, August"),
        ("0 12 * jun-aug mon-fri", "at 12:00, Monday to Friday, in June to August"),
    ])
    func schedulesInWords(cron: String, words: String) throws {
        let r = try plan("tasks: [{name: t, command: x, schedule: \"\(cron)\"}]\n", ["-n", "1", "--from", "2026-01-01T00:00:00Z"])
        #expect(r.stdout.contains("  when: \(words)\n"), "\(r.stdout)")
    }

    @Test func jsonPlanForTools() throws {
        let r = try plan("""
            timezone: Europe/Berlin
            tasks:
              - {name: nightly, command: x, schedule: "30 2 * * *"}
              - {name: once, command: x, after: [nightly], enabled: false}
            """, ["-n", "2", "--from", "2026-03-28T12:00:00", "--format", "json"])
        #expect(r.status == 0)
        let plan = try #require(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(plan["zone"] as? String == "Europe/Berlin")
        #expect(plan["start"] as? String == "2026-03-28T11:00:00.000Z")
        let tasks = plan["tasks"] as? [[String: Any]] ?? []
        let times = tasks.first?["times"] as? [[String: String]] ?? []
        #expect(times.map { $0["utc"] } == ["2026-03-29T01:00:00.000Z", "2026-03-30T00:30:00.000Z"])
        #expect(times.first?["local"] == "2026-03-29 03:00:00 +02:00")
        #expect(tasks.first?["more"] as? Bool == true)
        #expect(tasks.last?["enabled"] as? Bool == false)
        #expect(tasks.last?["after"] as? [String] == ["nightly"])
    }

    @Test func theZoneComesFromTZWhenTheFileHasNone() throws {
        let r = try plan("tasks: [{name: a, command: x, schedule: \"0 9 * * *\"}]\n", ["-n", "1", "--from", "2026-07-01T00:00:00Z"],
                         environment: ["TZ": "America/New_York"])
        #expect(r.stdout.contains("1. 2026-07-01 09:00:00 -04:00   2026-07-01T13:00:00.000Z"))
    }

    @Test func anInvalidFileIsNotPlanned() throws {
        let r = try plan("tasks: [{name: a, command: x, schedule: \"99 * * * *\"}]\n")
        #expect(r.status == 2)
        #expect(r.stdout.contains("jobs.yaml:1:41: error: tasks[0].schedule"))
    }

    @Test func aBadFromIsAUsageError() throws {
        let r = try plan("tasks: [{name: a, command: x}]\n", ["--from", "yesterday"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("--from"))
    }
}
