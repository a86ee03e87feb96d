import JobrunCore

/// How an event's values (`${JOBRUN_EVENT_…}`) are written into the field that holds them,
/// so that a value cannot break the field: an error with a quote in a JSON body, a line
/// break in a header, a space in a URL.
enum EventEncoding {
    /// Percent-encoded: every byte but RFC 3986's unreserved characters.
    static func percent(_ value: String) -> String {
        var out = ""
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".unicodeScalars)
                out += "%"
                out.unicodeScalars.append(hex[Int(byte >> 4)])
                out.unicodeScalars.append(hex[Int(byte & 0xF)])
            }
        }
        return out
    }

    /// On one line: each line break, tab or other control character becomes a space.
    static func oneLine(_ value: String) -> String {
        String(String.UnicodeScalarView(value.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7f ? " " : $0 }))
    }

    /// As inside a JSON string: escaped, without the quotes around it.
    static func jsonEscaped(_ value: String) -> String {
        String(JSONText.string(value).dropFirst().dropLast())
    }
}
