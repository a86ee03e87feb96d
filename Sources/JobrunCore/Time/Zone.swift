import Foundation

/// An IANA time zone with the conversions cron needs: wall clock to instants (with the
/// PEP 495 `fold` rule for repeated and skipped times) and back.
public struct Zone: Sendable, Hashable {
    /// The IANA identifier, e.g. `Europe/Berlin`.
    public let identifier: String
    private let timeZone: TimeZone
    /// True for UTC (`UTC`, `Etc/UTC`); conversions are then plain arithmetic.
    public let isFixed: Bool

    /// UTC.
    public static let utc = Zone(fixed: "UTC")

    private init(fixed identifier: String) {
        self.init(identifier: identifier, timeZone: TimeZone(identifier: "UTC")!, isFixed: true)
    }

    private init(identifier: String, timeZone: TimeZone, isFixed: Bool) {
        self.identifier = identifier
        self.timeZone = timeZone
        self.isFixed = isFixed
    }

    /// The zone for an IANA name, or nil when the name is not one this system knows.
    public init?(identifier: String) {
        if identifier == "UTC" || identifier == "Etc/UTC" {
            self.init(fixed: identifier)
            return
        }
        guard Zone.isKnown(identifier), let tz = TimeZone(identifier: identifier) else { return nil }
        self.init(identifier: identifier, timeZone: tz, isFixed: false)
    }

    private static func isKnown(_ name: String) -> Bool {
        // TimeZone accepts abbreviations and GMT offsets too; a jobs file takes IANA names only.
        guard !name.isEmpty, !name.hasPrefix("/"), !name.contains(".."), name.first?.isLetter == true else { return false }
        return FileManager.default.fileExists(atPath: "/usr/share/zoneinfo/" + name)
            || TimeZone.knownTimeZoneIdentifiers.contains(name)
    }

    /// Offset from UTC in seconds at a Unix instant.
    public func offset(atUnix t: Int64) -> Int {
        isFixed ? 0 : timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(t)))
    }

    /// An instant on this zone's wall clock with its offset: `2026-12-01 03:00:00 +01:00`.
    public func wallClock(_ t: Int64) -> String {
        let o = offset(atUnix: t)
        let sign = o < 0 ? "-" : "+"
        let h = abs(o) / 3600, m = abs(o) % 3600 / 60
        return "\(CivilDateTime(localSeconds: t + Int64(o))) \(sign)\(String(twoDigits: h)):\(String(twoDigits: m))"
    }

    /// How a wall-clock time maps to instants in this zone.
    public enum LocalTime: Sendable, Equatable {
        /// One instant.
        case unique(Int64)
        /// In a repeated hour: the first and the second occurrence.
        case repeated(Int64, Int64)
        /// In a skipped hour: the instants read with the offset before and after the jump.
        case skipped(before: Int64, after: Int64)
    }

    /// Classifies a wall-clock time given as seconds since 1970-01-01 on that clock.
    public func resolve(local: Int64) -> LocalTime {
        if isFixed { return .unique(local) }
        let before = offset(atUnix: local - 86_400)
        let after = offset(atUnix: local + 86_400)
        let tA = local - Int64(before), tB = local - Int64(after)
        if before == after {
            let t = local - Int64(before)
            // Guard against two transitions within two days: trust the offset at the instant.
            let o = offset(atUnix: t)
            return .unique(local - Int64(o))
        }
        let validA = offset(atUnix: tA) == before
        let validB = offset(atUnix: tB) == after
        switch (validA, validB) {
        case (true, true): return tA == tB ? .unique(tA) : .repeated(min(tA, tB), max(tA, tB))
        case (true, false): return .unique(tA)
        case (false, true): return .unique(tB)
        case (false, false): return .skipped(before: tA, after: tB)
        }
    }

    /// The instant of a wall-clock time; `fold` picks the second occurrence of a repeated
    /// time, and for a skipped time picks the offset after the jump instead of before it.
    public func instant(local: Int64, fold: Bool = false) -> Int64 {
        switch resolve(local: local) {
        case .unique(let t): return t
        case .repeated(let a, let b): return fold ? b : a
        case .skipped(let before, let after): return fold ? after : before
        }
    }

    /// The wall-clock time of an instant, and whether it is the second occurrence of a repeated time.
    public func local(atUnix t: Int64) -> (local: Int64, fold: Bool) {
        let l = t + Int64(offset(atUnix: t))
        if isFixed { return (l, false) }
        if case .repeated(_, let second) = resolve(local: l), second == t { return (l, true) }
        return (l, false)
    }

    /// Whether a wall-clock time falls in a skipped hour.
    public func isSkipped(local: Int64) -> Bool {
        if case .skipped = resolve(local: local) { return true }
        return false
    }
}

extension Zone {
    /// The IANA name closest to a misspelt one, if any is close.
    public static func suggestion(for name: String) -> String? {
        Suggestion.closest(to: name, in: TimeZone.knownTimeZoneIdentifiers)
    }
}
