import BarazaModel
import GRDB

/// Responses made ready for the store, a chunk at a time: every string and blob of every response
/// in one byte arena, and per response a fixed-size entry of spans into it. Made on the import's
/// coding workers; the writing thread binds straight from the arena. A struct of Strings and arrays
/// per response, as before, cost the writer two fifths of its time in retain, release and
/// cross-thread frees (perf, 100k-row import).
public struct PackedChunk: Sendable {
    /// Bytes `start..<start + count` of the arena; `count` −1 for NULL.
    struct Span: Sendable {
        var start: Int
        var count: Int
        static let null = Span(start: 0, count: -1)
    }

    struct Entry: Sendable {
        var respondentID: Span
        var replaces: Span
        var file: Span
        var line: Int64
        var group: Span
        var rawGroup: Span
        var country: Span
        var wave: Span
        var submittedAt: Double?
        var weight: Double
        var closed: Span
        var chosen: Span
        var coded: Span
        var raw: Span
        var texts: Span
    }

    enum Name: Sendable {
        case question(Int, String)
        case option(Int, String, String)
        case code(Int, String)
    }

    var bytes: [UInt8] = []
    var entries: [Entry] = []
    /// Closed answers whose value does not fit the packed byte, by entry.
    var unpacked: [(entry: Int, answer: CodedAnswer)] = []
    /// Registry names first used in this chunk, written before its rows.
    var newNames: [Name] = []
    /// Names a worker packer had no index for, by provisional number (the `Int` of each `Name`
    /// is that number); the writer gives them their indices and patches `fixups`.
    var provisional: [Name] = []
    /// Arena offsets of provisional numbers written into blobs: question numbers take 2 bytes,
    /// option and code numbers 4.
    var fixups: [Fixup] = []

    struct Fixup: Sendable {
        var offset: Int
        var width: Int
    }

    public init() {}

    mutating func append(_ s: String) -> Span {
        var s = s
        return s.withUTF8 { append($0) }
    }

    mutating func append(_ s: String?) -> Span { s.map { append($0) } ?? .null }

    mutating func append(_ p: UnsafeBufferPointer<UInt8>) -> Span {
        let start = bytes.count
        bytes.append(contentsOf: p)
        return Span(start: start, count: p.count)
    }

    /// Appends what `body` writes; an empty blob is NULL.
    mutating func appendBlob(_ body: (inout [UInt8]) -> Void) -> Span {
        let start = bytes.count
        body(&bytes)
        return bytes.count == start ? .null : Span(start: start, count: bytes.count - start)
    }
}

extension PackedChunk.Name {
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
/// per batch, used on one thread — or, with `provisional` set, one per coding worker: a worker
/// never assigns an index itself. A name it has none for gets a number local to the chunk, written
/// where the index goes and listed in the chunk; the writer, which takes chunks in file order,
/// gives those names their indices and patches the numbers (`SQLiteBatchSink.add`). Indices are so
/// the same whatever the workers' timing. Closed answers are positional (byte k is question k), so
/// one whose question has no index yet goes to the `answers` table instead; `register` gives every
/// question of a consultation its index before the workers start, so that does not happen.
public struct ResponsePacker: Sendable, ResponseSink {
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
    private var fresh: [PackedChunk.Name] = []

    /// A worker's packer: names without an index get chunk-local numbers (see the type's note).
    public private(set) var provisional = false
    /// The current chunk's provisional numbers by name, and the names by number.
    private var localNumbers: [NameKey: Int] = [:]
    private var localNames: [PackedChunk.Name] = []
    private var localFixups: [PackedChunk.Fixup] = []

    init(_ registry: Registry) {
        questionIndex = registry.questionIndex
        codeIndex = registry.codeIndex
        for (i, name) in registry.optionName { optionIndex[OptionKey(question: name.question, option: name.option)] = i }
        nextQuestion = (registry.questionName.keys.max() ?? 0) + 1
        nextOption = (registry.optionName.keys.max() ?? 0) + 1
        nextCode = (registry.codeName.keys.max() ?? 0) + 1
    }

    /// A copy for a coding worker (see the type's note).
    public func worker() -> ResponsePacker {
        var p = self
        p.provisional = true
        p.fresh = []
        return p
    }

