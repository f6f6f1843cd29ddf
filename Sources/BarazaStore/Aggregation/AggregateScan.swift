import BarazaKit
import BarazaModel
import Foundation
import GRDB
import GRDBSQLite

/// The report's pass over the active responses (`SQLiteStore.aggregate`): tallies into flat arrays
/// by cell, for the responses with ids in a range. A large store is scanned in two halves on two
/// connections at once, and the halves merged (`merge`).
struct AggregateScan: Sendable {
    // What the pass counts against (the same for every range). The widths are the strides of the
    // flat arrays: at least one past the largest question, option and code index counted (a
    // batch's tallies widen as it meets new names: `widen`).
    private(set) var width: Int
    private(set) var optionWidth: Int
    private(set) var codeWidth: Int
    let themeCount: Int
    let withCountry: Bool
    let withWave: Bool
    let quotesPerCode: Int
    private(set) var themeOfQuestion: [Int]
    /// Every row tallied weighs 1 (the live tallies: `LiveAggregates`): rows are counted, not
    /// weighed, until `settleUnitWeights` sets each weight sum to its count.
    private(set) var unitWeights = false
    let registry: Registry
    let person: [String: [String: [String]]]
    /// The registry's codes with a person's new codes given local indices.
    let localCodes: [String: Int]

    var cells: [CellKey] = []
    /// The most cells a report builds (see `Tuning`); past it the pass only notes the values it
    /// meets, for the message.
    static let cellLimit = Tuning.standard.reportCellLimit
    var overflow: CellOverflow?
    var cellIndex: [CellKey: Int] = [:]
    /// Cell keys mostly differ in length (the groups' names do), so a look-up tries the cell last
    /// met with the key's length first.
    var cellMemo = ByteMemo<Int>(limit: 1 << 20, arenaLimit: 1 << 30, byLength: true)
    var cellGroupSlot: [Int] = []
    var groupSlots: [String: Int] = [:]
    var groupNames: [String] = []
    // ((cell × width) + question) × 256 + byte
    var closedTally: [WeightedCount] = []
    // Per cell: (question → answered, weight, missing) and (option index → count) and (question, code) → count.
    var choiceBase: [(n: Int, w: Double, w2: Double, missing: Int)] = []  // (cell × width) + question
    var textBase: [(n: Int, w: Double, w2: Double)] = []  // (cell × width) + question
    var respondentTally: [WeightedCount] = []
    /// The first and last submission times of the responses counted (the fieldwork's dates).
    var fieldwork: ClosedRange<Double>?
    var optionFlat: [WeightedCount] = []  // cell × optionWidth + option
    var codeFlat: [WeightedCount] = []  // (cell × width + question) × codeWidth + code
    var scoreTally: [IntTally] = []  // cell × themeCount + theme → (sum << 16 | answered) → count
    var unscoredFlat: [Int] = []  // cell × themeCount + theme
    /// Quote candidates: key (question << 40) | (code << 8) | group slot → the best, by (distance
    /// from 140 characters, respondent id, response id).
    var quoteBest: [Int: [(key: (Int, String), responseID: Int64)]] = [:]
    var quoteBar: [Int]
    private var themeSumInt: [Int]
    private var themeAnswered: [Int]
    private var themeAsked: [Int]
    private var cellKey: [UInt8] = []

    init(
        width: Int,
        optionWidth: Int,
        codeWidth: Int,
        themeCount: Int,
        withCountry: Bool,
        withWave: Bool,
        quotesPerCode: Int,
        themeOfQuestion: [Int],
        registry: Registry,
        person: [String: [String: [String]]],
        localCodes: [String: Int]
    ) {
        self.width = width
        self.optionWidth = optionWidth
        self.codeWidth = codeWidth
        self.themeCount = themeCount
        self.withCountry = withCountry
        self.withWave = withWave
        self.quotesPerCode = quotesPerCode
        self.themeOfQuestion = themeOfQuestion
        self.registry = registry
        self.person = person
        self.localCodes = localCodes
        quoteBar = [Int](repeating: Int.max, count: max(1, width * codeWidth * 256))
        themeSumInt = [Int](repeating: 0, count: themeCount)
        themeAnswered = [Int](repeating: 0, count: themeCount)
        themeAsked = [Int](repeating: 0, count: themeCount)
    }

