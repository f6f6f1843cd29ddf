import BarazaModel
import Foundation
import GRDB

extension SQLiteStore {
    /// A person's codes: respondent id → question → codes (an empty list: reviewed, no code).
    static func personCodes(_ db: Database) throws -> [String: [String: [String]]] {
        var out: [String: [String: [String]]] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT respondent_id, question, code FROM person_codes ORDER BY 1, 2, 3") {
            let code: String = row[2]
            var list = out[row[0], default: [:]][row[1], default: []]
            if !code.isEmpty { list.append(code) }
            out[row[0], default: [:]][row[1]] = list
        }
        return out
    }

    /// One active response as the scan sees it.
    struct ScannedResponse {
        var id: Int64
        var respondentID: String
        var group: String?
        var country: String?
        var wave: String?
        var weight: Double
        var closed: [UInt8]
        var chosen: [UInt8]
        /// Open answers: question, text length, the codes that count (names).
        var coded: [(question: String, length: Int, codes: [String])]
    }

    /// Visits every active (not superseded) response once, in id order, with its open-text codes
    /// already resolved (a person's codes replace the rules' codes for that answer).
    static func scan(_ db: Database, registry: Registry, _ visit: (ScannedResponse) throws -> Void) throws {
        let person = try personCodes(db)
        let cursor = try Row.fetchCursor(db, sql: """
            SELECT id, respondent_id, grp, country, wave, weight, closed, chosen, coded FROM responses
            WHERE superseded_by IS NULL ORDER BY id
            """)
        while let row = try cursor.next() {
            let respondent: String = row[1]
            let overrides = person[respondent]
            let coded = PackedAnswers.decodeCoded((row[8] as Data?).map { [UInt8]($0) } ?? []).compactMap { c -> (String, Int, [String])? in
                guard let q = registry.questionName[c.question] else { return nil }
                return (q, c.length, overrides?[q] ?? c.codes.compactMap { registry.codeName[$0] })
            }
            try visit(ScannedResponse(id: row[0], respondentID: respondent, group: row[2], country: row[3], wave: row[4], weight: row[5],
                                      closed: (row[6] as Data?).map { [UInt8]($0) } ?? [], chosen: (row[7] as Data?).map { [UInt8]($0) } ?? [],
                                      coded: coded))
        }
    }

    /// Builds the frequency tables analysis needs in one pass over the active responses, so the
    /// result's size depends on the number of cells, not of respondents.
    public func aggregate(by dimensions: [String], themes: [String: [String]], quotesPerCode: Int = 3) throws -> AggregatedData {
        let withCountry = dimensions.contains("country")
        let withWave = dimensions.contains("wave")
        return try db.read { db in
            var data = AggregatedData()
            let registry = try Registry.load(db)
            let themeOf: [Int: String] = Dictionary(themes.flatMap { t, qs in
                qs.compactMap { q in registry.questionIndex[q].map { ($0, t) } }
            }, uniquingKeysWith: { a, _ in a })
            let themeNames = Array(Set(themeOf.values)).sorted()
            let themeSlot = Dictionary(uniqueKeysWithValues: themeNames.enumerated().map { ($1, $0) })
            // Tallies by cell index, question index and byte: count, weight, weight².
            var cells: [CellKey] = []
            var cellIndex: [CellKey: Int] = [:]
            // Flat: ((cell × width) + question) × 256 + byte. Nested arrays copied on mutation in debug builds.
            var closedTally: [WeightedCount] = []
            let width = (registry.questionIndex.values.max() ?? 0) + 1
            var bestQuotes: [String: [(key: (Int, String), responseID: Int64, question: String, code: String, group: String)]] = [:]
            var themeSum = [Double](repeating: 0, count: themeNames.count)
            var themeAnswered = [Int](repeating: 0, count: themeNames.count)
            var themeAsked = [Int](repeating: 0, count: themeNames.count)

            try Self.scan(db, registry: registry) { r in
                let key = CellKey(group: r.group, country: withCountry ? r.country : nil, wave: withWave ? r.wave : nil)
                let ci: Int
                if let i = cellIndex[key] { ci = i } else {
                    ci = cells.count; cellIndex[key] = ci; cells.append(key)
                    closedTally.append(contentsOf: repeatElement(WeightedCount(), count: width * 256))
                }
                let w = r.weight, w2 = r.weight * r.weight
                data.respondents[key, default: WeightedCount()].add(WeightedCount(count: 1, weight: w, weightSquared: w2))
                for i in themeSum.indices { themeSum[i] = 0; themeAnswered[i] = 0; themeAsked[i] = 0 }
                let base = ci * width * 256
                for (i, byte) in r.closed.enumerated() where byte != 0 && i + 1 < width {
                    let slot = base + (i + 1) * 256 + Int(byte)
                    closedTally[slot].count += 1
                    closedTally[slot].weight += w
                    closedTally[slot].weightSquared += w2
                    if let t = themeOf[i + 1], let slot = themeSlot[t] {
                        themeAsked[slot] += 1
                        if byte < PackedAnswers.unrecognised { themeAnswered[slot] += 1; themeSum[slot] += Double(Int(byte) - 100) }
                    }
                }
                // Theme score: mean of the theme's answered items, when at least half of those asked were answered.
                for (slot, theme) in themeNames.enumerated() where themeAsked[slot] > 0 {
                    if themeAnswered[slot] > 0 && 2 * themeAnswered[slot] >= themeAsked[slot] {
                        let score = (themeSum[slot] / Double(themeAnswered[slot]) * 1e9).rounded() / 1e9
                        data.themeScores[theme, default: [:]][key, default: ValueCounts()].values[score, default: WeightedCount()]
                            .add(WeightedCount(count: 1, weight: w, weightSquared: w2))
                    } else {
                        data.themeUnscored[theme, default: [:]][key, default: 0] += 1
                    }
                }
                for c in PackedAnswers.decodeChosen(r.chosen) {
                    guard let q = registry.questionName[c.question] else { continue }
                    var oc = data.choices[q, default: [:]][key, default: OptionCounts()]
                    if c.options.isEmpty, c.missing != nil { oc.missing += 1 } else {
                        oc.answered += 1; oc.answeredWeight += w
                        for o in Set(c.options) {
                            if let name = registry.optionName[o]?.option { oc.options[name, default: WeightedCount()].add(WeightedCount(count: 1, weight: w, weightSquared: w2)) }
                        }
                    }
                    data.choices[q, default: [:]][key] = oc
                }
                for t in r.coded {
                    let q = t.question
                    var oc = data.codes[q, default: [:]][key, default: OptionCounts()]
                    oc.answered += 1; oc.answeredWeight += w
                    for code in Set(t.codes) {
                        oc.options[code, default: WeightedCount()].add(WeightedCount(count: 1, weight: w, weightSquared: w2))
                        // Quotes: the answers closest to 140 characters, then by respondent id, per code and group.
                        guard quotesPerCode > 0, let g = r.group else { continue }
                        let slot = "\(q)\u{1}\(code)\u{1}\(g)"
                        var best = bestQuotes[slot, default: []]
                        let k = (abs(t.length - 140), r.respondentID)
                        if best.count < quotesPerCode || k < best[best.count - 1].key {
                            best.append((k, r.id, q, code, g))
                            best.sort { $0.key < $1.key }
                            if best.count > quotesPerCode { best.removeLast() }
                            bestQuotes[slot] = best
                        }
                    }
                    data.codes[q, default: [:]][key] = oc
                }
            }
            for (ci, key) in cells.enumerated() {
                for q in 1..<width {
                    guard let name = registry.questionName[q] else { continue }
                    var counts = ValueCounts()
                    var any = false
                    for byte in 1..<256 {
                        let c = closedTally[(ci * width + q) * 256 + byte]
                        guard c.count > 0 else { continue }
                        any = true
                        if byte < Int(PackedAnswers.unrecognised) { counts.values[Double(byte - 100)] = c }
                        else if let kind = PackedAnswers.missingKind(UInt8(byte)) { counts.missing[kind, default: 0] += c.count }
                        else { counts.unrecognised += c.count }
                    }
                    if any { data.items[name, default: [:]][key] = counts }
                }
            }
            // Closed answers that do not fit the packed byte (large or fractional numbers).
            let cellSQL = "r.grp, \(withCountry ? "r.country" : "NULL"), \(withWave ? "r.wave" : "NULL")"
            for row in try Row.fetchAll(db, sql: """
                SELECT \(cellSQL), a.question, a.value, a.missing, count(*), sum(r.weight), sum(r.weight * r.weight)
                FROM answers a JOIN responses r ON r.id = a.response_id
                WHERE r.superseded_by IS NULL GROUP BY 1, 2, 3, 4, 5, 6
                """) {
                let q: String = row[3]
                let key = CellKey(group: row[0], country: row[1], wave: row[2])
                var counts = data.items[q, default: [:]][key, default: ValueCounts()]
                let n: Int = row[6]
                if let v: Double = row[4] {
                    counts.values[v, default: WeightedCount()].add(WeightedCount(count: n, weight: row[7], weightSquared: row[8]))
                } else if let m: String = row[5], let kind = MissingKind(rawValue: m) {
                    counts.missing[kind, default: 0] += n
                } else {
                    counts.unrecognised += n
                }
                data.items[q, default: [:]][key] = counts
            }
            // The quotes' texts, in a deterministic order.
            let chosenQuotes = bestQuotes.values.flatMap { $0 }.sorted { ($0.question, $0.code, $0.group, $0.key.0, $0.key.1) < ($1.question, $1.code, $1.group, $1.key.0, $1.key.1) }
            let textStatement = try db.cachedStatement(sql: "SELECT text FROM texts WHERE response_id = ? AND question = ?")
            for q in chosenQuotes {
                guard let text = try String.fetchOne(textStatement, arguments: [q.responseID, q.question]) else { continue }
                data.quotes.append(QuoteCandidate(question: q.question, code: q.code, cell: CellKey(group: q.group), respondentID: q.key.1, text: text))
            }
            data.quality = try Self.quality(db)
            return data
        }
    }

    static func quality(_ db: Database) throws -> DataQuality {
        var q = DataQuality()
        q.batches = try Row.fetchAll(db, sql: "SELECT * FROM batches ORDER BY id").map(Self.batchRecord)
        for row in try Row.fetchAll(db, sql: "SELECT reason, count(*) FROM rejects GROUP BY reason ORDER BY reason") { q.rejectReasons[row[0]] = row[1] }
        for row in try Row.fetchAll(db, sql: "SELECT question, raw, sum(count) FROM unknown_labels GROUP BY 1, 2") { q.unknownLabels[row[0], default: [:]][row[1]] = row[2] }
        for row in try Row.fetchAll(db, sql: "SELECT raw, sum(count) FROM unmapped_groups GROUP BY 1") { q.unmappedGroups[row[0]] = row[1] }
        q.activeResponses = try Int.fetchOne(db, sql: "SELECT count(*) FROM responses WHERE superseded_by IS NULL") ?? 0
        q.supersededResponses = try Int.fetchOne(db, sql: "SELECT count(*) FROM responses WHERE superseded_by IS NOT NULL") ?? 0
        q.duplicatesInBatches = try Int.fetchOne(db, sql: "SELECT coalesce(sum(duplicates), 0) FROM batches") ?? 0
        return q
    }
}
