import JobrunCore
import Testing

private func fires(_ expr: String, _ zone: String, after start: String, _ n: Int = 4) throws -> [String] {
    let z = try #require(Zone(identifier: zone))
    guard case .instant(let i)? = ValueSyntax.timestamp(start) else { throw CronError.fieldCount(0) }
    var seq = CronSequence(try CronExpression(expr), zone: z, after: i.seconds)
    return (0..<n).compactMap { _ in seq.next().map { z.wallClock($0) } }
}

@Suite struct CronTests {
    @Test func fiveAndSixFieldsNamesRangesStepsAndLists() throws {
        #expect(try fires("*/15 9-17 * * mon-fri", "UTC", after: "2026-11-27T17:50:00Z", 3)
                == ["2026-11-30 09:00:00 +00:00", "2026-11-30 09:15:00 +00:00", "2026-11-30 09:30:00 +00:00"])
        #expect(try fires("30 */5 * * * *", "UTC", after: "2026-01-01T00:00:00Z", 3)
                == ["2026-01-01 00:00:30 +00:00", "2026-01-01 00:05:30 +00:00", "2026-01-01 00:10:30 +00:00"])
        #expect(try fires("0 0 * * 7", "UTC", after: "2026-11-29T12:00:00Z", 1) == ["2026-12-06 00:00:00 +00:00"])
        #expect(try fires("0 12 1,15 jan,JUL *", "UTC", after: "2026-06-20T00:00:00Z", 3)
                == ["2026-07-01 12:00:00 +00:00", "2026-07-15 12:00:00 +00:00", "2027-01-01 12:00:00 +00:00"])
        #expect(try fires("@weekly", "UTC", after: "2026-11-29T12:00:00Z", 1) == ["2026-12-06 00:00:00 +00:00"])
    }

    @Test func restrictedDayOfMonthAndDayOfWeekMeanEither() throws {
        // The 13th, or any Friday.
        #expect(try fires("0 0 13 * fri", "UTC", after: "2026-11-01T00:00:00Z", 4)
                == ["2026-11-06 00:00:00 +00:00", "2026-11-13 00:00:00 +00:00", "2026-11-20 00:00:00 +00:00", "2026-11-27 00:00:00 +00:00"])
        // A star in either field means both must match.
        #expect(try fires("0 0 */2 * fri", "UTC", after: "2026-11-01T00:00:00Z", 2)
                == ["2026-11-13 00:00:00 +00:00", "2026-11-27 00:00:00 +00:00"])
    }

    @Test func aFixedTimeInTheSkippedHourFiresOnceAtTheJump() throws {
        #expect(try fires("30 2 * * *", "Europe/Berlin", after: "2026-03-28T12:00:00Z", 3)
                == ["2026-03-29 03:00:00 +02:00", "2026-03-30 02:30:00 +02:00", "2026-03-31 02:30:00 +02:00"])
    }

    @Test func aFixedTimeInTheRepeatedHourFiresOnce() throws {
        #expect(try fires("30 2 * * *", "Europe/Berlin", after: "2026-10-24T12:00:00Z", 2)
                == ["2026-10-25 02:30:00 +02:00", "2026-10-26 02:30:00 +01:00"])
    }

    @Test func aWildcardHourFollowsRealTimeThroughBothCopiesOfTheRepeatedHour() throws {
        #expect(try fires("15 * * * *", "Europe/Berlin", after: "2026-10-25T00:00:00Z", 3)
                == ["2026-10-25 02:15:00 +02:00", "2026-10-25 02:15:00 +01:00", "2026-10-25 03:15:00 +01:00"])
    }

    @Test(arguments: [
        ("61 * * * *", CronError.outOfRange(field: .minute, value: 61)),
        ("* 24 * * *", .outOfRange(field: .hour, value: 24)),
        ("* * 0 * *", .outOfRange(field: .dayOfMonth, value: 0)),
        ("* * * 13 *", .outOfRange(field: .month, value: 13)),
        ("* * * * 8", .outOfRange(field: .dayOfWeek, value: 8)),
        ("* * * *", .fieldCount(4)),
        ("* * * * * * *", .fieldCount(7)),
        ("*/0 * * * *", .badStep(field: .minute, text: "*/0")),
        ("5-1 * * * *", .reversedRange(field: .minute, text: "5-1")),
        ("0 0 * * funday", .badValue(field: .dayOfWeek, text: "FUNDAY")),
        ("0 0 L * *", .unsupported(field: .dayOfMonth, text: "L")),
        ("0 0 * * 1#2", .unsupported(field: .dayOfWeek, text: "1#2")),
        ("@fortnightly", .unknownMacro("@fortnightly")),
        ("1,,2 * * * *", .badValue(field: .minute, text: "")),
    ])
    func badExpressionsNameTheField(expr: String, error: CronError) {
        #expect(throws: error) { try CronExpression(expr) }
    }

    @Test func anExpressionThatCanNeverFireIsRecognised() throws {
        #expect(try !CronExpression("0 0 30 2 *").canFire)
        #expect(try !CronExpression("0 0 31 4,6 *").canFire)
        #expect(try CronExpression("0 0 29 2 *").canFire)
        #expect(try CronExpression("0 0 30 2 mon").canFire)
        var seq = CronSequence(try CronExpression("0 0 30 2 *"), zone: .utc, after: 0)
        #expect(seq.next() == nil)
    }
}
