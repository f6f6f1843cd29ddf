import BarazaModel
import GRDB

/// An open answer with the codes that count for it, for `explain`, review and agreement.
public struct StoredTextAnswer: Sendable, Hashable {
    public var respondentID: String
    public var question: String
    public var text: String
    public var codes: [String]
    /// Who coded it, when a person's codes replaced the rules'.
    public var coder: String?
    public var byPerson: Bool
}

extension SQLiteStore {
    /// Stores a person's codes; they replace the rules' codes for those answers in every figure.
    /// A person's rows for an answer replace any earlier person's rows for it. Rows naming no
    /// stored open answer are returned as unknown, not stored.
    public func importPersonCodes(_ rows: [(respondentID: String, question: String, code: String)], coder: String?)
        throws -> (stored: Int, unknown: [(respondentID: String, question: String)])
    {
        try db.write { db in
            var stored = 0
            var unknown: [(String, String)] = []
            var cleared: Set<String> = []
            let texts = try StoredTexts(db, registry: try Registry.load(db))
            // A look-up by respondent id per row: the index, if the store's first batch left it unbuilt.
            if !rows.isEmpty { try Self.ensureRespondentIndex(db) }
            let responsesOf = try db.cachedStatement(sql: "SELECT id FROM responses WHERE respondent_id = ?")
            for row in rows {
                let known = try Int64.fetchAll(responsesOf, arguments: [row.respondentID])
                    .contains { rid in try texts.text(responseID: rid, question: row.question) != nil }
                guard known else {
                    unknown.append((row.respondentID, row.question))
                    continue
                }
                let key = row.respondentID + "\u{1}" + row.question
                if !cleared.contains(key) {
                    try db.execute(
                        sql: "DELETE FROM person_codes WHERE respondent_id = ? AND question = ?",
                        arguments: [row.respondentID, row.question]
                    )
                    cleared.insert(key)
                }
                try db.execute(
                    sql:
                        "INSERT OR IGNORE INTO person_codes (respondent_id, question, code, coder) VALUES (?, ?, ?, ?)",
                    arguments: [row.respondentID, row.question, row.code, coder]
                )
                stored += 1
            }
            return (stored, unknown)
        }
    }

    /// Every active open answer with the codes that count for it (a person's replace the rules').
    /// `respondentID` limits it to one respondent.
    public func textAnswers(respondentID: String? = nil) throws -> [StoredTextAnswer] {
        try db.read { db in
            let registry = try Registry.load(db)
            let coders = Dictionary(
                try Row.fetchAll(
                    db,
                    sql: "SELECT respondent_id || char(1) || question, max(coder) FROM person_codes GROUP BY 1"
                )
                .map { ($0[0] as String, $0[1] as String?) },
                uniquingKeysWith: { a, _ in a }
            )
            let wanted = try Self.codedAnswers(db, registry: registry, respondentID: respondentID)
                .map { ($0.responseID, $0.respondentID, $0.question, $0.codes.sorted()) }
            let texts = try StoredTexts(db, registry: registry)
            return try wanted.map { rid, respondent, q, codes in
                let key = respondent + "\u{1}" + q
                let text = try texts.text(responseID: rid, question: q) ?? ""
                return StoredTextAnswer(
                    respondentID: respondent,
                    question: q,
                    text: text,
                    codes: codes,
                    coder: coders[key] ?? nil,
                    byPerson: coders.keys.contains(key)
                )
            }
        }
    }

    /// Open answers no code counts for and no person has reviewed: the review queue.
    public func reviewQueue() throws -> [(respondentID: String, question: String, text: String)] {
        try textAnswers().filter { $0.codes.isEmpty && !$0.byPerson }
            .sorted { ($0.respondentID, $0.question) < ($1.respondentID, $1.question) }
            .map { ($0.respondentID, $0.question, $0.text) }
    }

    /// Every code that counts, as `respondent id, question, code` (for `agreement` and audits).
    public func effectiveCodeRows() throws -> [(respondentID: String, question: String, code: String)] {
        try textAnswers().flatMap { t in t.codes.map { (t.respondentID, t.question, $0) } }
            .sorted { ($0.0, $0.1, $0.2) < ($1.0, $1.1, $1.2) }
    }
}
