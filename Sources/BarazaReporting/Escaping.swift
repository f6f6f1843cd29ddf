/// Escaping of respondent text for each output format: reports never execute what respondents typed.
public enum Escape {
    public static func html(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s.unicodeScalars {
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

    /// Markdown: backslash-escapes the characters that open inline constructs anywhere in a line
    /// (emphasis, code, links and images, table cells, strikethrough), writes `<` and `&` as
    /// entities so no HTML or entity passes through, and flattens line breaks so a respondent
    /// cannot start a new block. Reports never begin a line with respondent text, so line-start
    /// markers (`#`, `-`, `>`) need no escape.
    public static func markdown(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars {
            switch c {
            case "\\", "`", "*", "_", "[", "]", "|", "~":
                out += "\\"; out.unicodeScalars.append(c)
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
            return "\"" + v.split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\"\"") + "\""
        }
        return v
    }
}
