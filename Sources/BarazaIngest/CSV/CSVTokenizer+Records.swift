import BarazaKit
import BarazaModel
internal import CBarazaText
import Foundation

/// The tokenizer's record loops: the common record (no quotes, no line ends in fields) scanned in C,
/// and the byte-level finishing of a row (NUL runs, over-large fields, decoding).
extension CSVTokenizer {
    /// Reads the next record when it has the common shape (see `readCommonRecord`) and lends its
    /// fields to `body` where the scan wrote them, with the line it starts on: no copy into a row
    /// (that copy was a pass over every byte of the file, with retains and releases per record).
    /// Nil, with nothing read, when the next record is not of that shape: `nextRow` reads it.
    public mutating func withCommonRecord<R>(_ body: (FieldView, Int) -> R) -> R? {
        guard commonRecordsAtOnce && !skipLF && position < bufferEnd, let r = scanCommonRecord() else { return nil }
        let first = advance(over: r)
        return body(
            FieldView(
                bytes: UnsafeBufferPointer(start: r.room.bytes, count: r.bytes),
                ends: UnsafeBufferPointer(start: r.room.ends, count: r.fields)
            ),
            first
        )
    }

    /// A record `scanCommonRecord` read: the scratch room, its bytes and fields there, the input it
    /// took and the line breaks it passed.
    typealias CommonRecord = (
        room: (bytes: UnsafeMutablePointer<UInt8>, ends: UnsafeMutablePointer<Int>), bytes: Int, fields: Int,
        consumed: Int, lines: Int
    )

    /// The common-shape scan of the next record into the scratch room: where it is, the record's
    /// bytes and fields there, the input it takes and its lines; nil (nothing consumed) when it
    /// is not of that shape or not valid UTF-8 as it stands.
    mutating func scanCommonRecord() -> CommonRecord? {
        if room == nil || !isKnownUniquelyReferenced(&scratch) {
            let s = Scratch()
            scratch = s
            room = (s.bytes, s.ends)
        }
        guard let room else { return nil }
        let o = room.bytes
        let e = room.ends
        let available = min(bufferEnd - position, Self.commonRecordLimit)
        let start = position
        let delimiter = self.delimiter
        var info = baraza_csv_record_info()
        let consumed = buffer.withUnsafeBufferPointer { input in
            guard let i = input.baseAddress else { return 0 }
            return baraza_csv_record(i + start, available, delimiter, o, e, Self.commonRecordFields, &info)
        }
        // A record over a size limit is read the general way, which cuts and reports it.
        guard consumed > 0, info.flags & 2 == 0, info.bytes <= min(limits.fieldBytes, limits.recordBytes) else {
            return nil
        }
        if info.flags & 1 != 0 {
            guard encoding != .windows1252, UTF8Check.isValid(UnsafeBufferPointer(start: o, count: info.bytes)) else {
                return nil
            }
        }
        return (room, info.bytes, info.fields, consumed, info.lines)
    }

    /// Reads the record at `position` in one call when it has the common shape, lies within the
    /// buffer, and is valid UTF-8 without NUL bytes (see `baraza_csv_record`): then nothing needs
    /// reporting and no field needs its own line. Returns the line it starts on; nil, with nothing
    /// consumed and `row` empty, when it must be read the general way.
    /// The state machine's per-field work (a switch, appends to two arrays, a line per field) is
    /// what this saves.
    mutating func readCommonRecord(into row: inout FieldRow) -> Int? {
        guard let r = scanCommonRecord() else { return nil }
        row.appendFields(
            UnsafeBufferPointer(start: r.room.bytes, count: r.bytes),
            ends: UnsafeBufferPointer(start: r.room.ends, count: r.fields)
        )
        return advance(over: r)
    }

    /// Moves past a record `scanCommonRecord` read; the line it started on.
    mutating func advance(over r: CommonRecord) -> Int {
        let first = line
        line += r.lines
        position += r.consumed
        lineStart = chunkBase + position
        commonRecords += 1
        return first
    }

