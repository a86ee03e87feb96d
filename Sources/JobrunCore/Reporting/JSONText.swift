/// Minimal JSON text building for output whose key order is part of the format.
public enum JSONText {
    /// A JSON string literal for `s`.
    public static func string(_ s: String) -> String {
        if needsNoEscape(s) {
            var out = "\""
            out.reserveCapacity(s.utf8.count + 2)
            out += s
            out += "\""
            return out
        }
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

    /// Whether `s` goes into a JSON string as it is. Most strings do. (0xE2 may start U+2028
    /// or U+2029, which are escaped.)
    static func needsNoEscape(_ s: String) -> Bool {
        !s.utf8.contains { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C || $0 == 0x7F || $0 == 0xE2 }
    }

    /// A JSON object from already-encoded values, keys in the given order.
    public static func object(_ fields: KeyValuePairs<String, String>) -> String {
        "{" + fields.map { string($0.key) + ":" + $0.value }.joined(separator: ",") + "}"
    }
}
