import BarazaModel
import GRDB

extension SQLiteStore {
    /// Stores a person's codes; they replace the rules' codes for those answers in every figure.
    /// A person's rows for an answer replace any earlier person's rows for it. Rows naming no
    /// stored open answer are returned as unknown, not stored.
    public func importPersonCodes(_ rows: [(respondentID: String, question: String, code: String)], coder: String?) throws
        -> (stored: Int, unknown: [(respondentID: String, question: String)]) {
        try db.write { db in
            var stored = 0
            var unknown: [(String, String)] = []
            var cleared: Set<String> = []
            for row in rows {
                let known = try Bool.fetchOne(db, sql: """
                    SELECT 1 FROM texts t JOIN responses r ON r.id = t.response_id WHERE r.respondent_id = ? AND t.question = ? LIMIT 1
                    """, arguments: [row.respondentID, row.question]) != nil
                guard known else { unknown.append((row.respondentID, row.question)); continue }
                let key = row.respondentID + "\u{1}" + row.question
                if !cleared.contains(key) {
                    try db.execute(sql: "DELETE FROM person_codes WHERE respondent_id = ? AND question = ?", arguments: [row.respondentID, row.question])
                    cleared.insert(key)
                }
                try db.execute(sql: "INSERT OR IGNORE INTO person_codes (respondent_id, question, code, coder) VALUES (?, ?, ?, ?)",
                               arguments: [row.respondentID, row.question, row.code, coder])
                stored += 1
            }
            return (stored, unknown)
        }
    }

    /// Open answers no code counts for (neither a rule's nor a person's): the review queue.
    public func reviewQueue() throws -> [(respondentID: String, question: String, text: String)] {
        try db.read { db in
            try Row.fetchAll(db, sql: Self.effectiveCodes + """
                SELECT r.respondent_id, t.question, t.text FROM texts t JOIN responses r ON r.id = t.response_id
                WHERE r.superseded_by IS NULL
                  AND NOT EXISTS (SELECT 1 FROM eff e WHERE e.response_id = t.response_id AND e.question = t.question)
                  AND NOT EXISTS (SELECT 1 FROM person_codes p WHERE p.respondent_id = r.respondent_id AND p.question = t.question)
                ORDER BY r.respondent_id, t.question
                """).map { ($0[0], $0[1], $0[2]) }
        }
    }

    /// Every code that counts, as `respondent id, question, code` (for `agreement` and audits).
    public func effectiveCodeRows() throws -> [(respondentID: String, question: String, code: String)] {
        try db.read { db in
            try Row.fetchAll(db, sql: Self.effectiveCodes + """
                SELECT r.respondent_id, e.question, e.code FROM eff e JOIN responses r ON r.id = e.response_id
                WHERE r.superseded_by IS NULL ORDER BY 1, 2, 3
                """).map { ($0[0], $0[1], $0[2]) }
        }
    }
}
