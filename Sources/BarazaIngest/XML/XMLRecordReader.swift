import BarazaKit
import BarazaModel
internal import CLibXML2
import Foundation

/// Streams records out of XML with libxml2's SAX2 parser, in memory that does not grow with the
/// file: ODK/Kobo submission instances (one file each, or a folder of them), a KoboToolbox API
/// `data.xml` page (`<root><results><item>…`), or any file whose root holds repeated records.
/// Each file is parsed in one call of the pull parser (`xmlParseDocument`), which reads the file
/// through an input callback (64 KiB at a time); the records each read completes are handed to
/// `forEachRecord`'s body from there, so only those wait in memory.
///
/// The pull parser rather than the push parser (`xmlParseChunk`, used before): in libxml2 2.9 the
/// push parser hands CDATA over with CR LF as it stands, and read a UTF-7 file that breaks off (a
/// fuzz finding) as holding nothing, without an error; the pull parser normalises line breaks and
/// reports the error. In the whole import the two are as fast.
///
/// Parsed with no network, no entity substitution and no DTD loading: an external entity is
/// never read and internal entity bombs are stopped by libxml2's amplification checks (what the
/// parser reads of an internal entity while checking it comes from another parser context and is
/// ignored); each libxml2 error becomes a diagnostic with line and column. A record's location is
/// where its start tag ends.
///
/// Columns are the leaf elements' paths below the record (`grp_policy/pol1`); a repeated group's
/// second and later instances are numbered (`members[2]/name`). Attributes of the record element
/// become `@name` columns.
///
/// SAX instead of `xmlTextReader`: the reader builds and frees a node per element and text, about
/// half of the reading thread's time.
public struct XMLRecordReader: RecordSource {
    public let path: String
    public var profile: ExportProfile { parse.state.pointee.profile }
    public let encoding: TextEncoding = .utf8
    public let delimiter: Character? = nil
    public let headerRows = 0
    public var columns: [ColumnHeader] { parse.state.pointee.columns }

    private let parse: SAXParse
    private var files: [String]
    private let includeIncomplete: Bool
    private var fileIndex = 0

    /// `observer` sees a single file's bytes as they are parsed.
    public init(path: String, options: ReadOptions = ReadOptions(), observer: ByteObserver? = nil) throws(IngestError) {
        self.path = path
        if isDirectory(path) {
            guard FileManager.default.isReadableFile(atPath: path) else {
                throw .fileNotReadable(path: path, reason: "the folder cannot be read")
            }
            files = SubmissionFolder.files(in: path)
        } else {
            guard FileManager.default.isReadableFile(atPath: path) else {
                throw .fileNotReadable(path: path, reason: "no such file or not readable")
            }
            files = [path]
        }
        parse = SAXParse(recordElement: options.recordElement, observer: observer)
        includeIncomplete = options.includeIncomplete
    }

    /// Reads these files, in this order, as one source (the new files of a folder of submissions);
    /// `path` names them in messages.
    public init(files: [String], path: String, options: ReadOptions = ReadOptions()) {
        self.path = path
        self.files = files
        parse = SAXParse(recordElement: options.recordElement, observer: nil)
        includeIncomplete = options.includeIncomplete
    }

