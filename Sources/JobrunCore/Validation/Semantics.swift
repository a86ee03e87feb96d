import JobrunYAML

/// Checks that span tasks: unique names, `after` references and cycles, and the warnings
/// of SPEC §8 about files that are legal but surely not meant.
struct Semantics {
    let sources: [TaskSource]
    let zone: Zone
    var reader: NodeReader

    init(sources: [TaskSource], zone: Zone, reader: NodeReader) {
        self.sources = sources
        self.zone = zone
        self.reader = reader
    }

    mutating func check() {
        var byName: [String: TaskSource] = [:]
        for s in sources {
            guard let name = s.name else { continue }
            if let first = byName[name] {
                reader.error(.duplicateName(name, firstLine: first.nameLocation.line), at: s.nameLocation, "tasks[\(s.index)].name")
            } else {
                byName[name] = s
            }
        }
        let names = sources.compactMap(\.name)
        for s in sources {
            for (j, a) in s.after.enumerated() {
                let path = "tasks[\(s.index)].after[\(j)]"
                if a.value == s.name {
                    reader.error(.afterSelf(a.value), at: a.location, path)
                } else if let dep = byName[a.value] {
                    if let t = dep.task, t.enabled, t.isUnbounded {
                        reader.warning(.afterUnbounded(a.value), at: a.location, path)
                    }
                } else {
                    reader.error(.unknownAfter(a.value, suggestion: Suggestion.closest(to: a.value, in: names)), at: a.location, path)
                }
            }
        }
        findCycles(byName)
        for s in sources { warnings(s) }
    }

    /// One error per cycle, at the `after` item of its earliest task that leads around it.
    private mutating func findCycles(_ byName: [String: TaskSource]) {
        // Iterative Tarjan over the first task of each name.
        let nodes = sources.filter { s in s.name.map { byName[$0]?.index == s.index } ?? false }
        var indexOf: [String: Int] = [:]
        for (k, s) in nodes.enumerated() { indexOf[s.name!] = k }
        let edges: [[(to: Int, item: Int)]] = nodes.map { s in
            s.after.enumerated().compactMap { j, a in
                guard a.value != s.name, let t = indexOf[a.value] else { return nil }
                return (t, j)
            }
        }
        var order = [Int](repeating: -1, count: nodes.count), low = order
        var onStack = [Bool](repeating: false, count: nodes.count)
        var stack: [Int] = [], counter = 0
        var components: [[Int]] = []
        for root in nodes.indices where order[root] < 0 {
            var work: [(node: Int, edge: Int)] = [(root, 0)]
            order[root] = counter; low[root] = counter; counter += 1
            stack.append(root); onStack[root] = true
            while let (v, e) = work.last {
                if e < edges[v].count {
                    work[work.count - 1].edge += 1
                    let w = edges[v][e].to
                    if order[w] < 0 {
                        order[w] = counter; low[w] = counter; counter += 1
                        stack.append(w); onStack[w] = true
                        work.append((w, 0))
                    } else if onStack[w] {
                        low[v] = min(low[v], order[w])
                    }
                } else {
                    work.removeLast()
                    if let parent = work.last { low[parent.node] = min(low[parent.node], low[v]) }
                    if low[v] == order[v] {
                        var component: [Int] = []
                        while true {
                            let w = stack.removeLast()
                            onStack[w] = false
                            component.append(w)
                            if w == v { break }
                        }
                        if component.count > 1 { components.append(component) }
                    }
                }
            }
        }
        for component in components {
            let members = Set(component)
            let first = component.min { nodes[$0].index < nodes[$1].index }!
            // Shortest way back to `first` inside the component, by breadth-first search.
            var previous: [Int: (from: Int, item: Int)] = [:]
            var queue = [first], head = 0
            search: while head < queue.count {
                let v = queue[head]; head += 1
                for (w, item) in edges[v] where members.contains(w) {
                    if w == first {
                        previous[-1] = (v, item)
                        break search
                    }
                    if previous[w] == nil { previous[w] = (v, item); queue.append(w) }
                }
            }
            var cycle: [Int] = []
            var step = previous[-1]!
            while true {
                cycle.append(step.from)
                if step.from == first { break }
                step = previous[step.from]!
            }
            cycle.reverse()
            let firstItem = cycle.count > 1 ? edges[first].first { $0.to == cycle[1] }!.item : step.item
            let source = nodes[first]
            let names = (cycle + [first]).map { nodes[$0].name! }
            reader.error(.cycle(names), at: source.after[firstItem].location, "tasks[\(source.index)].after[\(firstItem)]")
        }
    }

    private mutating func warnings(_ s: TaskSource) {
        for local in s.localTimes {
            if case .skipped(let before, _) = zone.resolve(local: local.civil.localSeconds) {
                reader.warning(.localTimeInGap(local.text, zone: zone.identifier,
                                               runsAt: "\(zone.wallClock(before)) (\(Instant(seconds: before).rfc3339))"),
                               at: local.location, local.path)
            }
        }
        guard let t = s.task else { return }
        let path = "tasks[\(s.index)]"
        if !t.recurs, let c = t.count, c > 1, let at = s.countLocation {
            reader.warning(.countWithoutRepeat(c), at: at, path + ".count")
        }
        let interval: Duration? = if case .every(let d) = t.schedule { d } else { t.repeatInterval }
        guard let interval, t.count != 1 else { return }
        if t.overlap == .skip, let timeout = t.timeout, timeout > interval, let at = s.timeoutLocation {
            reader.warning(.timeoutExceedsInterval(timeout: ValueSyntax.format(timeout), interval: ValueSyntax.format(interval)),
                           at: at, path + ".timeout")
        }
        if t.retry.retries > 0, t.retry.totalDelay >= interval, let at = s.retriesLocation {
            reader.warning(.retriesExceedInterval(retries: t.retry.retries, wait: ValueSyntax.format(t.retry.totalDelay),
                                                  interval: ValueSyntax.format(interval)),
                           at: at, path + ".retries")
        }
    }
}
