import BarazaAnalysis
import BarazaModel
import Foundation
import ZIPFoundation

/// The report's tables as an Excel workbook (`report.xlsx`): one sheet per table, labels beside
/// ids, the header row frozen, shares as percentages and means to two decimals, a hidden cell
/// empty with a note saying why, text always stored as text (a value that looks like a formula is
/// never one). SpreadsheetML written here and zipped with ZIPFoundation (already the workbook
/// reader's), so no system library is needed; entries carry a fixed date, so the same inputs give
/// the same bytes.
public struct XLSXReport: Sendable {
    public let fileName = "report.xlsx"
    public init() {}

    /// A sheet: its name and rows, the first row the header.
    struct Sheet {
        var name: String
        var rows: [[String]]
    }

    public func render(_ a: ConsultationAnalysis) throws(ReportError) -> [UInt8] {
        let labels = Labels(a)
        let tables = CSVTables.tables(a)
        var sheets: [Sheet] = []
        for (name, file) in [
            ("Themes", "theme_scores.csv"), ("Items", "items.csv"), ("Distributions", "distributions.csv"),
            ("Choices", "choices.csv"), ("Codes", "codes.csv"), ("Tests", "tests.csv"), ("Pairwise", "pairwise.csv"),
            ("Waves", "waves.csv"), ("Quotes", "quotes.csv"),
        ] {
            sheets.append(Sheet(name: name, rows: Self.noted(labels.labelled(tables[file] ?? []), minCell: a.minCell)))
        }
        sheets.append(Sheet(name: "Targets", rows: Self.targets(a, labels)))
        sheets.append(Sheet(name: "Who took part", rows: Self.participation(a, labels)))
        return try Self.zip(sheets)
    }

    /// A `note` column saying why a row's figures are empty.
    static func noted(_ rows: [[String]], minCell: Int) -> [[String]] {
        guard let header = rows.first, let s = header.firstIndex(of: "suppressed") ?? header.firstIndex(of: "withheld")
        else { return rows }
        let w = header.firstIndex(of: "withheld")
        return rows.enumerated()
            .map { i, r in
                if i == 0 { return r + ["note"] }
                let hidden = r[s] == "true" || (w.map { r[$0] == "true" } ?? false)
                guard hidden else { return r + [""] }
                let withheld = w.map { r[$0] == "true" } ?? false
                return r + [withheld ? Fmt.withheldText : "fewer than \(minCell) respondents: no figures shown"]
            }
    }

    static func targets(_ a: ConsultationAnalysis, _ labels: Labels) -> [[String]] {
        var rows = [
            [
                "theme", "theme_label", "item", "item_label", "group", "group_label", "wave", "measure", "comparison",
                "threshold", "baseline", "baseline_wave", "value", "ci_low", "ci_high", "status", "note",
            ]
        ]
        for r in a.targets {
            let t = r.target
            func n(_ v: Double?) -> String { v.map { String($0) } ?? "" }
            rows.append([
                t.theme ?? "", t.theme.map { labels.themes[$0] ?? $0 } ?? "", t.item ?? "",
                t.item.map { labels.questions[$0] ?? $0 } ?? "", t.group ?? "", labels.group(t.group ?? ""),
                t.wave ?? "", t.measure.rawValue, t.atMost ? "at most" : "at least", String(t.threshold), n(r.baseline),
                r.baselineWave ?? "", n(r.value), n(r.ciLow), n(r.ciHigh), r.status.rawValue, r.why ?? "",
            ])
        }
        return rows
    }

    static func participation(_ a: ConsultationAnalysis, _ labels: Labels) -> [[String]] {
        var rows = [["group", "group_label", "country", "wave", "respondents", "note"]]
        for c in a.respondents + a.respondentCells {
            let g = c.cell.group ?? ""
            let note = c.suppressed ? (c.withheld ? Fmt.withheldText : "fewer than \(a.minCell) respondents") : ""
            rows.append([
                g, labels.group(g), c.cell.country ?? "", c.cell.wave ?? "",
                c.suppressed ? "" : String(c.answered ?? 0), note,
            ])
        }
        return rows
    }

    // MARK: SpreadsheetML

    /// Columns whose values are words, never numbers (ids can look like numbers).
    static let textColumns: Set<String> = [
        "measure", "theme", "group", "country", "wave", "question", "option", "code", "text", "test", "effect_name",
        "method", "not_computed", "label", "group_a", "group_b", "from_wave", "to_wave", "suppressed", "withheld",
        "ci_clipped", "item", "comparison", "status", "note", "baseline_wave",
    ]
    /// Number formats by column: shares as percentages, means and intervals to two decimals.
    static let percent: Set<String> = [
        "share", "share_low", "share_high", "top2_share", "top2_low", "top2_high", "bottom2_share", "dont_know_share",
        "refused_share",
    ]
    static let twoDecimals: Set<String> = [
        "mean", "ci_low", "ci_high", "sd", "median", "consensus", "change", "from_mean", "to_mean", "statistic",
        "rank_biserial_r", "r_low", "r_high", "n_eff", "value", "baseline", "threshold",
    ]

    /// Style indices of styles.xml: 0 plain, 1 "0.00", 2 "0.0%", 3 "0.000", 4 bold (the header).
    static func style(_ column: String) -> Int {
        if percent.contains(column) { return 2 }
        if twoDecimals.contains(column) { return 1 }
        if column == "effect" { return 3 }
        return 0
    }

    static func columnName(_ i: Int) -> String {
        var n = i + 1
        var s = ""
        while n > 0 {
            let r = (n - 1) % 26
            s = String(UnicodeScalar(UInt8(65 + r))) + s
            n = (n - 1) / 26
        }
        return s
    }

