extension String {
    /// The text without the spaces and tabs at its ends (YAML's, not Unicode's, white space).
    func trimmingSpaces() -> String {
        guard let f = utf8.first, let l = utf8.last, f == 32 || f == 9 || l == 32 || l == 9 else { return self }
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }

    /// The text with every `target` replaced by `replacement`.
    func replacingAll(_ target: Character, _ replacement: String) -> String {
        guard contains(target) else { return self }
        var out = ""
        for ch in self { if ch == target { out += replacement } else { out.append(ch) } }
        return out
    }
}
