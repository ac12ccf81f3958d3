// A cron schedule: parses a classic 5-field cron expression (or a macro such
// as @daily) with a fixed UTC offset, and finds the next matching minute.
//
// Pure Swift on integers: no Foundation, no time zone database. Calendar
// arithmetic uses the days-from-civil / civil-from-days algorithms (proleptic
// Gregorian calendar, correct over leap years and centuries).

/// A parse error of a cron expression or its time zone. The message names the
/// field and says how to fix it.
public struct CronError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public var description: String { message }

    init(_ message: String) { self.message = message }
}

/// A parsed cron schedule in a fixed UTC offset.
///
/// Grammar: five whitespace-separated fields, "minute hour day-of-month month
/// day-of-week". Each field is a comma list of items; an item is `*`, `N` or
/// `N-M`, optionally followed by `/STEP` (`*/15`, `1-30/5`; `5/10` means
/// 5-max/10). Months may be written jan..dec and days of the week sun..sat
/// (case-insensitive); day-of-week 7 is Sunday like 0, and a range ending at
/// `sun` (`fri-sun`) runs to Sunday. Macros: @yearly (@annually), @monthly,
/// @weekly, @daily (@midnight), @hourly.
///
/// Day matching follows Vixie cron: when both day-of-month and day-of-week are
/// restricted, a day matches if *either* matches; otherwise both must. As in
/// Vixie cron and cronie, a field that starts with `*` (such as `*/2`) counts
/// as unrestricted for this rule.
public struct CronSchedule: Sendable, Equatable, CustomStringConvertible {
    /// The expression as given, trimmed.
    public let expression: String
    /// The fixed offset of local time from UTC, in seconds (local = UTC + offset).
    public let utcOffsetSeconds: Int

    /// Bit n set: minute n (0-59) matches.
    private let minutes: UInt64
    /// Bit n set: hour n (0-23).
    private let hours: UInt64
    /// Bit n set: day of month n (1-31).
    private let daysOfMonth: UInt64
    /// Bit n set: month n (1-12).
    private let months: UInt64
    /// Bit n set: weekday n (0 = Sunday ... 6 = Saturday).
    private let daysOfWeek: UInt64
    private let dayOfMonthRestricted: Bool
    private let dayOfWeekRestricted: Bool

    /// How far `next(after:)` searches before giving up.
    private static let searchYears: Int64 = 5
    /// Inputs beyond this many seconds from 1970 (about ±3 million years) give nil.
    private static let maxAbsoluteSeconds: Int64 = 100_000_000_000_000

    /// Parses a 5-field cron expression "minute hour day-of-month month day-of-week"
    /// and a time zone given as "UTC", "Z", or a fixed offset: "+05:30", "-0800", "+2", "UTC+2", "UTC-03:30".
    public init(_ expression: String, timeZone: String = "UTC") throws(CronError) {
        let trimmed = Self.trim(expression)
        self.expression = trimmed
        self.utcOffsetSeconds = try Self.parseTimeZone(timeZone)

        let fieldsText: [Substring]
        if trimmed.isEmpty {
            throw CronError("cron expression is empty; expected 5 fields (minute hour day-of-month month day-of-week) or a macro such as @daily")
        } else if trimmed.hasPrefix("@") {
            let words = trimmed.split(whereSeparator: { $0.isWhitespace })
            let macro = words[0].lowercased()
            let expansion: String
            switch macro {
            case "@yearly", "@annually": expansion = "0 0 1 1 *"
            case "@monthly": expansion = "0 0 1 * *"
            case "@weekly": expansion = "0 0 * * 0"
            case "@daily", "@midnight": expansion = "0 0 * * *"
            case "@hourly": expansion = "0 * * * *"
            default:
                throw CronError("unknown cron macro '\(words[0])'; use @yearly, @monthly, @weekly, @daily or @hourly")
            }
            if words.count > 1 {
                throw CronError("cron expression '\(trimmed)': the macro \(words[0]) stands alone; remove '\(words[1...].joined(separator: " "))'")
            }
            fieldsText = expansion.split(separator: " ")
        } else {
            fieldsText = trimmed.split(whereSeparator: { $0.isWhitespace })
            if fieldsText.count != 5 {
                var message = "cron expression '\(trimmed)': expected 5 fields (minute hour day-of-month month day-of-week), got \(fieldsText.count)"
                if fieldsText.count > 5 { message += "; seconds and year fields are not supported" }
                throw CronError(message)
            }
        }

        var bits: [UInt64] = []
        for (text, field) in zip(fieldsText, Field.all) {
            bits.append(try field.parse(text, expression: trimmed))
        }
        minutes = bits[0]
        hours = bits[1]
        daysOfMonth = bits[2]
        months = bits[3]
        daysOfWeek = bits[4]
        dayOfMonthRestricted = !fieldsText[2].hasPrefix("*")
        dayOfWeekRestricted = !fieldsText[4].hasPrefix("*")
    }

