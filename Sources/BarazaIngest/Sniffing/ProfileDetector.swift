import BarazaModel

/// Recognises the export platform from the header row and the rows after it.
public enum ProfileDetector {
    static let googleTimestamps: Set<String> = [
        "timestamp", "horodateur", "marca temporal", "carimbo de data/hora", "zeitstempel", "marca de tiempo",
    ]

    /// What SurveyMonkey writes in the second header row over a plain answer column, in the
    /// languages it exports in (lowercased).
    static let surveyMonkeyResponseWords: Set<String> = [
        "response", "open-ended response", "réponse", "réponse ouverte", "respuesta", "respuesta abierta", "resposta",
        "resposta aberta", "antwort", "offene antwort",
    ]

    /// LimeSurvey's response metadata as its "full headings" and "question codes" exports name it,
    /// in English, Dutch, German, French, Spanish and Portuguese (lowercased).
    public static let limeSurveyHeadings: Set<String> = [
        "response id", "date submitted", "last page", "start language", "seed", "access code", "date started",
        "date last action", "ip address", "referrer url", "token", "respons id", "antwoord id", "datum verstuurd",
        "laatste pagina", "starttaal", "toegangscode", "datum gestart", "datum laatste actie", "antwort id",
        "antwort-id", "datum abgeschickt", "letzte seite", "start-sprache", "startsprache", "zugangsschlüssel",
        "zugangscode", "datum gestartet", "datum der letzten aktivität", "id de la réponse", "id de réponse",
        "date de soumission", "date d'envoi", "dernière page", "langue de départ", "code d'accès", "date de début",
        "date de la dernière action", "id de respuesta", "fecha de envío", "última página", "idioma inicial",
        "código de acceso", "fecha de inicio", "fecha de la última acción", "id da resposta", "id de resposta",
        "data de envio", "data de submissão", "idioma inicial", "código de acesso", "data de início",
        "data da última ação", "id", "submitdate", "lastpage", "startlanguage", "startdate", "datestamp", "ipaddr",
        "refurl",
    ]

    /// The names LimeSurvey gives the submit date, whose blank marks an incomplete response.
    public static let limeSurveySubmitted: Set<String> = [
        "submitdate", "date submitted", "datum verstuurd", "datum abgeschickt", "date de soumission", "date d'envoi",
        "fecha de envío", "data de envio", "data de submissão",
    ]

    /// The profile and how many rows at the top are headers (including a Kobo `#hxl` row).
    public static func detect(_ rows: [[String]]) -> (ExportProfile, headerRows: Int) {
        guard let header = rows.first else { return (.plainCSV, 1) }
        let names = Set(header.map { $0.trimmingWhitespace().lowercased() })
        let second = rows.count > 1 ? rows[1] : []
        let third = rows.count > 2 ? rows[2] : []
        if let f = third.first?.trimmingWhitespace(), f.hasPrefix("{\"ImportId\"") || f.hasPrefix("{'ImportId'") {
            return (.qualtrics, 3)
        }
        if header.first?.trimmingWhitespace() == "V1",
            second.contains(where: { $0 == "ResponseID" || $0 == "ResponseSet" })
        {
            return (.qualtrics, 2)
        }
        if names.contains("respondent id") || names.contains("respondentid"),
            names.contains("collector id") || names.contains("collectorid")
        {
            return (.surveyMonkey, 2)
        }
        // Without a Collector ID (older exports, or metadata columns deleted): the second header
        // row gives SurveyMonkey away — "Response" over answer columns, blank over metadata.
        if second.first?.trimmingWhitespace().isEmpty ?? false,
            second.contains(where: {
                let s = $0.trimmingWhitespace().lowercased()
                return surveyMonkeyResponseWords.contains(s) || s == "other (please specify)"
            })
        {
            return (.surveyMonkey, 2)
        }
        if names.contains("_uuid") || names.contains("_submission_time") || names.contains("_index")
            || names.contains("_id") && names.contains("_status")
        {
            let hxl = second.first?.hasPrefix("#") ?? false
            return (.koboToolbox, hxl ? 2 : 1)
        }
        if names.contains("meta-instanceid") || names.contains("key") && names.contains("submissiondate")
            || names.contains("submissiondate")
        {
            return (.odk, 1)
        }
        if let first = header.first, googleTimestamps.contains(first.trimmingWhitespace().lowercased()) {
            return (.googleForms, 1)
        }
        if names.contains("submitdate") && (names.contains("lastpage") || names.contains("startlanguage"))
            || names.intersection(limeSurveyHeadings).count >= 3 && !names.isDisjoint(with: limeSurveySubmitted)
        {
            return (.limeSurvey, 1)
        }
        return (.plainCSV, 1)
    }

