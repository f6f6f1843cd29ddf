import BarazaModel
import Foundation
import GRDB

/// The SQLite store, through GRDB: one file per consultation.
///
/// Every batch is written in one transaction, so a run killed mid-import leaves the store as it
/// was before that batch (SQLite's journal rolls the partial write back on the next open).
public final class SQLiteStore: ConsultationStore {
    public let path: String
    let db: DatabaseQueue

    public init(path: String) throws(StoreError) {
        self.path = path
        do {
            var config = Configuration()
            config.foreignKeysEnabled = true
            config.busyMode = .timeout(10)
            config.prepareDatabase { db in
                try db.execute(sql: "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL")
            }
            db = try DatabaseQueue(path: path, configuration: config)
            try StoreSchema.migrator.migrate(db)
        } catch {
            throw .cannotOpen(path: path, reason: "\(error)")
        }
    }

    /// The migrations already applied, oldest first.
    public func appliedMigrations() throws -> [String] {
        try db.read { db in try StoreSchema.migrator.appliedMigrations(db) }
    }

    static func batchRecord(_ row: Row) -> BatchRecord {
        BatchRecord(id: row["id"], path: row["path"], size: row["size"], sha256: row["sha256"], format: row["format"],
                    importedAt: row["imported_at"], records: row["records"], responses: row["responses"], rejected: row["rejected"],
                    duplicates: row["duplicates"], superseded: row["superseded"], status: row["status"])
    }

    public func batch(sha256: String) throws -> BatchRecord? {
        try db.read { db in try Row.fetchOne(db, sql: "SELECT * FROM batches WHERE sha256 = ?", arguments: [sha256]).map(Self.batchRecord) }
    }

    public func batches() throws -> [BatchRecord] {
        try db.read { db in try Row.fetchAll(db, sql: "SELECT * FROM batches ORDER BY id").map(Self.batchRecord) }
    }

