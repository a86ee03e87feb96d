/// `${NAME}` references to environment variables in a text.
public enum EnvironmentReference {
    /// The names referenced in `text`, in order.
    public static func names(in text: String) -> [String] {
        var names: [String] = []
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else { break }
            names.append(String(rest[start.upperBound..<end]))
            rest = rest[rest.index(after: end)...]
        }
        return names
    }

    /// `text` with every `${NAME}` replaced from `environment`; the values used are
    /// returned too, so they can be kept out of reports and logs.
    public static func expand(_ text: String, from environment: [String: String]) -> (text: String, secrets: [String]) {
        var out = ""
        var secrets: [String] = []
        var rest = Substring(text)
        while let start = rest.range(of: "${"), let end = rest[start.upperBound...].firstIndex(of: "}") {
            out += rest[..<start.lowerBound]
            let name = String(rest[start.upperBound..<end])
            let value = environment[name] ?? ""
            if !value.isEmpty { secrets.append(value) }
            out += value
            rest = rest[rest.index(after: end)...]
        }
        return (out + rest, secrets)
    }
}