    /// Column headers for a profile: group paths split, multi-row headers combined.
    public static func columns(profile: ExportProfile, headerRows rows: [[String]]) -> [ColumnHeader] {
        guard let names = rows.first else { return [] }
        switch profile {
        case .koboToolbox, .odkXML:
            let all = Set(names)
            return names.map { n in
                let parts = n.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
                // A label export's option label may hold '/' ("boat/canoe"): under a column that is
                // the question's own (select_multiple's summary), the rest is one option.
                if parts.count > 2,
                    let k = (1..<(parts.count - 1)).last(where: { all.contains(parts[0..<$0].joined(separator: "/")) }),
                    !all.contains(parts[0...k].joined(separator: "/"))
                {
                    return ColumnHeader(
                        name: n,
                        leaf: parts[k...].joined(separator: "/"),
                        groupPath: Array(parts[0..<k])
                    )
                }
                return ColumnHeader(name: n, leaf: parts.last ?? n, groupPath: Array(parts.dropLast()))
            }
        case .odk:
            return names.map { n in
                let parts = n.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
                // Only split when every part looks like an identifier; labels with hyphens stay whole.
                guard parts.count > 1, parts.allSatisfy({ !$0.isEmpty && !$0.contains(" ") }) else {
                    return ColumnHeader(name: n)
                }
                return ColumnHeader(name: n, leaf: parts.last ?? n, groupPath: Array(parts.dropLast()))
            }
        case .surveyMonkey:
            // Row 1 holds the question once over all its columns; row 2 the option or "Response".
            let sub = rows.count > 1 ? rows[1] : []
            var current = ""
            return names.enumerated()
                .map { i, n in
                    if !n.isEmpty { current = n }
                    let s = i < sub.count ? sub[i] : ""
                    // Over a plain answer column the second row names no option.
                    let isResponse = s.isEmpty || surveyMonkeyResponseWords.contains(s.lowercased())
                    let name =
                        n.isEmpty ? (isResponse ? current : "\(current) / \(s)") : (isResponse ? n : "\(n) / \(s)")
                    return ColumnHeader(name: name, leaf: name, subLabel: s.isEmpty ? nil : s)
                }
        case .qualtrics:
            let sub = rows.count > 1 ? rows[1] : []
            return names.enumerated().map { i, n in ColumnHeader(name: n, subLabel: i < sub.count ? sub[i] : nil) }
        default:
            return names.enumerated().map { i, n in ColumnHeader(name: n.isEmpty ? continuationName(names, i) : n) }
        }
    }

    /// A name for an unnamed header cell: the named cell before it and the cell's place in the run
    /// ("Q10 (2)"), so that the column is kept and can be mapped; "column 7" with nothing before it.
    /// A final unnamed cell stays unnamed: it may be a trailing delimiter (see `CSVRecordReader`).
    public static func continuationName(_ names: [String], _ i: Int, keepLast: Bool = false) -> String {
        if i == names.count - 1 && !keepLast { return "" }
        var j = i
        var run = 1
        while j > 0 && names[j].trimmingWhitespace().isEmpty {
            j -= 1
            run += 1
        }
        let before = names[j].trimmingWhitespace()
        return before.isEmpty ? "column \(i + 1)" : "\(names[j]) (\(run))"
    }
}

extension String {
    /// The string without leading and trailing white space (including NBSP).
    public func trimmingWhitespace() -> String {
        // Most values start and end with a visible ASCII character: nothing to trim, and no
        // Unicode property look-up (a visible share of XML import time).
        if let first = utf8.first, let last = utf8.last, first > 0x20, first < 0x80, last > 0x20, last < 0x80 {
            return self
        }
        if isEmpty { return self }
        var s = Substring(self)
        while let c = s.first, c.isWhitespace { s.removeFirst() }
        while let c = s.last, c.isWhitespace { s.removeLast() }
        return String(s)
    }
}
