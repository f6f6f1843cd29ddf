import BarazaCoding
import BarazaIngest
import BarazaModel
import Foundation

/// How `init` tells what a column is: platform metadata, contact data, a country, a grid row, checkbox
/// answers, ordered labels; and how it writes names and YAML.
extension ConsultationDrafter {
    static let metadata: Set<String> = [
        "start", "end", "today", "deviceid", "subscriberid", "simserial", "phonenumber", "username", "submissiondate",
        "key", "parent_key", "respondent id", "collector id", "start date", "end date", "ip address", "email address",
        "first name", "last name", "custom data 1", "responseid", "startdate", "enddate", "status", "ipaddress",
        "progress", "duration (in seconds)", "finished", "recordeddate", "recipientlastname", "recipientfirstname",
        "recipientemail", "externalreference", "locationlatitude", "locationlongitude", "distributionchannel",
        "userlanguage", "timestamp", "horodateur", "id", "submitdate", "lastpage", "startlanguage", "seed", "token",
        "respondent_id", "submission_time",
    ]

    /// More platform metadata: SurveyMonkey's and Qualtrics' other spellings, LimeSurvey's full-text
    /// and translated headings.
    static let moreMetadata: Set<String> = Set([
        "respondentid", "collectorid", "ip address", "ipaddress", "email", "e-mail", "email address", "custom data",
        "recorded date", "response type",
    ])
    .union(ProfileDetector.limeSurveyHeadings)

    static func isMetadata(_ c: ColumnHeader) -> Bool {
        // Raw (unfolded) names: folding would turn the leading underscore of `_uuid` into nothing.
        let n = c.name.lowercased().trimmingCharacters(in: .whitespaces)
        let leaf = c.leaf.lowercased()
        return n.hasPrefix("_") || leaf.hasPrefix("_") || n.hasPrefix("meta/") || n.hasPrefix("meta-")
            || n.hasPrefix("@") || metadata.contains(n) || metadata.contains(leaf) || moreMetadata.contains(n)
    }

