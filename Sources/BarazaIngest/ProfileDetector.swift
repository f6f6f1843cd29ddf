import BarazaModel

/// Recognises the export platform from the header row and the rows after it.
public enum ProfileDetector {
    static let googleTimestamps: Set<String> = ["timestamp", "horodateur", "marca temporal", "carimbo de data/hora", "zeitstempel", "marca de tiempo"]

    /// The profile and how many rows at the top are headers (including a Kobo `#hxl` row).
    public static func detect(_ rows: [[String]]) -> (ExportProfile, headerRows: Int) {
        guard let header = rows.first else { return (.plainCSV, 1) }
        let names = Set(header.map { $0.trimmingWhitespace().lowercased() })
        let second = rows.count > 1 ? rows[1] : []
        let third = rows.count > 2 ? rows[2] : []
        if let f = third.first?.trimmingWhitespace(), f.hasPrefix("{\"ImportId\"") || f.hasPrefix("{'ImportId'") {
            return (.qualtrics, 3)
        }
        if header.first?.trimmingWhitespace() == "V1", second.contains(where: { $0 == "ResponseID" || $0 == "ResponseSet" }) {
            return (.qualtrics, 2)
        }
        if names.contains("respondent id") || names.contains("respondentid"), names.contains("collector id") || names.contains("collectorid") {
            return (.surveyMonkey, 2)
        }
        if names.contains("_uuid") || names.contains("_submission_time") || names.contains("_index") || names.contains("_id") && names.contains("_status") {
            let hxl = second.first?.hasPrefix("#") ?? false
            return (.koboToolbox, hxl ? 2 : 1)
        }
        if names.contains("meta-instanceid") || names.contains("key") && names.contains("submissiondate") || names.contains("submissiondate") {
            return (.odk, 1)
        }
        if let first = header.first, googleTimestamps.contains(first.trimmingWhitespace().lowercased()) {
            return (.googleForms, 1)
        }
        if names.contains("submitdate") && (names.contains("lastpage") || names.contains("startlanguage")) {
            return (.limeSurvey, 1)
        }
        return (.plainCSV, 1)
    }

    /// Column headers for a profile: group paths split, multi-row headers combined.
    public static func columns(profile: ExportProfile, headerRows rows: [[String]]) -> [ColumnHeader] {
        guard let names = rows.first else { return [] }
        switch profile {
        case .koboToolbox, .odkXML:
            return names.map { n in
                let parts = n.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
                return ColumnHeader(name: n, leaf: parts.last ?? n, groupPath: Array(parts.dropLast()))
            }
        case .odk:
            return names.map { n in
                let parts = n.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
                // Only split when every part looks like an identifier; labels with hyphens stay whole.
                guard parts.count > 1, parts.allSatisfy({ !$0.isEmpty && !$0.contains(" ") }) else { return ColumnHeader(name: n) }
                return ColumnHeader(name: n, leaf: parts.last ?? n, groupPath: Array(parts.dropLast()))
            }
        case .surveyMonkey:
            // Row 1 holds the question once over all its columns; row 2 the option or "Response".
            let sub = rows.count > 1 ? rows[1] : []
            var current = ""
            return names.enumerated().map { i, n in
                if !n.isEmpty { current = n }
                let s = i < sub.count ? sub[i] : ""
                let isResponse = s.isEmpty || s == "Response" || s == "Open-Ended Response" || s == "Réponse" || s == "Respuesta"
                let name = n.isEmpty ? (isResponse ? current : "\(current) / \(s)") : (isResponse ? n : "\(n) / \(s)")
                return ColumnHeader(name: name, leaf: name, subLabel: s.isEmpty ? nil : s)
            }
        case .qualtrics:
            let sub = rows.count > 1 ? rows[1] : []
            return names.enumerated().map { i, n in ColumnHeader(name: n, subLabel: i < sub.count ? sub[i] : nil) }
        default:
            return names.map { ColumnHeader(name: $0) }
        }
    }
}

extension String {
    /// The string without leading and trailing white space (including NBSP).
    public func trimmingWhitespace() -> String {
        // Most values start and end with a visible ASCII character: nothing to trim, and no
        // Unicode property look-up (a visible share of XML import time).
        if let first = utf8.first, let last = utf8.last, first > 0x20, first < 0x80, last > 0x20, last < 0x80 { return self }
        if isEmpty { return self }
        var s = Substring(self)
        while let c = s.first, c.isWhitespace { s.removeFirst() }
        while let c = s.last, c.isWhitespace { s.removeLast() }
        return String(s)
    }
}
