import BarazaKit
import BarazaModel

/// Reads a CSV export: sniffs encoding, delimiter and platform profile, then streams records.
///
/// Field counts: extra fields that are empty (a trailing delimiter) are dropped; a record with
/// more non-empty fields than the header is rejected with its line (its columns cannot be known);
/// a record with fewer fields keeps its fields in place and reads the missing trailing ones as
/// blank, with a warning. Nothing is ever shifted between columns.
public struct CSVRecordReader: PullingRecordSource {
    public let path: String
    public let profile: ExportProfile
    public let encoding: TextEncoding
    public let delimiter: Character?
    public let headerRows: Int
    public let columns: [ColumnHeader]

    private var tokenizer: CSVTokenizer
    /// LimeSurvey's submit-date column, when incomplete responses are left out.
    private let submitColumn: Int?
    private var pending: [CSVRow]
    /// The last record's size, for the next one's room (see `next`).
    private var lastSize = (bytes: 0, fields: 0)

    /// `chunkObserver` sees the file's bytes as the records are read (the sniffer's sample aside),
    /// in the chunks read, shared rather than copied.
    public init(
        path: String,
        options: ReadOptions = ReadOptions(),
        chunkObserver: (any ChunkObserver)? = nil,
        diagnostics: inout Diagnostics
    ) throws(IngestError) {
        let sniffed = try CSVSniffer.sniff(path: path)
        var enc = sniffed.encoding
        var bom = sniffed.bomLength
        if let forced = options.encoding, forced != enc {
            enc = forced
            bom = (forced == .utf8BOM) ? 3 : (forced == .utf16LE || forced == .utf16BE) ? 2 : 0
        }
        if enc == .windows1252 {
            diagnostics.note(
                "bytes are not valid UTF-8; reading as Windows-1252",
                at: SourceLocation(file: path, line: 1)
            )
        } else if enc == .utf16LE || enc == .utf16BE {
            diagnostics.note(
                "reading as \(enc.rawValue)"
                    + (bom > 0 ? " (byte-order mark)" : " (no byte-order mark: NUL bytes in every other byte)"),
                at: SourceLocation(file: path, line: 1)
            )
        }
        var delim = sniffed.delimiter
        if let d = options.delimiter, let a = d.asciiValue { delim = a }
        self.path = path
        self.encoding = enc
        self.delimiter = Character(Unicode.Scalar(delim))
        var tok = try CSVTokenizer(
            path: path,
            delimiter: delim,
            encoding: enc,
            bomLength: bom,
            chunkObserver: chunkObserver
        )
        tok.limits = options.limits
        var head: [CSVRow] = []
        while head.count < 3, let row = tok.next(&diagnostics) { head.append(row) }
        guard !head.isEmpty else { throw .empty(path: path) }
        // One "column" of digits and no delimiter anywhere: fixed-width data (IPUMS, Triple-S .asc),
        // which read as CSV would be one garbage column.
        if head.allSatisfy({ $0.fields.count == 1 }), let first = head.first?.fields.first, first.count >= 8,
            first.allSatisfy({ $0.isNumber || $0 == " " })
        {
            throw .notAnExport(
                path: path,
                what: "fixed-width data (lines of digits, no delimiter)",
                instead: "give a CSV export, or the Triple-S metadata (.sss) that describes it"
            )
        }
        let (detected, rows) = ProfileDetector.detect(head.map(\.fields))
        let prof = options.profile ?? detected
        let hdr = (options.profile == nil) ? rows : (prof == .surveyMonkey ? 2 : prof == .qualtrics ? 3 : 1)
        self.profile = prof
        self.headerRows = min(hdr, head.count)
        var cols = ProfileDetector.columns(profile: prof, headerRows: head.prefix(headerRows).map(\.fields))
        if let sep = options.groupSeparator, !sep.isEmpty {
            cols = cols.map { c in
                let parts = c.name.components(separatedBy: sep)
                return ColumnHeader(
                    name: c.name,
                    leaf: parts.last ?? c.name,
                    groupPath: Array(parts.dropLast()),
                    subLabel: c.subLabel
                )
            }
        }
        // A trailing delimiter on the header line (legacy Qualtrics) makes an empty-named last
        // column; unless the first records fill it, it is dropped, and data rows' matching empty
        // field with it, like any trailing delimiter. Other unnamed columns are kept, named after
        // the column before them (dropping them rejected every record that filled them).
        if let last = cols.last, last.name.trimmingWhitespace().isEmpty, cols.count > 1 {
            let i = cols.count - 1
            let filled = head.dropFirst(hdr)
                .contains { i < $0.fields.count && !$0.fields[i].trimmingWhitespace().isEmpty }
            if filled {
                let names = head[0].fields
                let name =
                    i < names.count ? ProfileDetector.continuationName(names, i, keepLast: true) : "column \(i + 1)"
                cols[i] = ColumnHeader(name: name, subLabel: last.subLabel)
            } else {
                cols.removeLast()
            }
        }
        self.columns = cols
        self.submitColumn =
            prof == .limeSurvey && !options.includeIncomplete
            ? cols.firstIndex {
                ProfileDetector.limeSurveySubmitted.contains($0.name.trimmingWhitespace().lowercased())
            } : nil
        self.pending = Array(head.dropFirst(headerRows))
        self.tokenizer = tok
        var seen: [String: Int] = [:]
        for (i, c) in columns.enumerated() {
            if let j = seen[c.name] {
                diagnostics.warning(
                    "duplicate column name '\(c.name)' (also column \(j + 1)); the first is used for lookups",
                    at: SourceLocation(file: path, line: 1, column: i + 1),
                    key: "csv.dupColumn.\(c.name)"
                )
            } else {
                seen[c.name] = i
            }
        }
    }

