#if AsyncHTTPClientSupport
    /// Parses the three forms of an HTTP-date (RFC 9110 §5.6.7) into Unix seconds, without Foundation and without any
    /// arithmetic on unchecked input: every field is range-checked first (year 0–9999, a real day of its month, hours,
    /// minutes, seconds up to a leap second), so the computation cannot overflow.
    enum HTTPDate {
        /// The Unix time of an IMF-fixdate, an RFC 850 date or an asctime date; `nil` for anything else. An RFC 850
        /// date's two-digit year is read as the nearest such year not more than 50 years after `nowSeconds`.
        static func unixSeconds(_ bytes: ArraySlice<UInt8>, nowSeconds: Double) -> Int64? {
            guard bytes.count <= 40 else { return nil }  // the longest form, RFC 850 on a Wednesday, has 33 bytes
            var scanner = Scanner(bytes)
            guard let dayName = scanner.letters() else { return nil }
            if scanner.take(",") {
                guard scanner.take(" ") else { return nil }
                if shortDayNames.contains(dayName) {
                    return imfFixdate(&scanner)
                }
                if longDayNames.contains(dayName) {
                    return rfc850Date(&scanner, nowSeconds: nowSeconds)
                }
                return nil
            }
            guard shortDayNames.contains(dayName), scanner.take(" ") else { return nil }
            return asctimeDate(&scanner)
        }

        /// `06 Nov 1994 08:49:37 GMT`, after `Sun, `.
        private static func imfFixdate(_ scanner: inout Scanner) -> Int64? {
            guard let day = scanner.digits(2), scanner.take(" "), let month = scanner.month(), scanner.take(" "),
                let year = scanner.digits(4), scanner.take(" "), let time = scanner.timeOfDay(), scanner.take(" GMT"),
                scanner.isAtEnd
            else { return nil }
            return unixSeconds(year: year, month: month, day: day, time: time)
        }

        /// `06-Nov-94 08:49:37 GMT`, after `Sunday, `.
        private static func rfc850Date(_ scanner: inout Scanner, nowSeconds: Double) -> Int64? {
            guard let day = scanner.digits(2), scanner.take("-"), let month = scanner.month(), scanner.take("-"),
                let shortYear = scanner.digits(2), scanner.take(" "), let time = scanner.timeOfDay(),
                scanner.take(" GMT"),
                scanner.isAtEnd
            else { return nil }
            // nowSeconds is finite and within ±1e15 (checked by the caller): the division and conversion are safe.
            let currentYear = civilYear(ofDay: Int64((nowSeconds / 86_400).rounded(.down)))
            var year = currentYear - currentYear % 100 + shortYear
            if year > currentYear + 50 { year -= 100 }
            guard (0...9999).contains(year) else { return nil }
            return unixSeconds(year: year, month: month, day: day, time: time)
        }

        /// `Nov  6 08:49:37 1994`, after `Sun `.
        private static func asctimeDate(_ scanner: inout Scanner) -> Int64? {
            guard let month = scanner.month(), scanner.take(" ") else { return nil }
            let day: Int64
            if scanner.take(" ") {
                guard let digit = scanner.digits(1) else { return nil }
                day = digit
            } else {
                guard let digits = scanner.digits(2) else { return nil }
                day = digits
            }
            guard scanner.take(" "), let time = scanner.timeOfDay(), scanner.take(" "), let year = scanner.digits(4),
                scanner.isAtEnd
            else { return nil }
            return unixSeconds(year: year, month: month, day: day, time: time)
        }

        /// Seconds since 1970 of a checked civil date and time; `nil` when the day does not exist in its month.
        private static func unixSeconds(year: Int64, month: Int64, day: Int64, time: Int64) -> Int64? {
            guard (0...9999).contains(year), (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year)
            else { return nil }
            return daysSinceEpoch(year: year, month: month, day: day) * 86_400 + time
        }

        private static func isLeap(_ year: Int64) -> Bool {
            year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        }

        private static func daysIn(month: Int64, year: Int64) -> Int64 {
            switch month {
            case 2: isLeap(year) ? 29 : 28
            case 4, 6, 9, 11: 30
            default: 31
            }
        }

        /// Days from 1970-01-01 to a proleptic Gregorian date, counted in 400-year eras that start on 1 March (the leap
        /// day falls at the end of such a year).
        static func daysSinceEpoch(year: Int64, month: Int64, day: Int64) -> Int64 {
            let marchYear = month <= 2 ? year - 1 : year
            let era = (marchYear >= 0 ? marchYear : marchYear - 399) / 400
            let yearOfEra = marchYear - era * 400
            let monthFromMarch = (month + 9) % 12
            let dayOfYear = (153 * monthFromMarch + 2) / 5 + day - 1
            let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
            return era * 146_097 + dayOfEra - 719_468
        }

        /// The civil year of a day counted from 1970-01-01 (the inverse of ``daysSinceEpoch(year:month:day:)`` for the
        /// year alone).
        static func civilYear(ofDay days: Int64) -> Int64 {
            let shifted = days + 719_468
            let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
            let dayOfEra = shifted - era * 146_097
            let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
            let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
            let monthFromMarch = (5 * dayOfYear + 2) / 153
            return yearOfEra + era * 400 + (monthFromMarch >= 10 ? 1 : 0)
        }

        private static let shortDayNames: Set<String> = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
        private static let longDayNames: Set<String> = [
            "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
        ]
        private static let monthNames = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ]

        /// Reads a date's tokens left to right; every read either consumes what it matched or returns `nil`/`false`.
        private struct Scanner {
            private var rest: ArraySlice<UInt8>

            init(_ bytes: ArraySlice<UInt8>) {
                rest = bytes
            }

            var isAtEnd: Bool { rest.isEmpty }

            /// Consumes `literal` if the input starts with it (case-sensitive, as the grammar is).
            mutating func take(_ literal: StaticString) -> Bool {
                let expected = UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
                guard rest.starts(with: expected) else { return false }
                rest.removeFirst(expected.count)
                return true
            }

            /// One to ten ASCII letters.
            mutating func letters() -> String? {
                let word = rest.prefix { ($0 | 0x20) >= UInt8(ascii: "a") && ($0 | 0x20) <= UInt8(ascii: "z") }
                guard !word.isEmpty, word.count <= 10 else { return nil }
                rest.removeFirst(word.count)
                return String(decoding: word, as: UTF8.self)
            }

            /// Exactly `count` digits (at most 4, so the value fits any integer).
            mutating func digits(_ count: Int) -> Int64? {
                guard rest.count >= count else { return nil }
                var value: Int64 = 0
                for byte in rest.prefix(count) {
                    guard RetryAfter.isDigit(byte) else { return nil }
                    value = value * 10 + Int64(byte &- RetryAfter.zero)
                }
                rest.removeFirst(count)
                return value
            }

            /// A three-letter month name, as 1–12.
            mutating func month() -> Int64? {
                guard rest.count >= 3 else { return nil }
                let name = String(decoding: rest.prefix(3), as: UTF8.self)
                guard let index = HTTPDate.monthNames.firstIndex(of: name) else { return nil }
                rest.removeFirst(3)
                return Int64(index + 1)
            }

            /// `HH:MM:SS` as seconds of the day; a leap second (`:60`) is accepted.
            mutating func timeOfDay() -> Int64? {
                guard let hour = digits(2), take(":"), let minute = digits(2), take(":"), let second = digits(2),
                    hour <= 23, minute <= 59, second <= 60
                else { return nil }
                return hour * 3_600 + minute * 60 + second
            }
        }
    }
#endif
