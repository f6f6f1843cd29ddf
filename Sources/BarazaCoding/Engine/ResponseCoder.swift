import BarazaKit
import BarazaIngest
import BarazaModel
import Foundation

/// Codes the records of one source file against the consultation.
///
/// Binds each question to the file's columns once (again when an XML reader finds new columns),
/// then turns each record into a `Response`: scale values, missing kinds, chosen options, coded
/// open text, stakeholder group, country, wave. What cannot be mapped is counted for the report
/// (`unknownLabels`, `unmappedGroups`), never guessed.
public struct ResponseCoder: Sendable {
    public let consultation: Consultation
    public let source: SourceSpec
    public let wave: String?
    public let country: String?
    public let profile: ExportProfile

    /// Per question: folded option label or alias → option code.
    let optionCodes: [String: [String: String]]
    /// Folded missing label → kind (the built-in ones, not sentinels), for choice questions.
    static let missingLabels: [String: MissingKind] = {
        var m: [String: MissingKind] = [:]
        for (kind, labels) in BuiltInScales.missing where kind != .sentinel {
            for l in labels { m[Folding.fold(l)] = kind }
        }
        return m
    }()
    let groupMapper: GroupMapper
    var boundColumnCount = -1
    var binding = Binding()

    /// Raw labels that matched no scale point, by question, with counts.
    public internal(set) var unknownLabels: [String: [String: Int]] = [:]
    /// Raw group values that matched no stakeholder group, with counts.
    public internal(set) var unmappedGroups: [String: Int] = [:]
    /// Questions with no column in this file.
    public internal(set) var unboundQuestions: [String] = []
    /// The first line at which each unmatched label (`question`, raw) and group value occurs, for
    /// warnings that point at the data, not at line 1.
    public internal(set) var firstLabelLines: [String: [String: Int]] = [:]
    public internal(set) var firstGroupLines: [String: Int] = [:]

    struct Binding {
        var question: [String: Int] = [:]
        var options: [String: [(option: String, column: Int)]] = [:]
        var id: Int?
        var replaces: Int?
        var group: Int?
        var country: Int?
        var submitted: Int?
        var weight: Int?
        var organisation: Int?
        var other: [String: Int] = [:]
    }

    /// Columns this file's questions and metadata use; the rest are reported by `check`.
    public var boundColumns: Set<Int> {
        var s = Set(binding.question.values)
        for opts in binding.options.values { for o in opts { s.insert(o.column) } }
        for c in [
            binding.id, binding.replaces, binding.group, binding.country, binding.submitted, binding.weight,
            binding.organisation,
        ] { if let c { s.insert(c) } }
        s.formUnion(binding.other.values)
        return s
    }

    public init(
        consultation: Consultation,
        source: SourceSpec,
        profile: ExportProfile,
        wave: String? = nil,
        country: String? = nil
    ) {
        self.consultation = consultation
        self.source = source
        self.profile = profile
        self.wave = wave ?? source.wave
        self.country = country ?? source.country
        codebookIDs = consultation.codebooks.keys.sorted()
        scanners = codebookIDs.map { id in
            TextCodeScanner(
                OpenTextCoder(codebook: id, rules: consultation.codebooks[id] ?? [], negators: consultation.negators)
            )
        }
        // Every codebook's codes in one list, each once; each scanner numbers its codes by it.
        var codes: [String] = []
        for b in scanners.indices {
            scanners[b]
                .numberCodes(
                    scanners[b].codeNames
                        .map { c in
                            if let i = codes.firstIndex(of: c) { return Int32(i) }
                            codes.append(c)
                            return Int32(codes.count - 1)
                        }
                )
        }
        codeNames = codes
        scaleIDs = Set(
            consultation.questions.compactMap { q in q.scale.flatMap { consultation.scales[$0] != nil ? $0 : nil } }
        )
        .sorted()
        scaleCoderList = scaleIDs.compactMap { consultation.scales[$0].map(ClosedAnswerCoder.init) }
        closedMemo = scaleIDs.map { _ in ByteMemo(limit: 10_000) }
        recentLabels = RecentKeys(tables: scaleIDs.count)
        scaleFlip = scaleCoderList.map { $0.scale.minValue + $0.scale.maxValue }
        numberSentinels = consultation.questions.map { q in
            Set(q.sentinels.compactMap { Double($0.trimmingWhitespace().replacingOccurrences(of: ",", with: ".")) })
        }
        self.groupMapper = GroupMapper(groups: consultation.groups)
        var oc: [String: [String: String]] = [:]
        for q in consultation.questions where q.type == .multiple || q.type == .single {
            var m: [String: String] = [:]
            for (alias, code) in q.optionAliases { m[Folding.fold(alias)] = code }
            for o in q.options { m[Folding.fold(o)] = o }
            oc[q.id] = m
        }
        self.optionCodes = oc
    }

