/// The type a scalar resolves to under the YAML 1.2 core schema.
public enum ResolvedScalar: Sendable, Equatable {
    /// `null`, `~` or nothing.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A whole number (decimal, `0o` octal or `0x` hex).
    case int(Int)
    /// A number with a fraction or exponent, or `.inf`/`.nan`.
    case float(Double)
    /// Anything else, and every quoted scalar.
    case string(String)
}

extension Scalar {
    /// The scalar's value under the YAML 1.2 core schema: quoted, block and `!!str`
    /// scalars are strings; plain ones may be null, booleans, integers or floats.
    public var resolved: ResolvedScalar {
        if tag == .string || style != .plain { return .string(text) }
        var utf8 = text.utf8
        guard let first = utf8.first else { return .null }
        switch first {
        case UInt8(ascii: "~"), UInt8(ascii: "n"), UInt8(ascii: "N"):
            if ["~", "null", "Null", "NULL"].contains(text) { return .null }
        case UInt8(ascii: "t"), UInt8(ascii: "T"):
            if ["true", "True", "TRUE"].contains(text) { return .bool(true) }
        case UInt8(ascii: "f"), UInt8(ascii: "F"):
            if ["false", "False", "FALSE"].contains(text) { return .bool(false) }
        case UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."), UInt8(ascii: "0")...UInt8(ascii: "9"):
            if let i = Self.integer(&utf8) { return .int(i) }
            if let d = Self.float(text) { return .float(d) }
        default: break
        }
        return .string(text)
    }

    private static func integer(_ utf8: inout String.UTF8View) -> Int? {
        var value = 0
        var negative = false
        var digits = 0
        var radix = 10
        var index = utf8.startIndex
        if utf8[index] == UInt8(ascii: "-") || utf8[index] == UInt8(ascii: "+") {
            negative = utf8[index] == UInt8(ascii: "-")
            index = utf8.index(after: index)
        } else if utf8.count > 2, utf8[index] == UInt8(ascii: "0") {
            let next = utf8[utf8.index(after: index)]
            if next == UInt8(ascii: "x") { radix = 16 } else if next == UInt8(ascii: "o") { radix = 8 }
            if radix != 10 { index = utf8.index(index, offsetBy: 2) }
        }
        while index != utf8.endIndex {
            let b = utf8[index]
            let d: Int
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = Int(b - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f") where radix == 16: d = Int(b - UInt8(ascii: "a")) + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F") where radix == 16: d = Int(b - UInt8(ascii: "A")) + 10
            default: return nil
            }
            guard d < radix else { return nil }
            let (m, o1) = value.multipliedReportingOverflow(by: radix)
            let (v, o2) = m.addingReportingOverflow(d)
            guard !o1, !o2 else { return nil }
            value = v
            digits += 1
            index = utf8.index(after: index)
        }
        guard digits > 0 else { return nil }
        return negative ? -value : value
    }

    private static func float(_ text: String) -> Double? {
        switch text {
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .infinity
        case "-.inf", "-.Inf", "-.INF": return -.infinity
        case ".nan", ".NaN", ".NAN": return .nan
        default: break
        }
        var sawDigit = false
        for b in text.utf8 {
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): sawDigit = true
            case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"): break
            default: return nil
            }
        }
        return sawDigit ? Double(text) : nil
    }
}
