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

    /// The open answers of every active (not superseded) response, in id order, with the codes
    /// that count (a person's codes replace the rules' codes for that answer). The report's own
    /// pass decodes the same blob inline, on its hot path; this one serves explain, review and
    /// agreement.
    static func codedAnswers(_ db: Database, registry: Registry, respondentID: String? = nil)
        throws -> [(responseID: Int64, respondentID: String, question: String, codes: [String])] {
        let person = try personCodes(db)
        var sql = "SELECT id, respondent_id, coded FROM responses WHERE superseded_by IS NULL AND coded IS NOT NULL"
        var arguments: StatementArguments = []
        if let respondentID { sql += " AND respondent_id = ?"; arguments = [respondentID] }
        var out: [(Int64, String, String, [String])] = []
        let cursor = try Row.fetchCursor(db, sql: sql + " ORDER BY id", arguments: arguments)
        while let row = try cursor.next() {
            let respondent: String = row[1]
            let overrides = person[respondent]
            for c in PackedAnswers.decodeCoded((row[2] as Data?).map { [UInt8]($0) } ?? []) {
                guard let q = registry.questionName[c.question] else { continue }
                out.append((row[0], respondent, q, overrides?[q] ?? c.codes.compactMap { registry.codeName[$0] }))
            }
        }
        return out
    }

    /// Builds the frequency tables analysis needs in one pass over the active responses, so the
    /// result's size depends on the number of cells, not of respondents. The pass tallies into
    /// flat integer-indexed arrays (question, option and code indexes from the registry) and
    /// names things only at the end: string keys per answer made a million-response report take
    /// ten seconds.
    public func aggregate(by dimensions: [String], themes: [String: [String]], quotesPerCode: Int = 3) throws -> AggregatedData {
        let withCountry = dimensions.contains("country")
        let withWave = dimensions.contains("wave")
        return try db.read { db in
            var data = AggregatedData()
            let registry = try Registry.load(db)
            let person = try Self.personCodes(db)
            // A person's code may be new to the registry: give it a local index for this pass.
            var localCodes = registry.codeIndex
            var localCodeNames = registry.codeName
            func codeIndex(_ c: String) -> Int {
                if let i = localCodes[c] { return i }
                let i = (localCodeNames.keys.max() ?? 0) + 1
                localCodes[c] = i; localCodeNames[i] = c
                return i
            }
            let width = (registry.questionIndex.values.max() ?? 0) + 1
            var themeOfQuestion = [Int](repeating: -1, count: width)
            let themeNames = Array(Set(themes.keys)).sorted()
            for (slot, t) in themeNames.enumerated() {
                for q in themes[t] ?? [] { if let i = registry.questionIndex[q], i < width { themeOfQuestion[i] = slot } }
            }
            var cells: [CellKey] = []
            var cellIndex: [CellKey: Int] = [:]
            // ((cell × width) + question) × 256 + byte
            var closedTally: [WeightedCount] = []
            // Per cell: (question → answered, weight, missing) and (option index → count) and (question, code) → count.
            var choiceBase: [(n: Int, w: Double, missing: Int)] = []      // (cell × width) + question
            var optionTally: [[Int: WeightedCount]] = []
            var textBase: [(n: Int, w: Double)] = []                        // (cell × width) + question
            var codeTally: [[Int: WeightedCount]] = []   // key: question << 32 | code
            var quoteBest: [Int: [(key: (Int, String), responseID: Int64)]] = [:]  // key: (question << 40) | (code << 8) | group slot
            var groupSlots: [String: Int] = [:]
            var groupNames: [String] = []
            var themeSum = [Double](repeating: 0, count: themeNames.count)
            var themeAnswered = [Int](repeating: 0, count: themeNames.count)
            var themeAsked = [Int](repeating: 0, count: themeNames.count)
            var scores: [[Int: [Double: WeightedCount]]] = []   // cell → theme slot → score → count
            var unscored: [[Int: Int]] = []

            // Cells are matched on their columns' bytes, read in place: no String per row.
            var cellBytes: [(group: [UInt8]?, country: [UInt8]?, wave: [UInt8]?)] = []
            func bytes(_ row: Row, _ i: Int) throws -> [UInt8]? { try row.withUnsafeData(atIndex: i) { $0.map { [UInt8]($0) } } }
            func same(_ row: Row, _ i: Int, _ b: [UInt8]?) throws -> Bool {
                try row.withUnsafeData(atIndex: i) { d in
                    switch (d, b) {
                    case (nil, nil): return true
                    case (let d?, let b?): return d.count == b.count && d.elementsEqual(b)
                    default: return false
                    }
                }
            }
            let cursor = try Row.fetchCursor(db, sql: """
                SELECT id, respondent_id, grp, country, wave, weight, closed, chosen, coded FROM responses
                WHERE superseded_by IS NULL ORDER BY id
                """)
            while let row = try cursor.next() {
                var ci = -1
                for (k, c) in cellBytes.enumerated() {
                    if try same(row, 2, c.group), try !withCountry || same(row, 3, c.country), try !withWave || same(row, 4, c.wave) { ci = k; break }
                }
                if ci < 0 {
                    let key = CellKey(group: row[2], country: withCountry ? row[3] : nil, wave: withWave ? row[4] : nil)
                    ci = cells.count; cellIndex[key] = ci; cells.append(key)
                    cellBytes.append((try bytes(row, 2), withCountry ? try bytes(row, 3) : nil, withWave ? try bytes(row, 4) : nil))
                    closedTally.append(contentsOf: repeatElement(WeightedCount(), count: width * 256))
                    choiceBase.append(contentsOf: repeatElement((n: 0, w: 0.0, missing: 0), count: width))
                    textBase.append(contentsOf: repeatElement((n: 0, w: 0.0), count: width))
                    optionTally.append([:]); codeTally.append([:])
                    scores.append([:]); unscored.append([:])
                    data.respondents[key] = WeightedCount()
                }
                let key = cells[ci]
                let group = key.group
                let w: Double = row[5], w2 = w * w
                data.respondents[key]?.add(WeightedCount(count: 1, weight: w, weightSquared: w2))
                try row.withUnsafeData(atIndex: 6) { closedData in
                    guard let closedData else { return }
                    for i in themeSum.indices { themeSum[i] = 0; themeAnswered[i] = 0; themeAsked[i] = 0 }
                    let base = ci * width * 256
                    closedData.withUnsafeBytes { bytes in
                        for (i, byte) in bytes.enumerated() where byte != 0 && i + 1 < width {
                            let slot = base + (i + 1) * 256 + Int(byte)
                            closedTally[slot].count += 1
                            closedTally[slot].weight += w
                            closedTally[slot].weightSquared += w2
                            let t = themeOfQuestion[i + 1]
                            if t >= 0 {
                                themeAsked[t] += 1
                                if byte < PackedAnswers.unrecognised { themeAnswered[t] += 1; themeSum[t] += Double(Int(byte) - 100) }
                            }
                        }
                    }
                    // Theme score: mean of the theme's answered items, when at least half of those asked were answered.
                    for t in themeSum.indices where themeAsked[t] > 0 {
                        if themeAnswered[t] > 0 && 2 * themeAnswered[t] >= themeAsked[t] {
                            let score = (themeSum[t] / Double(themeAnswered[t]) * 1e9).rounded() / 1e9
                            scores[ci][t, default: [:]][score, default: WeightedCount()].add(WeightedCount(count: 1, weight: w, weightSquared: w2))
                        } else {
                            unscored[ci][t, default: 0] += 1
                        }
                    }
                }
                // chosen: [question u16][n u8][option u32 × n] or n = 255 + missing kind.
                try row.withUnsafeData(atIndex: 7) { chosenData in
                    guard let chosenData else { return }
                    chosenData.withUnsafeBytes { b in
                        var i = 0
                        while i + 3 <= b.count {
                            let q = Int(b[i]) | Int(b[i + 1]) << 8
                            let n = Int(b[i + 2])
                            i += 3
                            let at = ci * width + min(q, width - 1)
                            if n == 255 { choiceBase[at].missing += 1; i += 1; continue }
                            choiceBase[at].n += 1; choiceBase[at].w += w
                            let first = i
                            for k in 0..<n where i + 4 <= b.count {
                                let o = Int(b[i]) | Int(b[i + 1]) << 8 | Int(b[i + 2]) << 16 | Int(b[i + 3]) << 24
                                i += 4
                                // Count an option once per answer even if written twice.
                                var repeated = false
                                for j in 0..<k where Int(b[first + 4 * j]) | Int(b[first + 4 * j + 1]) << 8 | Int(b[first + 4 * j + 2]) << 16 | Int(b[first + 4 * j + 3]) << 24 == o {
                                    repeated = true
                                }
                                if !repeated { optionTally[ci][o, default: WeightedCount()].add(WeightedCount(count: 1, weight: w, weightSquared: w2)) }
                            }
                        }
                    }
                }
                // coded: [question u16][length u32][n u8][code u32 × n].
                var respondent: String?
                let rid: Int64 = row[0]
                let hasOverrides = !person.isEmpty
                try row.withUnsafeData(atIndex: 8) { codedData in
                    guard let codedData else { return }
                    codedData.withUnsafeBytes { b in
                        var i = 0
                        while i + 7 <= b.count {
                            let q = Int(b[i]) | Int(b[i + 1]) << 8
                            let length = Int(b[i + 2]) | Int(b[i + 3]) << 8 | Int(b[i + 4]) << 16 | Int(b[i + 5]) << 24
                            let n = Int(b[i + 6])
                            i += 7
                            let at = ci * width + min(q, width - 1)
                            textBase[at].n += 1; textBase[at].w += w
                            var codes: [Int] = []
                            codes.reserveCapacity(n)
                            for _ in 0..<n where i + 4 <= b.count {
                                let c = Int(b[i]) | Int(b[i + 1]) << 8 | Int(b[i + 2]) << 16 | Int(b[i + 3]) << 24
                                i += 4
                                if !codes.contains(c) { codes.append(c) }
                            }
                            if hasOverrides {
                                if respondent == nil { respondent = row[1] }
                                if let r = respondent, let qn = registry.questionName[q], let mine = person[r]?[qn] { codes = mine.map(codeIndex) }
                            }
                            for code in codes {
                                codeTally[ci][q << 32 | code, default: WeightedCount()].add(WeightedCount(count: 1, weight: w, weightSquared: w2))
                                // Quotes: the answers closest to 140 characters, then by respondent id, per code and group.
                                guard quotesPerCode > 0, let g = group else { continue }
                                let gs: Int
                                if let s = groupSlots[g] { gs = s } else { gs = groupNames.count; groupSlots[g] = gs; groupNames.append(g) }
                                guard gs < 256, code < 1 << 32 else { continue }   // the slot key packs 8 bits of group, 32 of code
                                let slot = q << 40 | code << 8 | gs
                                let distance = abs(length - 140)
                                // The respondent id breaks ties only; it is read when a candidate could enter.
                                if let best = quoteBest[slot], best.count == quotesPerCode, let worst = best.last, distance > worst.key.0 { continue }
                                if respondent == nil { respondent = row[1] }
                                let k = (distance, respondent ?? "")
                                var best = quoteBest[slot, default: []]
                                if best.count < quotesPerCode || k < best[best.count - 1].key {
                                    best.append((k, rid))
                                    best.sort { $0.key < $1.key }
                                    if best.count > quotesPerCode { best.removeLast() }
                                    quoteBest[slot] = best
                                }
                            }
                        }
                    }
                }
            }
            // Name everything.
            for (ci, key) in cells.enumerated() {
                for q in 1..<max(1, width) {
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
                for (t, byScore) in scores[ci] {
                    var vc = ValueCounts()
                    vc.values = byScore
                    data.themeScores[themeNames[t], default: [:]][key] = vc
                }
                for (t, n) in unscored[ci] { data.themeUnscored[themeNames[t], default: [:]][key] = n }
                for q in 0..<width {
                    let b = choiceBase[ci * width + q]
                    guard b.n + b.missing > 0, let name = registry.questionName[q] else { continue }
                    var oc = OptionCounts()
                    oc.answered = b.n; oc.answeredWeight = b.w; oc.missing = b.missing
                    data.choices[name, default: [:]][key] = oc
                }
                for (o, c) in optionTally[ci] {
                    guard let (q, option) = registry.optionName[o] else { continue }
                    data.choices[q, default: [:]][key, default: OptionCounts()].options[option] = c
                }
                for q in 0..<width {
                    let b = textBase[ci * width + q]
                    guard b.n > 0, let name = registry.questionName[q] else { continue }
                    var oc = data.codes[name, default: [:]][key, default: OptionCounts()]
                    oc.answered = b.n; oc.answeredWeight = b.w
                    data.codes[name, default: [:]][key] = oc
                }
                for (k, c) in codeTally[ci] {
                    guard let name = registry.questionName[k >> 32], let code = localCodeNames[k & 0xFFFF_FFFF] else { continue }
                    data.codes[name, default: [:]][key, default: OptionCounts()].options[code] = c
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
            var chosenQuotes: [(question: String, code: String, group: String, key: (Int, String), responseID: Int64)] = []
            for (slot, best) in quoteBest {
                guard let q = registry.questionName[slot >> 40], let code = localCodeNames[(slot >> 8) & 0xFFFF_FFFF] else { continue }
                let g = groupNames[slot & 0xFF]
                for b in best { chosenQuotes.append((q, code, g, b.key, b.responseID)) }
            }
            chosenQuotes.sort { ($0.question, $0.code, $0.group, $0.key.0, $0.key.1) < ($1.question, $1.code, $1.group, $1.key.0, $1.key.1) }
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
