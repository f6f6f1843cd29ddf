import BarazaModel
import Foundation
import GRDB

/// The ledger's rules for one batch, as steps of `writeBatch`: the batch row, the counts of what
/// matched nothing, and which responses the batch supersedes.
extension SQLiteStore {
    /// The batch's row (status `importing` until its counts are written) and its files; its id.
    static func insertBatch(_ db: Database, _ input: BatchInput) throws -> Int64 {
        try db.execute(
            sql: """
                INSERT INTO batches (path, size, sha256, format, imported_at, wave, country, status)
                VALUES (?, ?, ?, ?, ?, ?, ?, 'importing')
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
        return batchID
    }

    /// The ids SQLite gave the responses (and the records, when in step) are the ones the sink counted.
    static func checkIDsInStep(_ db: Database, _ sink: SQLiteBatchSink, path: String) throws {
        let last = try Row.fetchOne(
            db,
            sql:
                "SELECT (SELECT coalesce(max(id), 0) FROM responses), (SELECT coalesce(max(response_id), 0) FROM records)"
        )
        let responses: Int64? = last?[0]
        let records: Int64? = last?[1]
        guard responses == sink.nextID - 1, !sink.recordsInStep || records == sink.nextID - 1 else {
            throw StoreError.database("response ids out of step with their records in \(path)")
        }
    }

    /// Labels no scale point matched and group values no group matched, with their counts.
    static func insertUnmatched(_ db: Database, _ batchID: Int64, _ counts: BatchCounts) throws {
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
    }

    /// Marks the batch's duplicates (an earlier record of a respondent in the same batch), its own
    /// edits, and the earlier batches' responses it supersedes; returns (duplicates, superseded).
    static func supersede(_ db: Database, _ batchID: Int64, fresh: Bool, sink: SQLiteBatchSink) throws -> (
        duplicates: Int, superseded: Int
    ) {
        // Whether the batch repeats an id: into an empty store, from the filter (nil when it could
        // not tell: then from the index, read in order); else assumed (the grouping query finds out).
        var repeats = true
        if fresh, let known = try sink.repeatFilter.flatMap({ try $0.repeats(db) }) {
            repeats = known
        } else if fresh {
            try Self.ensureRespondentIndex(db)
            repeats = try Self.hasRepeatedRespondent(db)
        }
        if !fresh || repeats { try Self.ensureRespondentIndex(db) }
        // Within the batch, the last record with a respondent id wins; earlier ones are duplicates.
        // (UPDATE … FROM over a grouped table: a correlated subquery here went quadratic.)
        // Into an empty store every row is this batch's, so the filter is dropped and the
        // grouping reads the respondent index alone, in half the time.
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
        if sink.sawReplaces {
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
        return (duplicates, (fresh ? 0 : db.changesCount) + editedInBatch)
    }
}
