import BarazaKit
import Foundation
import BarazaModel
import GRDB

/// Packing a response: whole (`pack`), or as the coder codes it (`ResponseSink`: a header, then
/// each answer, straight into the chunk's bytes).
extension ResponsePacker {
    /// Packs `r` into `chunk`.
    package mutating func pack(_ r: Response, into chunk: inout PackedChunk) {
        swap(&self.chunk, &chunk)
        defer { swap(&self.chunk, &chunk) }
        r.raw.withView { raw in pack(r, raw: raw) }
    }

    mutating func pack(_ r: Response, raw: FieldView) {
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
        // empty, the arena was copied over and over.
        out.bytes.reserveCapacity(min(chunk.bytes.count, 8 << 20))
        out.entries.reserveCapacity(chunk.entries.count)
        swap(&out, &chunk)
        return out
    }

    static func same(_ a: [String], _ b: [String]) -> Bool {
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
    mutating func closed(named q: String, at k: Int, value: Double?, missing: MissingKind?, raw: () -> String) {
        guard let byte = PackedAnswers.closedByte(value: value, missing: missing), let idx = question(q, at: k) else {
            chunk.unpacked.append(
                (chunk.entries.count, CodedAnswer(question: q, value: value, missing: missing, raw: raw()))
            )
            return
        }
        Self.put(byte, at: idx, in: &closedBytes)
    }

    /// Sets `bytes[idx - 1]`, zeros filling any gap: most often it is the next byte, appended (a
    /// generic append of repeated zeros per answer showed in profiles).
    @inline(__always) static func put(_ byte: UInt8, at idx: Int, in bytes: inout [UInt8]) {
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
    struct CachedChoice {
        var start: Int, count: Int
        var fixupStart: Int, fixupCount: Int
        var chunk: Int
    }

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

    mutating func forgetChoices() {
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
    mutating func addText(_ r: Ref, text: Text) {
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
    static func append(_ blob: borrowing Blob, to chunk: inout PackedChunk, localNames: borrowing [PackedChunk.Name])
        -> PackedChunk.Span
    {
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
