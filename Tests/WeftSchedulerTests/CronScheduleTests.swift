import Testing
import Glibc
import WeftScheduler

/// Expected times are Unix seconds checked with GNU date, e.g.
/// `date -u -d '2028-02-29 00:00' +%s`, never computed by the code under test.
/// The cross-check test uses Glibc's `gmtime_r` as an independent calendar.
@Suite("cron schedule")
struct CronScheduleTests {
    // 2025-06-15 is a Sunday; 2025-06-13 a Friday.
    static let jun15_0000: Int64 = 1_749_945_600   // 2025-06-15 00:00 UTC
    static let jun15_1000: Int64 = 1_749_981_600   // 2025-06-15 10:00
    static let jun15_1030: Int64 = 1_749_983_400   // 2025-06-15 10:30

    /// The successive matches after `start`.
    static func sequence(_ schedule: CronSchedule, after start: Int64, count: Int) -> [Int64] {
        var out: [Int64] = []
        var t = start
        for _ in 0..<count {
            guard let n = schedule.next(after: t) else { break }
            out.append(n)
            t = n
        }
        return out
    }

    /// The error message of an expression that must not parse.
    static func error(_ expression: String, timeZone: String = "UTC") -> String? {
        do {
            _ = try CronSchedule(expression, timeZone: timeZone)
            return nil
        } catch {
            return error.message
        }
    }

    @Test func everyMinuteIsTheNextMinute() throws {
        let s = try CronSchedule("* * * * *")
        #expect(s.next(after: Self.jun15_1030) == 1_749_983_460)        // 10:30:00 -> 10:31, strictly after
        #expect(s.next(after: Self.jun15_1030 + 59) == 1_749_983_460)   // 10:30:59 -> 10:31
        #expect(s.next(after: Self.jun15_1030 - 1) == Self.jun15_1030)  // 10:29:59 -> 10:30
        #expect(s.next(after: -1) == 0)                                 // before 1970
        #expect(s.next(after: -61) == -60)
    }

    @Test func topOfTheHour() throws {
        let s = try CronSchedule("0 * * * *")
        #expect(s.next(after: Self.jun15_1030) == 1_749_985_200)   // 10:30 -> 11:00
        #expect(s.next(after: 1_749_985_200) == 1_749_988_800)     // 11:00 -> 12:00
    }

    @Test func everyFifteenMinutes() throws {
        let s = try CronSchedule("*/15 * * * *")
        #expect(s.next(after: 1_749_983_460) == 1_749_984_300)   // 10:31 -> 10:45
        #expect(s.next(after: 1_749_984_300) == 1_749_985_200)   // 10:45 -> 11:00
        #expect(s.next(after: 1_749_985_199) == 1_749_985_200)   // 10:59:59 -> 11:00
    }

