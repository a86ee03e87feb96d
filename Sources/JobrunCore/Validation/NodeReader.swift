import JobrunYAML

/// A value with the position it was written at.
struct Located<Value: Sendable>: Sendable {
    var value: Value
    var location: SourceLocation
}

/// Reads typed values out of YAML nodes, recording a diagnostic for each one that does
/// not fit and returning nil for it.
struct NodeReader {
    var diagnostics: [Diagnostic] = []

    mutating func error(_ message: Message, _ node: Node, _ path: @autoclosure () -> String) {
        diagnostics.append(Diagnostic(.error, message, at: node.location, path: path()))
    }

    mutating func error(_ message: Message, at location: SourceLocation, _ path: String) {
        diagnostics.append(Diagnostic(.error, message, at: location, path: path))
    }

    mutating func warning(_ message: Message, at location: SourceLocation, _ path: String) {
        diagnostics.append(Diagnostic(.warning, message, at: location, path: path))
    }

    static func describe(_ node: Node) -> String {
        switch node.kind {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .scalar(let s):
            switch s.resolved {
            case .null: return "nothing (null)"
            case .bool(let b): return "the boolean \(b)"
            case .int(let i): return "the number \(i)"
            case .float: return "the number \(s.text)"
            case .string(let t): return t.count > 40 ? "a string" : "the string \"\(t)\""
            }
        }
    }

    /// Checks a mapping's keys against a table; returns its values by key.
    mutating func mapping(_ node: Node, _ path: @autoclosure () -> String, keys table: KeyTable) -> Fields? {
        guard let pairs = node.pairs else {
            error(.expected(.mapping(of: table.context), found: Self.describe(node)), node, path())
            return nil
        }
        var fields = Fields(pairs: pairs)
        for (i, pair) in pairs.enumerated() {
            guard let name = pair.key.scalar?.text else {
                error(.keyNotString, pair.key, path())
                continue
            }
            if let key = Key.byName[name], table.allows(key) {
                fields.set(key, at: i)
            } else if let place = table.elsewhere[name] {
                error(.keyBelongsElsewhere(name, place: place), pair.key, Self.join(path(), name))
            } else {
                let alias = Key.aliases[name.lowercased()].flatMap { table.allows($0) ? $0.name : nil }
                error(.unknownKey(name, in: table.context, suggestion: alias ?? Suggestion.closest(to: name, in: table.names),
                                  allowed: table.names),
                      pair.key, Self.join(path(), name))
            }
        }
        return fields
    }

    static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : path + "." + key }

    mutating func string(_ node: Node, _ path: @autoclosure () -> String, allowEmpty: Bool = false, singleLine: Bool = false) -> String? {
        guard let s = node.scalar else {
            error(.expected(.string, found: Self.describe(node)), node, path())
            return nil
        }
        switch s.resolved {
        case .null, .bool:
            error(.expected(.string, found: Self.describe(node)), node, path())
            return nil
        default:
            if !allowEmpty && s.text.isEmpty {
                error(.emptyString, node, path())
                return nil
            }
            if singleLine && s.text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) {
                error(.controlCharactersInValue, node, path())
                return nil
            }
            return s.text
        }
    }

    mutating func int(_ node: Node, _ path: @autoclosure () -> String, range: ClosedRange<Int>) -> Int? {
        guard let s = node.scalar else {
            error(.expected(.wholeNumber, found: Self.describe(node)), node, path())
            return nil
        }
        switch s.resolved {
        case .int(let v):
            guard range.contains(v) else {
                error(range.upperBound == Int.max ? .tooSmall(v, minimum: range.lowerBound) : .outOfRange(v, range), node, path())
                return nil
            }
            return v
        case .float: error(.notInteger(s.text), node, path())
        default: error(.expected(.wholeNumber, found: Self.describe(node)), node, path())
        }
        return nil
    }

    mutating func bool(_ node: Node, _ path: @autoclosure () -> String) -> Bool? {
        if case .bool(let b)? = node.scalar?.resolved { return b }
        error(.expected(.boolean, found: Self.describe(node)), node, path())
        return nil
    }

    mutating func duration(_ node: Node, _ path: @autoclosure () -> String, positive: Bool = false) -> Duration? {
        guard let s = node.scalar else {
            error(.expected(.duration, found: Self.describe(node)), node, path())
            return nil
        }
        let d: Duration?
        switch s.resolved {
        case .int(let i): d = i < 0 ? nil : ValueSyntax.duration(seconds: Double(i))
        case .float(let f): d = f < 0 ? nil : ValueSyntax.duration(seconds: f)
        case .string(let t):
            if t.hasPrefix("-") {
                error(.negativeDuration, node, path())
                return nil
            }
            d = ValueSyntax.duration(t)
        default:
            error(.expected(.duration, found: Self.describe(node)), node, path())
            return nil
        }
        guard let d else {
            error(s.text.hasPrefix("-") ? .negativeDuration : .badDuration(s.text), node, path())
            return nil
        }
        if positive && d == .zero {
            error(.mustBePositive(s.text), node, path())
            return nil
        }
        return d
    }

    mutating func choice<E: RawRepresentable & CaseIterable>(_ node: Node, _ path: @autoclosure () -> String, _: E.Type) -> E?
    where E.RawValue == String {
        guard let text = string(node, path()) else { return nil }
        if let e = E(rawValue: text) { return e }
        let allowed = E.allCases.map(\.rawValue)
        error(.badEnum(text, allowed: allowed, suggestion: Suggestion.closest(to: text, in: allowed)), node, path())
        return nil
    }

    /// A list of strings; numbers are taken as their text.
    mutating func strings(_ node: Node, _ path: @autoclosure () -> String, nonEmpty: Bool = false) -> [Located<String>]? {
        guard let items = node.items else {
            if let text = node.scalar?.text, !text.isEmpty, node.scalar?.resolved != .null {
                error(.oneItemList(text), node, path())
            } else {
                error(.expected(.stringList, found: Self.describe(node)), node, path())
            }
            return nil
        }
        if nonEmpty && items.isEmpty {
            error(.emptyList, node, path())
            return nil
        }
        var out: [Located<String>] = []
        var ok = true
        for (i, item) in items.enumerated() {
            if let s = string(item, "\(path())[\(i)]") {
                out.append(Located(value: s, location: item.location))
            } else {
                ok = false
            }
        }
        return ok ? out : nil
    }

    /// A mapping of names to string values (environment, headers).
    mutating func stringMap(_ node: Node, _ path: @autoclosure () -> String) -> OrderedPairs? {
        guard let pairs = node.pairs else {
            error(.expected(.environmentMapping, found: Self.describe(node)), node, path())
            return nil
        }
        var out: OrderedPairs = []
        for pair in pairs {
            guard let key = pair.key.scalar?.text, !key.isEmpty else {
                error(.keyNotString, pair.key, path())
                continue
            }
            guard let s = pair.value.scalar, s.resolved != .null else {
                error(.expected(.stringQuoteEmpty, found: Self.describe(pair.value)), pair.value, Self.join(path(), key))
                continue
            }
            out.append((key: key, value: s.text))
        }
        return out
    }
}