    /// Whether a column's values are personal contact data or machine addresses (e-mails, IP
    /// addresses): never a question.
    static func holdsContactData(_ p: ColumnProfile) -> Bool {
        guard p.nonEmpty > 0 else { return false }
        let personal = p.distinct.keys
            .filter { v in
                v.range(of: #"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$"#, options: .regularExpression) != nil
                    || v.range(of: #"^\d{1,3}(\.\d{1,3}){3}$"#, options: .regularExpression) != nil
            }
            .count
        return personal * 2 >= p.distinct.count
    }

    /// A country or region column, by its name.
    static func isCountry(_ c: ColumnHeader) -> Bool {
        Folding.fold(c.leaf)
            .range(
                of: #"^(country|pays|pais|país|nation|region|région|county|province|district)( .*)?$"#,
                options: .regularExpression
            ) != nil || Folding.fold(c.leaf).contains("country")
    }

    /// Words of intensity and frequency in English, French, Spanish and Portuguese, from the least
    /// to the most (folded): a column whose every label holds one, each a different one, is an
    /// ordered scale even when no built-in scale knows its labels.
    static let intensity: [[String]] = [
        [
            "not at all", "not .* at all", "pas du tout", "nada", "de modo algum", "never", "jamais", "nunca", "none",
            "aucun",
        ],
        [
            "a little", "slightly", "un peu", "un poco", "poco", "pouco", "um pouco", "rarely", "rarement", "raramente",
            "seldom",
        ],
        [
            "somewhat", "moderately", "fairly", "assez", "moyennement", "algo", "moderadamente", "sometimes", "parfois",
            "a veces", "as vezes",
        ], ["very", "tres", "muy", "muito", "often", "souvent", "a menudo", "frequentemente", "frecuentemente"],
        ["extremely", "extremement", "extremadamente", "extremamente", "always", "toujours", "siempre", "sempre"],
    ]

    /// The column's labels in the order their intensity words give, when there are 3 to 7 and each
    /// holds a word of a different rank; or numeric codes 1…k (3 ≤ k ≤ 11) with nothing else.
    static func orderedLabels(_ p: ColumnProfile) -> [String]? {
        let labels = Array(p.distinct.keys)
        if labels.allSatisfy({ Int($0) != nil }) {
            let values = Set(labels.compactMap { Int($0) })
            guard let top = values.max(), (3...11).contains(top), values.min() ?? 0 >= 1, values.count >= 3 else {
                return nil
            }
            return (1...top).map(String.init)
        }
        guard (3...7).contains(labels.count) else { return nil }
        var ranked: [(Int, String)] = []
        for label in labels {
            let f = Folding.fold(label)
            guard
                let rank = intensity.firstIndex(where: { words in
                    words.contains { f.range(of: "(^|[^a-z])" + $0 + "($|[^a-z])", options: .regularExpression) != nil }
                })
            else { return nil }
            ranked.append((rank, label))
        }
        guard Set(ranked.map(\.0)).count == ranked.count else { return nil }
        return ranked.sorted { $0.0 < $1.0 }.map(\.1)
    }

    /// A grid row's column (`Q [row]`, `Q - row`, `Q: row`): the question's stem and the row.
    static func gridParts(_ name: String) -> (stem: String, row: String)? {
        if name.hasSuffix("]"), let open = name.lastIndex(of: "["), open > name.startIndex {
            let stem = name[..<open].trimmingCharacters(in: .whitespaces)
            let row = name[name.index(after: open)..<name.index(before: name.endIndex)]
                .trimmingCharacters(in: .whitespaces)
            if !stem.isEmpty && !row.isEmpty { return (stem, row) }
        }
        for sep in [" - ", ": "] {
            if let r = name.range(of: sep, options: .backwards) {
                let stem = name[..<r.lowerBound].trimmingCharacters(in: .whitespaces)
                let row = name[r.upperBound...].trimmingCharacters(in: .whitespaces)
                if !stem.isEmpty && !row.isEmpty && stem.count >= row.count { return (stem, row) }
            }
        }
        return nil
    }

    /// A readable id for a column: a grid row's stem shortened to its first words, then the row.
    static func columnID(_ name: String, taken: inout Set<String>) -> String {
        guard let (stem, row) = gridParts(name) else { return identifier(name, taken: &taken) }
        let words = Folding.fold(stem).split(whereSeparator: { !$0.isLetter && !$0.isNumber }).prefix(3)
            .joined(separator: " ")
        return identifier(words + " " + row, taken: &taken)
    }

    /// The labels of checkbox answers joined with "; " or ", " (Google Forms, SurveyMonkey single
    /// column), when a few labels recur; nil for a column of free text.
    static func checkboxOptions(_ p: ColumnProfile) -> [String]? {
        let joined = p.distinct.keys.filter { $0.contains(";") || $0.contains(", ") }
        guard !joined.isEmpty else { return nil }
        var counts: [String: Int] = [:]
        // Where each label stands: alone, first, or after another. A checkbox label moves about
        // ("Monday, Tuesday", "Sunday, Monday"); a label with a comma in it ("Yes, somewhat rude")
        // always has the same part first.
        var alone: Set<String> = []
        var first: Set<String> = []
        var later: Set<String> = []
        for (v, n) in p.distinct {
            let parts = v.split(whereSeparator: { $0 == ";" || $0 == "," })
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            for (i, part) in parts.enumerated() {
                counts[part, default: 0] += n
                if parts.count == 1 {
                    alone.insert(part)
                } else if i == 0 {
                    first.insert(part)
                } else {
                    later.insert(part)
                }
            }
        }
        let free = counts.keys.filter { alone.contains($0) || first.contains($0) && later.contains($0) }.count
        let semicolons = joined.contains { $0.contains(";") }
        let threeOrMore = joined.contains { $0.split(separator: ",").count >= 3 }
        guard counts.count >= 2, counts.count <= 40, counts.keys.allSatisfy({ $0.count <= 80 }),
            semicolons || threeOrMore || free * 2 >= counts.count
        else { return nil }
        return counts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map(\.key)
    }

    /// A YAML scalar, quoted when needed.
    static func yaml(_ s: String) -> String {
        let plain =
            s.range(of: #"^[A-Za-z_][A-Za-z0-9_./\- ]*$"#, options: .regularExpression) != nil
            && !["yes", "no", "true", "false", "null", "on", "off", "y", "n"].contains(s.lowercased())
            && !s.hasSuffix(" ")
        if plain { return s }
        // Escaped by scalar: a quote or backslash followed by a combining mark is one Character; line
        // breaks, tabs and other controls escaped, so that YAML's folding keeps the text as it is.
        var out = String.UnicodeScalarView()
        for c in s.unicodeScalars {
            switch c {
            case "\\": out.append(contentsOf: "\\\\".unicodeScalars)
            case "\"": out.append(contentsOf: "\\\"".unicodeScalars)
            case "\n": out.append(contentsOf: "\\n".unicodeScalars)
            case "\r": out.append(contentsOf: "\\r".unicodeScalars)
            case "\t": out.append(contentsOf: "\\t".unicodeScalars)
            default:
                if c.value < 0x20 || c.value == 0x7F || (0x80...0x9F).contains(c.value) || c.value == 0x2028
                    || c.value == 0x2029 || c.value == 0xFEFF
                {
                    out.append(contentsOf: String(format: "\\u%04X", c.value).unicodeScalars)
                } else {
                    out.append(c)
                }
            }
        }
        return "\"" + String(out) + "\""
    }

    /// Text for a YAML comment: one line, controls dropped.
    static func comment(_ s: String) -> String {
        String(String.UnicodeScalarView(s.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : $0 }))
    }

    static func relativeTo(_ base: String, _ file: String) -> String {
        let cwd = FileManager.default.currentDirectoryPath
        let abs = ((file.hasPrefix("/") ? file : joinPath(cwd, file)) as NSString).standardizingPath
        let b = ((base.hasPrefix("/") ? base : joinPath(cwd, base)) as NSString).standardizingPath + "/"
        return abs.hasPrefix(b) ? String(abs.dropFirst(b.count)) : abs
    }

    static func identifier(_ s: String, taken: inout Set<String>) -> String {
        var id = Folding.fold(s).map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined()
        while id.contains("__") { id = id.replacingOccurrences(of: "__", with: "_") }
        id = String(id.trimmingCharacters(in: CharacterSet(charactersIn: "_")).prefix(40))
        if id.isEmpty || id.first?.isNumber == true { id = "q_" + id }
        var unique = id
        var k = 2
        while taken.contains(unique) {
            unique = "\(id)_\(k)"
            k += 1
        }
        taken.insert(unique)
        return unique
    }
}