    /// The cell for `key`, added (with zeroed tallies) when new.
    private mutating func addCell(_ key: CellKey) -> Int {
        let ci = cells.count
        cellIndex[key] = ci
        cells.append(key)
        if let g = key.group, groupSlots[g] == nil {
            groupSlots[g] = groupNames.count
            groupNames.append(g)
        }
        cellGroupSlot.append(key.group.flatMap { groupSlots[$0] } ?? -1)
        closedTally.append(contentsOf: repeatElement(WeightedCount(), count: width * 256))
        choiceBase.append(contentsOf: repeatElement((n: 0, w: 0.0, w2: 0.0, missing: 0), count: width))
        textBase.append(contentsOf: repeatElement((n: 0, w: 0.0, w2: 0.0), count: width))
        respondentTally.append(WeightedCount())
        optionFlat.append(contentsOf: repeatElement(WeightedCount(), count: optionWidth))
        codeFlat.append(contentsOf: repeatElement(WeightedCount(), count: width * codeWidth))
        scoreTally.append(contentsOf: repeatElement(IntTally(), count: themeCount))
        unscoredFlat.append(contentsOf: repeatElement(0, count: themeCount))
        return ci
    }

    /// Makes room for question indices below `width`, options below `optionWidth` and codes below
    /// `codeWidth` (each at least doubled when it grows, so that names met one by one cost few
    /// moves), with `themeOfQuestion` (one entry per question index) as the themes' layout then.
    mutating func widen(width w: Int, optionWidth o: Int, codeWidth c: Int, themeOfQuestion themes: [Int]) {
        let nw = w > width ? max(w, 2 * width) : width
        let no = o > optionWidth ? max(o, 2 * optionWidth) : optionWidth
        let nc = c > codeWidth ? max(c, 2 * codeWidth) : codeWidth
        themeOfQuestion = themes + Array(repeating: -1, count: max(0, nw - themes.count))
        guard nw != width || no != optionWidth || nc != codeWidth else { return }
        // Each array's rows copied to their places in the wider layout, zeros around them.
        func relaid<T>(_ old: [T], rows: Int, from: Int, to: Int, zero: T) -> [T] {
            var out = [T](repeating: zero, count: rows * to)
            for r in 0..<rows { for j in 0..<from { out[r * to + j] = old[r * from + j] } }
            return out
        }
        let n = cells.count
        closedTally = relaid(closedTally, rows: n, from: width * 256, to: nw * 256, zero: WeightedCount())
        choiceBase = relaid(choiceBase, rows: n, from: width, to: nw, zero: (n: 0, w: 0.0, w2: 0.0, missing: 0))
        textBase = relaid(textBase, rows: n, from: width, to: nw, zero: (n: 0, w: 0.0, w2: 0.0))
        optionFlat = relaid(optionFlat, rows: n, from: optionWidth, to: no, zero: WeightedCount())
        // Codes: per (cell, question) a row of codeWidth; the cells' question rows move as well.
        let codes = relaid(codeFlat, rows: n * width, from: codeWidth, to: nc, zero: WeightedCount())
        codeFlat = relaid(codes, rows: n, from: width * nc, to: nw * nc, zero: WeightedCount())
        let bars = relaid(quoteBar, rows: width, from: codeWidth * 256, to: nc * 256, zero: Int.max)
        quoteBar = bars + Array(repeating: Int.max, count: (nw - width) * nc * 256)
        width = nw
        optionWidth = no
        codeWidth = nc
    }

    /// Counts the rows from now on without weighing them (each must weigh 1).
    mutating func countUnitWeights() {
        precondition(cells.isEmpty, "rows counted unweighed from the first on")
        unitWeights = true
    }

    /// Sets each weight sum to its count (a sum of ones), for tallies of rows that weigh 1.
    mutating func settleUnitWeights() {
        guard unitWeights else { return }
        unitWeights = false
        func settle(_ a: inout [WeightedCount]) {
            for i in a.indices where a[i].count > 0 {
                a[i].weight = Double(a[i].count)
                a[i].weightSquared = Double(a[i].count)
            }
        }
        settle(&closedTally)
        settle(&respondentTally)
        settle(&optionFlat)
        settle(&codeFlat)
        for i in choiceBase.indices {
            choiceBase[i].w = Double(choiceBase[i].n)
            choiceBase[i].w2 = choiceBase[i].w
        }
        for i in textBase.indices {
            textBase[i].w = Double(textBase[i].n)
            textBase[i].w2 = textBase[i].w
        }
        for i in scoreTally.indices { scoreTally[i].settleUnitWeights() }
    }

