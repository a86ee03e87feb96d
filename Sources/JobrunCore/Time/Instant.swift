import Foundation

/// A point in time as Unix milliseconds; what schedules and reports are computed in.
public struct Instant: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    public var milliseconds: Int64

    /// Creates an instant from Unix milliseconds.
    public init(milliseconds: Int64) { self.milliseconds = milliseconds }

    /// Creates an instant from whole Unix seconds.
    public init(seconds: Int64) { self.milliseconds = seconds * 1000 }

    /// The wall clock's instant now, rounded down to the millisecond.
    public static func now() -> Instant {
        Instant(milliseconds: Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)))
    }

    /// Whole Unix seconds, rounded down.
    public var seconds: Int64 { milliseconds.floorDiv(1000) }

    public static func < (a: Instant, b: Instant) -> Bool { a.milliseconds < b.milliseconds }

    /// The instant `d` after `a` (to the millisecond).
    public static func + (a: Instant, d: Duration) -> Instant {
        Instant(milliseconds: a.milliseconds + d.milliseconds)
    }

    /// How long after `b` `a` is.
    public static func - (a: Instant, b: Instant) -> Duration {
        .milliseconds(a.milliseconds - b.milliseconds)
    }

    /// RFC 3339 in UTC with milliseconds, e.g. `2026-12-01T02:00:00.000Z`.
    public var description: String { rfc3339 }

    /// RFC 3339 in UTC with milliseconds.
    public var rfc3339: String {
        let c = CivilDateTime(localSeconds: seconds)
        guard (0...9999).contains(c.year) else {
            let ms = Int(milliseconds - seconds * 1000)
            let frac = ms < 10 ? "00\(ms)" : ms < 100 ? "0\(ms)" : "\(ms)"
            return c.description.replacingFirstSpace(with: "T") + ".\(frac)Z"
        }
        return String(unsafeUninitializedCapacity: 24) { out in
            write(c, into: out, at: 0)
            return 24
        }
    }

    /// Appends ``rfc3339`` to `out`.
    func appendRFC3339(to out: inout [UInt8]) {
        let c = CivilDateTime(localSeconds: seconds)
        guard (0...9999).contains(c.year) else { return out.append(contentsOf: rfc3339.utf8) }
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: 24))
        out.withUnsafeMutableBufferPointer { write(c, into: $0, at: start) }
    }

    /// Writes the 24 bytes of ``rfc3339`` (`c` is this instant, its year within 0–9999) at
    /// `i`: every record carries several, so they are written digit by digit.
    private func write(_ c: CivilDateTime, into out: UnsafeMutableBufferPointer<UInt8>, at i: Int) {
        func put(_ value: Int, _ digits: Int, at k: Int) {
            var v = value
            for k in stride(from: i + k + digits - 1, through: i + k, by: -1) {
                out[k] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
            }
        }
        put(c.year, 4, at: 0); out[i + 4] = UInt8(ascii: "-"); put(c.month, 2, at: 5); out[i + 7] = UInt8(ascii: "-")
        put(c.day, 2, at: 8); out[i + 10] = UInt8(ascii: "T"); put(c.hour, 2, at: 11); out[i + 13] = UInt8(ascii: ":")
        put(c.minute, 2, at: 14); out[i + 16] = UInt8(ascii: ":"); put(c.second, 2, at: 17); out[i + 19] = UInt8(ascii: ".")
        put(Int(milliseconds - seconds * 1000), 3, at: 20); out[i + 23] = UInt8(ascii: "Z")
    }
}

extension Duration {
    /// Whole milliseconds, rounded down.
    public var milliseconds: Int64 {
        let (s, a) = components
        return s * 1000 + a / 1_000_000_000_000_000
    }

    /// Whole nanoseconds, rounded down.
    public var nanoseconds: Int64 {
        let (s, a) = components
        return s * 1_000_000_000 + a / 1_000_000_000
    }
}

extension String {
    func replacingFirstSpace(with r: Character) -> String {
        guard let i = firstIndex(of: " ") else { return self }
        var s = self
        s.replaceSubrange(i...i, with: String(r))
        return s
    }
}
