import BarazaKit
import BarazaAnalysis
import BarazaCoding
@_spi(Testing) import BarazaIngest
import BarazaModel
import BarazaReporting
import Foundation
import ZIPFoundation

/// What to fuzz: `BARAZA_FUZZ_FORMAT=csv` (default) or `xml` (the readers: the input is written to
/// a file with that extension and opened through `ExportReader`, as a user's export would be),
/// `consultation` (the consultation-file loader) or `report` (the report writers, with the input's
/// strings as labels and quotes).
let format =
    ProcessInfo.processInfo.environment["BARAZA_FUZZ_FORMAT"]
    .flatMap { f in ["csv", "xml", "xlsx", "consultation", "report"].contains(f) ? f : nil } ?? "csv"

/// Small size limits, so that inputs of fuzzing size reach the cut-and-reject paths.
let fuzzOptions: ReadOptions = {
    var o = ReadOptions()
    o.limits = SizeLimits(fieldBytes: 2048, recordBytes: 8192)
    return o
}()

func fuzzOne(_ data: UnsafeRawBufferPointer) {
    switch format {
    case "consultation": loadOne(data)
    case "report": renderOne(data)
    case "xlsx": xlsxOne(data)
    default: readOne(data)
    }
}

/// Reads one input and checks what must hold for any bytes at all: no crash, no hang, and every
/// record the reader accepts is aligned with its columns.
func readOne(_ data: UnsafeRawBufferPointer) {
    let path = "/dev/shm/baraza-fuzz-\(getpid()).\(format)"
    _ = FileManager.default.createFile(atPath: path, contents: Data(data))
    defer { unlink(path) }
    readFile(path)
}

/// An XLSX input: its first byte even, the rest as the workbook's bytes (damaged ZIP archives);
/// odd, the rest split at NUL bytes into the sheet, the shared strings and the styles of a workbook
/// the harness packs around them (damaged SpreadsheetML).
func xlsxOne(_ data: UnsafeRawBufferPointer) {
    let path = "/dev/shm/baraza-fuzz-\(getpid()).xlsx"
    defer { unlink(path) }
    guard let mode = data.first else { return }
    let rest = Data(data.dropFirst())
    if mode & 1 == 0 {
        _ = FileManager.default.createFile(atPath: path, contents: rest)
    } else {
        unlink(path)
        let parts = rest.split(separator: 0, maxSplits: 2, omittingEmptySubsequences: false)
        func part(_ i: Int) -> Data { i < parts.count ? Data(parts[i]) : Data() }
        let workbook = Data(
            ("<workbook xmlns:r=\"r\"><workbookPr date1904=\"\(mode & 2 == 0 ? 0 : 1)\"/>"
                + "<sheets><sheet name=\"s\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>")
                .utf8
        )
        let rels = Data(
            "<Relationships><Relationship Id=\"rId1\" Target=\"worksheets/sheet1.xml\"/></Relationships>".utf8
        )
        guard let archive = try? Archive(url: URL(fileURLWithPath: path), accessMode: .create, pathEncoding: nil) else {
            return
        }
        for (name, bytes) in [
            ("xl/workbook.xml", workbook), ("xl/_rels/workbook.xml.rels", rels), ("xl/worksheets/sheet1.xml", part(0)),
            ("xl/sharedStrings.xml", part(1)), ("xl/styles.xml", part(2)),
        ] {
            let provider: (Int64, Int) throws -> Data = { pos, size in bytes.subdata(in: Int(pos)..<(Int(pos) + size)) }
            try? archive.addEntry(
                with: name,
                type: .file,
                uncompressedSize: Int64(bytes.count),
                compressionMethod: .deflate,
                provider: provider
            )
        }
    }
    readFile(path)
}

func readFile(_ path: String) {
    var d = Diagnostics()
    guard var reader = try? ExportReader.open(path, options: fuzzOptions, diagnostics: &d) else { return }
    var n = 0
    var given: [RawRecord] = []
    var givenRejects: [RejectedRecord] = []
    reader.forEachRecord(&d) { item, columns in
        n += 1
        switch item {
        case .record(let r):
            precondition(r.values.count <= columns.count, "a record has more values than the reader has columns")
            precondition(r.location.line >= 1, "a record without a line")
            given.append(r)
        case .rejected(let r): givenRejects.append(r)
        }
        precondition(n < 10_000_000, "runaway record count")
        return true
    }
    compareLent(path, given, givenRejects, d.items)
    if format == "csv" { compareTokenizers(path) }
}

