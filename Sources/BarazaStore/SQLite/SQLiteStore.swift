import BarazaKit
import BarazaModel
internal import CBarazaText
import Foundation
import GRDB
import GRDBSQLite
internal import CSQLiteSetup

/// The SQLite store, through GRDB: one file per consultation.
///
/// Every batch is written in one transaction, so a run killed mid-import leaves the store as it
/// was before that batch (SQLite's journal rolls the partial write back on the next open).
public final class SQLiteStore: ConsultationStore {
    public let path: String
    let db: DatabaseQueue

    /// SQLite set up once per process, before any connection is opened (see `baraza_sqlite_setup`).
    private static let setup: Int32 = baraza_sqlite_setup()

    /// The repeat filter's size in blocks and its candidate limit for batches into an empty store
    /// (`RepeatFilter`): nil sizes it from the file; tests give tiny ones, to meet its false
    /// positives and its overflow.
    let repeatFilterLimits: (blocks: Int, candidates: Int)?

    /// The report's tallies kept while batches are written (`tallyWhileImporting`). The store is
    /// not `Sendable`: one thread at a time uses it.
    var live = LiveAggregates()

    public convenience init(path: String) throws(StoreError) { try self.init(path: path, repeatFilterLimits: nil) }

    init(path: String, repeatFilterLimits: (blocks: Int, candidates: Int)?) throws(StoreError) {
        self.path = path
        self.repeatFilterLimits = repeatFilterLimits
        _ = Self.setup
        do {
            var config = Configuration()
            config.foreignKeysEnabled = true
            config.busyMode = .timeout(10)
            config.prepareDatabase { db in
                // A rollback journal, not WAL: a batch is one large transaction, and in WAL mode every
                // page is written twice (log, then checkpoint) and pages evicted mid-transaction are
                // appended again and again. Measured on the 1M-row workload: import 43.6 s in WAL
                // mode, 26.0 s with the rollback journal, same peak memory. FULL sync makes the
                // commit durable across power loss, at the cost of a few fsyncs per batch.
                // 64 KiB pages for a new store (an existing one keeps its own): a raw record is a
                // kilobyte or two, and with 4 KiB pages a 1M-row import wrote 2.4 GB in 600,000
                // page writes; with 64 KiB pages, 2.1 GB, and the run took 0.6 s less (16 KiB: 0.3 s).
                try db.execute(sql: "PRAGMA page_size = 65536; PRAGMA journal_mode = DELETE; PRAGMA synchronous = FULL")
            }
            db = try DatabaseQueue(path: path, configuration: config)
            // A store a newer Baraza wrote may hold what this one cannot read: refused, untouched.
            if try db.read({ try StoreSchema.migrator.hasBeenSuperseded($0) }) {
                throw StoreError.cannotOpen(
                    path: path,
                    reason: "it was written by a newer version of Baraza (its schema "
                        + "has migrations this version does not know); use that version or a newer one"
                )
            }
            try StoreSchema.migrator.migrate(db)
        } catch let error as StoreError { throw error } catch { throw .cannotOpen(path: path, reason: "\(error)") }
    }

    /// The migrations already applied, oldest first.
    public func appliedMigrations() throws -> [String] {
        try db.read { db in try StoreSchema.migrator.appliedMigrations(db) }
    }

    static func batchRecord(_ row: Row) -> BatchRecord {
        BatchRecord(
            id: row["id"],
            path: row["path"],
            size: row["size"],
            sha256: row["sha256"],
            format: row["format"],
            importedAt: row["imported_at"],
            records: row["records"],
            responses: row["responses"],
            rejected: row["rejected"],
            duplicates: row["duplicates"],
            superseded: row["superseded"],
            status: row["status"]
        )
    }