    /// The names this coder's responses can use, in a fixed order (the consultation's): question
    /// ids and their "other (specify)" texts, declared options, codebook codes. An import registers
    /// them before its coding workers start (`ResponsePacker.register`).
    public var storeNames: (questions: [String], options: [(question: String, option: String)], codes: [String]) {
        var questions = consultation.questions.map(\.id)
        var options: [(question: String, option: String)] = []
        for q in consultation.questions where q.type == .multiple || q.type == .single {
            questions.append(q.id + ".other")
            for o in q.options { options.append((q.id, o)) }
        }
        return (questions, options, codeNames)
    }

    /// Adds another coder's counts of unknown labels and unmapped groups to this one's (coding
    /// workers of one file, joined).
    public mutating func addCounts(of other: ResponseCoder) {
        for (q, labels) in other.unknownLabels {
            for (raw, n) in labels { unknownLabels[q, default: [:]][raw, default: 0] += n }
        }
        for (g, n) in other.unmappedGroups { unmappedGroups[g, default: 0] += n }
        for (q, lines) in other.firstLabelLines {
            for (raw, line) in lines {
                firstLabelLines[q, default: [:]][raw] = min(firstLabelLines[q]?[raw] ?? line, line)
            }
        }
        for (g, line) in other.firstGroupLines { firstGroupLines[g] = min(firstGroupLines[g] ?? line, line) }
    }

    static func findColumn(_ aliases: [String], in columns: [ColumnHeader]) -> Int? {
        let folded = columns.map { (Folding.fold($0.name), Folding.fold($0.leaf)) }
        for alias in aliases {
            let a = Folding.fold(alias)
            if let i = folded.firstIndex(where: { $0.0 == a }) { return i }
        }
        for alias in aliases {
            let a = Folding.fold(alias)
            if let i = folded.firstIndex(where: { $0.1 == a }) { return i }
        }
        for alias in aliases where alias.contains("*") {
            let g = GlobPattern(alias)
            if let i = folded.firstIndex(where: { g.matches(folded: $0.0) || g.matches(folded: $0.1) }) { return i }
        }
        return nil
    }

    /// Split columns of a multiple-choice question: `q/opt`, `grp/q/opt`, `q-opt`, `q.opt`, `Q / Opt`.
    static func optionColumns(_ aliases: [String], in columns: [ColumnHeader]) -> [(String, Int)] {
        var out: [(String, Int)] = []
        for (i, c) in columns.enumerated() {
            let name = Folding.fold(c.name)
            for alias in aliases {
                let a = Folding.fold(alias).replacingOccurrences(of: "*", with: "")
                guard !a.isEmpty else { continue }
                var rest: String?
                for sep in [" / ", "/", "-", "."] {
                    if name.hasPrefix(a + sep) {
                        rest = String(name.dropFirst(a.count + sep.count))
                        break
                    }
                    if let r = name.range(of: "/" + a + sep), r.upperBound < name.endIndex {
                        rest = String(name[r.upperBound...])
                        break
                    }
                }
                // An option with '/' in its label is one option when the reader made it the leaf.
                if let rest, !rest.isEmpty, !rest.contains("/") || Folding.fold(c.leaf) == rest {
                    out.append((rest, i))
                    break
                }
            }
        }
        return out
    }

