/// "Did you mean": the closest candidate within a small edit distance.
public enum Suggestion {
    /// The candidate closest to `word`, when one is within a few edits.
    public static func closest(to word: String, in candidates: [String]) -> String? {
        closest(to: word, in: candidates.map(Candidate.init))
    }

    /// A candidate with its lowercased text taken apart once, for many lookups.
    public struct Candidate: Sendable {
        let name: String
        let scalars: [Unicode.Scalar]
        let limit: Int

        /// Prepares `name`.
        public init(_ name: String) {
            self.name = name
            scalars = Array(name.lowercased().unicodeScalars)
            limit = max(1, min(3, name.count / 3))
        }
    }

    /// The candidate closest to `word`, when one is within a few edits.
    public static func closest(to word: String, in candidates: [Candidate]) -> String? {
        let lower = Array(word.lowercased().unicodeScalars)
        var best: (String, Int)?
        for c in candidates {
            // The distance is at least the difference in length: a long value (a whole line
            // pasted as a time zone) is far from every candidate, and costs nothing.
            guard abs(c.scalars.count - lower.count) <= c.limit else { continue }
            let d = distance(lower, c.scalars, limit: c.limit)
            if d <= c.limit, best == nil || d < best!.1 { best = (c.name, d) }
        }
        return best?.0
    }

    /// Levenshtein distance with adjacent transpositions counted as one edit.
    static func distance(_ a: String, _ b: String) -> Int {
        distance(Array(a.unicodeScalars), Array(b.unicodeScalars), limit: .max - 1)
    }

    /// The distance, or `limit + 1` as soon as it is certain to be more than `limit`; three
    /// rows, not a whole table.
    static func distance(_ x: [Unicode.Scalar], _ y: [Unicode.Scalar], limit: Int) -> Int {
        if x.isEmpty { return min(y.count, limit + 1) }
        if y.isEmpty { return min(x.count, limit + 1) }
        var older = [Int](repeating: 0, count: y.count + 1)
        var previous = Array(0...y.count)
        var current = [Int](repeating: 0, count: y.count + 1)
        var previousMin = 0
        for i in 1...x.count {
            current[0] = i
            var rowMin = i
            for j in 1...y.count {
                let cost = x[i - 1] == y[j - 1] ? 0 : 1
                var d = Swift.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, x[i - 1] == y[j - 2], x[i - 2] == y[j - 1] {
                    d = Swift.min(d, older[j - 2] + 1)
                }
                current[j] = d
                rowMin = Swift.min(rowMin, d)
            }
            // Every later cell comes from this row or (by a transposition, plus one) the one
            // before it.
            if rowMin > limit && previousMin > limit { return limit + 1 }
            previousMin = rowMin
            (older, previous, current) = (previous, current, older)
        }
        return Swift.min(previous[y.count], limit + 1)
    }
}
