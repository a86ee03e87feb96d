import JobrunYAML

/// Checks that span tasks: unique names, `after` references and cycles, and the warnings
/// of the README's "What `--validate` checks" about files that are legal but surely not meant.
struct Semantics {
    let sources: [TaskSource]
    /// The tasks that read without errors; `TaskSource.task` points into it.
    /// The tasks that read without errors; `on_failure`/`on_success` are resolved here.
    var tasks: [TaskSpec]
    let zone: Zone
    var reader: NodeReader
    /// `defaults:`, for its `on_failure`/`on_success`.
    let defaults: TaskFields

    init(sources: [TaskSource], tasks: [TaskSpec], zone: Zone, reader: NodeReader, defaults: TaskFields = TaskFields()) {
        self.sources = sources
        self.tasks = tasks
        self.zone = zone
        self.reader = reader
        self.defaults = defaults
    }

    mutating func check() {
        // Position in `sources` of the first task with each name.
        var byName: [String: Int] = [:]
        byName.reserveCapacity(sources.count)
        for (k, s) in sources.enumerated() {
            guard let name = s.name else { continue }
            if let first = byName[name] {
                reader.error(.duplicateName(name, firstLine: sources[first].nameLocation.line), at: s.nameLocation, "tasks[\(s.index)].name")
            } else {
                byName[name] = k
            }
        }
        // The `after` graph over positions in `sources`, as flat arrays: the edges of task k
        // are edges[edgeStart[k]..<edgeStart[k + 1]], each with the index of its `after` item.
        var edgeStart = [Int](repeating: 0, count: sources.count + 1)
        var edges: [(to: Int, item: Int)] = []
        // Suggestions for unknown names: the names prepared once, and only for the first
        // hundred unknown names, so that a file whose every `after:` is wrong stays fast.
        var candidates: [Suggestion.Candidate]?
        var suggestionsLeft = 100
        for (k, s) in sources.enumerated() {
            for (j, a) in s.after.enumerated() {
                if a.value == s.name {
                    reader.error(.afterSelf(a.value), at: a.location, "tasks[\(s.index)].after[\(j)]")
                } else if let dep = byName[a.value] {
                    edges.append((dep, j))
                    if let t = sources[dep].task, tasks[t].enabled, tasks[t].isUnbounded {
                        reader.warning(.afterUnbounded(a.value), at: a.location, "tasks[\(s.index)].after[\(j)]")
                    }
                } else {
                    var suggestion: String?
                    if suggestionsLeft > 0 {
                        suggestionsLeft -= 1
                        if candidates == nil { candidates = sources.compactMap(\.name).map(Suggestion.Candidate.init) }
                        suggestion = Suggestion.closest(to: a.value, in: candidates!)
                    }
                    reader.error(.unknownAfter(a.value, suggestion: suggestion), at: a.location, "tasks[\(s.index)].after[\(j)]")
                }
            }
            edgeStart[k + 1] = edges.count
        }
        if !edges.isEmpty {
            let sources = sources
            findCycles(edgeStart: edgeStart, edges: edges, message: Message.cycle) { k, item in
                (sources[k].after[item].location, "tasks[\(sources[k].index)].after[\(item)]")
            }
        }
        checkNotifications(byName: byName)
        for k in sources.indices { warnings(k) }
    }

    /// `on_failure` and `on_success`: every name is a task, no task names itself, the lists
    /// form no cycle, and the tasks they name do not take them from `defaults:` (a notifier's
    /// own outcome triggers nothing). Resolves each task's lists to positions.
    private mutating func checkNotifications(byName: [String: Int]) {
        let fromDefaults = (defaults.onFailure ?? []).map { (Key.onFailure, $0) } + (defaults.onSuccess ?? []).map { (Key.onSuccess, $0) }
        guard !fromDefaults.isEmpty || sources.contains(where: { !$0.notifies.isEmpty }) else {
            for k in sources.indices { warnNeverRuns(k, notified: []) }
            return
        }
        var candidates: [Suggestion.Candidate]?
        // Positions in `sources` of every task some list names.
        var notified = Set<Int>()
        func resolve(_ key: Key, _ name: Located<String>, path: String, from k: Int?) -> Int? {
            if let k, name.value == sources[k].name {
                reader.error(.notifiesSelf(key.name, name.value), at: name.location, path)
                return nil
            }
            guard let target = byName[name.value] else {
                if candidates == nil { candidates = sources.compactMap(\.name).map(Suggestion.Candidate.init) }
                reader.error(.unknownNotified(key.name, name.value, suggestion: Suggestion.closest(to: name.value, in: candidates!)),
                             at: name.location, path)
                return nil
            }
            notified.insert(target)
            if let t = sources[target].task, !tasks[t].enabled {
                reader.warning(.notifiesDisabled(name.value), at: name.location, path)
            }
            return target
        }
        var defaultTargets: (onFailure: [TaskIndex], onSuccess: [TaskIndex]) = ([], [])
        var counters: [Key: Int] = [:]
        for (key, name) in fromDefaults {
            let j = counters[key, default: 0]
            counters[key] = j + 1
            if let target = resolve(key, name, path: "defaults.\(key.name)[\(j)]", from: nil) {
                if key == .onFailure { defaultTargets.onFailure.append(TaskIndex(sources[target].index)) } else {
                    defaultTargets.onSuccess.append(TaskIndex(sources[target].index))
                }
            }
        }
        var edgeStart = [Int](repeating: 0, count: sources.count + 1)
        var edges: [(to: Int, item: Int)] = []
        var own = [(onFailure: [TaskIndex], onSuccess: [TaskIndex])](repeating: ([], []), count: sources.count)
        for (k, s) in sources.enumerated() {
            var counters: [Key: Int] = [:]
            for (item, (key, name)) in s.notifies.enumerated() {
                let j = counters[key, default: 0]
                counters[key] = j + 1
                guard let target = resolve(key, name, path: "tasks[\(s.index)].\(key.name)[\(j)]", from: k) else { continue }
                edges.append((target, item))
                if key == .onFailure { own[k].onFailure.append(TaskIndex(sources[target].index)) } else {
                    own[k].onSuccess.append(TaskIndex(sources[target].index))
                }
            }
            edgeStart[k + 1] = edges.count
        }
        if !edges.isEmpty {
            let sources = sources
            findCycles(edgeStart: edgeStart, edges: edges, message: Message.notificationCycle) { k, item in
                let (key, name) = sources[k].notifies[item]
                let j = sources[k].notifies[..<item].count { $0.key == key }
                return (name.location, "tasks[\(sources[k].index)].\(key.name)[\(j)]")
            }
        }
        for (k, s) in sources.enumerated() {
            if let t = s.task {
                // A task that is itself told of others' ends does not take `defaults:`' lists.
                let inherits = !notified.contains(k)
                tasks[t].onFailure = s.inherits.onFailure ? (inherits ? defaultTargets.onFailure : []) : own[k].onFailure
                tasks[t].onSuccess = s.inherits.onSuccess ? (inherits ? defaultTargets.onSuccess : []) : own[k].onSuccess
            }
            warnNeverRuns(k, notified: notified)
        }
    }