    /// The index of `key`, or the next free one, noted as a new name to write.
    private static func index<Key: Hashable>(_ key: Key, _ indices: inout [Key: Int], _ next: inout Int,
                                             _ fresh: inout [PackedChunk.Name], _ name: (Int) -> PackedChunk.Name) -> Int {
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

    /// Gives names their indices ahead of the rows (a consultation's questions, declared options and
    /// codes), so that worker packers made afterwards know them.
    public mutating func register(questions: [String], options: [(question: String, option: String)], codes: [String]) {
        for q in questions { _ = question(q) }
        for (q, o) in options { _ = option(q, o) }
        for c in codes { _ = code(c) }
    }

    /// The names given an index since the last call, to be written before the rows that use them.
    mutating func takeNewNames() -> [PackedChunk.Name] {
        defer { fresh = [] }
        return fresh
    }

    /// The index of a provisional chunk's name `name`, assigned by this (the writer's) packer.
    mutating func resolve(_ name: PackedChunk.Name) -> Int {
        switch name {
        case .question(_, let q): question(q)
        case .option(_, let q, let o): option(q, o)
        case .code(_, let c): code(c)
        }
    }

    /// Writes the reference to a name: its index, or in a worker without one, a chunk-local number
    /// and a fixup at the blob offset.
    /// A registry name without its index.
    enum NameKey: Hashable {
        case question(String)
        case option(String, String)
        case code(String)

        func name(_ index: Int) -> PackedChunk.Name {
            switch self {
            case .question(let q): .question(index, q)
            case .option(let q, let o): .option(index, q, o)
            case .code(let c): .code(index, c)
            }
        }
    }

    /// Writes a reference (`width` bytes) to a name: `known`, its index when the registry has one;
    /// else a new index, or in a worker a chunk-local number and a fixup at the blob offset.
    private mutating func writeRef(_ known: Int?, _ key: NameKey, width: Int, to b: inout [UInt8]) {
        let i: Int
        if let known {
            i = known
        } else if !provisional {
            switch key {
            case .question(let q): i = question(q)
            case .option(let q, let o): i = option(q, o)
            case .code(let c): i = code(c)
            }
        } else if let n = localNumbers[key] {
            i = n
            localFixups.append(PackedChunk.Fixup(offset: b.count, width: width))
        } else {
            i = localNames.count
            localNumbers[key] = i
            localNames.append(key.name(i))
            localFixups.append(PackedChunk.Fixup(offset: b.count, width: width))
        }
        if width == 2 { PackedAnswers.append16(i, to: &b) } else { PackedAnswers.append32(i, to: &b) }
    }

    private mutating func writeRef(question q: String, to b: inout [UInt8]) {
        writeRef(questionIndex[q], .question(q), width: 2, to: &b)
    }

    /// Registry indices of the names the last responses used, so that a name repeated response
    /// after response is found by comparing strings (the same storage: the coder hands out the
    /// question's id and its memoised option lists) instead of hashing them: by position among
    /// the response's choice and open answers, the options per choice position, and the codes.
    private var slotQuestions: [(name: String, index: Int)] = []
    private var choiceOptions: [(question: String, options: [String], indices: [Int])] = []
    private var recentCodes: [(name: String, index: Int)] = []

    private static func remember<T>(_ cache: inout [T], _ slot: Int, _ value: T) {
        if slot < cache.count { cache[slot] = value } else if slot == cache.count { cache.append(value) }
    }

    /// Writes the reference to question `q` of the response's choice answer `k` (slot 2k) or open
    /// answer `k` (slot 2k + 1).
    private mutating func writeRef(question q: String, slot: Int, to b: inout [UInt8]) {
        if slot < slotQuestions.count, slotQuestions[slot].index >= 0, slotQuestions[slot].name == q {
            PackedAnswers.append16(slotQuestions[slot].index, to: &b)
            return
        }
        let known = questionIndex[q]
        if let known {
            while slotQuestions.count < slot { slotQuestions.append(("", -1)) }  // a slot not yet met
            Self.remember(&slotQuestions, slot, (q, known))
        }
        writeRef(known, .question(q), width: 2, to: &b)
    }

    /// Writes the references of the choice's options (the first 254) at choice position `slot`.
    private mutating func writeRefs(options: [String], of q: String, at slot: Int, to b: inout [UInt8]) {
        if slot < choiceOptions.count, choiceOptions[slot].question == q, choiceOptions[slot].options == options {
            for i in choiceOptions[slot].indices { PackedAnswers.append32(i, to: &b) }
            return
        }
        var indices: [Int] = []
        for o in options.prefix(254) {
            let known = optionIndex[OptionKey(question: q, option: o)]
            if let known { indices.append(known) }
            writeRef(known, .option(q, o), width: 4, to: &b)
        }
        if indices.count == min(254, options.count) { Self.remember(&choiceOptions, slot, (q, options, indices)) }
    }


    private mutating func writeRef(code c: String, to b: inout [UInt8]) {
        for r in recentCodes where r.name == c {
            PackedAnswers.append32(r.index, to: &b)
            return
        }
        let known = codeIndex[c]
        if let known, recentCodes.count < 16 { recentCodes.append((c, known)) }
        writeRef(known, .code(c), width: 4, to: &b)
    }

    /// The closed answer's question index at position `k`, nil in a worker that has none for it.
    private mutating func question(_ q: String, at k: Int) -> Int? {
        if k < lastQuestions.count, lastQuestions[k] == q { return lastIndices[k] }
        let i: Int
        if provisional {
            guard let known = questionIndex[q] else { return nil }
            i = known
        } else {
            i = question(q)
        }
        if k < lastQuestions.count { lastQuestions[k] = q; lastIndices[k] = i } else if k == lastQuestions.count { lastQuestions.append(q); lastIndices.append(i) }
        return i
    }

    /// The codes sorted, each once (without hashing them).
    private static func sortedUnique(_ codes: [String]) -> [String] {
        var out: [String] = []
        for c in codes.sorted() where out.last != c { out.append(c) }
        return out
    }

    /// Packs `r` into `chunk`.
    public mutating func pack(_ r: Response, into chunk: inout PackedChunk) {
        swap(&self.chunk, &chunk)
        defer { swap(&self.chunk, &chunk) }
        begin(ResponseHeader(respondentID: r.respondentID, replaces: r.replaces, group: r.group, rawGroup: r.rawGroup, country: r.country,
                             wave: r.wave, submittedAt: r.submittedAt, weight: r.weight, location: r.location), raw: r.raw)
        for a in r.answers { closed(question: a.question, value: a.value, missing: a.missing) { a.raw } }
        for c in r.choices { choice(c) }
        for t in r.texts { pendingTexts.append(PendingText(question: t.question, text: .copy(t.text, field: t.field), codes: t.codes)) }
        end()
    }

    // MARK: Packing as the coder codes (`ResponseSink`)

    /// The chunk responses are packed into by the `ResponseSink` calls; `takeChunk` hands it over.
    public private(set) var chunk = PackedChunk()
    private var header = ResponseHeader(respondentID: "", replaces: nil, group: nil, rawGroup: "", country: nil, wave: nil, submittedAt: nil,
                                        weight: nil, location: SourceLocation(file: "", line: 0))
    private var raw = FieldRow()
    private var closedBytes: [UInt8] = []
    private var closedCount = 0
    private var pendingChoices: [ChoiceAnswer] = []
    private var pendingTexts: [PendingText] = []

    /// An open answer waiting for the response's end.
    struct PendingText {
        enum Text {
            /// The whole raw field.
            case field(Int)
            /// A copy of the text, found in its raw field if it has one.
            case copy(String, field: Int?)
        }
        var question: String
        var text: Text
        var codes: [String]
    }

    /// The chunk packed so far; the next response starts a new one.
    public mutating func takeChunk() -> PackedChunk {
        var out = PackedChunk()
        swap(&out, &chunk)
        return out
    }

    public mutating func begin(_ header: ResponseHeader, raw: FieldRow) {
        if provisional && chunk.entries.isEmpty {
            // A new chunk: its provisional numbers start again.
            localNumbers.removeAll(keepingCapacity: true)
            localNames.removeAll(keepingCapacity: true)
        }
        localFixups.removeAll(keepingCapacity: true)
        self.header = header
        self.raw = raw
        closedBytes.removeAll(keepingCapacity: true)
        closedCount = 0
        pendingChoices.removeAll(keepingCapacity: true)
        pendingTexts.removeAll(keepingCapacity: true)
    }

    public mutating func closed(question q: String, value: Double?, missing: MissingKind?, raw: () -> String) {
        let k = closedCount
        closedCount += 1
        guard let byte = PackedAnswers.closedByte(value: value, missing: missing), let idx = question(q, at: k) else {
            chunk.unpacked.append((chunk.entries.count, CodedAnswer(question: q, value: value, missing: missing, raw: raw())))
            return
        }
        if closedBytes.count < idx { closedBytes += repeatElement(0, count: idx - closedBytes.count) }
        closedBytes[idx - 1] = byte
    }

    public mutating func choice(_ c: ChoiceAnswer) { pendingChoices.append(c) }

    public mutating func text(question: String, field: Int, trimmed: String?, codes: [String]) {
        pendingTexts.append(PendingText(question: question, text: trimmed.map { .copy($0, field: field) } ?? .field(field), codes: codes))
    }

    public mutating func end() {
        // The chunk as a local while it is written: the blobs' writers also update this packer.
        var chunk = PackedChunk()
        swap(&chunk, &self.chunk)
        defer { swap(&chunk, &self.chunk) }
        let r = header
        var e = PackedChunk.Entry(
            respondentID: chunk.append(r.respondentID), replaces: chunk.append(r.replaces),
            file: chunk.append(r.location.file), line: Int64(r.location.line),
            group: chunk.append(r.group), rawGroup: chunk.append(r.rawGroup), country: chunk.append(r.country), wave: chunk.append(r.wave),
            submittedAt: r.submittedAt?.timeIntervalSince1970, weight: r.weight ?? 1,
            closed: closedBytes.isEmpty ? .null : closedBytes.withUnsafeBufferPointer { chunk.append($0) },
            chosen: .null, coded: .null, raw: .null, texts: .null)
        e.chosen = chunk.appendBlob { b in
            for (k, c) in pendingChoices.enumerated() {
                writeRef(question: c.question, slot: 2 * k, to: &b)
                if c.options.isEmpty, let m = c.missing {
                    b.append(255); b.append(PackedAnswers.missingByte(m)); continue
                }
                b.append(UInt8(min(254, c.options.count)))
                writeRefs(options: c.options, of: c.question, at: k, to: &b)
            }
        }
        e.coded = chunk.appendBlob { b in
            for (k, t) in pendingTexts.enumerated() {
                writeRef(question: t.question, slot: 2 * k + 1, to: &b)
                let length = switch t.text {
                case .field(let f): raw.withField(f, PackedAnswers.characterCount)
                case .copy(let text, _): PackedAnswers.characterCount(text)
                }
                PackedAnswers.append32(length, to: &b)
                let codes = t.codes.count < 2 ? t.codes : Self.sortedUnique(t.codes)
                b.append(UInt8(min(254, codes.count)))
                for c in codes.prefix(254) { writeRef(code: c, to: &b) }
            }
        }
        e.texts = chunk.appendBlob { b in
            for (k, t) in pendingTexts.enumerated() {
                writeRef(question: t.question, slot: 2 * k + 1, to: &b)
                switch t.text {
                case .field(let f): PackedAnswers.appendReference(field: f, start: 0, count: raw.range(f).count, to: &b)
                case .copy(let text, let field): PackedAnswers.appendText(text, field: field, raw: raw, to: &b)
                }
            }
            // "Other (specify)" text is kept as an open answer of its own.
            for c in pendingChoices {
                if let other = c.other {
                    writeRef(question: c.question + ".other", to: &b)
                    PackedAnswers.appendText(other, field: c.otherField, raw: raw, to: &b)
                }
            }
        }
        e.raw = chunk.appendBlob { RawJSON.write(raw, to: &$0) }
        chunk.entries.append(e)
        chunk.newNames += takeNewNames()
        if !localFixups.isEmpty {
            chunk.provisional = localNames
            chunk.fixups += localFixups
        }
    }
}
