import BarazaKit
import Foundation
import BarazaModel
import GRDB

/// Responses made ready for the store, a chunk at a time: every string and blob of every response
/// in one byte arena, and per response a fixed-size entry of spans into it. Made on the import's
/// coding workers; the writing thread binds straight from the arena. A struct of Strings and arrays
/// per response, as before, cost the writer much of its time in retain, release and cross-thread
/// frees.
package struct PackedChunk: Sendable {
    /// Bytes `start..<start + count` of the arena; `count` −1 for NULL.
    struct Span: Sendable {
        var start: Int
        var count: Int
        static let null = Span(start: 0, count: -1)
    }

    struct Entry: Sendable {
        static let empty = Entry(
            respondentID: .null,
            replaces: .null,
            file: .null,
            line: 0,
            group: .null,
            rawGroup: .null,
            country: .null,
            wave: .null,
            submittedAt: nil,
            weight: 1,
            closed: .null,
            chosen: .null,
            coded: .null,
            raw: .null,
            texts: .null
        )
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

    package init() {}

    /// `other` emptied, its arrays' storage kept to be filled again (an arena over 4 MiB, after
    /// huge records, is not kept: the spares waiting to be filled hold at most that much each): a
    /// new arena per chunk, freed by the writing thread, was memory faulted in again chunk after
    /// chunk.
    package init(emptying other: consuming PackedChunk) {
        if other.bytes.capacity > 4 << 20 { return }
        self = consume other
        bytes.removeAll(keepingCapacity: true)
        entries.removeAll(keepingCapacity: true)
        unpacked.removeAll(keepingCapacity: true)
        newNames.removeAll(keepingCapacity: true)
        provisional.removeAll(keepingCapacity: true)
        fixups.removeAll(keepingCapacity: true)
    }

    mutating func append(_ s: String) -> Span {
        // The String's own bytes where it has them (a native String always does): `withUTF8` on a
        // copy retained it.
        if let span = s.utf8.withContiguousStorageIfAvailable({ append($0) }) { return span }
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
package struct ResponsePacker: Sendable, ResponseSink {
    struct OptionKey: Hashable, Sendable {
        var question: String
        var option: String
    }

    var questionIndex: [String: Int]
    var optionIndex: [OptionKey: Int] = [:]
    var codeIndex: [String: Int]
    var nextQuestion: Int
    var nextOption: Int
    var nextCode: Int
    /// Registry indices of the last response's closed answers, by position: responses of one file
    /// list their questions in the same order, so a look-up is a string comparison.
    var lastQuestions: [String] = []
    var lastIndices: [Int] = []
    var fresh: [PackedChunk.Name] = []

    /// A worker's packer: names without an index get chunk-local numbers (see the type's note).
    package internal(set) var provisional = false
    /// The raw records are not written into the chunks: the caller hands them to the sink with
    /// each chunk where they lie (`BatchSink.add(_:raw:)`).
    package var rawElsewhere = false
    /// The current chunk's provisional numbers by name, and the names by number.
    var localNumbers: [NameKey: Int] = [:]
    var localNames: [PackedChunk.Name] = []

    init(_ registry: Registry) {
        questionIndex = registry.questionIndex
        codeIndex = registry.codeIndex
        for (i, name) in registry.optionName {
            optionIndex[OptionKey(question: name.question, option: name.option)] = i
        }
        nextQuestion = (registry.questionName.keys.max() ?? 0) + 1
        nextOption = (registry.optionName.keys.max() ?? 0) + 1
        nextCode = (registry.codeName.keys.max() ?? 0) + 1
    }

    /// A copy for a coding worker (see the type's note).
    package func worker() -> ResponsePacker {
        var p = self
        p.provisional = true
        p.fresh = []
        return p
    }

    /// The index of `key`, or the next free one, noted as a new name to write.
    static func index<Key: Hashable>(
        _ key: Key,
        _ indices: inout [Key: Int],
        _ next: inout Int,
        _ fresh: inout [PackedChunk.Name],
        _ name: (Int) -> PackedChunk.Name
    ) -> Int {
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

    mutating func code(_ c: String) -> Int { Self.index(c, &codeIndex, &nextCode, &fresh) { .code($0, c) } }

    /// Gives names their indices ahead of the rows (a consultation's questions, declared options and
    /// codes), so that worker packers made afterwards know them.
    package mutating func register(questions: [String], options: [(question: String, option: String)], codes: [String])
    {
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

    /// A reference to a name as written into a blob: its registry index, or in a worker that has
    /// none a chunk-local number that needs a fixup.
    struct Ref {
        var value: Int
        var provisional: Bool
    }

    /// A response's blob as it is written, with the fixups of its provisional numbers (offsets in
    /// `bytes`, made arena offsets when the blob is appended to the chunk).
    struct Blob {
        var bytes: [UInt8] = []
        var fixups: [PackedChunk.Fixup] = []

        mutating func write(_ r: Ref, width: Int) {
            if r.provisional { fixups.append(PackedChunk.Fixup(offset: bytes.count, width: width)) }
            if width == 2 {
                PackedAnswers.append16(r.value, to: &bytes)
            } else {
                PackedAnswers.append32(r.value, to: &bytes)
            }
        }

        mutating func removeAll() {
            bytes.removeAll(keepingCapacity: true)
            fixups.removeAll(keepingCapacity: true)
        }
    }

    /// The reference to a name: `known`, its index when the registry has one; else a new index, or
    /// in a worker a chunk-local number.
    /// `key` is made only when `known` is nil: made for every look-up, each answer's name was
    /// retained into it and released again.
    mutating func ref(_ known: Int?, _ makeKey: @autoclosure () -> NameKey) -> Ref {
        if let known { return Ref(value: known, provisional: false) }
        let key = makeKey()
        if !provisional {
            switch key {
            case .question(let q): return Ref(value: question(q), provisional: false)
            case .option(let q, let o): return Ref(value: option(q, o), provisional: false)
            case .code(let c): return Ref(value: code(c), provisional: false)
            }
        }
        if let n = localNumbers[key] { return Ref(value: n, provisional: true) }
        let i = localNames.count
        localNumbers[key] = i
        localNames.append(key.name(i))
        return Ref(value: i, provisional: true)
    }

    mutating func questionRef(_ q: String) -> Ref { ref(questionIndex[q], .question(q)) }

    /// Registry indices of the names the last responses used, so that a name repeated response
    /// after response is found by comparing strings (the same storage: the coder hands out the
    /// question's id and its memoised option lists) instead of hashing them: by position among
    /// the response's choice and open answers, the options met per choice position, and the codes.
    var slotQuestions: [(name: String, index: Int)] = []
    var slotOptionQuestion: [String] = []
    /// The references met per choice position: registry indices, and in a worker the chunk-local
    /// numbers of options the registry does not have (undeclared options, met in every response
    /// of an export that lists none; hashed per answer before), dropped when a chunk starts.
    var slotOptions: [[(option: String, ref: Ref)]] = []
    var recentCodes: [(name: String, index: Int)] = []

    /// The reference to question `q` of the response's choice answer `k` (slot 2k) or open
    /// answer `k` (slot 2k + 1).
    mutating func questionRef(_ q: String, slot: Int) -> Ref {
        if slot < slotQuestions.count, slotQuestions[slot].index >= 0, slotQuestions[slot].name == q {
            return Ref(value: slotQuestions[slot].index, provisional: false)
        }
        let known = questionIndex[q]
        if let known {
            while slotQuestions.count < slot { slotQuestions.append(("", -1)) }  // a slot not yet met
            if slot < slotQuestions.count { slotQuestions[slot] = (q, known) } else { slotQuestions.append((q, known)) }
        }
        return ref(known, .question(q))
    }

    /// The reference to option `o` of question `q`, answered at choice position `slot`: multiple
    /// choices vary from response to response, so each position keeps the options it has met
    /// (up to 64) and finds them by string comparison.
    mutating func optionRef(_ o: String, of q: String, at slot: Int) -> Ref {
        while slotOptions.count <= slot {
            slotOptions.append([])
            slotOptionQuestion.append("")
        }
        if slotOptionQuestion[slot] != q {
            slotOptionQuestion[slot] = q
            slotOptions[slot].removeAll(keepingCapacity: true)
        }
        // By index: `for m in slotOptions[slot]` copied (retained and released) the list.
        for j in slotOptions[slot].indices where slotOptions[slot][j].option == o { return slotOptions[slot][j].ref }
        let r = ref(optionIndex[OptionKey(question: q, option: o)], .option(q, o))
        if slotOptions[slot].count < 64 { slotOptions[slot].append((o, r)) }
        return r
    }

    mutating func codeRef(_ c: String) -> Ref {
        for r in recentCodes where r.name == c { return Ref(value: r.index, provisional: false) }
        let known = codeIndex[c]
        if let known, recentCodes.count < 16 { recentCodes.append((c, known)) }
        return ref(known, .code(c))
    }

    /// The closed answer's question index at position `k`, nil in a worker that has none for it.
    mutating func question(_ q: String, at k: Int) -> Int? {
        if k < lastQuestions.count, lastQuestions[k] == q { return lastIndices[k] }
        let i: Int
        if provisional {
            guard let known = questionIndex[q] else { return nil }
            i = known
        } else {
            i = question(q)
        }
        if k < lastQuestions.count {
            lastQuestions[k] = q
            lastIndices[k] = i
        } else if k == lastQuestions.count {
            lastQuestions.append(q)
            lastIndices.append(i)
        }
        return i
    }

    /// `codes` sorted, each once (without hashing them), in a buffer kept from answer to answer
    /// (an open answer has a handful of codes: insertion sort, no array allocated).
    mutating func sortedUnique(_ codes: [String]) -> [String] {
        codeScratch.removeAll(keepingCapacity: true)
        for c in codes {
            var at = codeScratch.count
            while at > 0 && c < codeScratch[at - 1] { at -= 1 }
            if at > 0 && codeScratch[at - 1] == c { continue }
            codeScratch.insert(c, at: at)
        }
        return codeScratch
    }

    var codeScratch: [String] = []

    /// The chunk responses are packed into by the `ResponseSink` calls; `takeChunk` hands it over.
    package internal(set) var chunk = PackedChunk()
    /// The response's entry: its header's strings are written into the arena at `begin` (keeping a
    /// copy of the header retained its seven Strings and released the last one's), its blobs at `end`.
    var entry = PackedChunk.Entry.empty
    /// The record's fields, lent from `begin` to `end`.
    var raw = FieldView.empty
    var closedBytes: [UInt8] = []
    var closedCount = 0
    /// The response's blobs, written as its answers arrive (no list of answers kept to the end).
    var chosen = Blob()
    var coded = Blob()
    var texts = Blob()
    var choiceCount = 0
    var textCount = 0
    /// "Other (specify)" texts, written after the open answers in the texts blob.
    var others: [(question: String, text: String, field: Int?)] = []

    /// The questions of `begin`, and per question its registry index (0 when it has none yet; then it
    /// is looked up by name), worked out again only when `begin` is given another array.
    var questionNames: [String] = []
    var questionIndices: [Int] = []

    /// The codes of `begin`, per code its registry index (0: none yet, looked up by name) and its
    /// rank in name order (open answers list their codes sorted by name).
    var codeNames: [String] = []
    var codeIndices: [Int] = []
    var codeRank: [Int] = []
    /// The current open answer's code references, sorted and each once.
    var codeRefs: [Ref] = []
    var codeScratchIDs: [Int32] = []

    var choiceBytes: [[CachedChoice?]] = []
    var choiceArena: [UInt8] = []
    var choiceFixups: [PackedChunk.Fixup] = []
    /// Settable for tests (a tiny arena is emptied all the time).
    var choiceArenaLimit = 1 << 20
    var choiceGeneration = -1
    /// Counts the chunks begun (a worker's provisional numbers start again with each).
    var chunkNumber = 0
}
