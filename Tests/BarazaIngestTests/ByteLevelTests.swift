import BarazaKit
import BarazaModel
import CBarazaText
import Foundation
import Testing
@testable import BarazaIngest

/// The byte-level parts of the import path agree with the standard library and the general readers.
struct ByteLevelTests {
    /// The empty key, and per length up to `maxLength` a key of letters and the keys that differ
    /// from it in one byte (its case flipped) at each place.
    static func keysDifferingInOneByte(upTo maxLength: Int) -> [[UInt8]] {
        var keys: [[UInt8]] = [[]]
        for length in 1...maxLength {
            let base = (0..<length).map { UInt8(ascii: "a") + UInt8($0 % 26) }
            keys.append(base)
            for p in 0..<length {
                var k = base
                k[p] ^= 0x20
                keys.append(k)
            }
        }
        return keys
    }

    @Test func utf8CheckAgreesWithTheStandardLibrary() {
        var rng = SplitMix64(seed: 1)
        let interesting: [UInt8] = [
            0x00, 0x41, 0x7F, 0x80, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xA0, 0x9F, 0xED, 0xEF, 0xF0, 0x90, 0x8F, 0xF4,
            0xF5, 0xFF,
        ]
        var invalid = 0
        for _ in 0..<50_000 {
            let n = Int.random(in: 0...12, using: &rng)
            var bytes: [UInt8] = []
            for _ in 0..<n {
                bytes.append(
                    Bool.random(using: &rng)
                        ? (interesting.randomElement(using: &rng) ?? 0) : UInt8.random(in: 0...255, using: &rng)
                )
            }
            if Bool.random(using: &rng) { bytes = Array("plain ascii prefix ".utf8) + bytes }
            let expected = String(validating: bytes, as: UTF8.self) != nil
            #expect(UTF8Check.isValid(bytes) == expected, "\(bytes)")
            if !expected { invalid += 1 }
        }
        #expect(invalid > 10_000 && invalid < 50_000)
        for s in ["", "ascii only", "é", "€", "𝄞", "日本語テキスト", "Côte d'Ivoire – São Tomé"] {
            #expect(UTF8Check.isValid(Array(s.utf8)))
        }
    }

    /// The AVX-512 BW form of the check (where the processor has it) against the SSE2 one and the
    /// standard library, on text that is mostly valid: characters of one to four bytes, now and
    /// then one byte changed, cut or dropped, in lengths that cross the 64-byte blocks it reads;
    /// and each sequence of `utf8CheckAgreesAcrossBlockEdges` at every offset of two blocks.
    @Test func wideUTF8CheckAgreesWithTheSSE2One() {
        var rng = SplitMix64(seed: 64)
        let characters = [
            "a", " ", "é", "ç", "ß", "€", "’", "日", "𝄞", "😀", "\u{7F}", "\u{80}", "\u{7FF}", "\u{800}", "\u{FFFF}",
            "\u{10000}", "\u{10FFFF}", "\u{D7FF}", "\u{E000}",
        ]
        .map { Array($0.utf8) }
        let odd: [UInt8] = [0x80, 0xBF, 0xC0, 0xC1, 0xC2, 0xE0, 0xED, 0xF0, 0xF4, 0xF5, 0xFF, 0x00]
        var invalid = 0
        var checked = 0
        func check(_ bytes: [UInt8]) {
            let expected = String(validating: bytes, as: UTF8.self) != nil
            let wide = bytes.withUnsafeBufferPointer { baraza_utf8_valid_with(1, $0.baseAddress, $0.count) } != 0
            let sse2 = bytes.withUnsafeBufferPointer { baraza_utf8_valid_with(0, $0.baseAddress, $0.count) } != 0
            #expect(wide == expected && sse2 == expected, "\(bytes)")
            if !expected { invalid += 1 }
            checked += 1
        }
        for _ in 0..<20_000 {
            var bytes: [UInt8] = []
            let count = Int.random(in: 0...90, using: &rng)
            for _ in 0..<count { bytes += characters.randomElement(using: &rng) ?? [] }
            if !bytes.isEmpty && Int.random(in: 0..<3, using: &rng) > 0 {
                let at = Int.random(in: 0..<bytes.count, using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: bytes[at] = odd.randomElement(using: &rng) ?? 0
                case 1: bytes.removeSubrange(at...)
                default: bytes.remove(at: at)
                }
            }
            check(bytes)
        }
        let sequences: [[UInt8]] = [
            [0xC3, 0xA9], [0xE2, 0x80, 0x99], [0xF0, 0x9D, 0x84, 0x9E], [0xC3], [0xE2, 0x80], [0xF0, 0x9D, 0x84],
            [0xC0, 0xAF], [0xE0, 0x80, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0x80], [0xFF],
            [0xEF, 0xBF, 0xBF], [0xF4, 0x8F, 0xBF, 0xBF], [0xE0, 0xA0, 0x80], [0xED, 0x9F, 0xBF], [0xC3, 0xA9, 0xA9],
        ]
        for lead in 0..<132 {
            for seq in sequences {
                for trail in [0, 1, 2, 3, 64] {
                    check([UInt8](repeating: 0x61, count: lead) + seq + [UInt8](repeating: 0x62, count: trail))
                }
            }
        }
        #expect(invalid > checked / 4 && invalid < checked * 3 / 4)
    }