    /// The length of the run of ordinary bytes in `p` from `s` (see `baraza_csv_run`), noting
    /// whether it holds a byte from 0x80 on or a NUL.
    @inline(__always) func run(
        _ p: UnsafeBufferPointer<UInt8>,
        from s: Int,
        quoted: Bool,
        high: inout Bool,
        nul: inout Bool
    ) -> Int {
        guard let base = p.baseAddress, s < p.count else { return 0 }
        var flags: UInt32 = 0
        let length = baraza_csv_run(base + s, p.count - s, delimiter, quoted ? 1 : 0, &flags)
        if flags & 1 != 0 { high = true }
        if flags & 2 != 0 { nul = true }
        return length
    }

    /// Reports a record that outgrew a limit; the defect that sends it to the rejects.
    func tooLarge(_ o: (line: Int, field: Int, kept: Int), startLine: Int, _ diagnostics: inout Diagnostics) -> String {
        let reason =
            "record larger than the limit (\(limits.fieldBytes) bytes a field, " + "\(limits.recordBytes) a record): "
            + "field \(o.field) cut to its first \(SizeLimits.keptOfOversizeField) bytes, the rest not read"
        diagnostics.error(
            reason,
            at: SourceLocation(file: path, line: o.line, column: o.field),
            expected: "fields and records within the size limit " + "(a source's max_field_mib, max_record_mib)"
        )
        return reason
    }

    /// Makes the record valid UTF-8 without NUL bytes: as it stands when it already is (the common
    /// case, checked for the whole record at once), else field by field with diagnostics.
    func finish(_ row: inout FieldRow, high: Bool, nul: Bool, _ diagnostics: inout Diagnostics) {
        if !nul && (!high || (encoding != .windows1252 && UTF8Check.isValid(row.bytes))) { return }
        var fixed = FieldRow()
        for i in 0..<row.count {
            let bytes = Array(row.bytes[row.range(i)])
            let fieldLine = i < fieldLines.count ? fieldLines[i] : line
            fixed.append(decode(bytes, &diagnostics, fieldLine: fieldLine, field: i + 1))
        }
        row = fixed
    }

    func decode(_ bytes: [UInt8], _ diagnostics: inout Diagnostics, fieldLine: Int, field: Int) -> String {
        if bytes.isEmpty { return "" }
        var hasNUL = false
        var ascii = true
        for b in bytes {
            if b == 0 { hasNUL = true }
            if b >= 0x80 { ascii = false }
        }
        var s: String
        if ascii || encoding != .windows1252 {
            if let v = String(validating: bytes, as: UTF8.self) {
                s = v
            } else {
                diagnostics.warning(
                    "invalid UTF-8; undecodable bytes replaced with U+FFFD",
                    at: SourceLocation(file: path, line: fieldLine, column: field),
                    expected: "UTF-8 text",
                    key: "csv.invalidUTF8"
                )
                s = String(decoding: bytes, as: UTF8.self)
            }
        } else {
            // UTF-8 sequences in a file read as Windows-1252: its first bytes were not UTF-8, but
            // these are; their labels will not match as read.
            if TextEncoding.utf8Evidence(bytes[...], allowTruncatedEnd: false).validMultiByte > 0 {
                diagnostics.warning(
                    "UTF-8 text in a file read as Windows-1252; its accented labels will not match "
                        + "(set the source's encoding: UTF-8 if the file is UTF-8)",
                    at: SourceLocation(file: path, line: fieldLine, column: field),
                    expected: "Windows-1252 text",
                    key: "csv.utf8InWindows1252"
                )
            }
            var scalars = String.UnicodeScalarView()
            for b in bytes {
                let v: UInt32 = (0x80...0x9F).contains(b) ? windows1252High[Int(b) - 0x80] : UInt32(b)
                scalars.append(Unicode.Scalar(v) ?? "\u{FFFD}")
            }
            s = String(scalars)
        }
        if hasNUL {
            diagnostics.warning(
                "NUL bytes in field replaced with U+FFFD (one per run)",
                at: SourceLocation(file: path, line: fieldLine, column: field),
                expected: "text without NUL bytes",
                key: "csv.nul"
            )
            s = Self.replacingNULRuns(s)
        }
        return s
    }
}