    @Test func listsAndRangesWithSteps() throws {
        // 10:05, 10:10, 10:15, 10:20, 10:50, then 11:05.
        let s = try CronSchedule("5,10-20/5,50 * * * *")
        #expect(Self.sequence(s, after: Self.jun15_1000, count: 6)
            == [1_749_981_900, 1_749_982_200, 1_749_982_500, 1_749_982_800, 1_749_984_600, 1_749_985_500])
        // "5/20" is 5-59/20: minutes 5, 25, 45.
        let open = try CronSchedule("5/20 * * * *")
        #expect(Self.sequence(open, after: Self.jun15_1000, count: 4)
            == [Self.jun15_1000 + 300, Self.jun15_1000 + 1500, Self.jun15_1000 + 2700, Self.jun15_1000 + 3900])
        // Hours 9, 13, 17, then 9 the next day.
        let hours = try CronSchedule("0 9-17/4 * * *")
        #expect(Self.sequence(hours, after: Self.jun15_0000, count: 4)
            == [Self.jun15_0000 + 9 * 3600, Self.jun15_0000 + 13 * 3600, Self.jun15_0000 + 17 * 3600,
                Self.jun15_0000 + 86_400 + 9 * 3600])
    }

    @Test func monthNames() throws {
        let s = try CronSchedule("0 0 1 jan,JUL *")
        // From 2025-03-10: 2025-07-01, then 2026-01-01.
        #expect(Self.sequence(s, after: 1_741_564_800, count: 2) == [1_751_328_000, 1_767_225_600])
        let range = try CronSchedule("0 0 1 Jun-aug *")
        #expect(Self.sequence(range, after: 1_741_564_800, count: 4)
            == [1_748_736_000, 1_751_328_000, 1_754_006_400, 1_780_272_000])   // Jun, Jul, Aug 2025; Jun 2026
    }

    @Test func dayNames() throws {
        // From Friday 2025-06-13 09:00 to Monday 2025-06-16 08:30.
        let s = try CronSchedule("30 8 * * mon-fri")
        #expect(s.next(after: 1_749_805_200) == 1_750_062_600)
        // "fri-sun" runs Friday to Sunday.
        let weekend = try CronSchedule("0 0 * * fri-sun")
        #expect(Self.sequence(weekend, after: 1_748_736_000, count: 4)   // from Sunday 2025-06-01
            == [1_749_168_000, 1_749_254_400, 1_749_340_800, 1_749_772_800])   // Fri 6, Sat 7, Sun 8, Fri 13
    }

    @Test func dayOfWeekSevenIsSunday() throws {
        let seven = try CronSchedule("0 12 * * 7")
        let zero = try CronSchedule("0 12 * * 0")
        let sun = try CronSchedule("0 12 * * SUN")
        let friday13 = Self.jun15_0000 - 2 * 86_400   // Friday 2025-06-13 00:00
        #expect(seven.next(after: friday13) == 1_749_988_800)   // Sunday 2025-06-15 12:00
        #expect(zero.next(after: friday13) == 1_749_988_800)
        #expect(sun.next(after: friday13) == 1_749_988_800)
        // 5-7 is Friday, Saturday, Sunday.
        let s = try CronSchedule("0 0 * * 5-7")
        #expect(Self.sequence(s, after: 1_748_736_000, count: 4)
            == [1_749_168_000, 1_749_254_400, 1_749_340_800, 1_749_772_800])
    }

    @Test func dayOfMonthOrDayOfWeekWhenBothRestricted() throws {
        // Every 13th and every Friday, from 2025-06-01: Jun 6, 13, 20, 27,
        // Jul 4, 11, 13 (a Sunday), 18.
        let s = try CronSchedule("0 0 13 * 5")
        #expect(Self.sequence(s, after: 1_748_736_000, count: 8)
            == [1_749_168_000, 1_749_772_800, 1_750_377_600, 1_750_982_400,
                1_751_587_200, 1_752_192_000, 1_752_364_800, 1_752_796_800])
        // Only one restricted: both must match.
        let thirteenth = try CronSchedule("0 0 13 * *")
        #expect(Self.sequence(thirteenth, after: 1_748_736_000, count: 2) == [1_749_772_800, 1_752_364_800])
        let fridays = try CronSchedule("0 0 * * 5")
        #expect(Self.sequence(fridays, after: 1_749_168_000, count: 2) == [1_749_772_800, 1_750_377_600])
    }

    @Test func starStepDayOfMonthCountsAsUnrestricted() throws {
        // As in Vixie cron and cronie, "*/10" starts with '*', so the days are
        // 1, 11, 21, 31 AND Mondays: none in June 2025, first is Mon 2025-07-21
        // (with the OR rule it would be Mon 2025-06-02).
        let s = try CronSchedule("0 0 */10 * 1")
        #expect(s.next(after: 1_748_736_000) == 1_753_056_000)
    }

    @Test func february29() throws {
        let s = try CronSchedule("0 0 29 2 *")
        #expect(s.next(after: 1_740_787_200) == 1_835_395_200)   // 2025-03-01 -> 2028-02-29
        #expect(s.next(after: 1_709_164_800) == 1_835_395_200)   // 2024-02-29 00:00 -> 2028-02-29
        // 2100 is not a leap year: the next Feb 29 after 2096-03-01 is in
        // 2104, beyond the 5-year search.
        #expect(s.next(after: 3_981_398_400) == nil)
    }

    @Test func impossibleDatesGiveNil() throws {
        #expect(try CronSchedule("0 0 30 2 *").next(after: 1_740_787_200) == nil)
        #expect(try CronSchedule("0 0 31 4,6,9,11 *").next(after: 1_740_787_200) == nil)
        // ...but with a restricted weekday the OR rule still matches.
        #expect(try CronSchedule("0 0 30 2 mon").next(after: 1_740_787_200) == 1_769_990_400)   // Mon 2026-02-02
    }

    @Test func yearRollover() throws {
        let dec31_2359: Int64 = 1_767_225_540   // 2025-12-31 23:59
        let jan1: Int64 = 1_767_225_600         // 2026-01-01 00:00
        #expect(try CronSchedule("* * * * *").next(after: dec31_2359) == jan1)
        #expect(try CronSchedule("0 0 1 1 *").next(after: dec31_2359) == jan1)
        #expect(try CronSchedule("59 23 31 12 *").next(after: dec31_2359) == 1_798_761_540)   // 2026-12-31 23:59
    }

    @Test func positiveFixedOffset() throws {
        let s = try CronSchedule("0 9 * * *", timeZone: "+05:30")
        #expect(s.utcOffsetSeconds == 19_800)
        #expect(s.next(after: Self.jun15_0000) == 1_749_958_200)   // 09:00 +05:30 = 03:30 UTC
        #expect(s.next(after: 1_749_958_200) == 1_750_044_600)     // the next day
        // Local midnight on the 1st at +2 is 22:00 UTC on the last day before.
        let monthly = try CronSchedule("0 0 1 * *", timeZone: "+2")
        #expect(monthly.next(after: Self.jun15_0000) == 1_751_320_800)   // 2025-06-30 22:00 UTC
    }

    @Test func negativeOffsetsCrossMidnight() throws {
        // 00:00 UTC on Jun 15 is 16:00 on Jun 14 at -08:00; 20:00 local is 04:00 UTC Jun 15.
        let s = try CronSchedule("0 20 * * *", timeZone: "-0800")
        #expect(s.utcOffsetSeconds == -28_800)
        #expect(s.next(after: Self.jun15_0000) == 1_749_960_000)
        // Friday 23:00 at -05:00 is Saturday 04:00 UTC; the weekday is local.
        let friday = try CronSchedule("0 23 * * fri", timeZone: "UTC-05:00")
        #expect(friday.next(after: 1_749_772_800) == 1_749_873_600)   // from Fri 2025-06-13 00:00 UTC
        // New Year's midnight at -03:30 is 03:30 UTC on Jan 1.
        let newYear = try CronSchedule("@yearly", timeZone: "UTC-03:30")
        #expect(newYear.utcOffsetSeconds == -12_600)
        #expect(newYear.next(after: 1_767_225_540) == 1_767_238_200)   // from 2025-12-31 23:59 UTC to 2026-01-01 03:30 UTC
    }

    @Test func timeZoneForms() throws {
        let cases: [(String, Int)] = [
            ("UTC", 0), ("Z", 0), ("utc", 0), ("+05:30", 19_800), ("-0800", -28_800), ("+2", 7200),
            ("UTC+2", 7200), ("UTC-03:30", -12_600), ("+14:00", 50_400), ("-14:00", -50_400), (" +01:00 ", 3600),
        ]
        for (zone, seconds) in cases {
            #expect(try CronSchedule("* * * * *", timeZone: zone).utcOffsetSeconds == seconds, "\(zone)")
        }
    }

    @Test func macros() throws {
        let noon: Int64 = 1_749_988_800   // Sunday 2025-06-15 12:00
        let cases: [(String, Int64)] = [
            ("@yearly", 1_767_225_600), ("@annually", 1_767_225_600), ("@monthly", 1_751_328_000),
            ("@weekly", 1_750_550_400), ("@daily", 1_750_032_000), ("@midnight", 1_750_032_000),
            ("@hourly", 1_749_992_400), ("@DAILY", 1_750_032_000),
        ]
        for (macro, expected) in cases {
            #expect(try CronSchedule(macro).next(after: noon) == expected, "\(macro)")
        }
    }

    @Test func descriptionAndEquality() throws {
        #expect(try CronSchedule("0 * * * *").description == "0 * * * * (UTC)")
        #expect(try CronSchedule("  0 9 * * *\n", timeZone: "+05:30").description == "0 9 * * * (UTC+05:30)")
        #expect(try CronSchedule("@daily", timeZone: "-8").description == "@daily (UTC-08:00)")
        #expect(try CronSchedule(" @hourly ").expression == "@hourly")
        #expect(try CronSchedule("0 * * * *") == CronSchedule("0 * * * *", timeZone: "Z"))
        #expect(try CronSchedule("0 * * * *") != CronSchedule("0 * * * *", timeZone: "+01:00"))
        #expect(try CronSchedule("0 * * * *") != CronSchedule("5 * * * *"))
    }

    @Test(arguments: [
        ("61 * * * *", "cron expression '61 * * * *': minute '61' is out of range 0-59"),
        ("* * *", "cron expression '* * *': expected 5 fields (minute hour day-of-month month day-of-week), got 3"),
        ("*/0 * * * *", "cron expression '*/0 * * * *': minute step must be at least 1"),
        ("5-1 * * * *", "cron expression '5-1 * * * *': minute range 5-1 is backwards; write 1-5"),
        ("* * * foo *", "cron expression '* * * foo *': month 'foo' is not a number or a month name (jan..dec)"),
        ("@sometimes", "unknown cron macro '@sometimes'; use @yearly, @monthly, @weekly, @daily or @hourly"),
        ("", "cron expression is empty; expected 5 fields (minute hour day-of-month month day-of-week) or a macro such as @daily"),
        ("   ", "cron expression is empty; expected 5 fields (minute hour day-of-month month day-of-week) or a macro such as @daily"),
        ("1, * * * *", "cron expression '1, * * * *': minute list '1,' has an empty item; remove the extra comma"),
        ("1- * * * *", "cron expression '1- * * * *': minute range '1-' is missing its end; write e.g. 1-5"),
        ("a-b * * * *", "cron expression 'a-b * * * *': minute 'a' is not a number"),
        ("* 24 * * *", "cron expression '* 24 * * *': hour '24' is out of range 0-23"),
        ("* * 0 * *", "cron expression '* * 0 * *': day-of-month '0' is out of range 1-31"),
        ("* * * 13 *", "cron expression '* * * 13 *': month '13' is out of range 1-12"),
        ("* * * * 8", "cron expression '* * * * 8': day-of-week '8' is out of range 0-7"),
        ("* * * * funday", "cron expression '* * * * funday': day-of-week 'funday' is not a number or a day name (sun..sat)"),
        ("* * * * fri-mon", "cron expression '* * * * fri-mon': day-of-week range fri-mon is backwards; write mon-fri"),
        ("*/x * * * *", "cron expression '*/x * * * *': minute step 'x' is not a number"),
        ("*/ * * * *", "cron expression '*/ * * * *': minute item '*/' has no step after '/'; write e.g. */5"),
        ("1/2/3 * * * *", "cron expression '1/2/3 * * * *': minute item '1/2/3' has more than one '/'"),
        ("1-2-3 * * * *", "cron expression '1-2-3 * * * *': minute range '1-2-3' has more than one '-'; write e.g. 1-5"),
        ("-5 * * * *", "cron expression '-5 * * * *': minute range '-5' is missing its start; write e.g. 1-5"),
        ("jan * * * *", "cron expression 'jan * * * *': minute 'jan' is not a number"),
        ("0 0 * * * 2025", "cron expression '0 0 * * * 2025': expected 5 fields (minute hour day-of-month month day-of-week), got 6; seconds and year fields are not supported"),
        ("@daily 5", "cron expression '@daily 5': the macro @daily stands alone; remove '5'"),
    ])
    func badExpressions(expression: String, message: String) {
        #expect(Self.error(expression) == message)
    }

    @Test(arguments: [
        ("Mars/Olympus", "time zone 'Mars/Olympus': use UTC or a fixed offset such as +02:00 or -0530"),
        ("Europe/Paris", "time zone 'Europe/Paris': use UTC or a fixed offset such as +02:00 or -0530"),
        ("+15:00", "time zone '+15:00': offset is beyond ±14:00"),
        ("-14:01", "time zone '-14:01': offset is beyond ±14:00"),
        ("+05:75", "time zone '+05:75': minutes must be 00-59"),
        ("0530", "time zone '0530': use UTC or a fixed offset such as +02:00 or -0530"),
        ("", "time zone is empty; use UTC or a fixed offset such as +02:00 or -0530"),
    ])
    func badTimeZones(zone: String, message: String) {
        #expect(Self.error("* * * * *", timeZone: zone) == message)
    }

    /// Minute-by-minute search with Glibc's calendar (`gmtime_r`) and
    /// hand-written predicates, against `next(after:)`.
    @Test func agreesWithBruteForce() throws {
        typealias Fields = (minute: Int, hour: Int, day: Int, month: Int, weekday: Int)
        let cases: [(String, String, (Fields) -> Bool)] = [
            ("*/7 3-5,20 * * 1-5", "UTC", { $0.minute % 7 == 0 && [3, 4, 5, 20].contains($0.hour) && (1...5).contains($0.weekday) }),
            ("15 */6 1,15 * *", "+09:00", { $0.minute == 15 && $0.hour % 6 == 0 && [1, 15].contains($0.day) }),
            ("0 12 10-12 * sat", "-07:00", { $0.minute == 0 && $0.hour == 12 && ((10...12).contains($0.day) || $0.weekday == 6) }),
            ("30 1 * feb,mar,jul 0", "+05:45", { $0.minute == 30 && $0.hour == 1 && [2, 3, 7].contains($0.month) && $0.weekday == 0 }),
            ("0-10/5 22 28-31 * *", "-11:00", { [0, 5, 10].contains($0.minute) && $0.hour == 22 && $0.day >= 28 }),
        ]
        // 1970-01-01, 1999-12-31 22:00, 2024-02-27 00:00, 2025-06-15 10:30, 2100-02-27 00:00
        let starts: [Int64] = [0, 946_677_600, 1_708_992_000, 1_749_983_400, 4_107_369_600]
        for (expression, zone, matches) in cases {
            let schedule = try CronSchedule(expression, timeZone: zone)
            let offset = Int64(schedule.utcOffsetSeconds)
            for start in starts {
                var t = start - start % 60 + 60
                var expected: Int64?
                while t < start + 70 * 86_400 {
                    var seconds = time_t(t + offset)
                    var parts = tm()
                    gmtime_r(&seconds, &parts)
                    let fields = (minute: Int(parts.tm_min), hour: Int(parts.tm_hour), day: Int(parts.tm_mday),
                                  month: Int(parts.tm_mon) + 1, weekday: Int(parts.tm_wday))
                    if matches(fields) { expected = t; break }
                    t += 60
                }
                #expect(expected != nil, "\(expression) has no match in 70 days after \(start)")
                #expect(schedule.next(after: start) == expected, "\(expression) \(zone) after \(start)")
            }
        }
    }
}
