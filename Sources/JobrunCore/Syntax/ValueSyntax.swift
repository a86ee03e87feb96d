/// The textual forms of durations and timestamps in a jobs file.
public enum ValueSyntax {
    /// Longest duration accepted: 100 years, far beyond any schedule and safe from overflow.
    static let maxDurationSeconds: Double = 100 * 366 * 86_400

    /// Parses `250ms`, `30s`, `5m`, `1h30m`, `2d`, `1.5s` or a bare number of seconds.
    public static func duration(_ text: String) -> Duration? {
        var text = text
        return text.withUTF8 { duration(bytes: $0[...]) }
    }

    /// Parses `+<duration>`, the offset form of schedules and `until`.
    public static func offset(_ text: String) -> Duration? {
        var text = text
        return text.withUTF8 { bytes in
            var b = bytes[...]
            while b.first == 32 || b.first == 9 { b = b.dropFirst() }
            guard b.first == UInt8(ascii: "+") else { return nil }
            return duration(bytes: b.dropFirst())
        }
    }

    static func duration(bytes: Slice<UnsafeBufferPointer<UInt8>>) -> Duration? {
        var i = bytes.startIndex, end = bytes.endIndex
        let t = bytes.base
        while i < end, t[i] == 32 || t[i] == 9 { i += 1 }
        while end > i, t[end - 1] == 32 || t[end - 1] == 9 { end -= 1 }
        guard i < end else { return nil }
        if let seconds = decimal(t[i..<end]) { return clamp(seconds) }
        var total = 0.0
        var seen: UInt8 = 0
        while i < end {
            let start = i
            while i < end, (t[i] >= 48 && t[i] <= 57) || t[i] == 46 { i += 1 }
            guard i > start, let value = decimal(t[start..<i]) else { return nil }
            let unitStart = i
            while i < end, (t[i] >= 97 && t[i] <= 122) || (t[i] >= 65 && t[i] <= 90) { i += 1 }
            guard let (scale, bit) = unit(t[unitStart..<i]) else { return nil }
            guard seen & bit == 0 else { return nil }
            seen |= bit
            total += value * scale
        }
        return clamp(total)
    }

    /// Seconds per unit, and a bit that marks the unit as used.
    private static func unit(_ u: Slice<UnsafeBufferPointer<UInt8>>) -> (Double, UInt8)? {
        if u.elementsEqual("ms".utf8) { return (0.001, 1) }
        guard u.count == 1 else { return nil }
        switch u.first {
        case UInt8(ascii: "s"): return (1, 2)
        case UInt8(ascii: "m"): return (60, 4)
        case UInt8(ascii: "h"): return (3600, 8)
        case UInt8(ascii: "d"): return (86_400, 16)
        default: return nil
        }
    }

    /// A duration from a YAML number of seconds.
    public static func duration(seconds: Double) -> Duration? {
        guard seconds.isFinite, seconds >= 0 else { return nil }
        return clamp(seconds)
    }

    private static func clamp(_ seconds: Double) -> Duration? {
        guard seconds <= maxDurationSeconds else { return nil }
        return .milliseconds(Int64((seconds * 1000).rounded()))
    }

    /// A non-negative decimal number (`300`, `1.5`) from ASCII bytes.
    private static func decimal(_ s: Slice<UnsafeBufferPointer<UInt8>>) -> Double? {
        guard let first = s.first, first >= 48, first <= 57, s.last != 46 else { return nil }
        var whole = 0.0, fraction = 0.0, scale = 1.0, dots = 0
        for b in s {
            if b == 46 {
                dots += 1
                guard dots == 1 else { return nil }
            } else if b >= 48 && b <= 57 {
                if dots == 0 { whole = whole * 10 + Double(b - 48) } else { scale /= 10; fraction += Double(b - 48) * scale }
            } else {
                return nil
            }
        }
        return whole + fraction
    }

    /// Formats a duration the way a jobs file writes it: `1h30m`, `250ms`, `0s`.
    public static func format(_ d: Duration) -> String {
        var ms = d.milliseconds
        if ms == 0 { return "0s" }
        var out = ""
        for (unit, size) in [("d", Int64(86_400_000)), ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1)] where ms >= size {
            out += "\(ms / size)\(unit)"
            ms %= size
        }
        return out
    }

    /// A timestamp as written: an instant when it carries an offset, else a wall-clock time.
    public enum Timestamp: Sendable, Equatable {
        /// A timestamp with `Z` or an offset.
        case instant(Instant)
        /// A wall-clock time, read in the file's zone.
        case local(CivilDateTime, milliseconds: Int)

        /// The instant; a local time is read in `zone` (a skipped time as before the jump,
        /// a repeated one as its first occurrence).
        public func instant(in zone: Zone) -> Instant {
            switch self {
            case .instant(let i): i
            case .local(let civil, let ms): Instant(milliseconds: zone.instant(local: civil.localSeconds) * 1000 + Int64(ms))
            }
        }
    }

    /// Parses RFC 3339 (`2026-12-01T02:00:00Z`, `…+01:00`, fractions) or a local
    /// `2026-12-01T02:00[:00]` / `2026-12-01 02:00:00` / `2026-12-01`.
    public static func timestamp(_ text: String) -> Timestamp? {
        let b = Array(text.trimmingSpaces().utf8)
        var i = 0
        func digits(_ n: Int) -> Int? {
            guard i + n <= b.count else { return nil }
            var v = 0
            for k in i..<(i + n) {
                guard b[k] >= UInt8(ascii: "0"), b[k] <= UInt8(ascii: "9") else { return nil }
                v = v * 10 + Int(b[k] - UInt8(ascii: "0"))
            }
            i += n
            return v
        }
        func eat(_ c: Unicode.Scalar) -> Bool {
            guard i < b.count, b[i] == UInt8(ascii: c) else { return false }
            i += 1
            return true
        }
        guard let y = digits(4), eat("-"), let mo = digits(2), eat("-"), let d = digits(2) else { return nil }
        var civil = CivilDateTime(year: y, month: mo, day: d)
        var ms = 0
        if i < b.count {
            guard eat("T") || eat("t") || eat(" "), let h = digits(2), eat(":"), let mi = digits(2) else { return nil }
            (civil.hour, civil.minute) = (h, mi)
            if eat(":") {
                guard let s = digits(2) else { return nil }
                civil.second = s
                if eat(".") || eat(",") {
                    let start = i
                    while i < b.count, b[i] >= UInt8(ascii: "0"), b[i] <= UInt8(ascii: "9") { i += 1 }
                    guard i > start else { return nil }
                    let frac = b[start..<min(i, start + 3)].reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
                    ms = frac * [100, 10, 1][min(i, start + 3) - start - 1]
                }
            }
        }
        guard civil.isValid else { return nil }
        if i == b.count { return .local(civil, milliseconds: ms) }
        var offset = 0
        if eat("Z") || eat("z") {
            offset = 0
        } else {
            let sign: Int
            if eat("+") { sign = 1 } else if eat("-") { sign = -1 } else { return nil }
            guard let oh = digits(2) else { return nil }
            _ = eat(":")
            guard let om = digits(2), oh <= 23, om <= 59 else { return nil }
            offset = sign * (oh * 3600 + om * 60)
        }
        guard i == b.count else { return nil }
        return .instant(Instant(milliseconds: (civil.localSeconds - Int64(offset)) * 1000 + Int64(ms)))
    }
}
