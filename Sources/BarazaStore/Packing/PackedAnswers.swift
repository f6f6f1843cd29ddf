import BarazaKit
import BarazaModel
internal import CBarazaText
import Foundation

/// The packed encodings of a response's answers, stored as BLOBs on its row (schema v3).
///
/// One row per answer made imports and reports scale with answers × respondents (30 million rows
/// for a million respondents); packed, an import writes one row per response and a report reads
/// the responses once. Encodings, all little-endian:
/// - `closed`: one byte per question index (1-based position): 0 not asked; 1...249 a scale
///   value + 100 (values −99...149); 250 unrecognised; 251 blank; 252 don't know; 253 refused;
///   254 not applicable; 255 sentinel. Values that do not fit (non-integers, large numbers) stay
///   in the `answers` table.
/// - `chosen`: per choice question `[question u16][n u8][option u32 × n]`, or n = 255 and one
///   missing-kind byte when unanswered.
/// - `coded`: per non-empty open answer `[question u16][text length u32][n u8][code u32 × n]`.
/// - `texts` (schema v4, on the `records` row with the raw record): per open answer and "other
///   (specify)" text `[question u16][1][field u32][start u32][byte count u32]`, a reference to the
///   bytes of the raw record's field the text was trimmed from (kept once, not twice), or
///   `[question u16][0][byte count u32][UTF-8 bytes]` for a text not read from a field; "other"
///   texts under the question name with `.other` appended.
enum PackedAnswers {
    static let unrecognised: UInt8 = 250
    static func missingByte(_ kind: MissingKind) -> UInt8 {
        switch kind {
        case .blank: 251
        case .dontKnow: 252
        case .refused: 253
        case .notApplicable: 254
        case .sentinel: 255
        // Not an answer's kind (theme scores only); a closed answer never carries it.
        case .tooFewItems: 251
        }
    }
    static func missingKind(_ byte: UInt8) -> MissingKind? {
        switch byte {
        case 251: .blank
        case 252: .dontKnow
        case 253: .refused
        case 254: .notApplicable
        case 255: .sentinel
        default: nil
        }
    }

    /// The byte for a closed answer, or nil when its value does not fit a byte.
    /// `text.count` (characters, as the report's quote choice measures them), without the grapheme
    /// breaking that made it a visible share of import time: below U+0300 every scalar is a character
    /// of its own except CR LF, so such text is counted from its bytes; other text is counted by Swift.
    static func characterCount(_ text: String) -> Int {
        var copy = text
        return copy.withUTF8 { countFast($0) } ?? text.count
    }

    /// `characterCount` of UTF-8 bytes.
    static func characterCount(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        countFast(bytes) ?? String(decoding: bytes, as: UTF8.self).count
    }

    /// Scalars less CR LF pairs when no byte is 0xCC or more (`baraza_utf8_simple_count`); nil
    /// otherwise (a scalar from U+0300 on: let Swift count).
    private static func countFast(_ p: UnsafeBufferPointer<UInt8>) -> Int? {
        guard let base = p.baseAddress else { return 0 }
        let n = baraza_utf8_simple_count(base, p.count)
        return n < 0 ? nil : Int(n)
    }

    /// A texts-blob entry (after its question reference) pointing at bytes of a raw field.
    static func appendReference(field: Int, start: Int, count: Int, to b: inout [UInt8]) {
        b.append(1)
        append32(field, to: &b)
        append32(start, to: &b)
        append32(count, to: &b)
    }

    /// Inlined into the packer's per-answer call (a call per closed answer, thirty a record).
    @inline(__always) static func closedByte(value: Double?, missing: MissingKind?) -> UInt8? {
        if let value {
            // Integral when converting back gives the value: `rounded()` and `Int(exactly:)` each
            // call into libm (`trunc`) per answer (~1% of the coding workers' samples, then 0.4% of
            // the run's). The range check comes first and also turns NaN away.
            guard value >= -99, value <= 149 else { return nil }
            let integral = Int(value)
            guard Double(integral) == value else { return nil }
            return UInt8(integral + 100)
        }
        if let missing { return missingByte(missing) }
        return unrecognised
    }

