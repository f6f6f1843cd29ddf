import BarazaKit
import BarazaModel
internal import CBarazaText
import Foundation
import GRDB
import GRDBSQLite
internal import CSQLiteSetup

/// Writes one batch's rows with cached prepared statements, inside the import transaction: per
/// response one row with its packed answers, and one with its raw record and open texts.
///
/// Besides the domain's `BatchSink`, it takes the import's fast path (package API): responses packed
/// by `makePacker()`'s packer, or its `worker()` copies, on other threads, added a chunk at a time
/// in file order. Use either that or `add(_: Response)` for one batch, not both.
package struct SQLiteBatchSink: BatchSink {
    let db: Database
    let batchID: Int64
    let insertResponse: Statement
    let insertRecord: Statement
    let insertAnswer: Statement
    /// The same inserts for `rowsPerInsert` rows at once (one statement step for that many rows),
    /// OR FAIL: a failing row stops the statement without undoing the rows before it, so SQLite
    /// keeps no statement journal for them (the batch's transaction is rolled back whole on any
    /// error anyway); with foreign keys off for the import, it also writes a fraction of the pages.
    let insertResponses: Statement
    let insertRecords: Statement
    /// The id the next response gets. The batch's transaction holds the write lock, so ids are
    /// known here, as SQLite gives them (one past the largest), and a response's record row needs
    /// no look-up of the id just inserted. The response rows leave their id to SQLite (an id bound
    /// made SQLite seek for it per row), and `writeBatch` checks that the two agree.
    var nextID: Int64
    /// Whether the records' ids stand in step with the responses' (the largest the same, as in any
    /// store this version wrote): then SQLite gives the record rows their ids too (one past the
    /// largest: the response's), else they are bound.
    let recordsInStep: Bool
    /// Into an empty store: the ids written so far, to tell at the end whether any repeats.
    var repeatFilter: RepeatFilter?
    /// Whether a response of the batch names one it replaces (an edit), so that the batch's own
    /// edits are looked for only then.
    var sawReplaces = false
    /// The report's tallies, counting each row as it is written (`LiveAggregates`); nil when not
    /// asked for or no longer valid (a row weighted other than 1).
    var live: [(request: AggregateRequest, scan: AggregateScan)]?
    /// The names written, for the live tallies' widths and themes.
    private var liveNames: LiveNames

    static let rowsPerInsert = 16
    /// Bound in this order by `add` (fourteen parameters a row; the id is SQLite's: see `nextID`).
    static let responseColumns = [
        "batch_id", "respondent_id", "replaces", "source_file", "source_line", "grp", "raw_group", "country", "wave",
        "submitted_at", "weight", "closed", "chosen", "coded",
    ]
    /// An INSERT OR FAIL of `rows` rows of `columns` into `table`, every value a parameter.
    static func insert(into table: String, _ columns: [String], rows: Int) -> String {
        let row = "(" + Array(repeating: "?", count: columns.count).joined(separator: ", ") + ")"
        return "INSERT OR FAIL INTO \(table) (\(columns.joined(separator: ", "))) VALUES "
            + Array(repeating: row, count: rows).joined(separator: ", ")
    }

    init(
        db: Database,
        batchID: Int64,
        repeatFilter: RepeatFilter? = nil,
        live: [(request: AggregateRequest, scan: AggregateScan)]? = nil
    ) throws {
        self.db = db
        self.batchID = batchID
        self.repeatFilter = repeatFilter
        self.live = live
        let registry = try Registry.load(db)
        packer = ResponsePacker(registry)
        liveNames = LiveNames(registry)
        nextID = (try Int64.fetchOne(db, sql: "SELECT max(id) FROM responses") ?? 0) + 1
        recordsInStep = try Int64.fetchOne(db, sql: "SELECT coalesce(max(response_id), 0) FROM records") == nextID - 1
        let recordColumns = (recordsInStep ? [] : ["response_id"]) + ["raw", "texts"]
        insertResponse = try db.cachedStatement(sql: Self.insert(into: "responses", Self.responseColumns, rows: 1))
        insertRecord = try db.cachedStatement(sql: Self.insert(into: "records", recordColumns, rows: 1))
        insertResponses = try db.cachedStatement(
            sql: Self.insert(into: "responses", Self.responseColumns, rows: Self.rowsPerInsert)
        )
        insertRecords = try db.cachedStatement(
            sql: Self.insert(into: "records", recordColumns, rows: Self.rowsPerInsert)
        )
        insertAnswer = try db.cachedStatement(
            sql: "INSERT INTO answers (response_id, question, value, missing, raw) VALUES (?, ?, ?, ?, ?)"
        )
    }

    /// The packer for this batch's responses. A caller that packs on another thread takes it with
    /// `makePacker()` and then adds only packed chunks.
    private var packer: ResponsePacker

    package func makePacker() -> ResponsePacker { packer }

    package mutating func add(_ r: Response) throws {
        var chunk = PackedChunk()
        packer.pack(r, into: &chunk)
        try add(&chunk)
    }

    /// Gives names their indices before packers are made (see `ResponsePacker.register`).
    package mutating func register(questions: [String], options: [(question: String, option: String)], codes: [String])
        throws
    {
        packer.register(questions: questions, options: options, codes: codes)
        try write(packer.takeNewNames())
    }

    /// Writes names given their indices (noted for the live tallies).
    private mutating func write(_ names: [PackedChunk.Name]) throws {
        for name in names {
            try name.write(db)
            liveNames.note(name)
        }
    }

    /// A chunk of responses packed with their raw records. The chunk is left to the caller, who may
    /// empty it and fill it again (`PackedChunk(emptying:)`); its content is not to be added twice.
    package mutating func add(_ chunk: inout PackedChunk) throws { try add(&chunk, raw: nil) }

    /// `add(_:)` for a chunk packed without its raw records (`ResponsePacker.rawElsewhere`): they
    /// are `raw`'s, one per entry, in order.
    package mutating func add(_ chunk: inout PackedChunk, raw: RawRecords) throws {
        precondition(raw.spans.count == chunk.entries.count, "one raw record per entry")
        try add(&chunk, raw: Optional(raw))
    }

    /// Writes the chunk's rows; the raw records from `raw` when given, else from the chunk.
    private mutating func add(_ chunk: inout PackedChunk, raw: RawRecords?) throws {
        if !sawReplaces { sawReplaces = chunk.entries.contains { $0.replaces.count >= 0 } }
        try write(chunk.newNames)
        if !chunk.provisional.isEmpty {
            // A worker's chunk: its provisional numbers become indices, given here in file order.
            let indices = chunk.provisional.map { packer.resolve($0) }
            try write(packer.takeNewNames())
            // Each number read and written whole (two or four bytes, little-endian; they were a
            // byte at a time): a chunk of the workload has a dozen per response (the multiple-choice
            // options it names, met in the data rather than declared).
            let fixups = chunk.fixups
            try chunk.bytes.withUnsafeMutableBytes { b in
                for f in fixups {
                    precondition(
                        (f.width == 2 || f.width == 4) && f.offset >= 0 && f.offset + f.width <= b.count,
                        "a fixup of 2 or 4 bytes inside its chunk's arena"
                    )
                    let n =
                        f.width == 2
                        ? Int(UInt16(littleEndian: b.loadUnaligned(fromByteOffset: f.offset, as: UInt16.self)))
                        : Int(UInt32(littleEndian: b.loadUnaligned(fromByteOffset: f.offset, as: UInt32.self)))
                    let i = indices[n]
                    guard i < 1 << (8 * f.width) else { throw StoreError.tooManyNames(i) }
                    if f.width == 2 {
                        b.storeBytes(
                            of: UInt16(truncatingIfNeeded: i).littleEndian,
                            toByteOffset: f.offset,
                            as: UInt16.self
                        )
                    } else {
                        b.storeBytes(
                            of: UInt32(truncatingIfNeeded: i).littleEndian,
                            toByteOffset: f.offset,
                            as: UInt32.self
                        )
                    }
                }
            }
        }
        var nextUnpacked = 0
        // Bound through the C API, straight from the chunk's arena (no copies): GRDB's argument
        // arrays of existentials were a tenth of import time. Rows go in `rowsPerInsert` at a
        // time (the last few of a chunk one by one), responses first, then their records.
        let entries = chunk.entries
        if repeatFilter != nil {
            chunk.bytes.withUnsafeBufferPointer { arena in
                repeatFilter?.add(entries.count, arena: arena) { entries[$0].respondentID }
            }
        }
        let first = nextID
        nextID += Int64(entries.count)
        if live != nil { tallyLive(chunk, first: first) }
        try chunk.bytes.withUnsafeBufferPointer { arena in
            let one = RawStatement(insertResponse.sqliteStatement, arena: arena)
            let oneRecord = RawStatement(insertRecord.sqliteStatement, arena: arena)
            let many = RawStatement(insertResponses.sqliteStatement, arena: arena)
            let manyRecords = RawStatement(insertRecords.sqliteStatement, arena: arena)
            // Every row binds every parameter, so the bindings into the arena are cleared once,
            // when the chunk is done with (per row they were 1% of the writing thread).
            defer { for s in [one, oneRecord, many, manyRecords] { s.clearBindings() } }
            func bindResponse(_ s: RawStatement, _ k: Int, at row: Int) {
                let e = entries[k]
                let p = Int32(Self.responseColumns.count * row)
                s.bind(p + 1, batchID)
                s.bindText(p + 2, e.respondentID)
                s.bindText(p + 3, e.replaces)
                s.bindText(p + 4, e.file)
                s.bind(p + 5, e.line)
                s.bindText(p + 6, e.group)
                s.bindText(p + 7, e.rawGroup)
                s.bindText(p + 8, e.country)
                s.bindText(p + 9, e.wave)
                s.bind(p + 10, e.submittedAt)
                s.bind(p + 11, e.weight)
                s.bindBlob(p + 12, e.closed)
                s.bindBlob(p + 13, e.chosen)
                s.bindBlob(p + 14, e.coded)
            }
            func bindRecord(_ s: RawStatement, _ k: Int, at row: Int) {
                let e = entries[k]
                var p = Int32((recordsInStep ? 2 : 3) * row)  // [response_id,] raw, texts
                if !recordsInStep {
                    s.bind(p + 1, first + Int64(k))
                    p += 1
                }
                if let raw {
                    s.bindBlob(p + 1, UnsafeBufferPointer(rebasing: raw.bytes[raw.spans[k]]))
                } else {
                    s.bindBlob(p + 1, e.raw)
                }
                s.bindBlob(p + 2, e.texts)
            }
            var k = 0
            while k < entries.count {
                let rows = entries.count - k >= Self.rowsPerInsert ? Self.rowsPerInsert : 1
                let (s, record) = rows == 1 ? (one, oneRecord) : (many, manyRecords)
                for r in 0..<rows { bindResponse(s, k + r, at: r) }
                try s.step(db)
                for r in 0..<rows { bindRecord(record, k + r, at: r) }
                try record.step(db)
                for r in 0..<rows {
                    while nextUnpacked < chunk.unpacked.count, chunk.unpacked[nextUnpacked].entry == k + r {
                        let a = chunk.unpacked[nextUnpacked].answer
                        try insertAnswer.execute(arguments: [
                            first + Int64(k + r), a.question, a.value, a.missing?.rawValue, a.raw,
                        ])
                        nextUnpacked += 1
                    }
                }
                k += rows
            }
        }
    }

    /// Counts the chunk's rows (ids from `first`) in the live tallies, or drops them at a row
    /// weighted other than 1 or past `LiveAggregates.cellLimit` cells (see `LiveAggregates`).
    private mutating func tallyLive(_ chunk: PackedChunk, first: Int64) {
        guard var scans = live else { return }
        live = nil  // the tallies' only holder while they count
        liveNames.widen(&scans)
        let complete = chunk.bytes.withUnsafeBufferPointer { arena in
            for (k, e) in chunk.entries.enumerated() {
                guard e.weight == 1 else { return false }
                let row = PackedRow(arena: arena, entry: e, id: first + Int64(k))
                for j in scans.indices { scans[j].scan.tally(row) }
            }
            return true
        }
        if complete && scans.allSatisfy({ $0.scan.cells.count <= LiveAggregates.cellLimit }) { live = scans }
    }

    package mutating func reject(_ record: RejectedRecord) throws {
        try db.execute(
            sql: "INSERT INTO rejects (batch_id, file, line, reason, raw_values) VALUES (?, ?, ?, ?, ?)",
            arguments: [
                batchID, record.location.file, record.location.line, record.reason, RawJSON.encode(record.values),
            ]
        )
    }

    package mutating func record(_ d: Diagnostic) throws {
        try db.execute(
            sql:
                "INSERT INTO diagnostics (batch_id, severity, file, line, col, message, expected) VALUES (?, ?, ?, ?, ?, ?, ?)",
            arguments: [
                batchID, d.severity.rawValue, d.location?.file, d.location?.line, d.location?.column, d.message,
                d.expected,
            ]
        )
    }

    package mutating func setDigest(_ sha256: String, size: Int64) throws {
        try db.execute(sql: "UPDATE batches SET sha256 = ?, size = ? WHERE id = ?", arguments: [sha256, size, batchID])
    }
}
