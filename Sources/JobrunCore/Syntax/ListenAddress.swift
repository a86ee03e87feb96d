/// `--listen` / `listen:`: where the HTTP endpoint listens, `HOST:PORT`, `[IPv6]:PORT`, or
/// `:PORT` (127.0.0.1: an endpoint is private unless an address is given).
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    /// An IP address or a host name.
    public var host: String
    /// 0–65535; 0 lets the system choose.
    public var port: Int

    /// Reads `text`; nil when it is not `HOST:PORT`.
    public init?(_ text: String) {
        let t = text.trimmingSpaces()
        guard let colon = t.lastIndex(of: ":") else { return nil }
        var host = String(t[..<colon])
        let digits = t[t.index(after: colon)...]
        guard !digits.isEmpty, digits.count <= 5, digits.allSatisfy(\.isASCIIDigit), let port = Int(digits), port <= 65535
        else { return nil }
        if host.hasPrefix("[") {
            guard host.hasSuffix("]"), host.count > 2 else { return nil }
            host = String(host.dropFirst().dropLast())
        } else if host.contains(":") {
            return nil
        }
        guard !host.contains(where: { $0 == " " || $0 == "/" || $0 == "[" || $0 == "]" }) else { return nil }
        self.host = host.isEmpty ? "127.0.0.1" : host
        self.port = port
    }

    /// `HOST:PORT`, brackets around an IPv6 address.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
