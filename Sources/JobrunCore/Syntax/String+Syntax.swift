extension String {
    /// `v` in at least two digits: `07`, `42`.
    init(twoDigits v: Int) { self = v < 10 && v >= 0 ? "0\(v)" : "\(v)" }

    /// The text without the spaces and tabs at its ends (YAML's, not Unicode's, white space).
    func trimmingSpaces() -> String {
        guard let f = utf8.first, let l = utf8.last, f == 32 || f == 9 || l == 32 || l == 9 else { return self }
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }

    /// The text with each scalar that `replacement` answers for replaced by the answer (an
    /// empty answer drops it): the one loop behind the JSON, XML and message escapers.
    func escaping(_ replacement: (Unicode.Scalar) -> String?) -> String {
        var out = ""
        out.reserveCapacity(utf8.count + 2)
        for u in unicodeScalars {
            if let r = replacement(u) { out += r } else { out.unicodeScalars.append(u) }
        }
        return out
    }

    /// The text with every `target` replaced by `replacement`.
    func replacingAll(_ target: Character, _ replacement: String) -> String {
        guard contains(target) else { return self }
        var out = ""
        for ch in self { if ch == target { out += replacement } else { out.append(ch) } }
        return out
    }
}
