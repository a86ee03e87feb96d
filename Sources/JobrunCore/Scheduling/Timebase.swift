/// Converts between the injected clock and wall-clock instants for the records.
public struct Timebase<C: Clock>: Sendable where C.Duration == Duration {
    /// The clock every record is timed by.
    public let clock: C
    /// The clock's instant at which the wall clock read ``wallOrigin``.
    public let origin: C.Instant
    /// The wall-clock instant the run started at.
    public let wallOrigin: Instant

    /// `originAge` is how long ago, in real time, the wall clock read `wallOrigin`: wall
    /// instants have millisecond resolution, and the clock's origin is set back by the part
    /// that was cut off, so that a run due at a wall instant starts then and not up to a
    /// millisecond later.
    public init(clock: C, wallOrigin: Instant, originAge: Duration = .zero) {
        self.clock = clock
        self.origin = clock.now.advanced(by: .zero - originAge)
        self.wallOrigin = wallOrigin
    }

    /// The current wall-clock instant, as the clock counts it.
    public func now() -> Instant { wallOrigin + origin.duration(to: clock.now) }

    /// The clock's instant for a wall-clock instant.
    public func clockInstant(_ t: Instant) -> C.Instant { origin.advanced(by: t - wallOrigin) }
}
