/// A mail message (`type: email`).
public struct EmailMessage: Sendable, Equatable {
    /// Recipients.
    public var to: [String]
    /// Copy recipients.
    public var cc: [String]
    /// The sender; nil leaves it to the sendmail program.
    public var from: String?
    /// The subject line.
    public var subject: String
    /// The text of the message.
    public var body: String
    /// The sendmail-compatible program; nil means `$JOBRUN_SENDMAIL`, else `/usr/sbin/sendmail`.
    public var sendmail: String?

    /// Creates a message.
    public init(to: [String], cc: [String], from: String?, subject: String, body: String, sendmail: String?) {
        (self.to, self.cc, self.from, self.subject, self.body, self.sendmail) = (to, cc, from, subject, body, sendmail)
    }
}


extension EmailMessage {
    /// `user@host` or `Display Name <user@host>`, with no line breaks.
    static func isValidAddress(_ s: String) -> Bool {
        var b = Array(s.utf8)[...]
        if b.contains(where: { $0 < 0x20 || $0 == 0x7f }) { return false }
        while b.first == 32 { b = b.dropFirst() }
        while b.last == 32 { b = b.dropLast() }
        if b.last == UInt8(ascii: ">"), let open = b.lastIndex(of: UInt8(ascii: "<")) {
            b = b[(open + 1)..<(b.endIndex - 1)]
        }
        guard let at = b.firstIndex(of: UInt8(ascii: "@")), at > b.startIndex, at < b.endIndex - 1 else { return false }
        let domain = b[(at + 1)...]
        let forbidden: [UInt8] = Array(" <>,;\"@".utf8)
        return !b[..<at].contains(where: forbidden.contains) && !domain.contains(where: forbidden.contains)
            && domain.first != UInt8(ascii: ".") && domain.last != UInt8(ascii: ".")
    }
}