/// The import reads records lent (`forEachRecordLent`, one buffer for every record of a CSV file):
/// the same records, rejects and diagnostics as handed over one by one.
func compareLent(_ path: String, _ given: [RawRecord], _ givenRejects: [RejectedRecord], _ diagnostics: [Diagnostic]) {
    var d = Diagnostics()
    guard var reader = try? ExportReader.open(path, options: fuzzOptions, diagnostics: &d) else {
        preconditionFailure("opened once, not twice")
    }
    var lent: [RawRecord] = []
    var rejects: [RejectedRecord] = []
    reader.forEachRecordLent(&d) { item, _ in
        switch item {
        case .record(let fields, let line, let column, let file):
            lent.append(
                RawRecord(
                    fields: FieldRow(fields),
                    location: SourceLocation(file: file ?? path, line: line, column: column)
                )
            )
        case .rejected(let r): rejects.append(r)
        }
        return true
    }
    precondition(lent == given && rejects == givenRejects, "records read lent differ from those handed over")
    precondition(d.items == diagnostics, "diagnostics differ between lent and handed-over reading")
}

/// A CSV record of the common shape is read in one C call, the rest by the general state machine:
/// both ways must give the same rows, lines, defects and diagnostics, whatever the bytes and
/// however the file is cut into chunks.
func compareTokenizers(_ path: String) {
    for (encoding, chunk) in [(TextEncoding.utf8, 1 << 20), (.utf8, 7), (.windows1252, 64)] {
        var results: [([CSVRow], [Diagnostic])] = []
        for atOnce in [true, false] {
            var d = Diagnostics()
            guard
                var tok = try? CSVTokenizer(
                    path: path,
                    delimiter: UInt8(ascii: ","),
                    encoding: encoding,
                    bomLength: 0,
                    chunkSize: chunk,
                    commonRecordsAtOnce: atOnce
                )
            else { return }
            tok.limits = fuzzOptions.limits
            var rows: [CSVRow] = []
            while let r = tok.next(&d) { rows.append(r) }
            results.append((rows, d.items))
        }
        precondition(results[0].0 == results[1].0, "records read at once differ from the state machine's")
        precondition(results[0].1 == results[1].1, "diagnostics differ between the two ways of reading")
    }
}

/// Loads the input as a consultation file (in a folder of its own, so its sources find nothing
/// outside): any bytes give a consultation or a located error, never a crash; every id it keeps
/// is an identifier.
func loadOne(_ data: UnsafeRawBufferPointer) {
    let dir = "/dev/shm/baraza-fuzz-\(getpid())"
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let path = dir + "/c.yml"
    _ = FileManager.default.createFile(atPath: path, contents: Data(data))
    defer { unlink(path) }
    do {
        let c = try ConsultationLoader.load(path: path)
        for id in c.themes.map(\.id) + c.questions.map(\.id) + c.groups.map(\.id) {
            precondition(ConsultationLoader.isIdentifier(id), "an id that is not an identifier was kept: \(id)")
        }
        precondition(c.tree.contains(c.storePath), "a store outside the tree was kept")
    } catch { precondition(error.location.line >= 1, "an error without a line") }
}

