import BarazaKit
import BarazaModel
internal import CBarazaText

/// The import path's open-text coder: the same rules and verdicts as `OpenTextCoder.code`, over
/// bytes, with each distinct word folded and matched once.
///
/// Text is cut into runs at ASCII bytes that are not letters or digits (the clause marks among
/// them counted as in `OpenTextCoder`); each distinct run is folded and tokenised once by
/// `OpenTextCoder` itself and remembered as a list of token ids. A token that matches no pattern
/// word and is no negator gets id 0 and is not stored, so memory is bounded by the codebook's
/// vocabulary plus a capped run cache. Profiling showed per-answer folding, tokenising into
/// Strings and dictionary building at 35% of import time; `TextCodeScannerTests` checks that the
/// codes equal `OpenTextCoder.code`'s on real and generated text.
public struct TextCodeScanner: Sendable {
    struct PatternWord: Sendable {
        var text: String
        var prefix: Bool
    }
    struct Pat: Sendable {
        var words: [PatternWord]
        var exclude: Bool
    }
    struct Hit: Sendable {
        var pattern: Int32
        var position: Int32
    }
    struct Run: Sendable {
        var start: Int32
        var count: Int32
        var clauses: Int32
    }

    public let coder: OpenTextCoder
    let pats: [Pat]
    /// The codebook's codes, each once, in rule order; per rule, its code's index there.
    public let codeNames: [String]
    let ruleCodeIndex: [Int32]
    /// Per index of `codeNames`, the number `codeNumbers` gives it (its own index unless
    /// `numberCodes` says otherwise).
    var codeNumber: [Int32]
    /// Per pattern, its number of words and whether it is an exclusion; per rule, its match and
    /// exclusion patterns as ranges of `rulePatterns`. Flat arrays of plain values: the nested
    /// arrays they replace were retained and released on every look-up.
    let patLength: [Int32]
    let patExcludes: [Bool]
    let rulePatterns: [Int32]
    let ruleMatchRange: [Range<Int>]
    let ruleExcludeRange: [Range<Int>]

    var runs: ByteMemo<Run>
    /// In front of `runs`, for words of up to 24 bytes: a direct-mapped table of words and their
    /// runs, a word's bytes as three zero-padded words compared at once (`WordSlots`). Only runs
    /// that `runs` keeps are put there (their tokens stay in the pool).
    var wordSlots: WordSlots
    /// The table has 2^`wordSlotBits` slots (11 unless a test asks for fewer, to make words share them).
    let wordSlotBits: Int
    /// `wordSlots.entries`, set by `scanText` once the table is this scanner's own (a copy of the
    /// scanner sent elsewhere makes its own table and sets it again before its first look-up, so
    /// the pointer is only ever written through by its owner).
    nonisolated(unsafe) var wordEntries: UnsafeMutablePointer<WordSlots.Entry>?
    var pool: [Int32] = []
    var poolClause: [Int32] = []
    var tokenIDs: [String: Int32] = [:]
    /// Per token id, its hits: a range of `hitPool`.
    var hitPool: [Hit] = []
    var tokenHitRange: [Range<Int>] = [0..<0]
    var isNegator: [Bool] = [false]

    /// For runs of ASCII letters and digits (whose folding is lowercasing and which are one token
    /// each): 1 where a word of these first three characters (these two alone, this one alone)
    /// could match a pattern word or be a negator (`Self.slot`); a run outside it is token 0
    /// without a look-up. Most words of open text are such runs; the look-up was most of the
    /// scanner's time. Three characters rather than two: on the reference workload's open texts,
    /// 16% of words pass instead of 32%.
    let relevanceTable: RelevanceTable

    var kept: [Kept] = []
    var anyHit: [UInt32]
    var freeHit: [UInt32]
    var generation: UInt32 = 0