    /// Parses each file with the pull parser, handing the records to `body` as they complete (see
    /// the type's note); a reader is read once.
    public mutating func forEachRecord(
        _ diagnostics: inout Diagnostics,
        _ body: (consuming SourceRecord, [ColumnHeader]) -> Bool
    ) {
        let parse = self.parse
        let dropIncomplete = !includeIncomplete
        func deliver() -> Bool {
            parse.state.pointee.drainDiagnostics(into: &diagnostics)
            while let record = parse.state.pointee.popRecord() {
                let columns = parse.state.pointee.columns
                // LimeSurvey: a response never submitted (no submit date) is left out, counted.
                if dropIncomplete, parse.state.pointee.profile == .limeSurvey, case .record(let r) = record,
                    let i = columns.firstIndex(where: { $0.name == "submitdate" }),
                    i >= r.values.count || r.values[i].trimmingWhitespace().isEmpty
                {
                    let rejected = RejectedRecord(
                        location: r.location,
                        reason: RejectedRecord.incompleteReason,
                        values: r.values
                    )
                    if !body(.rejected(rejected), columns) { return false }
                    continue
                }
                if !body(record, columns) { return false }
            }
            return true
        }
        while fileIndex < files.count {
            let file = files[fileIndex]
            fileIndex += 1
            let outcome = withoutActuallyEscaping(deliver) { parse.pull(file, deliver: $0) }
            switch outcome {
            case .cannotOpen: diagnostics.error("cannot open XML file", at: SourceLocation(file: file, line: 1))
            case .stopped: return
            case .done: if !deliver() { return }
            }
        }
    }
}

/// One file's parser, its read buffer and the parse state its callbacks work on (reached through
/// the context's `_private`; a pointer, so the callbacks pay no exclusivity checks).
final class SAXParse {
    let state: UnsafeMutablePointer<SAXState>
    private var context: xmlParserCtxtPtr?
    private var fd: Int32 = -1
    private let buffer: UnsafeMutableRawBufferPointer
    private let observer: ByteObserver?

    private static let options = Int32(
        XML_PARSE_NONET.rawValue | XML_PARSE_NOCDATA.rawValue | XML_PARSE_NOERROR.rawValue
            | XML_PARSE_NOWARNING.rawValue
    )

    init(recordElement: String?, observer: ByteObserver?) {
        self.observer = observer
        state = .allocate(capacity: 1)
        state.initialize(to: SAXState(recordElement: recordElement))
        buffer = .allocate(byteCount: 1 << 16, alignment: 16)
    }

    deinit {
        close()
        state.deinitialize(count: 1)
        state.deallocate()
        buffer.deallocate()
    }

    /// libxml2's SAX2 handlers (they keep the DTD's entity declarations) with the element, text,
    /// reference and error events taken over, and comments and processing instructions dropped.
    private static func handler() -> xmlSAXHandler {
        var h = xmlSAXHandler()
        xmlSAXVersion(&h, 2)
        h.startElementNs = { ctx, name, _, _, _, _, attributeCount, _, attributes in
            guard let s = SAXState.main(ctx), let name else { return }
            s.pointee.start(name, attributeCount: Int(attributeCount), attributes: attributes)
        }
        h.endElementNs = { ctx, _, _, _ in
            guard let s = SAXState.main(ctx) else { return }
            s.pointee.end()
        }
        let text: charactersSAXFunc = { ctx, bytes, count in
            guard let s = SAXState.main(ctx), let bytes, count > 0 else { return }
            if s.pointee.inRecord {
                s.pointee.scratch.append(contentsOf: UnsafeBufferPointer(start: bytes, count: Int(count)))
            }
        }
        h.characters = text
        h.cdataBlock = text
        h.ignorableWhitespace = text
        h.reference = { ctx, name in
            guard let s = SAXState.main(ctx), let name else { return }
            s.pointee.reference(String(cString: name))
        }
        h.comment = nil
        h.processingInstruction = nil
        h.serror = { ctx, error in
            guard let ctx, let error, let p = ctx.assumingMemoryBound(to: xmlParserCtxt.self).pointee._private else {
                return
            }
            let message = error.pointee.message.map { String(cString: $0).trimmingWhitespace() } ?? "XML error"
            p.assumingMemoryBound(to: SAXState.self).pointee
                .error(
                    line: Int(error.pointee.line),
                    column: Int(error.pointee.int2),
                    message: message,
                    fatal: error.pointee.level.rawValue >= XML_ERR_ERROR.rawValue
                )
        }
        return h
    }

    enum PullOutcome { case done, stopped, cannotOpen }

