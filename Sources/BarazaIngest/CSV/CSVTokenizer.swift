import BarazaKit
import BarazaModel
internal import CBarazaText
import Foundation

/// One CSV record: its fields and where it starts.
public struct CSVRow: Sendable, Hashable {
    public var fields: [String]
    /// 1-based line on which the record starts.
    public var line: Int
    /// Set when the record could not be read as it stands (an unterminated quote at end of file).
    public var defect: String?
}

/// A streaming RFC 4180 tokenizer over bytes.
///
/// Reads the file in 1 MiB chunks and keeps only the current record in memory, so memory does
/// not grow with the file. Accepts CRLF, LF and lone CR line ends, quoted delimiters and line
/// breaks, doubled quotes, and a missing final line break. Leniencies (a quote inside an unquoted
/// field, text after a closing quote) are kept as text and reported, never silently dropped.
public struct CSVTokenizer {
    public let path: String
    public let delimiter: UInt8
    public let encoding: TextEncoding

    let file: FileChunks
    /// The current chunk: its first `bufferEnd` bytes. Read again into the same storage, chunk
    /// after chunk: a new megabyte per chunk was 256 page faults each. With a chunk observer (the import's
    /// hasher) each chunk is shared with it and never written again: the next is read into an
    /// array the observer gave back (`FileChunks.readShared`), a new one only when none is back.
    var buffer: [UInt8] = []
    var bufferEnd = 0
    var position = 0
    var atEOF = false
    var utf16Carry: [UInt8] = []

    /// The most bytes a field and a record may hold: a longer one is cut, reported with its place
    /// and handed on as a defect (so it goes to the rejects), and the rest of its bytes are read
    /// past without being kept, so one endless line cannot exhaust memory.
    public var limits = SizeLimits()

    var line = 1
    /// Byte-order-mark bytes still to skip at the start of the raw file.
    var skipBytes: Int

    static let quote = UInt8(ascii: "\"")
    static let lf = UInt8(ascii: "\n")
    static let cr = UInt8(ascii: "\r")

    /// Whether a record of the common shape is read in one call (`baraza_csv_record`); off only in
    /// tests, which compare both ways.
    let commonRecordsAtOnce: Bool
    /// Room for that call's output: a record's field bytes (and the 16 bytes it may write past
    /// them) and field ends. A longer record, or one with more fields, is read the general way.
    ///
    /// Allocated once and reached through plain pointers (`room`): as arrays, lending a record's
    /// fields from them retained and released both around every record (perf: 3% of the run's
    /// samples in those releases). `scratch` owns the memory; a tokenizer copied (it is a value)
    /// gets room of its own before it scans.
    var scratch: Scratch?
    var room: (bytes: UnsafeMutablePointer<UInt8>, ends: UnsafeMutablePointer<Int>)?

    final class Scratch {
        let bytes = UnsafeMutablePointer<UInt8>.allocate(capacity: CSVTokenizer.commonRecordLimit + 16)
        let ends = UnsafeMutablePointer<Int>.allocate(capacity: CSVTokenizer.commonRecordFields)
        deinit {
            bytes.deallocate()
            ends.deallocate()
        }
    }
    static let commonRecordLimit = 1 << 16, commonRecordFields = 4096
    /// Records read that way (for tests).
    @_spi(Testing) public internal(set) var commonRecords = 0

    /// Opens `path`, skipping `bomLength` bytes, decoding with `encoding`.
    public init(
        path: String,
        delimiter: UInt8,
        encoding: TextEncoding,
        bomLength: Int,
        chunkSize: Int = 1 << 20,
        chunkObserver: (any ChunkObserver)? = nil
    ) throws(IngestError) {
        try self.init(
            path: path,
            delimiter: delimiter,
            encoding: encoding,
            bomLength: bomLength,
            chunkSize: chunkSize,
            chunkObserver: chunkObserver,
            commonRecordsAtOnce: true
        )
    }

    /// With `commonRecordsAtOnce` false, every record is read by the general state machine: for
    /// tests and the fuzzer, which compare both ways.
    @_spi(Testing) public init(
        path: String,
        delimiter: UInt8,
        encoding: TextEncoding,
        bomLength: Int,
        chunkSize: Int = 1 << 20,
        chunkObserver: (any ChunkObserver)? = nil,
        commonRecordsAtOnce: Bool
    ) throws(IngestError) {
        self.commonRecordsAtOnce = commonRecordsAtOnce
        self.path = path
        self.delimiter = delimiter
        self.encoding = encoding
        self.file = try FileChunks(path: path, chunkSize: chunkSize, chunkObserver: chunkObserver)
        self.skipBytes = bomLength
        refill()
    }