    static let idDefaults = [
        "_uuid", "meta/instanceID", "meta-instanceID", "instanceID", "KEY", "Respondent ID", "ResponseId", "ResponseID",
        "V1", "id", "respondent_id", "@instanceID",
    ]
    static let submittedDefaults = [
        "_submission_time", "SubmissionDate", "meta/submissionDate", "end", "End Date", "EndDate", "Timestamp",
        "Horodateur", "Marca temporal", "submitdate", "submission_time", "meta/timeEnd",
    ]

    mutating func bind(_ columns: [ColumnHeader]) {
        var b = Binding()
        var unbound: [String] = []
        for q in consultation.questions {
            if let i = Self.findColumn(q.columns, in: columns) { b.question[q.id] = i }
            if q.type == .multiple {
                let opts = Self.optionColumns(q.columns, in: columns)
                if !opts.isEmpty { b.options[q.id] = opts }
            }
            if b.question[q.id] == nil && b.options[q.id] == nil { unbound.append(q.id) }
        }
        b.id = Self.findColumn(source.idColumn.map { [$0] } ?? Self.idDefaults, in: columns)
        b.replaces = Self.findColumn(["meta/deprecatedID", "meta-deprecatedID", "deprecatedID"], in: columns)
        b.group = source.groupColumn.flatMap { Self.findColumn([$0], in: columns) }
        b.country = source.countryColumn.flatMap { Self.findColumn([$0], in: columns) }
        b.submitted = Self.findColumn(source.submittedColumn.map { [$0] } ?? Self.submittedDefaults, in: columns)
        b.weight = source.weightColumn.flatMap { Self.findColumn([$0], in: columns) }
        b.organisation = source.organisationColumn.flatMap { Self.findColumn([$0], in: columns) }
        // "Other (specify)" text: `q_other`, `q/other_text`, `Q / Other (please specify)`.
        for q in consultation.questions where q.type == .multiple || q.type == .single {
            let aliases = q.columns.flatMap { a in
                [
                    "\(a)_other", "\(a)/other_text", "\(a) / Other (please specify)", "\(a)_autre",
                    "\(a) / Autre (préciser)",
                ]
            }
            if let i = Self.findColumn(aliases, in: columns) { b.other[q.id] = i }
        }
        binding = b
        unboundQuestions = unbound
        boundColumnCount = columns.count
    }

    /// What to do for each question, fixed when the columns are bound (no per-record look-ups by
    /// name). No String in it (the id is in `planIDs`), so reading one retains nothing.
    /// 24 bytes, the optional indices as Int32 with -1 for none: with `Int?` fields a plan was 80
    /// bytes, copied to the stack for every question of every record, and the load of its type
    /// right after those stores was a sixth of the coding function's own samples.
    struct Plan: Sendable {
        private var _index: Int32
        let type: QuestionType
        let reverse: Bool
        private var _column: Int32, _scale: Int32, _codebook: Int32, _other: Int32

        init(index: Int, type: QuestionType, reverse: Bool, column: Int?, scale: Int?, codebook: Int?, other: Int?) {
            func small(_ i: Int?) -> Int32 { i.map { Int32(clamping: $0) } ?? -1 }
            _index = small(index)
            self.type = type
            self.reverse = reverse
            _column = small(column)
            _scale = small(scale)
            _codebook = small(codebook)
            _other = small(other)
        }