    /// The pull parse's hand-over: called from the input callback before each read, false to stop.
    private var deliver: (() -> Bool)?
    private var stopped = false
    private var bufferStart = 0
    private var bufferEnd = 0

    /// Parses `file` with the pull parser, calling `deliver` whenever libxml2 wants more input
    /// (every 4,000 bytes or so). `.stopped` when `deliver` said stop.
    func pull(_ file: String, deliver: @escaping () -> Bool) -> PullOutcome {
        close()
        fd = Foundation.open(file, O_RDONLY)
        guard fd >= 0 else { return .cannotOpen }
        defer {
            self.deliver = nil
            close()
        }
        self.deliver = deliver
        stopped = false
        bufferStart = 0
        bufferEnd = 0
        var h = Self.handler()
        let read: xmlInputReadCallback = { ctx, out, len in
            guard let ctx, let out else { return -1 }
            return Unmanaged<SAXParse>.fromOpaque(ctx).takeUnretainedValue().readInput(into: out, max: Int(len))
        }
        // No close callback: the file descriptor is this object's, closed by `close`.
        guard
            let c = xmlCreateIOParserCtxt(
                &h,
                nil,
                read,
                nil,
                Unmanaged.passUnretained(self).toOpaque(),
                XML_CHAR_ENCODING_NONE
            )
        else { return .cannotOpen }
        _ = xmlCtxtUseOptions(c, Self.options)
        c.pointee._private = UnsafeMutableRawPointer(state)
        context = c
        state.pointee.begin(file: file, context: UnsafeMutableRawPointer(c))
        _ = xmlParseDocument(c)
        if stopped { return .stopped }
        state.pointee.finish()
        return .done
    }

    /// The input callback's work: hands over the records parsed so far, then copies up to `max`
    /// bytes of the file (read 64 KiB at a time, each shown to the observer) to `out`; 0 at the
    /// end of the file or once stopped, −1 when the file cannot be read.
    private func readInput(into out: UnsafeMutablePointer<CChar>, max: Int) -> Int32 {
        if stopped { return 0 }
        if let deliver, !deliver() {
            // The end of input as libxml2 sees it (`xmlStopParser` here, inside its input
            // growing, frees the input under it); what it then reports is not handed over.
            stopped = true
            return 0
        }
        if bufferStart == bufferEnd {
            var n: Int
            repeat { n = Foundation.read(fd, buffer.baseAddress, buffer.count) } while n < 0 && errno == EINTR
            if n < 0 {
                state.pointee.error(
                    line: 0,
                    column: 0,
                    message: "cannot read the file: \(String(cString: strerror(errno)))",
                    fatal: true
                )
                return -1
            }
            if n == 0 { return 0 }
            observer?(UnsafeRawBufferPointer(start: buffer.baseAddress, count: n))
            bufferStart = 0
            bufferEnd = n
        }
        let n = min(max, bufferEnd - bufferStart)
        guard let base = buffer.baseAddress else { return -1 }
        UnsafeMutableRawPointer(out).copyMemory(from: base + bufferStart, byteCount: n)
        bufferStart += n
        return Int32(n)
    }

    private func close() {
        if let c = context {
            if let doc = c.pointee.myDoc { xmlFreeDoc(doc) }
            c.pointee.myDoc = nil
            xmlFreeParserCtxt(c)
            state.pointee.context = nil
        }
        context = nil
        if fd >= 0 { _ = Foundation.close(fd) }
        fd = -1
    }
}

