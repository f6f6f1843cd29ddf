import BarazaKit
import BarazaModel
import Foundation
import Testing
@testable import BarazaCoding

/// The import path's byte-level coder must give exactly the codes of the reference `OpenTextCoder`.
struct TextCodeScannerTests {
    static let rules = [
        CodeRule(
            code: "funding",
            theme: nil,
            match: ["funding", "financement", "financiamiento", "budget*", "lack of money"],
            exclude: ["funding agency"]
        ),
        CodeRule(
            code: "training",
            theme: nil,
            match: ["training", "formation", "capacitación", "capacity building", "renforcement des capacités"]
        ), CodeRule(code: "access", theme: nil, match: ["l'accès", "acces*", "access"]),
        CodeRule(code: "coordination", theme: nil, match: ["coordination", "coordenação"], exclude: ["no problem"]),
        CodeRule(code: "funding", theme: nil, match: ["donor*"]),
        CodeRule(code: "everything", theme: nil, match: ["*"], exclude: ["nothing"]),
        CodeRule(code: "numbers", theme: nil, match: ["2024", "covid 19"]),
    ]
    static let vocabulary = [
        "funding", "Funding", "FUNDING", "financement", "Financiamiento", "budget", "budgétaire", "budgets", "lack",
        "of", "money", "agency", "training", "formation", "capacitación", "capacitacion", "capacity", "building",
        "renforcement", "des", "capacités", "l'accès", "l’accès", "accès", "access", "accessible", "coordination",
        "coordenação", "coordenacao", "no", "problem", "not", "pas", "sans", "nunca", "não", "isn't", "don't", "jamais",
        "never", "donors", "donor", "nothing", "2024", "covid", "19", "covid-19", "œuvre", "Straße", "naïve",
        "«formation»", "—", "–", "ﬁnancement", "ＦＵＮＤＩＮＧ", "e\u{301}tat", "🙂", "the", "and", "la", "le", "y", "e",
        "mais", "but", "we", "need", "more", "Ελλάδα", "ΟΔΟΣ", "Δ", "i̇stanbul", "ǅ",
    ]
    static let separators = [
        " ", " ", " ", ", ", ". ", "; ", "! ", "? ", " (", ") ", ": ", "\n", "\u{00A0}", "\t", " - ", "/", "_", "'",
        "\"", "*", "  ",
    ]

    static func randomText(_ rng: inout SplitMix64) -> String {
        var s = ""
        for _ in 0..<Int.random(in: 0...24, using: &rng) {
            s += vocabulary.randomElement(using: &rng) ?? ""
            s += separators.randomElement(using: &rng) ?? " "
        }
        return s
    }

    static func reference(_ coder: OpenTextCoder, _ text: String) -> [String] {
        var out: [String] = []
        for a in coder.code(text, question: "q") where !out.contains(a.code) { out.append(a.code) }
        return out
    }

    @Test func sameCodesAsTheReferenceCoderOnGeneratedText() {
        let coder = OpenTextCoder(codebook: "b", rules: Self.rules)
        var scanner = TextCodeScanner(coder)
        var rng = SplitMix64(seed: 20_261_121)
        var coded = 0
        for _ in 0..<20_000 {
            var text = Self.randomText(&rng)
            let expected = Self.reference(coder, text)
            let got = text.withUTF8 { scanner.codes($0) }
            #expect(got == expected, "text: \(text.debugDescription)")
            if !expected.isEmpty { coded += 1 }
        }
        // The generated texts exercise both outcomes.
        #expect(coded > 1_000 && coded < 20_000)
    }