    /// `prefilter` caps the word prefilter's level (`baraza_word_filter.enabled`): 0 scans without
    /// it, 1 with it in SSSE3, 2 with the scan's first pass in AVX-512 BW as well; each level is used
    /// only where the processor has it (for tests: the codes must be the same at every level).
    public init(_ coder: OpenTextCoder, runCacheLimit: Int = 1 << 17, prefilter: Int32 = 2, wordSlotBits: Int = 11) {
        self.coder = coder
        self.wordSlotBits = max(1, min(20, wordSlotBits))
        wordSlots = WordSlots(bits: self.wordSlotBits)
        runs = ByteMemo(limit: runCacheLimit, arenaLimit: 8 << 20)
        var pats: [Pat] = []
        var codes: [String] = []
        var matches: [[Int]] = []
        var excludes: [[Int]] = []
        for rule in coder.compiledRules {
            codes.append(rule.code)
            var m: [Int] = []
            var e: [Int] = []
            for p in rule.matches {
                m.append(pats.count)
                pats.append(Pat(words: p.tokens.map { PatternWord(text: $0.text, prefix: $0.prefix) }, exclude: false))
            }
            for p in rule.excludes {
                e.append(pats.count)
                pats.append(Pat(words: p.tokens.map { PatternWord(text: $0.text, prefix: $0.prefix) }, exclude: true))
            }
            matches.append(m)
            excludes.append(e)
        }
        self.pats = pats
        var names: [String] = []
        var index: [Int32] = []
        for c in codes {
            if let i = names.firstIndex(of: c) {
                index.append(Int32(i))
            } else {
                index.append(Int32(names.count))
                names.append(c)
            }
        }
        codeNames = names
        ruleCodeIndex = index
        codeNumber = names.indices.map { Int32($0) }
        patLength = pats.map { Int32($0.words.count) }
        patExcludes = pats.map(\.exclude)
        var flat: [Int32] = []
        var matchRange: [Range<Int>] = []
        var excludeRange: [Range<Int>] = []
        for r in codes.indices {
            let m = flat.count
            flat += matches[r].map { Int32($0) }
            matchRange.append(m..<flat.count)
            let e = flat.count
            flat += excludes[r].map { Int32($0) }
            excludeRange.append(e..<flat.count)
        }
        rulePatterns = flat
        ruleMatchRange = matchRange
        ruleExcludeRange = excludeRange
        anyHit = Array(repeating: 0, count: pats.count)
        freeHit = Array(repeating: 0, count: pats.count)
        // The first characters of every pattern word and negator, marked in the bitset that
        // `baraza_scan_words` reads: an ASCII word equal to a pattern word or (for a prefix)
        // starting with it has the same first one, two or three characters, so it is never
        // skipped; a word of anything else can only match a run with a byte from 0x80 on, which
        // is always looked up. Characters are taken by their low five bits, so a digit shares
        // its code with a letter and a word that starts like either is looked up.
        var bits = [UInt64](repeating: 0, count: Self.relevanceWords)
        func mark(_ i: Int) { bits[i >> 6] |= 1 << UInt64(i & 63) }
        var words = pats.flatMap(\.words)
        words += coder.negatorTokens.map { PatternWord(text: $0, prefix: false) }
        for w in words {
            guard w.text.utf8.allSatisfy({ Self.slot($0) != nil }) else { continue }
            let c = w.text.utf8.map { Int($0 & 31) }
            switch (c.count, w.prefix) {
            case (0, false): break
            case (0, true):  // "*": every word
                for i in 0..<(529 * 64) { mark(i) }
            case (1, let prefix):
                mark(528 * 64 + c[0])
                if prefix {
                    for x in 0..<32 { mark(512 * 64 + (c[0] << 5 | x)) }
                    for x in 0..<1024 { mark(c[0] << 10 | x) }
                }
            case (2, let prefix):
                mark(512 * 64 + (c[0] << 5 | c[1]))
                if prefix { for x in 0..<32 { mark(c[0] << 10 | c[1] << 5 | x) } }
            default: mark(c[0] << 10 | c[1] << 5 | c[2])
            }
        }
        relevanceTable = RelevanceTable(bits, level: prefilter)
    }

    /// 512 words for words of three characters or more, 16 for two, 1 for one.
    static let relevanceWords = 529

    /// The highest prefilter level this processor runs (see `init`'s `prefilter`).
    public static var prefilterLevel: Int32 {
        var filter = baraza_word_filter()
        let bits = [UInt64](repeating: 0, count: relevanceWords)
        bits.withUnsafeBufferPointer { b in if let base = b.baseAddress { baraza_word_filter_make(base, &filter) } }
        return filter.enabled
    }

