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
        var c = now
        guard !has(cron.hours, c.hour) else { return false }
        c.minute = 0
        c.second = 0
        set(c, resetFold: false)
        while !has(cron.hours, now.hour) {
            tick(3600)
            if now.hour == 0 { break }
        }
        return true
    }

    private mutating func advanceMinute() -> Bool {
        var c = now
        guard !has(cron.minutes, c.minute) else { return false }
        c.second = 0
        set(c, resetFold: false)
        if cron.minutes.nonzeroBitCount == 1 {
            let target = cron.minutes.trailingZeroBitCount
            tick(Int64((target - c.minute + 60) % 60) * 60)
        }
        while !has(cron.minutes, now.minute) {
            tick(60)
            if now.minute == 0 { break }
        }
        return true
    }

    private mutating func advanceSecond() -> Bool {
        let c = now
        guard !has(cron.seconds, c.second) else { return false }
        if cron.seconds.nonzeroBitCount == 1 {
            let target = cron.seconds.trailingZeroBitCount
            tick(Int64((target - c.second + 60) % 60))
        }
        while !has(cron.seconds, now.second) {
            tick(1)
            if now.second == 0 { break }
        }
        return true
    }
}