    /// The import asks for codes as numbers (`numberCodes`, `codeNumbers`): the same codes in the
    /// same order as `codes` gives their names, the rule list's repeated code ("funding") once.
    @Test func codeNumbersNameTheSameCodesAsCodes() {
        let coder = OpenTextCoder(codebook: "b", rules: Self.rules)
        var scanner = TextCodeScanner(coder)
        #expect(scanner.codeNames == ["funding", "training", "access", "coordination", "everything", "numbers"])
        let numbers: [Int32] = [40, 7, 12, 3, 25, 9]
        scanner.numberCodes(numbers)
        var rng = SplitMix64(seed: 7)
        var several = 0
        for _ in 0..<5_000 {
            var text = Self.randomText(&rng)
            let names = text.withUTF8 { scanner.codes($0) }
            let got = text.withUTF8 { scanner.codeNumbers($0) }
            #expect(
                got == names.compactMap { n in scanner.codeNames.firstIndex(of: n).map { numbers[$0] } },
                "text: \(text.debugDescription)"
            )
            if names.count > 1 { several += 1 }
        }
        #expect(several > 100)
    }

    /// Long answers: words, marks and skipped words on both sides of every 64-byte block edge of
    /// the C word scan, and words that span an edge.
    @Test func longTextsGetTheReferenceCodes() {
        let coder = OpenTextCoder(codebook: "b", rules: Self.rules)
        var scanner = TextCodeScanner(coder)
        var rng = SplitMix64(seed: 42)
        for _ in 0..<2_000 {
            var text = ""
            for _ in 0..<Int.random(in: 1...8, using: &rng) { text += Self.randomText(&rng) }
            // Padding of 0–63 bytes puts the same words at every offset of a block.
            text = String(repeating: "x", count: Int.random(in: 0...63, using: &rng)) + " " + text
            #expect(
                text.withUTF8 { scanner.codes($0) } == Self.reference(coder, text),
                "text: \(text.debugDescription)"
            )
        }
        // A word that fills whole blocks, and one that ends exactly at the text's end.
        for t in [
            String(repeating: "a", count: 130) + " funding", "not " + String(repeating: "é", count: 40) + " funding",
            String(repeating: "y ", count: 32) + "funding", String(repeating: "z", count: 63) + "," + "training",
        ] { #expect(t.utf8.withContiguousStorageIfAvailable { scanner.codes($0) } == Self.reference(coder, t), "\(t)") }
    }

    /// Texts longer than the scanner's 64 KiB window: words and negations on both sides of a
    /// window's cut, and words longer than a whole window (ASCII and not).
    @Test func textsLongerThanAWindowGetTheReferenceCodes() {
        let coder = OpenTextCoder(codebook: "b", rules: Self.rules)
        var scanner = TextCodeScanner(coder)
        var rng = SplitMix64(seed: 9)
        for round in 0..<6 {
            var text = ""
            while text.utf8.count < 140_000 { text += Self.randomText(&rng) }
            if round >= 2 {
                // A word longer than a window in the middle: ASCII, accented, or one a pattern starts.
                let giant =
                    ["x", "é", "fundingx"][round % 3] + String(repeating: ["y", "é", "z"][round % 3], count: 70_000)
                let cut = text.utf8.index(text.utf8.startIndex, offsetBy: 60_000)
                text = String(text[..<cut]) + " not " + giant + " funding " + String(text[cut...])
            }
            #expect(text.withUTF8 { scanner.codes($0) } == Self.reference(coder, text), "round \(round)")
        }
        // Words skipped and clause marks passed at the end of a window count in the next one: here
        // the window ends exactly after 65,536 bytes, before "funding".
        let plain = OpenTextCoder(codebook: "b", rules: [CodeRule(code: "funding", theme: nil, match: ["funding"])])
        var plainScanner = TextCodeScanner(plain)
        let farNegator = "not " + String(repeating: "qq ", count: 21_844) + "funding"
        let otherClause = String(repeating: "qq ", count: 21_843) + "not,   funding"
        for t in [farNegator, otherClause] {
            var text = t
            #expect(text.withUTF8 { plainScanner.codes($0) } == ["funding"])
            #expect(Self.reference(plain, t) == ["funding"])
        }
    }

    @Test func negationExclusionAndPhrasesOnKnownSentences() {
        let coder = OpenTextCoder(codebook: "b", rules: Self.rules)
        var scanner = TextCodeScanner(coder)
        func codes(_ t: String) -> [String] {
            var t = t
            return t.withUTF8 { scanner.codes($0) }
        }
        #expect(codes("There is a lack of money here") == ["funding", "everything"])
        #expect(codes("not funding, nothing") == [])
        #expect(codes("not funding. But training") == ["training", "everything"])
        #expect(codes("Le renforcement des capacités, l’accès") == ["training", "access", "everything"])
        #expect(codes("the funding agency") == ["everything"])
        // A phrase's words must be adjacent: a word between them (one no pattern knows) breaks it.
        #expect(codes("capacity building") == ["training", "everything"])
        #expect(codes("capacity for building") == ["everything"])
        for t in [
            "capacity, building", "capacity l'école building", "capacity  building", "no capacity building", "capacity",
        ] {
            var reference: [String] = []
            for a in coder.code(t, question: "q") where !reference.contains(a.code) { reference.append(a.code) }
            #expect(codes(t) == reference, "\(t)")
        }
        #expect(codes("COVID 19 in 2024") == ["everything", "numbers"])
        #expect(codes("") == [])
    }

    /// The scanner keeps only tokens some pattern knows, with their positions: a phrase's words must
    /// still be adjacent among all tokens, and a negator counts only within its window.
    @Test func phrasesAndNegationWindowsCountTheWordsNoPatternKnows() {
        let rules = [
            CodeRule(code: "training", theme: nil, match: ["capacity building"]),
            CodeRule(code: "funding", theme: nil, match: ["funding"]),
        ]
        let coder = OpenTextCoder(codebook: "b", rules: rules)
        var scanner = TextCodeScanner(coder)
        func codes(_ t: String) -> [String] {
            var t = t
            return t.withUTF8 { scanner.codes($0) }
        }
        #expect(codes("more capacity building please") == ["training"])
        #expect(codes("capacity for building") == [])
        #expect(codes("capacité capacity building") == ["training"])
        #expect(codes("not funding") == [])
        let far = "not " + String(repeating: "word ", count: coder.negationWindow) + "funding"
        #expect(codes(far) == ["funding"])
        let near = "not " + String(repeating: "word ", count: coder.negationWindow - 1) + "funding"
        #expect(codes(near) == [])
    }

    /// Words with letters of U+00C0...U+00FF (and × and ÷, which are not letters), against patterns
    /// with such letters, some that fold to ASCII and some that do not: the reference coder's codes.
    @Test func accentedWordsAreCodedAsTheReferenceCoderCodesThem() {
        let rules = [
            CodeRule(code: "study", theme: nil, match: ["étude", "estudio"]),
            CodeRule(code: "cafe", theme: nil, match: ["café", "naïve*"]),
            CodeRule(code: "times", theme: nil, match: ["x"]),
            CodeRule(code: "street", theme: nil, match: ["straße", "stra*"]),
            CodeRule(code: "thorn", theme: nil, match: ["aþ", "abþc"]),
        ]
        let coder = OpenTextCoder(codebook: "b", rules: rules, negators: ["não", "ñot"])
        var scanner = TextCodeScanner(coder)
        let texts = [
            "une étude", "un estúdio", "Études", "le café noir", "cafés", "naïveté", "2×3 x", "2÷x", "straße",
            "strasse", "Straßenbahn", "aþ abþc abþ", "não estudio", "ñot café", "ñotcafé", "dé×à", "éa×x", "xÿ x",
            "ÀÉÎÕÜ étude", "ab×þ", "aÞ", "estudio×", "ab×x", "st÷x", "qq×x", "zz÷x", "abþc", "xabþc",
        ]
        for t in texts {
            var reference: [String] = []
            for a in coder.code(t, question: "q") where !reference.contains(a.code) { reference.append(a.code) }
            var text = t
            #expect(text.withUTF8 { scanner.codes($0) } == reference, "\(t)")
        }
    }

    /// The scanner skips ASCII words by their first one, two or three characters. Without a "*"
    /// rule (which makes every word relevant), patterns and negators of one to four characters,
    /// exact and prefix, against words that share their first one, two or three characters, of
    /// every length: any word the tables wrongly skip loses a code or a negation.
    @Test func wordsSkippedByTheirFirstCharactersAreNeverOnesAPatternMatches() {
        let rules = [
            CodeRule(code: "d", theme: nil, match: ["d*"]),
            CodeRule(code: "co", theme: nil, match: ["co*"], exclude: ["cob"]),
            CodeRule(code: "acc", theme: nil, match: ["acc*", "q"]),
            CodeRule(code: "budg", theme: nil, match: ["budg*", "x y"]),
            CodeRule(code: "exact", theme: nil, match: ["of", "des", "z", "fund", "fundz", "9a"]),
        ]
        let coder = OpenTextCoder(codebook: "b", rules: rules, negators: ["n", "no", "not", "nein"])
        var scanner = TextCodeScanner(coder)
        let vocabulary = [
            "d", "da", "dat", "data", "D4", "c", "co", "cob", "coo", "cod", "cobalt", "a", "ac", "acc", "acb", "accra",
            "b", "bu", "bud", "budg", "budget", "budge", "bug", "q", "qq", "x", "y", "xy", "o", "of", "off", "de",
            "des", "desk", "z", "zz", "f", "fu", "fun", "fund", "funds", "fundz", "9", "9a", "9ab", "n", "no", "not",
            "note", "nei", "nein", "neinx", "e", "ee", "eee", "the", "and",
        ]
        var rng = SplitMix64(seed: 31)
        for _ in 0..<20_000 {
            var text = ""
            for _ in 0..<Int.random(in: 1...10, using: &rng) {
                text +=
                    (vocabulary.randomElement(using: &rng) ?? "")
                    + ([" ", " ", ", ", ". "].randomElement(using: &rng) ?? " ")
            }
            #expect(
                text.withUTF8 { scanner.codes($0) } == Self.reference(coder, text),
                "text: \(text.debugDescription)"
            )
        }
    }

    /// A run whose ASCII start no pattern begins with but which holds a byte from 0x80 on ("xyz—
    /// funding" folds to two tokens) must be looked up wherever that byte falls: here at every
    /// offset from a 64-byte block's edge, also in the block after the run's start.
    @Test func runsWithABytePastASCIIAreLookedUpAcrossBlockEdges() {
        let coder = OpenTextCoder(codebook: "b", rules: [CodeRule(code: "funding", theme: nil, match: ["funding"])])
        var scanner = TextCodeScanner(coder)
        for pad in 0..<130 {
            for run in [
                "xyz—funding", String(repeating: "q", count: 40) + "·funding",
                String(repeating: "q", count: 100) + "·" + String(repeating: "q", count: 80) + "—funding",
            ] {
                let text = String(repeating: "q", count: pad) + " " + run
                #expect(Self.reference(coder, text) == ["funding"], "\(pad) \(run)")
                #expect(
                    text.utf8.withContiguousStorageIfAvailable { scanner.codes($0) } == ["funding"],
                    "\(pad) \(run)"
                )
            }
        }
    }

    /// Words of every length from 1 to 28 bytes (the word table keeps up to 24, as three words of
    /// bytes read in overlapping loads) and words differing from them in one byte at each place:
    /// each is told apart as the reference coder tells them, though hundreds of words share the
    /// table's slots and take them from one another (a table of four slots here, so that they do
    /// all the time; and the table as the import has it).
    @Test(arguments: [2, 11]) func wordsDifferingInOneByteAtAnyPlaceAreToldApart(slotBits: Int) {
        let letters = Array("abcdefghijklmnopqrstuvwxyzab".utf8)
        var rules: [CodeRule] = []
        var words: [String] = []
        for n in 1...28 {
            let word = String(decoding: letters.prefix(n), as: UTF8.self)
            rules.append(CodeRule(code: "w\(n)", theme: nil, match: [word]))
            words.append(word)
            for place in 0..<n {
                for step: UInt8 in [1, 2] {
                    var near = Array(letters.prefix(n))
                    near[place] = UInt8(ascii: "a") + (near[place] - UInt8(ascii: "a") + step) % 26
                    words.append(String(decoding: near, as: UTF8.self))
                }
            }
        }
        words.append("é" + String(decoding: letters.prefix(20), as: UTF8.self))  // looked up for its accent
        let coder = OpenTextCoder(codebook: "b", rules: rules)
        var scanner = TextCodeScanner(coder, wordSlotBits: slotBits)
        var rng = SplitMix64(seed: 24)
        var coded = 0
        for _ in 0..<6_000 {
            var text = (0..<Int.random(in: 1...12, using: &rng)).map { _ in words.randomElement(using: &rng) ?? "" }
                .joined(separator: " ")
            let expected = Self.reference(coder, text)
            #expect(text.withUTF8 { scanner.codes($0) } == expected, "text: \(text)")
            if !expected.isEmpty { coded += 1 }
        }
        #expect(coded > 1_000)
    }

    /// With a run cache of one entry the scanner must still give the same codes (the overflow path).
    @Test func fullRunCacheStillGivesTheSameCodes() {
        let coder = OpenTextCoder(codebook: "b", rules: Self.rules)
        var scanner = TextCodeScanner(coder, runCacheLimit: 1)
        var rng = SplitMix64(seed: 7)
        for _ in 0..<2_000 {
            var text = Self.randomText(&rng)
            let expected = Self.reference(coder, text)
            #expect(text.withUTF8 { scanner.codes($0) } == expected, "text: \(text.debugDescription)")
        }
    }
}