    /// "0 * * * * (UTC)", "0 9 * * * (UTC+05:30)".
    public var description: String {
        "\(expression) (\(Self.formatOffset(utcOffsetSeconds)))"
    }

    /// The first whole minute strictly after `unixSeconds` (seconds since 1970 UTC) that matches, as Unix seconds; nil if none within 5 years (e.g. "0 0 30 2 *").
    ///
    /// Skips whole months, days and hours that cannot match, so a search costs
    /// at most a few hundred steps per year searched.
    public func next(after unixSeconds: Int64) -> Int64? {
        guard unixSeconds > -Self.maxAbsoluteSeconds, unixSeconds < Self.maxAbsoluteSeconds else { return nil }
        let offset = Int64(utcOffsetSeconds)
        let startMinute = floorDiv(unixSeconds + offset, 60) + 1   // local minutes since 1970
        var day = floorDiv(startMinute, 1440)                       // local days since 1970
        let startMinuteOfDay = startMinute - day * 1440
        var hour = Int(startMinuteOfDay / 60)
        var minute = Int(startMinuteOfDay % 60)
        var (year, month, dayOfMonth) = civilFromDays(day)
        // Linear in the day, so Feb 29 + 5 years lands on Mar 1.
        let limitMinute = daysFromCivil(year + Self.searchYears, month, dayOfMonth) * 1440 + startMinuteOfDay

        func nextDay() {
            day += 1
            dayOfMonth += 1
            hour = 0
            minute = 0
            if dayOfMonth > daysInMonth(year, month) {
                dayOfMonth = 1
                month += 1
                if month > 12 { month = 1; year += 1 }
            }
        }

        while day * 1440 <= limitMinute {
            // Month: jump straight to the next matching month.
            if months & (1 << UInt64(month)) == 0 {
                if let m = lowestBit(months, from: Int(month) + 1, below: 13) {
                    month = Int64(m)
                } else {
                    year += 1
                    month = Int64(lowestBit(months, from: 1, below: 13)!)
                }
                dayOfMonth = 1
                hour = 0
                minute = 0
                day = daysFromCivil(year, month, 1)
                continue
            }
            // Day: the Vixie rule.
            let weekday = floorMod(day + 4, 7)   // 1970-01-01 was a Thursday
            let domMatch = daysOfMonth & (1 << UInt64(dayOfMonth)) != 0
            let dowMatch = daysOfWeek & (1 << UInt64(weekday)) != 0
            let dayMatches = dayOfMonthRestricted && dayOfWeekRestricted ? domMatch || dowMatch : domMatch && dowMatch
            if !dayMatches { nextDay(); continue }
            // Hour, then minute.
            guard let h = lowestBit(hours, from: hour, below: 24) else { nextDay(); continue }
            if h != hour { hour = h; minute = 0 }
            guard let m = lowestBit(minutes, from: minute, below: 60) else {
                if hour == 23 { nextDay() } else { hour += 1; minute = 0 }
                continue
            }
            let localMinute = day * 1440 + Int64(hour) * 60 + Int64(m)
            guard localMinute <= limitMinute else { return nil }
            return localMinute * 60 - offset
        }
        return nil
    }
}

// MARK: - Fields

private struct Field: Sendable {
    let name: String
    let min: Int
    let max: Int
    /// Lowercased 3-letter names, the first for `min`... (months) or 0... (weekdays).
    let names: [String]
    let namesHint: String

