import CLibYAML

/// Composes one YAML document into a ``Node`` tree with libyaml's event parser. The only
/// code that touches libyaml.
public enum YAMLComposer {
    /// A node finished at the top of the document, reported while composition goes on.
    public enum Progress: Sendable {
        /// The value of a top-level key.
        case value(key: String, node: Node)
        /// An item of a list that is the value of a top-level key.
        case item(key: String, index: Int, node: Node)
    }

    /// Parses `bytes` as UTF-8 YAML holding a single document. `progress`, when given, hears
    /// of top-level values and of the items of top-level lists as soon as each is complete,
    /// so a consumer can work on them while the rest is still being parsed.
    public static func compose(_ bytes: [UInt8], limits: YAMLLimits = .standard,
                               progress: ((Progress) -> Void)? = nil) -> YAMLDocument {
        if bytes.count > limits.maxBytes {
            return YAMLDocument(root: nil, problems: [YAMLProblem(
                .limit,
                "the file is \(bytes.count / (1 << 20)) MiB; jobrun reads jobs files of at most \(limits.maxBytes >> 20) MiB — split it",
                at: .start)])
        }
        if let nul = bytes.prefix(8192).firstIndex(of: 0) {
            return YAMLDocument(root: nil, problems: [YAMLProblem(
                .encoding,
                "this is a binary file, not YAML text (a NUL byte at offset \(nul)); give jobrun a UTF-8 YAML file",
                at: .start)])
        }
        var composer = Composition(limits: limits)
        composer.progress = progress
        bytes.withUnsafeBufferPointer { composer.run($0) }
        return YAMLDocument(root: composer.root, problems: composer.problems)
    }
}

/// The state of one composition: a stack of open collections over libyaml's events.
private struct Composition {
    let limits: YAMLLimits
    var root: Node?
    var problems: [YAMLProblem] = []
    /// Open collections, innermost last. Frames past `depth` are kept for their buffers:
    /// reusing them saves growing a fresh array for every mapping of a large file.
    private var stack: [Frame] = []
    private var depth = 0
    private var anchors: [String: Node] = [:]
    private var aliasExpansion = 0
    private var documents = 0

    var progress: ((YAMLComposer.Progress) -> Void)?

    init(limits: YAMLLimits) { self.limits = limits }

    private struct Frame {
        var isMapping: Bool
        var location: SourceLocation
        var anchor: String?
        var items: [Node] = []
        var pairs: [Pair] = []
        var pendingKey: Node?
        /// Key names, kept as a set only once a mapping is large enough for it to pay.
        var keys: Set<String>?
        var merges: [Node] = []

        mutating func reset(isMapping: Bool, location: SourceLocation, anchor: String?) {
            self.isMapping = isMapping
            self.location = location
            self.anchor = anchor
            items.removeAll(keepingCapacity: true)
            pairs.removeAll(keepingCapacity: true)
            merges.removeAll(keepingCapacity: true)
            pendingKey = nil
            keys = nil
        }

        enum Outcome { case added, duplicate(Node, String) }

        /// Takes the next finished child: an item, a key, or the value for the pending key.
        mutating func accept(_ node: Node) -> Outcome {
            guard isMapping else {
                items.append(node)
                return .added
            }
            guard let key = pendingKey else {
                pendingKey = node
                return .added
            }
            pendingKey = nil
            guard case .scalar(let keyScalar) = key.kind else {
                pairs.append(Pair(key: key, value: node))
                return .added
            }
            let name = keyScalar.text
            if name == "<<", keyScalar.style == .plain {
                merges.append(node)
                return .added
            }
            if keys != nil {
                // Inserted in place: a copy bound here would make every insert copy the set.
                guard keys!.insert(name).inserted else { return .duplicate(key, name) }
            } else {
                for i in pairs.indices {
                    if case .scalar(let s) = pairs[i].key.kind, s.text == name { return .duplicate(key, name) }
                }
                if pairs.count >= 16 { keys = Set(pairs.compactMap { $0.key.scalar?.text } + [name]) }
            }
            pairs.append(Pair(key: key, value: node))
            return .added
        }
    }