    /// Tallies the active responses with ids in `ids` (all of them when nil), in id order.
    mutating func scan(_ db: Database, ids: ClosedRange<Int64>?) throws {
        // The scan reads columns through SQLite's C API and tallies into flat arrays: GRDB rows,
        // Data iterators and dictionary keys per row made a large report several times slower.
        let statement = try db.makeStatement(
            sql: """
                SELECT id, respondent_id, grp, country, wave, weight, closed, chosen, coded, submitted_at
                FROM responses
                WHERE superseded_by IS NULL \(ids == nil ? "" : "AND id BETWEEN ? AND ?") ORDER BY id
                """
        )
        if let ids { statement.setUncheckedArguments([ids.lowerBound, ids.upperBound]) }
        let h = statement.sqliteStatement
        while true {
            let rc = sqlite3_step(h)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else {
                throw DatabaseError(
                    resultCode: ResultCode(rawValue: rc),
                    message: String(cString: sqlite3_errmsg(db.sqliteConnection))
                )
            }
            tally(StoredRow(statement: h))
        }
    }

    /// Tallies one active response (the pass's rows, and the rows a batch writes: see
    /// `LiveAggregates`): its cell, then its closed answers, choices and coded open answers.
    mutating func tally<Row: ScanRow>(_ row: Row) {
        guard let ci = cellIndex(row) else { return }
        let w = row.weight
        let w2 = w * w
        // Rows known to weigh 1 (`unitWeights`) are counted only; `settleUnitWeights` gives the sums.
        let weighted = !unitWeights
        respondentTally[ci].count &+= 1
        if let t = row.submittedAt {
            fieldwork = fieldwork.map { min($0.lowerBound, t)...max($0.upperBound, t) } ?? t...t
        }
        if weighted {
            respondentTally[ci].weight += w
            respondentTally[ci].weightSquared += w2
        }
        if let b = row.closed { tallyClosed(b, ci, w, w2, weighted: weighted) }
        if let b = row.chosen { tallyChosen(b, ci, w, w2, weighted: weighted) }
        if let b = row.coded { tallyCoded(b, of: row, ci, w, w2, weighted: weighted) }
    }

    /// The row's cell (group × country × wave as the report asks), added when new; nil when the
    /// report has more cells than it may (the row is counted in `overflow`).
    @inline(__always) mutating func cellIndex<Row: ScanRow>(_ row: Row) -> Int? {
        let gcol = row.group
        let ccol = withCountry ? row.country : nil
        let wcol = withWave ? row.wave : nil
        // The cell's key bytes: per column a presence tag, the bytes, a separator.
        cellKey.removeAll(keepingCapacity: true)
        func keyPart(_ c: UnsafeBufferPointer<UInt8>?) {
            if let c {
                cellKey.append(1)
                cellKey.append(contentsOf: c)
                cellKey.append(0)
            } else {
                cellKey.append(2)
            }
        }
        keyPart(gcol)
        keyPart(ccol)
        keyPart(wcol)
        var ci = cellKey.withUnsafeBufferPointer { cellMemo.index(of: $0).map { cellMemo[$0] } } ?? -1
        if ci < 0 {
            let key = CellKey(
                group: gcol.map { String(decoding: $0, as: UTF8.self) },
                country: ccol.map { String(decoding: $0, as: UTF8.self) },
                wave: wcol.map { String(decoding: $0, as: UTF8.self) }
            )
            if overflow != nil || cells.count >= Self.cellLimit {
                overflow = (overflow ?? CellOverflow()).adding(key)
                return nil
            }
            ci = addCell(key)
            cellKey.withUnsafeBufferPointer { _ = cellMemo.insert($0, ci) }
        }
        return ci
    }