    public func batch(sha256: String) throws -> BatchRecord? {
        try db.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM batches WHERE sha256 = ?", arguments: [sha256])
                .map(Self.batchRecord)
        }
    }

    public func importedDigests(_ digests: [String]) throws -> Set<String> {
        try db.read { db in
            var found = Set<String>()
            var start = 0
            while start < digests.count {
                let part = Array(digests[start..<min(start + 500, digests.count)])
                start += part.count
                let marks = Array(repeating: "?", count: part.count).joined(separator: ",")
                let sql =
                    "SELECT sha256 FROM batch_files WHERE sha256 IN (\(marks)) UNION SELECT sha256 FROM batches WHERE sha256 IN (\(marks))"
                found.formUnion(try String.fetchAll(db, sql: sql, arguments: StatementArguments(part + part)))
            }
            return found
        }
    }

    public func hasBatch(size: Int64) throws -> Bool {
        try db.read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM batches WHERE size = ?)", arguments: [size])
                ?? false
        }
    }

    public func batches() throws -> [BatchRecord] {
        try db.read { db in try Row.fetchAll(db, sql: "SELECT * FROM batches ORDER BY id").map(Self.batchRecord) }
    }

    public func importBatch(_ input: BatchInput, _ body: (inout any BatchSink) throws -> BatchCounts) throws
        -> BatchRecord
    {
        // Foreign keys are not checked while a batch is written: every reference it makes is to a
        // row the same transaction wrote just before (its batch, its responses), so the checks
        // could not fail, and they cost a look-up per row and made every insert of several rows
        // keep a statement journal (a copy of each page it changed). They are on again for
        // everything else (a rollback's cascades).
        let writeback = EarlyWriteback(path: path)
        defer { writeback.stop() }
        return try db.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA foreign_keys = OFF")
            let written = Result { () throws -> BatchRecord? in
                var record: BatchRecord?
                var tallies: [(request: AggregateRequest, scan: AggregateScan)]?
                try db.inTransaction(.immediate) {
                    (record, tallies) = try writeBatch(db, input, body)
                    return .commit
                }
                // Committed: the tallies stand for the store as it is now (unless its stamp cannot
                // be read: then they are left, and the committed batch is not reported as failed).
                if let tallies, let stamp = try? LiveAggregates.Stamp.now(db) { live.ready = (stamp, tallies) }
                return record
            }
            // On again whether the batch was written or rolled back (a failure here is reported).
            try db.execute(sql: "PRAGMA foreign_keys = ON")
            guard let record = try written.get() else {
                throw StoreError.database("the import of \(input.path) wrote nothing")
            }
            return record
        }
    }

    /// Writes the batch; its record, and the live tallies of the store with it when they hold.
    private func writeBatch(_ db: Database, _ input: BatchInput, _ body: (inout any BatchSink) throws -> BatchCounts)
        throws -> (BatchRecord, [(request: AggregateRequest, scan: AggregateScan)]?)
    {
        let tallies = try liveStart(db)
        try db.execute(
            sql: """
                INSERT INTO batches (path, size, sha256, format, imported_at, wave, country, status) VALUES (?, ?, ?, ?, ?, ?, ?, 'importing')
                """,
            arguments: [
                input.path, input.size, input.sha256, input.format, input.importedAt, input.wave, input.country,
            ]
        )
        let batchID = db.lastInsertedRowID
        if !input.files.isEmpty {
            let insert = try db.makeStatement(
                sql: "INSERT INTO batch_files (batch_id, path, sha256, size) VALUES (?, ?, ?, ?)"
            )
            for f in input.files { try insert.execute(arguments: [batchID, f.path, f.sha256, f.size]) }
        }
        // Into an empty store the batch is written without the respondent index, and the index is
        // built only if the batch repeats an id (found by `RepeatFilter` as the rows are written):
        // otherwise nothing in the batch needs it, and the first later write that does (another
        // batch, a review import) builds it (`ensureRespondentIndex`). Built after the rows rather
        // than kept up to date row by row: random ids touch a different page per insert, and once
        // the index outgrows the page cache every insert reads one back. Building it at the end of
        // every first batch took 0.3 s at 1M rows, and the duplicate check reading it 0.05 s, with
        // one core working alone.
        let fresh = try Bool.fetchOne(db, sql: "SELECT NOT EXISTS (SELECT 1 FROM responses)") ?? false
        if try fresh && Self.hasRespondentIndex(db) { try db.execute(sql: "DROP INDEX responses_respondent") }
        let filter =
            repeatFilterLimits.map { RepeatFilter(expectedIDs: 0, blocks: $0.blocks, candidateLimit: $0.candidates) }
            ?? RepeatFilter(expectedIDs: Int(clamping: input.size / 256))
        var sink: any BatchSink = try SQLiteBatchSink(
            db: db,
            batchID: batchID,
            repeatFilter: fresh ? filter : nil,
            live: tallies
        )
        let counts = try body(&sink)
        // The ids SQLite gave the responses (and the records, when in step) are the ones counted.
        if let written = sink as? SQLiteBatchSink {
            let last = try Row.fetchOne(
                db,
                sql:
                    "SELECT (SELECT coalesce(max(id), 0) FROM responses), (SELECT coalesce(max(response_id), 0) FROM records)"
            )
            let responses: Int64? = last?[0]
            let records: Int64? = last?[1]
            guard responses == written.nextID - 1, !written.recordsInStep || records == written.nextID - 1 else {
                throw StoreError.database("response ids out of step with their records in \(input.path)")
            }
        }
        for (q, labels) in counts.unknownLabels {
            for (raw, n) in labels {
                try db.execute(
                    sql: "INSERT INTO unknown_labels (batch_id, question, raw, count) VALUES (?, ?, ?, ?)",
                    arguments: [batchID, q, raw, n]
                )
            }
        }
        for (raw, n) in counts.unmappedGroups {
            try db.execute(
                sql: "INSERT INTO unmapped_groups (batch_id, raw, count) VALUES (?, ?, ?)",
                arguments: [batchID, raw, n]
            )
        }
        // Whether the batch repeats an id: into an empty store, from the filter (nil when it could
        // not tell: then from the index, read in order); else assumed (the grouping query finds out).
        var repeats = true
        if fresh, let known = try ((sink as? SQLiteBatchSink)?.repeatFilter).flatMap({ try $0.repeats(db) }) {
            repeats = known
        } else if fresh {
            try Self.ensureRespondentIndex(db)
            repeats = try Self.hasRepeatedRespondent(db)
        }
        if !fresh || repeats { try Self.ensureRespondentIndex(db) }
        // Within the batch, the last record with a respondent id wins; earlier ones are duplicates.
        // (UPDATE … FROM over a grouped table: a correlated subquery here went quadratic.)
        // Into an empty store every row is this batch's, so the filter is dropped and the
        // grouping reads the respondent index alone (0.32 s instead of 0.64 s at 1M rows).
        let inBatch = fresh ? "" : "WHERE batch_id = ?1"
        var duplicates = 0
        if repeats {
            try db.execute(
                sql: """
                    UPDATE responses SET superseded_by = d.keep
                    FROM (SELECT respondent_id AS rid, max(id) AS keep FROM responses \(inBatch)
                          GROUP BY respondent_id HAVING count(*) > 1) AS d
                    WHERE responses.batch_id = ?1 AND responses.respondent_id = d.rid AND responses.id < d.keep
                    """,
                arguments: [batchID]
            )
            duplicates = db.changesCount
        }
        // Within the batch, an edit (deprecatedID) supersedes the submission it replaces: a folder
        // of submission files is one batch, and an edit may come in it with its original.
        var editedInBatch = 0
        if (sink as? SQLiteBatchSink)?.sawReplaces ?? true {
            try db.execute(
                sql: """
                    UPDATE responses SET superseded_by = e.keep
                    FROM (SELECT replaces AS rid, max(id) AS keep FROM responses
                          WHERE batch_id = ?1 AND replaces IS NOT NULL AND superseded_by IS NULL GROUP BY replaces) AS e
                    WHERE responses.batch_id = ?1 AND responses.respondent_id = e.rid AND responses.id < e.keep
                      AND responses.superseded_by IS NULL
                    """,
                arguments: [batchID]
            )
            editedInBatch = db.changesCount
        }
        // A later batch with the same respondent id, or naming it as replaced (deprecatedID), supersedes it.
        if !fresh {
            try db.execute(
                sql: """
                    WITH fresh(rid, keep) AS (
                      SELECT respondent_id, max(id) FROM responses WHERE batch_id = ?1 AND superseded_by IS NULL GROUP BY respondent_id
                      UNION ALL
                      SELECT replaces, max(id) FROM responses WHERE batch_id = ?1 AND superseded_by IS NULL AND replaces IS NOT NULL GROUP BY replaces),
                    best(rid, keep) AS (SELECT rid, max(keep) FROM fresh GROUP BY rid)
                    UPDATE responses SET superseded_by = best.keep FROM best
                    WHERE responses.batch_id != ?1 AND responses.superseded_by IS NULL AND responses.respondent_id = best.rid
                    """,
                arguments: [batchID]
            )
        }
        let superseded = (fresh ? 0 : db.changesCount) + editedInBatch
        let responses =
            try Int.fetchOne(db, sql: "SELECT count(*) FROM responses WHERE batch_id = ?", arguments: [batchID]) ?? 0
        try db.execute(
            sql: """
                UPDATE batches SET records = ?, responses = ?, rejected = ?, duplicates = ?, superseded = ?, status = ? WHERE id = ?
                """,
            arguments: [
                counts.records, responses, counts.rejected, duplicates, superseded,
                counts.rejected > 0 ? "imported_with_rejects" : "imported", batchID,
            ]
        )
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM batches WHERE id = ?", arguments: [batchID]) else {
            throw StoreError.noSuchBatch(batchID)
        }
        // Rows the tallies counted that no longer count: they are dropped.
        let live = duplicates == 0 && superseded == 0 ? (sink as? SQLiteBatchSink)?.live : nil
        return (Self.batchRecord(row), live)
    }

    /// Whether the store has its respondent index (see `writeBatch`: a store whose only batch
    /// repeats no id has none yet).
    static func hasRespondentIndex(_ db: Database) throws -> Bool {
        try Bool.fetchOne(
            db,
            sql: "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'responses_respondent')"
        ) ?? false
    }

    /// Builds the respondent index unless the store has it (inside the caller's write transaction).
    /// SQLite's sorter may use a second thread for it (`PRAGMA threads`): at 1M rows 0.50 -> 0.37 s
    /// in the sqlite3 shell.
    static func ensureRespondentIndex(_ db: Database) throws {
        if try hasRespondentIndex(db) { return }
        try db.execute(sql: "PRAGMA threads = 1")
        defer { try? db.execute(sql: "PRAGMA threads = 0") }
        try db.execute(sql: StoreSchema.respondentIndex)
    }

    /// Whether two responses share a respondent id: the respondent index read in order, each id
    /// compared with the one before, stopping at the first repeat. At 1M rows a few hundredths of a
    /// second, against 0.2 s for the grouping query that marks duplicates, at the end of an import
    /// where one core works alone (1M CSV: 4.55 -> 4.33 s, ABBA, 8 runs each).
    static func hasRepeatedRespondent(_ db: Database) throws -> Bool {
        var previous: [UInt8] = []
        var first = true
        return try firstText(
            db,
            sql: "SELECT respondent_id FROM responses INDEXED BY responses_respondent ORDER BY respondent_id"
        ) { current in
            if !first && current.count == previous.count
                && previous.withUnsafeBufferPointer({ before in
                    guard let a = before.baseAddress, let b = current.baseAddress else { return true }  // both empty
                    return memcmp(a, b, current.count) == 0
                })
            {
                return true
            }
            first = false
            previous.removeAll(keepingCapacity: true)
            previous.append(contentsOf: current)
            return false
        }
    }

    /// Steps `sql` (one text column), lending each row's bytes to `found` until it returns true:
    /// then true, else false at the end. Through SQLite's C API (no String per row).
    static func firstText(_ db: Database, sql: String, where found: (UnsafeBufferPointer<UInt8>) -> Bool) throws -> Bool
    {
        let statement = try db.makeStatement(sql: sql)
        let h = statement.sqliteStatement
        defer { sqlite3_reset(h) }
        while true {
            let rc = sqlite3_step(h)
            if rc == SQLITE_DONE { return false }
            guard rc == SQLITE_ROW else {
                throw DatabaseError(
                    resultCode: ResultCode(rawValue: rc),
                    message: String(cString: sqlite3_errmsg(db.sqliteConnection))
                )
            }
            let n = Int(sqlite3_column_bytes(h, 0))
            let p = sqlite3_column_text(h, 0)
            if found(UnsafeBufferPointer(start: p, count: p == nil ? 0 : n)) { return true }
        }
    }

    public func rollback(batch id: Int64) throws -> BatchRecord {
        try db.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM batches WHERE id = ?", arguments: [id]) else {
                throw StoreError.noSuchBatch(id)
            }
            // ON DELETE CASCADE removes what the batch brought; ON DELETE SET NULL on superseded_by
            // makes the submissions it had replaced count again.
            try db.execute(sql: "DELETE FROM batches WHERE id = ?", arguments: [id])
            return Self.batchRecord(row)
        }
    }

    /// Rows of the rejects table, for the rejects file and tests.
    public func rejects() throws -> [RejectedRecord] {
        try db.read { db in
            try Row.fetchAll(db, sql: "SELECT file, line, reason, raw_values FROM rejects ORDER BY batch_id, line")
                .map { row in
                    let raw: String = row["raw_values"]
                    let values = (try? JSONDecoder().decode([String].self, from: Data(raw.utf8))) ?? [raw]
                    return RejectedRecord(
                        location: SourceLocation(file: row["file"], line: row["line"]),
                        reason: row["reason"],
                        values: values
                    )
                }
        }
    }

    /// Counts of active and superseded responses.
    public func responseCounts() throws -> (active: Int, superseded: Int) {
        try db.read { db in
            let a = try Int.fetchOne(db, sql: "SELECT count(*) FROM responses WHERE superseded_by IS NULL") ?? 0
            let s = try Int.fetchOne(db, sql: "SELECT count(*) FROM responses WHERE superseded_by IS NOT NULL") ?? 0
            return (a, s)
        }
    }

    /// Respondent ids in the order they were stored (the files' order), for audits.
    public func respondentIDs() throws -> [String] {
        try db.read { db in try String.fetchAll(db, sql: "SELECT respondent_id FROM responses ORDER BY id") }
    }

    /// Runs `PRAGMA integrity_check`; "ok" when the file is sound.
    public func integrityCheck() throws -> String {
        try db.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") ?? "" }
    }
}

