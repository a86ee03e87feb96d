/// One reload of the jobs file (SIGHUP or `--watch`), as the report's `reloads` lists it.
public struct ReloadRecord: Sendable, Equatable {
    /// When it was asked for.
    public var at: Instant
    /// Whether the new file was taken.
    public var succeeded: Bool
    /// What changed, by task name (empty when it failed).
    public var changes: ReloadChanges
    /// Why it failed: the new file's first error.
    public var error: String?
    /// The SHA-256 of the file read.
    public var sha256: String?

    /// Creates a record.
    public init(at: Instant, succeeded: Bool, changes: ReloadChanges = ReloadChanges(), error: String? = nil, sha256: String? = nil) {
        self.at = at
        self.succeeded = succeeded
        self.changes = changes
        self.error = error
        self.sha256 = sha256
    }

    /// The record as a JSON object on one line.
    public var json: String {
        func names(_ list: [String]) -> String { "[" + list.map(JSONText.string).joined(separator: ", ") + "]" }
        var fields: [(String, String)] = [
            ("at", JSONText.string(at.rfc3339)), ("result", JSONText.string(succeeded ? "succeeded" : "failed")),
            ("added", names(changes.added)), ("changed", names(changes.changed)), ("removed", names(changes.removed)),
        ]
        if let error { fields.append(("error", JSONText.string(error))) }
        if let sha256 { fields.append(("sha256", JSONText.string(sha256))) }
        return "{" + fields.map { "\(JSONText.string($0.0)): \($0.1)" }.joined(separator: ", ") + "}"
    }
}