    /// The same at every offset around the sixteen-byte blocks the ASCII skip reads: ASCII runs of
    /// random lengths, then a sequence (valid, cut short, overlong, a surrogate, past U+10FFFF, a
    /// stray continuation byte), then ASCII again.
    @Test func utf8CheckAgreesAcrossBlockEdges() {
        let sequences: [[UInt8]] = [
            [0xC3, 0xA9], [0xE2, 0x80, 0x99], [0xF0, 0x9D, 0x84, 0x9E], [0xC3], [0xE2, 0x80], [0xF0, 0x9D, 0x84],
            [0xC0, 0xAF], [0xE0, 0x80, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0x80], [0xFF],
            [0xEF, 0xBF, 0xBF], [0xF4, 0x8F, 0xBF, 0xBF], [0xE0, 0xA0, 0x80], [0xED, 0x9F, 0xBF],
        ]
        var invalid = 0
        var checked = 0
        for lead in 0..<40 {
            for seq in sequences {
                for trail in [0, 1, 15, 16, 17, 33] {
                    let bytes = [UInt8](repeating: 0x61, count: lead) + seq + [UInt8](repeating: 0x62, count: trail)
                    let expected = String(validating: bytes, as: UTF8.self) != nil
                    #expect(UTF8Check.isValid(bytes) == expected, "\(lead) \(seq) \(trail)")
                    if !expected { invalid += 1 }
                    checked += 1
                }
            }
        }
        #expect(invalid > checked / 3 && invalid < checked)
    }

    /// Records must not depend on where the file's chunks happen to end.
    /// The CSV tokenizer's run scan (sixteen bytes at a time, then a byte loop) against a plain
    /// loop: each byte that ends a run or is noted in one, at every offset of runs up to 70 bytes
    /// (in a vector block, at its edges, in the tail), quoted and not, for three delimiters.
    @Test func csvRunsAgreeWithAPlainLoopAtEveryOffset() {
        func plain(_ b: [UInt8], _ delimiter: UInt8, _ quoted: Bool) -> (Int, UInt32) {
            var flags: UInt32 = 0
            for (i, c) in b.enumerated() {
                if (!quoted && c == delimiter) || c == 0x22 || c == 0x0A || c == 0x0D { return (i, flags) }
                if c >= 0x80 { flags |= 1 } else if c == 0 { flags |= 2 }
            }
            return (b.count, flags)
        }
        let specials: [UInt8] = [0x2C, 0x3B, 0x09, 0x22, 0x0A, 0x0D, 0x00, 0x80, 0xC3, 0xFF]
        var checked = 0
        for delimiter: UInt8 in [0x2C, 0x3B, 0x09] {
            for quoted in [false, true] {
                for length in 0...70 {
                    for offset in 0..<max(1, length) {
                        for special in specials {
                            for second in [UInt8(0x61), 0x80, 0x00, 0x2C] {
                                var b = [UInt8](repeating: 0x61, count: length)
                                if length > 0 { b[offset] = special }
                                if length > 1 { b[(offset + 17) % length] = second }
                                var flags: UInt32 = 0
                                let n = b.withUnsafeBufferPointer { p in
                                    p.baseAddress.map { baraza_csv_run($0, p.count, delimiter, quoted ? 1 : 0, &flags) }
                                        ?? 0
                                }
                                let (en, ef) = plain(b, delimiter, quoted)
                                if n != en || flags != ef {
                                    Issue.record("\(b) \(delimiter) \(quoted): \(n) \(flags), expected \(en) \(ef)")
                                }
                                checked += 1
                            }
                        }
                    }
                }
            }
        }
        #expect(checked > 100_000)
    }

