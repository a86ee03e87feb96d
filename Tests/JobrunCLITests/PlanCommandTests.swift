import Foundation
import JobrunTestSupport
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
        // Rows of the table, with runs of spaces as column breaks.
        let rows = r.stdout.split(separator: "\n").map { line in
            line.components(separatedBy: "  ").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        #expect(rows.contains(["TASK", "PRI", "SCHEDULE", "NEXT RUNS (Europe/Berlin)", "UTC"]))
        // 02:30 does not exist on 29 March in Berlin: Debian cron runs it at the jump.
        let nightly = try #require(rows.firstIndex { $0.first == "nightly" })
        #expect(rows[nightly] == ["nightly", "50", "at 02:30", "2026-03-29 03:00:00 +02:00", "2026-03-29T01:00:00.000Z"])
        #expect(rows[nightly + 1] == ["2026-03-30 02:30:00 +02:00", "2026-03-30T00:30:00.000Z"])
        #expect(rows[nightly + 2] == ["2026-03-31 02:30:00 +02:00", "2026-03-31T00:30:00.000Z"])
        let soon = try #require(rows.firstIndex { $0.first == "soon" })
        #expect(rows[soon] == ["soon", "1", "10s after start", "2026-03-28 12:00:10 +01:00", "2026-03-28T11:00:10.000Z"])
        #expect(rows[soon + 1] == ["then no more runs"])
        let beat = try #require(rows.firstIndex { $0.first == "beat" })
        #expect(rows[beat] == ["beat", "50", "at start, then every 30s, 2 runs", "2026-03-28 12:00:00 +01:00", "2026-03-28T11:00:00.000Z"])
        #expect(rows[beat + 1] == ["2026-03-28 12:00:30 +01:00", "2026-03-28T11:00:30.000Z"])
        #expect(rows[beat + 2] == ["then no more runs"])
        #expect(rows.contains(["report", "50", "at start", "after \"nightly\" finishes all runs successfully"]))
        #expect(rows.contains(["old", "50", "at start", "never (enabled: false)"]))
    }

    @Test func theZoneComesFromTZWhenTheFileHasNone() throws {
        let r = try plan("tasks: [{name: a, command: x, schedule: \"0 9 * * *\"}]\n", ["-n", "1", "--from", "2026-07-01T00:00:00Z"],
                         environment: ["TZ": "America/New_York"])
        #expect(r.stdout.split(separator: "\n").contains { $0.contains("2026-07-01 09:00:00 -04:00") && $0.hasSuffix("2026-07-01T13:00:00.000Z") })
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

@Suite struct PlanYearBoundsTests {
    // --plan once printed years 10000 and 00-1, which jobrun's own timestamp parser rejects.
    @Test func noStartTimeBeyondYear9999IsListed() throws {
        let dir = try Workspace("tasks:\n  - {name: minutely, command: x, schedule: \"* * * * *\"}\n")
        let r = try JobrunBinary.run(["--plan", "jobs.yaml", "-n", "3", "--from", "9999-12-31T23:58:30Z", "--format", "json"], in: dir.url)
        #expect(r.status == 0, "\(r.stderr)")
        let plan = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let task = try #require((plan["tasks"] as? [[String: Any]])?.first)
        let times = try #require(task["times"] as? [[String: Any]])
        #expect(times.compactMap { $0["utc"] as? String } == ["9999-12-31T23:59:00.000Z"])
        #expect(task["more"] as? Bool == false)
    }

    @Test func aStartBeforeYear0IsAUsageError() throws {
        let dir = try Workspace("timezone: Asia/Tokyo\ntasks:\n  - {name: a, command: x}\n")
        let r = try JobrunBinary.run(["--plan", "jobs.yaml", "--from", "0000-01-01T00:30:00"], in: dir.url)
        #expect(r.status == 2)
        #expect(r.stderr.contains("outside the years 0000 to 9999"), "\(r.stderr)")
    }
}
