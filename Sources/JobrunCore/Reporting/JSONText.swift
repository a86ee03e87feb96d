/// Minimal JSON text building for output whose key order is part of the format.
public enum JSONText {
    /// A JSON string literal for `s`.
    public static func string(_ s: String) -> String {
        let body = s.escaping { u in
            switch u {
            case "\"": return "\\\""
            case "\\": return "\\\\"
            case "\n": return "\\n"
            case "\r": return "\\r"
            case "\t": return "\\t"
            default:
                guard u.value < 0x20 || u.value == 0x7f || u.value == 0x2028 || u.value == 0x2029 else { return nil }
                let hex = String(u.value, radix: 16)
                return "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            }
        }
        return "\"" + body + "\""
    }

    /// A JSON object from already-encoded values, keys in the given order.
    public static func object(_ fields: KeyValuePairs<String, String>) -> String {
        "{" + fields.map { string($0.key) + ":" + $0.value }.joined(separator: ",") + "}"
    }
}