        var index: Int { Int(_index) }
        var column: Int? { _column < 0 ? nil : Int(_column) }
        var scale: Int? { _scale < 0 ? nil : Int(_scale) }
        var codebook: Int? { _codebook < 0 ? nil : Int(_codebook) }
        var other: Int? { _other < 0 ? nil : Int(_other) }
    }
    var plans: [Plan] = []
    var planIDs: [String] = []
    let scaleIDs: [String]
    var scaleCoderList: [ClosedAnswerCoder]
    /// Memo caches keyed by a field's raw bytes (see `ByteMemo`): exports repeat a handful of labels,
    /// group names, countries and option sets millions of times.
    /// Per scale, by the label's bytes (the label itself is those bytes, made into a String only
    /// when wanted: an unknown label, a value the store keeps unpacked).
    var closedMemo: [ByteMemo<ClosedCode>]
    /// Per scale, the label last coded with each length and its code, tried before `closedMemo`
    /// (see `RecentKeys`: a scale's labels mostly differ in length).
    var recentLabels: RecentKeys<ClosedCode>
    /// Per scale, min + max: a reversed item's value is this minus the value.
    let scaleFlip: [Int]
    /// Per question, the values its declared sentinel codes stand for (number questions only).
    let numberSentinels: [Set<Double>]
    /// Per choice question with a column of its own, by the column's bytes.
    var choiceMemo: [ByteMemo<ChoiceAnswer>] = []
    /// The binding's number: a `ChoiceKey` is an entry of this binding's `choiceMemo`. Each binding
    /// takes a number of its own (process-wide), so the keys of two coders, or of one coder before
    /// and after it binds new columns, never stand for different answers. (Copies of a coder made
    /// after it bound share its number, so each copy needs a sink of its own, as the import's
    /// workers have.)
    var generation = 0
    private static let generations = Counter()

