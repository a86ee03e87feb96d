/// An id that is a count: a ``TaskIndex``, a ``RunIndex`` or a ``RunNumber``. Each is a type
/// of its own, so the compiler keeps them apart where a bare `Int` would not; they share
/// their order, their text and integer literals (for tests and tables).
public protocol IntegerId: RawRepresentable<Int>, Hashable, Comparable, Sendable, ExpressibleByIntegerLiteral,
    CustomStringConvertible {
    init(rawValue: Int)
}

extension IntegerId {
    /// The id whose count is `value`.
    public init(_ value: Int) { self.init(rawValue: value) }
    public init(integerLiteral value: Int) { self.init(rawValue: value) }
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
    public var description: String { String(rawValue) }
}
