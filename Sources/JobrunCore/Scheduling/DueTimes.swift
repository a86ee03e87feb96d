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
        }
        if let r = task.repeatInterval {
            source = .fixedRate(base: base, interval: r, first: Swift.max(base, start))
        } else {
            source = .once(Swift.max(base, start))
        }
    }

    /// The next due time, or nil when the schedule is exhausted.
    public mutating func next() -> Instant? {
        guard !done, count.map({ emitted < $0 }) ?? true else { return nil }
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

    /// A due time moved later by a random amount of at most `jitter`.
    public static func jittered<R: RandomNumberGenerator>(_ due: Instant, by jitter: Duration, using rng: inout R) -> Instant {
        let ms = jitter.milliseconds
        guard ms > 0 else { return due }
        return Instant(milliseconds: due.milliseconds + Int64.random(in: 0...ms, using: &rng))
    }
}
