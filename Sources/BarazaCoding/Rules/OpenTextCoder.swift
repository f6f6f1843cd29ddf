import BarazaModel

/// Assigns codebook codes to open answers by transparent dictionary rules.
///
/// Text and patterns are folded (case, diacritics, quotes), then split into word tokens (an
/// apostrophe splits, so "l'accès" gives "l" and "acces"). A pattern is one or more tokens; a
/// token ending in `*` matches any word starting with it. A match is dropped when a negator
/// ("not", "pas", "no", "não", "sin", "sans", ...) stands within `negationWindow` tokens before
/// it in the same clause (punctuation ends a clause); a code is not given when one of its
/// exclusion patterns matches anywhere in the answer.
/// Each assignment records the rule and the matched span, so every code can be explained.
public struct OpenTextCoder: Sendable {
    public static let defaultNegators = [
        "not", "no", "never", "without", "nor", "isn't", "don't", "doesn't", "pas", "non", "jamais", "sans", "ni",
        "aucun", "aucune", "nunca", "sin", "tampoco", "ningun", "ninguna", "nao", "nem", "sem", "nenhum", "nenhuma",
    ]

    struct Pattern: Sendable {
        var source: String
        var tokens: [(text: String, prefix: Bool)]
    }

    struct CompiledRule: Sendable {
        var code: String
        var matches: [Pattern]
        var excludes: [Pattern]
    }

    public let codebook: String
    private let rules: [CompiledRule]
    private let negators: Set<String>
    var compiledRules: [CompiledRule] { rules }
    func isNegator(_ token: String) -> Bool { negators.contains(token) }
    /// The folded negator tokens.
    var negatorTokens: Set<String> { negators }

    /// How many clause marks (`,;.:!?()`) folded text holds: where `tokenize` starts new clauses.
    static func clauseMarks(in folded: String) -> Int {
        var n = 0
        for b in folded.utf8 {
            switch b {
            case UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "."), UInt8(ascii: ":"), UInt8(ascii: "!"),
                UInt8(ascii: "?"), UInt8(ascii: "("), UInt8(ascii: ")"):
                n += 1
            default: break
            }
        }
        return n
    }
    public let negationWindow: Int

    public init(codebook: String, rules: [CodeRule], negators: [String] = defaultNegators, negationWindow: Int = 3) {
        self.codebook = codebook
        self.rules = rules.map { r in
            CompiledRule(code: r.code, matches: r.match.map(Self.compile), excludes: r.exclude.map(Self.compile))
        }
        self.negators = Set(negators.flatMap { Self.tokenize(Folding.fold($0)).map(\.text) })
        self.negationWindow = negationWindow
    }

    static func compile(_ source: String) -> Pattern {
        let folded = Folding.fold(source)
        var tokens: [(String, Bool)] = []
        for word in folded.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "*") }) {
            let w = String(word)
            if w.hasSuffix("*") { tokens.append((String(w.dropLast()), true)) } else { tokens.append((w, false)) }
        }
        return Pattern(source: source, tokens: tokens)
    }

    struct Token {
        var text: String
        var start: Int
        var end: Int
        var clause: Int = 0
    }

    /// Word tokens of folded text with their character offsets.
    static func tokenize(_ folded: String) -> [Token] {
        var out: [Token] = []
        var current = String.UnicodeScalarView()
        var start = 0
        var i = 0
        var clause = 0
        for s in folded.unicodeScalars {
            // ASCII is decided by value; only other scalars pay for a Unicode property look-up.
            let isWord: Bool
            if s.isASCII {
                let v = s.value
                isWord = (v >= 0x61 && v <= 0x7A) || (v >= 0x30 && v <= 0x39) || (v >= 0x41 && v <= 0x5A)
            } else {
                isWord = s.properties.isAlphabetic || s.properties.numericType != nil
            }
            if isWord {
                if current.isEmpty { start = i }
                current.append(s)
            } else {
                if !current.isEmpty {
                    out.append(Token(text: String(current), start: start, end: i, clause: clause))
                    current = String.UnicodeScalarView()
                }
                // A negation does not reach across a clause boundary.
                if s.isASCII, ",;.:!?()".unicodeScalars.contains(s) { clause += 1 }
            }
            i += 1
        }
        if !current.isEmpty { out.append(Token(text: String(current), start: start, end: i, clause: clause)) }
        return out
    }

    private func matches(_ p: Pattern, at i: Int, _ tokens: [Token]) -> Bool {
        guard i + p.tokens.count <= tokens.count else { return false }
        for (k, t) in p.tokens.enumerated() {
            let w = tokens[i + k].text
            if t.prefix ? !w.hasPrefix(t.text) : w != t.text { return false }
        }
        return true
    }

    private func matchPositions(_ p: Pattern, _ tokens: [Token]) -> [Int] {
        guard !p.tokens.isEmpty, tokens.count >= p.tokens.count else { return [] }
        var hits: [Int] = []
        for i in 0...(tokens.count - p.tokens.count) {
            var ok = true
            for (k, t) in p.tokens.enumerated() {
                let w = tokens[i + k].text
                if t.prefix ? !w.hasPrefix(t.text) : w != t.text {
                    ok = false
                    break
                }
            }
            if ok { hits.append(i) }
        }
        return hits
    }

    /// The codes for one answer; at most one assignment per code (its first unnegated match).
    public func code(_ text: String, question: String) -> [CodeAssignment] {
        let tokens = Self.tokenize(Folding.fold(text))
        if tokens.isEmpty { return [] }
        // Patterns whose first word is exact only need to look where that word occurs.
        var positions: [String: [Int]] = [:]
        for (i, t) in tokens.enumerated() { positions[t.text, default: []].append(i) }
        func matchPositions(_ p: Pattern, _ tokens: [Token]) -> [Int] {
            guard let first = p.tokens.first else { return [] }
            if !first.prefix {
                guard let starts = positions[first.text] else { return [] }
                return starts.filter { i in self.matches(p, at: i, tokens) }
            }
            return self.matchPositions(p, tokens)
        }
        var out: [CodeAssignment] = []
        for rule in rules {
            if rule.excludes.contains(where: { !matchPositions($0, tokens).isEmpty }) { continue }
            search: for p in rule.matches {
                for i in matchPositions(p, tokens) {
                    let lo = max(0, i - negationWindow)
                    if tokens[lo..<i].contains(where: { negators.contains($0.text) && $0.clause == tokens[i].clause }) {
                        continue
                    }
                    out.append(
                        CodeAssignment(
                            question: question,
                            code: rule.code,
                            rule: p.source,
                            spanStart: tokens[i].start,
                            spanEnd: tokens[i + p.tokens.count - 1].end
                        )
                    )
                    break search
                }
            }
        }
        return out
    }
}