/// Writes one batch's rows with cached prepared statements, inside the import transaction: per
/// response one row with its packed answers, and one with its raw record and open texts.
struct SQLiteBatchSink: BatchSink {
    let db: Database
    let batchID: Int64
    let insertResponse: Statement
    let insertRecord: Statement
    let insertAnswer: Statement
    /// The same inserts for `rowsPerInsert` rows at once (one statement step for that many rows),
    /// OR FAIL: a failing row stops the statement without undoing the rows before it, so SQLite
    /// keeps no statement journal for them (the batch's transaction is rolled back whole on any
    /// error anyway). With foreign keys off for the import, that took the 100k-row import from
    /// 53,527 writes to 3,446, and the 1M-row run from 5.72 to 5.54 s (medians of 4 alternating
    /// runs; 100k rows: instructions −7.8%, cycles −6.8%).
    let insertResponses: Statement
    let insertRecords: Statement
    /// The id the next response gets. The batch's transaction holds the write lock, so ids are
    /// known here, as SQLite gives them (one past the largest), and a response's record row needs
    /// no look-up of the id just inserted. The response rows leave their id to SQLite (an id bound
    /// made SQLite seek for it per row: 100k run instructions −1.4%, cycles −1.4%), and `writeBatch`
    /// checks that the two agree.
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