/// Renders a report whose labels, quotes and unknown labels are the input's strings: every
/// format is written, and no markup of the input reaches the HTML.
func renderOne(_ data: UnsafeRawBufferPointer) {
    let strings = String(decoding: data, as: UTF8.self).split(separator: "\u{0}", omittingEmptySubsequences: false)
        .map(String.init)
    func s(_ i: Int) -> String { strings.isEmpty ? "" : strings[i % strings.count] }
    var data = AggregatedData()
    var counts = ValueCounts()
    for (k, n) in [1.0: 3, 4.0: 6] {
        counts.values[k] = WeightedCount(count: n, weight: Double(n), weightSquared: Double(n))
    }
    data.items["q1"] = [CellKey(group: "cso"): counts, CellKey(group: "government"): counts]
    data.themeScores["t1"] = data.items["q1"]
    var oc = OptionCounts()
    oc.answered = 9
    oc.options["c1"] = WeightedCount(count: 5, weight: 5, weightSquared: 5)
    data.codes["open"] = [CellKey(group: "cso"): oc]
    data.quotes = (0..<4)
        .map {
            QuoteCandidate(
                question: "open",
                code: "c1",
                cell: CellKey(group: "cso"),
                respondentID: "r\($0)",
                text: s($0)
            )
        }
    data.quality.unknownLabels = ["q1": [s(4): 2]]
    data.quality.activeResponses = 18
    let plan = AnalysisPlan(
        title: s(5),
        themes: [Theme(id: "t1", label: s(6))],
        groups: StakeholderGroup.defaults,
        questions: [
            Question(id: "q1", type: .likert, theme: "t1", scale: "agree5", text: s(7)),
            Question(id: "open", type: .text, text: s(8)),
        ],
        scales: ["agree5": Scale(id: "agree5", points: (1...5).map { ScalePoint(value: $0, labels: [s($0 + 8)]) })],
        codeInfo: ["c1": (s(9), "t1")],
        by: ["group"],
        minCell: 5
    )
    let analysis = Analyzer(plan: plan).analyze(data)
    let html = HTMLReport().render(analysis).lowercased()
    precondition(
        !html.contains("<script") && !html.contains("<img") && !html.contains("<iframe"),
        "input markup in the HTML"
    )
    _ = MarkdownReport().render(analysis)
    _ = JSONSummary().render(analysis)
    for (_, table) in CSVTables.render(analysis) {
        for cell in csvCells(table)
        where cell.unicodeScalars.first.map({ "=+-@".unicodeScalars.contains($0) }) == true && Double(cell) == nil {
            preconditionFailure("a formula in a CSV table: \(cell)")
        }
    }
}

/// The cells of an RFC 4180 table, unquoted (a quoted cell may hold commas, quotes and line
/// breaks). Read by Unicode scalar, as a spreadsheet reads it: by `Character` a combining mark at a
/// cell's start joins the delimiter before it into one grapheme (the harness's second finding).
func csvCells(_ table: String) -> [String] {
    var cells: [String] = []
    var cell = String.UnicodeScalarView()
    var quoted = false
    var atStart = true
    var scalars = table.unicodeScalars.makeIterator()
    var pending: Unicode.Scalar?
    while let c = pending ?? scalars.next() {
        pending = nil
        if quoted {
            if c == "\"" {
                let next = scalars.next()
                if next == "\"" {
                    cell.append("\"")
                } else {
                    quoted = false
                    pending = next
                }
            } else {
                cell.append(c)
            }
            continue
        }
        switch c {
        case "\"" where atStart:
            quoted = true
            atStart = false
        case ",", "\r", "\n":
            cells.append(String(cell))
            cell = String.UnicodeScalarView()
            atStart = true
        default:
            cell.append(c)
            atStart = false
        }
    }
    cells.append(String(cell))
    return cells
}

#if BARAZA_FUZZ
@_cdecl("LLVMFuzzerTestOneInput") public func fuzzTest(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzOne(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

@_silgen_name("LLVMFuzzerRunDriver") func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// SwiftPM links an executable's entry point under this name; libFuzzer's driver takes over here.
@_cdecl("FuzzReaders_main") public func fuzzMain(
    _ argc: CInt,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> CInt {
    var count = argc
    var vector = argv
    return LLVMFuzzerRunDriver(&count, &vector, fuzzTest)
}
#else
/// Replay: reads every file named on the command line (a crash reproducer or a whole corpus).
@main struct Replay {
    static func main() {
        for path in CommandLine.arguments.dropFirst() {
            let files = (try? FileManager.default.contentsOfDirectory(atPath: path).map { path + "/" + $0 }) ?? [path]
            for f in files.sorted() {
                guard let data = FileManager.default.contents(atPath: f) else { continue }
                data.withUnsafeBytes { fuzzOne($0) }
            }
            print("replayed \(files.count) input(s) from \(path)")
        }
    }
}
#endif
