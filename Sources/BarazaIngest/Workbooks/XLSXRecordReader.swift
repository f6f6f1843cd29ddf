import BarazaModel
internal import CLibXML2
import Foundation
import ZIPFoundation

/// Reads the first sheet of an Office Open XML workbook (.xlsx) as records: KoboToolbox's default
/// download, Google Forms and Sheets, SurveyMonkey, Qualtrics, hand-typed paper surveys.
///
/// The workbook's parts are found through `xl/workbook.xml` and its relationships; the shared
/// strings are read into memory once (every sheet cell of type `s` points into them); the sheet is
/// decompressed into a temporary file, streamed (ZIPFoundation, bounded like any compressed export)
/// and read with libxml2's streaming reader, so memory does not grow with the number of rows.
/// Cells: shared and inline strings, numbers as written, booleans as TRUE/FALSE, formula results,
/// and numbers in a date format as ISO dates (1900 and 1904 date systems). A record's location is
/// the sheet's row number. The header rows and platform profile are found as in a CSV file.
public struct XLSXRecordReader: PullingRecordSource {
    public let path: String
    public let profile: ExportProfile
    public let encoding: TextEncoding = .utf8
    public let delimiter: Character? = nil
    public let headerRows: Int
    public let columns: [ColumnHeader]
    /// The sheet read (the workbook's first).
    public let sheetName: String

    private let sheet: SheetStream
    private var pending: [(cells: [String], row: Int)]

    /// Excel's limit on columns (XFD): a reference past it is a damaged sheet.
    static let maxColumns = 16_384

