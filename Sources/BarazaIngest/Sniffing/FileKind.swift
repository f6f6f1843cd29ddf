import Foundation
import ZIPFoundation

/// What a file is, told from its first bytes (never from its name alone): an export Baraza reads,
/// or something else — a form definition, an old workbook, a PDF — refused with what it is and
/// what to download instead.
public enum FileKind: Equatable, Sendable {
    /// Text that is not XML: the CSV reader reads it.
    case text
    /// XML that may hold responses (ODK, Kobo, LimeSurvey `.lsr`).
    case xml
    /// An Office Open XML workbook.
    case xlsx
    /// A gzip-compressed file.
    case gzip
    /// A ZIP archive of CSV files (ODK Central's `submissions.csv.zip`), its CSV entries.
    case zipOfCSV([String])
    /// Not survey responses Baraza can read.
    case refused(what: String, instead: String)

    public static let xformsNamespace = "http://www.w3.org/2002/xforms"

    /// Sniffs the file at `path` (a regular file).
    public static func of(_ path: String) -> FileKind {
        guard let handle = FileHandle(forReadingAtPath: path) else { return .text }
        defer { try? handle.close() }
        let head = [UInt8]((try? handle.read(upToCount: 64 << 10)) ?? Data())
        return of(head: head, path: path)
    }

    static func of(head: [UInt8], path: String) -> FileKind {
        if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) || head.starts(with: [0x50, 0x4B, 0x05, 0x06]) {
            return zip(path)
        }
        if head.starts(with: [0x1F, 0x8B]) { return .gzip }
        if head.starts(with: [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
            return .refused(
                what: "an Excel 97–2003 workbook (.xls) or another old Office file",
                instead: "open it and save it as .xlsx or CSV, or download the responses as XLSX or CSV"
            )
        }
        if head.starts(with: Array("%PDF".utf8)) {
            return .refused(what: "a PDF document", instead: "download the responses as CSV or XLSX from the platform")
        }
        if head.starts(with: [0x89, 0x50, 0x4E, 0x47]) || head.starts(with: [0xFF, 0xD8, 0xFF]) {
            return .refused(what: "an image", instead: "give the export file of the responses (CSV, XLSX or XML)")
        }
        if head.starts(with: [0x42, 0x5A, 0x68]) || head.starts(with: [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00])
            || head.starts(with: [0x37, 0x7A, 0xBC, 0xAF]) || head.starts(with: [0x52, 0x61, 0x72, 0x21])
        {
            return .refused(
                what: "a compressed archive (bzip2, xz, 7z or RAR)",
                instead: "extract the export from it, or give it as .zip or .gz"
            )
        }
        guard let root = xmlRoot(head) else { return .text }
        let text = String(decoding: head, as: UTF8.self)
        switch root {
        case "html" where text.contains(xformsNamespace):
            return .refused(
                what: "an XForm (an ODK or KoboToolbox form definition), not submissions",
                instead: "download the submissions (CSV, XLSX or the instance XML files)"
            )
        case "codeBook":
            return .refused(
                what: "a DDI codebook (a description of the variables), not responses",
                instead: "give the data file it describes"
            )
        case "questionnaire":
            return .refused(
                what: "a queXML questionnaire (a form definition), not responses",
                instead: "export the responses as CSV or as a LimeSurvey .lsr file"
            )
        case "document" where text.contains("<LimeSurveyDocType>Survey</LimeSurveyDocType>"):
            return .refused(
                what: "a LimeSurvey survey structure (.lss), not responses",
                instead: "export the responses (Responses → Export: CSV, or the .lsr file)"
            )
        case "sss":
            return .refused(what: "Triple-S metadata", instead: "give it a .sss name, with its data file beside it")
        case "xs:schema", "schema":
            return .refused(what: "an XML schema", instead: "give the export file of the responses")
        default: return .xml
        }
    }

    /// The name of the first element of XML text (BOM, white space, declaration, comments and a
    /// doctype skipped), with its namespace prefix kept for schemas only; nil when not XML.
    static func xmlRoot(_ bytes: [UInt8]) -> String? {
        var head = bytes
        // UTF-16 with a byte-order mark: looked at as UTF-8.
        if bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF]) {
            let little = bytes[0] == 0xFF
            let units = stride(from: 2, to: bytes.count - 1, by: 2)
                .map { i in
                    little ? UInt16(bytes[i]) | UInt16(bytes[i + 1]) << 8 : UInt16(bytes[i]) << 8 | UInt16(bytes[i + 1])
                }
            head = Array(String(decoding: units, as: UTF16.self).utf8)
        }
        var i = head.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        func skipSpace() { while i < head.count, [0x20, 0x09, 0x0A, 0x0D].contains(head[i]) { i += 1 } }
        while true {
            skipSpace()
            guard i < head.count, head[i] == UInt8(ascii: "<") else { return nil }
            guard i + 1 < head.count else { return nil }
            let next = head[i + 1]
            if next == UInt8(ascii: "?") || next == UInt8(ascii: "!") {
                // Skip the declaration, comment or doctype (past its internal subset, whose
                // declarations hold '>' of their own).
                var from = i
                if head[i...].starts(with: Array("<!DOCTYPE".utf8)),
                    let open = head[i...].firstIndex(where: { $0 == UInt8(ascii: "[") || $0 == UInt8(ascii: ">") }),
                    head[open] == UInt8(ascii: "["), let close = head[open...].firstIndex(of: UInt8(ascii: "]"))
                {
                    from = close
                } else if head[i...].starts(with: Array("<!--".utf8)) {
                    var k = i + 4
                    while k + 2 < head.count, !(head[k] == 0x2D && head[k + 1] == 0x2D && head[k + 2] == 0x3E) {
                        k += 1
                    }
                    from = k
                }
                guard let end = head[from...].firstIndex(of: UInt8(ascii: ">")) else { return nil }
                i = end + 1
                continue
            }
            var j = i + 1
            while j < head.count, ![0x20, 0x09, 0x0A, 0x0D, UInt8(ascii: ">"), UInt8(ascii: "/")].contains(head[j]) {
                j += 1
            }
            let name = String(decoding: head[(i + 1)..<j], as: UTF8.self)
            guard !name.isEmpty else { return nil }
            if name.hasSuffix(":schema") { return "xs:schema" }
            return name.split(separator: ":").last.map(String.init)
        }
    }

    static func zip(_ path: String) -> FileKind {
        guard let archive = try? Archive(url: URL(fileURLWithPath: path), accessMode: .read, pathEncoding: nil) else {
            return .refused(what: "a damaged or incomplete ZIP archive", instead: "download the export again")
        }
        let names = archive.map(\.path)
        if names.contains("xl/workbook.xml") { return .xlsx }
        if names.contains("mimetype") && names.contains("content.xml") {
            return .refused(what: "an OpenDocument file (.ods or .odt)", instead: "save it as .xlsx or CSV")
        }
        if names.contains("word/document.xml") {
            return .refused(
                what: "a Word document",
                instead: "give the export file of the responses (CSV, XLSX or XML)"
            )
        }
        if names.contains(where: { $0.hasSuffix(".lss") || $0.hasSuffix(".lsr") }) {
            return .refused(
                what: "a LimeSurvey survey archive (.lsa)",
                instead: "export the responses as CSV, or give the .lsr file inside the archive"
            )
        }
        let csv = names.filter { $0.lowercased().hasSuffix(".csv") && !$0.hasPrefix("__MACOSX/") }
        if !csv.isEmpty { return .zipOfCSV(csv) }
        return .refused(what: "a ZIP archive without a CSV or workbook in it", instead: "extract the export from it")
    }
}