    static func append16(_ v: Int, to b: inout [UInt8]) {
        b.append(UInt8(v & 0xFF))
        b.append(UInt8((v >> 8) & 0xFF))
    }
    static func append32(_ v: Int, to b: inout [UInt8]) {
        for s in stride(from: 0, to: 32, by: 8) { b.append(UInt8((v >> s) & 0xFF)) }
    }
    static func read16(_ b: [UInt8], _ i: inout Int) -> Int? {
        guard i + 2 <= b.count else { return nil }
        defer { i += 2 }
        return Int(b[i]) | Int(b[i + 1]) << 8
    }
    static func read32(_ b: [UInt8], _ i: inout Int) -> Int? {
        guard i + 4 <= b.count else { return nil }
        defer { i += 4 }
        return Int(b[i]) | Int(b[i + 1]) << 8 | Int(b[i + 2]) << 16 | Int(b[i + 3]) << 24
    }

    struct Coded {
        var question: Int
        var length: Int
        var codes: [Int]
    }

    static func decodeCoded(_ b: [UInt8]) -> [Coded] {
        var out: [Coded] = []
        var i = 0
        while i < b.count {
            guard let q = read16(b, &i), let len = read32(b, &i), i < b.count else { break }
            let n = Int(b[i])
            i += 1
            var codes: [Int] = []
            for _ in 0..<n { if let c = read32(b, &i) { codes.append(c) } }
            out.append(Coded(question: q, length: len, codes: codes))
        }
        return out
    }

    /// Appends an open text to a texts blob: as a reference into the raw record when `field` names
    /// the raw field the text is a part of, else as its bytes.
    static func appendText(
        _ question: Int,
        _ text: String,
        field: Int? = nil,
        raw: FieldView? = nil,
        to b: inout [UInt8]
    ) {
        append16(question, to: &b)
        appendText(text, field: field, raw: raw, to: &b)
    }

    /// Appends a texts-blob entry after its question reference.
    static func appendText(_ text: String, field: Int? = nil, raw: FieldView? = nil, to b: inout [UInt8]) {
        var text = text
        text.withUTF8 { t in
            if let field, let raw, field < raw.count, let start = raw.withField(field, { find(t, in: $0) }) {
                appendReference(field: field, start: start, count: t.count, to: &b)
            } else {
                b.append(0)
                append32(t.count, to: &b)
                b.append(contentsOf: t)
            }
        }
    }

    /// Where `needle` first occurs in `hay` (a trimmed text in its field: almost always at 0).
    private static func find(_ needle: UnsafeBufferPointer<UInt8>, in hay: UnsafeBufferPointer<UInt8>) -> Int? {
        guard needle.count <= hay.count else { return nil }
        guard let n = needle.baseAddress, let h = hay.baseAddress else { return 0 }  // the empty text
        var s = 0
        while s + needle.count <= hay.count {
            if h[s] == n[0], memcmp(h + s, n, needle.count) == 0 { return s }
            s += 1
        }
        return nil
    }

    /// An entry of a texts blob: the text's bytes, or where they stand in the raw record.
    enum StoredText: Equatable {
        case bytes(String)
        case field(Int, start: Int, count: Int)
    }

    /// The texts blob's entries as (question index, text or reference).
    static func decodeTexts(_ b: [UInt8]) -> [(question: Int, text: StoredText)] {
        var out: [(Int, StoredText)] = []
        var i = 0
        while i < b.count {
            guard let q = read16(b, &i), i < b.count else { break }
            let kind = b[i]
            i += 1
            if kind == 1 {
                guard let f = read32(b, &i), let s = read32(b, &i), let n = read32(b, &i) else { break }
                out.append((q, .field(f, start: s, count: n)))
            } else {
                guard let n = read32(b, &i), n <= b.count - i else { break }
                out.append((q, .bytes(String(decoding: b[i..<(i + n)], as: UTF8.self))))
                i += n
            }
        }
        return out
    }

    /// The text of an entry, given the raw record's fields (for references).
    static func resolve(_ text: StoredText, raw: [String]?) -> String? {
        switch text {
        case .bytes(let s): return s
        case .field(let f, let start, let count):
            guard let raw, f < raw.count else { return nil }
            let bytes = Array(raw[f].utf8)
            guard start >= 0, count >= 0, start + count <= bytes.count else { return nil }
            return String(decoding: bytes[start..<(start + count)], as: UTF8.self)
        }
    }
}
