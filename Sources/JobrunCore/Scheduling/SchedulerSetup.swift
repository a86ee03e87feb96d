/// How the scheduler is set up for a run: which tasks, how many workers, for how long, and
/// the seed of its jitter.
public struct SchedulerSetup: Sendable {
    /// Worker pool size.
    public var workers: Int
    /// Positions of the tasks to run (`--only`/`--tag` with their `after:` dependencies); nil for all.
    public var selected: Set<TaskIndex>?
    /// Stop scheduling new runs this long after start (`--for`).
    public var runFor: Duration?
    /// Seed for jitter; nil draws one from the system.
    public var jitterSeed: UInt64?
    /// With a store: what it recorded before this start. The scheduler then continues each
    /// schedule, catches up on missed runs, and hands every status change to the store
    /// (``SchedulerCore/takeWrites()``).
    public var resume: Resume?
    /// In a cluster: every new run is claimed from the cluster before it starts
    /// (``SchedulerCore/Start/claim``, ``SchedulerCore/claimed(_:_:at:)``).
    public var cluster = false
    /// In a cluster, the cluster's start: what `now` and `+offset` are measured from, so
    /// that replicas started apart agree on every due instant. Nil: this run's own start.
    public var origin: Instant?
    /// In a cluster, this replica's id: every attempt it runs is recorded with it.
    public var replica: String?

    /// Creates a setup.
    public init(workers: Int, selected: Set<TaskIndex>? = nil, runFor: Duration? = nil, jitterSeed: UInt64? = nil) {
        self.workers = workers
        self.selected = selected
        self.runFor = runFor
        self.jitterSeed = jitterSeed
    }
}