    mutating func run(_ input: UnsafeBufferPointer<UInt8>) {
        let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
        defer { parser.deallocate() }
        guard yaml_parser_initialize(parser) == 1 else {
            problems.append(YAMLProblem(.limit, "out of memory while starting the YAML parser", at: .start))
            return
        }
        defer { yaml_parser_delete(parser) }
        yaml_parser_set_input_string(parser, input.baseAddress ?? UnsafePointer(bitPattern: 1), input.count)
        var event = yaml_event_t()
        while true {
            guard yaml_parser_parse(parser, &event) == 1 else {
                problems.append(Self.parserProblem(parser.pointee, input: input))
                return
            }
            let done = handle(event)
            yaml_event_delete(&event)
            if done { return }
        }
    }

    private static func parserProblem(_ p: yaml_parser_t, input: UnsafeBufferPointer<UInt8>) -> YAMLProblem {
        let problem = p.problem.map { String(cString: $0) } ?? "unknown YAML error"
        let at = SourceLocation(line: p.problem_mark.line + 1, column: p.problem_mark.column + 1)
        // libyaml's words for the two most common slips, said in the file's terms.
        let offset = Int(p.problem_mark.index)
        if problem == "found character that cannot start any token", offset < input.count, input[offset] == 9 {
            return YAMLProblem(.syntax, "a tab character; YAML indents with spaces only — replace the tab with spaces", at: at)
        }
        if problem == "mapping values are not allowed in this context" {
            return YAMLProblem(.syntax, "a `key: value` where none can start: usually this line is indented more than the "
                               + "key above it expects, or a value contains \": \" and needs quotes", at: at)
        }
        var message = problem
        if let context = p.context {
            message += " (\(String(cString: context)) at line \(p.context_mark.line + 1), column \(p.context_mark.column + 1))"
        }
        let kind: YAMLProblem.Kind = p.error == YAML_READER_ERROR ? .encoding : .syntax
        if p.error == YAML_READER_ERROR {
            // Reader errors carry a byte offset, not a line; the problem_mark is unset.
            message = "\(problem) at byte \(p.problem_offset); the file must be UTF-8 text"
            return YAMLProblem(kind, message, at: SourceLocation(line: p.mark.line + 1, column: p.mark.column + 1))
        }
        return YAMLProblem(kind, message, at: at)
    }

