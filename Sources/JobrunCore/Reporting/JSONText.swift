/// Minimal JSON text building for output whose key order is part of the format.
public enum JSONText {
    /// A JSON string literal for `s`.
    public static func string(_ s: String) -> String {
        var out = "\""
        out.reserveCapacity(s.utf8.count + 2)
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 || u.value == 0x7f || u.value == 0x2028 || u.value == 0x2029 {
                    let hex = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }

    /// A JSON object from already-encoded values, keys in the given order.
    public static func object(_ fields: KeyValuePairs<String, String>) -> String {
        "{" + fields.map { string($0.key) + ":" + $0.value }.joined(separator: ",") + "}"
    }
}

/// GitHub Actions workflow commands (annotations), escaped as the runner expects.
public enum GitHubAnnotation {
    static func data(_ s: String) -> String {
        s.replacingAll("%", "%25").replacingAll("\r", "%0D").replacingAll("\n", "%0A")
    }

    static func property(_ s: String) -> String { data(s).replacingAll(":", "%3A").replacingAll(",", "%2C") }

    /// `::error title=…::message`.
    public static func error(title: String, message: String) -> String {
        "::error title=\(property(title))::\(data(message))"
    }
}

extension Diagnostic {
    /// `{"file":…,"line":…,"column":…,"severity":…,"message":…,"path":…}`.
    public func json(file: String) -> String {
        JSONText.object([
            "file": JSONText.string(file), "line": String(location.line), "column": String(location.column),
            "severity": JSONText.string(severity.rawValue), "message": JSONText.string(message),
            "path": JSONText.string(path),
        ])
    }

    /// A GitHub Actions workflow command that shows the diagnostic as an annotation.
    public func githubAnnotation(file: String) -> String {
        let data = GitHubAnnotation.data, property = GitHubAnnotation.property
        let title = path.isEmpty ? "jobrun" : "jobrun: \(path)"
        return "::\(severity == .error ? "error" : "warning") file=\(property(file)),line=\(location.line),col=\(location.column),title=\(property(title))::\(data(message))"
    }
}

extension String {
    func replacingAll(_ target: Character, _ replacement: String) -> String {
        guard contains(target) else { return self }
        var out = ""
        for ch in self { if ch == target { out += replacement } else { out.append(ch) } }
        return out
    }
}