    func makePacker() -> ResponsePacker { packer }

    mutating func add(_ r: Response) throws {
        var chunk = PackedChunk()
        packer.pack(r, into: &chunk)
        try add(&chunk)
    }

    mutating func register(questions: [String], options: [(question: String, option: String)], codes: [String]) throws {
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

    mutating func add(_ chunk: inout PackedChunk) throws { try add(&chunk, raw: nil) }

    mutating func add(_ chunk: inout PackedChunk, raw: RawRecords) throws {
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

    mutating func reject(_ record: RejectedRecord) throws {
        try db.execute(
            sql: "INSERT INTO rejects (batch_id, file, line, reason, raw_values) VALUES (?, ?, ?, ?, ?)",
            arguments: [
                batchID, record.location.file, record.location.line, record.reason, RawJSON.encode(record.values),
            ]
        )
    }

    mutating func record(_ d: Diagnostic) throws {
        try db.execute(
            sql:
                "INSERT INTO diagnostics (batch_id, severity, file, line, col, message, expected) VALUES (?, ?, ?, ?, ?, ?, ?)",
            arguments: [
                batchID, d.severity.rawValue, d.location?.file, d.location?.line, d.location?.column, d.message,
                d.expected,
            ]
        )
    }

    mutating func setDigest(_ sha256: String, size: Int64) throws {
        try db.execute(sql: "UPDATE batches SET sha256 = ?, size = ? WHERE id = ?", arguments: [sha256, size, batchID])
    }
}

/// A JSON array of strings, written byte by byte: JSONEncoder, then a String-appending version,
/// were each a fifth of import time in profiles. A rejected row's fields are kept so; raw records
/// were, before `RawFields`.
enum RawJSON {
    static func encode(_ values: [String]) -> String {
        var out: [UInt8] = []
        write(FieldRow(values), to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the JSON array's UTF-8 bytes to `out` (when raw records were JSON, a chunk's whole
    /// arena, left to grow geometrically: reserving exactly what each record needs made it
    /// reallocate more often).
    ///
    /// A record whose longest possible JSON (every byte a six-byte escape) fits `scratchLimit` is
    /// written into `scratch` (kept by the caller, grown to the largest such record) and copied
    /// onto `out`. A larger one has its exact length counted first (`baraza_json_array_length`),
    /// `out` grows by that much, and it is written in place: so one huge field never needs six
    /// times its size. Counting (90 ns for a reference-workload record) and growing `out` by zeros
    /// to write over were 2–3% of a coding worker's samples; through the scratch buffer and a copy,
    /// with the one-pass writer, the 100k-row import ran 2.9% fewer instructions, 3.6% fewer cycles.
    static func write(_ row: FieldView, to out: inout [UInt8], scratch: inout [UInt8], scratchLimit: Int = 1 << 20) {
        let empty: UInt8 = 0
        withUnsafePointer(to: empty) { nothing in
            let p = row.bytes
            let ends = row.ends
            let bytes = p.baseAddress ?? nothing
            let worst = 6 * p.count + 3 * ends.count + 2 + 16
            if worst <= scratchLimit {
                if scratch.count < worst { scratch = [UInt8](repeating: 0, count: max(worst, 2 * scratch.count)) }
                scratch.withUnsafeMutableBufferPointer { s in
                    guard let base = s.baseAddress else { return }
                    let written = baraza_json_array(bytes, ends.baseAddress, ends.count, base)
                    out.append(contentsOf: UnsafeBufferPointer(start: base, count: written))
                }
                return
            }
            let length = baraza_json_array_length(bytes, ends.baseAddress, ends.count)
            let start = out.count
            out.append(contentsOf: repeatElement(0, count: length + 16))
            let written = out.withUnsafeMutableBufferPointer { o in
                o.baseAddress.map { baraza_json_array(bytes, ends.baseAddress, ends.count, $0 + start) } ?? 0
            }
            precondition(written == length, "JSON length counted \(length), written \(written)")
            out.removeLast(16)
        }
    }

    static func write(_ row: FieldRow, to out: inout [UInt8], scratch: inout [UInt8], scratchLimit: Int = 1 << 20) {
        row.withView { write($0, to: &out, scratch: &scratch, scratchLimit: scratchLimit) }
    }

    /// `write` with a scratch buffer of its own.
    static func write(_ row: FieldRow, to out: inout [UInt8], scratchLimit: Int = 1 << 20) {
        var scratch: [UInt8] = []
        row.withView { write($0, to: &out, scratch: &scratch, scratchLimit: scratchLimit) }
    }
}

/// A prepared statement bound and stepped through SQLite's C API. Spans bind bytes of `arena`
/// without a copy (SQLITE_STATIC: the arena outlives the step, which resets the statement).
struct RawStatement {
    let handle: OpaquePointer
    let arena: UnsafeBufferPointer<UInt8>
    init(_ handle: OpaquePointer, arena: UnsafeBufferPointer<UInt8>) {
        self.handle = handle
        self.arena = arena
    }

    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    func bind(_ i: Int32, _ v: Int64) { sqlite3_bind_int64(handle, i, v) }
    func bind(_ i: Int32, _ v: Double?) {
        if let v { sqlite3_bind_double(handle, i, v) } else { sqlite3_bind_null(handle, i) }
    }
    /// Binds the span's bytes as TEXT (NULL for a null span).
    func bindText(_ i: Int32, _ span: PackedChunk.Span) {
        guard span.count >= 0 else {
            sqlite3_bind_null(handle, i)
            return
        }
        guard span.count > 0, let base = arena.baseAddress else {
            sqlite3_bind_text(handle, i, "", 0, Self.transient)  // an empty string, not NULL
            return
        }
        precondition(span.start + span.count <= arena.count)
        UnsafeRawPointer(base + span.start)
            .withMemoryRebound(to: CChar.self, capacity: span.count) {
                _ = sqlite3_bind_text(handle, i, $0, Int32(span.count), nil)
            }
    }
    /// Binds bytes that outlive the step (another arena's) as a BLOB, or NULL when there are none.
    func bindBlob(_ i: Int32, _ bytes: UnsafeBufferPointer<UInt8>) {
        guard let base = bytes.baseAddress, bytes.count > 0 else {
            sqlite3_bind_null(handle, i)
            return
        }
        sqlite3_bind_blob(handle, i, UnsafeRawPointer(base), Int32(bytes.count), nil)
    }
    /// Binds the span's bytes as a BLOB, or NULL for a null or empty span.
    func bindBlob(_ i: Int32, _ span: PackedChunk.Span) {
        guard span.count > 0, let base = arena.baseAddress else {
            sqlite3_bind_null(handle, i)
            return
        }
        precondition(span.start + span.count <= arena.count)
        sqlite3_bind_blob(handle, i, UnsafeRawPointer(base + span.start), Int32(span.count), nil)
    }
    func clearBindings() { sqlite3_clear_bindings(handle) }
    /// Steps and resets the statement; its bindings stay until `clearBindings`.
    func step(_ db: Database) throws {
        let rc = sqlite3_step(handle)
        sqlite3_reset(handle)
        guard rc == SQLITE_DONE else {
            throw DatabaseError(
                resultCode: ResultCode(rawValue: rc),
                message: String(cString: sqlite3_errmsg(db.sqliteConnection))
            )
        }
    }
}

/// Starts the write-back of the store's dirty pages while a batch is written, a quarter second at
/// a time, on a thread of its own (`sync_file_range`, asynchronous): otherwise the kernel writes
/// the whole store back only at the commit's `fdatasync`, 2 GB after a 1M-row import, on the
/// import's one thread at its end.
final class EarlyWriteback: @unchecked Sendable {
    private let condition = NSCondition()
    private var stopped = false
    private var done = false

    init(path: String) {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            done = true
            return
        }
        let thread = Thread { [self] in
            condition.lock()
            while !stopped {
                condition.unlock()
                _ = baraza_start_writeback(fd)
                condition.lock()
                if !stopped { _ = condition.wait(until: Date().addingTimeInterval(0.25)) }
            }
            close(fd)
            done = true
            condition.broadcast()
            condition.unlock()
        }
        thread.stackSize = 1 << 18
        thread.start()
    }

    /// Stops it and waits for its thread to finish, two seconds at most: on a congested disk a
    /// write-back call can block for a minute, and the import must not wait behind it (the thread
    /// then closes its descriptor when the call returns).
    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        let deadline = Date().addingTimeInterval(2)
        while !done && condition.wait(until: deadline) {}
        condition.unlock()
    }
}