    public mutating func next(_ diagnostics: inout Diagnostics) -> SourceRecord? {
        // Room for a record half again as long as the last (up to 1 MiB, so that one huge record
        // does not make the next one hold as much): grown by doubling from empty, each record's
        // arrays were allocated, copied and freed about fourteen times (perf: a sixth of the
        // reading thread's samples).
        let room = min(lastSize.bytes + lastSize.bytes / 2 + 64, 1 << 20)
        var row = FieldRow(byteCapacity: room, fieldCapacity: min(max(lastSize.fields, columns.count), 1 << 16))
        defer { lastSize = (row.bytes.count, row.count) }
        switch read(into: &row, &diagnostics) {
        case nil: return nil
        case .rejected(let r): return .rejected(r)
        case .record(let line):
            return .record(RawRecord(fields: row, location: SourceLocation(file: path, line: line, column: 1)))
        }
    }

    /// Every record read into one buffer, lent to `body` (see `RecordSource.forEachRecordLent`).
    ///
    /// A record of the common shape with the header's number of fields is lent straight from the
    /// tokenizer's scan (`CSVTokenizer.withCommonRecord`), not copied into the row first.
    public mutating func forEachRecordLent(
        _ diagnostics: inout Diagnostics,
        _ body: (LentRecord, [ColumnHeader]) -> Bool
    ) {
        var row = FieldRow(byteCapacity: 1 << 12, fieldCapacity: columns.count)
        let columns = self.columns
        while true {
            var item: Read?
            if pending.isEmpty {
                var more = true
                var checkLine: Int?
                let lent: Void? = tokenizer.withCommonRecord { view, line in
                    guard view.count == columns.count, !(view.count == 1 && view.isBlank(0)),
                        !(submitColumn.map(view.isBlank) ?? false)
                    else {
                        // Not as the header has it: into the row, for the checks `read` makes.
                        row.removeAll()
                        row.appendFields(view.bytes, ends: view.ends)
                        checkLine = line
                        return
                    }
                    more = body(.record(view, line: line, column: 1, file: nil), columns)
                }
                if lent != nil {
                    guard let line = checkLine else {
                        if !more { return }
                        continue
                    }
                    guard let checked = settle(&row, line: line, defect: nil, &diagnostics) else { continue }
                    item = checked
                }
            }
            if item == nil { item = read(into: &row, &diagnostics) }
            guard let item else { return }
            let more: Bool
            switch item {
            case .rejected(let r): more = body(.rejected(r), columns)
            case .record(let line): more = row.withView { body(.record($0, line: line, column: 1, file: nil), columns) }
            }
            if !more { return }
            // One huge record does not make the buffer hold as much for the rest of the file.
            if row.bytes.capacity > 1 << 20 { row = FieldRow(byteCapacity: 1 << 12, fieldCapacity: columns.count) }
        }
    }

    private enum Read {
        case record(line: Int)
        case rejected(RejectedRecord)
    }

    /// Reads the next record's fields into `row` (what it held is dropped): a usable record with
    /// its line, or one rejected; nil at the end of the file.
    private mutating func read(into row: inout FieldRow, _ diagnostics: inout Diagnostics) -> Read? {
        while true {
            let line: Int
            let defect: String?
            if !pending.isEmpty {
                let p = pending.removeFirst()
                row = FieldRow(p.fields)
                line = p.line
                defect = p.defect
            } else if let info = tokenizer.nextRow(into: &row, &diagnostics) {
                (line, defect) = info
            } else {
                return nil
            }
            if let item = settle(&row, line: line, defect: defect, &diagnostics) { return item }
        }
    }

    /// Checks a record read into `row` against the header: usable (trailing blank fields dropped,
    /// missing trailing ones read as blank), or rejected; nil for an empty line, which is skipped.
    private func settle(_ row: inout FieldRow, line: Int, defect: String?, _ diagnostics: inout Diagnostics) -> Read? {
        let loc = SourceLocation(file: path, line: line, column: 1)
        if row.count == 1 && row.isBlank(0) {
            diagnostics.note("empty line skipped", at: loc, key: "csv.emptyLine")
            return nil
        }
        if let defect { return .rejected(RejectedRecord(location: loc, reason: defect, values: row.strings)) }
        if row.count > columns.count, (columns.count..<row.count).allSatisfy(row.isBlank) {
            row.truncate(to: columns.count)
        }
        if row.count < columns.count {
            // Exports omit empty trailing fields (ODK Central 2019 leaves `Status` unfilled): the
            // fields present keep their columns, the missing ones at the end read as blank.
            diagnostics.warning(
                "record has \(row.count) fields; expected \(columns.count): the last \(columns.count - row.count) "
                    + "read as blank",
                at: SourceLocation(file: path, line: line, column: 1),
                expected: "\(columns.count) fields",
                key: "csv.short.\(path)"
            )
            row.pad(to: columns.count)
        }
        if row.count != columns.count {
            let reason = "record has \(row.count) fields; expected \(columns.count) (the header's)"
            diagnostics.error(reason, at: loc, expected: "\(columns.count) fields")
            return .rejected(RejectedRecord(location: loc, reason: reason, values: row.strings))
        }
        if let c = submitColumn, row.isBlank(c) {
            return .rejected(
                RejectedRecord(location: loc, reason: RejectedRecord.incompleteReason, values: row.strings)
            )
        }
        return .record(line: line)
    }
}
