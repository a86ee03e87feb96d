import JobrunYAML

/// YAML text with numbered markers (1️⃣, 2️⃣, …) at the spots diagnostics must point to;
/// the markers are removed and their 1-based positions kept.
struct MarkedText {
    let text: String
    let markers: [String: SourceLocation]

    init(_ marked: String) {
        var text = ""
        var markers: [String: SourceLocation] = [:]
        var line = 1, column = 1
        var chars = Array(marked.unicodeScalars)[...]
        while let c = chars.first {
            // A keycap marker is digit, U+FE0F, U+20E3.
            if c.properties.numericType != nil, chars.count >= 3,
               chars[chars.startIndex + 1] == "\u{FE0F}", chars[chars.startIndex + 2] == "\u{20E3}" {
                markers[String(c) + "\u{FE0F}\u{20E3}"] = SourceLocation(line: line, column: column)
                chars = chars.dropFirst(3)
                continue
            }
            text.unicodeScalars.append(c)
            if c == "\n" { line += 1; column = 1 } else { column += 1 }
            chars = chars.dropFirst()
        }
        self.text = text
        self.markers = markers
    }

    subscript(_ marker: String) -> SourceLocation { markers[marker]! }
}
