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
