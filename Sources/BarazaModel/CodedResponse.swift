import BarazaKit
import Foundation

/// A closed answer after coding: a scale value, or the kind of missing it is.
public struct CodedAnswer: Sendable, Hashable, Codable {
    public var question: String
    public var value: Double?
    public var missing: MissingKind?
    public var raw: String
    public init(question: String, value: Double?, missing: MissingKind?, raw: String) {
        self.question = question
        self.value = value
        self.missing = missing
        self.raw = raw
    }
}

/// A multiple-choice answer: the options chosen (empty with `missing` set when unanswered).
public struct ChoiceAnswer: Sendable, Hashable, Codable {
    public var question: String
    public var options: [String]
    public var missing: MissingKind?
    public var other: String?
    /// The raw record's field the "other" text was read from, when it was read from one.
    public var otherField: Int?
    public init(
        question: String,
        options: [String],
        missing: MissingKind?,
        other: String? = nil,
        otherField: Int? = nil
    ) {
        self.question = question
        self.options = options
        self.missing = missing
        self.other = other
        self.otherField = otherField
    }
}

/// Why an open answer got a code: which rule matched which span of the folded text.
public struct CodeAssignment: Sendable, Hashable, Codable {
    public var question: String
    public var code: String
    public var rule: String
    /// Matched span in the folded text, as character offsets.
    public var spanStart: Int
    public var spanEnd: Int
    public var source: String
    public init(question: String, code: String, rule: String, spanStart: Int, spanEnd: Int, source: String = "rules") {
        self.question = question
        self.code = code
        self.rule = rule
        self.spanStart = spanStart
        self.spanEnd = spanEnd
        self.source = source
    }
}

/// An open-text answer and the codes its codebook's rules give it (each once, in rule order;
/// `baraza explain` shows the rule and span behind each).
public struct TextAnswer: Sendable, Hashable, Codable {
    public var question: String
    public var text: String
    public var codes: [String]
    /// The raw record's field the text was read from (trimmed), when it was read from one: the
    /// store then keeps the text as a reference into the raw record instead of a second copy.
    public var field: Int?
    public init(question: String, text: String, codes: [String], field: Int? = nil) {
        self.question = question
        self.text = text
        self.codes = codes
        self.field = field
    }
}

/// One respondent's submission, coded against the consultation.
public struct Response: Sendable, Hashable, Codable {
    public var respondentID: String
    /// The id of an earlier submission this one replaces (Kobo/ODK `deprecatedID`).
    public var replaces: String?
    public var group: String?
    public var rawGroup: String
    public var country: String?
    public var wave: String?
    public var submittedAt: Date?
    public var weight: Double?
    public var location: SourceLocation
    public var answers: [CodedAnswer]
    public var choices: [ChoiceAnswer]
    public var texts: [TextAnswer]
    /// The source record's fields as read, kept whole in the store ("nothing the user gave is lost").
    public var raw: FieldRow
    public var rawValues: [String] { raw.strings }

    public init(
        respondentID: String,
        replaces: String? = nil,
        group: String?,
        rawGroup: String,
        country: String?,
        wave: String?,
        submittedAt: Date?,
        weight: Double? = nil,
        location: SourceLocation,
        answers: [CodedAnswer] = [],
        choices: [ChoiceAnswer] = [],
        texts: [TextAnswer] = [],
        raw: FieldRow = FieldRow()
    ) {
        self.raw = raw
        self.respondentID = respondentID
        self.replaces = replaces
        self.group = group
        self.rawGroup = rawGroup
        self.country = country
        self.wave = wave
        self.submittedAt = submittedAt
        self.weight = weight
        self.location = location
        self.answers = answers
        self.choices = choices
        self.texts = texts
    }
}

/// What a response says about its respondent, apart from the answers.
public struct ResponseHeader: Sendable {
    public var respondentID: String
    public var replaces: String?
    public var group: String?
    public var rawGroup: String
    public var country: String?
    public var wave: String?
    public var submittedAt: Date?
    public var weight: Double?
    public var location: SourceLocation

    public init(
        respondentID: String,
        replaces: String?,
        group: String?,
        rawGroup: String,
        country: String?,
        wave: String?,
        submittedAt: Date?,
        weight: Double?,
        location: SourceLocation
    ) {
        self.respondentID = respondentID
        self.replaces = replaces
        self.group = group
        self.rawGroup = rawGroup
        self.country = country
        self.wave = wave
        self.submittedAt = submittedAt
        self.weight = weight
        self.location = location
    }
}

