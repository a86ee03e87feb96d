/// A parsed cron expression (5 fields, or 6 with leading seconds), with Vixie/Debian cron
/// semantics: names, ranges, steps, lists, 0 and 7 both Sunday, and day-of-month OR
/// day-of-week when both are restricted.
public struct CronExpression: Sendable, Hashable {
    /// The expression as written (macros kept as written).
    public let source: String
    /// Whether a seconds field was given.
    public let hasSeconds: Bool
    let seconds: UInt64
    let minutes: UInt64
    let hours: UInt64
    let days: UInt64
    let months: UInt64
    let weekdays: UInt64
    /// Debian cron: when day-of-month or day-of-week starts with `*`, both must match.
    let dayAnd: Bool
    /// Debian cron's DST rule applies to 5-field expressions whose minute and hour are fixed.
    let followsWallClock: Bool
    /// The six fields (a `0` seconds field added to a five-field line), after macro
    /// expansion, for describing the expression.
    public let fields: [String]

    /// The macros and the cron lines they stand for.
    public static let macros: [String: String] = [
        "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
        "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
    ]

    /// Parses an expression or macro; throws a ``CronError`` naming the bad field.
    public init(_ text: String) throws(CronError) {
        source = text
        let trimmed = text.trimmingSpaces()
        var line = trimmed
        if trimmed.hasPrefix("@") {
            guard let expanded = CronExpression.macros[trimmed.lowercased()] else { throw .unknownMacro(trimmed) }
            line = expanded
        }
        var parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard parts.count == 5 || parts.count == 6 else { throw .fieldCount(parts.count) }
        hasSeconds = parts.count == 6
        if !hasSeconds { parts.insert("0", at: 0) }
        fields = parts
        let upper = parts.map { $0.uppercased() }
        seconds = try CronField.second.parse(upper[0])
        minutes = try CronField.minute.parse(upper[1])
        hours = try CronField.hour.parse(upper[2])
        days = try CronField.dayOfMonth.parse(upper[3])
        months = try CronField.month.parse(upper[4])
        var dow = try CronField.dayOfWeek.parse(upper[5])
        if dow & (1 << 7) != 0 { dow = (dow | 1) & ~(1 << 7) }
        weekdays = dow
        dayAnd = upper[3].hasPrefix("*") || upper[5].hasPrefix("*")
        followsWallClock = !hasSeconds && !upper[1].hasPrefix("*") && !upper[2].hasPrefix("*")
    }

    /// False when no date can ever match (e.g. `0 0 30 2 *`): every allowed day of the
    /// month is past the end of every allowed month, and the weekday cannot rescue it.
    public var canFire: Bool {
        guard dayAnd || weekdays == 0 else { return true }
        let lengths = (1...12).filter { months & (1 << UInt64($0)) != 0 }
            .map { CivilDateTime.daysIn(month: $0, year: 2028) }
        let longest = lengths.max() ?? 0
        return (1...31).contains { days & (1 << UInt64($0)) != 0 && $0 <= longest }
    }

    func matchesDay(_ date: CivilDateTime) -> Bool {
        let dom = days & (1 << UInt64(date.day)) != 0
        let dow = weekdays & (1 << UInt64(date.weekday)) != 0
        return dayAnd ? dom && dow : dom || dow
    }
}

/// Why a cron expression is not valid.
public enum CronError: Error, Sendable, Equatable {
    /// Not 5 or 6 fields.
    case fieldCount(Int)
    /// An `@word` that is no macro.
    case unknownMacro(String)
    /// A field value that is neither a number nor a name.
    case badValue(field: CronField, text: String)
    /// A number outside the field's range.
    case outOfRange(field: CronField, value: Int)
    /// A step that is not a whole number of 1 or more.
    case badStep(field: CronField, text: String)
    /// A range whose start is after its end.
    case reversedRange(field: CronField, text: String)
    /// `L`, `W`, `#` or `?`, which Debian cron does not have.
    case unsupported(field: CronField, text: String)
}

/// One of the six cron fields, with its range and names.
public enum CronField: Int, Sendable, CaseIterable {
    case second, minute, hour, dayOfMonth, month, dayOfWeek

    /// The field's name in messages.
    public var name: String {
        ["second", "minute", "hour", "day-of-month", "month", "day-of-week"][rawValue]
    }

    /// Allowed numbers.
    public var range: ClosedRange<Int> {
        [0...59, 0...59, 0...23, 1...31, 1...12, 0...7][rawValue]
    }

    private static let monthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    private static let dayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]

    private func number(_ s: Substring) throws(CronError) -> Int {
        if self == .month, let i = CronField.monthNames.firstIndex(of: String(s)) { return i + 1 }
        if self == .dayOfWeek, let i = CronField.dayNames.firstIndex(of: String(s)) { return i }
        guard !s.isEmpty, s.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            if s.contains(where: { "L#W?".contains($0) }) { throw .unsupported(field: self, text: String(s)) }
            throw .badValue(field: self, text: String(s))
        }
        guard s.count <= 4, let v = Int(s), range.contains(v) else {
            throw .outOfRange(field: self, value: Int(String(s.prefix(9))) ?? Int.max)
        }
        return v
    }

    private func bits(_ r: ClosedRange<Int>) -> UInt64 {
        r.reduce(0) { $0 | (1 << UInt64($1)) }
    }

    func parse(_ text: String) throws(CronError) -> UInt64 {
        var result: UInt64 = 0
        for term in text.split(separator: ",", omittingEmptySubsequences: false) {
            result |= try parseTerm(term)
        }
        return result
    }

    private func parseTerm(_ term: Substring) throws(CronError) -> UInt64 {
        if term == "*" { return bits(range) }
        if let slash = term.firstIndex(of: "/") {
            let stepText = term[term.index(after: slash)...]
            guard !stepText.isEmpty, stepText.allSatisfy({ $0.isASCII && $0.isNumber }), stepText.count <= 4,
                  let step = Int(stepText), step > 0
            else { throw .badStep(field: self, text: String(term)) }
            let base = term[..<slash]
            let values: [Int]
            if base == "*" {
                values = Array(range)
            } else if base.contains("-") {
                values = try members(of: base)
            } else {
                values = Array(try number(base)...range.upperBound)
            }
            return stride(from: 0, to: values.count, by: step).reduce(0) { $0 | (1 << UInt64(values[$1])) }
        }
        if term.contains("-") { return try members(of: term).reduce(0) { $0 | (1 << UInt64($1)) } }
        return 1 << UInt64(try number(term))
    }

    private func members(of range: Substring) throws(CronError) -> [Int] {
        let ends = range.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard ends.count == 2 else { throw .badValue(field: self, text: String(range)) }
        let lo = try number(ends[0]), hi = try number(ends[1])
        guard lo <= hi else { throw .reversedRange(field: self, text: String(range)) }
        return Array(lo...hi)
    }
}
