/// One node of a composed YAML document: a scalar, a mapping or a sequence, with the
/// position where it was written. Aliases are resolved (shared, not copied) and merge
/// keys (`<<`) are applied, so consumers never see either.
public struct Node: Sendable {
    /// The content of a node.
    public enum Kind: Sendable {
        /// A text value.
        case scalar(Scalar)
        /// Key-value pairs, in the order written.
        case mapping([Pair])
        /// A list.
        case sequence([Node])
    }

    /// The content.
    public let kind: Kind
    /// Where the node begins in the source (for an alias: where the anchored node begins).
    public let location: SourceLocation
    /// How many nodes this node stands for once aliases are expanded; bounds the work
    /// any consumer can be made to do.
    public let weight: Int

    /// Creates a node; its weight is 1 plus its children's weights.
    public init(_ kind: Kind, at location: SourceLocation) {
        self.kind = kind
        self.location = location
        switch kind {
        case .scalar: weight = 1
        case .mapping(let pairs): weight = pairs.reduce(1) { $0 + $1.key.weight + $1.value.weight }
        case .sequence(let items): weight = items.reduce(1) { $0 + $1.weight }
        }
    }

    /// The scalar content, when this is a scalar.
    public var scalar: Scalar? {
        if case .scalar(let s) = kind { return s }
        return nil
    }

    /// The pairs, when this is a mapping.
    public var pairs: [Pair]? {
        if case .mapping(let p) = kind { return p }
        return nil
    }

    /// The items, when this is a sequence.
    public var items: [Node]? {
        if case .sequence(let i) = kind { return i }
        return nil
    }
}

/// A key and its value in a mapping.
public struct Pair: Sendable {
    /// The key node.
    public let key: Node
    /// The value node.
    public let value: Node

    /// Creates a pair.
    public init(key: Node, value: Node) {
        self.key = key
        self.value = value
    }
}

/// A scalar's text, how it was written and its explicit tag, if any.
public struct Scalar: Sendable, Hashable {
    /// How a scalar was written; only plain scalars are resolved to null, bool or number.
    public enum Style: Sendable, Hashable {
        case plain, singleQuoted, doubleQuoted, literal, folded
    }

    /// The scalar's text after YAML's escaping and folding rules.
    public let text: String
    /// How it was written.
    public let style: Style
    /// The explicit tag, when one was given.
    public let tag: Tag

    /// An explicit tag on a scalar; only `!!str` changes how jobrun reads it.
    public enum Tag: Sendable, Hashable {
        case none, string, other
    }

    /// Creates a scalar.
    public init(_ text: String, style: Style = .plain, tag: Tag = .none) {
        self.text = text
        self.style = style
        self.tag = tag
    }
}