    static let all = [
        Field(name: "minute", min: 0, max: 59, names: [], namesHint: ""),
        Field(name: "hour", min: 0, max: 23, names: [], namesHint: ""),
        Field(name: "day-of-month", min: 1, max: 31, names: [], namesHint: ""),
        Field(name: "month", min: 1, max: 12,
              names: ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
              namesHint: " or a month name (jan..dec)"),
        Field(name: "day-of-week", min: 0, max: 7,
              names: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"],
              namesHint: " or a day name (sun..sat)"),
    ]

    var isDayOfWeek: Bool { name == "day-of-week" }

    /// The field's matching values as a bit set (bit n = value n). Day-of-week 7 becomes 0.
    func parse(_ text: Substring, expression: String) throws(CronError) -> UInt64 {
        func fail(_ what: String) -> CronError { CronError("cron expression '\(expression)': \(what)") }

        var bits: UInt64 = 0
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            if item.isEmpty {
                throw fail("\(name) list '\(text)' has an empty item; remove the extra comma")
            }
            let slashParts = item.split(separator: "/", omittingEmptySubsequences: false)
            if slashParts.count > 2 {
                throw fail("\(name) item '\(item)' has more than one '/'")
            }
            var step = 1
            if slashParts.count == 2 {
                let stepText = slashParts[1]
                if stepText.isEmpty {
                    throw fail("\(name) item '\(item)' has no step after '/'; write e.g. */5")
                }
                guard let s = Self.number(stepText) else {
                    throw fail("\(name) step '\(stepText)' is not a number")
                }
                if s < 1 { throw fail("\(name) step must be at least 1") }
                step = s
            }
            let base = slashParts[0]
            var low: Int
            var high: Int
            if base == "*" {
                low = min
                high = isDayOfWeek ? 6 : max
            } else if base.isEmpty {
                throw fail("\(name) item '\(item)' has no value before '/'; write e.g. */5")
            } else {
                let rangeParts = base.split(separator: "-", omittingEmptySubsequences: false)
                switch rangeParts.count {
                case 1:
                    low = try value(rangeParts[0], fail: fail)
                    // "5/10" means 5-max/10; a plain "5" is just 5.
                    high = slashParts.count == 2 ? (isDayOfWeek ? 6 : max) : low
                case 2:
                    if rangeParts[0].isEmpty {
                        throw fail("\(name) range '\(base)' is missing its start; write e.g. 1-5")
                    }
                    if rangeParts[1].isEmpty {
                        throw fail("\(name) range '\(base)' is missing its end; write e.g. 1-5")
                    }
                    low = try value(rangeParts[0], fail: fail)
                    high = try value(rangeParts[1], fail: fail)
                    // "fri-sun": a range ending at Sunday by name runs to 7.
                    if isDayOfWeek && high == 0 && low > 0 && rangeParts[1].lowercased() == "sun" { high = 7 }
                    if high < low {
                        throw fail("\(name) range \(rangeParts[0])-\(rangeParts[1]) is backwards; write \(rangeParts[1])-\(rangeParts[0])")
                    }
                default:
                    throw fail("\(name) range '\(base)' has more than one '-'; write e.g. 1-5")
                }
            }
            var v = low
            while v <= high {
                bits |= 1 << UInt64(isDayOfWeek && v == 7 ? 0 : v)
                v += step
            }
        }
        return bits
    }

    /// A number or a name, checked against the field's range.
    private func value(_ text: Substring, fail: (String) -> CronError) throws(CronError) -> Int {
        if let n = Self.number(text) {
            if n < min || n > max {
                throw fail("\(name) '\(text)' is out of range \(min)-\(max)")
            }
            return n
        }
        if let index = names.firstIndex(of: text.lowercased()) {
            return isDayOfWeek ? index : index + min
        }
        throw fail("\(name) '\(text)' is not a number\(namesHint)")
    }

    /// ASCII digits only (no sign); saturates instead of overflowing.
    static func number(_ text: Substring) -> Int? {
        guard !text.isEmpty else { return nil }
        var n = 0
        for byte in text.utf8 {
            guard byte >= 0x30, byte <= 0x39 else { return nil }
            n = Swift.min(n * 10 + Int(byte - 0x30), 1_000_000_000)
        }
        return n
    }
}

