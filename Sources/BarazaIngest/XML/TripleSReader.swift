import BarazaModel
import Foundation

/// One variable of a Triple-S survey: where its data sit and what its codes mean.
public struct TripleSVariable: Sendable, Hashable {
    public var ident: String
    public var type: String
    public var name: String
    public var label: String
    /// 1-based start and finish: character positions (fixed format) or the field number (CSV).
    public var start: Int
    public var finish: Int
    /// Code → category label.
    public var values: [String: String]
    /// For a spread multiple: how many subfields share the positions.
    public var subfields: Int?
}

/// Reads a Triple-S 2.0 survey: the `.sss` metadata (XML, read with libxml2's streaming reader,
/// no DTD loading or network) and its data file beside it (`.asc`/`.dat` fixed format, or `.csv`
/// when the record says `format="csv"`).
///
/// Single-response values come out as their category label (the code when it has none); a
/// multiple-response variable, bit string or spread, comes out as its chosen codes joined by
/// spaces; other types as written, trimmed.
public struct TripleSReader: PullingRecordSource {
    public let path: String
    public let profile: ExportProfile = .tripleS
    public let encoding: TextEncoding
    public let delimiter: Character?
    public let headerRows: Int
    public let columns: [ColumnHeader]
    public let variables: [TripleSVariable]
    public let dataPath: String

    private var csv: CSVTokenizer?
    private var lines: FileChunks?
    private var pendingBytes: [UInt8] = []
    private var lineNumber = 0
    private var linesToSkip: Int

    public init(path: String, diagnostics: inout Diagnostics) throws(IngestError) {
        self.path = path
        let (vars, format, skip) = try Self.readMetadata(path, &diagnostics)
        guard !vars.isEmpty else {
            throw .unsupportedFormat(path: path, reason: "no <variable> in the Triple-S metadata")
        }
        variables = vars
        columns = vars.map { ColumnHeader(name: $0.name, subLabel: $0.label) }
        let stem = (path as NSString).deletingPathExtension
        let candidates = format == "csv" ? [".csv", ".CSV"] : [".asc", ".dat", ".txt", ".ASC", ".DAT"]
        guard let data = candidates.map({ stem + $0 }).first(where: { FileManager.default.isReadableFile(atPath: $0) })
        else {
            throw .fileNotReadable(
                path: stem + (candidates.first ?? ".asc"),
                reason: "the Triple-S data file beside \(path) was not found"
            )
        }
        dataPath = data
        linesToSkip = skip
        if format == "csv" {
            let sniff = try CSVSniffer.sniff(path: data)
            encoding = sniff.encoding
            delimiter = ","
            csv = try CSVTokenizer(
                path: data,
                delimiter: UInt8(ascii: ","),
                encoding: sniff.encoding,
                bomLength: sniff.bomLength
            )
        } else {
            let sniff = try CSVSniffer.sniff(path: data)
            encoding = sniff.encoding
            delimiter = nil
            lines = try FileChunks(path: data, chunkSize: 1 << 16)
        }
        headerRows = skip
    }

    static func readMetadata(_ path: String, _ diagnostics: inout Diagnostics) throws(IngestError) -> (
        [TripleSVariable], String, Int
    ) {
        let xml = try XMLStream(path: path)
        var vars: [TripleSVariable] = []
        var current: TripleSVariable?
        var format = "fixed"
        var skip = 0
        var stack: [String] = []
        var text = ""
        var valueCode: String?
        var inLabel = false
        while let step = xml.next() {
            guard case .success(let node) = step else {
                if case .failure(let e) = step {
                    diagnostics.error(
                        "Triple-S metadata is not well-formed XML",
                        at: SourceLocation(file: path, line: e.line),
                        expected: "well-formed XML"
                    )
                }
                break
            }
            switch node {
            case .element(let name, let empty):
                switch name {
                case "record":
                    format = xml.attribute("format") ?? "fixed"
                    skip = Int(xml.attribute("skip") ?? "0") ?? 0
                case "variable":
                    current = TripleSVariable(
                        ident: xml.attribute("ident") ?? "",
                        type: xml.attribute("type") ?? "character",
                        name: "",
                        label: "",
                        start: 0,
                        finish: 0,
                        values: [:]
                    )
                case "position":
                    let s = Int(xml.attribute("start") ?? "") ?? 0
                    current?.start = s
                    current?.finish = Int(xml.attribute("finish") ?? "") ?? s
                case "spread": current?.subfields = Int(xml.attribute("subfields") ?? "")
                case "value": valueCode = xml.attribute("code")
                case "label": inLabel = true
                default: break
                }
                text = ""
                if !empty { stack.append(name) }
            case .text(let t):
                text += t
                // A label's own text, or its first mode-specific <text> when it has none.
                if inLabel, current?.label.isEmpty == true, stack.last == "label" || stack.last == "text" {
                    current?.label = text.trimmingWhitespace()
                }
            case .end(let name):
                _ = stack.popLast()
                switch name {
                case "name": if stack.last == "variable" { current?.name = text.trimmingWhitespace() }
                case "label": inLabel = false
                case "value":
                    if let code = valueCode { current?.values[code] = text.trimmingWhitespace() }
                    valueCode = nil
                case "variable":
                    if let v = current { vars.append(v) }
                    current = nil
                default: break
                }
                text = ""
            case .other: continue
            }
        }
        return (vars, format, skip)
    }

