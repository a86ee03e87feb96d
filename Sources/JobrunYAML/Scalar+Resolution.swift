/// The type a scalar resolves to under the YAML 1.2 core schema.
public enum ResolvedScalar: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
}

extension Scalar {
    private static let strTag = "tag:yaml.org,2002:str"

    /// The scalar's value under the YAML 1.2 core schema: quoted, block and `!!str`
    /// scalars are strings; plain ones may be null, booleans, integers or floats.
    public var resolved: ResolvedScalar {
        if tag == Self.strTag || style != .plain { return .string(text) }
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        default: break
        }
        guard let first = text.utf8.first,
              first == UInt8(ascii: "-") || first == UInt8(ascii: "+") || first == UInt8(ascii: ".")
                || (first >= UInt8(ascii: "0") && first <= UInt8(ascii: "9"))
        else { return .string(text) }
        if let i = Self.integer(text) { return .int(i) }
        if let d = Self.float(text) { return .float(d) }
        return .string(text)
    }

    private static func integer(_ text: String) -> Int? {
        if text.hasPrefix("0x"), let v = Int(text.dropFirst(2), radix: 16) { return v }
        if text.hasPrefix("0o"), let v = Int(text.dropFirst(2), radix: 8) { return v }
        var digits = Substring(text)
        if digits.first == "+" { digits = digits.dropFirst() }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "-") }) else { return nil }
        return Int(digits)
    }

    private static func float(_ text: String) -> Double? {
        switch text {
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .infinity
        case "-.inf", "-.Inf", "-.INF": return -.infinity
        case ".nan", ".NaN", ".NAN": return .nan
        default: break
        }
        guard text.allSatisfy({ $0.isASCII && ($0.isNumber || "+-.eE".contains($0)) }),
              text.contains(where: \.isNumber)
        else { return nil }
        return Double(text)
    }
}
