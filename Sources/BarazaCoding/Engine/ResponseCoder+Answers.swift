import BarazaIngest
import BarazaKit
import BarazaModel
import Foundation

/// The steps of `ResponseCoder.code`: the respondent's header, then one answer per question type.
/// Each is inlined into the record loop, as the one function they were.
extension ResponseCoder {
    /// Who answered, where and when, as a record's header fields give it.
    struct RecordHeader {
        var replaces: String?
        var group: String?
        var rawGroup: String
        var country: String?
        var submitted: Date?
        var weight: Double?
    }

    @inline(__always) mutating func codeHeader(
        _ f: FieldView,
        at location: SourceLocation,
        diagnostics: inout Diagnostics
    ) -> RecordHeader {
        let replaces = Self.present(binding.replaces, in: f).map { Self.trimmed(f, $0) }

        var rawGroup = source.group ?? ""
        var group: String?
        if let fixed = source.group {
            group = groupMapper.map(fixed) ?? fixed
        } else if let c = Self.present(binding.group, in: f) {
            let hit = f.withField(c) { key in groupMemo.value(for: key) }
            if let hit {
                (group, rawGroup) = hit
            } else {
                rawGroup = f.string(c)
                group = groupMapper.map(rawGroup)
                f.withField(c) { key in _ = groupMemo.insert(key, (group, rawGroup)) }
            }
        }
        // An organisation-name lookup fills a blank or unmapped group.
        if group == nil, let org = Self.present(binding.organisation, in: f).map(f.string),
            let g = source.groupLookup[Folding.fold(org)]
        {
            group = groupMapper.map(g) ?? g
        }
        if group == nil, source.group == nil, Self.present(binding.group, in: f) != nil {
            let g = rawGroup.trimmingWhitespace()
            unmappedGroups[g, default: 0] += 1
            if firstGroupLines[g] == nil { firstGroupLines[g] = location.line }
        }
        var country = self.country
        if let c = Self.present(binding.country, in: f) {
            let hit = f.withField(c) { key in countryMemo.value(for: key) }
            let value: String?
            if let hit {
                value = hit
            } else {
                let t = Self.trimmed(f, c)
                value = t.isEmpty ? nil : t
                f.withField(c) { key in _ = countryMemo.insert(key, value) }
            }
            if let value { country = value }
        }
        var submitted: Date?
        if let c = Self.present(binding.submitted, in: f), !f.isBlank(c) {
            if let t = f.withField(c, DateParser.parseISO) {
                submitted = Date(timeIntervalSince1970: t)
            } else {
                let s = f.string(c)
                submitted = DateParser.parse(s)
                if submitted == nil {
                    diagnostics.warning(
                        "date '\(s)' not recognised; kept out of the submission time",
                        at: location,
                        expected: "an ISO 8601, SurveyMonkey or Google Forms date",
                        key: "date.\(source.path)"
                    )
                }
            }
        }
        var weight: Double?
        if let w = Self.present(binding.weight, in: f).map(f.string) {
            weight = Double(w.trimmingWhitespace())
            if (weight ?? -1) < 0 {
                diagnostics.warning(
                    "weight '\(w)' is not a non-negative number; the record counts with weight 1",
                    at: location,
                    expected: "a number ≥ 0",
                    key: "weight.\(source.path)"
                )
                weight = nil
            }
        }

        return RecordHeader(
            replaces: replaces,
            group: group,
            rawGroup: rawGroup,
            country: country,
            submitted: submitted,
            weight: weight
        )
    }

    @inline(__always) func begin<Sink: ResponseSink>(
        _ f: FieldView,
        _ h: RecordHeader,
        at location: SourceLocation,
        into sink: inout Sink
    ) {
        // The respondent id: the field's bytes when trimming leaves them as they are (most ids:
        // lent as they lie in the record, which outlives this call), else the trimmed text, or the
        // file and line when it is blank. (Two calls rather than one local function: as a closure,
        // it retained and released five of its captures per record.)
        let replacing = (h.replaces?.isEmpty ?? true) ? nil : h.replaces
        let idRange = Self.present(binding.id, in: f).map(f.range)
        if let r = idRange, Self.needsNoTrim(UnsafeBufferPointer(rebasing: f.bytes[r])) {
            sink.begin(
                respondentID: UnsafeBufferPointer(rebasing: f.bytes[r]),
                replaces: replacing,
                group: h.group,
                rawGroup: h.rawGroup,
                country: h.country,
                wave: wave,
                submittedAt: h.submitted,
                weight: h.weight,
                location: location,
                raw: f,
                questions: planIDs,
                codes: codeNames
            )
        } else {
            var id = Self.present(binding.id, in: f).map { Self.trimmed(f, $0) } ?? ""
            if id.isEmpty { id = "\((location.file as NSString).lastPathComponent):\(location.line)" }
            id.withUTF8 { id in
                sink.begin(
                    respondentID: id,
                    replaces: replacing,
                    group: h.group,
                    rawGroup: h.rawGroup,
                    country: h.country,
                    wave: wave,
                    submittedAt: h.submitted,
                    weight: h.weight,
                    location: location,
                    raw: f,
                    questions: planIDs,
                    codes: codeNames
                )
            }
        }
    }