    static func worksheet(_ sheet: Sheet) -> String {
        let header = sheet.rows.first ?? []
        var s =
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
            + "<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">"
            + "<sheetViews><sheetView workbookViewId=\"0\"><pane ySplit=\"1\" topLeftCell=\"A2\" activePane=\"bottomLeft\" "
            + "state=\"frozen\"/></sheetView></sheetViews><sheetFormatPr defaultRowHeight=\"15\"/>"
        if !header.isEmpty {
            s += "<cols>"
            for (i, h) in header.enumerated() {
                let width = h.hasSuffix("_label") || h == "text" || h == "note" ? 40 : max(10, min(24, h.count + 3))
                s += "<col min=\"\(i + 1)\" max=\"\(i + 1)\" width=\"\(width)\" customWidth=\"1\"/>"
            }
            s += "</cols>"
        }
        s += "<sheetData>"
        for (r, row) in sheet.rows.enumerated() {
            s += "<row r=\"\(r + 1)\">"
            for (c, value) in row.enumerated() where !value.isEmpty {
                let ref = columnName(c) + String(r + 1)
                let column = c < header.count ? header[c] : ""
                let isText = r == 0 || textColumns.contains(column) || column.hasSuffix("_label")
                if !isText, let number = Double(value), number.isFinite {
                    let st = style(column)
                    s += "<c r=\"\(ref)\"\(st == 0 ? "" : " s=\"\(st)\"")><v>\(value)</v></c>"
                } else {
                    s +=
                        "<c r=\"\(ref)\" t=\"inlineStr\"\(r == 0 ? " s=\"4\"" : "")><is><t xml:space=\"preserve\">"
                        + Escape.xml(value) + "</t></is></c>"
                }
            }
            s += "</row>"
        }
        return s + "</sheetData></worksheet>\n"
    }

    static let styles = """
        <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
        <styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">\
        <numFmts count="3"><numFmt numFmtId="164" formatCode="0.00"/><numFmt numFmtId="165" formatCode="0.0%"/>\
        <numFmt numFmtId="166" formatCode="0.000"/></numFmts>\
        <fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts>\
        <fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>\
        <borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>\
        <cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>\
        <cellXfs count="5"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>\
        <xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
        <xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
        <xf numFmtId="166" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
        <xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>\
        <cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>\
        </styleSheet>

        """

    static func zip(_ sheets: [Sheet]) throws(ReportError) -> [UInt8] {
        let ns = "http://schemas.openxmlformats.org"
        var parts: [(String, String)] = []
        var types =
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
            + "<Types xmlns=\"\(ns)/package/2006/content-types\">"
            + "<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>"
            + "<Default Extension=\"xml\" ContentType=\"application/xml\"/>"
            + "<Override PartName=\"/xl/workbook.xml\" "
            + "ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>"
            + "<Override PartName=\"/xl/styles.xml\" "
            + "ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml\"/>"
        var workbook =
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
            + "<workbook xmlns=\"\(ns)/spreadsheetml/2006/main\" xmlns:r=\"\(ns)/officeDocument/2006/relationships\">"
            + "<sheets>"
        var rels =
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
            + "<Relationships xmlns=\"\(ns)/package/2006/relationships\">"
        for (i, sheet) in sheets.enumerated() {
            let n = i + 1
            types +=
                "<Override PartName=\"/xl/worksheets/sheet\(n).xml\" "
                + "ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>"
            workbook += "<sheet name=\"\(Escape.xml(sheet.name))\" sheetId=\"\(n)\" r:id=\"rId\(n)\"/>"
            rels +=
                "<Relationship Id=\"rId\(n)\" Type=\"\(ns)/officeDocument/2006/relationships/worksheet\" "
                + "Target=\"worksheets/sheet\(n).xml\"/>"
            parts.append(("xl/worksheets/sheet\(n).xml", worksheet(sheet)))
        }
        rels +=
            "<Relationship Id=\"rId\(sheets.count + 1)\" Type=\"\(ns)/officeDocument/2006/relationships/styles\" "
            + "Target=\"styles.xml\"/></Relationships>\n"
        workbook += "</sheets></workbook>\n"
        types += "</Types>\n"
        let root =
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
            + "<Relationships xmlns=\"\(ns)/package/2006/relationships\">"
            + "<Relationship Id=\"rId1\" Type=\"\(ns)/officeDocument/2006/relationships/officeDocument\" "
            + "Target=\"xl/workbook.xml\"/></Relationships>\n"
        let all =
            [
                ("[Content_Types].xml", types), ("_rels/.rels", root), ("xl/workbook.xml", workbook),
                ("xl/_rels/workbook.xml.rels", rels), ("xl/styles.xml", styles),
            ] + parts
        do {
            let archive = try Archive(accessMode: .create)
            // A fixed date (the ZIP format's earliest): the bytes depend on the content only.
            let date = Date(timeIntervalSince1970: 315_532_800)
            for (path, text) in all {
                let data = Data(text.utf8)
                try archive.addEntry(
                    with: path,
                    type: .file,
                    uncompressedSize: Int64(data.count),
                    modificationDate: date,
                    compressionMethod: .deflate,
                    provider: { position, size in data.subdata(in: Int(position)..<(Int(position) + size)) }
                )
            }
            guard let bytes = archive.data else {
                throw ReportError.cannotWrite(path: "report.xlsx", reason: "no data")
            }
            return Array(bytes)
        } catch let e as ReportError { throw e } catch { throw .cannotWrite(path: "report.xlsx", reason: "\(error)") }
    }
}
