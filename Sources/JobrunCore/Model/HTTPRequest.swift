/// An HTTP request (`type: http`).
public struct HTTPRequest: Sendable {
    /// The URL; may reference environment variables as `${NAME}`, as may headers and body.
    public var url: String
    /// GET, POST, …
    public var method: String
    /// Request headers, in file order.
    public var headers: OrderedPairs
    /// The request body, if any.
    public var body: String?
    /// Accepted statuses; empty means 2xx.
    public var expectStatus: [ClosedRange<Int>]
    /// The request deadline; nil means the task's `timeout`.
    public var timeout: Duration?
    /// Whether redirects are followed (to another origin without the task's headers and body).
    public var followRedirects = true

    /// Whether `status` counts as success.
    public func accepts(_ status: Int) -> Bool {
        expectStatus.isEmpty ? (200...299).contains(status) : expectStatus.contains { $0.contains(status) }
    }
}


extension HTTPRequest {
    static func isValidURL(_ s: String) -> Bool {
        let b = Array(s.utf8)
        func hasPrefix(_ p: String) -> Bool {
            b.count >= p.utf8.count && zip(b, p.utf8).allSatisfy { $0 | 0x20 == $1 }
        }
        let start = hasPrefix("https://") ? 8 : hasPrefix("http://") ? 7 : -1
        guard start > 0, !b.contains(where: { $0 <= 32 || $0 == 127 }) else { return false }
        let host = b[start...].prefix { $0 != UInt8(ascii: "/") && $0 != UInt8(ascii: "?") && $0 != UInt8(ascii: "#") }
        return !host.isEmpty && host.first != UInt8(ascii: ":")
    }

    /// `200`, or `"200-299"`, as a range of statuses.
    static func statusRange(_ text: String) -> ClosedRange<Int>? {
        let parts = text.trimmingSpaces().split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 1 || parts.count == 2 else { return nil }
        let nums = parts.compactMap { p -> Int? in
            guard p.utf8.count == 3, p.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
            return Int(p)
        }
        guard nums.count == parts.count, nums.allSatisfy({ (100...599).contains($0) }), nums.first! <= nums.last! else { return nil }
        return nums.first!...nums.last!
    }
}