    public func importBatch(_ input: BatchInput, _ body: (inout any BatchSink) throws -> BatchCounts) throws -> BatchRecord {
        try db.write { db in
            try db.execute(sql: """
                INSERT INTO batches (path, size, sha256, format, imported_at, wave, country, status) VALUES (?, ?, ?, ?, ?, ?, ?, 'importing')
                """, arguments: [input.path, input.size, input.sha256, input.format, input.importedAt, input.wave, input.country])
            let batchID = db.lastInsertedRowID
            var sink: any BatchSink = try SQLiteBatchSink(db: db, batchID: batchID)
            let counts = try body(&sink)
            for (q, labels) in counts.unknownLabels {
                for (raw, n) in labels {
                    try db.execute(sql: "INSERT INTO unknown_labels (batch_id, question, raw, count) VALUES (?, ?, ?, ?)", arguments: [batchID, q, raw, n])
                }
            }
            for (raw, n) in counts.unmappedGroups {
                try db.execute(sql: "INSERT INTO unmapped_groups (batch_id, raw, count) VALUES (?, ?, ?)", arguments: [batchID, raw, n])
            }
            // Within the batch, the last record with a respondent id wins; earlier ones are duplicates.
            try db.execute(sql: """
                UPDATE responses SET superseded_by = (SELECT max(n.id) FROM responses n WHERE n.batch_id = ?1 AND n.respondent_id = responses.respondent_id)
                WHERE batch_id = ?1 AND id < (SELECT max(n.id) FROM responses n WHERE n.batch_id = ?1 AND n.respondent_id = responses.respondent_id)
                """, arguments: [batchID])
            let duplicates = db.changesCount
            // A later batch with the same respondent id, or naming it as replaced (deprecatedID), supersedes it.
            try db.execute(sql: """
                UPDATE responses SET superseded_by = (
                    SELECT max(n.id) FROM responses n WHERE n.batch_id = ?1 AND n.superseded_by IS NULL
                      AND (n.respondent_id = responses.respondent_id OR n.replaces = responses.respondent_id))
                WHERE batch_id != ?1 AND superseded_by IS NULL AND respondent_id IN (
                    SELECT respondent_id FROM responses WHERE batch_id = ?1
                    UNION SELECT replaces FROM responses WHERE batch_id = ?1 AND replaces IS NOT NULL)
                """, arguments: [batchID])
            let superseded = db.changesCount
            let responses = try Int.fetchOne(db, sql: "SELECT count(*) FROM responses WHERE batch_id = ?", arguments: [batchID]) ?? 0
            try db.execute(sql: """
                UPDATE batches SET records = ?, responses = ?, rejected = ?, duplicates = ?, superseded = ?, status = ? WHERE id = ?
                """, arguments: [counts.records, responses, counts.rejected, duplicates, superseded,
                                 counts.rejected > 0 ? "imported_with_rejects" : "imported", batchID])
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM batches WHERE id = ?", arguments: [batchID]) else {
                throw StoreError.noSuchBatch(batchID)
            }
            return Self.batchRecord(row)
        }
    }

    public func rollback(batch id: Int64) throws -> BatchRecord {
        try db.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM batches WHERE id = ?", arguments: [id]) else { throw StoreError.noSuchBatch(id) }
            // ON DELETE CASCADE removes what the batch brought; ON DELETE SET NULL on superseded_by
            // makes the submissions it had replaced count again.
            try db.execute(sql: "DELETE FROM batches WHERE id = ?", arguments: [id])
            return Self.batchRecord(row)
        }
    }

    /// Rows of the rejects table, for the rejects file and tests.
    public func rejects() throws -> [RejectedRecord] {
        try db.read { db in
            try Row.fetchAll(db, sql: "SELECT file, line, reason, raw_values FROM rejects ORDER BY batch_id, line").map { row in
                let raw: String = row["raw_values"]
                let values = (try? JSONDecoder().decode([String].self, from: Data(raw.utf8))) ?? [raw]
                return RejectedRecord(location: SourceLocation(file: row["file"], line: row["line"]), reason: row["reason"], values: values)
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

    /// Runs `PRAGMA integrity_check`; "ok" when the file is sound.
    public func integrityCheck() throws -> String {
        try db.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") ?? "" }
    }

    /// One response with its answers and code assignments, for `explain`.
    public func explain(respondentID: String) throws -> [(question: String, text: String, code: String, rule: String, span: Range<Int>)] {
        try db.read { db in
            try Row.fetchAll(db, sql: """
                SELECT t.question, t.text, c.code, c.rule, c.span_start, c.span_end FROM responses r
                JOIN texts t ON t.response_id = r.id LEFT JOIN codes c ON c.response_id = r.id AND c.question = t.question
                WHERE r.respondent_id = ?1 AND r.superseded_by IS NULL
                  AND NOT EXISTS (SELECT 1 FROM person_codes p WHERE p.respondent_id = ?1 AND p.question = t.question)
                UNION ALL
                SELECT t.question, t.text, p.code, 'coded by ' || coalesce(p.coder, 'a person'), 0, 0 FROM responses r
                JOIN texts t ON t.response_id = r.id JOIN person_codes p ON p.respondent_id = r.respondent_id AND p.question = t.question
                WHERE r.respondent_id = ?1 AND r.superseded_by IS NULL
                ORDER BY 1, 3
                """, arguments: [respondentID]).map { row in
                let s: Int = row["span_start"] ?? 0, e: Int = row["span_end"] ?? 0
                return (row["question"], row["text"], row["code"] ?? "", row["rule"] ?? "", s..<max(s, e))
            }
        }
    }
}

/// Writes one batch's rows with cached prepared statements, inside the import transaction.
struct SQLiteBatchSink: BatchSink {
    let db: Database
    let batchID: Int64
    let insertResponse: Statement
    let insertAnswer: Statement
    let insertChoice: Statement
    let insertText: Statement
    let insertCode: Statement

    init(db: Database, batchID: Int64) throws {
        self.db = db
        self.batchID = batchID
        insertResponse = try db.cachedStatement(sql: """
            INSERT INTO responses (batch_id, respondent_id, replaces, source_file, source_line, grp, raw_group, country, wave, submitted_at, weight)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        insertAnswer = try db.cachedStatement(sql: "INSERT INTO answers (response_id, question, value, missing, raw) VALUES (?, ?, ?, ?, ?)")
        insertChoice = try db.cachedStatement(sql: "INSERT INTO choices (response_id, question, option, missing) VALUES (?, ?, ?, ?)")
        insertText = try db.cachedStatement(sql: "INSERT INTO texts (response_id, question, text) VALUES (?, ?, ?)")
        insertCode = try db.cachedStatement(sql: "INSERT INTO codes (response_id, question, code, rule, span_start, span_end, source) VALUES (?, ?, ?, ?, ?, ?, ?)")
    }

    mutating func add(_ r: Response) throws {
        try insertResponse.execute(arguments: [batchID, r.respondentID, r.replaces, r.location.file, r.location.line, r.group, r.rawGroup,
                                               r.country, r.wave, r.submittedAt?.timeIntervalSince1970, r.weight ?? 1])
        let rid = db.lastInsertedRowID
        for a in r.answers {
            let missing: String? = a.value != nil ? nil : (a.missing?.rawValue ?? "unrecognised")
            try insertAnswer.execute(arguments: [rid, a.question, a.value, missing, a.raw])
        }
        for c in r.choices {
            if c.options.isEmpty {
                try insertChoice.execute(arguments: [rid, c.question, nil as String?, c.missing?.rawValue])
            }
            for o in c.options { try insertChoice.execute(arguments: [rid, c.question, o, nil as String?]) }
            // "Other (specify)" text is kept as an open answer of its own, so it reaches the review queue.
            if let other = c.other { try insertText.execute(arguments: [rid, c.question + ".other", other]) }
        }
        for t in r.texts {
            try insertText.execute(arguments: [rid, t.question, t.text])
            for c in t.codes {
                try insertCode.execute(arguments: [rid, c.question, c.code, c.rule, c.spanStart, c.spanEnd, c.source])
            }
        }
    }

    mutating func reject(_ record: RejectedRecord) throws {
        let json = String(decoding: (try? JSONEncoder().encode(record.values)) ?? Data("[]".utf8), as: UTF8.self)
        try db.execute(sql: "INSERT INTO rejects (batch_id, file, line, reason, raw_values) VALUES (?, ?, ?, ?, ?)",
                       arguments: [batchID, record.location.file, record.location.line, record.reason, json])
    }

    mutating func record(_ d: Diagnostic) throws {
        try db.execute(sql: "INSERT INTO diagnostics (batch_id, severity, file, line, col, message, expected) VALUES (?, ?, ?, ?, ?, ?, ?)",
                       arguments: [batchID, d.severity.rawValue, d.location?.file, d.location?.line, d.location?.column, d.message, d.expected])
    }
}