    mutating func refill() {
        position = 0
        if skipBytes == 0 && encoding != .utf16LE && encoding != .utf16BE && file.chunkObserver != nil {
            // The chunk is shared with the observer (the import's hasher), never written again here.
            buffer = []
            buffer = file.readShared()
            bufferEnd = buffer.count
            if bufferEnd == 0 { atEOF = true }
            return
        }
        if skipBytes == 0 && encoding != .utf16LE && encoding != .utf16BE {
            if buffer.count != file.chunkSize { buffer = [UInt8](repeating: 0, count: file.chunkSize) }
            bufferEnd = buffer.withUnsafeMutableBufferPointer { file.read(into: $0) }
            if bufferEnd == 0 { atEOF = true }
            return
        }
        var raw = file.readChunk()
        let n = raw.count
        if n == 0 { atEOF = true }
        if skipBytes > 0 {
            let k = min(skipBytes, raw.count)
            raw.removeFirst(k)
            skipBytes -= k
        }
        switch encoding {
        case .utf16LE, .utf16BE:
            buffer = transcodeUTF16(raw, bigEndian: encoding == .utf16BE, carry: &utf16Carry, final: n == 0)
        default: buffer = raw
        }
        bufferEnd = buffer.count
    }

    enum State { case fieldStart, unquoted, quoted, quotedSawQuote, quotedSawCR, afterQuoted }

    /// Absolute offset of `buffer[0]` in the (decoded) byte stream, and of the current line's start.
    var chunkBase = 0
    var lineStart = 0
    /// An unquoted CR ended the last record; a LF right after it belongs to that line end.
    var skipLF = false
    /// The line on which each field of the current record ends (for diagnostics on repair).
    var fieldLines: [Int] = []

    /// The next record, or nil at end of file.
    public mutating func next(_ diagnostics: inout Diagnostics) -> CSVRow? {
        var row = FieldRow()
        guard let info = nextRow(into: &row, &diagnostics) else { return nil }
        return CSVRow(fields: row.strings, line: info.line, defect: info.defect)
    }

