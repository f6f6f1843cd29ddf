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

/// A temporary folder removed when the last reader holding it goes away.
final class SpoolFolder: @unchecked Sendable {
    let path: String
    init(_ path: String) { self.path = path }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// The rows of one sheet part, read one at a time: the part is fed in 64 KiB chunks to libxml2's
/// push parser, whose SAX callbacks build the rows (a streaming text reader, which builds and
/// frees a node per element and text and copies every attribute, took 7.9 s on a 100,000-row,
/// 44-column sheet; SAX needs no copy but the cell values').
final class SheetStream {
    struct State {
        var rows: [(cells: [String], row: Int)] = []
        var head = 0
        var cells: [String] = []
        var rowNumber = 0, lastRow = 0
        var inRow = false, inValue = false, inInline = false
        /// The cell's `t`: 0 number (or none), s shared, b boolean, i inline string, r formula string, e error.
        var type: UInt8 = 0
        var style = -1, column = -1
        var text: [UInt8] = []
        var failure: String?
        var badReference: String?
        var shared: [String] = []
        var dateStyles: Set<Int> = []
        var date1904 = false

        /// Places the cell just ended in the row, its value as a CSV export would show it.
        mutating func endCell() {
            let value = Self.value(
                type: type,
                style: style,
                text: String(decoding: text, as: UTF8.self),
                shared: shared,
                dateStyles: dateStyles,
                date1904: date1904
            )
            if column < cells.count {
                cells[column] = value
            } else {
                if column > cells.count { cells += Array(repeating: "", count: column - cells.count) }
                cells.append(value)
            }
        }

        static func value(type: UInt8, style: Int, text: String, shared: [String], dateStyles: Set<Int>, date1904: Bool)
            -> String
        {
            switch type {
            case UInt8(ascii: "s"): return Int(text).flatMap { $0 >= 0 && $0 < shared.count ? shared[$0] : nil } ?? ""
            case UInt8(ascii: "b"): return text == "1" ? "TRUE" : text == "0" ? "FALSE" : text
            case UInt8(ascii: "i"), UInt8(ascii: "r"), UInt8(ascii: "e"): return text
            default:
                if style >= 0, dateStyles.contains(style), let serial = Double(text),
                    let iso = XLSXRecordReader.isoDate(serial: serial, date1904: date1904)
                {
                    return iso
                }
                // Excel writes 17 significant digits ("-6.9555020000000001"); as a CSV export shows it.
                if text.utf8.count > 15, text.contains("."), let d = Double(text) {
                    let shortest = "\(d)"
                    return shortest.hasSuffix(".0") ? String(shortest.dropLast(2)) : shortest
                }
                return text
            }
        }
    }

    let spool: SpoolFolder
    let shared: [String]
    let dateStyles: Set<Int>
    let date1904: Bool
    let path: String
    private let state: UnsafeMutablePointer<State>
    private var context: xmlParserCtxtPtr?
    private let fd: Int32
    private let buffer: UnsafeMutableRawBufferPointer
    private var finished = false
    var lastRow: Int { state.pointee.lastRow }

    init(file: String, spool: SpoolFolder, shared: [String], dateStyles: Set<Int>, date1904: Bool, path: String)
        throws(IngestError)
    {
        self.spool = spool
        self.shared = shared
        self.dateStyles = dateStyles
        self.date1904 = date1904
        self.path = path
        fd = Foundation.open(file, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .fileNotReadable(path: path, reason: "cannot read the workbook's sheet") }
        state = .allocate(capacity: 1)
        state.initialize(to: State(shared: shared, dateStyles: dateStyles, date1904: date1904))
        buffer = .allocate(byteCount: 1 << 16, alignment: 16)
        var h = Self.handler()
        context = xmlCreatePushParserCtxt(&h, nil, nil, 0, nil)
        if let c = context {
            _ = xmlCtxtUseOptions(
                c,
                Int32(XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue)
            )
            c.pointee._private = UnsafeMutableRawPointer(state)
        }
    }

    deinit {
        if let context { xmlFreeParserCtxt(context) }
        Foundation.close(fd)
        state.deinitialize(count: 1)
        state.deallocate()
        buffer.deallocate()
    }

    @inline(__always) static func state(_ ctx: UnsafeMutableRawPointer?) -> UnsafeMutablePointer<State>? {
        guard let ctx, let p = ctx.assumingMemoryBound(to: xmlParserCtxt.self).pointee._private else { return nil }
        return p.assumingMemoryBound(to: State.self)
    }

    /// Whether a NUL-terminated element name is `literal` (ASCII).
    @inline(__always) static func named(_ name: UnsafePointer<xmlChar>, _ literal: StaticString) -> Bool {
        let l = literal.utf8Start
        var i = 0
        while i < literal.utf8CodeUnitCount {
            if name[i] != l[i] { return false }
            i += 1
        }
        return name[i] == 0
    }