    private mutating func nextLine() -> [UInt8]? {
        guard let lines else { return nil }
        while true {
            if let nl = pendingBytes.firstIndex(of: UInt8(ascii: "\n")) {
                var line = Array(pendingBytes[..<nl])
                pendingBytes.removeFirst(nl + 1)
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                return line
            }
            if lines.read(into: &pendingBytes) == 0 {
                if pendingBytes.isEmpty { return nil }
                let line = pendingBytes
                pendingBytes = []
                return line
            }
        }
    }

    func decode(_ bytes: ArraySlice<UInt8>) -> String {
        if encoding != .windows1252, let s = String(validating: bytes, as: UTF8.self) { return s }
        return String(
            String.UnicodeScalarView(
                bytes.map { b in
                    Unicode.Scalar((0x80...0x9F).contains(b) ? windows1252High[Int(b) - 0x80] : UInt32(b)) ?? "\u{FFFD}"
                }
            )
        )
    }

    /// The value a variable takes from its raw field.
    func value(_ v: TripleSVariable, raw: String) -> String {
        let t = raw.trimmingWhitespace()
        switch v.type {
        case "single": return v.values[t] ?? v.values[String(Int(t) ?? -1)] ?? t
        case "multiple":
            if let n = v.subfields, n > 0 {
                let chars = Array(raw)
                let width = max(1, chars.count / n)
                return stride(from: 0, to: chars.count, by: width)
                    .map { String(chars[$0..<min(chars.count, $0 + width)]).trimmingWhitespace() }
                    .filter { !$0.isEmpty && $0 != "0" }.joined(separator: " ")
            }
            // Bit string: the n-th character stands for code n.
            return Array(t).enumerated().filter { $0.element == "1" }.map { String($0.offset + 1) }
                .joined(separator: " ")
        default: return t
        }
    }

    public mutating func next(_ diagnostics: inout Diagnostics) -> SourceRecord? {
        while true {
            if csv != nil {
                guard let row = csv?.next(&diagnostics) else { return nil }
                lineNumber = row.line
                if linesToSkip > 0 {
                    linesToSkip -= 1
                    continue
                }
                let loc = SourceLocation(file: dataPath, line: row.line, column: 1)
                var values: [String] = []
                for v in variables {
                    guard v.start >= 1, v.start <= row.fields.count else {
                        let reason = "record has \(row.fields.count) fields; variable \(v.name) is field \(v.start)"
                        diagnostics.error(reason, at: loc, expected: "\(variables.map(\.start).max() ?? 0) fields")
                        return .rejected(RejectedRecord(location: loc, reason: reason, values: row.fields))
                    }
                    values.append(value(v, raw: row.fields[v.start - 1]))
                }
                return .record(RawRecord(values: values, location: loc))
            }
            guard let line = nextLine() else { return nil }
            lineNumber += 1
            if linesToSkip > 0 {
                linesToSkip -= 1
                continue
            }
            if line.isEmpty { continue }
            let loc = SourceLocation(file: dataPath, line: lineNumber, column: 1)
            let chars = Array(decode(line[...]))
            var values: [String] = []
            for v in variables {
                guard v.start >= 1, v.finish >= v.start else {
                    values.append("")
                    continue
                }
                guard v.finish <= chars.count || v.start <= chars.count else {
                    let reason =
                        "record is \(chars.count) characters; variable \(v.name) needs positions "
                        + "\(v.start)–\(v.finish)"
                    diagnostics.error(
                        reason,
                        at: SourceLocation(file: dataPath, line: lineNumber, column: chars.count + 1),
                        expected: "at least \(v.finish) characters"
                    )
                    return .rejected(RejectedRecord(location: loc, reason: reason, values: [String(chars)]))
                }
                let field = String(chars[(v.start - 1)..<min(v.finish, chars.count)])
                values.append(value(v, raw: field))
            }
            return .record(RawRecord(values: values, location: loc))
        }
    }
}
