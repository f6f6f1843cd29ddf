import BarazaModel
internal import CLibXML2
import Foundation

/// Collects libxml2's structured errors for the file being read.
private final class XMLErrorSink {
    var errors: [(line: Int, column: Int, message: String, fatal: Bool)] = []
}

private let errorHandler: xmlStructuredErrorFunc = { context, error in
    guard let context, let error else { return }
    let sink = Unmanaged<XMLErrorSink>.fromOpaque(context).takeUnretainedValue()
    let message = error.pointee.message.map { String(cString: $0).trimmingWhitespace() } ?? "XML error"
    if sink.errors.count < 100 {
        sink.errors.append((Int(error.pointee.line), Int(error.pointee.int2), message, error.pointee.level.rawValue >= XML_ERR_ERROR.rawValue))
    }
}

/// Streams records out of XML with libxml2's `xmlTextReader`, in memory that does not grow with
/// the file: ODK/Kobo submission instances (one file each, or a folder of them), a KoboToolbox
/// API `data.xml` page (`<root><results><item>…`), or any file whose root holds repeated records.
///
/// Parsed with no network, no entity substitution and no DTD loading: an external entity is
/// never read and internal entity bombs are stopped by libxml2's amplification checks; each
/// libxml2 error becomes a diagnostic with line and column.
///
/// Columns are the leaf elements' paths below the record (`grp_policy/pol1`); a repeated group's
/// second and later instances are numbered (`members[2]/name`). Attributes of the record element
/// become `@name` columns.
public struct XMLRecordReader: RecordSource {
    public let path: String
    public private(set) var profile: ExportProfile = .odkXML
    public let encoding: TextEncoding = .utf8
    public let delimiter: Character? = nil
    public let headerRows = 0
    public private(set) var columns: [ColumnHeader] = []

    private var columnIndex: [String: Int] = [:]
    private var files: [String]
    private var fileIndex = 0
    private var reader: OpaquePointer?
    private var sink = XMLErrorSink()
    private var reportedErrors = 0
    private let recordElement: String?
    /// Depth of record elements in the current file, once recognised.
    private var recordDepth: Int?
    /// The record element's name when the recognised shape fixes it (LimeSurvey's `row`).
    private var recognisedName: String?

    public init(path: String, options: ReadOptions = ReadOptions()) throws(IngestError) {
        self.path = path
        self.recordElement = options.recordElement
        if isDirectory(path) {
            let names: [String]
            do { names = try FileManager.default.contentsOfDirectory(atPath: path) } catch {
                throw .fileNotReadable(path: path, reason: "\(error.localizedDescription)")
            }
            files = names.filter { $0.lowercased().hasSuffix(".xml") }.sorted().map { (path as NSString).appendingPathComponent($0) }
        } else {
            guard FileManager.default.isReadableFile(atPath: path) else {
                throw .fileNotReadable(path: path, reason: "no such file or not readable")
            }
            files = [path]
        }
    }

    private static let parseOptions: Int32 = Int32(XML_PARSE_NONET.rawValue | XML_PARSE_NOCDATA.rawValue | XML_PARSE_COMPACT.rawValue
        | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue)

    private mutating func openNext() -> Bool {
        closeReader()
        guard fileIndex < files.count else { return false }
        let file = files[fileIndex]
        fileIndex += 1
        sink = XMLErrorSink()
        reportedErrors = 0
        recordDepth = nil
        recognisedName = nil
        reader = xmlReaderForFile(file, nil, Self.parseOptions)
        if let reader {
            xmlTextReaderSetStructuredErrorHandler(reader, errorHandler, Unmanaged.passUnretained(sink).toOpaque())
        }
        return true
    }

    private mutating func closeReader() {
        if let reader { xmlFreeTextReader(reader) }
        reader = nil
    }

    private var currentFile: String { fileIndex > 0 ? files[fileIndex - 1] : path }

    private mutating func flushErrors(_ diagnostics: inout Diagnostics) {
        while reportedErrors < sink.errors.count {
            let e = sink.errors[reportedErrors]
            reportedErrors += 1
            diagnostics.emit(Diagnostic(e.fatal ? .error : .warning, "XML: \(e.message)",
                                        at: SourceLocation(file: currentFile, line: e.line, column: e.column), expected: "well-formed XML"),
                             key: "xml.\(currentFile).\(e.message)")
        }
    }

    private static func string(_ p: UnsafePointer<xmlChar>?) -> String {
        guard let p else { return "" }
        return String(cString: p)
    }

    public mutating func next(_ diagnostics: inout Diagnostics) -> SourceRecord? {
        while true {
            if reader == nil {
                guard openNext() else { return nil }
                if reader == nil {
                    diagnostics.error("cannot open XML file", at: SourceLocation(file: currentFile, line: 1))
                    continue
                }
            }
            guard let reader else { continue }
            switch readRecord(reader, &diagnostics) {
            case .some(let result):
                flushErrors(&diagnostics)
                return result
            case .none:
                flushErrors(&diagnostics)
                closeReader()
            }
        }
    }

