import Foundation
import JobrunYAML

/// Large files: libyaml parses on one thread while the tasks it has finished are read on
/// another, so the two halves of the work overlap. The result is the same as reading after
/// parsing; when the file's `defaults:`, `env:` or `timezone:` come after `tasks:`, the tasks
/// are read again afterwards (after a fatal YAML error, no task is read at all).
extension JobFileValidator {
    func validateStreaming(_ text: consuming [UInt8]) -> Validated {
        let feed = TaskFeed()
        let limits = self.limits
        // The parsing thread holds the only reference to the text and frees it when done.
        let box = TextBox(text)
        DispatchQueue.global().async {
            let document = YAMLComposer.compose(box.take(), limits: limits) { progress in
                switch progress {
                case .value(let key, let node): feed.value(key, node)
                case .item(let key, let index, let node) where key == "tasks": feed.item(index, node)
                case .item: break
                }
            }
            feed.finish(document)
        }
        // Read the tasks as they come, with what the file said before them.
        var precomputed: (prelude: Set<String>, chunk: TaskChunk)?
        if let prelude = feed.waitForFirstTask() {
            var pass = FilePass(reader: NodeReader(), environment: environment, linting: linting)
            var scratch = NodeReader()
            let (defaults, env) = pass.readPrelude(prelude, into: &scratch)
            var chunk = TaskChunk()
            while let batch = feed.nextItems() {
                for (i, node) in batch {
                    guard let (source, spec) = pass.readTask(node, index: i, defaults: defaults, fileEnv: env) else { continue }
                    chunk.sources.append(source)
                    if let spec {
                        chunk.sources[chunk.sources.count - 1].task = chunk.tasks.count
                        chunk.tasks.append(spec)
                    }
                }
            }
            chunk.diagnostics = pass.reader.diagnostics
            precomputed = (Set(prelude.keys), chunk)
        }
        let document = feed.waitForDocument()
        return finish(document, precomputed: precomputed.take())
    }
}

extension Optional {
    /// The value, leaving nil behind, so the caller holds the only reference.
    mutating func take() -> Wrapped? {
        defer { self = nil }
        return self
    }
}

/// Passes the file's text to the parsing thread without keeping a reference behind.
final class TextBox: @unchecked Sendable {
    private var text: [UInt8]?
    init(_ text: consuming [UInt8]) { self.text = text }
    func take() -> [UInt8] { text.take() ?? [] }
}

/// What reading a run of tasks produced.
struct TaskChunk: Sendable {
    var sources: [TaskSource] = []
    var tasks: [TaskSpec] = []
    var diagnostics: [Diagnostic] = []
}

/// Hands finished task nodes from the parsing thread to the reading thread.
final class TaskFeed: @unchecked Sendable {
    private let condition = NSCondition()
    private var prelude: [String: Node] = [:]
    private var items: [(Int, Node)] = []
    private var tasksStarted = false
    /// The first `tasks:` value is complete: items of a later, duplicate `tasks:` are not
    /// the file's tasks.
    private var tasksEnded = false
    private var document: YAMLDocument?

    // Of duplicate keys, the composer keeps the first, and so does the feed.
    func value(_ key: String, _ node: Node) {
        condition.lock()
        if key == "tasks" {
            tasksEnded = true
        } else if !tasksStarted && prelude[key] == nil {
            prelude[key] = node
        }
        condition.unlock()
    }

    func item(_ index: Int, _ node: Node) {
        condition.lock()
        defer { condition.unlock() }
        if tasksEnded { return }
        tasksStarted = true
        items.append((index, node))
        if items.count == 1 || items.count % 256 == 0 { condition.signal() }
    }

    func finish(_ document: YAMLDocument) {
        condition.lock()
        self.document = document
        condition.broadcast()
        condition.unlock()
    }

    /// The top-level values seen before the first task, once it arrives; nil when the
    /// document ended without one.
    func waitForFirstTask() -> [String: Node]? {
        condition.lock()
        defer { condition.unlock() }
        while items.isEmpty && document == nil { condition.wait() }
        return items.isEmpty ? nil : prelude
    }

    /// The tasks finished since the last call; nil when there will be no more.
    func nextItems() -> [(Int, Node)]? {
        condition.lock()
        defer { condition.unlock() }
        while items.isEmpty && document == nil { condition.wait() }
        if items.isEmpty { return nil }
        defer { items.removeAll(keepingCapacity: true) }
        return items
    }

    func waitForDocument() -> YAMLDocument {
        condition.lock()
        defer { condition.unlock() }
        while document == nil { condition.wait() }
        return document!
    }
}