/// The parse of one reader: element paths, columns, the record being read, and what is ready to
/// hand out (records, diagnostics).
struct SAXState {
    /// The context events are taken from: libxml2 checks an internal entity's text by parsing it
    /// with a context of its own, whose events must not become values.
    var context: UnsafeMutableRawPointer?
    var profile: ExportProfile = .odkXML
    var columns: [ColumnHeader] = []
    private var columnIndex: [String: Int] = [:]
    private let recordElement: String?
    private var file = ""
    /// Depth of record elements in the current file, once recognised.
    private var recordDepth: Int?
    /// The record element's name when the recognised shape fixes it (LimeSurvey's `row`).
    private var recognisedName: String?
    private var depth = -1
    private(set) var inRecord = false
    private var recordLocation = SourceLocation(file: "", line: 1)
    private var stack: [(node: Int32, textStart: Int, hasChild: Bool)] = []
    /// This file's element paths (node 0 is the record element) and the look-up to them.
    private var nodes: [PathNode] = []
    private var state: [NodeState] = []
    private var edges = EdgeTable()
    private var namedEdges: [NamedEdge: Int32] = [:]
    /// Record attributes' columns by their names' pointers (see `attributeColumn`).
    private var attributeColumns: [(name: UInt, column: Int)] = []
    /// The record being read: its text bytes, and per column the span of its value and the
    /// record number that set it (a column not set in this record is blank).
    var scratch: [UInt8] = []
    private var spans: [(start: Int, end: Int)] = []
    private var stamps: [Int] = []
    private var recordNumber = 0
    private var fieldCount = 0
    /// Records completed and not yet handed over (each taken out when it is: no copy).
    private var pending: [SourceRecord?] = []
    private var pendingHead = 0
    private var diagnostics: [(Diagnostic, key: String)] = []
    private var fileErrors = 0
    private var lastError: String?

    init(recordElement: String?) { self.recordElement = recordElement }

    /// The deepest nesting read (libxml2's own limit without `XML_PARSE_HUGE`).
    static let maxDepth = 256

    /// The state of `ctx`'s parse, nil for an entity's own context.
    @inline(__always) static func main(_ ctx: UnsafeMutableRawPointer?) -> UnsafeMutablePointer<SAXState>? {
        guard let ctx, let p = ctx.assumingMemoryBound(to: xmlParserCtxt.self).pointee._private else { return nil }
        let s = p.assumingMemoryBound(to: SAXState.self)
        return s.pointee.context == ctx ? s : nil
    }

    mutating func begin(file: String, context: UnsafeMutableRawPointer) {
        self.file = file
        self.context = context
        recordDepth = nil
        recognisedName = nil
        depth = -1
        inRecord = false
        stack.removeAll()
        fileErrors = 0
        lastError = nil
        resetPaths()
    }

    mutating func popRecord() -> SourceRecord? {
        guard pendingHead < pending.count else { return nil }
        let r = pending[pendingHead].take()
        pendingHead += 1
        if pendingHead == pending.count {
            pending.removeAll(keepingCapacity: true)
            pendingHead = 0
        }
        return r
    }

    mutating func drainDiagnostics(into d: inout Diagnostics) {
        guard !diagnostics.isEmpty else { return }
        for (item, key) in diagnostics { d.emit(item, key: key) }
        diagnostics.removeAll()
    }

    private var location: SourceLocation {
        SourceLocation(
            file: file,
            line: Int(xmlSAX2GetLineNumber(context)),
            column: Int(xmlSAX2GetColumnNumber(context))
        )
    }

    mutating func error(line: Int, column: Int, message: String, fatal: Bool) {
        lastError = message
        guard fileErrors < 100 else { return }
        fileErrors += 1
        diagnostics.append(
            (
                Diagnostic(
                    fatal ? .error : .warning,
                    "XML: \(message)",
                    at: SourceLocation(file: file, line: line, column: column),
                    expected: "well-formed XML"
                ), "xml.\(file).\(message)"
            )
        )
    }

    mutating func reference(_ name: String) {
        guard inRecord else { return }
        diagnostics.append(
            (
                Diagnostic(
                    .warning,
                    "entity reference &\(name);  is not expanded",
                    at: SourceLocation(file: file, line: location.line),
                    expected: "plain text (entities are never expanded)"
                ), "xml.entity"
            )
        )
    }

