/// Something wrong with the YAML itself (syntax, duplicate keys, limits), found while
/// composing the node tree. Composition goes on past problems that leave the tree usable.
public struct YAMLProblem: Sendable, Hashable, Error {
    /// What kind of problem this is, for callers that treat some differently.
    public enum Kind: Sendable, Hashable {
        case syntax, duplicateKey, secondDocument, limit, badMerge, encoding, empty
    }

    /// The kind.
    public let kind: Kind
    /// A sentence saying what is wrong and what to do about it.
    public let message: String
    /// Where it is.
    public let location: SourceLocation
    /// The dotted path of the node concerned (`tasks[2].retries`), empty at document level.
    public let path: String

    /// Creates a problem.
    public init(_ kind: Kind, _ message: String, at location: SourceLocation, path: String = "") {
        self.kind = kind
        self.message = message
        self.location = location
        self.path = path
    }
}

/// Hard limits that keep hostile input (alias bombs, deep nesting, huge files) cheap.
public struct YAMLLimits: Sendable {
    /// Largest input accepted, in bytes.
    public var maxBytes: Int
    /// Deepest nesting of mappings and sequences.
    public var maxDepth: Int
    /// Most nodes that aliases may add beyond the nodes written in the file.
    public var maxAliasExpansion: Int

    /// Creates limits.
    public init(maxBytes: Int = 64 << 20, maxDepth: Int = 256, maxAliasExpansion: Int = 1_000_000) {
        self.maxBytes = maxBytes
        self.maxDepth = maxDepth
        self.maxAliasExpansion = maxAliasExpansion
    }

    /// The limits jobrun uses.
    public static let standard = YAMLLimits()
}

/// The result of composing one YAML document: its root (absent when the text had no
/// document or a fatal problem) and every problem found.
public struct YAMLDocument: Sendable {
    /// The root node.
    public let root: Node?
    /// Problems in source order.
    public let problems: [YAMLProblem]
}
