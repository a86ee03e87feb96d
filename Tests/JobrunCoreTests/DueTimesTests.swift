import JobrunCore
import JobrunTestSupport
import Testing

private let start = Instant(seconds: 1_796_090_400)  // 2026-12-01T02:00:00Z

private func task(_ yaml: String, zone: String = "UTC") throws -> (TaskSpec, Zone) {
    let v = JobFileValidator().validate(Array("timezone: \(zone)\ntasks:\n  - {name: t, command: x, \(yaml)}\n".utf8))
    let file = try #require(v.file, "\(v.diagnostics)")
    return (file.tasks[0], file.zone)
}

private func due(_ yaml: String, zone: String = "UTC", limit: Int = 10) throws -> [Int64] {
    let (t, z) = try task(yaml, zone: zone)
    return Array(DueTimes(t, zone: z, start: start).prefix(limit)).map { ($0.milliseconds - start.milliseconds) / 1000 }
}

@Suite struct DueTimesTests {
    @Test func oneTimeSchedules() throws {
        #expect(try due("schedule: now") == [0])
        #expect(try due("schedule: +1h30m") == [5400])
        #expect(try due("schedule: 2026-12-01T03:00:00Z") == [3600])
        #expect(try due("schedule: 2026-12-01T03:00:00+01:00") == [0])  // already past: runs at start
    }

    @Test func repeatIsAFixedRateFromTheDueTimes() throws {
        #expect(try due("schedule: +10s, repeat: 1m", limit: 3) == [10, 70, 130])
        #expect(try due("repeat: 30s, count: 3") == [0, 30, 60])
        #expect(try due("repeat: 30s, until: +1m") == [0, 30, 60])
        #expect(try due("repeat: 30s, until: 2026-12-01T02:00:59Z") == [0, 30])
    }

    @Test func aPastTimestampWithRepeatRunsOnceAtStartThenKeepsItsRate() throws {
        // Due at 01:00:00 every 25 minutes: missed 01:00…01:50, runs at 02:00, then 02:15, 02:40.
        #expect(try due("schedule: 2026-12-01T01:00:00Z, repeat: 25m", limit: 3) == [0, 900, 2400])
    }

    @Test func everyStartsOneIntervalAfterStart() throws {
        #expect(try due("schedule: \"@every 5m\"", limit: 3) == [300, 600, 900])
        #expect(try due("schedule: \"@every 5m\", count: 2") == [300, 600])
    }

    @Test func cronInTheFilesZoneWithCountAndUntil() throws {
        // 02:00Z is 03:00 in Berlin; the next 04:00 Berlin is 03:00Z.
        #expect(try due("schedule: \"0 4 * * *\", count: 2", zone: "Europe/Berlin") == [3600, 90_000])
        #expect(try due("schedule: \"*/20 * * * *\", until: +1h") == [1200, 2400, 3600])
    }

    @Test func jitterStaysWithinItsBound() {
        var rng = TestRandom()
        let jitter = Duration.seconds(30)
        var seen = Set<Int64>()
        for _ in 0..<500 {
            let t = DueTimes.jittered(start, by: jitter, using: &rng)
            #expect(t >= start && t <= start + jitter)
            seen.insert(t.milliseconds)
        }
        #expect(seen.count > 100)
        #expect(DueTimes.jittered(start, by: .zero, using: &rng) == start)
    }
}