// MARK: - Time zone

extension CronSchedule {
    static func trim(_ s: String) -> String {
        var sub = Substring(s)
        while let first = sub.first, first.isWhitespace { sub.removeFirst() }
        while let last = sub.last, last.isWhitespace { sub.removeLast() }
        return String(sub)
    }

    /// "UTC", "Z", "GMT", or an offset "+05:30", "-0800", "+2", "UTC+2", "UTC-03:30", within ±14:00.
    static func parseTimeZone(_ text: String) throws(CronError) -> Int {
        let trimmed = trim(text)
        if trimmed.isEmpty {
            throw CronError("time zone is empty; use UTC or a fixed offset such as +02:00 or -0530")
        }
        let generic = CronError("time zone '\(trimmed)': use UTC or a fixed offset such as +02:00 or -0530")
        var rest = Substring(trimmed.uppercased())
        if rest == "Z" || rest == "UTC" || rest == "GMT" { return 0 }
        if rest.hasPrefix("UTC") || rest.hasPrefix("GMT") { rest = rest.dropFirst(3) }
        guard let sign = rest.first, sign == "+" || sign == "-" else { throw generic }
        rest = rest.dropFirst()
        let hoursText: Substring
        let minutesText: Substring
        if let colon = rest.firstIndex(of: ":") {
            hoursText = rest[..<colon]
            minutesText = rest[rest.index(after: colon)...]
            guard (1...2).contains(hoursText.count), minutesText.count == 2 else { throw generic }
        } else if rest.count == 4 {
            hoursText = rest.prefix(2)
            minutesText = rest.suffix(2)
        } else if (1...2).contains(rest.count) {
            hoursText = rest
            minutesText = "0"
        } else {
            throw generic
        }
        guard let hours = Field.number(hoursText), let minutes = Field.number(minutesText) else { throw generic }
        if minutes > 59 {
            throw CronError("time zone '\(trimmed)': minutes must be 00-59")
        }
        let seconds = hours * 3600 + minutes * 60
        if seconds > 14 * 3600 {
            throw CronError("time zone '\(trimmed)': offset is beyond ±14:00")
        }
        return sign == "-" ? -seconds : seconds
    }

    /// "UTC" or "UTC+05:30" / "UTC-08:00".
    static func formatOffset(_ seconds: Int) -> String {
        if seconds == 0 { return "UTC" }
        let total = abs(seconds) / 60
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "UTC\(seconds < 0 ? "-" : "+")\(two(total / 60)):\(two(total % 60))"
    }
}

// MARK: - Calendar arithmetic

private func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
}

private func floorMod(_ a: Int64, _ b: Int64) -> Int64 {
    a - floorDiv(a, b) * b
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
private func daysFromCivil(_ year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
    let y = month <= 2 ? year - 1 : year
    let era = floorDiv(y, 400)
    let yearOfEra = y - era * 400                                     // 0...399
    let shiftedMonth = month > 2 ? month - 3 : month + 9              // March = 0
    let dayOfYear = (153 * shiftedMonth + 2) / 5 + day - 1            // 0...365
    let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
    return era * 146_097 + dayOfEra - 719_468
}

/// The date of a day since 1970-01-01: (year, month 1-12, day 1-31).
private func civilFromDays(_ days: Int64) -> (Int64, Int64, Int64) {
    let z = days + 719_468
    let era = floorDiv(z, 146_097)
    let dayOfEra = z - era * 146_097                                  // 0...146096
    let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
    let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
    let shiftedMonth = (5 * dayOfYear + 2) / 153
    let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
    let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
    return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
}

private func daysInMonth(_ year: Int64, _ month: Int64) -> Int64 {
    switch month {
    case 2:
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        return leap ? 29 : 28
    case 4, 6, 9, 11: return 30
    default: return 31
    }
}

/// The lowest set bit n of `bits` with from <= n < below.
private func lowestBit(_ bits: UInt64, from: Int, below: Int) -> Int? {
    guard from < below else { return nil }
    let shifted = bits >> UInt64(from)
    guard shifted != 0 else { return nil }
    let n = from + shifted.trailingZeroBitCount
    return n < below ? n : nil
}
