import BarazaKit
import BarazaModel

/// What a reader yields: a usable record, or one kept aside with the reason it cannot be used.
public enum SourceRecord: Sendable {
    case record(RawRecord)
    case rejected(RejectedRecord)
}

/// A record as `forEachRecordLent` gives it: a usable record's fields lent for the span of the
/// call, or one kept aside.
public enum LentRecord {
    /// A usable record, read at `line` and `column` of `file`, or of the reader's `path` when
    /// `file` is nil (a CSV file's records: no String is retained and released per record, which,
    /// right after the record's bytes were copied, was 1.2% of the import's samples).
    case record(FieldView, line: Int, column: Int, file: String?)
    case rejected(RejectedRecord)
}

/// A stream of records from one export (a CSV file, an XML file, or a folder of XML submissions).
///
/// `columns` may grow while reading XML (a later submission can carry a field the first did not);
/// a record's `values` are aligned with `columns` as they stood when it was read, and a shorter
/// record means the missing fields were absent.
public protocol RecordSource {
    var path: String { get }
    var profile: ExportProfile { get }
    var encoding: TextEncoding { get }
    /// The delimiter for CSV, nil for XML.
    var delimiter: Character? { get }
    var headerRows: Int { get }
    var columns: [ColumnHeader] { get }
    /// Hands every record to `body`, with the columns as they stand when it is handed over, until
    /// `body` returns false. A reader is read once. The reader drives the loop so that the XML
    /// reader can use libxml2's pull parser (see `XMLRecordReader`). A record is handed over, not
    /// lent: the body keeps it without a copy (three buffers retained and released per record).
    mutating func forEachRecord(
        _ diagnostics: inout Diagnostics,
        _ body: (consuming SourceRecord, [ColumnHeader]) -> Bool
    )
    /// `forEachRecord` with each usable record's fields lent to `body`, not given: for a caller
    /// that copies them where it wants them (the import's chunks), a reader can read every record
    /// into the same buffer.
    mutating func forEachRecordLent(_ diagnostics: inout Diagnostics, _ body: (LentRecord, [ColumnHeader]) -> Bool)
}

extension RecordSource {
    public mutating func forEachRecordLent(
        _ diagnostics: inout Diagnostics,
        _ body: (LentRecord, [ColumnHeader]) -> Bool
    ) {
        forEachRecord(&diagnostics) { item, columns in
            switch consume item {
            case .record(let r):
                r.fields.withView {
                    body(.record($0, line: r.location.line, column: r.location.column, file: r.location.file), columns)
                }
            case .rejected(let r): body(.rejected(r), columns)
            }
        }
    }
}

/// A reader that hands out one record at a time (CSV, Triple-S).
public protocol PullingRecordSource: RecordSource {
    mutating func next(_ diagnostics: inout Diagnostics) -> SourceRecord?
}

extension PullingRecordSource {
    public mutating func forEachRecord(
        _ diagnostics: inout Diagnostics,
        _ body: (consuming SourceRecord, [ColumnHeader]) -> Bool
    ) { while let record = next(&diagnostics) { if !body(record, columns) { return } } }
}

/// The most bytes a field and a record of an export may hold.
public struct SizeLimits: Sendable, Hashable {
    public var fieldBytes: Int
    public var recordBytes: Int
    /// How much of a field past the limit is kept, for the rejects file.
    public static let keptOfOversizeField = 256
    public init(fieldBytes: Int = 64 << 20, recordBytes: Int = 64 << 20) {
        self.fieldBytes = fieldBytes
        self.recordBytes = recordBytes
    }
}

/// Options a consultation file may set per source to override what is sniffed.
public struct ReadOptions: Sendable, Hashable {
    public var delimiter: Character?
    public var encoding: TextEncoding?
    public var profile: ExportProfile?
    /// For XML: the element that holds one record; nil to recognise it.
    public var recordElement: String?
    /// The group-path separator of CSV headers when it is not the platform's usual one (Kobo's
    /// "group separator" export option, e.g. `.`); headers are split on it whatever the profile.
    public var groupSeparator: String?
    public var limits = SizeLimits()
    /// LimeSurvey: count responses never submitted (blank submit date); by default they are left
    /// out, kept in the rejects file and counted.
    public var includeIncomplete = false

    public init(
        delimiter: Character? = nil,
        encoding: TextEncoding? = nil,
        profile: ExportProfile? = nil,
        recordElement: String? = nil,
        groupSeparator: String? = nil
    ) {
        self.delimiter = delimiter
        self.encoding = encoding
        self.profile = profile
        self.recordElement = recordElement
        self.groupSeparator = groupSeparator
    }
}

/// Opens the right reader for a path: a folder or `.xml` file gets the XML reader, anything else CSV.
public enum ExportReader {
    /// `observer`, when the reader for `path` takes one (`observesBytes`), sees the file's bytes in
    /// order as they are read (the CSV reader's chunks shared, not copied).
    public static func open(
        _ path: String,
        options: ReadOptions = ReadOptions(),
        observer: (any ChunkObserver)? = nil,
        diagnostics: inout Diagnostics
    ) throws(IngestError) -> any RecordSource {
        let lower = path.lowercased()
        if lower.hasSuffix(".sss") { return try TripleSReader(path: path, diagnostics: &diagnostics) }
        if isDirectory(path) { return try XMLRecordReader(path: path, options: options, observer: nil) }
        // What the file is, from its bytes: a workbook named .csv is a workbook.
        switch FileKind.of(path) {
        case .refused(let what, let instead): throw .notAnExport(path: path, what: what, instead: instead)
        case .xml:
            return try XMLRecordReader(
                path: path,
                options: options,
                observer: observer.map { o in { o.observe(copying: $0) } }
            )
        case .xlsx: return try XLSXRecordReader(path: path, options: options, diagnostics: &diagnostics)
        case .gzip, .zipOfCSV:
            // `InputFile` gives the readers a decompressed copy; a compressed file here was not
            // opened through it.
            throw .notAnExport(path: path, what: "a compressed file", instead: "decompress it first")
        case .text:
            return try CSVRecordReader(path: path, options: options, chunkObserver: observer, diagnostics: &diagnostics)
        }
    }

    /// Whether the reader for `path` shows an observer the file's bytes: a CSV or XML file (not a
    /// folder, not Triple-S, whose data file is another file, not a compressed file or workbook).
    public static func observesBytes(_ path: String) -> Bool {
        guard !isDirectory(path), !path.lowercased().hasSuffix(".sss") else { return false }
        let kind = FileKind.of(path)
        return kind == .text || kind == .xml
    }
}