    private static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?, _ length: Int) -> String {
        guard let pointer else { return "" }
        return String(decoding: UnsafeBufferPointer(start: pointer, count: length), as: UTF8.self)
    }

    private static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        guard let pointer else { return nil }
        return String(cString: UnsafeRawPointer(pointer).assumingMemoryBound(to: CChar.self))
    }

    /// Handles one event; returns true when composition is over.
    private mutating func handle(_ event: yaml_event_t) -> Bool {
        let at = SourceLocation(line: event.start_mark.line + 1, column: event.start_mark.column + 1)
        switch event.type {
        case YAML_STREAM_END_EVENT:
            return true
        case YAML_DOCUMENT_START_EVENT:
            documents += 1
            if documents > 1 {
                problems.append(YAMLProblem(
                    .secondDocument,
                    "a second YAML document begins here; a jobs file holds one document — remove this `---` and what follows, or move it to its own file",
                    at: at))
                return true
            }
        case YAML_SCALAR_EVENT:
            let s = event.data.scalar
            let style: Scalar.Style = switch s.style {
            case YAML_SINGLE_QUOTED_SCALAR_STYLE: .singleQuoted
            case YAML_DOUBLE_QUOTED_SCALAR_STYLE: .doubleQuoted
            case YAML_LITERAL_SCALAR_STYLE: .literal
            case YAML_FOLDED_SCALAR_STYLE: .folded
            default: .plain
            }
            let tag: Scalar.Tag = switch Self.string(s.tag) {
            case nil: .none
            case "tag:yaml.org,2002:str", "!!str": .string
            default: .other
            }
            let node = Node(.scalar(Scalar(Self.string(s.value, s.length), style: style, tag: tag)), at: at)
            return add(node, anchor: Self.string(s.anchor))
        case YAML_ALIAS_EVENT:
            let name = Self.string(event.data.alias.anchor) ?? ""
            guard let target = anchors[name] else {
                // libyaml reports undefined aliases itself only in its loader; the parser leaves it to us.
                problems.append(YAMLProblem(.syntax, "the alias *\(name) names no anchor defined before it; define `&\(name)` first", at: at))
                return true
            }
            aliasExpansion += target.weight
            if aliasExpansion > limits.maxAliasExpansion {
                problems.append(YAMLProblem(
                    .limit,
                    "aliases expand to more than \(limits.maxAliasExpansion) nodes (an alias bomb?); jobrun stops here — use fewer nested aliases",
                    at: at))
                return true
            }
            return add(target, anchor: nil)
        case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
            if depth >= limits.maxDepth {
                problems.append(YAMLProblem(
                    .limit,
                    "the YAML nests deeper than \(limits.maxDepth) levels; jobrun stops here — a jobs file needs only a few",
                    at: at))
                return true
            }
            let isMapping = event.type == YAML_MAPPING_START_EVENT
            let anchor = isMapping ? Self.string(event.data.mapping_start.anchor) : Self.string(event.data.sequence_start.anchor)
            if depth == stack.count { stack.append(Frame(isMapping: isMapping, location: at)) }
            stack[depth].reset(isMapping: isMapping, location: at, anchor: anchor)
            depth += 1
        case YAML_SEQUENCE_END_EVENT:
            depth -= 1
            let items = Array(stack[depth].items[...])
            return add(Node(.sequence(items), at: stack[depth].location), anchor: stack[depth].anchor)
        case YAML_MAPPING_END_EVENT:
            let pairs = merged(stack[depth - 1])
            depth -= 1
            return add(Node(.mapping(pairs), at: stack[depth].location), anchor: stack[depth].anchor)
        default:
            break
        }
        return false
    }

    /// Adds a finished node to its parent (or makes it the root).
    private mutating func add(_ node: Node, anchor: String?) -> Bool {
        if let anchor { anchors[anchor] = node }
        guard depth > 0 else {
            root = node
            return false
        }
        if let progress, stack[0].isMapping, let key = stack[0].pendingKey?.scalar?.text {
            if depth == 1 {
                progress(.value(key: key, node: node))
            } else if depth == 2, !stack[1].isMapping {
                progress(.item(key: key, index: stack[1].items.count, node: node))
            }
        }
        switch stack[depth - 1].accept(node) {
        case .added: break
        case .duplicate(let key, let name):
            problems.append(YAMLProblem(
                .duplicateKey,
                "duplicate key \"\(name)\"; YAML keeps only one — remove one of them",
                at: key.location, path: path(appending: name)))
        }
        return false
    }

    /// The dotted path of the collection being filled, plus `key`.
    private func path(appending key: String) -> String {
        var out = ""
        for frame in stack[..<(depth - 1)] {
            if frame.isMapping {
                let k = frame.pendingKey?.scalar?.text ?? "?"
                out += out.isEmpty ? k : "." + k
            } else {
                out += "[\(frame.items.count)]"
            }
        }
        return out.isEmpty ? key : out + "." + key
    }

    /// Applies merge keys: keys written in the mapping win, then earlier merged maps win.
    private mutating func merged(_ frame: Frame) -> [Pair] {
        guard !frame.merges.isEmpty else { return Array(frame.pairs[...]) }
        var pairs = frame.pairs
        var keys = Set(frame.pairs.compactMap { $0.key.scalar?.text })
        for source in frame.merges {
            let maps: [Node]
            switch source.kind {
            case .mapping: maps = [source]
            case .sequence(let items) where items.allSatisfy({ $0.pairs != nil }): maps = items
            default:
                problems.append(YAMLProblem(
                    .badMerge,
                    "the merge key `<<` takes a mapping or a list of mappings (e.g. `<<: *defaults`)",
                    at: source.location, path: path(appending: "<<")))
                continue
            }
            for map in maps {
                for pair in map.pairs ?? [] {
                    guard let name = pair.key.scalar?.text else { continue }
                    if keys.insert(name).inserted { pairs.append(pair) }
                }
            }
        }
        return pairs
    }
}