    @inline(__always) mutating func codeNumber<Sink: ResponseSink>(
        _ f: FieldView,
        _ plan: Plan,
        _ k: Int,
        at location: SourceLocation,
        into sink: inout Sink
    ) {
        guard let raw = Self.present(plan.column, in: f).map(f.string) else { return }
        let t = raw.trimmingWhitespace()
        if t.isEmpty {
            sink.closed(question: k, value: nil, missing: .blank) { raw }
        } else if let v = Double(t.replacingOccurrences(of: ",", with: ".")) {
            let isSentinel = numberSentinels[k].contains(v)
            sink.closed(question: k, value: isSentinel ? nil : v, missing: isSentinel ? .sentinel : nil) { raw }
        } else if let kind = missingKind(t) {
            sink.closed(question: k, value: nil, missing: kind) { raw }
        } else {
            noteUnknownLabel(raw, question: k, line: location.line)
            sink.closed(question: k, value: nil, missing: nil) { raw }
        }
    }

    @inline(__always) mutating func codeChoices<Sink: ResponseSink>(
        _ f: FieldView,
        _ plan: Plan,
        _ k: Int,
        into sink: inout Sink
    ) {
        let other = Self.present(plan.other, in: f)
            .flatMap { o in
                let t = Self.trimmed(f, o)
                return t.isEmpty ? nil : (t, o)
            }
        var choice: ChoiceAnswer?
        if let c = Self.present(plan.column, in: f) {
            if let e = f.withField(c, { key in choiceMemo[k].index(of: key) }) {
                guard other != nil else {
                    // Keyed by its memo entry: the packer writes the bytes it made for the
                    // entry before, and the answer is copied out of the memo only the first time.
                    sink.choice(question: k, key: ChoiceKey(generation: generation, entry: e)) { lend in
                        choiceMemo[k].withValue(at: e) { lend($0) }
                    }
                    return
                }
                choice = choiceMemo[k].withValue(at: e) { copy $0 }
            } else {
                let coded = codeChoice(
                    consultation.questions[plan.index],
                    cell: { Self.present($0, in: f).map(f.string) }
                )
                if let coded { f.withField(c) { key in _ = choiceMemo[k].insert(key, coded) } }
                choice = coded
            }
        } else {
            choice = codeChoice(consultation.questions[plan.index], cell: { Self.present($0, in: f).map(f.string) })
        }
        if var choice {
            if let (text, o) = other {
                choice.other = text
                choice.otherField = o
            }
            sink.choice(question: k, key: nil) { lend in lend(choice) }
        }
    }

    @inline(__always) mutating func codeText<Sink: ResponseSink>(
        _ f: FieldView,
        _ plan: Plan,
        _ k: Int,
        into sink: inout Sink
    ) {
        guard let c = Self.present(plan.column, in: f), !f.isBlank(c) else { return }
        // The answer's codes (none without a codebook), lent to the sink with its text.
        func answer(_ text: UnsafeBufferPointer<UInt8>, trimmed: String?) {
            guard let b = plan.codebook else {
                sink.text(question: k, field: c, trimmed: trimmed, codes: UnsafeBufferPointer(start: nil, count: 0))
                return
            }
            scanners[b]
                .withCodeNumbers(text) { codes in sink.text(question: k, field: c, trimmed: trimmed, codes: codes) }
        }
        f.withField(c) { p in
            if Self.needsNoTrim(p) {
                // Nothing to trim (most texts): the field's bytes, with no String made.
                answer(p, trimmed: nil)
            } else {
                var t = String(decoding: p, as: UTF8.self).trimmingWhitespace()
                if t.isEmpty { return }
                let trimmed = t
                t.withUTF8 { answer($0, trimmed: trimmed) }
            }
        }
    }

    /// Counts a label that matched no scale point, and keeps the line it was first met on.
    mutating func noteUnknownLabel(_ raw: String, question k: Int, line: Int) {
        unknownLabels[planIDs[k], default: [:]][raw, default: 0] += 1
        if firstLabelLines[planIDs[k]]?[raw] == nil { firstLabelLines[planIDs[k], default: [:]][raw] = line }
    }
}