    private final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var n = 0
        func next() -> Int {
            lock.lock()
            defer { lock.unlock() }
            n += 1
            return n
        }
    }
    /// Group and country names, choice fields (below) and scale labels mostly fit the memos' short-key
    /// tables (`ByteMemo.front`).
    var groupMemo = ByteMemo<(group: String?, raw: String)>(limit: 10_000, byLength: true, shortKeySlotBits: 6)
    var countryMemo = ByteMemo<String?>(limit: 10_000, byLength: true, shortKeySlotBits: 8)
    var scanners: [TextCodeScanner]
    let codebookIDs: [String]
    /// Every codebook's codes, each once: open answers name their codes by index here.
    let codeNames: [String]

    mutating func makePlans() {
        plans = consultation.questions.enumerated()
            .map { i, q in
                Plan(
                    index: i,
                    type: q.type,
                    reverse: q.reverse,
                    column: binding.question[q.id],
                    scale: q.scale.flatMap { scaleIDs.firstIndex(of: $0) },
                    codebook: q.codebook.flatMap { codebookIDs.firstIndex(of: $0) },
                    other: binding.other[q.id]
                )
            }
        planIDs = consultation.questions.map(\.id)
        choiceMemo = plans.map { _ in ByteMemo(limit: 10_000, shortKeySlotBits: 9) }
        generation = Self.generations.next()
    }

    /// A field's text with white space trimmed; made from the bytes directly unless they start or end
    /// with something that may be white space.
    static func trimmed(_ f: FieldView, _ i: Int) -> String {
        f.withField(i) { p in
            let s = String(decoding: p, as: UTF8.self)
            return needsNoTrim(p) ? s : s.trimmingWhitespace()
        }
    }

    /// Whether bytes start and end with printable ASCII (so trimming leaves them as they are).
    static func needsNoTrim(_ p: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = p.first, let last = p.last else { return false }
        return first > 0x20 && first < 0x80 && last > 0x20 && last < 0x80
    }

    /// Codes one record. `columns` are the reader's columns as they stand now.
    public mutating func code(_ record: RawRecord, columns: [ColumnHeader], diagnostics: inout Diagnostics) -> Response
    {
        var builder = ResponseBuilder()
        code(record, columns: columns, diagnostics: &diagnostics, into: &builder)
        return builder.response
    }

    /// Codes one record into `sink` (see `ResponseSink`).
    public mutating func code<Sink: ResponseSink>(
        _ record: RawRecord,
        columns: [ColumnHeader],
        diagnostics: inout Diagnostics,
        into sink: inout Sink
    ) {
        record.fields.withView { f in
            code(f, at: record.location, columns: columns, diagnostics: &diagnostics, into: &sink)
        }
    }

    /// Codes one record's fields, lent (see `FieldView`), found at `location`, into `sink`: the
    /// respondent's header (group, country, date, weight, id), then each question's answer.
    public mutating func code<Sink: ResponseSink>(
        _ f: FieldView,
        at location: SourceLocation,
        columns: [ColumnHeader],
        diagnostics: inout Diagnostics,
        into sink: inout Sink
    ) {
        if columns.count != boundColumnCount {
            bind(columns)
            makePlans()
        }
        let header = codeHeader(f, at: location, diagnostics: &diagnostics)
        begin(f, header, at: location, into: &sink)
        // Each plan read from `self.plans` where it lies: the arrays copied to locals for the loop
        // were retained and released once per record.
        for k in 0..<plans.count {
            let plan = plans[k]
            switch plan.type {
            case .likert:
                // Written here rather than as a step: as a step it was not inlined (the per-answer
                // path of every Likert answer).
                guard let c = Self.present(plan.column, in: f), let si = plan.scale else { continue }
                let result = f.withField(c) { key -> ClosedCode in
                    if let hit = recentLabels.value(si, key) { return hit }
                    let code: ClosedCode
                    if let hit = closedMemo[si].value(for: key) {
                        code = hit
                    } else {
                        code = scaleCoderList[si].code(String(decoding: key, as: UTF8.self))
                        closedMemo[si].insert(key, code)
                    }
                    recentLabels.set(si, key, code)
                    return code
                }
                switch result {
                case .value(let v):
                    sink.closed(question: k, point: plan.reverse ? scaleFlip[si] - v : v) { f.string(c) }
                case .missing(let kind): sink.closed(question: k, value: nil, missing: kind) { f.string(c) }
                case .unknown:
                    let raw = f.string(c)
                    noteUnknownLabel(raw, question: k, line: location.line)
                    sink.closed(question: k, value: nil, missing: nil) { raw }
                }

            case .number: codeNumber(f, plan, k, at: location, into: &sink)
            case .multiple, .single: codeChoices(f, plan, k, into: &sink)
            case .text: codeText(f, plan, k, into: &sink)
            }
        }
        sink.end()
    }

    /// Field `i` of `f` when the record has it.
    @inline(__always) static func present(_ i: Int?, in f: FieldView) -> Int? {
        guard let i, i < f.count else { return nil }
        return i
    }

    func codeChoice(_ q: Question, cell: (Int?) -> String?) -> ChoiceAnswer? {
        if let raw = cell(binding.question[q.id]) {
            let t = raw.trimmingWhitespace()
            if t.isEmpty { return ChoiceAnswer(question: q.id, options: [], missing: .blank) }
            if let kind = missingKind(t) { return ChoiceAnswer(question: q.id, options: [], missing: kind) }
            if q.type == .single { return ChoiceAnswer(question: q.id, options: [normaliseOption(t, q)], missing: nil) }
            let sep: Character =
                t.contains(";") ? ";" : t.contains(",") && !q.options.contains(where: { $0.contains(",") }) ? "," : " "
            let parts = t.split(separator: sep).map { String($0).trimmingWhitespace() }.filter { !$0.isEmpty }
            let opts = Array(Set(parts.map { normaliseOption($0, q) })).sorted()
            return ChoiceAnswer(question: q.id, options: opts, missing: nil)
        }
        guard let split = binding.options[q.id] else { return nil }
        var chosen: [String] = []
        var answered = false
        for (opt, col) in split {
            let v = Folding.fold(cell(col) ?? "")
            if v.isEmpty { continue }
            answered = true
            if v != "0" && v != "false" && v != "no" && v != "non" { chosen.append(normaliseOption(opt, q)) }
        }
        return ChoiceAnswer(question: q.id, options: chosen.sorted(), missing: answered ? nil : .blank)
    }

    func normaliseOption(_ raw: String, _ q: Question) -> String {
        let f = Folding.fold(raw)
        return optionCodes[q.id]?[f] ?? f
    }

    func missingKind(_ t: String) -> MissingKind? { Self.missingLabels[Folding.fold(t)] }
}