    /// The end of the file, or a fatal error: a record left open is kept aside with what it had.
    mutating func finish() {
        if inRecord {
            inRecord = false
            let reason = "XML ended inside a record" + (lastError.map { ": \($0)" } ?? "")
            pending.append(
                .rejected(RejectedRecord(location: recordLocation, reason: reason, values: fields().strings))
            )
        }
        context = nil
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
    }

    /// (parent node, interned element name, instance) → node: libxml2 hands out each element name
    /// from the reader's dictionary, so a path is found by pointer instead of joining strings and
    /// hashing them per element (which, with the Strings made per element, was most of the reading
    /// thread's time).
    struct EdgeTable {
        private var keys: [(parent: Int32, name: UInt, instance: Int32)] = []
        private var values: [Int32] = []
        private var slots = [Int32](repeating: -1, count: 256)

        private static func hash(_ parent: Int32, _ name: UInt, _ instance: Int32) -> Int {
            var h = UInt64(name) &* 0x9E37_79B9_7F4A_7C15
            h ^=
                (UInt64(UInt32(bitPattern: parent)) << 20 ^ UInt64(UInt32(bitPattern: instance)))
                &* 0xBF58_476D_1CE4_E5B9
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
                if k.parent == parent && k.name == name && k.instance == instance {
                    values[e] = node
                    return
                }
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

    /// The node for the `instance`th child named `name` of `parent`: by the name's pointer when
    /// the parser's dictionary holds it (its strings stay where they are until the context is
    /// freed, and the table is reset with each file's context); otherwise, and on a miss, by the
    /// name itself. Checking every pointer hit with `strcmp` instead was 1.5% of the import's CPU.
    private mutating func child(of parent: Int32, name p: UnsafePointer<xmlChar>, instance: Int32) -> Int32 {
        let key = UInt(bitPattern: p)
        if let n = edges.find(parent, key, instance) { return n }
        let name = String(cString: p)
        let named = NamedEdge(parent: parent, name: name, instance: instance)
        let node: Int32
        if let known = namedEdges[named] {
            node = known
        } else {
            let up = nodes[Int(parent)]
            let part = instance > 1 ? "\(name)[\(instance)]" : name
            let group = parent == 0 ? [] : up.groupPath + [up.part]
            node = Int32(nodes.count)
            nodes.append(
                PathNode(name: name, part: part, path: parent == 0 ? part : up.path + "/" + part, groupPath: group)
            )
            state.append(NodeState())
            namedEdges[named] = node
        }
        if let dict = context?.assumingMemoryBound(to: xmlParserCtxt.self).pointee.dict, xmlDictOwns(dict, p) == 1 {
            edges.set(parent, key, instance, node)
        }
        return node
    }

    struct NamedEdge: Hashable {
        var parent: Int32
        var name: String
        var instance: Int32
    }

    /// Starts this file's paths afresh (pointers are the reader's).
    private mutating func resetPaths() {
        nodes = [PathNode(name: "", part: "", path: "", groupPath: [])]
        state = [NodeState()]
        attributeColumns.removeAll()
        edges.removeAll()
        namedEdges.removeAll(keepingCapacity: true)
    }

    /// The column for a path, made when first set (`rawColumn`, as LimeSurvey columns are renamed).
    private mutating func column(_ rawColumn: String, group: [String], leaf: String) -> Int {
        // LimeSurvey writes SGQA codes as elements with a leading underscore (`_981966X2X10`),
        // since an XML name cannot start with a digit; its field list names them without.
        var column = rawColumn
        if profile == .limeSurvey, column.hasPrefix("_"), column.dropFirst().first?.isNumber == true {
            column.removeFirst()
        }
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
        var lo = start
        var hi = scratch.count
        if lo < hi {
            let first = scratch[lo]
            let last = scratch[hi - 1]
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
        // Sized first and filled through pointers: appending field by field was a tenth of the
        // reading thread.
        let n = fieldCount
        var total = 0
        for i in 0..<n where stamps[i] == recordNumber { total += spans[i].end - spans[i].start }
        // Made room for by `reserveCapacity` and a repeated zero, then filled through pointers:
        // `init(unsafeUninitializedCapacity:)` reached the standard library's unspecialised
        // `_allocateBufferUninitialized`, which looks the storage type's metadata up in a locked
        // table on every call (perf: 3% of the reading thread, which paces the XML import).
        var bytes: [UInt8] = []
        var ends: [Int] = []
        bytes.reserveCapacity(total)
        bytes.append(contentsOf: repeatElement(0, count: total))
        ends.reserveCapacity(n)
        ends.append(contentsOf: repeatElement(0, count: n))
        scratch.withUnsafeBufferPointer { p in
            bytes.withUnsafeMutableBufferPointer { out in
                ends.withUnsafeMutableBufferPointer { e in
                    var at = 0
                    for i in 0..<n {
                        if stamps[i] == recordNumber, let base = p.baseAddress, let o = out.baseAddress {
                            let (s, t) = spans[i]
                            (o + at).update(from: base + s, count: t - s)
                            at += t - s
                        }
                        e[i] = at
                    }
                }
            }
        }
        return FieldRow(bytes: bytes, ends: ends)
    }

    /// An element starts (`attributes`: libxml2's five pointers per attribute).
    mutating func start(
        _ namePointer: UnsafePointer<xmlChar>,
        attributeCount: Int,
        attributes: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?
    ) {
        depth += 1
        if depth > Self.maxDepth {
            // libxml2 stops at this depth itself (without XML_PARSE_HUGE); the limit holds here too
            // whatever the library's settings.
            let at = location
            error(
                line: at.line,
                column: at.column,
                message: "elements nested deeper than \(Self.maxDepth) levels",
                fatal: true
            )
            xmlStopParser(context?.assumingMemoryBound(to: xmlParserCtxt.self))
            return
        }
        if !inRecord {
            let name = String(cString: namePointer)
            if recordDepth == nil {
                var hasID = false
                for i in 0..<attributeCount {
                    if let a = attributes?[5 * i], attributes?[5 * i + 1] == nil, strcmp(a, "id") == 0 { hasID = true }
                }
                recordDepth = recognise(name: name, depth: depth, hasID: hasID)
            }
            guard depth == recordDepth, (recordElement ?? recognisedName).map({ $0 == name }) ?? true else { return }
            inRecord = true
            recordNumber += 1
            fieldCount = 0
            scratch.removeAll(keepingCapacity: true)
            recordLocation = location
            for i in 0..<attributeCount {
                guard let a = attributes?[5 * i], let v = attributes?[5 * i + 3], let e = attributes?[5 * i + 4] else {
                    continue
                }
                let idx = attributeColumn(a)
                let value = UnsafeBufferPointer(start: v, count: e - v)
                if value.contains(UInt8(ascii: "&")) {
                    setValue(idx, attributeValue(v, count: e - v))
                } else {
                    // As text is: the bytes libxml2 hands over, with no String made.
                    let start = scratch.count
                    scratch.append(contentsOf: value)
                    setSpan(idx, start, scratch.count)
                }
            }
            stack.append((0, 0, false))
            return
        }
        let parent = stack[stack.count - 1].node
        stack[stack.count - 1].hasChild = true
        // Siblings of one name under one parent are numbered: the first instance's node counts
        // them per record.
        var node = child(of: parent, name: namePointer, instance: 1)
        let first = Int(node)
        if state[first].stamp != recordNumber {
            state[first].stamp = recordNumber
            state[first].instances = 1
        } else {
            state[first].instances += 1
            node = child(of: parent, name: namePointer, instance: state[first].instances)
        }
        stack.append((node, scratch.count, false))
    }

    /// An element ends: a leaf's text becomes its column's value; the record element's end
    /// completes the record.
    mutating func end() {
        defer { depth -= 1 }
        guard inRecord, let top = stack.popLast() else { return }
        if stack.isEmpty {
            inRecord = false
            pending.append(.record(RawRecord(fields: fields(), location: recordLocation)))
            return
        }
        if !top.hasChild { setLeaf(top.node, textFrom: top.textStart) }
    }

    /// An attribute's value as SAX2 hands it over, with the references libxml2 leaves in it when
    /// entities are not substituted (`&#38;` for `&amp;`, `&name;`) decoded as its tree builder
    /// decodes them.
    /// The column of a record attribute (`@name`): found by the name's pointer when the parser's
    /// dictionary holds it, as element names are (a String and a dictionary look-up per attribute
    /// and record were a tenth of the reading thread's own work on ODK exports).
    private mutating func attributeColumn(_ a: UnsafePointer<xmlChar>) -> Int {
        let key = UInt(bitPattern: a)
        for known in attributeColumns where known.name == key { return known.column }
        let name = "@" + String(cString: a)
        let idx = column(name, group: [], leaf: name)
        if attributeColumns.count < 64, let dict = context?.assumingMemoryBound(to: xmlParserCtxt.self).pointee.dict,
            xmlDictOwns(dict, a) == 1
        {
            attributeColumns.append((key, idx))
        }
        return idx
    }

    private func attributeValue(_ v: UnsafePointer<xmlChar>, count: Int) -> String {
        let bytes = UnsafeBufferPointer(start: v, count: count)
        guard bytes.contains(UInt8(ascii: "&")),
            let decoded = xmlStringLenDecodeEntities(
                context?.assumingMemoryBound(to: xmlParserCtxt.self),
                v,
                Int32(count),
                Int32(XML_SUBSTITUTE_REF),
                0,
                0,
                0
            )
        else { return String(decoding: bytes, as: UTF8.self) }
        defer { free(decoded) }
        return String(cString: decoded)
    }

    /// The depth at which records sit, decided at the root element.
    private mutating func recognise(name: String, depth: Int, hasID: Bool) -> Int {
        if let recordElement { return recordElement == name ? depth : depth + 1 }
        // A LimeSurvey response export (.lsr): <document><responses><rows><row>…
        if name == "document" {
            profile = .limeSurvey
            recognisedName = "row"
            return depth + 3
        }
        // An ODK/Kobo instance: the root is the form (it carries the form id).
        if hasID { return depth }
        if name == "data" { return depth }
        // A KoboToolbox API page: <root><count/><next/><previous/><results><item>…
        if name == "root" {
            profile = .koboToolbox
            return depth + 2
        }
        return depth + 1
    }
}

/// A folder of one-file-per-submission XML.
public enum SubmissionFolder {
    /// Its XML files, sorted: those in it (an instance download) and those one folder down (ODK
    /// Briefcase's `instances/<id>/submission.xml`); hidden ones skipped.
    public static func files(in folder: String) -> [String] {
        let fm = FileManager.default
        func join(_ a: String, _ b: String) -> String { a.hasSuffix("/") ? a + b : a + "/" + b }
        var out: [String] = []
        for name in ((try? fm.contentsOfDirectory(atPath: folder)) ?? []) where !name.hasPrefix(".") {
            let path = join(folder, name)
            if name.lowercased().hasSuffix(".xml") {
                if !isDirectory(path) { out.append(path) }
            } else if isDirectory(path) {
                for inner in ((try? fm.contentsOfDirectory(atPath: path)) ?? [])
                where !inner.hasPrefix(".") && inner.lowercased().hasSuffix(".xml") { out.append(join(path, inner)) }
            }
        }
        return out.sorted()
    }
}

func isDirectory(_ path: String) -> Bool {
    var dir: ObjCBool = false
    return FileManager.default.fileExists(atPath: path, isDirectory: &dir) && dir.boolValue
}