    /// A direct-mapped table from words of up to 24 bytes to their runs: per slot, the word's bytes as
    /// three little-endian words, zero past its end (`ShortKey`), its length and its run. A look-up
    /// normalises the word's bytes in a few overlapping loads, hashes the three words and compares
    /// one slot: the memo's byte-wise hash loop and its key comparison's branches on the length
    /// (which mispredicted on words of every length) were a twentieth of the import's samples.
    /// Owned by one scanner: a copy makes its own before it scans (`scanText`), so workers never
    /// share one. (A `ShortKeySlots` holds an Int per slot and is reached through an array; this
    /// one holds the run itself, through a pointer.)
    final class WordSlots: @unchecked Sendable {
        struct Entry {
            var k0: UInt64 = 0, k1: UInt64 = 0, k2: UInt64 = 0
            var n: Int32 = -1
            var run = Run(start: 0, count: 0, clauses: 0)
        }
        let entries: UnsafeMutablePointer<Entry>
        init(bits: Int) {
            entries = .allocate(capacity: 1 << bits)
            entries.initialize(repeating: Entry(), count: 1 << bits)
        }
        deinit { entries.deallocate() }
    }

    /// The relevance bitset in one allocation made once and never changed, shared by a scanner's
    /// copies: read as an array, each answer's scan retained and released it (perf: a tenth of
    /// the scanner's own samples).
    ///
    /// With it, the prefilter made from it (`baraza_word_filter`): the word starts that could be
    /// marked are found sixteen bytes at a time, and only those are visited (the scan visited every
    /// word; that loop was four fifths of `baraza_scan_words`).
    final class RelevanceTable: @unchecked Sendable {
        let bits: UnsafeMutablePointer<UInt64>
        let filter: UnsafeMutablePointer<baraza_word_filter>
        init(_ words: [UInt64], level: Int32) {
            bits = .allocate(capacity: words.count)
            bits.initialize(from: words, count: words.count)
            filter = .allocate(capacity: 1)
            filter.initialize(to: baraza_word_filter())
            baraza_word_filter_make(bits, filter)
            filter.pointee.enabled = min(filter.pointee.enabled, max(0, level))
        }
        deinit {
            bits.deallocate()
            filter.deallocate()
        }
    }

    /// 0...35 for an ASCII digit or letter (either case), nil for any other byte.
    @inline(__always) static func slot(_ b: UInt8) -> Int? {
        switch b {
        case 0x30...0x39: Int(b - 0x30)
        case 0x41...0x5A: Int(b - 0x41) + 10
        case 0x61...0x7A: Int(b - 0x61) + 10
        default: nil
        }
    }

    /// The id of a folded token: 0 when it matches no pattern word and is no negator.
    mutating func tokenID(_ w: String) -> Int32 {
        if let id = tokenIDs[w] { return id }
        var hits: [Hit] = []
        for (p, pat) in pats.enumerated() {
            for (k, t) in pat.words.enumerated() where t.prefix ? w.hasPrefix(t.text) : w == t.text {
                hits.append(Hit(pattern: Int32(p), position: Int32(k)))
            }
        }
        let negator = coder.isNegator(w)
        if hits.isEmpty && !negator { return 0 }
        let id = Int32(tokenHitRange.count)
        tokenHitRange.append(hitPool.count..<hitPool.count + hits.count)
        hitPool += hits
        isNegator.append(negator)
        tokenIDs[w] = id
        return id
    }

    /// Folds and tokenises one run; appends its token ids (and clause offsets) to the pool.
    mutating func tokenise(_ run: UnsafeBufferPointer<UInt8>) -> Run {
        let folded = Folding.fold(String(decoding: run, as: UTF8.self))
        let tokens = OpenTextCoder.tokenize(folded)
        let start = pool.count
        for t in tokens {
            pool.append(tokenID(t.text))
            poolClause.append(Int32(t.clause))
        }
        return Run(
            start: Int32(start),
            count: Int32(tokens.count),
            clauses: Int32(OpenTextCoder.clauseMarks(in: folded))
        )
    }

