import BarazaModel
import Foundation

/// One CSV record: its fields and where it starts.
public struct CSVRow: Sendable, Hashable {
    public var fields: [String]
    /// 1-based line on which the record starts.
    public var line: Int
    /// Set when the record could not be read as it stands (an unterminated quote at end of file).
    public var defect: String?
}

/// A streaming RFC 4180 tokenizer over bytes.
///
/// Reads the file in 1 MiB chunks and keeps only the current record in memory, so memory does
/// not grow with the file. Accepts CRLF, LF and lone CR line ends, quoted delimiters and line
/// breaks, doubled quotes, and a missing final line break. Leniencies (a quote inside an unquoted
/// field, text after a closing quote) are kept as text and reported, never silently dropped.
public struct CSVTokenizer {
    public let path: String
    public let delimiter: UInt8
    public let encoding: TextEncoding

    private let file: FileChunks
    private var buffer: [UInt8] = []
    private var position = 0
    private var atEOF = false
    private var utf16Carry: [UInt8] = []

    private var line = 1
    private var column = 0
    /// Byte-order-mark bytes still to skip at the start of the raw file.
    private var skipBytes: Int

    private static let quote = UInt8(ascii: "\"")
    private static let lf = UInt8(ascii: "\n")
    private static let cr = UInt8(ascii: "\r")

    /// Opens `path`, skipping `bomLength` bytes, decoding with `encoding`.
    public init(path: String, delimiter: UInt8, encoding: TextEncoding, bomLength: Int, chunkSize: Int = 1 << 20) throws(IngestError) {
        self.path = path
        self.delimiter = delimiter
        self.encoding = encoding
        self.file = try FileChunks(path: path, chunkSize: chunkSize)
        self.skipBytes = bomLength
        refill()
    }

    private mutating func refill() {
        var raw: [UInt8] = []
        raw.reserveCapacity(file.chunkSize)
        let n = file.read(into: &raw)
        if n == 0 { atEOF = true }
        if skipBytes > 0 {
            let k = min(skipBytes, raw.count)
            raw.removeFirst(k)
            skipBytes -= k
        }
        switch encoding {
        case .utf16LE, .utf16BE:
            buffer = transcodeUTF16(raw, bigEndian: encoding == .utf16BE, carry: &utf16Carry, final: n == 0)
        default:
            buffer = raw
        }
        position = 0
    }

    private mutating func nextByte() -> UInt8? {
        if position >= buffer.count {
            if atEOF { return nil }
            refill()
            while buffer.isEmpty && !atEOF { refill() }
            if position >= buffer.count { return nil }
        }
        let b = buffer[position]
        position += 1
        return b
    }

    private mutating func peekByte() -> UInt8? {
        if position >= buffer.count {
            if atEOF { return nil }
            refill()
            while buffer.isEmpty && !atEOF { refill() }
            if position >= buffer.count { return nil }
        }
        return buffer[position]
    }

    private enum State { case fieldStart, unquoted, quoted, afterQuoted }

    /// The next record, or nil at end of file.
    public mutating func next(_ diagnostics: inout Diagnostics) -> CSVRow? {
        var fields: [String] = []
        var field: [UInt8] = []
        var state = State.fieldStart
        let startLine = line
        var quoteLine = 0, quoteColumn = 0
        var sawAny = false

        func loc(_ l: Int, _ c: Int) -> SourceLocation { SourceLocation(file: path, line: l, column: c) }

        while true {
            guard let b = nextByte() else {
                // End of file.
                if !sawAny { return nil }
                if state == .quoted {
                    diagnostics.error("unterminated quoted field", at: loc(quoteLine, quoteColumn),
                                      expected: "a closing '\"' before the end of the file")
                    fields.append(decode(field, &diagnostics, fieldLine: quoteLine))
                    return CSVRow(fields: fields, line: startLine, defect: "unterminated quoted field starting at line \(quoteLine), column \(quoteColumn)")
                }
                fields.append(decode(field, &diagnostics, fieldLine: startLine))
                return CSVRow(fields: fields, line: startLine)
            }
            sawAny = true
            column += 1

            switch state {
            case .fieldStart, .unquoted, .afterQuoted:
                if b == delimiter {
                    fields.append(decode(field, &diagnostics, fieldLine: line))
                    field.removeAll(keepingCapacity: true)
                    state = .fieldStart
                } else if b == Self.lf || b == Self.cr {
                    fields.append(decode(field, &diagnostics, fieldLine: line))
                    newline()
                    if b == Self.cr, peekByte() == Self.lf { _ = nextByte() }
                    return CSVRow(fields: fields, line: startLine)
                } else if b == Self.quote && state == .fieldStart {
                    state = .quoted
                    quoteLine = line; quoteColumn = column
                } else {
                    if state == .afterQuoted {
                        diagnostics.warning("text after a closing quote is kept as part of the field", at: loc(line, column),
                                            expected: "a delimiter or line end after a closing quote", key: "csv.afterQuote")
                    } else if b == Self.quote {
                        diagnostics.note("a quote inside an unquoted field is kept as text", at: loc(line, column), key: "csv.strayQuote")
                    }
                    if state == .fieldStart { state = .unquoted }
                    field.append(b)
                }
            case .quoted:
                if b == Self.quote {
                    if peekByte() == Self.quote {
                        _ = nextByte(); column += 1
                        field.append(Self.quote)
                    } else {
                        state = .afterQuoted
                    }
                } else {
                    if b == Self.lf || b == Self.cr {
                        newline()
                        if b == Self.cr, peekByte() == Self.lf { _ = nextByte(); field.append(Self.cr); field.append(Self.lf); continue }
                    }
                    field.append(b)
                }
            }
        }
    }

    private mutating func newline() {
        line += 1
        column = 0
    }

    private func decode(_ bytes: [UInt8], _ diagnostics: inout Diagnostics, fieldLine: Int) -> String {
        if bytes.isEmpty { return "" }
        var hasNUL = false
        var ascii = true
        for b in bytes {
            if b == 0 { hasNUL = true }
            if b >= 0x80 { ascii = false }
        }
        var s: String
        if ascii || encoding != .windows1252 {
            if let v = String(validating: bytes, as: UTF8.self) {
                s = v
            } else {
                diagnostics.warning("invalid UTF-8; undecodable bytes replaced with U+FFFD", at: SourceLocation(file: path, line: fieldLine),
                                    expected: "UTF-8 text", key: "csv.invalidUTF8")
                s = String(decoding: bytes, as: UTF8.self)
            }
        } else {
            var scalars = String.UnicodeScalarView()
            for b in bytes {
                let v: UInt32 = (0x80...0x9F).contains(b) ? windows1252High[Int(b) - 0x80] : UInt32(b)
                scalars.append(Unicode.Scalar(v) ?? "\u{FFFD}")
            }
            s = String(scalars)
        }
        if hasNUL {
            diagnostics.warning("NUL byte in field replaced with U+FFFD", at: SourceLocation(file: path, line: fieldLine),
                                expected: "text without NUL bytes", key: "csv.nul")
            s = s.replacingOccurrences(of: "\u{0}", with: "\u{FFFD}")
        }
        return s
    }
}

