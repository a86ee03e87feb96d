extension EmailMessage {
    /// The message as RFC 5322 text with CRLF line endings, ready for `sendmail -t -i`:
    /// From, To, Cc, Subject, Date, Message-ID, MIME-Version and a UTF-8 plain-text body.
    /// Non-ASCII header text is RFC 2047 encoded, and no field can add a header line.
    public func composed(date: Instant, messageID: String, defaultFrom: String) -> String {
        var lines: [String] = []
        lines.append("From: " + Self.address(from ?? defaultFrom))
        lines.append("To: " + to.map(Self.address).joined(separator: ", "))
        if !cc.isEmpty { lines.append("Cc: " + cc.map(Self.address).joined(separator: ", ")) }
        lines.append("Subject: " + Self.encodedWord(Self.oneLine(subject)))
        lines.append("Date: " + Self.rfc5322Date(date))
        lines.append("Message-ID: <\(Self.oneLine(messageID))>")
        lines.append("MIME-Version: 1.0")
        lines.append("Content-Type: text/plain; charset=utf-8")
        lines.append("Content-Transfer-Encoding: 8bit")
        var body = body.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        if !body.isEmpty, !body.hasSuffix("\n") { body += "\n" }
        return lines.joined(separator: "\r\n") + "\r\n\r\n" + body.replacingOccurrences(of: "\n", with: "\r\n")
    }

    /// Header text with line breaks and other control characters removed.
    static func oneLine(_ s: String) -> String {
        String(String.UnicodeScalarView(s.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7f }))
    }

    /// `Name <user@host>` with a non-ASCII name encoded; a bare address as it is.
    static func address(_ raw: String) -> String {
        let a = oneLine(raw).trimmingSpaces()
        guard a.hasSuffix(">"), let open = a.lastIndex(of: "<") else { return a }
        let name = String(a[..<open]).trimmingSpaces()
        let addr = String(a[open...])
        if name.isEmpty { return addr }
        if name.unicodeScalars.allSatisfy(\.isASCII) {
            let quoted = name.contains(where: { "()<>[]:;@\\,.\"".contains($0) })
                ? "\"" + name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
                : name
            return quoted + " " + addr
        }
        return encodedWord(name) + " " + addr
    }

    /// RFC 2047 `=?utf-8?B?…?=` words for non-ASCII text (each under 76 characters).
    static func encodedWord(_ text: String) -> String {
        guard !text.unicodeScalars.allSatisfy(\.isASCII) else { return text }
        // Split on whole characters so no word cuts a UTF-8 sequence.
        var words: [String] = []
        var chunk: [UInt8] = []
        for ch in text {
            let bytes = Array(String(ch).utf8)
            if chunk.count + bytes.count > 45 {
                words.append("=?utf-8?B?" + Base64.encode(chunk) + "?=")
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty { words.append("=?utf-8?B?" + Base64.encode(chunk) + "?=") }
        return words.joined(separator: "\r\n ")
    }

    /// `Sun, 29 Nov 2026 10:00:00 +0000`.
    static func rfc5322Date(_ t: Instant) -> String {
        let c = CivilDateTime(localSeconds: t.seconds)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let two = String.init(twoDigits:)
        return "\(days[c.weekday]), \(two(c.day)) \(months[c.month - 1]) \(c.year) \(two(c.hour)):\(two(c.minute)):\(two(c.second)) +0000"
    }
}

/// Base64 (RFC 4648) for encoded words.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            let b0 = bytes[i], b1 = i + 1 < bytes.count ? bytes[i + 1] : 0, b2 = i + 2 < bytes.count ? bytes[i + 2] : 0
            out.append(alphabet[Int(b0 >> 2)])
            out.append(alphabet[Int((b0 & 3) << 4 | b1 >> 4)])
            out.append(i + 1 < bytes.count ? alphabet[Int((b1 & 15) << 2 | b2 >> 6)] : UInt8(ascii: "="))
            out.append(i + 2 < bytes.count ? alphabet[Int(b2 & 63)] : UInt8(ascii: "="))
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}