    /// Scratch room for `baraza_scan_words`: its bit masks and the words it returns.
    var masks: [UInt64] = []
    var words: [baraza_word] = []

    /// The codes for one answer's UTF-8 bytes, in rule order, each once.
    public mutating func codes(_ text: UnsafeBufferPointer<UInt8>) -> [String] {
        scanText(text)
        return matched.map { codeNames[Int($0)] }
    }

    /// Numbers the codes for `codeNumbers`: `numbers[i]` for `codeNames[i]`.
    public mutating func numberCodes(_ numbers: [Int32]) {
        precondition(numbers.count == codeNames.count, "one number per code")
        codeNumber = numbers
    }

    /// The codes for one answer's UTF-8 bytes as their numbers (`numberCodes`), in rule order, each
    /// once: no String handed over (the codes as Strings were retained into the answer's list,
    /// then again as the packer sorted and looked them up).
    public mutating func codeNumbers(_ text: UnsafeBufferPointer<UInt8>) -> [Int32] {
        withCodeNumbers(text) { Array($0) }
    }

    var numbers: [Int32] = []

    /// `codeNumbers`, lent to `body` rather than returned (no array retained for the caller).
    public mutating func withCodeNumbers<R>(
        _ text: UnsafeBufferPointer<UInt8>,
        _ body: (UnsafeBufferPointer<Int32>) -> R
    ) -> R {
        scanText(text)
        numbers.removeAll(keepingCapacity: true)
        for i in matched { numbers.append(codeNumber[Int(i)]) }
        return numbers.withUnsafeBufferPointer(body)
    }

    /// Scans one answer's UTF-8 bytes into `matched`: the indices in `codeNames` of its codes, in
    /// rule order, each once.
    ///
    /// `baraza_scan_words` (C, sixteen bytes at a time) cuts the text into words and skips the
    /// ASCII words that the relevance tables rule out, with how many it skipped and the clause marks
    /// it passed; the per-byte loop in Swift it replaces was most of the scanner's time. Only
    /// tokens with an id (a pattern word or negator) are kept, with their position among all
    /// tokens and their clause: most words of open text have none.
    mutating func scanText(_ text: UnsafeBufferPointer<UInt8>) {
        kept.removeAll(keepingCapacity: true)
        matched.removeAll(keepingCapacity: true)
        guard let t = text.baseAddress, !text.isEmpty else { return }
        if wordEntries == nil || !isKnownUniquelyReferenced(&wordSlots) {
            wordSlots = WordSlots(bits: wordSlotBits)
            wordEntries = wordSlots.entries
        }
        let n = text.count
        var clause: Int32 = 0
        var position: Int32 = 0
        var s = 0
        while s < n {
            // Windows of up to 64 KiB that end after a byte no word holds (no word is cut), so the
            // scratch room stays bounded whatever the text's size; a word longer than a window is
            // a window of its own, looked at here without the scan.
            var e = min(n, s + Self.window)
            if e < n {
                var cut = e
                while cut > s && Self.isWordByte(t[cut - 1]) { cut -= 1 }
                if cut == s {
                    while e < n && Self.isWordByte(t[e]) { e += 1 }
                    let word = UnsafeBufferPointer(start: t + s, count: e - s)
                    if word.allSatisfy({ $0 < 0x80 }), relevance(word) == 0 {
                        position += 1
                    } else {
                        look(word, clause: &clause, position: &position)
                    }
                    s = e
                    continue
                }
                e = cut
            }
            scan(UnsafeBufferPointer(start: t + s, count: e - s), clause: &clause, position: &position)
            s = e
        }
        evaluate()
    }

    static let window = 1 << 16

    /// Whether `b` is part of a word (an ASCII letter or digit, or a byte from 0x80 on).
    @inline(__always) static func isWordByte(_ b: UInt8) -> Bool { b >= 0x80 || slot(b) != nil }

    /// The answer's codes, as indices in `codeNames`. Buffers kept from answer to answer (as is
    /// `numbers`): the caller has let go of the last answer's by the next call, so they are
    /// unshared again and no array is allocated.
    var matched: [Int32] = []
}