    /// closed: one byte per question (0 unanswered, else the point + 100 or a missing kind).
    @inline(__always) mutating func tallyClosed(
        _ b: UnsafeBufferPointer<UInt8>,
        _ ci: Int,
        _ w: Double,
        _ w2: Double,
        weighted: Bool
    ) {
        for i in 0..<themeCount {
            themeSumInt[i] = 0
            themeAnswered[i] = 0
            themeAsked[i] = 0
        }
        let base = ci * width * 256
        // Unsafe buffers here: the per-answer uniqueness checks of array writes were a
        // fifth of this loop's time. Counts add without overflow checks (`&+`): an Int count
        // of rows never nears 2^63, and the checks were a branch per answer.
        closedTally.withUnsafeMutableBufferPointer { slots in
            themeAsked.withUnsafeMutableBufferPointer { asked in
                themeAnswered.withUnsafeMutableBufferPointer { answered in
                    themeSumInt.withUnsafeMutableBufferPointer { sum in
                        themeOfQuestion.withUnsafeBufferPointer { themeOf in
                            for i in 0..<min(b.count, width - 1) {
                                let byte = b[i]
                                if byte == 0 { continue }
                                let slot = base + (i + 1) * 256 + Int(byte)
                                slots[slot].count &+= 1
                                if weighted {
                                    slots[slot].weight += w
                                    slots[slot].weightSquared += w2
                                }
                                let t = themeOf[i + 1]
                                if t >= 0 {
                                    asked[t] &+= 1
                                    if byte < PackedAnswers.unrecognised {
                                        answered[t] &+= 1
                                        sum[t] &+= Int(byte) &- 100
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        // Theme scores (see `ThemeScoreRule`). The tallies reached through one buffer (per theme
        // through the array, each add checked its uniqueness).
        scoreTally.withUnsafeMutableBufferPointer { scores in
            for t in 0..<themeCount where themeAsked[t] > 0 {
                if ThemeScoreRule.scores(answered: themeAnswered[t], asked: themeAsked[t]) {
                    scores[ci * themeCount + t].add(themeSumInt[t] << 16 | themeAnswered[t], w, w2, weighted: weighted)
                } else {
                    unscoredFlat[ci * themeCount + t] += 1
                }
            }
        }
    }

    /// chosen: [question u16][n u8][option u32 × n] or n = 255 + missing kind.
    @inline(__always) mutating func tallyChosen(
        _ b: UnsafeBufferPointer<UInt8>,
        _ ci: Int,
        _ w: Double,
        _ w2: Double,
        weighted: Bool
    ) {
        var i = 0
        while i + 3 <= b.count {
            let q = Int(b[i]) | Int(b[i + 1]) << 8
            let n = Int(b[i + 2])
            i += 3
            let at = ci * width + min(q, width - 1)
            if n == 255 {
                choiceBase[at].missing += 1
                i += 1
                continue
            }
            choiceBase[at].n += 1
            if weighted {
                choiceBase[at].w += w
                choiceBase[at].w2 += w2
            }
            let first = i
            let listed = min(n, (b.count - i) / 4)
            i += listed * 4
            for j in 0..<listed {
                let o = SQLiteStore.read32(b, first + 4 * j)
                // Count an option once per answer even if written twice (read from the
                // blob: a scratch array per answer was a tenth of the scan).
                if o >= optionWidth || (0..<j).contains(where: { SQLiteStore.read32(b, first + 4 * $0) == o }) {
                    continue
                }
                let s = ci * optionWidth + o
                optionFlat[s].count += 1
                if weighted {
                    optionFlat[s].weight += w
                    optionFlat[s].weightSquared += w2
                }
            }
        }
    }

    /// coded: [question u16][length u32][n u8][code u32 × n]; a person's codes (review) replace the
    /// rules' for their answers, and the answers nearest the quote length are kept as quotes.
    @inline(__always) mutating func tallyCoded<Row: ScanRow>(
        _ b: UnsafeBufferPointer<UInt8>,
        of row: Row,
        _ ci: Int,
        _ w: Double,
        _ w2: Double,
        weighted: Bool
    ) {
        var respondent: String?
        let rid = row.id
        let hasOverrides = !person.isEmpty
        var i = 0
        while i + 7 <= b.count {
            let q = Int(b[i]) | Int(b[i + 1]) << 8
            let length = Int(b[i + 2]) | Int(b[i + 3]) << 8 | Int(b[i + 4]) << 16 | Int(b[i + 5]) << 24
            let n = Int(b[i + 6])
            i += 7
            let at = ci * width + min(q, width - 1)
            textBase[at].n += 1
            if weighted {
                textBase[at].w += w
                textBase[at].w2 += w2
            }
            let first = i
            let listed = min(n, (b.count - i) / 4)
            i += listed * 4
            var mine: [Int]?
            if hasOverrides {
                if respondent == nil { respondent = row.respondentID() }
                if let r = respondent, let qn = registry.questionName[q], let codes = person[r]?[qn] {
                    mine = codes.map { localCodes[$0] ?? Int.max }
                }
            }
            // The codes that count: a person's, or the rules' from the blob, each once.
            for j in 0..<(mine?.count ?? listed) {
                let code: Int
                if let mine {
                    code = mine[j]
                    if mine[..<j].contains(code) { continue }
                } else {
                    code = SQLiteStore.read32(b, first + 4 * j)
                    if (0..<j).contains(where: { SQLiteStore.read32(b, first + 4 * $0) == code }) { continue }
                }
                guard code < codeWidth else { continue }
                let s = at * codeWidth + code
                codeFlat[s].count += 1
                if weighted {
                    codeFlat[s].weight += w
                    codeFlat[s].weightSquared += w2
                }
                // Quotes (see `QuoteRule`), per code and group.
                let gs = cellGroupSlot[ci]
                // The slot key packs 8 bits of group and 32 of code.
                guard quotesPerCode > 0, gs >= 0, gs < 256, code < 1 << 32 else { continue }
                let slot = q << 40 | code << 8 | gs
                let distance = QuoteRule.distance(characters: length)
                // A candidate farther than a full list's last is out before any look-up; the
                // respondent id breaks ties only and is read when a candidate could enter.
                let bar = ((min(q, width - 1) * codeWidth) + code) * 256 + gs
                if distance > quoteBar[bar] { continue }
                if respondent == nil { respondent = row.respondentID() }
                let k = (distance, respondent ?? "")
                var best = quoteBest[slot, default: []]
                if best.count < quotesPerCode || k < best[best.count - 1].key {
                    best.append((k, rid))
                    best.sort { ($0.key.0, $0.key.1, $0.responseID) < ($1.key.0, $1.key.1, $1.responseID) }
                    if best.count > quotesPerCode { best.removeLast() }
                    if best.count == quotesPerCode, let last = best.last { quoteBar[bar] = last.key.0 }
                    quoteBest[slot] = best
                }
            }
        }
    }

    /// Adds another range's tallies to these (its cells mapped to these, added when new).
    mutating func merge(_ o: AggregateScan) {
        precondition(!unitWeights && !o.unitWeights, "weighed tallies merged")
        if overflow != nil || o.overflow != nil {
            var all = overflow ?? CellOverflow()
            for key in o.cells { all = all.adding(key) }
            if let other = o.overflow { all.formUnion(other) }
            overflow = all
            return
        }
        if let f = o.fieldwork {
            fieldwork = fieldwork.map { min($0.lowerBound, f.lowerBound)...max($0.upperBound, f.upperBound) } ?? f
        }
        for (oi, key) in o.cells.enumerated() {
            let ci = cellIndex[key] ?? addCell(key)
            respondentTally[ci].add(o.respondentTally[oi])
            for j in 0..<(width * 256) { closedTally[ci * width * 256 + j].add(o.closedTally[oi * width * 256 + j]) }
            for q in 0..<width {
                let a = ci * width + q
                let b = oi * width + q
                choiceBase[a].n += o.choiceBase[b].n
                choiceBase[a].w += o.choiceBase[b].w
                choiceBase[a].w2 += o.choiceBase[b].w2
                choiceBase[a].missing += o.choiceBase[b].missing
                textBase[a].n += o.textBase[b].n
                textBase[a].w += o.textBase[b].w
                textBase[a].w2 += o.textBase[b].w2
            }
            for j in 0..<optionWidth { optionFlat[ci * optionWidth + j].add(o.optionFlat[oi * optionWidth + j]) }
            for j in 0..<(width * codeWidth) {
                codeFlat[ci * width * codeWidth + j].add(o.codeFlat[oi * width * codeWidth + j])
            }
            for t in 0..<themeCount {
                for (k, c) in o.scoreTally[oi * themeCount + t].sorted() { scoreTally[ci * themeCount + t].add(k, c) }
                unscoredFlat[ci * themeCount + t] += o.unscoredFlat[oi * themeCount + t]
            }
        }
        // Quote candidates: their group slots are the other range's; the best of both lists stay.
        for (slot, best) in o.quoteBest {
            let gs = slot & 0xFF
            guard gs < o.groupNames.count, let mine = groupSlots[o.groupNames[gs]], mine < 256 else { continue }
            let key = slot & ~0xFF | mine
            var list = quoteBest[key, default: []] + best
            list.sort { ($0.key.0, $0.key.1, $0.responseID) < ($1.key.0, $1.key.1, $1.responseID) }
            quoteBest[key] = Array(list.prefix(quotesPerCode))
        }
    }
}

/// A theme score is the mean of the theme's answered items, given only when at least half of the
/// items asked were answered; the others are counted as `too_few_items`.
enum ThemeScoreRule {
    @inline(__always) static func scores(answered: Int, asked: Int) -> Bool { answered > 0 && 2 * answered >= asked }
}

/// The quotes shown for a code are the answers closest to 140 characters (long enough to say
/// something, short enough to read), then by respondent id.
enum QuoteRule {
    static let characters = 140
    @inline(__always) static func distance(characters n: Int) -> Int { abs(n - characters) }
}
