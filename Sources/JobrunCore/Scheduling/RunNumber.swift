/// A run's number within its task, counted from 1, as the report, the console, the log
/// names and `JOBRUN_RUN` give it. Not to be mixed up with a ``RunIndex``.
public struct RunNumber: Hashable, Comparable, Sendable, ExpressibleByIntegerLiteral, CustomStringConvertible {
    /// The number, from 1.
    public let value: Int

    /// Run number `value`.
    public init(_ value: Int) { self.value = value }
    public init(integerLiteral value: Int) { self.value = value }

    /// The run after this one.
    public var next: RunNumber { RunNumber(value + 1) }

    public static func < (a: RunNumber, b: RunNumber) -> Bool { a.value < b.value }
    public var description: String { String(value) }
}
