import BarazaKit
import BarazaModel
import Foundation
import GRDB
import GRDBSQLite

extension SQLiteStore {
    /// A person's codes: respondent id → question → codes (an empty list: reviewed, no code).
    static func personCodes(_ db: Database) throws -> [String: [String: [String]]] {
        var out: [String: [String: [String]]] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT respondent_id, question, code FROM person_codes ORDER BY 1, 2, 3")
        {
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
    static func codedAnswers(_ db: Database, registry: Registry, respondentID: String? = nil) throws -> [(
        responseID: Int64, respondentID: String, question: String, codes: [String]
    )] {
        let person = try personCodes(db)
        var sql = "SELECT id, respondent_id, coded FROM responses WHERE superseded_by IS NULL AND coded IS NOT NULL"
        var arguments: StatementArguments = []
        if let respondentID {
            sql += " AND respondent_id = ?"
            arguments = [respondentID]
        }
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
    public func aggregate(by dimensions: [String], themes: [String: [String]], quotesPerCode: Int = 3) throws
        -> AggregatedData
    { try aggregate(AggregateRequest(by: dimensions, themes: themes, quotesPerCode: quotesPerCode)) }

    /// `aggregate(by:themes:quotesPerCode:)` for a request.
    public func aggregate(_ request: AggregateRequest) throws -> AggregatedData {
        try aggregate(request, halvesFrom: Self.halvesFrom)
    }

    /// `aggregate`, scanning in halves from `halvesFrom` responses on (tests compare the two ways),
    /// with the live tallies when they hold unless `live` is false (tests compare those too).
    func aggregate(_ request: AggregateRequest, halvesFrom: Int64, live useLive: Bool = true) throws -> AggregatedData {
        let withCountry = request.withCountry
        let withWave = request.withWave
        let quotesPerCode = request.quotesPerCode
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
                localCodes[c] = i
                localCodeNames[i] = c
                return i
            }
            for codes in person.values { for list in codes.values { for c in list { _ = codeIndex(c) } } }
            // The tallies kept while the store's batches were written, when they stand for it as it
            // is (see `LiveAggregates`); else the pass over the responses.
            var scan: AggregateScan
            if useLive, person.isEmpty, var kept = try liveScan(for: request, db) {
                kept.settleUnitWeights()
                scan = kept
            } else {
                let width = (registry.questionIndex.values.max() ?? 0) + 1
                let optionWidth = (registry.optionName.keys.max() ?? 0) + 1
                let codeWidth = (localCodeNames.keys.max() ?? 0) + 1
                scan = AggregateScan(
                    width: width,
                    optionWidth: optionWidth,
                    codeWidth: codeWidth,
                    themeCount: request.themes.count,
                    withCountry: withCountry,
                    withWave: withWave,
                    quotesPerCode: quotesPerCode,
                    themeOfQuestion: request.themeOfQuestion(width: width) { registry.questionIndex[$0] },
                    registry: registry,
                    person: person,
                    localCodes: localCodes
                )
                try Self.scanInHalves(db, path: path, from: halvesFrom, scan: &scan)
            }
            if let problem = scan.cellLimitProblem() { throw StoreError.tooManyCells(problem) }
            // The flat arrays' strides: the live tallies' may be wider than the registry's names.
            let width = scan.width
            let optionWidth = scan.optionWidth
            let codeWidth = scan.codeWidth
            let themeNames = request.themeNames
            let themeCount = themeNames.count
            var optionTally: [[Int: WeightedCount]] = []
            var codeTally: [[Int: WeightedCount]] = []  // key: question << 32 | code
            var scores: [[Int: [Double: WeightedCount]]] = []  // cell → theme slot → score → count
            var unscored: [[Int: Int]] = []
            let cells = scan.cells
            let closedTally = scan.closedTally
            let choiceBase = scan.choiceBase
            let textBase = scan.textBase
            let respondentTally = scan.respondentTally
            let optionFlat = scan.optionFlat
            let codeFlat = scan.codeFlat
            let scoreTally = scan.scoreTally
            let unscoredFlat = scan.unscoredFlat
            let quoteBest = scan.quoteBest
            let groupNames = scan.groupNames
            scores = Array(repeating: [:], count: cells.count)
            unscored = Array(repeating: [:], count: cells.count)
            optionTally = Array(repeating: [:], count: cells.count)
            codeTally = Array(repeating: [:], count: cells.count)
            for (ci, key) in cells.enumerated() {
                data.respondents[key] = respondentTally[ci]
                for t in 0..<themeCount {
                    // Merged in key order, so weighted sums add up in the same order every run.
                    for (k, c) in scoreTally[ci * themeCount + t].sorted() {
                        let sum = k >> 16
                        let answered = k & 0xFFFF
                        let score = (Double(sum) / Double(answered) * 1e9).rounded() / 1e9
                        scores[ci][t, default: [:]][score, default: WeightedCount()].add(c)
                    }
                    if unscoredFlat[ci * themeCount + t] > 0 { unscored[ci][t] = unscoredFlat[ci * themeCount + t] }
                }
                for o in 0..<optionWidth where optionFlat[ci * optionWidth + o].count > 0 {
                    optionTally[ci][o] = optionFlat[ci * optionWidth + o]
                }
                for q in 0..<width {
                    for code in 0..<codeWidth where codeFlat[(ci * width + q) * codeWidth + code].count > 0 {
                        codeTally[ci][q << 32 | code] = codeFlat[(ci * width + q) * codeWidth + code]
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
                        if byte < Int(PackedAnswers.unrecognised) {
                            counts.values[Double(byte - 100)] = c
                        } else if let kind = PackedAnswers.missingKind(UInt8(byte)) {
                            counts.missing[kind, default: 0] += c.count
                        } else {
                            counts.unrecognised += c.count
                        }
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
                    oc.answered = b.n
                    oc.answeredWeight = b.w
                    oc.answeredWeightSquared = b.w2
                    oc.missing = b.missing
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
                    oc.answered = b.n
                    oc.answeredWeight = b.w
                    oc.answeredWeightSquared = b.w2
                    data.codes[name, default: [:]][key] = oc
                }
                for (k, c) in codeTally[ci] {
                    guard let name = registry.questionName[k >> 32], let code = localCodeNames[k & 0xFFFF_FFFF] else {
                        continue
                    }
                    data.codes[name, default: [:]][key, default: OptionCounts()].options[code] = c
                }
            }
            // Closed answers that do not fit the packed byte (large or fractional numbers).
            let cellSQL = "r.grp, \(withCountry ? "r.country" : "NULL"), \(withWave ? "r.wave" : "NULL")"
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT \(cellSQL), a.question, a.value, a.missing, count(*), sum(r.weight), sum(r.weight * r.weight)
                    FROM answers a JOIN responses r ON r.id = a.response_id
                    WHERE r.superseded_by IS NULL GROUP BY 1, 2, 3, 4, 5, 6
                    """
            ) {
                let q: String = row[3]
                let key = CellKey(group: row[0], country: row[1], wave: row[2])
                var counts = data.items[q, default: [:]][key, default: ValueCounts()]
                let n: Int = row[6]
                if let v: Double = row[4] {
                    counts.values[v, default: WeightedCount()]
                        .add(WeightedCount(count: n, weight: row[7], weightSquared: row[8]))
                } else if let m: String = row[5], let kind = MissingKind(rawValue: m) {
                    counts.missing[kind, default: 0] += n
                } else {
                    counts.unrecognised += n
                }
                data.items[q, default: [:]][key] = counts
            }
            // The quotes' texts, in a deterministic order.
            var chosenQuotes: [(question: String, code: String, group: String, key: (Int, String), responseID: Int64)] =
                []
            for (slot, best) in quoteBest {
                guard let q = registry.questionName[slot >> 40], let code = localCodeNames[(slot >> 8) & 0xFFFF_FFFF]
                else { continue }
                let g = groupNames[slot & 0xFF]
                for b in best { chosenQuotes.append((q, code, g, b.key, b.responseID)) }
            }
            chosenQuotes.sort {
                ($0.question, $0.code, $0.group, $0.key.0, $0.key.1) < (
                    $1.question, $1.code, $1.group, $1.key.0, $1.key.1
                )
            }
            let texts = try StoredTexts(db, registry: registry)
            for q in chosenQuotes {
                guard let text = try texts.text(responseID: q.responseID, question: q.question) else { continue }
                data.quotes.append(
                    QuoteCandidate(
                        question: q.question,
                        code: q.code,
                        cell: CellKey(group: q.group),
                        respondentID: q.key.1,
                        text: text
                    )
                )
            }
            // The scan has counted the active responses; counting them again would be a second pass.
            data.quality = try Self.quality(db, activeResponses: respondentTally.reduce(0) { $0 + $1.count })
            data.fieldwork = scan.fieldwork
            return data
        }
    }

    /// Stores with at least this many responses are scanned in two halves at once.
    static let halvesFrom: Int64 = 50_000

    /// Runs `scan` over the active responses: on a large store and more than one core, the lower
    /// half of the ids here and the upper half on a second connection at the same time, then
    /// merged (the pass is most of a large report's time). The second connection
    /// reads what this one reads: it starts its read while this transaction holds its shared lock,
    /// so no write can commit in between (rollback journal); when it cannot start at once (a
    /// writer waiting), this connection scans both halves.
    static func scanInHalves(_ db: Database, path: String, from: Int64, scan: inout AggregateScan) throws {
        let bounds = try Row.fetchOne(db, sql: "SELECT min(id), max(id) FROM responses")
        guard ProcessInfo.processInfo.activeProcessorCount > 1, let lo: Int64 = bounds?[0], let hi: Int64 = bounds?[1],
            hi - lo >= from
        else {
            try scan.scan(db, ids: nil)
            return
        }
        let mid = lo + (hi - lo) / 2
        let upper = Handover<Result<AggregateScan, any Error>?>(nil)
        let second = scan
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            defer { done.signal() }
            upper.value = Result {
                var config = Configuration()
                config.readonly = true
                config.busyMode = .immediateError
                let queue = try DatabaseQueue(path: path, configuration: config)
                return try queue.read { other in
                    var s = second
                    try s.scan(other, ids: (mid + 1)...hi)
                    return s
                }
            }
        }
        thread.stackSize = 8 << 20
        thread.start()
        try scan.scan(db, ids: lo...mid)
        done.wait()
        switch upper.value {
        case .success(let s): scan.merge(s)
        default: try scan.scan(db, ids: (mid + 1)...hi)
        }
    }

    /// The little-endian u32 at `i` (the caller has checked it is inside `b`).
    @inline(__always) static func read32(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> Int {
        Int(b[i]) | Int(b[i + 1]) << 8 | Int(b[i + 2]) << 16 | Int(b[i + 3]) << 24
    }

    static func quality(_ db: Database, activeResponses: Int? = nil) throws -> DataQuality {
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
        q.activeResponses =
            try activeResponses ?? Int.fetchOne(db, sql: "SELECT count(*) FROM responses WHERE superseded_by IS NULL")
            ?? 0
        q.supersededResponses =
            try Int.fetchOne(db, sql: "SELECT count(*) FROM responses WHERE superseded_by IS NOT NULL") ?? 0
        q.duplicatesInBatches = try Int.fetchOne(db, sql: "SELECT coalesce(sum(duplicates), 0) FROM batches") ?? 0
        return q
    }
}

/// Open texts read back from the records' texts blobs (see `PackedAnswers`).
struct StoredTexts {
    let statement: Statement
    let registry: Registry

    init(_ db: Database, registry: Registry) throws {
        statement = try db.cachedStatement(sql: "SELECT texts, raw FROM records WHERE response_id = ?")
        self.registry = registry
    }

    /// The text response `responseID` gave `question`, if any.
    func text(responseID: Int64, question: String) throws -> String? {
        guard let q = registry.questionIndex[question], let row = try Row.fetchOne(statement, arguments: [responseID]),
            let blob: Data = row[0],
            let entry = PackedAnswers.decodeTexts([UInt8](blob)).first(where: { $0.question == q })
        else { return nil }
        var raw: [String]?
        if case .field = entry.text { raw = RawFields.fields(of: row[1]) }
        return PackedAnswers.resolve(entry.text, raw: raw)
    }
}

/// Weighted counts keyed by small integers, in an open-addressing table with a multiplicative hash:
/// the theme-score tally takes one look-up per response and theme, where `Dictionary`'s seeded
/// hashing was a tenth of the report's scan.
struct IntTally: Sendable {
    /// Key and count side by side in one array: a look-up reads one slot, and an add checks one
    /// array's uniqueness (with keys and counts apart, two per add: 0.6% of the import's samples).
    private struct Slot {
        var key = Int.min
        var count = WeightedCount()
    }
    private var slots: [Slot] = Array(repeating: Slot(), count: 16)
    private var used = 0

    mutating func add(_ key: Int, _ w: Double, _ w2: Double, weighted: Bool = true) {
        if (used + 1) * 2 > slots.count { grow() }
        // Through an unsafe buffer: a uniqueness check per array access was a tenth of the report's scan.
        let fresh = slots.withUnsafeMutableBufferPointer { slots in
            let s = Self.slot(of: key, in: slots)
            let fresh = slots[s].key == Int.min
            slots[s].key = key
            slots[s].count.count += 1
            if weighted {
                slots[s].count.weight += w
                slots[s].count.weightSquared += w2
            }
            return fresh
        }
        if fresh { used += 1 }
    }

    /// Where `key` is, or the empty slot it would take.
    private static func slot(of key: Int, in slots: UnsafeMutableBufferPointer<Slot>) -> Int {
        let mask = slots.count - 1
        // The product's high half: Swift's `>>` binds tighter than `&*`, and without the parentheses
        // the key was multiplied by the constant's high half and its low bits taken, which hang
        // on the key's low bits alone (a score key's answered count): every sum with the same
        // count probed through one cluster.
        var s = Int(truncatingIfNeeded: (UInt64(bitPattern: Int64(key)) &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
        while slots[s].key != key && slots[s].key != Int.min { s = (s + 1) & mask }
        return s
    }

    /// Sets each weight sum to its count (the tally counted rows that weigh 1 without weighing them).
    mutating func settleUnitWeights() {
        for i in slots.indices {
            slots[i].count.weight = Double(slots[i].count.count)
            slots[i].count.weightSquared = Double(slots[i].count.count)
        }
    }

    /// Adds a count under `key` (merging another tally).
    mutating func add(_ key: Int, _ c: WeightedCount) {
        if (used + 1) * 2 > slots.count { grow() }
        let fresh = slots.withUnsafeMutableBufferPointer { slots in
            let s = Self.slot(of: key, in: slots)
            let fresh = slots[s].key == Int.min
            slots[s].key = key
            slots[s].count.add(c)
            return fresh
        }
        if fresh { used += 1 }
    }

    private mutating func grow() {
        let old = slots.filter { $0.key != Int.min }
        slots = Array(repeating: Slot(), count: slots.count * 2)
        slots.withUnsafeMutableBufferPointer { slots in for o in old { slots[Self.slot(of: o.key, in: slots)] = o } }
        used = old.count
    }

    /// The entries in key order.
    func sorted() -> [(key: Int, value: WeightedCount)] {
        slots.filter { $0.key != Int.min }.map { (key: $0.key, value: $0.count) }.sorted { $0.key < $1.key }
    }
}
