import BarazaKit
import BarazaModel
internal import CBarazaText

/// The scan itself: words found in the text, looked up among the codebook's pattern words, and the
/// rules evaluated on what was kept.
extension TextCodeScanner {
    /// The relevance tables' mark for an ASCII word of letters and digits.
    func relevance(_ w: UnsafeBufferPointer<UInt8>) -> UInt64 {
        let a = Int(w[0] & 31)
        let i =
            switch w.count {
            case 1: 528 * 64 + a
            case 2: 512 * 64 + (a << 5 | Int(w[1] & 31))
            default: a << 10 | Int(w[1] & 31) << 5 | Int(w[2] & 31)
            }
        return (relevanceTable.bits[i >> 6] >> UInt64(i & 63)) & 1
    }

    /// Scans one window (whole words) with `baraza_scan_words` and looks up the words it returns.
    mutating func scan(_ text: UnsafeBufferPointer<UInt8>, clause: inout Int32, position: inout Int32) {
        guard let t = text.baseAddress else { return }
        let n = text.count
        if masks.count < 4 * ((n + 63) / 64) { masks = Array(repeating: 0, count: 4 * ((Self.window + 63) / 64)) }
        if words.count < n / 2 + 1 { words = Array(repeating: baraza_word(), count: Self.window / 2 + 1) }
        var tail = baraza_word()
        let relevant = relevanceTable.bits
        let filter = relevanceTable.filter
        let found = masks.withUnsafeMutableBufferPointer { masks in
            words.withUnsafeMutableBufferPointer { words in
                baraza_scan_words(t, n, relevant, filter, masks.baseAddress, words.baseAddress, &tail)
            }
        }
        for w in 0..<found {
            let word = words[w]
            position += word.skipped
            clause += word.clauses
            look(
                UnsafeBufferPointer(start: t + Int(word.start), count: Int(word.count)),
                clause: &clause,
                position: &position
            )
        }
        position += tail.skipped
        clause += tail.clauses
    }

    /// Looks up one word (folding and tokenising it the first time) and keeps its tokens with ids:
    /// a word of up to 24 bytes in the word table first, then in the run memo.
    mutating func look(_ key: UnsafeBufferPointer<UInt8>, clause: inout Int32, position: inout Int32) {
        let n = key.count
        var slot = -1
        var k: (UInt64, UInt64, UInt64) = (0, 0, 0)
        if n <= ShortKey.maxLength, let p = key.baseAddress, let entries = wordEntries {
            k = ShortKey.words(p, n)
            slot = ShortKey.slot(k, n, bits: wordSlotBits)
            let e = entries[slot]
            if e.n == Int32(n) && e.k0 == k.0 && e.k1 == k.1 && e.k2 == k.2 {
                return use(e.run, clause: &clause, position: &position)
            }
        }
        let run: Run
        if let m = runs.find(key) {
            run = runs[m]
        } else {
            let poolMark = pool.count
            run = tokenise(key)
            if runs.insert(key, run) == nil {
                // The cache is full: use the tokens once, then drop them from the pool.
                use(run, clause: &clause, position: &position)
                pool.removeLast(pool.count - poolMark)
                poolClause.removeLast(poolClause.count - poolMark)
                return
            }
        }
        // Only runs the memo keeps go in the word table (their tokens stay in the pool).
        if slot >= 0, let entries = wordEntries {
            entries[slot] = WordSlots.Entry(k0: k.0, k1: k.1, k2: k.2, n: Int32(n), run: run)
        }
        use(run, clause: &clause, position: &position)
    }

    /// Keeps the run's tokens with ids, at `position` in `clause`, and moves both past the run.
    @inline(__always) mutating func use(_ run: Run, clause: inout Int32, position: inout Int32) {
        keep(run, clause: clause, position: position)
        clause += run.clauses
        position += run.count
    }

    /// A token with an id, where it stands among all the answer's tokens, and its clause.
    struct Kept {
        var id: Int32
        var position: Int32
        var clause: Int32
    }

    /// Keeps the run's tokens that have an id.
    @inline(__always) mutating func keep(_ run: Run, clause: Int32, position: Int32) {
        let start = Int(run.start)
        for k in 0..<Int(run.count) where pool[start + k] != 0 {
            kept.append(
                Kept(id: pool[start + k], position: position + Int32(k), clause: clause + poolClause[start + k])
            )
        }
    }

    /// Fills `matched` from `kept`.
    mutating func evaluate() {
        generation &+= 1
        if generation == 0 {
            for k in anyHit.indices {
                anyHit[k] = 0
                freeHit[k] = 0
            }
            generation = 1
        }
        let gen = generation
        let window = Int32(coder.negationWindow)
        var sawHit = false
        for j in kept.indices {
            let tok = kept[j]
            for hi in tokenHitRange[Int(tok.id)] where hitPool[hi].position == 0 {
                let h = hitPool[hi]
                let p = Int(h.pattern)
                let length = Int(patLength[p])
                if length > 1 {
                    // The pattern's next words must be the very next tokens.
                    var whole = true
                    for k in 1..<length {
                        guard j + k < kept.count, kept[j + k].position == tok.position + Int32(k) else {
                            whole = false
                            break
                        }
                        var next = false
                        for hj in tokenHitRange[Int(kept[j + k].id)]
                        where hitPool[hj].pattern == h.pattern && hitPool[hj].position == Int32(k) {
                            next = true
                            break
                        }
                        if !next {
                            whole = false
                            break
                        }
                    }
                    if !whole { continue }
                }
                sawHit = true
                anyHit[p] = gen
                if !patExcludes[p] && freeHit[p] != gen {
                    // A negator up to `window` tokens before, in the same clause.
                    var negated = false
                    var t = j - 1
                    while t >= 0, kept[t].position >= tok.position - window {
                        if isNegator[Int(kept[t].id)] && kept[t].clause == tok.clause {
                            negated = true
                            break
                        }
                        t -= 1
                    }
                    if !negated { freeHit[p] = gen }
                }
            }
        }
        if !sawHit { return }
        // Plain loops, not `contains(where:)`: each closure retained and released the arrays it read.
        for r in ruleCodeIndex.indices {
            var excluded = false
            for i in ruleExcludeRange[r] where anyHit[Int(rulePatterns[i])] == gen {
                excluded = true
                break
            }
            if excluded { continue }
            var matched = false
            for i in ruleMatchRange[r] where freeHit[Int(rulePatterns[i])] == gen {
                matched = true
                break
            }
            if matched, !self.matched.contains(ruleCodeIndex[r]) { self.matched.append(ruleCodeIndex[r]) }
        }
    }
}
