/// Escaping of respondent text for each output format: reports never execute what respondents typed.
public enum Escape {
    /// Element text and quoted attribute values. Bidirectional embedding, override and isolate
    /// controls (U+202A–U+202E, U+2066–U+2069) are dropped: a respondent's U+202E would otherwise
    /// reverse the text after it, in the report and in whatever it is pasted into.
    public static func html(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s.unicodeScalars {
            if isBidiControl(c) { continue }
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// Text for an XML document other than the report (the workbook's parts): `&`, `<`, `>` and `"`
    /// as entities, and the characters XML 1.0 cannot hold (C0 controls but tab and line breaks,
    /// U+FFFE, U+FFFF) dropped.
    public static func xml(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "\t", "\n", "\r": out.unicodeScalars.append(c)
            default:
                if c.value < 0x20 || c.value == 0xFFFE || c.value == 0xFFFF { continue }
                out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// A quoted attribute value: the same encoding as element text (quotes included).
    public static func attribute(_ s: String) -> String { html(s) }

    /// An identifier for an element's `id` and the `#fragment` that links to it: ASCII letters,
    /// digits, `-` and `_` as they are, every other byte as `.` and two hex digits, so the result
    /// is safe unquoted in an attribute and in a URL, and distinct ids stay distinct.
    public static func anchor(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            default: out += "." + String(b, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }

    /// Bidirectional embedding, override and isolate controls.
    public static func isBidiControl(_ c: Unicode.Scalar) -> Bool {
        (0x202A...0x202E).contains(c.value) || (0x2066...0x2069).contains(c.value)
    }

    /// Text for a terminal: control characters (C0 but newline and tab, DEL, C1) and bidi
    /// controls written as `\u{…}`, so a value in an export cannot move the cursor, set the window
    /// title or clear the screen.
    public static func terminal(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars {
            let v = c.value
            if (v < 0x20 && v != 0x0A && v != 0x09) || (0x7F...0x9F).contains(v) || isBidiControl(c) {
                out += "\\u{" + String(v, radix: 16) + "}"
            } else {
                out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// Markdown: backslash-escapes the characters that open inline constructs anywhere in a line
    /// (emphasis, code, links and images, table cells, strikethrough), writes `<` and `&` as
    /// entities so no HTML or entity passes through, and flattens line breaks so a respondent
    /// cannot start a new block. Reports never begin a line with respondent text, so line-start
    /// markers (`#`, `-`, `>`) need no escape.
    public static func markdown(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars {
            if isBidiControl(c) { continue }
            switch c {
            case "\\", "`", "*", "_", "[", "]", "|", "~":
                out += "\\"
                out.unicodeScalars.append(c)
            case "<": out += "&lt;"
            case "&": out += "&amp;"
            case "\n", "\r", "\t": out += " "
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// A CSV cell (RFC 4180 quoting). Cells a spreadsheet would run as a formula (starting with
    /// `=`, `+`, `-`, `@`, tab or CR) get a leading apostrophe, unless they are plain numbers.
    public static func csv(_ s: String) -> String {
        var v = s
        if let f = v.unicodeScalars.first, ["=", "+", "-", "@", "\t", "\r"].contains(f), Double(v) == nil {
            v = "'" + v
        }
        // A byte scan: String.contains(String) goes through Foundation's search, which was most of
        // the time spent writing the CSV tables.
        if v.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) {
            // Quotes doubled byte by byte: split by Character, a quote followed by a combining mark
            // is one grapheme that is not `"`, and stayed single, ending the cell early (found by
            // the report writers' fuzzer: the text after it could start a cell of its own).
            var out: [UInt8] = [0x22]
            out.reserveCapacity(v.utf8.count + 8)
            for b in v.utf8 {
                out.append(b)
                if b == 0x22 { out.append(0x22) }
            }
            out.append(0x22)
            return String(decoding: out, as: UTF8.self)
        }
        return v
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