    /// Reads the next record into `row` (cleared first), as valid UTF-8: the line it starts on and
    /// a defect when it could not be read as it stands; nil at end of file.
    ///
    /// The hot loop scans runs of ordinary bytes and copies each run at once; a record is checked
    /// for UTF-8 validity and NUL bytes as a whole, and only a record that needs repair is decoded
    /// field by field (with the diagnostics).
    public mutating func nextRow(into row: inout FieldRow, _ diagnostics: inout Diagnostics) -> (
        line: Int, defect: String?
    )? {
        row.removeAll()
        fieldLines.removeAll(keepingCapacity: true)
        if commonRecordsAtOnce && !skipLF && position < bufferEnd, let line = readCommonRecord(into: &row) {
            return (line, nil)
        }
        var state = State.fieldStart
        let startLine = line
        var quoteLine = 0
        var quoteColumn = 0
        var sawAny = false
        var high = false
        var nul = false
        // Set once the record outgrows a limit: where, and how many bytes of the record are kept.
        var oversize: (line: Int, field: Int, kept: Int)?
        let limits = self.limits
        let delimiter = self.delimiter
        let quote = Self.quote
        let lf = Self.lf
        let cr = Self.cr
        let path = self.path

        func loc(_ l: Int, _ c: Int) -> SourceLocation { SourceLocation(file: path, line: l, column: c) }

        while true {
            if position >= bufferEnd {
                if !atEOF {
                    chunkBase += bufferEnd
                    refill()
                    continue
                }
                // End of file.
                if !sawAny { return nil }
                switch state {
                case .quoted, .quotedSawCR:
                    diagnostics.error(
                        "unterminated quoted field",
                        at: loc(quoteLine, quoteColumn),
                        expected: "a closing '\"' before the end of the file"
                    )
                    row.endField()
                    fieldLines.append(quoteLine)
                    finish(&row, high: high, nul: nul, &diagnostics)
                    return (startLine, "unterminated quoted field starting at line \(quoteLine), column \(quoteColumn)")
                default:
                    row.endField()
                    fieldLines.append(line)
                    finish(&row, high: high, nul: nul, &diagnostics)
                    return (startLine, oversize.map { tooLarge($0, startLine: startLine, &diagnostics) })
                }
            }
            let buf = buffer
            var i = position
            let n = bufferEnd
            var done = false
            var line = self.line
            var lineStart = self.lineStart
            var skipLF = self.skipLF
            let chunkBase = self.chunkBase
            var fieldLines = self.fieldLines
            self.fieldLines = []
            buf.withUnsafeBufferPointer { whole in
                let p = UnsafeBufferPointer(rebasing: whole[..<n])
                if skipLF {
                    skipLF = false
                    if p[i] == lf {
                        i += 1
                        lineStart = chunkBase + i
                        return
                    }
                }
                sawAny = true
                while i < n {
                    let b = p[i]
                    switch state {
                    case .fieldStart, .unquoted, .afterQuoted:
                        if b == delimiter {
                            row.endField()
                            fieldLines.append(line)
                            state = .fieldStart
                            i += 1
                        } else if b == lf || b == cr {
                            row.endField()
                            fieldLines.append(line)
                            i += 1
                            line += 1
                            if b == cr { if i < n { if p[i] == lf { i += 1 } } else { skipLF = true } }
                            lineStart = chunkBase + i
                            done = true
                            return
                        } else if b == quote && state == .fieldStart {
                            state = .quoted
                            quoteLine = line
                            quoteColumn = chunkBase + i - lineStart + 1
                            i += 1
                        } else if state == .afterQuoted || b == quote {
                            let column = chunkBase + i - lineStart + 1
                            if state == .afterQuoted {
                                diagnostics.warning(
                                    "text after a closing quote is kept as part of the field",
                                    at: loc(line, column),
                                    expected: "a delimiter or line end after a closing quote",
                                    key: "csv.afterQuote"
                                )
                                state = .unquoted
                            } else {
                                diagnostics.note(
                                    "a quote inside an unquoted field is kept as text",
                                    at: loc(line, column),
                                    key: "csv.strayQuote"
                                )
                            }
                            row.appendByte(b)
                            if b >= 0x80 { high = true } else if b == 0 { nul = true }
                            i += 1
                        } else {
                            state = .unquoted
                            // A run of ordinary bytes, found sixteen at a time (C, SSE2) and copied
                            // at once; byte by byte it was most of this function's time.
                            let s = i
                            i += run(p, from: s, quoted: false, high: &high, nul: &nul)
                            row.appendBytes(UnsafeBufferPointer(rebasing: p[s..<i]))
                        }
                    case .quoted:
                        if b == quote {
                            state = .quotedSawQuote
                            i += 1
                        } else if b == lf || b == cr {
                            row.appendByte(b)
                            i += 1
                            line += 1
                            lineStart = chunkBase + i
                            if b == cr { state = .quotedSawCR }
                        } else {
                            let s = i
                            i += run(p, from: s, quoted: true, high: &high, nul: &nul)
                            row.appendBytes(UnsafeBufferPointer(rebasing: p[s..<i]))
                        }
                    case .quotedSawQuote:
                        if b == quote {
                            row.appendByte(quote)
                            state = .quoted
                            i += 1
                        } else {
                            state = .afterQuoted
                        }
                    case .quotedSawCR:
                        state = .quoted
                        if b == lf {
                            row.appendByte(lf)
                            i += 1
                            lineStart = chunkBase + i
                        }
                    }
                    // Past a limit, the record keeps what it had then (a field cut to its first
                    // bytes) and the rest is read past.
                    if let o = oversize {
                        if row.bytes.count > o.kept { row.dropBytes(after: o.kept) }
                    } else if row.bytes.count - (row.ends.last ?? 0) > limits.fieldBytes
                        || row.bytes.count > limits.recordBytes
                    {
                        let fieldStart = row.ends.last ?? 0
                        let kept = fieldStart + min(row.bytes.count - fieldStart, SizeLimits.keptOfOversizeField)
                        row.dropBytes(after: kept)
                        oversize = (line, row.count + 1, kept)
                    }
                }
            }
            self.line = line
            self.lineStart = lineStart
            self.skipLF = skipLF
            self.fieldLines = fieldLines
            position = i
            if state == .quotedSawQuote && position >= bufferEnd && atEOF { state = .afterQuoted }
            if done {
                finish(&row, high: high, nul: nul, &diagnostics)
                return (startLine, oversize.map { tooLarge($0, startLine: startLine, &diagnostics) })
            }
        }
    }

    /// `s` with each run of NUL bytes as one U+FFFD, in one pass over its bytes (Foundation's
    /// `replacingOccurrences` took about 32 bytes of memory per NUL).
    static func replacingNULRuns(_ s: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count)
        var inRun = false
        for b in s.utf8 {
            if b == 0 {
                if !inRun { out += [0xEF, 0xBF, 0xBD] }
                inRun = true
            } else {
                out.append(b)
                inRun = false
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
