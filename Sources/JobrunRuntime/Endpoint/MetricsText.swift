/// The Prometheus text format (version 0.0.4), written into one buffer.
struct MetricsText {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int) { bytes.reserveCapacity(capacity) }

    /// `# HELP` and `# TYPE` of a family (help text without backslashes or line breaks).
    mutating func family(_ name: StaticString, _ type: StaticString, _ help: StaticString) {
        bytes += Array("# HELP ".utf8)
        append(name)
        bytes.append(UInt8(ascii: " "))
        append(help)
        bytes += Array("\n# TYPE ".utf8)
        append(name)
        bytes.append(UInt8(ascii: " "))
        append(type)
        bytes.append(UInt8(ascii: "\n"))
    }

    /// A sample whose value is a count: `name{labels extra} n`.
    mutating func sample(_ name: StaticString, _ labels: [UInt8]?, _ extra: [UInt8]? = nil, count: Int) {
        head(name, labels, extra)
        digits(Int64(count))
        bytes.append(UInt8(ascii: "\n"))
    }

    /// A sample whose value is milliseconds, written as seconds (`1796257895.535`).
    mutating func sample(_ name: StaticString, _ labels: [UInt8]?, _ extra: [UInt8]? = nil, milliseconds ms: Int64) {
        head(name, labels, extra)
        if ms < 0 { bytes.append(UInt8(ascii: "-")) }
        let m = ms.magnitude
        digits(Int64(m / 1000))
        let fraction = m % 1000
        bytes.append(UInt8(ascii: "."))
        bytes.append(UInt8(ascii: "0") + UInt8(fraction / 100))
        bytes.append(UInt8(ascii: "0") + UInt8(fraction / 10 % 10))
        bytes.append(UInt8(ascii: "0") + UInt8(fraction % 10))
        bytes.append(UInt8(ascii: "\n"))
    }

    /// `name{labels,extra} ` (`extra` starts with its comma), or `name ` without labels.
    private mutating func head(_ name: StaticString, _ labels: [UInt8]?, _ extra: [UInt8]?) {
        append(name)
        if let labels {
            bytes.append(UInt8(ascii: "{"))
            bytes.append(contentsOf: labels)
            if let extra { bytes.append(contentsOf: extra) }
            bytes.append(UInt8(ascii: "}"))
        }
        bytes.append(UInt8(ascii: " "))
    }

    private mutating func append(_ s: StaticString) {
        s.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    private mutating func digits(_ n: Int64) {
        if n < 0 { bytes.append(UInt8(ascii: "-")) }
        var m = n.magnitude
        var scratch: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                      UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &scratch) { buffer in
            repeat {
                buffer[19 - count] = UInt8(ascii: "0") + UInt8(m % 10)
                m /= 10
                count += 1
            } while m > 0
            bytes.append(contentsOf: buffer[(20 - count)...])
        }
    }
}
