import Foundation

/// Blanks out secrets — the values of `${NAME}` references — wherever jobrun prints or
/// stores text, in the forms that carry them: as they are, percent-encoded, JSON-escaped
/// and base64 (in each of its three alignments, so inside a longer encoded string too).
/// Text that is cut to a limit is masked before the cut, and a piece of a secret left at a
/// cut is dropped, so no prefix or suffix of a secret survives (README "Secrets").
public struct SecretMask: Sendable {
    /// Values shorter than this are not masked (they would blank out ordinary text); the
    /// validator warns about them.
    public static let shortest = 4
    /// What a secret becomes.
    public static let replacement: [UInt8] = Array("***".utf8)

    /// Every form of every secret, longest first.
    let forms: [[UInt8]]
    /// The length in bytes of the longest form: how much more than its limit a text to be
    /// cut must keep, so that no form straddles the cut unseen.
    public let longest: Int

    /// A mask for `secrets` (values shorter than ``shortest`` are left out).
    public init(_ secrets: some Sequence<String>) {
        var all = Set<[UInt8]>()
        for secret in secrets where secret.count >= Self.shortest {
            for form in Self.forms(of: secret) where form.count >= Self.shortest { all.insert(form) }
        }
        forms = all.sorted { $0.count != $1.count ? $0.count > $1.count : $0.lexicographicallyPrecedes($1) }
        longest = forms.first?.count ?? 0
    }

    /// A mask that masks nothing.
    public static let none = SecretMask([String]())

    /// Whether there is nothing to mask.
    public var isEmpty: Bool { forms.isEmpty }

    /// The secrets of a file: the value of every `${NAME}` in an http task's url, headers
    /// and body, looked up as the request will be (jobrun's environment, then the task's),
    /// and those of a PostgreSQL `state:` URL with its password.
    public static func secrets(of file: JobFile, environment: [String: String]) -> [String] {
        var values = file.state.map { secrets(ofState: $0, environment: environment) } ?? []
        for task in file.tasks {
            guard let http = task.http else { continue }
            var env = environment
            for (k, v) in task.env { env[k] = v }
            for text in [http.url, http.body ?? ""] + http.headers.map(\.value) {
                values += EnvironmentReference.expand(text, from: env, skippingEvents: true).secrets
            }
        }
        return values
    }

    /// The secrets of a PostgreSQL state URL (`state:` or `--state`): what its `${NAME}`s
    /// stand for, and its password. None for a file path.
    public static func secrets(ofState state: String, environment: [String: String]) -> [String] {
        guard PostgresURL.isURL(state) else { return [] }
        let expanded = EnvironmentReference.expand(state, from: environment)
        var values = expanded.secrets
        if let password = (try? PostgresURL(expanded.text, defaultUser: "postgres"))?.password, !password.isEmpty {
            values.append(password)
        }
        return values
    }

    // MARK: Masking

    /// `text` with every form of every secret replaced.
    public func callAsFunction(_ text: String) -> String {
        guard !isEmpty else { return text }
        let bytes = Array(text.utf8)
        let masked = mask(bytes)
        return masked == bytes ? text : String(decoding: masked, as: UTF8.self)
    }

    /// `bytes` with every form of every secret replaced.
    public func mask(_ bytes: [UInt8]) -> [UInt8] {
        guard !isEmpty, bytes.count >= Self.shortest else { return bytes }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        var changed = false
        outer: while i < bytes.count {
            for form in forms where form.count <= bytes.count - i && bytes[i] == form[0] {
                if bytes[i..<(i + form.count)].elementsEqual(form) {
                    out += Self.replacement
                    i += form.count
                    changed = true
                    continue outer
                }
            }
            out.append(bytes[i])
            i += 1
        }
        return changed ? out : bytes
    }

    /// How many bytes at the end of `bytes` could be the start of a secret whose rest was cut
    /// off: the longest proper prefix of a form that `bytes` ends with.
    public func partialAtEnd(_ bytes: some Collection<UInt8>) -> Int {
        let bytes = Array(bytes)
        for n in stride(from: Swift.min(longest - 1, bytes.count), through: 1, by: -1) {
            let end = bytes[(bytes.count - n)...]
            if forms.contains(where: { $0.count > n && $0.prefix(n).elementsEqual(end) }) { return n }
        }
        return 0
    }