    private static func handler() -> xmlSAXHandler {
        var h = xmlSAXHandler()
        xmlSAXVersion(&h, 2)
        h.startElementNs = { ctx, name, _, _, _, _, count, _, attributes in
            guard let s = SheetStream.state(ctx), let name else { return }
            func each(_ body: (UnsafePointer<xmlChar>, UnsafeBufferPointer<UInt8>) -> Void) {
                guard let attributes else { return }
                for i in 0..<Int(count) {
                    guard let n = attributes[5 * i], let start = attributes[5 * i + 3], let end = attributes[5 * i + 4]
                    else { continue }
                    body(n, UnsafeBufferPointer(start: start, count: end - start))
                }
            }
            if SheetStream.named(name, "c") {
                s.pointee.type = 0
                s.pointee.style = -1
                s.pointee.column = s.pointee.cells.count
                s.pointee.text.removeAll(keepingCapacity: true)
                each { n, v in
                    if SheetStream.named(n, "r") {
                        if let c = SheetStream.column(v) {
                            s.pointee.column = c
                        } else {
                            s.pointee.badReference = String(decoding: v, as: UTF8.self)
                        }
                    } else if SheetStream.named(n, "t") {
                        s.pointee.type =
                            v.count == 1
                            ? v[0]
                            : v.starts(with: Array("inlineStr".utf8))
                                ? UInt8(ascii: "i")
                                : v.starts(with: Array("str".utf8)) ? UInt8(ascii: "r") : v.first ?? 0
                    } else if SheetStream.named(n, "s") {
                        s.pointee.style = SheetStream.integer(v) ?? -1
                    }
                }
            } else if SheetStream.named(name, "v") {
                s.pointee.inValue = true
            } else if SheetStream.named(name, "t") {
                if s.pointee.inInline { s.pointee.inValue = true }
            } else if SheetStream.named(name, "is") {
                s.pointee.inInline = true
            } else if SheetStream.named(name, "row") {
                s.pointee.inRow = true
                s.pointee.cells.removeAll(keepingCapacity: true)
                s.pointee.rowNumber = s.pointee.lastRow + 1
                each { n, v in if SheetStream.named(n, "r"), let r = SheetStream.integer(v) { s.pointee.rowNumber = r }
                }
            }
        }
        h.endElementNs = { ctx, name, _, _ in
            guard let s = SheetStream.state(ctx), let name else { return }
            if SheetStream.named(name, "v") || SheetStream.named(name, "t") {
                s.pointee.inValue = false
            } else if SheetStream.named(name, "is") {
                s.pointee.inInline = false
            } else if SheetStream.named(name, "c") {
                s.pointee.endCell()
            } else if SheetStream.named(name, "row") {
                s.pointee.inRow = false
                s.pointee.lastRow = s.pointee.rowNumber
                s.pointee.rows.append((s.pointee.cells, s.pointee.rowNumber))
            }
        }
        let text: charactersSAXFunc = { ctx, bytes, count in
            guard let s = SheetStream.state(ctx), let bytes, count > 0, s.pointee.inValue else { return }
            s.pointee.text.append(contentsOf: UnsafeBufferPointer(start: bytes, count: Int(count)))
        }
        h.characters = text
        h.cdataBlock = text
        h.comment = nil
        h.processingInstruction = nil
        h.serror = { ctx, error in
            guard let s = SheetStream.state(ctx), let error, error.pointee.level.rawValue >= XML_ERR_ERROR.rawValue
            else { return }
            if s.pointee.failure == nil {
                s.pointee.failure =
                    error.pointee.message.map { String(cString: $0).trimmingWhitespace() } ?? "XML error"
            }
        }
        return h
    }

    static func integer(_ v: UnsafeBufferPointer<UInt8>) -> Int? {
        guard !v.isEmpty, v.count < 19 else { return nil }
        var n = 0
        for u in v {
            guard u >= 48 && u <= 57 else { return nil }
            n = n * 10 + Int(u - 48)
        }
        return n
    }

    /// The column index (0-based) of a cell reference such as "AB12"; nil when it has no letters
    /// or is past Excel's last column.
    static func column(_ ref: UnsafeBufferPointer<UInt8>) -> Int? {
        var n = 0
        var letters = 0
        for u in ref {
            guard u >= 65 && u <= 90 || u >= 97 && u <= 122 else { break }
            n = n * 26 + Int((u & 0xDF) - 64)
            letters += 1
            if n > XLSXRecordReader.maxColumns { return nil }
        }
        return letters == 0 ? nil : n - 1
    }

    /// The next row's cells (left to right, empty where the sheet has no cell) and its number.
    func nextRow() throws(IngestError) -> (cells: [String], row: Int)? {
        let s = state
        while s.pointee.head >= s.pointee.rows.count {
            s.pointee.rows.removeAll(keepingCapacity: true)
            s.pointee.head = 0
            guard !finished, let context else { return nil }
            let n = Foundation.read(fd, buffer.baseAddress, buffer.count)
            if n < 0 { throw .fileNotReadable(path: path, reason: String(cString: strerror(errno))) }
            let chars = buffer.baseAddress?.assumingMemoryBound(to: CChar.self)
            if n == 0 {
                finished = true
                _ = xmlParseChunk(context, chars, 0, 1)
            } else {
                _ = xmlParseChunk(context, chars, Int32(n), 0)
            }
            if let bad = s.pointee.badReference {
                throw .unsupportedFormat(
                    path: path,
                    reason: "cell reference '\(bad)' near row \(s.pointee.lastRow + 1) is past "
                        + "Excel's last column (XFD): a damaged sheet"
                )
            }
            if let failure = s.pointee.failure {
                throw .unsupportedFormat(
                    path: path,
                    reason: "the sheet is not well-formed XML after row \(s.pointee.lastRow) "
                        + "(\(failure)): a damaged or truncated workbook"
                )
            }
        }
        defer { s.pointee.head += 1 }
        return s.pointee.rows[s.pointee.head]
    }
}