    /// `sheet`: the sheet to read, by name (any case); the first when nil. A workbook with `survey`
    /// and `choices` sheets is an XLSForm, a form definition: refused as responses unless a sheet
    /// is named.
    public init(
        path: String,
        options: ReadOptions = ReadOptions(),
        sheet wanted: String? = nil,
        diagnostics: inout Diagnostics
    ) throws(IngestError) {
        self.path = path
        let archive: Archive
        do { archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read, pathEncoding: nil) } catch {
            throw .unsupportedFormat(path: path, reason: "the workbook cannot be opened as a ZIP archive (\(error))")
        }
        let folder = try InputFile.makeSpoolFolder(path)
        let spool = SpoolFolder(folder)
        var size: Int64 = 0
        var st = stat()
        if stat(path, &st) == 0 { size = Int64(st.st_size) }
        let limit = InputFile.decompressionLimit(compressed: size)
        func part(_ name: String) throws(IngestError) -> String? {
            guard archive[name] != nil else { return nil }
            let copy = folder + "/" + name.replacingOccurrences(of: "/", with: "_")
            try Unpack.extract(zip: path, entry: name, into: copy, limit: limit)
            return copy
        }
        guard let workbook = try part("xl/workbook.xml") else {
            throw .unsupportedFormat(path: path, reason: "the workbook has no xl/workbook.xml part")
        }
        let book = try Self.readWorkbook(workbook, path: path)
        let names = Set(book.sheets.map { $0.name.lowercased() })
        if wanted == nil && names.contains("survey") && (names.contains("choices") || names.contains("settings")) {
            throw .notAnExport(
                path: path,
                what: "an XLSForm (a KoboToolbox or ODK form definition), not responses",
                instead: "download the submissions, and give the form to `baraza init` or a source's `form:`"
            )
        }
        let chosen: (name: String, relationship: String)?
        if let wanted {
            guard let s = book.sheets.first(where: { $0.name.lowercased() == wanted.lowercased() }) else {
                throw .unsupportedFormat(path: path, reason: "the workbook has no sheet named '\(wanted)'")
            }
            chosen = s
        } else {
            chosen = book.sheets.first
        }
        var sheetPart = "xl/worksheets/sheet1.xml"
        if let rels = try part("xl/_rels/workbook.xml.rels"), let first = chosen,
            let target = try Self.readRelationships(rels, path: path)[first.relationship]
        {
            sheetPart = target.hasPrefix("/") ? String(target.dropFirst()) : "xl/" + target
        }
        sheetName = chosen?.name ?? "Sheet1"
        if book.sheets.count > 1 && wanted == nil {
            diagnostics.note(
                "workbook has \(book.sheets.count) sheets; reading the first, '\(sheetName)' (others: "
                    + book.sheets.dropFirst().map { "'\($0.name)'" }.joined(separator: ", ") + ")",
                at: SourceLocation(file: path, line: 1),
                key: "xlsx.sheets"
            )
        }
        let shared =
            try part("xl/sharedStrings.xml").map { p throws(IngestError) in try Self.readSharedStrings(p, path: path) }
            ?? []
        let dateStyles =
            try part("xl/styles.xml").map { p throws(IngestError) in try Self.readDateStyles(p, path: path) } ?? []
        guard let sheetFile = try part(sheetPart) else {
            throw .unsupportedFormat(path: path, reason: "the workbook's first sheet (\(sheetPart)) is missing")
        }
        sheet = try SheetStream(
            file: sheetFile,
            spool: spool,
            shared: shared,
            dateStyles: dateStyles,
            date1904: book.date1904,
            path: path
        )
        var head: [(cells: [String], row: Int)] = []
        while head.count < 3, let row = try sheet.nextRow() { if !row.cells.allSatisfy(\.isEmpty) { head.append(row) } }
        guard !head.isEmpty else { throw .empty(path: path) }
        let (detected, rows) = wanted != nil ? (ExportProfile.plainCSV, 1) : ProfileDetector.detect(head.map(\.cells))
        profile = options.profile ?? detected
        let hdr = options.profile == nil ? rows : (profile == .surveyMonkey ? 2 : profile == .qualtrics ? 3 : 1)
        headerRows = min(hdr, head.count)
        var cols = ProfileDetector.columns(profile: profile, headerRows: head.prefix(headerRows).map(\.cells))
        while let last = cols.last, last.name.trimmingWhitespace().isEmpty, cols.count > 1 { cols.removeLast() }
        columns = cols
        pending = Array(head.dropFirst(headerRows))
    }

    public mutating func next(_ diagnostics: inout Diagnostics) -> SourceRecord? {
        while true {
            let row: (cells: [String], row: Int)
            if !pending.isEmpty {
                row = pending.removeFirst()
            } else {
                do {
                    guard let r = try sheet.nextRow() else { return nil }
                    row = r
                } catch {
                    diagnostics.error("\(error)", at: SourceLocation(file: path, line: sheet.lastRow + 1))
                    return nil
                }
            }
            let location = SourceLocation(file: path, line: row.row, column: 1)
            var cells = row.cells
            if cells.allSatisfy({ $0.trimmingWhitespace().isEmpty }) { continue }
            if cells.count > columns.count {
                if cells[columns.count...].allSatisfy({ $0.isEmpty }) {
                    cells.removeLast(cells.count - columns.count)
                } else {
                    let reason =
                        "row has a value in column \(cells.lastIndex { !$0.isEmpty }.map { $0 + 1 } ?? cells.count), "
                        + "past the header's \(columns.count) columns"
                    diagnostics.error(reason, at: location, expected: "\(columns.count) columns")
                    return .rejected(RejectedRecord(location: location, reason: reason, values: cells))
                }
            }
            // A sheet leaves out empty cells at the end of a row: they read as blank.
            if cells.count < columns.count { cells += Array(repeating: "", count: columns.count - cells.count) }
            return .record(RawRecord(values: cells, location: location))
        }
    }

    // MARK: - Parts

    struct Workbook {
        var sheets: [(name: String, relationship: String)] = []
        var date1904 = false
    }

    static func readWorkbook(_ file: String, path: String) throws(IngestError) -> Workbook {
        let s = try XMLStream(path: file)
        var book = Workbook()
        while let node = s.next() {
            guard case .success(let n) = node else { throw damaged(path, "xl/workbook.xml") }
            guard case .element(let name, _) = n else { continue }
            if name == "sheet" {
                book.sheets.append(
                    (
                        s.attribute("name") ?? "Sheet\(book.sheets.count + 1)",
                        s.attribute("r:id") ?? s.attribute("id") ?? ""
                    )
                )
            } else if name == "workbookPr", let v = s.attribute("date1904") {
                book.date1904 = v == "1" || v.lowercased() == "true"
            }
        }
        return book
    }

    static func readRelationships(_ file: String, path: String) throws(IngestError) -> [String: String] {
        let s = try XMLStream(path: file)
        var out: [String: String] = [:]
        while let node = s.next() {
            guard case .success(let n) = node else { throw damaged(path, "xl/_rels/workbook.xml.rels") }
            if case .element("Relationship", _) = n, let id = s.attribute("Id"), let target = s.attribute("Target") {
                out[id] = target
            }
        }
        return out
    }

    /// The shared strings, each the text of its runs (phonetic guides left out).
    static func readSharedStrings(_ file: String, path: String) throws(IngestError) -> [String] {
        let s = try XMLStream(path: file)
        var out: [String] = []
        var current = ""
        var inText = false
        var phonetic = 0
        while let node = s.next() {
            guard case .success(let n) = node else { throw damaged(path, "xl/sharedStrings.xml") }
            switch n {
            case .element("si", let empty):
                current = ""
                if empty { out.append("") }
            case .element("rPh", let empty): if !empty { phonetic += 1 }
            case .element("t", let empty): inText = !empty
            case .text(let t): if inText && phonetic == 0 { current += t }
            case .end("t"): inText = false
            case .end("rPh"): phonetic -= 1
            case .end("si"): out.append(current)
            default: break
            }
        }
        return out
    }

    /// The cell styles (`cellXfs` positions) whose number format shows a date or time.
    static func readDateStyles(_ file: String, path: String) throws(IngestError) -> Set<Int> {
        let s = try XMLStream(path: file)
        var custom: [Int: String] = [:]
        var styles: Set<Int> = []
        var inCellXfs = false
        var index = 0
        while let node = s.next() {
            guard case .success(let n) = node else { throw damaged(path, "xl/styles.xml") }
            switch n {
            case .element("numFmt", _):
                if let id = s.attribute("numFmtId").flatMap(Int.init), let code = s.attribute("formatCode") {
                    custom[id] = code
                }
            case .element("cellXfs", let empty): inCellXfs = !empty
            case .end("cellXfs"): inCellXfs = false
            case .element("xf", _) where inCellXfs:
                let id = s.attribute("numFmtId").flatMap(Int.init) ?? 0
                if isDateFormat(id, custom[id]) { styles.insert(index) }
                index += 1
            default: break
            }
        }
        return styles
    }

    /// Excel's built-in date and time formats, or a custom code with date or time parts outside
    /// quoted text and brackets.
    static func isDateFormat(_ id: Int, _ code: String?) -> Bool {
        if (14...22).contains(id) || (27...36).contains(id) || (45...47).contains(id) || (50...58).contains(id) {
            return true
        }
        guard let code else { return false }
        var plain = ""
        var quoted = false
        var bracket = false
        for c in code {
            if c == "\"" {
                quoted.toggle()
                continue
            }
            if !quoted && c == "[" {
                bracket = true
                continue
            }
            if !quoted && c == "]" {
                bracket = false
                continue
            }
            if !quoted && !bracket { plain.append(c) }
        }
        let lower = plain.lowercased()
        return lower.contains { "ydhs".contains($0) } || lower.contains("m") && !lower.contains("0")
    }

    static func damaged(_ path: String, _ part: String) -> IngestError {
        .unsupportedFormat(path: path, reason: "the workbook's \(part) is not well-formed XML (a damaged download?)")
    }

    /// An Excel date serial as ISO 8601: a date, or a date and time when it has a fraction.
    static func isoDate(serial: Double, date1904: Bool) -> String? {
        guard serial.isFinite, serial >= 0, serial < 2_958_466 else { return nil }
        var days = Int(serial.rounded(.down))
        var seconds = Int(((serial - Double(days)) * 86_400).rounded())
        if seconds >= 86_400 {
            days += 1
            seconds -= 86_400
        }
        // Days since 1970-01-01. The 1900 system counts a 29 February 1900 that never was (serial 60).
        let unixDays = date1904 ? days - 24_107 : (days < 60 ? days - 25_568 : days - 25_569)
        let (y, m, d) = civil(fromDays: unixDays)
        let date = String(format: "%04d-%02d-%02d", y, m, d)
        if seconds == 0 { return date }
        return date + String(format: "T%02d:%02d:%02d", seconds / 3600, seconds / 60 % 60, seconds % 60)
    }

    /// Year, month and day of a count of days since 1970-01-01 (proleptic Gregorian; H. Hinnant's
    /// algorithm).
    static func civil(fromDays z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}
