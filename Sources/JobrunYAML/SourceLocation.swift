/// A 1-based line and column in a YAML source text.
public struct SourceLocation: Sendable, Hashable, Comparable, CustomStringConvertible {
    // Stored narrow: every node of a large file carries one.
    private var storedLine: UInt32
    private var storedColumn: UInt32

    /// 1-based line number.
    public var line: Int { Int(storedLine) }
    /// 1-based column number, counted in characters as libyaml counts them.
    public var column: Int { Int(storedColumn) }

    /// Creates a location from 1-based line and column.
    public init(line: Int, column: Int) {
        storedLine = UInt32(clamping: line)
        storedColumn = UInt32(clamping: column)
    }

    /// The start of a text.
    public static let start = SourceLocation(line: 1, column: 1)

    public static func < (lhs: SourceLocation, rhs: SourceLocation) -> Bool {
        (lhs.storedLine, lhs.storedColumn) < (rhs.storedLine, rhs.storedColumn)
    }

    public var description: String { "\(line):\(column)" }
}
