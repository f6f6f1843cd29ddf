import Foundation

/// Parses the date-time forms survey platforms export into one instant (UTC when no offset is given).
///
/// - ISO 8601 (Kobo `_submission_time`, ODK `SubmissionDate`, Qualtrics): `2024-03-01T10:22:33.123+03:00`,
///   `2024-03-01 10:22:33`, `2024-03-01T10:22:33Z`, `2024-03-01`.
/// - SurveyMonkey: `03/01/2024 10:22:33 AM` (month first).
/// - Google Forms: `2024/03/01 10:22:33 AM GMT+3`, `3/1/2024 10:22:33`, `01/03/2024 10:22:33` (day
///   first when the first number is above 12).
/// Anything else returns nil, and the caller keeps the text with a diagnostic.
public enum DateParser {
    /// Seconds since 1970 for the strict ISO 8601 form exports write most
    /// (`2024-03-07T06:15:47.020+03:00`: date, `T` or space, time, optional fraction of up to 15
    /// digits, optional `Z` or `±hh:mm`/`±hhmm`), read from bytes; nil for anything else, which
    /// `parse` then reads. Gives the same value as `parse` on every input it accepts.
    public static func parseISO(_ p: UnsafeBufferPointer<UInt8>) -> Double? {
        let n = p.count
        guard n >= 19 else { return nil }
        func digits(_ at: Int, _ count: Int) -> Int? {
            var v = 0
            for k in at..<(at + count) {
                let d = Int(p[k]) - 0x30
                guard d >= 0 && d <= 9 else { return nil }
                v = v * 10 + d
            }
            return v
        }
        guard p[4] == UInt8(ascii: "-"), p[7] == UInt8(ascii: "-"),
            p[10] == UInt8(ascii: "T") || p[10] == UInt8(ascii: " "), p[13] == UInt8(ascii: ":"),
            p[16] == UInt8(ascii: ":"), let year = digits(0, 4), let month = digits(5, 2), let day = digits(8, 2),
            let hour = digits(11, 2), let minute = digits(14, 2), let second = digits(17, 2)
        else { return nil }
        var i = 19
        var fraction = 0.0
        if i < n, p[i] == UInt8(ascii: ".") || p[i] == UInt8(ascii: ",") {
            i += 1
            let s = i
            var v = 0
            while i < n, p[i] >= 0x30, p[i] <= 0x39 {
                v = v * 10 + Int(p[i] - 0x30)
                i += 1
                if i - s > 15 { return nil }
            }
            guard i > s else { return nil }
            var scale = 1.0
            for _ in s..<i { scale *= 10 }
            fraction = Double(v) / scale
        }
        var offset = 0
        if i < n {
            if p[i] == UInt8(ascii: "Z") && i + 1 == n {
                i += 1
            } else if p[i] == UInt8(ascii: "+") || p[i] == UInt8(ascii: "-") {
                let sign = p[i] == UInt8(ascii: "-") ? -1 : 1
                if n - i == 6, p[i + 3] == UInt8(ascii: ":"), let h = digits(i + 1, 2), let m = digits(i + 4, 2) {
                    offset = sign * (h * 3600 + m * 60)
                } else if n - i == 5, let h = digits(i + 1, 2), let m = digits(i + 3, 2) {
                    offset = sign * (h * 3600 + m * 60)
                } else {
                    return nil
                }
                i = n
            } else {
                return nil
            }
        }
        guard i == n, (1...12).contains(month), (1...31).contains(day), (1000...9999).contains(year), hour < 24,
            minute < 60, second < 61
        else { return nil }
        let days = daysFromCivil(year, month, day)
        return Double(days * 86400 + hour * 3600 + minute * 60 + second - offset) + fraction
    }

    public static func parse(_ text: String) -> Date? {
        var s = text.trimmingWhitespace()
        if s.isEmpty { return nil }
        s = numericMonth(s)
        var fraction = 0.0
        var offsetSeconds = 0
        var pm: Bool?
        // Offset: Z, +03:00, +0300, GMT+3, UTC-5
        var str = s.hasSuffix("Z") ? String(s.dropLast()) : s
        // A trailing zone abbreviation (Google Forms writes "4:20:37 pm CET").
        if let space = str.lastIndex(of: " "), let z = zones[String(str[str.index(after: space)...]).uppercased()] {
            offsetSeconds = z
            str = String(str[..<space])
        }
        var body = str
        if let (offset, cut) = trailingOffset(str) {
            offsetSeconds = offset
            body = String(str[..<cut]).trimmingWhitespace()
        }
        let upper = body.uppercased()
        if upper.hasSuffix("AM") || upper.hasSuffix("PM") {
            pm = upper.hasSuffix("PM")
            body = String(body.dropLast(2)).trimmingWhitespace()
        }
        var tokens: [(text: String, sep: Character?)] = []
        var current = ""
        var lastSep: Character?
        for c in body {
            if c.isASCII && c.isNumber {
                current.append(c)
                continue
            }
            if !current.isEmpty {
                tokens.append((current, lastSep))
                current = ""
            }
            lastSep = c
        }
        if !current.isEmpty { tokens.append((current, lastSep)) }
        if tokens.count == 7, tokens[6].sep == "." || tokens[6].sep == "," {
            fraction = Double("0." + tokens[6].text) ?? 0
            tokens.removeLast()
        }
        let nums = tokens.map { Int($0.text) ?? -1 }
        guard nums.count == 3 || nums.count == 5 || nums.count == 6 else { return nil }
        var year: Int
        var month: Int
        var day: Int
        if nums[0] > 31 {
            (year, month, day) = (nums[0], nums[1], nums[2])
        } else if nums[2] > 31 {
            year = nums[2]
            if nums[0] > 12 { (day, month) = (nums[0], nums[1]) } else { (month, day) = (nums[0], nums[1]) }
        } else {
            return nil
        }
        guard (1...12).contains(month), (1...31).contains(day), (1000...9999).contains(year) else { return nil }
        var hour = nums.count > 3 ? nums[3] : 0
        let minute = nums.count > 4 ? nums[4] : 0
        let second = nums.count > 5 ? nums[5] : 0
        if let pm {
            guard (1...12).contains(hour) else { return nil }
            hour = hour % 12 + (pm ? 12 : 0)
        }
        guard hour < 24, minute < 60, second < 61 else { return nil }
        let days = daysFromCivil(year, month, day)
        let t = Double(days * 86400 + hour * 3600 + minute * 60 + second - offsetSeconds) + fraction
        return Date(timeIntervalSince1970: t)
    }