    /// How many bytes at the start of `bytes` could be the end of a secret whose start was
    /// cut off: the longest proper suffix of a form that `bytes` starts with.
    public func partialAtStart(_ bytes: some Collection<UInt8>) -> Int {
        let bytes = Array(bytes)
        for n in stride(from: Swift.min(longest - 1, bytes.count), through: 1, by: -1) {
            let start = bytes[..<n]
            if forms.contains(where: { $0.count > n && $0.suffix(n).elementsEqual(start) }) { return n }
        }
        return 0
    }

    /// The first `limit` bytes of a text that was read only up to `bytes` (and went on when
    /// `more`), masked before the cut.
    public func head(_ bytes: [UInt8], limit: Int, more: Bool) -> String {
        var bytes = bytes
        if more { bytes.removeLast(partialAtEnd(bytes)) }
        return String(decoding: mask(bytes).prefix(limit), as: UTF8.self)
    }

    /// The last `limit` bytes of a text of which only `bytes` were kept (and more came before,
    /// when `cut`), masked before the cut.
    public func tail(_ bytes: [UInt8], limit: Int, cut: Bool) -> String {
        var bytes = bytes
        if cut { bytes.removeFirst(partialAtStart(bytes)) }
        return String(decoding: mask(bytes).suffix(limit), as: UTF8.self)
    }

    // MARK: Forms

    /// The forms a secret is masked in.
    static func forms(of secret: String) -> [[UInt8]] {
        let raw = Array(secret.utf8)
        var forms: [[UInt8]] = [raw]
        // Percent-encoded, as URLs and form bodies carry it.
        for upper in [true, false] {
            forms.append(percentEncoded(raw, keep: unreserved, upper: upper, plusForSpace: false))
            forms.append(percentEncoded(raw, keep: unreserved, upper: upper, plusForSpace: true))
        }
        for allowed in [CharacterSet.urlQueryAllowed, .urlPathAllowed, .urlUserAllowed, .urlPasswordAllowed] {
            if let encoded = secret.addingPercentEncoding(withAllowedCharacters: allowed) { forms.append(Array(encoded.utf8)) }
        }
        // JSON-escaped: as jobrun escapes, with `/` escaped too, and with non-ASCII as \u escapes.
        let json = Array(JSONText.string(secret).utf8.dropFirst().dropLast())
        forms.append(json)
        forms.append(json.flatMap { $0 == UInt8(ascii: "/") ? Array(#"\/"#.utf8) : [$0] })
        for slash in [false, true] {
            for upper in [false, true] {
                forms.append(Array(secret.unicodeScalars.map { s -> String in
                    if slash && s == "/" { return #"\/"# }
                    if s.isASCII { return String(JSONText.string(String(s)).dropFirst().dropLast()) }
                    return String(s).utf16.map { String(format: upper ? "\\u%04X" : "\\u%04x", $0) }.joined()
                }.joined().utf8))
            }
        }
        // base64 (standard and URL-safe), in the three alignments a secret can have inside a
        // longer encoded string (`user:password` in a Basic Authorization).
        for shift in 0..<3 {
            let padded = [UInt8](repeating: 0, count: shift) + raw
            let encoded = Array(Data(padded).base64EncodedString().utf8)
            // Characters that depend only on the secret's bytes, not on what is around it.
            let first = (shift * 8 + 5) / 6
            let last = padded.count * 8 / 6
            guard last > first else { continue }
            let stable = Array(encoded[first..<last])
            forms.append(stable)
            forms.append(stable.map { $0 == UInt8(ascii: "+") ? UInt8(ascii: "-") : $0 == UInt8(ascii: "/") ? UInt8(ascii: "_") : $0 })
        }
        return forms
    }

    private static let unreserved = Set(Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8))

    private static func percentEncoded(_ bytes: [UInt8], keep: Set<UInt8>, upper: Bool, plusForSpace: Bool) -> [UInt8] {
        let digits = Array((upper ? "0123456789ABCDEF" : "0123456789abcdef").utf8)
        var out: [UInt8] = []
        for b in bytes {
            if keep.contains(b) {
                out.append(b)
            } else if plusForSpace && b == UInt8(ascii: " ") {
                out.append(UInt8(ascii: "+"))
            } else {
                out += [UInt8(ascii: "%"), digits[Int(b >> 4)], digits[Int(b & 15)]]
            }
        }
        return out
    }
}