    /// The AVX-512 BW forms of the CSV record reader and the raw-record JSON writer (where this
    /// processor has them; else the check is that both calls give the SSE2 form) give what the SSE2
    /// forms give: records of quoted and plain fields across 64-byte blocks, with escapes, line
    /// breaks, NUL and bytes from 0x80 on, cut at every length (a record read whole, or not at all).
    @Test func wideByteScansAgreeWithTheSSE2Ones() {
        var rng = SplitMix64(seed: 64)
        let pieces: [[UInt8]] = [
            "a", "Agree", "Neither agree nor disagree", "é", "\"\"", "\\", "\n", "\r\n", "\u{0}", "\u{1}", "\t",
            String(repeating: "x", count: 63), String(repeating: "y", count: 70),
        ]
        .map { Array($0.utf8) }
        var whole = 0
        for _ in 0..<4_000 {
            var text: [UInt8] = []
            for f in 0..<Int.random(in: 1...10, using: &rng) {
                if f > 0 { text.append(UInt8(ascii: ",")) }
                let quoted = Bool.random(using: &rng)
                if quoted { text.append(UInt8(ascii: "\"")) }
                for _ in 0..<Int.random(in: 0...5, using: &rng) {
                    var piece = pieces.randomElement(using: &rng) ?? []
                    if !quoted { piece.removeAll { $0 == UInt8(ascii: "\"") || $0 == 10 || $0 == 13 } }
                    text += piece
                }
                if quoted { text.append(UInt8(ascii: "\"")) }
            }
            text.append(10)
            let n = Bool.random(using: &rng) ? text.count : Int.random(in: 0...text.count, using: &rng)
            func read(_ wide: Int32) -> (Int, [UInt8], [Int], baraza_csv_record_info) {
                var out = [UInt8](repeating: 0, count: n + 16)
                var ends = [Int](repeating: 0, count: 8)
                var info = baraza_csv_record_info()
                let used = text.withUnsafeBufferPointer { p in
                    out.withUnsafeMutableBufferPointer { o in
                        ends.withUnsafeMutableBufferPointer { e in
                            baraza_csv_record_with(
                                wide,
                                p.baseAddress,
                                n,
                                UInt8(ascii: ","),
                                o.baseAddress,
                                e.baseAddress,
                                8,
                                &info
                            )
                        }
                    }
                }
                return (used, Array(out.prefix(info.bytes)), Array(ends.prefix(info.fields)), info)
            }
            let a = read(1)
            let b = read(0)
            let c = read(2)
            #expect(
                a.0 == b.0 && a.1 == b.1 && a.2 == b.2 && a.3.lines == b.3.lines && a.3.flags == b.3.flags,
                "\(text.prefix(n))"
            )
            #expect(
                c.0 == b.0 && c.1 == b.1 && c.2 == b.2 && c.3.lines == b.3.lines && c.3.flags == b.3.flags,
                "\(text.prefix(n))"
            )
            guard b.0 > 0 else { continue }
            whole += 1
            func json(_ wide: Int32) -> [UInt8] {
                let length = a.1.withUnsafeBufferPointer { p in
                    a.2.withUnsafeBufferPointer { baraza_json_array_length(p.baseAddress, $0.baseAddress, a.2.count) }
                }
                var out = [UInt8](repeating: 0, count: length + 16)
                let written = a.1.withUnsafeBufferPointer { p in
                    a.2.withUnsafeBufferPointer { e in
                        out.withUnsafeMutableBufferPointer {
                            baraza_json_array_with(wide, p.baseAddress, e.baseAddress, a.2.count, $0.baseAddress)
                        }
                    }
                }
                #expect(written == length)
                return Array(out.prefix(written))
            }
            let j = json(1)
            #expect(j == json(0))
            // And it is the JSON of the fields.
            let fields = a.2.indices.map { k in String(decoding: a.1[(k == 0 ? 0 : a.2[k - 1])..<a.2[k]], as: UTF8.self)
            }
            #expect((try? JSONDecoder().decode([String].self, from: Data(j))) == fields)
        }
        #expect(whole > 1_000)
    }

    @Test func tokenizerGivesTheSameRecordsWhateverTheChunkSize() throws {
        let text =
            "id,text,n\r\n1,\"quoted, with \"\"doubles\"\"\r\nand a CRLF line\",3\r\n2,plain é ü 日本,4\r3,\"x\"\"\",\n"
            + "4,\"lone\rCR inside\",5\n5,trailing,6,\n6,\"€ at the end\"\n\n7,\"unterminated"
        let path = try tempFile(Array(text.utf8))
        func read(_ chunk: Int) throws -> [String] {
            var tok = try CSVTokenizer(
                path: path,
                delimiter: UInt8(ascii: ","),
                encoding: .utf8,
                bomLength: 0,
                chunkSize: chunk
            )
            var d = Diagnostics()
            var out: [String] = []
            while let r = tok.next(&d) { out.append("\(r.line)|\(r.defect ?? "-")|" + r.fields.joined(separator: "¦")) }
            out.append(
                d.items.map { "\($0.location?.line ?? 0):\($0.location?.column ?? 0) \($0.message)" }
                    .joined(separator: "; ")
            )
            return out
        }
        let reference = try read(1 << 20)
        #expect(reference[1] == "2|-|1¦quoted, with \"doubles\"\r\nand a CRLF line¦3")
        #expect(reference[3] == "5|-|3¦x\"¦")
        #expect(reference[4] == "6|-|4¦lone\rCR inside¦5")
        #expect(reference[7] == "10|-|")
        #expect(reference[8].hasPrefix("11|unterminated quoted field starting at line 11, column 3|7¦unterminated"))
        for chunk in [1, 2, 3, 5, 7, 16, 64] { #expect(try read(chunk) == reference, "chunk size \(chunk)") }
    }

    @Test func isoDatesFromBytesEqualTheGeneralParser() {
        var rng = SplitMix64(seed: 3)
        let offsets = ["", "Z", "+03:00", "-05:30", "+0100", "+3", "+03:0", "Z ", " +03:00"]
        var accepted = 0
        for _ in 0..<20_000 {
            let y = Int.random(in: 990...10_010, using: &rng)
            let mo = Int.random(in: 0...13, using: &rng)
            let d = Int.random(in: 0...32, using: &rng)
            let h = Int.random(in: 0...24, using: &rng)
            let mi = Int.random(in: 0...60, using: &rng)
            let s = Int.random(in: 0...61, using: &rng)
            let fraction =
                ["", ".0", ".020", ",5", ".123456789012345", ".1234567890123456", "."].randomElement(using: &rng) ?? ""
            let sep = ["T", " ", "t"].randomElement(using: &rng) ?? "T"
            let text =
                String(format: "%04d-%02d-%02d", y, mo, d) + sep + String(format: "%02d:%02d:%02d", h, mi, s) + fraction
                + (offsets.randomElement(using: &rng) ?? "")
            var copy = text
            let fast = copy.withUTF8 { DateParser.parseISO($0) }
            if let fast {
                accepted += 1
                // Compared as Dates, which both paths make (a Date keeps seconds since 2001).
                #expect(DateParser.parse(text) == Date(timeIntervalSince1970: fast), "\(text)")
            }
        }
        #expect(accepted > 1_000)
        var t = "2024-03-07T06:15:47.020+03:00"
        #expect(t.withUTF8 { DateParser.parseISO($0) } == 1_709_781_347.02)
    }

    @Test func byteMemoFindsWhatItHoldsAndStopsAtItsLimit() {
        var memo = ByteMemo<Int>(limit: 5_000)
        for i in 0..<6_000 {
            var key = "key-\(i)-" + String(repeating: "x", count: i % 40)
            key.withUTF8 { k in
                if let e = memo.find(k) { Issue.record("key \(i) found before insertion at \(e)") }
                let added = memo.insert(k, i)
                #expect((added != nil) == (i < 5_000))
            }
        }
        #expect(memo.count == 5_000)
        for i in 0..<6_000 {
            var key = "key-\(i)-" + String(repeating: "x", count: i % 40)
            let hit = key.withUTF8 { k in memo.find(k).map { memo[$0] } }
            #expect(hit == (i < 5_000 ? i : nil))
        }
        var empty = ""
        empty.withUTF8 { k in
            #expect(memo.find(k) == nil)
            memo = ByteMemo(limit: 1)
            _ = memo.insert(k, 9)
            #expect(memo.find(k) == 0)
        }
    }

    /// Keys of every length up to 40 bytes that differ from one another in a single byte, at every
    /// position (the comparison reads eight bytes at a time and the last ones overlapping): each
    /// is found as itself, by the plain memo, by the one that tries a length's last entry and by one
    /// with a short-key table in front (of four slots, so that keys take them from one another).
    @Test func byteMemoTellsKeysDifferingInOneByteApart() {
        var plain = ByteMemo<Int>(limit: 100_000)
        var recent = ByteMemo<Int>(limit: 100_000, byLength: true)
        var fronted = ByteMemo<Int>(limit: 100_000, byLength: true, shortKeySlotBits: 2)
        let keys = Self.keysDifferingInOneByte(upTo: 40)
        for (i, k) in keys.enumerated() {
            k.withUnsafeBufferPointer { p in
                #expect(plain.insert(p, i) == i)
                #expect(recent.insert(p, i) == i)
                #expect(fronted.insert(p, i) == i)
            }
        }
        for (i, k) in keys.enumerated().reversed() {
            k.withUnsafeBufferPointer { p in
                #expect(plain.value(for: p) == i, "\(k)")
                #expect(recent.value(for: p) == i, "\(k)")
                #expect(fronted.value(for: p) == i, "\(k)")
                #expect(fronted.value(for: p) == i, "\(k)")  // again: from its slot when it kept it
            }
        }
    }

    /// A memo that tries the last entry of a key's length first gives what the plain one gives:
    /// keys sharing lengths, looked up in random order (so the remembered entry is often another
    /// key of the same length), keys never added, the empty key, keys of 31, 32 and more bytes, and
    /// past its limit.
    @Test func byteMemoByLengthFindsWhatThePlainOneFinds() {
        var plain = ByteMemo<Int>(limit: 300)
        var recent = ByteMemo<Int>(limit: 300, byLength: true)
        var rng = SplitMix64(seed: 5)
        let keys = (0..<400).map { i in String(repeating: "ab", count: i % 20) + (i % 3 == 0 ? "" : "\(i % 7)") }
        for _ in 0..<20_000 {
            let name = keys[Int(rng.next() % UInt64(keys.count))]
            var key = name
            key.withUTF8 { k in
                let a = plain.value(for: k)
                let b = recent.value(for: k)
                #expect(a == b, "\(name)")
                #expect(plain.index(of: k) == recent.index(of: k), "\(name)")
                if a == nil, rng.next() % 2 == 0 {
                    let v = Int(rng.next() % 1000)
                    #expect(plain.insert(k, v) == recent.insert(k, v))
                }
            }
        }
        #expect(plain.count == recent.count && plain.count > 30)
    }

    /// `RecentKeys` gives a key's value only while that key is the one last set with its length in
    /// its table: keys differing in one byte at every position (lengths 0 to 40), in two tables, set
    /// and read in random order against a dictionary of what was last set per length; keys of 32
    /// bytes and more are never kept.
    @Test func recentKeysGiveOnlyTheKeyLastSetWithItsLength() {
        var recent = RecentKeys<Int>(tables: 2)
        let keys = Self.keysDifferingInOneByte(upTo: 40)
        var last: [Int: ([UInt8], Int)] = [:]  // table × 64 + length → (key, value)
        var rng = SplitMix64(seed: 11)
        var hits = 0
        for step in 0..<40_000 {
            let k = keys[Int(rng.next() % UInt64(keys.count))]
            let table = Int(rng.next() % 2)
            let expected = last[table * 64 + k.count].flatMap { $0.0 == k ? $0.1 : nil }
            let got = k.withUnsafeBufferPointer { recent.value(table, $0) }
            #expect(got == expected, "\(k) in table \(table)")
            if got != nil { hits += 1 }
            if rng.next() % 2 == 0 {
                k.withUnsafeBufferPointer { recent.set(table, $0, step) }
                if k.count < 32 { last[table * 64 + k.count] = (k, step) }
            }
        }
        #expect(hits > 100)
        let long = [UInt8](repeating: 0x61, count: 32)
        long.withUnsafeBufferPointer { p in
            recent.set(0, p, 1)
            #expect(recent.value(0, p) == nil)
        }
    }

    /// `ShortKeySlots` gives a value only for the key last set in its slot: keys of 0 to 30 bytes
    /// differing in one byte at every place, set and read in random order against a model of what
    /// each slot holds (a table of 2^3 slots, so that keys take slots from one another); keys over
    /// 24 bytes are never kept. `ShortKey.words` is the key's bytes, zero past its end.
    @Test func shortKeySlotsGiveOnlyTheKeyLastSetInItsSlot() {
        var table = ShortKeySlots(bits: 3)
        let keys = Self.keysDifferingInOneByte(upTo: 30)
        func slot(_ k: [UInt8]) -> Int {
            k.withUnsafeBufferPointer { p in
                ShortKey.slot(k.isEmpty ? (0, 0, 0) : ShortKey.words(p.baseAddress!, k.count), k.count, bits: 3)
            }
        }
        var model: [Int: ([UInt8], Int)] = [:]
        var rng = SplitMix64(seed: 12)
        var hits = 0
        for step in 0..<40_000 {
            let k = keys[Int(rng.next() % UInt64(keys.count))]
            let expected = k.count <= 24 ? model[slot(k)].flatMap { $0.0 == k ? $0.1 : nil } : nil
            let got = k.withUnsafeBufferPointer { table.value($0) }
            #expect(got == expected, "\(k)")
            if got != nil { hits += 1 }
            if rng.next() % 2 == 0 {
                k.withUnsafeBufferPointer { table.set($0, step) }
                if k.count <= 24 { model[slot(k)] = (k, step) }
            }
        }
        #expect(hits > 100)
        for k in keys where k.count <= 24 && !k.isEmpty {
            let w = k.withUnsafeBufferPointer { ShortKey.words($0.baseAddress!, k.count) }
            var bytes: [UInt8] = []
            for word in [w.0, w.1, w.2] {
                for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: word >> UInt64(8 * i))) }
            }
            #expect(bytes == k + [UInt8](repeating: 0, count: 24 - k.count), "\(k)")
        }
    }

    /// Keys of every length from 1 to 17 bytes (the hash reads the bytes after the last whole word
    /// in overlapping loads): each is found as itself, never as another of the same bytes shifted.
    @Test func byteMemoTellsShortKeysApart() {
        var memo = ByteMemo<Int>(limit: 100_000)
        var keys: [[UInt8]] = []
        for length in 1...17 {
            for first in UInt8(ascii: "a")...UInt8(ascii: "d") {
                for last in UInt8(ascii: "a")...UInt8(ascii: "d") {
                    for middle in [UInt8(ascii: "a"), UInt8(ascii: "z")] {
                        var k = [UInt8](repeating: middle, count: length)
                        k[0] = first
                        k[length - 1] = last
                        if !keys.contains(k) { keys.append(k) }
                    }
                }
            }
        }
        for (i, k) in keys.enumerated() { _ = k.withUnsafeBufferPointer { memo.insert($0, i) } }
        #expect(memo.count == keys.count)
        for (i, k) in keys.enumerated() {
            #expect(k.withUnsafeBufferPointer { p in memo.find(p).map { memo[$0] } } == i, "\(k)")
        }
    }
}
