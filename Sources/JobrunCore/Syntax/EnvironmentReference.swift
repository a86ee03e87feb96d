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
    /// returned too, so they can be kept out of reports and logs. `${JOBRUN_EVENT_…}` is
    /// filled in from `event` (empty without one), through `encode`, and is no secret.
    public static func expand(_ text: String, from environment: [String: String], event: RunEvent? = nil,
                              skippingEvents: Bool = false, encode: (String) -> String = { $0 }) -> (text: String, secrets: [String]) {
        var out = ""
        var secrets: [String] = []
        var rest = Substring(text)
        while let start = rest.range(of: "${"), let end = rest[start.upperBound...].firstIndex(of: "}") {
            out += rest[..<start.lowerBound]
            let name = String(rest[start.upperBound..<end])
            if name.hasPrefix(EventVariable.prefix) {
                if !skippingEvents, let event, let variable = EventVariable(name: name) { out += encode(event.value(variable)) }
            } else {
                let value = environment[name] ?? ""
                if !value.isEmpty { secrets.append(value) }
                out += value
            }
            rest = rest[rest.index(after: end)...]
        }
        return (out + rest, secrets)
    }

    /// `text` with only its `${JOBRUN_EVENT_…}` references filled in from `event` (an email's
    /// subject and body, which take no other references); `encode` as in ``expand(_:from:event:skippingEvents:encode:)``.
    public static func expandEvents(_ text: String, event: RunEvent?, encode: (String) -> String = { $0 }) -> String {
        guard text.contains("${" + EventVariable.prefix) else { return text }
        var out = ""
        var rest = Substring(text)
        while let start = rest.range(of: "${" + EventVariable.prefix), let end = rest[start.upperBound...].firstIndex(of: "}") {
            out += rest[..<start.lowerBound]
            let name = String(rest[rest.index(start.lowerBound, offsetBy: 2)..<end])
            if let event, let variable = EventVariable(name: name) { out += encode(event.value(variable)) }
            rest = rest[rest.index(after: end)...]
        }
        return out + rest
    }
}
