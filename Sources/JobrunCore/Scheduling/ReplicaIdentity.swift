/// Who runs a job in a cluster: the file's namespace and the replica's id. Jobs get
/// `JOBRUN_RUN_ID` and `JOBRUN_REPLICA`; HTTP requests carry `Idempotency-Key` (README, "A
/// cluster on PostgreSQL").
public struct ReplicaIdentity: Sendable, Equatable {
    /// The file's namespace (`name:`).
    public var namespace: String
    /// The replica's id (`--replica`).
    public var replica: String

    /// Creates an identity.
    public init(namespace: String, replica: String) {
        self.namespace = namespace
        self.replica = replica
    }

    /// The id of the run of `task` due at `due`, the same on every replica:
    /// `namespace/task@due-instant`.
    public func runID(task: String, due: Instant) -> String { "\(namespace)/\(task)@\(due.rfc3339)" }
}
