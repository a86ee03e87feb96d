import JobrunCore
import Testing

@Suite struct ValueSyntaxTests {
    @Test(arguments: [
        ("250ms", 250), ("30s", 30_000), ("5m", 300_000), ("1h30m", 5_400_000), ("2d", 172_800_000),
        ("300", 300_000), ("1.5s", 1_500), ("0", 0), ("1d2h3m4s5ms", 93_784_005),
    ])
    func durations(text: String, ms: Int64) {
        #expect(ValueSyntax.duration(text)?.milliseconds == ms)
    }

    @Test(arguments: ["5 minutes", "-3s", "10x", "", "s", "1h1h", "1.s", "m5", "99999999999d"])
    func notDurations(text: String) {
        #expect(ValueSyntax.duration(text) == nil)
    }

    @Test func durationsFormatBack() {
        #expect(ValueSyntax.format(.milliseconds(5_400_000)) == "1h30m")
        #expect(ValueSyntax.format(.milliseconds(250)) == "250ms")
        #expect(ValueSyntax.format(.zero) == "0s")
    }

    @Test func timestamps() {
        #expect(ValueSyntax.timestamp("2026-12-01T02:00:00Z") == .instant(Instant(seconds: 1_796_090_400)))
        #expect(ValueSyntax.timestamp("2026-12-01T02:00:00+01:00") == .instant(Instant(seconds: 1_796_086_800)))
        #expect(ValueSyntax.timestamp("2026-12-01T02:00:00.250-0130") == .instant(Instant(milliseconds: 1_796_095_800_250)))
        #expect(ValueSyntax.timestamp("2026-12-01 02:00") == .local(CivilDateTime(year: 2026, month: 12, day: 1, hour: 2), milliseconds: 0))
        #expect(ValueSyntax.timestamp("2028-02-29") == .local(CivilDateTime(year: 2028, month: 2, day: 29), milliseconds: 0))
        for bad in ["2026-13-01T00:00:00Z", "2026-02-29", "2026-12-01T24:00:00Z", "2026-12-01T02:00:00+25:00", "2026-12-01T02", "tomorrow"] {
            #expect(ValueSyntax.timestamp(bad) == nil, "\(bad)")
        }
    }

    @Test func instantsPrintAsRFC3339WithMilliseconds() {
        #expect(Instant(milliseconds: 1_796_090_400_007).rfc3339 == "2026-12-01T02:00:00.007Z")
        #expect(Instant(milliseconds: -1).rfc3339 == "1969-12-31T23:59:59.999Z")
    }

    @Test func retryDelaysGrowAndAreCapped() {
        let p = RetryPolicy(retries: 6, delay: .seconds(1), backoff: .exponential, maxDelay: .seconds(10))
        #expect((1...6).map { p.delay(beforeRetry: $0) } == [1, 2, 4, 8, 10, 10].map { Duration.seconds($0) })
        #expect(p.totalDelay == .seconds(35))
        let fixed = RetryPolicy(retries: 3, delay: .seconds(2), backoff: .fixed, maxDelay: .seconds(1))
        #expect(fixed.delay(beforeRetry: 3) == .seconds(1))
    }
}