    /// A trailing UTC offset (`+03:00`, `+0300`, `-5`, `GMT+3`, `UTC-05:00`) after a time, parsed by
    /// hand (a regular expression here was a measurable share of import time): the offset in
    /// seconds and where it starts.
    static func trailingOffset(_ s: String) -> (Int, String.Index)? {
        let u = Array(s.utf8)
        var i = u.count
        var digits = 0
        while i > 0, (u[i - 1] >= 0x30 && u[i - 1] <= 0x39) || u[i - 1] == UInt8(ascii: ":") {
            if u[i - 1] != UInt8(ascii: ":") { digits += 1 }
            i -= 1
        }
        guard i > 0, digits >= 1, digits <= 4, u[i - 1] == UInt8(ascii: "+") || u[i - 1] == UInt8(ascii: "-") else {
            return nil
        }
        let sign = u[i - 1] == UInt8(ascii: "-") ? -1 : 1
        var start = i - 1
        // "GMT+3" / "UTC+3"
        if start >= 3, let z = String(bytes: u[(start - 3)..<start], encoding: .ascii), z == "GMT" || z == "UTC" {
            start -= 3
        }
        // The offset must follow a time (at least "hh:mm" before it), not be a date's "-01".
        guard start > 9, u[..<start].contains(UInt8(ascii: ":")) else { return nil }
        let d = u[i...].filter { $0 != UInt8(ascii: ":") }.map { Int($0 - 0x30) }
        let hours: Int
        let minutes: Int
        if d.count <= 2 {
            hours = d.reduce(0) { $0 * 10 + $1 }
            minutes = 0
        } else {
            hours = d.dropLast(2).reduce(0) { $0 * 10 + $1 }
            minutes = d.suffix(2).reduce(0) { $0 * 10 + $1 }
        }
        let idx = s.utf8.index(s.utf8.startIndex, offsetBy: start)
        return (sign * (hours * 3600 + minutes * 60), idx)
    }

    /// Zone abbreviations seen in exports, with their offsets in seconds.
    static let zones = [
        "UTC": 0, "GMT": 0, "CET": 3600, "CEST": 7200, "WAT": 3600, "EAT": 10800, "CAT": 7200, "SAST": 7200, "WET": 0,
        "WEST": 3600, "EST": -18000, "EDT": -14400, "CST": -21600, "CDT": -18000, "PST": -28800, "PDT": -25200,
        "BST": 3600,
    ]

    static let months: [String: Int] = [
        "jan": 1, "january": 1, "janv": 1, "janvier": 1, "ene": 1, "enero": 1, "feb": 2, "february": 2, "fev": 2,
        "fevr": 2, "fevrier": 2, "febrero": 2, "mar": 3, "march": 3, "mars": 3, "marzo": 3, "apr": 4, "april": 4,
        "avr": 4, "avril": 4, "abr": 4, "abril": 4, "may": 5, "mai": 5, "mayo": 5, "jun": 6, "june": 6, "juin": 6,
        "junio": 6, "jul": 7, "july": 7, "juil": 7, "juillet": 7, "julio": 7, "aug": 8, "august": 8, "aout": 8,
        "ago": 8, "agosto": 8, "sep": 9, "sept": 9, "september": 9, "septembre": 9, "septiembre": 9, "oct": 10,
        "october": 10, "octobre": 10, "octubre": 10, "nov": 11, "november": 11, "novembre": 11, "noviembre": 11,
        "dec": 12, "december": 12, "decembre": 12, "dic": 12, "diciembre": 12,
    ]

    /// "Apr 26, 2018 8:58:20 AM" → "04/26/2018 8:58:20 AM"; "26 avril 2018" → "26/04/2018".
    static func numericMonth(_ s: String) -> String {
        let words = s.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard words.count >= 3 else { return s }
        func month(_ w: String) -> Int? {
            let key = w.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: ".,"))
                .folding(options: .diacriticInsensitive, locale: nil)
            return months[key]
        }
        let day = { (w: String) in Int(w.trimmingCharacters(in: CharacterSet(charactersIn: ","))) }
        if let m = month(words[0]), let d = day(words[1]), let y = Int(words[2]) {
            return String(format: "%02d/%02d/%04d", m, d, y)
                + (words.count > 3 ? " " + words[3...].joined(separator: " ") : "")
        }
        if let d = day(words[0]), let m = month(words[1]), let y = Int(words[2]), d > 0 {
            // Day first, month named: written as day/month only when the day cannot be read as a month.
            let text = d > 12 ? String(format: "%02d/%02d/%04d", d, m, y) : String(format: "%04d-%02d-%02d", y, m, d)
            return text + (words.count > 3 ? (d > 12 ? " " : "T") + words[3...].joined(separator: " ") : "")
        }
        return s
    }

    /// Days since 1970-01-01 in the proleptic Gregorian calendar (Howard Hinnant's algorithm).
    static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }
}