/// Takes a coded response as the coder makes it, piece by piece: `begin`, the answers in the
/// consultation's question order, `end`. `ResponseBuilder` makes a `Response` of them; the store's
/// packer writes them straight into a chunk's arena, with no `Response` (its arrays and Strings
/// were a third of a coding worker's time in retain, release and allocation).
///
/// Questions are named by their index in `begin`'s `questions` (the consultation's question ids, the
/// same array from response to response): handing each closed answer its question's id retained and
/// released a String per answer, thirty times a record on the reference workload.
public protocol ResponseSink {
    /// A response starts. `raw` is the record's fields, lent until `end` (a sink that keeps them
    /// longer copies them).
    mutating func begin(_ header: ResponseHeader, raw: FieldView, questions: [String], codes: [String])
    /// `begin` with the header's parts as they are: the coder calls this one. Building a
    /// `ResponseHeader` per record to hand over copied it once more (its seven Strings retained
    /// and released; perf: a sixth of a coding worker's retains). The respondent id is lent as its
    /// UTF-8 bytes (most often the field's own: a String made of them per record, retained and
    /// freed, was 2% of the import's samples). By default, makes the header.
    mutating func begin(
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
    )
    /// A closed answer to `questions[question]`; `raw` gives its label as read, for a sink that keeps it.
    mutating func closed(question: Int, value: Double?, missing: MissingKind?, raw: () -> String)
    /// A closed answer that is a scale's point: `closed(question:value:missing:raw:)` with the
    /// point as a Double, for a sink that takes the integer as it is (the packer: made a Double and
    /// checked integral again, thirty times a record). By default, that call.
    mutating func closed(question: Int, point: Int, raw: () -> String)
    /// A choice answer to `questions[question]`, lent: `answer` calls its argument with the answer
    /// where it lies (a copy handed over retained and released its options, 0.8% of the import's
    /// samples). `key`, when given, stands for this very answer (the coder's memo entry for the
    /// field's bytes): a sink may keep what it made of it and use that again for the same key
    /// instead of calling `answer` (a copy of the answer per record retained its Strings and arrays).
    mutating func choice(question: Int, key: ChoiceKey?, _ answer: ((borrowing ChoiceAnswer) -> Void) -> Void)
    /// An open answer to `questions[question]` and its codes (indices in `begin`'s `codes`), read
    /// from the raw record's field `field`: the whole field, or `trimmed` when trimming it took white
    /// space off (then a copy of the text). `codes` is lent for the call (the coder's own buffer:
    /// an array handed over was retained and released per answer).
    mutating func text(question: Int, field: Int, trimmed: String?, codes: UnsafeBufferPointer<Int32>)
    mutating func end()
}

extension ResponseSink {
    public mutating func closed(question: Int, point: Int, raw: () -> String) {
        closed(question: question, value: Double(point), missing: nil, raw: raw)
    }

    public mutating func begin(
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
        begin(
            ResponseHeader(
                respondentID: String(decoding: respondentID, as: UTF8.self),
                replaces: replaces,
                group: group,
                rawGroup: rawGroup,
                country: country,
                wave: wave,
                submittedAt: submittedAt,
                weight: weight,
                location: location
            ),
            raw: raw,
            questions: questions,
            codes: codes
        )
    }
}

/// Names one choice answer of one question for as long as a coder lives: its memo entry, made again
/// when the coder binds another set of columns (`generation`).
public struct ChoiceKey: Sendable, Equatable {
    public var generation: Int
    public var entry: Int
    public init(generation: Int, entry: Int) {
        self.generation = generation
        self.entry = entry
    }
}

/// Makes a `Response` of what a coder gives (`response`, after `end`).
public struct ResponseBuilder: ResponseSink {
    public private(set) var response = Response(
        respondentID: "",
        group: nil,
        rawGroup: "",
        country: nil,
        wave: nil,
        submittedAt: nil,
        location: SourceLocation(file: "", line: 0)
    )
    public init() {}

    private var questions: [String] = []
    private var codes: [String] = []

    public mutating func begin(_ h: ResponseHeader, raw: FieldView, questions: [String], codes: [String]) {
        response = Response(
            respondentID: h.respondentID,
            replaces: h.replaces,
            group: h.group,
            rawGroup: h.rawGroup,
            country: h.country,
            wave: h.wave,
            submittedAt: h.submittedAt,
            weight: h.weight,
            location: h.location,
            raw: FieldRow(raw)
        )
        self.questions = questions
        self.codes = codes
    }
    public mutating func closed(question: Int, value: Double?, missing: MissingKind?, raw: () -> String) {
        response.answers.append(CodedAnswer(question: questions[question], value: value, missing: missing, raw: raw()))
    }
    public mutating func choice(question: Int, key: ChoiceKey?, _ answer: ((borrowing ChoiceAnswer) -> Void) -> Void) {
        answer { response.choices.append(copy $0) }
    }
    public mutating func text(question: Int, field: Int, trimmed: String?, codes: UnsafeBufferPointer<Int32>) {
        let text = trimmed ?? response.raw.string(field)
        response.texts.append(
            TextAnswer(
                question: questions[question],
                text: text,
                codes: codes.map { self.codes[Int($0)] },
                field: field
            )
        )
    }
    public mutating func end() {}
}
