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
                // appended again and again (a large import took far longer in WAL mode). FULL sync
                // makes the commit durable across power loss, at the cost of a few fsyncs per batch.
                // 64 KiB pages for a new store (an existing one keeps its own): a raw record is a
                // kilobyte or two, and small pages meant many more page writes.
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
        try importPacked(input) { sink in
            var domain: any BatchSink = sink
            let counts = try body(&domain)
            guard let written = domain as? SQLiteBatchSink else {
                throw StoreError.database("the import of \(input.path) replaced the store's batch sink")
            }
            sink = written
            return counts
        }
    }

    /// `importBatch` with the SQLite sink itself, for the import's packed fast path.
    package func importPacked(_ input: BatchInput, _ body: (inout SQLiteBatchSink) throws -> BatchCounts) throws
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
    private func writeBatch(_ db: Database, _ input: BatchInput, _ body: (inout SQLiteBatchSink) throws -> BatchCounts)
        throws -> (BatchRecord, [(request: AggregateRequest, scan: AggregateScan)]?)
    {
        let tallies = try liveStart(db)
        let batchID = try Self.insertBatch(db, input)
        // Into an empty store the batch is written without the respondent index, and the index is
        // built only if the batch repeats an id (found by `RepeatFilter` as the rows are written):
        // otherwise nothing in the batch needs it, and the first later write that does (another
        // batch, a review import) builds it (`ensureRespondentIndex`). Built after the rows rather
        // than kept up to date row by row: random ids touch a different page per insert, and once
        // the index outgrows the page cache every insert reads one back.
        let fresh = try Bool.fetchOne(db, sql: "SELECT NOT EXISTS (SELECT 1 FROM responses)") ?? false
        if try fresh && Self.hasRespondentIndex(db) { try db.execute(sql: "DROP INDEX responses_respondent") }
        let filter =
            repeatFilterLimits.map { RepeatFilter(expectedIDs: 0, blocks: $0.blocks, candidateLimit: $0.candidates) }
            ?? RepeatFilter(expectedIDs: Int(clamping: input.size / 256))
        var sink = try SQLiteBatchSink(db: db, batchID: batchID, repeatFilter: fresh ? filter : nil, live: tallies)
        let counts = try body(&sink)
        try Self.checkIDsInStep(db, sink, path: input.path)
        try Self.insertUnmatched(db, batchID, counts)
        let (duplicates, superseded) = try Self.supersede(db, batchID, fresh: fresh, sink: sink)
        let responses =
            try Int.fetchOne(db, sql: "SELECT count(*) FROM responses WHERE batch_id = ?", arguments: [batchID]) ?? 0
        try db.execute(
            sql: """
                UPDATE batches SET records = ?, responses = ?, rejected = ?, duplicates = ?, superseded = ?, status = ?
                WHERE id = ?
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
        let live = duplicates == 0 && superseded == 0 ? sink.live : nil
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
    /// SQLite's sorter may use a second thread for it (`PRAGMA threads`).
    static func ensureRespondentIndex(_ db: Database) throws {
        if try hasRespondentIndex(db) { return }
        try db.execute(sql: "PRAGMA threads = 1")
        defer { try? db.execute(sql: "PRAGMA threads = 0") }
        try db.execute(sql: StoreSchema.respondentIndex)
    }

    /// Whether two responses share a respondent id: the respondent index read in order, each id
    /// compared with the one before, stopping at the first repeat: much cheaper than the grouping
    /// query that marks duplicates, at the end of an import where one core works alone.
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
