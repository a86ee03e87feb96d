/// The fire times of a cron expression after a start instant, in a zone, as Debian cron
/// fires them: 5-field expressions with a fixed minute and hour follow the wall clock (a
/// time in a skipped hour fires at the jump, one in a repeated hour fires once); others
/// follow real time and fire in both copies of a repeated hour.
public struct CronSequence: Sequence, IteratorProtocol, Sendable {
    private let cron: CronExpression
    private let zone: Zone
    private let wallClock: Bool
    /// Current position: seconds on the local wall clock, and PEP 495's fold.
    private var local: Int64
    private var fold: Bool
    private var exhausted = false

    /// Fire times strictly after `start` (Unix seconds; fractions are dropped).
    public init(_ cron: CronExpression, zone: Zone, after start: Int64) {
        self.cron = cron
        self.zone = zone
        self.wallClock = cron.followsWallClock && !zone.isFixed
        let (l, f) = zone.local(atUnix: start)
        local = l
        fold = wallClock ? false : f
    }

    /// The next fire time in Unix seconds, or nil when none comes within 50 years.
    public mutating func next() -> Int64? {
        guard !exhausted else { return nil }
        tick(1)
        guard advance() else {
            exhausted = true
            return nil
        }
        if wallClock {
            while zone.isSkipped(local: local) { local += 60 }
            return zone.instant(local: local)
        }
        return zone.instant(local: local, fold: fold)
    }

    private var now: CivilDateTime { CivilDateTime(localSeconds: local) }

    private mutating func tick(_ seconds: Int64) {
        if wallClock || zone.isFixed {
            local += seconds
        } else {
            (local, fold) = zone.local(atUnix: zone.instant(local: local, fold: fold) + seconds)
        }
    }

    private mutating func set(_ c: CivilDateTime, resetFold: Bool) {
        local = c.localSeconds
        if resetFold { fold = false }
    }

    private func has(_ mask: UInt64, _ v: Int) -> Bool { mask & (1 << UInt64(v)) != 0 }

    private mutating func advance() -> Bool {
        let startYear = now.year
        while true {
            advanceMonth()
            if now.year > startYear + 50 { return false }
            if advanceDay() { continue }
            if advanceHour() { continue }
            if advanceMinute() { continue }
            if advanceSecond() { continue }
            return true
        }
    }

    private mutating func advanceMonth() {
        var c = now
        guard !has(cron.months, c.month) else { return }
        c = CivilDateTime(year: c.year, month: c.month, day: 1)
        while !has(cron.months, c.month) {
            c = c.month == 12 ? CivilDateTime(year: c.year + 1, month: 1, day: 1)
                : CivilDateTime(year: c.year, month: c.month + 1, day: 1)
        }
        set(c, resetFold: true)
    }

    private mutating func advanceDay() -> Bool {
        let c = now
        guard !cron.matchesDay(c) else { return false }
        var day = c.dayNumber
        var d = c
        repeat {
            day += 1
            d = CivilDateTime(localSeconds: Int64(day) * 86_400)
        } while !cron.matchesDay(d) && d.day != 1
        set(d, resetFold: true)
        return true
    }

    private mutating func advanceHour() -> Bool {
        advance(\.hour, allowed: cron.hours, unit: 3600, zeroing: [\.minute, \.second], jump: false)
    }

    private mutating func advanceMinute() -> Bool {
        advance(\.minute, allowed: cron.minutes, unit: 60, zeroing: [\.second], jump: true)
    }

    private mutating func advanceSecond() -> Bool {
        advance(\.second, allowed: cron.seconds, unit: 1, zeroing: [], jump: true)
    }

    /// Moves on to the next value of one field (hour, minute or second) that the expression
    /// allows, the smaller fields set to 0, or to where the field wraps to 0 (the larger
    /// fields are checked again then). With `jump`, a field that allows one value gets there
    /// in one step. Returns false when the field already matches.
    private mutating func advance(_ field: KeyPath<CivilDateTime, Int>, allowed: UInt64, unit: Int64,
                                  zeroing smaller: [WritableKeyPath<CivilDateTime, Int>], jump: Bool) -> Bool {
        var c = now
        guard !has(allowed, c[keyPath: field]) else { return false }
        if !smaller.isEmpty {
            for k in smaller { c[keyPath: k] = 0 }
            set(c, resetFold: false)
        }
        if jump, allowed.nonzeroBitCount == 1 {
            let target = allowed.trailingZeroBitCount
            tick(Int64((target - c[keyPath: field] + 60) % 60) * unit)
        }
        while !has(allowed, now[keyPath: field]) {
            tick(unit)
            if now[keyPath: field] == 0 { break }
        }
        return true
    }
}
