import BarazaKit
import Foundation
import BarazaModel
import GRDB

/// Responses made ready for the store, a chunk at a time: every string and blob of every response
/// in one byte arena, and per response a fixed-size entry of spans into it. Made on the import's
/// coding workers; the writing thread binds straight from the arena. A struct of Strings and arrays
/// per response, as before, cost the writer two fifths of its time in retain, release and
/// cross-thread frees (perf, 100k-row import).
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
    package private(set) var provisional = false
    /// The raw records are not written into the chunks: the caller hands them to the sink with
    /// each chunk where they lie (`BatchSink.add(_:raw:)`).
    package var rawElsewhere = false
    /// The current chunk's provisional numbers by name, and the names by number.
    private var localNumbers: [NameKey: Int] = [:]
    private var localNames: [PackedChunk.Name] = []

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
    private static func index<Key: Hashable>(
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
    private mutating func ref(_ known: Int?, _ makeKey: @autoclosure () -> NameKey) -> Ref {
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

    private mutating func questionRef(_ q: String) -> Ref { ref(questionIndex[q], .question(q)) }

    /// Registry indices of the names the last responses used, so that a name repeated response
    /// after response is found by comparing strings (the same storage: the coder hands out the
    /// question's id and its memoised option lists) instead of hashing them: by position among
    /// the response's choice and open answers, the options met per choice position, and the codes.
    private var slotQuestions: [(name: String, index: Int)] = []
    private var slotOptionQuestion: [String] = []
    /// The references met per choice position: registry indices, and in a worker the chunk-local
    /// numbers of options the registry does not have (undeclared options, met in every response
    /// of an export that lists none; hashed per answer before), dropped when a chunk starts.
    private var slotOptions: [[(option: String, ref: Ref)]] = []
    private var recentCodes: [(name: String, index: Int)] = []

    /// The reference to question `q` of the response's choice answer `k` (slot 2k) or open
    /// answer `k` (slot 2k + 1).
    private mutating func questionRef(_ q: String, slot: Int) -> Ref {
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
    private mutating func optionRef(_ o: String, of q: String, at slot: Int) -> Ref {
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

    private mutating func codeRef(_ c: String) -> Ref {
        for r in recentCodes where r.name == c { return Ref(value: r.index, provisional: false) }
        let known = codeIndex[c]
        if let known, recentCodes.count < 16 { recentCodes.append((c, known)) }
        return ref(known, .code(c))
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
    private mutating func sortedUnique(_ codes: [String]) -> [String] {
        codeScratch.removeAll(keepingCapacity: true)
        for c in codes {
            var at = codeScratch.count
            while at > 0 && c < codeScratch[at - 1] { at -= 1 }
            if at > 0 && codeScratch[at - 1] == c { continue }
            codeScratch.insert(c, at: at)
        }
        return codeScratch
    }

    private var codeScratch: [String] = []

    /// Packs `r` into `chunk`.
    package mutating func pack(_ r: Response, into chunk: inout PackedChunk) {
        swap(&self.chunk, &chunk)
        defer { swap(&self.chunk, &chunk) }
        r.raw.withView { raw in pack(r, raw: raw) }
    }

    private mutating func pack(_ r: Response, raw: FieldView) {
        begin(
            ResponseHeader(
                respondentID: r.respondentID,
                replaces: r.replaces,
                group: r.group,
                rawGroup: r.rawGroup,
                country: r.country,
                wave: r.wave,
                submittedAt: r.submittedAt,
                weight: r.weight,
                location: r.location
            ),
            raw: raw,
            questions: [],
            codes: []
        )
        for a in r.answers {
            let k = closedCount
            closedCount += 1
            closed(named: a.question, at: k, value: a.value, missing: a.missing) { a.raw }
        }
        for c in r.choices { choice(c) }
        for t in r.texts {
            let k = textCount
            textCount += 1
            codeRefs.removeAll(keepingCapacity: true)
            for c in (t.codes.count < 2 ? t.codes : sortedUnique(t.codes)).prefix(254) { codeRefs.append(codeRef(c)) }
            addText(questionRef(t.question, slot: 2 * k + 1), text: .copy(t.text, field: t.field))
        }
        end()
    }

    // MARK: Packing as the coder codes (`ResponseSink`)

    /// The chunk responses are packed into by the `ResponseSink` calls; `takeChunk` hands it over.
    package private(set) var chunk = PackedChunk()
    /// The response's entry: its header's strings are written into the arena at `begin` (keeping a
    /// copy of the header retained its seven Strings and released the last one's), its blobs at `end`.
    private var entry = PackedChunk.Entry.empty
    /// The record's fields, lent from `begin` to `end`.
    private var raw = FieldView.empty
    private var closedBytes: [UInt8] = []
    private var closedCount = 0
    /// The response's blobs, written as its answers arrive (no list of answers kept to the end).
    private var chosen = Blob()
    private var coded = Blob()
    private var texts = Blob()
    private var choiceCount = 0
    private var textCount = 0
    /// "Other (specify)" texts, written after the open answers in the texts blob.
    private var others: [(question: String, text: String, field: Int?)] = []

    /// An open answer's text.
    enum Text {
        /// The whole raw field.
        case field(Int)
        /// A copy of the text, found in its raw field if it has one.
        case copy(String, field: Int?)
    }

    /// The chunk packed so far; the next response starts a new one.
    /// The next chunk is packed into `spare` (an emptied chunk) when one is given.
    package mutating func takeChunk(reusing spare: consuming PackedChunk? = nil) -> PackedChunk {
        var out = spare ?? PackedChunk()
        // The next chunk's arena and entries sized like this one's (up to 8 MiB, so that a chunk
        // with a huge record does not make the next one hold as much): grown by doubling from
        // empty, the arena was copied over and over (reserving: 1.2% fewer cycles on the 200k XML).
        out.bytes.reserveCapacity(min(chunk.bytes.count, 8 << 20))
        out.entries.reserveCapacity(chunk.entries.count)
        swap(&out, &chunk)
        return out
    }

    /// The questions of `begin`, and per question its registry index (0 when it has none yet; then it
    /// is looked up by name), worked out again only when `begin` is given another array.
    private var questionNames: [String] = []
    private var questionIndices: [Int] = []

    /// The codes of `begin`, per code its registry index (0: none yet, looked up by name) and its
    /// rank in name order (open answers list their codes sorted by name).
    private var codeNames: [String] = []
    private var codeIndices: [Int] = []
    private var codeRank: [Int] = []
    /// The current open answer's code references, sorted and each once.
    private var codeRefs: [Ref] = []
    private var codeScratchIDs: [Int32] = []

    private static func same(_ a: [String], _ b: [String]) -> Bool {
        a.count == b.count
            && a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in a.baseAddress == b.baseAddress } }
    }

    package mutating func begin(_ header: ResponseHeader, raw: FieldView, questions: [String], codes: [String]) {
        var id = header.respondentID
        id.withUTF8 { id in
            begin(
                respondentID: id,
                replaces: header.replaces,
                group: header.group,
                rawGroup: header.rawGroup,
                country: header.country,
                wave: header.wave,
                submittedAt: header.submittedAt,
                weight: header.weight,
                location: header.location,
                raw: raw,
                questions: questions,
                codes: codes
            )
        }
    }

    package mutating func begin(
        respondentID: UnsafeBufferPointer<UInt8>,
        replaces: String?,
        group: String?,
        rawGroup: String,
        country: String?,
        wave: String?,
        submittedAt: Date?,
        weight: Double?,
        location: SourceLocation,
        raw: FieldView,
        questions: [String],
        codes: [String]
    ) {
        if !Self.same(questions, questionNames) {
            questionNames = questions
            questionIndices = questions.map { questionIndex[$0] ?? 0 }
        }
        if !Self.same(codes, codeNames) {
            codeNames = codes
            codeIndices = codes.map { codeIndex[$0] ?? 0 }
            codeRank = Array(repeating: 0, count: codes.count)
            for (rank, i) in codes.indices.sorted(by: { codes[$0] < codes[$1] }).enumerated() { codeRank[i] = rank }
        }
        if provisional && chunk.entries.isEmpty {
            // A new chunk: its provisional numbers start again.
            chunkNumber += 1
            localNumbers.removeAll(keepingCapacity: true)
            localNames.removeAll(keepingCapacity: true)
            for k in slotOptions.indices { slotOptions[k].removeAll { $0.ref.provisional } }
        }
        entry = PackedChunk.Entry(
            respondentID: chunk.append(respondentID),
            replaces: chunk.append(replaces),
            file: chunk.append(location.file),
            line: Int64(location.line),
            group: chunk.append(group),
            rawGroup: chunk.append(rawGroup),
            country: chunk.append(country),
            wave: chunk.append(wave),
            submittedAt: submittedAt?.timeIntervalSince1970,
            weight: weight ?? 1,
            closed: .null,
            chosen: .null,
            coded: .null,
            raw: .null,
            texts: .null
        )
        self.raw = raw
        closedBytes.removeAll(keepingCapacity: true)
        closedCount = 0
        chosen.removeAll()
        coded.removeAll()
        texts.removeAll()
        choiceCount = 0
        textCount = 0
        others.removeAll(keepingCapacity: true)
    }

    package mutating func closed(question: Int, value: Double?, missing: MissingKind?, raw: () -> String) {
        let k = closedCount
        closedCount += 1
        let idx = questionIndices[question]
        if idx > 0, let byte = PackedAnswers.closedByte(value: value, missing: missing) {
            Self.put(byte, at: idx, in: &closedBytes)
            return
        }
        closed(named: questionNames[question], at: k, value: value, missing: missing, raw: raw)
    }

    /// A scale point: its byte straight from the integer (`PackedAnswers.closedByte` of the point
    /// as a Double is the same byte).
    @inline(__always) public mutating func closed(question: Int, point: Int, raw: () -> String) {
        let idx = questionIndices[question]
        guard idx > 0, point >= -99, point <= 149 else {
            return closed(question: question, value: Double(point), missing: nil, raw: raw)
        }
        closedCount += 1
        Self.put(UInt8(point + 100), at: idx, in: &closedBytes)
    }

    /// A closed answer to question `q`, the response's `k`-th.
    private mutating func closed(named q: String, at k: Int, value: Double?, missing: MissingKind?, raw: () -> String) {
        guard let byte = PackedAnswers.closedByte(value: value, missing: missing), let idx = question(q, at: k) else {
            chunk.unpacked.append(
                (chunk.entries.count, CodedAnswer(question: q, value: value, missing: missing, raw: raw()))
            )
            return
        }
        Self.put(byte, at: idx, in: &closedBytes)
    }

    /// Sets `bytes[idx - 1]`, zeros filling any gap: most often it is the next byte, appended (a
    /// generic append of repeated zeros per answer was 1% of the 100k CSV import's samples).
    @inline(__always) private static func put(_ byte: UInt8, at idx: Int, in bytes: inout [UInt8]) {
        if bytes.count == idx - 1 {
            bytes.append(byte)
            return
        }
        while bytes.count < idx { bytes.append(0) }
        bytes[idx - 1] = byte
    }

    /// The chosen-blob bytes written for keyed choice answers without an "other" text, by question
    /// and key entry: the same answer again is those bytes again, with no answer copied and no
    /// option looked up. Bytes with provisional numbers (and their fixups) hold only within the
    /// chunk they were made in (`chunkNumber`), whose numbers they are. Dropped when the key's
    /// generation changes.
    ///
    /// An entry is plain numbers: where its bytes and fixups lie in `choiceArena` and
    /// `choiceFixups`. (Entries holding their own two arrays cost two retains and two releases per
    /// answer read: 2% of the import's samples in perf.) An entry made again (a new chunk's
    /// numbers) takes its old place, which has its length; the arena is emptied with the entries
    /// when it would pass `choiceArenaLimit`.
    private struct CachedChoice {
        var start: Int, count: Int
        var fixupStart: Int, fixupCount: Int
        var chunk: Int
    }
    private var choiceBytes: [[CachedChoice?]] = []
    private var choiceArena: [UInt8] = []
    private var choiceFixups: [PackedChunk.Fixup] = []
    /// Settable for tests (a tiny arena is emptied all the time).
    var choiceArenaLimit = 1 << 20
    private var choiceGeneration = -1
    /// Counts the chunks begun (a worker's provisional numbers start again with each).
    private var chunkNumber = 0

    package mutating func choice(question: Int, key: ChoiceKey?, _ answer: ((borrowing ChoiceAnswer) -> Void) -> Void) {
        guard let key else { return answer { choice($0) } }
        if key.generation != choiceGeneration {
            choiceGeneration = key.generation
            forgetChoices()
        }
        let old =
            question < choiceBytes.count && key.entry < choiceBytes[question].count
            ? choiceBytes[question][key.entry] : nil
        if let cached = old, cached.fixupCount == 0 || cached.chunk == chunkNumber {
            choiceCount += 1
            let start = chosen.bytes.count
            choiceArena.withUnsafeBufferPointer { a in
                chosen.bytes.append(
                    contentsOf: UnsafeBufferPointer(rebasing: a[cached.start..<cached.start + cached.count])
                )
            }
            for j in cached.fixupStart..<cached.fixupStart + cached.fixupCount {
                let f = choiceFixups[j]
                chosen.fixups.append(PackedChunk.Fixup(offset: start + f.offset, width: f.width))
            }
            return
        }
        let start = chosen.bytes.count
        let fixups = chosen.fixups.count
        var hasOther = false
        answer { c in
            choice(c)
            hasOther = c.other != nil
        }
        // An answer with an "other" text is never keyed by the coder (its text is not in the bytes);
        // the table grows with the largest entry kept, so entries past 65,535 are not kept.
        guard !hasOther, key.entry < 1 << 16 else { return }
        let count = chosen.bytes.count - start
        let fixupCount = chosen.fixups.count - fixups
        var entry = CachedChoice(
            start: choiceArena.count,
            count: count,
            fixupStart: choiceFixups.count,
            fixupCount: fixupCount,
            chunk: chunkNumber
        )
        if let old, old.count == count, old.fixupCount == fixupCount {
            // Made again for a new chunk: the same answer, so the same length, in its old place.
            entry.start = old.start
            entry.fixupStart = old.fixupStart
            choiceArena.withUnsafeMutableBufferPointer { a in
                chosen.bytes.withUnsafeBufferPointer { b in for k in 0..<count { a[old.start + k] = b[start + k] } }
            }
        } else {
            if choiceArena.count + count > choiceArenaLimit {
                forgetChoices()
                entry.start = 0
                entry.fixupStart = 0
            }
            choiceArena.append(contentsOf: chosen.bytes[start...])
            choiceFixups.append(contentsOf: repeatElement(PackedChunk.Fixup(offset: 0, width: 0), count: fixupCount))
        }
        for j in 0..<fixupCount {
            let f = chosen.fixups[fixups + j]
            choiceFixups[entry.fixupStart + j] = PackedChunk.Fixup(offset: f.offset - start, width: f.width)
        }
        while choiceBytes.count <= question { choiceBytes.append([]) }
        while choiceBytes[question].count <= key.entry { choiceBytes[question].append(nil) }
        choiceBytes[question][key.entry] = entry
    }

    private mutating func forgetChoices() {
        choiceBytes.removeAll()
        choiceArena.removeAll(keepingCapacity: true)
        choiceFixups.removeAll(keepingCapacity: true)
    }

    /// Writes the choice's entry in the chosen blob: its question, then 255 and the missing kind,
    /// or the number of options (up to 254) and their references.
    mutating func choice(_ c: ChoiceAnswer) {
        let k = choiceCount
        choiceCount += 1
        chosen.write(questionRef(c.question, slot: 2 * k), width: 2)
        if c.options.isEmpty, let m = c.missing {
            chosen.bytes.append(255)
            chosen.bytes.append(PackedAnswers.missingByte(m))
        } else {
            chosen.bytes.append(UInt8(min(254, c.options.count)))
            for o in c.options.prefix(254) { chosen.write(optionRef(o, of: c.question, at: k), width: 4) }
        }
        if let other = c.other { others.append((c.question, other, c.otherField)) }
    }

    package mutating func text(question: Int, field: Int, trimmed: String?, codes: UnsafeBufferPointer<Int32>) {
        let k = textCount
        textCount += 1
        let idx = questionIndices[question]
        let r = idx > 0 ? Ref(value: idx, provisional: false) : questionRef(questionNames[question], slot: 2 * k + 1)
        // The codes sorted by name (by rank: no String compared), each once.
        codeScratchIDs.removeAll(keepingCapacity: true)
        for c in codes {
            var at = codeScratchIDs.count
            while at > 0 && codeRank[Int(c)] < codeRank[Int(codeScratchIDs[at - 1])] { at -= 1 }
            if at > 0 && codeScratchIDs[at - 1] == c { continue }
            codeScratchIDs.insert(c, at: at)
        }
        codeRefs.removeAll(keepingCapacity: true)
        for j in codeScratchIDs.indices.prefix(254) {
            let c = Int(codeScratchIDs[j])
            codeRefs.append(codeIndices[c] > 0 ? Ref(value: codeIndices[c], provisional: false) : codeRef(codeNames[c]))
        }
        addText(r, text: trimmed.map { .copy($0, field: field) } ?? .field(field))
    }

    /// Writes an open answer's entries: in the coded blob its question, length in characters and
    /// codes (`codeRefs`, sorted, each once, up to 254); in the texts blob its question and text.
    /// `r` is the reference to its question.
    private mutating func addText(_ r: Ref, text: Text) {
        coded.write(r, width: 2)
        let length =
            switch text {
            case .field(let f): raw.withField(f, PackedAnswers.characterCount)
            case .copy(let text, _): PackedAnswers.characterCount(text)
            }
        PackedAnswers.append32(length, to: &coded.bytes)
        coded.bytes.append(UInt8(codeRefs.count))
        for j in codeRefs.indices { coded.write(codeRefs[j], width: 4) }
        texts.write(r, width: 2)
        switch text {
        case .field(let f):
            PackedAnswers.appendReference(field: f, start: 0, count: raw.range(f).count, to: &texts.bytes)
        case .copy(let text, let field): PackedAnswers.appendText(text, field: field, raw: raw, to: &texts.bytes)
        }
    }

    /// Appends a blob to the chunk's arena (NULL when empty), its fixups made arena offsets.
    /// Static, with the blob borrowed: as a mutating method reading one of the packer's own blobs,
    /// each call retained and released its two arrays (three blobs a record).
    private static func append(
        _ blob: borrowing Blob,
        to chunk: inout PackedChunk,
        localNames: borrowing [PackedChunk.Name]
    ) -> PackedChunk.Span {
        guard !blob.bytes.isEmpty else { return .null }
        let start = chunk.bytes.count
        blob.bytes.withUnsafeBufferPointer { chunk.bytes.append(contentsOf: $0) }
        if !blob.fixups.isEmpty {
            // The names as they stand, taken when they have grown since: within a chunk they are
            // only added to, so the same count is the same names (assigned per blob, the array
            // was retained and released for every record: 1% of the import's samples).
            if chunk.provisional.count != localNames.count { chunk.provisional = copy localNames }
            for f in blob.fixups { chunk.fixups.append(PackedChunk.Fixup(offset: start + f.offset, width: f.width)) }
        }
        return PackedChunk.Span(start: start, count: blob.bytes.count)
    }

    package mutating func end() {
        // "Other (specify)" text is kept as an open answer of its own, after the open answers.
        for o in others {
            texts.write(questionRef(o.question + ".other"), width: 2)
            PackedAnswers.appendText(o.text, field: o.field, raw: raw, to: &texts.bytes)
        }
        // The chunk as a local while it is written.
        var chunk = PackedChunk()
        swap(&chunk, &self.chunk)
        defer { swap(&chunk, &self.chunk) }
        var e = entry
        e.closed = closedBytes.isEmpty ? .null : closedBytes.withUnsafeBufferPointer { chunk.append($0) }
        e.chosen = Self.append(chosen, to: &chunk, localNames: localNames)
        e.coded = Self.append(coded, to: &chunk, localNames: localNames)
        e.texts = Self.append(texts, to: &chunk, localNames: localNames)
        if !rawElsewhere { e.raw = chunk.appendBlob { RawFields.write(raw, to: &$0) } }
        chunk.entries.append(e)
        chunk.newNames += takeNewNames()
        raw = .empty
    }
}
