@_spi(Testing) import BarazaIngest
import BarazaModel
import Foundation

/// Which reader to fuzz: `BARAZA_FUZZ_FORMAT=csv` (default) or `xml`; the input is written to a
/// file with that extension and opened through `ExportReader`, as a user's export would be.
let format = ProcessInfo.processInfo.environment["BARAZA_FUZZ_FORMAT"] == "xml" ? "xml" : "csv"

/// Reads one input and checks what must hold for any bytes at all: no crash, no hang, and every
/// record the reader accepts is aligned with its columns.
func readOne(_ data: UnsafeRawBufferPointer) {
    let path = "/dev/shm/baraza-fuzz-\(getpid()).\(format)"
    _ = FileManager.default.createFile(atPath: path, contents: Data(data))
    defer { unlink(path) }
    var d = Diagnostics()
    guard var reader = try? ExportReader.open(path, diagnostics: &d) else { return }
    var n = 0
    var given: [RawRecord] = [], givenRejects: [RejectedRecord] = []
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
    guard var reader = try? ExportReader.open(path, diagnostics: &d) else { preconditionFailure("opened once, not twice") }
    var lent: [RawRecord] = [], rejects: [RejectedRecord] = []
    reader.forEachRecordLent(&d) { item, _ in
        switch item {
        case .record(let fields, let location): lent.append(RawRecord(fields: FieldRow(fields), location: location))
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
            guard var tok = try? CSVTokenizer(path: path, delimiter: UInt8(ascii: ","), encoding: encoding, bomLength: 0,
                                              chunkSize: chunk, commonRecordsAtOnce: atOnce) else { return }
            var rows: [CSVRow] = []
            while let r = tok.next(&d) { rows.append(r) }
            results.append((rows, d.items))
        }
        precondition(results[0].0 == results[1].0, "records read at once differ from the state machine's")
        precondition(results[0].1 == results[1].1, "diagnostics differ between the two ways of reading")
    }
}

#if BARAZA_FUZZ
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTest(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    readOne(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

/// SwiftPM links an executable's entry point under this name; libFuzzer's driver takes over here.
@_cdecl("FuzzReaders_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var vector = argv
    return LLVMFuzzerRunDriver(&count, &vector, fuzzTest)
}
#else
/// Replay: reads every file named on the command line (a crash reproducer or a whole corpus).
@main
struct Replay {
    static func main() {
        for path in CommandLine.arguments.dropFirst() {
            let files = (try? FileManager.default.contentsOfDirectory(atPath: path).map { path + "/" + $0 }) ?? [path]
            for f in files.sorted() {
                guard let data = FileManager.default.contents(atPath: f) else { continue }
                data.withUnsafeBytes { readOne($0) }
            }
            print("replayed \(files.count) input(s) from \(path)")
        }
    }
}
#endif
