extension TaskSpec {
    /// Whether `other` defines the same task: every field but the position in the file and
    /// the line it was written on (a reload keeps such a task as it is).
    public func sameDefinition(as other: TaskSpec) -> Bool {
        name == other.name && type == other.type && command == other.command && shell == other.shell
            && output == other.output && sameMessage(as: other) && sameSchedule(as: other)
            && priority == other.priority && timeout == other.timeout && killGrace == other.killGrace
            && retry == other.retry && overlap == other.overlap && after == other.after && enabled == other.enabled
            && tags == other.tags && Self.same(env, other.env) && workingDirectory == other.workingDirectory
            && catchUp == other.catchUp && catchUpWithin == other.catchUpWithin && catchUpLimit == other.catchUpLimit
            && onFailure == other.onFailure && onSuccess == other.onSuccess
    }

    /// Whether `other` comes due at the same instants: the same schedule, `repeat`, `count`,
    /// `until` and `jitter`.
    public func sameSchedule(as other: TaskSpec) -> Bool {
        schedule == other.schedule && repeatInterval == other.repeatInterval && count == other.count
            && until == other.until && jitter == other.jitter
    }

    private func sameMessage(as other: TaskSpec) -> Bool {
        switch (message, other.message) {
        case (.none, .none): true
        case (.email(let a), .email(let b)): a == b
        case (.http(let a), .http(let b)):
            a.url == b.url && a.method == b.method && Self.same(a.headers, b.headers) && a.body == b.body
                && a.expectStatus == b.expectStatus && a.timeout == b.timeout && a.followRedirects == b.followRedirects
        default: false
        }
    }

    private static func same(_ a: OrderedPairs, _ b: OrderedPairs) -> Bool {
        a.elementsEqual(b) { $0.key == $1.key && $0.value == $1.value }
    }
}
