import Foundation
import JobrunCore
import Testing

/// One case of the reference data made by scripts/gen-cron-fixtures.py with the PyPI
/// package cronsim, which models Debian cron (including its DST behaviour).
struct CronReferenceCase: Decodable, Sendable, CustomTestStringConvertible {
    let expr: String
    let tz: String
    let start: String
    let fires: [String]
    let error: String?

    var testDescription: String { "\(expr) in \(tz) after \(start)" }

    static let all: [CronReferenceCase] = {
        let url = Bundle.module.url(forResource: "cron-reference", withExtension: "json", subdirectory: "Fixtures")!
        return try! JSONDecoder().decode([CronReferenceCase].self, from: Data(contentsOf: url))
    }()
}

private func instant(_ text: String) -> Instant {
    guard case .instant(let i)? = ValueSyntax.timestamp(text) else { fatalError("bad fixture timestamp \(text)") }
    return i
}

@Suite struct CronReferenceTests {
    @Test func thereAreHundredsOfCasesAcrossZones() {
        #expect(CronReferenceCase.all.count >= 400)
        #expect(Set(CronReferenceCase.all.map(\.tz)).count >= 10)
    }

    @Test(arguments: CronReferenceCase.all)
    func fireTimesMatchDebianCron(_ c: CronReferenceCase) throws {
        let zone = try #require(Zone(identifier: c.tz))
        let cron = try CronExpression(c.expr)
        var sequence = CronSequence(cron, zone: zone, after: instant(c.start).seconds)
        var got: [String] = []
        while got.count < c.fires.count, let t = sequence.next() {
            got.append(Instant(seconds: t).rfc3339.replacingOccurrences(of: ".000Z", with: "Z"))
        }
        #expect(got == c.fires)
    }
}