    /// Reads up to the end of the next record in the current file; nil when the file is done.
    private mutating func readRecord(_ reader: OpaquePointer, _ diagnostics: inout Diagnostics) -> SourceRecord? {
        var inRecord = false
        var recordLocation = SourceLocation(file: currentFile, line: 1)
        var values: [String] = []
        var stack: [(name: String, text: String, hasChild: Bool)] = []
        var instances: [String: Int] = [:]
        var pathParts: [String] = []

        func setValue(_ rawColumn: String, _ value: String, group: [String], leaf: String) {
            // LimeSurvey writes SGQA codes as elements with a leading underscore (`_981966X2X10`),
            // since an XML name cannot start with a digit; its field list names them without.
            var column = rawColumn
            if profile == .limeSurvey, column.hasPrefix("_"), column.dropFirst().first?.isNumber == true { column.removeFirst() }
            let idx: Int
            if let i = columnIndex[column] { idx = i } else {
                idx = columns.count
                columnIndex[column] = idx
                columns.append(ColumnHeader(name: column, leaf: column == rawColumn ? leaf : column, groupPath: group))
            }
            if values.count <= idx { values.append(contentsOf: repeatElement("", count: idx + 1 - values.count)) }
            values[idx] = value
        }

        while true {
            let status = xmlTextReaderRead(reader)
            if status != 1 {
                if status < 0 || inRecord {
                    flushErrors(&diagnostics)
                    if inRecord {
                        let reason = "XML ended inside a record" + (sink.errors.last.map { ": \($0.message)" } ?? "")
                        return .rejected(RejectedRecord(location: recordLocation, reason: reason, values: values))
                    }
                }
                return nil
            }
            let type = xmlTextReaderNodeType(reader)
            let depth = Int(xmlTextReaderDepth(reader))
            switch type {
            case Int32(XML_READER_TYPE_ELEMENT.rawValue):
                let name = Self.string(xmlTextReaderConstLocalName(reader))
                let isEmpty = xmlTextReaderIsEmptyElement(reader) == 1
                if recordDepth == nil {
                    recordDepth = recognise(reader, name: name, depth: depth)
                }
                if !inRecord {
                    guard depth == recordDepth, (recordElement ?? recognisedName).map({ $0 == name }) ?? true else { continue }
                    inRecord = true
                    values.removeAll(keepingCapacity: true)
                    stack.removeAll(keepingCapacity: true)
                    instances.removeAll(keepingCapacity: true)
                    pathParts.removeAll(keepingCapacity: true)
                    recordLocation = SourceLocation(file: currentFile, line: Int(xmlTextReaderGetParserLineNumber(reader)),
                                                    column: Int(xmlTextReaderGetParserColumnNumber(reader)))
                    while xmlTextReaderMoveToNextAttribute(reader) == 1 {
                        let a = Self.string(xmlTextReaderConstLocalName(reader))
                        if Self.string(xmlTextReaderConstPrefix(reader)) == "xmlns" || a == "xmlns" { continue }
                        setValue("@" + a, Self.string(xmlTextReaderConstValue(reader)), group: [], leaf: "@" + a)
                    }
                    _ = xmlTextReaderMoveToElement(reader)
                    if isEmpty { inRecord = false; return .record(RawRecord(values: values, location: recordLocation)) }
                    stack.append((name, "", false))
                    continue
                }
                if !stack.isEmpty { stack[stack.count - 1].hasChild = true }
                let instanceKey = pathParts.isEmpty ? name : pathParts.joined(separator: "/") + "/" + name
                let k = instances[instanceKey, default: 0] + 1
                instances[instanceKey] = k
                let part = k > 1 ? "\(name)[\(k)]" : name
                if isEmpty {
                    setValue(pathParts.isEmpty ? part : (pathParts + [part]).joined(separator: "/"), "", group: pathParts, leaf: name)
                } else {
                    pathParts.append(part)
                    stack.append((name, "", false))
                }
            case Int32(XML_READER_TYPE_TEXT.rawValue), Int32(XML_READER_TYPE_CDATA.rawValue),
                 Int32(XML_READER_TYPE_SIGNIFICANT_WHITESPACE.rawValue):
                if inRecord, !stack.isEmpty { stack[stack.count - 1].text += Self.string(xmlTextReaderConstValue(reader)) }
            case Int32(XML_READER_TYPE_ENTITY_REFERENCE.rawValue):
                if inRecord {
                    diagnostics.warning("entity reference &\(Self.string(xmlTextReaderConstLocalName(reader)));  is not expanded",
                                        at: SourceLocation(file: currentFile, line: Int(xmlTextReaderGetParserLineNumber(reader))),
                                        expected: "plain text (entities are never expanded)", key: "xml.entity")
                }
            case Int32(XML_READER_TYPE_END_ELEMENT.rawValue):
                guard inRecord, let top = stack.popLast() else { continue }
                if stack.isEmpty {
                    inRecord = false
                    return .record(RawRecord(values: values, location: recordLocation))
                }
                let part = pathParts.popLast() ?? top.name
                if !top.hasChild {
                    setValue(pathParts.isEmpty ? part : (pathParts + [part]).joined(separator: "/"), top.text.trimmingWhitespace(), group: pathParts, leaf: top.name)
                }
            default:
                continue
            }
        }
    }

    /// The depth at which records sit, decided at the root element.
    private mutating func recognise(_ reader: OpaquePointer, name: String, depth: Int) -> Int {
        if let recordElement { return recordElement == name ? depth : depth + 1 }
        // A LimeSurvey response export (.lsr): <document><responses><rows><row>…
        if name == "document" { profile = .limeSurvey; recognisedName = "row"; return depth + 3 }
        // An ODK/Kobo instance: the root is the form (it carries the form id).
        if xmlTextReaderGetAttribute(reader, "id").map({ p in free(p); return true }) ?? false { return depth }
        if name == "data" { return depth }
        // A KoboToolbox API page: <root><count/><next/><previous/><results><item>…
        if name == "root" { profile = .koboToolbox; return depth + 2 }
        return depth + 1
    }
}

func isDirectory(_ path: String) -> Bool {
    var dir: ObjCBool = false
    return FileManager.default.fileExists(atPath: path, isDirectory: &dir) && dir.boolValue
}
