import BarazaModel
import GRDB

extension SQLiteStore {
    /// The codes that count: a person's codes for an answer replace the rules' codes for it (a
    /// person's row with an empty code marks the answer reviewed with no code).
    static let effectiveCodes = """
        WITH eff(response_id, question, code) AS (
          SELECT c.response_id, c.question, c.code FROM codes c JOIN responses r0 ON r0.id = c.response_id
          WHERE NOT EXISTS (SELECT 1 FROM person_codes p WHERE p.respondent_id = r0.respondent_id AND p.question = c.question)
          UNION
          SELECT t.response_id, p.question, p.code FROM person_codes p JOIN responses r0 ON r0.respondent_id = p.respondent_id
          JOIN texts t ON t.response_id = r0.id AND t.question = p.question
          WHERE p.code != '')

        """
    /// Builds the frequency tables analysis needs with GROUP BY queries over active responses
    /// (not superseded), so the result's size depends on the number of cells, not respondents.
    public func aggregate(by dimensions: [String], themes: [String: [String]], quotesPerCode: Int = 3) throws -> AggregatedData {
        let withCountry = dimensions.contains("country")
        let withWave = dimensions.contains("wave")
        let cellSQL = "r.grp, \(withCountry ? "r.country" : "NULL"), \(withWave ? "r.wave" : "NULL")"
        func cell(_ row: Row) -> CellKey {
            CellKey(group: row[0], country: row[1], wave: row[2])
        }
        return try db.read { db in
            var data = AggregatedData()
            // Respondents per cell.
            for row in try Row.fetchAll(db, sql: """
                SELECT \(cellSQL), count(*), sum(r.weight), sum(r.weight * r.weight) FROM responses r
                WHERE r.superseded_by IS NULL GROUP BY 1, 2, 3
                """) {
                data.respondents[cell(row)] = WeightedCount(count: row[3], weight: row[4], weightSquared: row[5])
            }
            // Closed items.
            for row in try Row.fetchAll(db, sql: """
                SELECT \(cellSQL), a.question, a.value, a.missing, count(*), sum(r.weight), sum(r.weight * r.weight)
                FROM answers a JOIN responses r ON r.id = a.response_id
                WHERE r.superseded_by IS NULL GROUP BY 1, 2, 3, 4, 5, 6
                """) {
                let q: String = row[3]
                var counts = data.items[q, default: [:]][cell(row), default: ValueCounts()]
                let n: Int = row[6]
                if let v: Double = row[4] {
                    counts.values[v, default: WeightedCount()].add(WeightedCount(count: n, weight: row[7], weightSquared: row[8]))
                } else if let m: String = row[5], let kind = MissingKind(rawValue: m) {
                    counts.missing[kind, default: 0] += n
                } else {
                    counts.unrecognised += n
                }
                data.items[q, default: [:]][cell(row)] = counts
            }
            // Theme scores: per respondent, the mean of the theme's answered items when at least
            // half of the items asked of that respondent were answered.
            let pairs = themes.sorted { $0.key < $1.key }.flatMap { t in t.value.map { (t.key, $0) } }
            if !pairs.isEmpty {
                let values = Array(repeating: "(?, ?)", count: pairs.count).joined(separator: ", ")
                var args: [DatabaseValueConvertible] = []
                for (t, q) in pairs { args.append(q); args.append(t) }
                for row in try Row.fetchAll(db, sql: """
                    WITH qt(question, theme) AS (VALUES \(values)),
                    s AS (
                      SELECT a.response_id, qt.theme, avg(a.value) AS score, count(a.value) AS answered, count(*) AS asked
                      FROM answers a JOIN qt ON qt.question = a.question GROUP BY a.response_id, qt.theme)
                    SELECT \(cellSQL), s.theme, CASE WHEN 2 * s.answered >= s.asked AND s.answered > 0 THEN round(s.score, 9) END,
                           count(*), sum(r.weight), sum(r.weight * r.weight)
                    FROM s JOIN responses r ON r.id = s.response_id
                    WHERE r.superseded_by IS NULL GROUP BY 1, 2, 3, 4, 5
                    """, arguments: StatementArguments(args)) {
                    let theme: String = row[3]
                    let n: Int = row[5]
                    if let v: Double = row[4] {
                        data.themeScores[theme, default: [:]][cell(row), default: ValueCounts()].values[v, default: WeightedCount()]
                            .add(WeightedCount(count: n, weight: row[6], weightSquared: row[7]))
                    } else {
                        data.themeUnscored[theme, default: [:]][cell(row), default: 0] += n
                    }
                }
            }
            // Multiple choice: base = respondents who answered (a row with missing NULL).
            for row in try Row.fetchAll(db, sql: """
                SELECT \(cellSQL), c.question, c.option, c.missing IS NOT NULL, count(DISTINCT r.id), sum(r.weight), sum(r.weight * r.weight)
                FROM choices c JOIN responses r ON r.id = c.response_id
                WHERE r.superseded_by IS NULL GROUP BY 1, 2, 3, 4, 5, 6
                """) {
                let q: String = row[3]
                let isMissing: Bool = row[5]
                let n: Int = row[6]
                var oc = data.choices[q, default: [:]][cell(row), default: OptionCounts()]
                if isMissing { oc.missing += n } else if let opt: String = row[4] {
                    oc.options[opt, default: WeightedCount()].add(WeightedCount(count: n, weight: row[7], weightSquared: row[8]))
                }
                data.choices[q, default: [:]][cell(row)] = oc
            }
            for row in try Row.fetchAll(db, sql: """
                SELECT \(cellSQL), a.question, count(*), sum(r.weight)
                FROM (SELECT DISTINCT response_id, question FROM choices WHERE missing IS NULL) a JOIN responses r ON r.id = a.response_id
                WHERE r.superseded_by IS NULL GROUP BY 1, 2, 3, 4
                """) {
                let q: String = row[3]
                data.choices[q, default: [:]][cell(row), default: OptionCounts()].answered = row[4]
                data.choices[q, default: [:]][cell(row), default: OptionCounts()].answeredWeight = row[5]
            }
            // Open text: base = respondents with a non-empty answer; code shares over that base.
            for row in try Row.fetchAll(db, sql: """
                SELECT \(cellSQL), t.question, count(*), sum(r.weight) FROM texts t JOIN responses r ON r.id = t.response_id
                WHERE r.superseded_by IS NULL GROUP BY 1, 2, 3, 4
                """) {
                let q: String = row[3]
                data.codes[q, default: [:]][cell(row), default: OptionCounts()].answered = row[4]
                data.codes[q, default: [:]][cell(row), default: OptionCounts()].answeredWeight = row[5]
            }
            for row in try Row.fetchAll(db, sql: Self.effectiveCodes + """
                SELECT \(cellSQL), c.question, c.code, count(DISTINCT r.id), sum(r.weight), sum(r.weight * r.weight)
                FROM eff c JOIN responses r ON r.id = c.response_id
                WHERE r.superseded_by IS NULL GROUP BY 1, 2, 3, 4, 5
                """) {
                let q: String = row[3], code: String = row[4]
                data.codes[q, default: [:]][cell(row), default: OptionCounts()].options[code, default: WeightedCount()]
                    .add(WeightedCount(count: row[5], weight: row[6], weightSquared: row[7]))
            }
            // Quotes: per question, code and group, a few answers chosen deterministically (closest
            // to 140 characters, then by respondent id).
            for row in try Row.fetchAll(db, sql: Self.effectiveCodes + """
                SELECT grp, question, code, respondent_id, text FROM (
                  SELECT r.grp, c.question, c.code, r.respondent_id, t.text,
                         row_number() OVER (PARTITION BY c.question, c.code, r.grp
                                            ORDER BY abs(length(t.text) - 140), r.respondent_id) AS k
                  FROM eff c JOIN texts t ON t.response_id = c.response_id AND t.question = c.question
                  JOIN responses r ON r.id = c.response_id
                  WHERE r.superseded_by IS NULL AND r.grp IS NOT NULL)
                WHERE k <= ? ORDER BY question, code, grp, k
                """, arguments: [quotesPerCode]) {
                data.quotes.append(QuoteCandidate(question: row[1], code: row[2], cell: CellKey(group: row[0]), respondentID: row[3], text: row[4]))
            }
            // Data quality.
            var q = DataQuality()
            q.batches = try Row.fetchAll(db, sql: "SELECT * FROM batches ORDER BY id").map(Self.batchRecord)
            for row in try Row.fetchAll(db, sql: "SELECT reason, count(*) FROM rejects GROUP BY reason ORDER BY reason") {
                q.rejectReasons[row[0]] = row[1]
            }
            for row in try Row.fetchAll(db, sql: "SELECT question, raw, sum(count) FROM unknown_labels GROUP BY 1, 2") {
                q.unknownLabels[row[0], default: [:]][row[1]] = row[2]
            }
            for row in try Row.fetchAll(db, sql: "SELECT raw, sum(count) FROM unmapped_groups GROUP BY 1") {
                q.unmappedGroups[row[0]] = row[1]
            }
            q.activeResponses = try Int.fetchOne(db, sql: "SELECT count(*) FROM responses WHERE superseded_by IS NULL") ?? 0
            q.supersededResponses = try Int.fetchOne(db, sql: "SELECT count(*) FROM responses WHERE superseded_by IS NOT NULL") ?? 0
            q.duplicatesInBatches = try Int.fetchOne(db, sql: "SELECT coalesce(sum(duplicates), 0) FROM batches") ?? 0
            data.quality = q
            return data
        }
    }
}
