/// The nominal due times of a task's runs for a run that starts at `start`: a pure
/// function of the task, the zone and the start instant (jitter is applied on top by
/// ``DueTimes/jittered(_:by:using:)``).
///
/// - `now`, an offset or a timestamp gives the first run (a past timestamp runs at start);
///   `repeat` adds runs at fixed rate from the nominal due times, and when the timestamp
///   was in the past the missed times are not made up;
/// - cron and `@every` give their own times;
/// - `count` and `until` end the sequence.
public struct DueTimes: Sequence, IteratorProtocol, Sendable {
    private enum Source: Sendable {
        case once(Instant)
        case fixedRate(base: Instant, interval: Duration, first: Instant)
        case cron(CronSequence)
    }

    private var source: Source
    private var emitted = 0
    /// Due instants of the task a store recorded before this start; they count toward `count`.
    private var prior = 0
    private let count: Int?
    private let until: Instant?
    private var done = false

    /// The due times of `task` when the run starts at `start`.
    public init(_ task: TaskSpec, zone: Zone, start: Instant) {
        count = task.count
        until = task.until?.instant(from: start)
        let base: Instant
        switch task.schedule {
        case .now: base = start
        case .offset(let d): base = start + d
        case .at(let i): base = i
        case .cron(let c):
            source = .cron(CronSequence(c, zone: zone, after: start.seconds))
            return
        case .every(let d):
            source = .fixedRate(base: start + d, interval: d, first: start + d)
            return
        case .never:
            source = .once(start)
            done = true
            return
        }
        if let r = task.repeatInterval {
            source = .fixedRate(base: base, interval: r, first: Swift.max(base, start))
        } else {
            source = .once(Swift.max(base, start))
        }
    }

    /// The due times of `task` after a restart: a store recorded `history`, whose last due
    /// instant the schedule continues from. Cron, `@every` and `repeat` go on after that
    /// instant (the ones before `start` are the missed ones, see ``takeMissed(before:keep:)``);
    /// a timestamp that was recorded does not come again; `now` and `+offset` mean "at each
    /// start", so they begin afresh. `count` counts the instants recorded before.
    public init(_ task: TaskSpec, zone: Zone, start: Instant, resuming history: TaskHistory) {
        self.init(task, zone: zone, start: start)
        guard let last = history.lastDue else { return }
        switch task.schedule {
        case .now, .offset:
            guard let r = task.repeatInterval else { return }
            source = .fixedRate(base: last, interval: r, first: last + r)
        case .at:
            if let r = task.repeatInterval {
                source = .fixedRate(base: last, interval: r, first: last + r)
            } else {
                done = true
            }
        case .cron(let c):
            source = .cron(CronSequence(c, zone: zone, after: last.seconds))
        case .every(let d):
            source = .fixedRate(base: last, interval: d, first: last + d)
        case .never:
            done = true
        }
        prior = history.instants
    }

    /// Takes the due times before `start` off the front of the sequence (after a restart:
    /// the ones that passed while no jobrun ran). Returns how many there were, the first and
    /// last, and the last `keep` of those at or after `notBefore`, oldest first.
    public mutating func takeMissed(before start: Instant, notBefore: Instant, keep: Int) -> MissedInstants {
        var missed = MissedInstants()
        while true {
            // The instants of a fixed rate before the window are counted, not walked.
            if case .fixedRate(let base, let interval, let first) = source, emitted > 0 {
                let step = interval.milliseconds
                let nextMs = base.milliseconds + ((first.milliseconds - base.milliseconds) / step + Int64(emitted)) * step
                let limit = Swift.min(start, notBefore).milliseconds
                if nextMs < limit {
                    var n = (limit - nextMs + step - 1) / step
                    if let count { n = Swift.min(n, Int64(Swift.max(0, count - prior - emitted))) }
                    if let until { n = Swift.min(n, Swift.max(0, (until.milliseconds - nextMs) / step + 1)) }
                    if n > 0 {
                        let end = Instant(milliseconds: nextMs + (n - 1) * step)
                        missed.note(Instant(milliseconds: nextMs), count: Int(n), last: end)
                        missed.lastLeft = end
                        emitted += Int(n)
                    }
                }
            }
            var peek = self
            guard let at = peek.next(), at < start else { return missed }
            self = peek
            missed.note(at, count: 1, last: at)
            if at >= notBefore && keep > 0 {
                missed.kept.append(at)
                if missed.kept.count > keep { missed.lastLeft = missed.kept.removeFirst() }
            } else {
                missed.lastLeft = at
            }
        }
    }

    /// Ends the sequence: no more due times.
    public mutating func finish() { done = true }

    /// The next due time, or nil when the schedule is exhausted.
    public mutating func next() -> Instant? {
        guard !done, count.map({ prior + emitted < $0 }) ?? true else { return nil }
        let due: Instant?
        switch source {
        case .once(let t):
            due = emitted == 0 ? t : nil
        case .fixedRate(let base, let interval, let first):
            if emitted == 0 {
                due = first
            } else {
                // The k-th nominal time after the first run, skipping the ones missed before start.
                let step = interval.milliseconds
                let k = (first.milliseconds - base.milliseconds) / step + Int64(emitted)
                due = Instant(milliseconds: base.milliseconds + k * step)
            }
        case .cron(var c):
            due = c.next().map { Instant(seconds: $0) }
            source = .cron(c)
        }
        guard let due, until.map({ due <= $0 }) ?? true else {
            done = true
            return nil
        }
        emitted += 1
        return due
    }

    /// The due instants a restarted jobrun missed, as ``takeMissed(before:notBefore:keep:)`` found them.
    public struct MissedInstants: Sendable, Equatable {
        /// How many there were.
        public var count = 0
        /// The first and the last of them.
        public var first: Instant?, last: Instant?
        /// The last ones that may still be made up (`catch_up_within`), oldest first.
        public var kept: [Instant] = []
        /// The latest of those not kept: where a schedule stands once they are recorded missed.
        public var lastLeft: Instant?

        mutating func note(_ at: Instant, count n: Int, last end: Instant) {
            if first == nil { first = at }
            last = end
            count += n
        }
    }

    /// A due time moved later by a random amount of at most `jitter`.
    public static func jittered<R: RandomNumberGenerator>(_ due: Instant, by jitter: Duration, using rng: inout R) -> Instant {
        let ms = jitter.milliseconds
        guard ms > 0 else { return due }
        return Instant(milliseconds: due.milliseconds + Int64.random(in: 0...ms, using: &rng))
    }
}
