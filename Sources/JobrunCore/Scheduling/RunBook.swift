import DequeModule

/// Every run of an invocation, as far as memory keeps it: the runs that have not ended (by
/// ``RunIndex``), and per task the last `keep` runs that have (`report_runs:`), how many
/// earlier ones were let go, and counts of every run and attempt. Memory stays flat however
/// many runs are made. "Last" is by run number (the order runs came due), also where a later
/// run ends before an earlier one (`overlap: allow`).
public struct RunBook: Sendable {
    /// How many ended runs of each task are kept.
    public let keep: Int
    private var live: [RunIndex: RunRecord] = [:]
    private var next = RunIndex(0)
    private var ended: ByTask<Deque<(index: RunIndex, record: RunRecord)>>
    /// Per task, how many ended runs were let go to keep memory flat.
    public private(set) var omitted: ByTask<Int>
    /// Every run and attempt counted, the ones let go included.
    public private(set) var totals = Report.Totals()
    /// Per task, the last run (by number) that ended succeeded, failed or timed out.
    public private(set) var lastRun: ByTask<RunRecord?>
    /// Per task, how its last ten such runs (by number) ended, oldest first.
    private var outcomes: ByTask<[(run: RunNumber, succeeded: Bool)]>

    /// Per task, how its last ten runs that succeeded, failed or timed out ended (true:
    /// succeeded), oldest first.
    public func recent(_ task: TaskIndex) -> [Bool] { outcomes[task].map(\.succeeded) }

    /// A book for `tasks` tasks that keeps `keep` ended runs of each.
    public init(tasks: Int, keep: Int) {
        self.keep = keep
        ended = ByTask(repeating: [], count: tasks)
        omitted = ByTask(repeating: 0, count: tasks)
        lastRun = ByTask(repeating: nil, count: tasks)
        outcomes = ByTask(repeating: [], count: tasks)
    }

    /// Makes room for a task put after the others (by a reload).
    public mutating func addTask() {
        ended.append([])
        omitted.append(0)
        lastRun.append(nil)
        outcomes.append([])
    }

    /// The run `index`, which has not ended.
    public subscript(_ index: RunIndex) -> RunRecord {
        get { live[index]! }
        set { live[index] = newValue }
    }

    /// The runs that have not ended, in any order.
    public var openRuns: Dictionary<RunIndex, RunRecord>.Values { live.values }

    /// Opens `record`, a run that has just come due; returns its index.
    public mutating func open(_ record: RunRecord) -> RunIndex {
        let index = next
        next = RunIndex(next.rawValue + 1)
        live[index] = record
        return index
    }

    /// Files the run `index`, which has ended: it is counted, and kept while it is among
    /// the last `keep` of its task.
    public mutating func close(_ index: RunIndex) {
        guard let record = live.removeValue(forKey: index) else { return }
        let t = record.task
        totals.count(record)
        if record.status != .skipped && record.status != .cancelled {
            if lastRun[t].map({ $0.run < record.run }) ?? true { lastRun[t] = record }
            let at = outcomes[t].lastIndex { $0.run < record.run }.map { $0 + 1 } ?? 0
            outcomes[t].insert((record.run, record.status == .succeeded), at: at)
            if outcomes[t].count > 10 { outcomes[t].removeFirst() }
        }
        // In run order; a run that ends after later ones took its place goes in its place.
        let at = ended[t].lastIndex { $0.record.run < record.run }.map { $0 + 1 } ?? 0
        ended[t].insert((index, record), at: at)
        if ended[t].count > keep {
            ended[t].removeFirst()
            omitted[t] += 1
        }
    }

    /// Lets go of the run `index`, which has not ended, as if it had never been opened (in
    /// a cluster, a run another replica runs): it is neither counted nor kept.
    public mutating func discard(_ index: RunIndex) {
        live.removeValue(forKey: index)
    }

    /// Every run kept, ended or not, in the order they came due.
    public var records: [RunRecord] {
        var all = ended.values.flatMap { $0 }
        all += live.map { ($0.key, $0.value) }
        return all.sorted { $0.index < $1.index }.map(\.record)
    }
}