/// Found by the differential test above: the general folding path put the first letter of œ, æ and ß
/// before the space that precedes the word ("a œuvre" read as "ao euvre") in any text that also
/// held a character outside the Latin table.
@Test func ligaturesAfterASpaceFoldInPlaceOnTheGeneralPath() {
    #expect(Folding.fold("la œuvre Δ") == "la oeuvre δ")
    #expect(Folding.fold("x Straße — ") == "x strasse -")
    #expect(Folding.fold("y æther «z»") == "y aether \"z\"")
}

/// The word prefilter (`baraza_word_filter`) only saves work: with it (SSSE3, and AVX-512 BW where the
/// processor has it) and without it the scanner gives the same codes, and the reference coder's, for codebooks whose first characters fit eight
/// buckets, need merging into eight (the reference workload's eleven; all twenty-six letters and
/// digits), or mark every word; with one- and two-character words and prefixes; on texts that
/// cross 64-byte blocks.
@Test func thePrefilterNeverChangesTheCodes() {
    let letters = "abcdefghijklmnopqrstuvwxyz0123456789".map(String.init)
    let books: [[CodeRule]] = [
        [
            CodeRule(
                code: "funding",
                theme: nil,
                match: ["funding", "financement", "financiamiento", "financiamento", "budget*"]
            ),
            CodeRule(
                code: "training",
                theme: nil,
                match: ["training", "formation", "capacitacion", "capacitacao", "capacity building"]
            ), CodeRule(code: "coordination", theme: nil, match: ["coordination", "coordinacion", "coordenacao"]),
            CodeRule(code: "data", theme: nil, match: ["data", "donnees", "datos", "dados"]),
        ],
        [
            CodeRule(code: "short", theme: nil, match: ["x", "ab", "q*", "to", "de"]),
            CodeRule(code: "long", theme: nil, match: ["dans*", "2024"]),
        ], letters.map { CodeRule(code: "c" + $0, theme: nil, match: [$0 + "xyz", $0 + "q*"]) },
        TextCodeScannerTests.rules,
    ]
    let extra = [
        "xyz", "axyz", "bxyz", "qxyz", "9xyz", "Pxyz", "PXYZ", "zq", "zqa", "data", "datos", "dans", "DANS", "de", "to",
        "tog", "q", "quite", "x", "X", "ab", "abc", "a", "2024", "20245", "fin", "financement", "budgets", "nao", "ni",
        "sin", "éxyz",
    ]
    var rng = SplitMix64(seed: 20_261_122)
    for rules in books {
        let coder = OpenTextCoder(codebook: "b", rules: rules)
        // Every level this processor runs: the plain scan, SSSE3, AVX-512 BW.
        var scanners = (0...TextCodeScanner.prefilterLevel).map { TextCodeScanner(coder, prefilter: $0) }
        var coded = 0
        for _ in 0..<3_000 {
            var text = ""
            for _ in 0..<Int.random(in: 0...40, using: &rng) {
                text +=
                    (Bool.random(using: &rng) ? extra : TextCodeScannerTests.vocabulary).randomElement(using: &rng)
                    ?? ""
                text += TextCodeScannerTests.separators.randomElement(using: &rng) ?? " "
            }
            let expected = TextCodeScannerTests.reference(coder, text)
            for i in scanners.indices {
                let codes = text.withUTF8 { scanners[i].codes($0) }
                #expect(codes == expected, "level \(i), text: \(text.debugDescription)")
            }
            if !expected.isEmpty { coded += 1 }
        }
        #expect(coded > 300)
    }
}
