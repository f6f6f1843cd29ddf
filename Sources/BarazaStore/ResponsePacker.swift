import BarazaModel
import GRDB

/// A response made ready for the store: packed answers (see `PackedAnswers`), the raw record as JSON,
/// the open texts, and any registry names it uses for the first time. Made on the import's reading
/// thread, so the writing thread only binds values and steps statements.
public struct PackedResponse: Sendable {
    enum Name: Sendable {
        case question(Int, String)
        case option(Int, String, String)
        case code(Int, String)
    }

    var respondentID: String
    var replaces: String?
    var location: SourceLocation
    var group: String?
    var rawGroup: String
    var country: String?
    var wave: String?
    var submittedAt: Double?
    var weight: Double
    var closed: [UInt8] = []
    var chosen: [UInt8] = []
    var coded: [UInt8] = []
    var raw: [UInt8] = []
    var unpacked: [CodedAnswer] = []
    var texts: [(question: String, text: String)] = []
    var newNames: [Name] = []
}

extension PackedResponse.Name {
    /// Writes a newly indexed name into its registry table.
    func write(_ db: Database) throws {
        switch self {
        case .question(let i, let q):
            try db.execute(sql: "INSERT INTO questions (idx, question) VALUES (?, ?)", arguments: [i, q])
        case .option(let i, let q, let o):
            try db.execute(sql: "INSERT INTO options (idx, question, option) VALUES (?, ?, ?)", arguments: [i, q, o])
        case .code(let i, let c):
            try db.execute(sql: "INSERT INTO code_ids (idx, code) VALUES (?, ?)", arguments: [i, c])
        }
    }
}

/// Packs responses against the store's registry of question, option and code indices, assigning
/// the next index to a name seen for the first time (the sink writes it before the row). One packer
/// per batch, used on one thread.
public struct ResponsePacker: Sendable {
    struct OptionKey: Hashable, Sendable { var question: String; var option: String }

    private var questionIndex: [String: Int]
    private var optionIndex: [OptionKey: Int] = [:]
    private var codeIndex: [String: Int]
    private var nextQuestion: Int
    private var nextOption: Int
    private var nextCode: Int
    /// Registry indices of the last response's closed answers, by position: responses of one file
    /// list their questions in the same order, so a look-up is a string comparison.
    private var lastQuestions: [String] = []
    private var lastIndices: [Int] = []
    private var fresh: [PackedResponse.Name] = []

    init(_ registry: Registry) {
        questionIndex = registry.questionIndex
        codeIndex = registry.codeIndex
        for (i, name) in registry.optionName { optionIndex[OptionKey(question: name.question, option: name.option)] = i }
        nextQuestion = (registry.questionName.keys.max() ?? 0) + 1
        nextOption = (registry.optionName.keys.max() ?? 0) + 1
        nextCode = (registry.codeName.keys.max() ?? 0) + 1
    }

    /// The index of `key`, or the next free one, noted as a new name to write.
    private static func index<Key: Hashable>(_ key: Key, _ indices: inout [Key: Int], _ next: inout Int,
                                             _ fresh: inout [PackedResponse.Name], _ name: (Int) -> PackedResponse.Name) -> Int {
        if let i = indices[key] { return i }
        let i = next
        next += 1
        indices[key] = i
        fresh.append(name(i))
        return i
    }

    mutating func question(_ q: String) -> Int {
        Self.index(q, &questionIndex, &nextQuestion, &fresh) { .question($0, q) }
    }

    mutating func option(_ q: String, _ o: String) -> Int {
        Self.index(OptionKey(question: q, option: o), &optionIndex, &nextOption, &fresh) { .option($0, q, o) }
    }

    mutating func code(_ c: String) -> Int {
        Self.index(c, &codeIndex, &nextCode, &fresh) { .code($0, c) }
    }

    /// The names given an index since the last call, to be written before the rows that use them.
    mutating func takeNewNames() -> [PackedResponse.Name] {
        defer { fresh = [] }
        return fresh
    }

    private mutating func question(_ q: String, at k: Int) -> Int {
        if k < lastQuestions.count, lastQuestions[k] == q { return lastIndices[k] }
        let i = question(q)
        if k < lastQuestions.count { lastQuestions[k] = q; lastIndices[k] = i } else if k == lastQuestions.count { lastQuestions.append(q); lastIndices.append(i) }
        return i
    }

    public mutating func pack(_ r: Response) -> PackedResponse {
        var p = PackedResponse(respondentID: r.respondentID, replaces: r.replaces, location: r.location, group: r.group, rawGroup: r.rawGroup,
                               country: r.country, wave: r.wave, submittedAt: r.submittedAt?.timeIntervalSince1970, weight: r.weight ?? 1)
        for k in r.answers.indices {
            guard let byte = PackedAnswers.closedByte(value: r.answers[k].value, missing: r.answers[k].missing) else {
                p.unpacked.append(r.answers[k]); continue
            }
            let idx = question(r.answers[k].question, at: k)
            if p.closed.count < idx { p.closed += repeatElement(0, count: idx - p.closed.count) }
            p.closed[idx - 1] = byte
        }
        for c in r.choices {
            PackedAnswers.append16(question(c.question), to: &p.chosen)
            if c.options.isEmpty, let m = c.missing {
                p.chosen.append(255); p.chosen.append(PackedAnswers.missingByte(m)); continue
            }
            p.chosen.append(UInt8(min(254, c.options.count)))
            for o in c.options.prefix(254) { PackedAnswers.append32(option(c.question, o), to: &p.chosen) }
        }
        for t in r.texts {
            PackedAnswers.append16(question(t.question), to: &p.coded)
            PackedAnswers.append32(PackedAnswers.characterCount(t.text), to: &p.coded)
            let codes = t.codes.count < 2 ? t.codes : Array(Set(t.codes)).sorted()
            p.coded.append(UInt8(min(254, codes.count)))
            for c in codes.prefix(254) { PackedAnswers.append32(code(c), to: &p.coded) }
            p.texts.append((t.question, t.text))
        }
        // "Other (specify)" text is kept as an open answer of its own, so it reaches the review queue.
        for c in r.choices { if let other = c.other { p.texts.append((c.question + ".other", other)) } }
        p.raw = RawJSON.bytes(r.raw)
        p.newNames = takeNewNames()
        return p
    }
}
