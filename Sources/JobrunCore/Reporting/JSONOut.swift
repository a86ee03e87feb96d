/// JSON text written into one buffer in the report's layout: each member of an object and
/// each item of an array on a line of its own, two spaces deeper than its container, which
/// starts at `indent`. The store writes a record per status change, so this allocates no
/// string per value.
struct JSONOut {
    private(set) var bytes: [UInt8] = []
    private let indent: Int
    private var depth = 0
    /// Bit `d`: the container at depth `d` has a member or an item.
    private var filled: UInt64 = 0

    init(indent: Int, capacity: Int = 512) {
        self.indent = indent
        bytes.reserveCapacity(capacity)
    }

    /// Opens an object or an array (`{` or `[`).
    mutating func open(_ bracket: Unicode.Scalar) {
        bytes.append(UInt8(ascii: bracket))
        depth += 1
        filled &= ~(1 << depth)
    }

    /// Closes the innermost container (`}` or `]`).
    mutating func close(_ bracket: Unicode.Scalar) {
        if filled & (1 << depth) != 0 { newline(indent + 2 * (depth - 1)) }
        bytes.append(UInt8(ascii: bracket))
        depth -= 1
    }

    /// Starts a member of the innermost object; its value comes next.
    mutating func key(_ name: StaticString) {
        item()
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":"), UInt8(ascii: " ")])
    }

    /// Starts an item of the innermost array; its value comes next.
    mutating func item() {
        if filled & (1 << depth) != 0 { bytes.append(UInt8(ascii: ",")) }
        filled |= 1 << depth
        newline(indent + 2 * depth)
    }

    mutating func string(_ s: String) {
        if JSONText.needsNoEscape(s) {
            bytes.append(UInt8(ascii: "\""))
            bytes.append(contentsOf: s.utf8)
            bytes.append(UInt8(ascii: "\""))
        } else {
            bytes.append(contentsOf: JSONText.string(s).utf8)
        }
    }

    /// A whole number, digit by digit (String(n) of a generic integer is slow).
    mutating func number<N: BinaryInteger>(_ n: N) {
        let value = Int64(n)
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        let start = bytes.count
        repeat {
            bytes.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        bytes[start...].reverse()
    }

    mutating func null() { bytes.append(contentsOf: [UInt8(ascii: "n"), UInt8(ascii: "u"), UInt8(ascii: "l"), UInt8(ascii: "l")]) }

    /// An instant as an RFC 3339 string, or null.
    mutating func instant(_ i: Instant?) {
        guard let i else { return null() }
        bytes.append(UInt8(ascii: "\""))
        i.appendRFC3339(to: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }

    /// Milliseconds from `from` to `to`, or null without both.
    mutating func milliseconds(_ from: Instant?, _ to: Instant?) {
        guard let from, let to else { return null() }
        number((to - from).milliseconds)
    }

    private mutating func newline(_ spaces: Int) {
        bytes.append(UInt8(ascii: "\n"))
        for _ in 0..<spaces { bytes.append(UInt8(ascii: " ")) }
    }
}
