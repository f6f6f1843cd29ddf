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
    /// This file's element paths (node 0 is the record element) and the look-up to them.
    private var nodes: [PathNode] = []
    private var state: [NodeState] = []
    private var nameBytes: [CChar] = []
    private var edges = EdgeTable()
    private var namedEdges: [NamedEdge: Int32] = [:]
    /// The record being read: its text bytes, and per column the span of its value and the
    /// record number that set it (a column not set in this record is blank).
    private var scratch: [UInt8] = []
    private var spans: [(start: Int, end: Int)] = []
    private var stamps: [Int] = []
    private var recordNumber = 0
    private var fieldCount = 0
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
        resetPaths()
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

    /// An element path below the record element (instance numbers included), met in this file.
    struct PathNode {
        var name: String
        /// The name with its instance number when not the first (`members[2]`).
        var part: String
        var path: String
        var groupPath: [String]
    }

    /// What the per-element work reads and writes of a node, apart from its Strings (an element
    /// touching a struct of Strings paid a retain and release for each).
    struct NodeState {
        /// The column this path's values go to, −1 until it has had one.
        var column: Int32 = -1
        /// For a first instance: the record it was last met in, and how many siblings of its name
        /// that record has had so far under the same parent.
        var stamp = -1
        var instances: Int32 = 0
        /// Where the node's name starts in `nameBytes` (NUL-terminated).
        var nameStart: Int32
    }

    /// (parent node, interned element name, instance) → node: libxml2 hands out each element name
    /// from the reader's dictionary, so a path is found by pointer instead of joining strings and
    /// hashing them per element (which, with the Strings made per element, was most of the time
    /// the reading thread spent on the 200k-record XML workload).
    struct EdgeTable {
        private var keys: [(parent: Int32, name: UInt, instance: Int32)] = []
        private var values: [Int32] = []
        private var slots = [Int32](repeating: -1, count: 256)

        private static func hash(_ parent: Int32, _ name: UInt, _ instance: Int32) -> Int {
            var h = UInt64(name) &* 0x9E37_79B9_7F4A_7C15
            h ^= (UInt64(UInt32(bitPattern: parent)) << 20 ^ UInt64(UInt32(bitPattern: instance))) &* 0xBF58_476D_1CE4_E5B9
            return Int(truncatingIfNeeded: h ^ (h >> 29))
        }

        func find(_ parent: Int32, _ name: UInt, _ instance: Int32) -> Int32? {
            let mask = slots.count - 1
            var s = Self.hash(parent, name, instance) & mask
            while true {
                let e = Int(slots[s])
                if e < 0 { return nil }
                let k = keys[e]
                if k.parent == parent && k.name == name && k.instance == instance { return values[e] }
                s = (s + 1) & mask
            }
        }

        /// Sets the node for a key, replacing an earlier one.
        mutating func set(_ parent: Int32, _ name: UInt, _ instance: Int32, _ node: Int32) {
            let mask = slots.count - 1
            var s = Self.hash(parent, name, instance) & mask
            while slots[s] >= 0 {
                let e = Int(slots[s])
                let k = keys[e]
                if k.parent == parent && k.name == name && k.instance == instance { values[e] = node; return }
                s = (s + 1) & mask
            }
            slots[s] = Int32(keys.count)
            keys.append((parent, name, instance))
            values.append(node)
            if keys.count * 2 > slots.count {
                slots = [Int32](repeating: -1, count: slots.count * 2)
                for (e, k) in keys.enumerated() {
                    var t = Self.hash(k.parent, k.name, k.instance) & (slots.count - 1)
                    while slots[t] >= 0 { t = (t + 1) & (slots.count - 1) }
                    slots[t] = Int32(e)
                }
            }
        }

        mutating func removeAll() {
            keys.removeAll(keepingCapacity: true)
            values.removeAll(keepingCapacity: true)
            for i in slots.indices { slots[i] = -1 }
        }
    }

    /// The node for the `instance`th child named `name` of `parent`: by the name's pointer, checked
    /// against the node's name; on a miss, by the name itself (then remembered for the pointer).
    private mutating func child(of parent: Int32, name p: UnsafePointer<xmlChar>, instance: Int32) -> Int32 {
        let key = UInt(bitPattern: p)
        if let n = edges.find(parent, key, instance) {
            let same = nameBytes.withUnsafeBufferPointer { b in
                b.baseAddress.map { strcmp($0 + Int(state[Int(n)].nameStart), UnsafeRawPointer(p).assumingMemoryBound(to: CChar.self)) == 0 } ?? false
            }
            if same { return n }
        }
        let name = Self.string(p)
        let named = NamedEdge(parent: parent, name: name, instance: instance)
        let node: Int32
        if let known = namedEdges[named] { node = known } else {
            let up = nodes[Int(parent)]
            let part = instance > 1 ? "\(name)[\(instance)]" : name
            let group = parent == 0 ? [] : up.groupPath + [up.part]
            node = Int32(nodes.count)
            nodes.append(PathNode(name: name, part: part, path: parent == 0 ? part : up.path + "/" + part, groupPath: group))
            state.append(NodeState(nameStart: Int32(nameBytes.count)))
            nameBytes += name.utf8CString
            namedEdges[named] = node
        }
        edges.set(parent, key, instance, node)
        return node
    }

    struct NamedEdge: Hashable { var parent: Int32; var name: String; var instance: Int32 }

    /// Starts this file's paths afresh (pointers are the reader's).
    private mutating func resetPaths() {
        nodes = [PathNode(name: "", part: "", path: "", groupPath: [])]
        state = [NodeState(nameStart: 0)]
        nameBytes = [0]
        edges.removeAll()
        namedEdges.removeAll(keepingCapacity: true)
    }

    /// The column for a path, made when first set (`rawColumn`, as LimeSurvey columns are renamed).
    private mutating func column(_ rawColumn: String, group: [String], leaf: String) -> Int {
        // LimeSurvey writes SGQA codes as elements with a leading underscore (`_981966X2X10`),
        // since an XML name cannot start with a digit; its field list names them without.
        var column = rawColumn
        if profile == .limeSurvey, column.hasPrefix("_"), column.dropFirst().first?.isNumber == true { column.removeFirst() }
        if let i = columnIndex[column] { return i }
        let idx = columns.count
        columnIndex[column] = idx
        columns.append(ColumnHeader(name: column, leaf: column == rawColumn ? leaf : column, groupPath: group))
        return idx
    }

    /// Sets column `idx` of the record being read to `scratch[start..<end]`.
    private mutating func setSpan(_ idx: Int, _ start: Int, _ end: Int) {
        if idx >= spans.count {
            spans += repeatElement((start: 0, end: 0), count: idx + 1 - spans.count)
            stamps += repeatElement(-1, count: idx + 1 - stamps.count)
        }
        spans[idx] = (start, end)
        stamps[idx] = recordNumber
        fieldCount = max(fieldCount, idx + 1)
    }

    /// Appends `value` to the scratch bytes and sets column `idx` to it.
    private mutating func setValue(_ idx: Int, _ value: String) {
        let start = scratch.count
        scratch.append(contentsOf: value.utf8)
        setSpan(idx, start, scratch.count)
    }

    /// Sets node `n`'s column to the leaf text `scratch[start...]`, trimmed of white space.
    private mutating func setLeaf(_ n: Int32, textFrom start: Int) {
        var idx = Int(state[Int(n)].column)
        if idx < 0 {
            let node = nodes[Int(n)]
            idx = column(node.path, group: node.groupPath, leaf: node.name)
            state[Int(n)].column = Int32(idx)
        }
        var lo = start, hi = scratch.count
        if lo < hi {
            let first = scratch[lo], last = scratch[hi - 1]
            if first > 0x20 && first < 0x80 && last > 0x20 && last < 0x80 {
                // Nothing to trim (most values).
            } else if scratch[lo..<hi].allSatisfy({ $0 < 0x80 }) {
                while lo < hi, Self.isASCIISpace(scratch[lo]) { lo += 1 }
                while hi > lo, Self.isASCIISpace(scratch[hi - 1]) { hi -= 1 }
            } else {
                let trimmed = String(decoding: scratch[lo..<hi], as: UTF8.self).trimmingWhitespace()
                setValue(idx, trimmed)
                return
            }
        }
        setSpan(idx, lo, hi)
    }

    /// The white space `Character.isWhitespace` sees among ASCII bytes.
    private static func isASCIISpace(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0D) }

    /// The record read so far, as fields (a column not set in it is blank; it has as many fields
    /// as its last column set).
    private func fields() -> FieldRow {
        var row = FieldRow()
        scratch.withUnsafeBufferPointer { p in
            for i in 0..<fieldCount {
                if stamps[i] == recordNumber {
                    row.appendBytes(UnsafeBufferPointer(rebasing: p[spans[i].start..<spans[i].end]))
                }
                row.endField()
            }
        }
        return row
    }

    /// Reads up to the end of the next record in the current file; nil when the file is done.
    private mutating func readRecord(_ reader: OpaquePointer, _ diagnostics: inout Diagnostics) -> SourceRecord? {
        var inRecord = false
        var recordLocation = SourceLocation(file: currentFile, line: 1)
        var stack: [(node: Int32, textStart: Int, hasChild: Bool)] = []

        while true {
            let status = xmlTextReaderRead(reader)
            if status != 1 {
                if status < 0 || inRecord {
                    flushErrors(&diagnostics)
                    if inRecord {
                        let reason = "XML ended inside a record" + (sink.errors.last.map { ": \($0.message)" } ?? "")
                        return .rejected(RejectedRecord(location: recordLocation, reason: reason, values: fields().strings))
                    }
                }
                return nil
            }
            let type = xmlTextReaderNodeType(reader)
            switch type {
            case Int32(XML_READER_TYPE_ELEMENT.rawValue):
                let isEmpty = xmlTextReaderIsEmptyElement(reader) == 1
                if !inRecord {
                    let depth = Int(xmlTextReaderDepth(reader))
                    let name = Self.string(xmlTextReaderConstLocalName(reader))
                    if recordDepth == nil {
                        recordDepth = recognise(reader, name: name, depth: depth)
                    }
                    guard depth == recordDepth, (recordElement ?? recognisedName).map({ $0 == name }) ?? true else { continue }
                    inRecord = true
                    recordNumber += 1
                    fieldCount = 0
                    scratch.removeAll(keepingCapacity: true)
                    recordLocation = SourceLocation(file: currentFile, line: Int(xmlTextReaderGetParserLineNumber(reader)),
                                                    column: Int(xmlTextReaderGetParserColumnNumber(reader)))
                    while xmlTextReaderMoveToNextAttribute(reader) == 1 {
                        let a = Self.string(xmlTextReaderConstLocalName(reader))
                        if Self.string(xmlTextReaderConstPrefix(reader)) == "xmlns" || a == "xmlns" { continue }
                        setValue(column("@" + a, group: [], leaf: "@" + a), Self.string(xmlTextReaderConstValue(reader)))
                    }
                    _ = xmlTextReaderMoveToElement(reader)
                    if isEmpty { inRecord = false; return .record(RawRecord(fields: fields(), location: recordLocation)) }
                    stack.append((0, 0, false))
                    continue
                }
                guard let namePointer = xmlTextReaderConstLocalName(reader) else { continue }
                let parent = stack[stack.count - 1].node
                stack[stack.count - 1].hasChild = true
                // Siblings of one name under one parent are numbered: the first instance's node
                // counts them per record.
                var node = child(of: parent, name: namePointer, instance: 1)
                let first = Int(node)
                if state[first].stamp != recordNumber {
                    state[first].stamp = recordNumber
                    state[first].instances = 1
                } else {
                    state[first].instances += 1
                    node = child(of: parent, name: namePointer, instance: state[first].instances)
                }
                if isEmpty {
                    setLeaf(node, textFrom: scratch.count)
                } else {
                    stack.append((node, scratch.count, false))
                }
            case Int32(XML_READER_TYPE_TEXT.rawValue), Int32(XML_READER_TYPE_CDATA.rawValue),
                 Int32(XML_READER_TYPE_SIGNIFICANT_WHITESPACE.rawValue):
                if inRecord, let value = xmlTextReaderConstValue(reader) {
                    scratch.append(contentsOf: UnsafeBufferPointer(start: value, count: strlen(UnsafeRawPointer(value).assumingMemoryBound(to: CChar.self))))
                }
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
                    return .record(RawRecord(fields: fields(), location: recordLocation))
                }
                if !top.hasChild { setLeaf(top.node, textFrom: top.textStart) }
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