    /// A `schedule: never` task that nothing names never runs.
    private mutating func warnNeverRuns(_ k: Int, notified: Set<Int>) {
        guard !notified.contains(k), let t = sources[k].task, tasks[t].schedule == .never, tasks[t].enabled,
              let at = sources[k].schedule?.location else { return }
        reader.warning(.neverNotified(tasks[t].name), at: at, "tasks[\(sources[k].index)].schedule")
    }

    /// One error per cycle, at the item of its earliest task that leads around it (`at`
    /// gives where an item of a task is written).
    private mutating func findCycles(edgeStart: [Int], edges: [(to: Int, item: Int)], message: ([String]) -> Message,
                                     at: (Int, Int) -> (SourceLocation, String)) {
        // Iterative Tarjan; node numbers are positions in `sources`, so file order.
        let count = sources.count
        func out(_ v: Int) -> ArraySlice<(to: Int, item: Int)> { edges[edgeStart[v]..<edgeStart[v + 1]] }
        var order = [Int](repeating: -1, count: count), low = order
        var onStack = [Bool](repeating: false, count: count)
        var stack: [Int] = [], counter = 0
        var components: [[Int]] = []
        var work: [(node: Int, edge: Int)] = []
        for root in 0..<count where order[root] < 0 && edgeStart[root] < edgeStart[root + 1] {
            work.append((root, 0))
            order[root] = counter; low[root] = counter; counter += 1
            stack.append(root); onStack[root] = true
            while let (v, e) = work.last {
                if edgeStart[v] + e < edgeStart[v + 1] {
                    work[work.count - 1].edge += 1
                    let w = edges[edgeStart[v] + e].to
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
                    if low[v] == order[v] && stack.last == v {
                        // A task on no cycle: the common case, without allocating.
                        stack.removeLast()
                        onStack[v] = false
                    } else if low[v] == order[v] {
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
            let first = component.min()!
            // Shortest way back to `first` inside the component, by breadth-first search.
            var previous: [Int: (from: Int, item: Int)] = [:]
            var queue = [first], head = 0
            search: while head < queue.count {
                let v = queue[head]; head += 1
                for (w, item) in out(v) where members.contains(w) {
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
            let firstItem = cycle.count > 1 ? out(first).first { $0.to == cycle[1] }!.item : step.item
            let names = (cycle + [first]).map { sources[$0].name! }
            let (location, path) = at(first, firstItem)
            reader.error(message(names), at: location, path)
        }
    }

    private mutating func warnings(_ k: Int) {
        for local in sources[k].localTimes {
            if case .skipped(let before, _) = zone.resolve(local: local.civil.localSeconds) {
                reader.warning(.localTimeInGap(local.text, zone: zone.identifier,
                                               runsAt: "\(zone.wallClock(before)) (\(Instant(seconds: before).rfc3339))"),
                               at: local.location, local.path)
            }
        }
        guard let i = sources[k].task else { return }
        func path(_ key: String) -> String { "tasks[\(sources[k].index)].\(key)" }
        if !tasks[i].recurs, let c = tasks[i].count, c > 1, let at = sources[k].countLocation {
            reader.warning(.countWithoutRepeat(c), at: at, path("count"))
        }
        let interval: Duration? = if case .every(let d) = tasks[i].schedule { d } else { tasks[i].repeatInterval }
        guard let interval, tasks[i].count != 1 else { return }
        if tasks[i].jitter >= interval, let at = sources[k].jitterLocation {
            reader.warning(.jitterExceedsInterval(jitter: ValueSyntax.format(tasks[i].jitter), interval: ValueSyntax.format(interval)),
                           at: at, path("jitter"))
        }
        if tasks[i].overlap == .skip, let timeout = tasks[i].timeout, timeout > interval, let at = sources[k].timeoutLocation {
            reader.warning(.timeoutExceedsInterval(timeout: ValueSyntax.format(timeout), interval: ValueSyntax.format(interval)),
                           at: at, path("timeout"))
        }
        let retry = tasks[i].retry
        if retry.retries > 0, retry.totalDelay >= interval, let at = sources[k].retriesLocation {
            reader.warning(.retriesExceedInterval(retries: retry.retries, wait: ValueSyntax.format(retry.totalDelay),
                                                  interval: ValueSyntax.format(interval)),
                           at: at, path("retries"))
        }
    }
}
