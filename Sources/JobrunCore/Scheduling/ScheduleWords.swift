/// A task's schedule in words, for `--plan`: "every 15 minutes, 09:00–17:59, Monday to Friday".
enum ScheduleWords {
    static func describe(_ task: TaskSpec, zone: Zone) -> String {
        var words: String
        switch task.schedule {
        case .now: words = "at start"
        case .offset(let d): words = "\(ValueSyntax.format(d)) after start"
        case .at(let t): words = "at \(zone.wallClock(t.seconds))"
        case .every(let d): words = "every \(ValueSyntax.format(d))"
        case .cron(let c): words = cron(c)
        case .never: return "only when another task's on_failure or on_success triggers it"
        }
        if let r = task.repeatInterval { words += ", then every \(ValueSyntax.format(r))" }
        if let count = task.count, task.recurs { words += ", \(count) run\(count == 1 ? "" : "s")" }
        switch task.until {
        case .at(let t)?: words += ", until \(zone.wallClock(t.seconds))"
        case .offset(let d)?: words += ", until \(ValueSyntax.format(d)) after start"
        case nil: break
        }
        return words
    }

    private static let dayNames = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
    private static let monthNames = ["January", "February", "March", "April", "May", "June", "July", "August",
                                     "September", "October", "November", "December"]

    private static func values(_ mask: UInt64, _ range: ClosedRange<Int>) -> [Int] {
        range.filter { mask & (1 << UInt64($0)) != 0 }
    }

    /// A step from the start of the range that covers it: `*/15` → 15.
    private static func step(_ v: [Int], _ range: ClosedRange<Int>) -> Int? {
        guard v.count > 1, v.first == range.lowerBound else { return nil }
        let s = v[1] - v[0]
        guard zip(v, v.dropFirst()).allSatisfy({ $1 - $0 == s }), v.last! + s > range.upperBound else { return nil }
        return s
    }

    /// Consecutive runs as "a–b", singles as themselves.
    private static func spans(_ v: [Int], _ name: (Int) -> String, joiner: String = "–") -> String {
        var parts: [String] = []
        var i = 0
        while i < v.count {
            var j = i
            while j + 1 < v.count, v[j + 1] == v[j] + 1 { j += 1 }
            parts.append(j - i >= 2 ? "\(name(v[i]))\(joiner)\(name(v[j]))" : (i...j).map { name(v[$0]) }.joined(separator: ", "))
            i = j + 1
        }
        return parts.joined(separator: ", ")
    }

    private static func two(_ v: Int) -> String { String(twoDigits: v) }

    /// Hours as clock ranges: [9, 10, …, 17] → "09:00–17:59".
    private static func hourRanges(_ hours: [Int]) -> String {
        var parts: [String] = []
        var i = 0
        while i < hours.count {
            var j = i
            while j + 1 < hours.count, hours[j + 1] == hours[j] + 1 { j += 1 }
            parts.append("\(two(hours[i])):00–\(two(hours[j])):59")
            i = j + 1
        }
        return parts.joined(separator: ", ")
    }

    static func cron(_ c: CronExpression) -> String {
        let seconds = values(c.seconds, 0...59), minutes = values(c.minutes, 0...59), hours = values(c.hours, 0...23)
        var parts: [String] = []
        let secondPart = c.hasSeconds && seconds != [0]
            ? (seconds.count == 60 ? "every second" : step(seconds, 0...59).map { "every \($0) seconds" } ?? "at second \(spans(seconds, String.init))")
            : nil
        if minutes.count == 1 && hours.count < 24 && hours.count <= 6 && secondPart == nil {
            // A few fixed times a day: list them.
            let second = c.hasSeconds ? ":\(two(seconds[0]))" : ""
            parts.append("at " + hours.map { "\(two($0)):\(two(minutes[0]))\(second)" }.joined(separator: ", "))
        } else {
            if let secondPart { parts.append(secondPart) }
            if minutes.count == 60 {
                if secondPart == nil { parts.append("every minute") }
            } else if let s = step(minutes, 0...59) {
                parts.append("every \(s) minutes")
            } else if minutes.count == 1 {
                parts.append("every hour at :\(two(minutes[0]))")
            } else {
                parts.append("at minutes \(spans(minutes, String.init))")
            }
            if hours.count < 24 {
                if let s = step(hours, 0...23) {
                    parts.append("every \(s) hours")
                } else {
                    parts.append(hourRanges(hours))
                }
            }
        }
        let days = values(c.days, 1...31), weekdays = values(c.weekdays, 0...6), months = values(c.months, 1...12)
        let domAll = days.count == 31, dowAll = weekdays.count == 7
        let dom = "on day \(spans(days, String.init)) of the month"
        // Monday first, Sunday last, as people say the week: `sat,sun` is "Saturday, Sunday".
        let dow = spans(weekdays.map { $0 == 0 ? 7 : $0 }.sorted(), { dayNames[$0 % 7] }, joiner: " to ")
        switch (domAll, dowAll) {
        case (true, true): break
        case (false, true): parts.append(dom)
        case (true, false): parts.append(dow)
        case (false, false): parts.append(c.dayAnd ? "\(dom), if a \(dow)" : "\(dom), and every \(dow)")
        }
        if months.count < 12 { parts.append("in \(spans(months, { monthNames[$0 - 1] }, joiner: " to "))") }
        return parts.joined(separator: ", ")
    }
}
