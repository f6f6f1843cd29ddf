import BarazaModel
internal import CLibXML2
import Foundation
import ZIPFoundation

/// A temporary folder removed when the last reader holding it goes away.
final class SpoolFolder: @unchecked Sendable {
    let path: String
    init(_ path: String) { self.path = path }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// The rows of one sheet part, read one at a time: the part is fed in 64 KiB chunks to libxml2's
/// push parser, whose SAX callbacks build the rows (a streaming text reader builds and frees a node
/// per element and text and copies every attribute; SAX needs no copy but the cell values').
final class SheetStream {
    struct State {
        var rows: [(cells: [String], row: Int)] = []
        var head = 0
        var cells: [String] = []
        var rowNumber = 0, lastRow = 0
        var inRow = false, inValue = false, inInline = false
        /// The cell's `t`: 0 number (or none), s shared, b boolean, i inline string, r formula string, e error.
        var type: UInt8 = 0
        var style = -1, column = -1
        var text: [UInt8] = []
        var failure: String?
        var badReference: String?
        var shared: [String] = []
        var dateStyles: Set<Int> = []
        var date1904 = false

        /// Places the cell just ended in the row, its value as a CSV export would show it.
        mutating func endCell() {
            let value = Self.value(
                type: type,
                style: style,
                text: String(decoding: text, as: UTF8.self),
                shared: shared,
                dateStyles: dateStyles,
                date1904: date1904
            )
            if column < cells.count {
                cells[column] = value
            } else {
                if column > cells.count { cells += Array(repeating: "", count: column - cells.count) }
                cells.append(value)
            }
        }

        static func value(type: UInt8, style: Int, text: String, shared: [String], dateStyles: Set<Int>, date1904: Bool)
            -> String
        {
            switch type {
            case UInt8(ascii: "s"): return Int(text).flatMap { $0 >= 0 && $0 < shared.count ? shared[$0] : nil } ?? ""
            case UInt8(ascii: "b"): return text == "1" ? "TRUE" : text == "0" ? "FALSE" : text
            case UInt8(ascii: "i"), UInt8(ascii: "r"), UInt8(ascii: "e"): return text
            default:
                if style >= 0, dateStyles.contains(style), let serial = Double(text),
                    let iso = XLSXRecordReader.isoDate(serial: serial, date1904: date1904)
                {
                    return iso
                }
                // Excel writes 17 significant digits ("-6.9555020000000001"); as a CSV export shows it.
                if text.utf8.count > 15, text.contains("."), let d = Double(text) {
                    let shortest = "\(d)"
                    return shortest.hasSuffix(".0") ? String(shortest.dropLast(2)) : shortest
                }
                return text
            }
        }
    }

    let spool: SpoolFolder
    let shared: [String]
    let dateStyles: Set<Int>
    let date1904: Bool
    let path: String
    private let state: UnsafeMutablePointer<State>
    private var context: xmlParserCtxtPtr?
    private let fd: Int32
    private let buffer: UnsafeMutableRawBufferPointer
    private var finished = false
    var lastRow: Int { state.pointee.lastRow }

    init(file: String, spool: SpoolFolder, shared: [String], dateStyles: Set<Int>, date1904: Bool, path: String)
        throws(IngestError)
    {
        self.spool = spool
        self.shared = shared
        self.dateStyles = dateStyles
        self.date1904 = date1904
        self.path = path
        fd = Foundation.open(file, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .fileNotReadable(path: path, reason: "cannot read the workbook's sheet") }
        state = .allocate(capacity: 1)
        state.initialize(to: State(shared: shared, dateStyles: dateStyles, date1904: date1904))
        buffer = .allocate(byteCount: 1 << 16, alignment: 16)
        var h = Self.handler()
        context = xmlCreatePushParserCtxt(&h, nil, nil, 0, nil)
        if let c = context {
            _ = xmlCtxtUseOptions(
                c,
                Int32(XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue)
            )
            c.pointee._private = UnsafeMutableRawPointer(state)
        }
    }

    deinit {
        if let context { xmlFreeParserCtxt(context) }
        Foundation.close(fd)
        state.deinitialize(count: 1)
        state.deallocate()
        buffer.deallocate()
    }

    @inline(__always) static func state(_ ctx: UnsafeMutableRawPointer?) -> UnsafeMutablePointer<State>? {
        guard let ctx, let p = ctx.assumingMemoryBound(to: xmlParserCtxt.self).pointee._private else { return nil }
        return p.assumingMemoryBound(to: State.self)
    }

    /// Whether a NUL-terminated element name is `literal` (ASCII).
    @inline(__always) static func named(_ name: UnsafePointer<xmlChar>, _ literal: StaticString) -> Bool {
        let l = literal.utf8Start
        var i = 0
        while i < literal.utf8CodeUnitCount {
            if name[i] != l[i] { return false }
            i += 1
        }
        return name[i] == 0
    }

    private static func handler() -> xmlSAXHandler {
        var h = xmlSAXHandler()
        xmlSAXVersion(&h, 2)
        h.startElementNs = { ctx, name, _, _, _, _, count, _, attributes in
            guard let s = SheetStream.state(ctx), let name else { return }
            func each(_ body: (UnsafePointer<xmlChar>, UnsafeBufferPointer<UInt8>) -> Void) {
                guard let attributes else { return }
                for i in 0..<Int(count) {
                    guard let n = attributes[5 * i], let start = attributes[5 * i + 3], let end = attributes[5 * i + 4]
                    else { continue }
                    body(n, UnsafeBufferPointer(start: start, count: end - start))
                }
            }
            if SheetStream.named(name, "c") {
                s.pointee.type = 0
                s.pointee.style = -1
                s.pointee.column = s.pointee.cells.count
                s.pointee.text.removeAll(keepingCapacity: true)
                each { n, v in
                    if SheetStream.named(n, "r") {
                        if let c = SheetStream.column(v) {
                            s.pointee.column = c
                        } else {
                            s.pointee.badReference = String(decoding: v, as: UTF8.self)
                        }
                    } else if SheetStream.named(n, "t") {
                        s.pointee.type =
                            v.count == 1
                            ? v[0]
                            : v.starts(with: Array("inlineStr".utf8))
                                ? UInt8(ascii: "i")
                                : v.starts(with: Array("str".utf8)) ? UInt8(ascii: "r") : v.first ?? 0
                    } else if SheetStream.named(n, "s") {
                        s.pointee.style = SheetStream.integer(v) ?? -1
                    }
                }
            } else if SheetStream.named(name, "v") {
                s.pointee.inValue = true
            } else if SheetStream.named(name, "t") {
                if s.pointee.inInline { s.pointee.inValue = true }
            } else if SheetStream.named(name, "is") {
                s.pointee.inInline = true
            } else if SheetStream.named(name, "row") {
                s.pointee.inRow = true
                s.pointee.cells.removeAll(keepingCapacity: true)
                s.pointee.rowNumber = s.pointee.lastRow + 1
                each { n, v in if SheetStream.named(n, "r"), let r = SheetStream.integer(v) { s.pointee.rowNumber = r }
                }
            }
        }
        h.endElementNs = { ctx, name, _, _ in
            guard let s = SheetStream.state(ctx), let name else { return }
            if SheetStream.named(name, "v") || SheetStream.named(name, "t") {
                s.pointee.inValue = false
            } else if SheetStream.named(name, "is") {
                s.pointee.inInline = false
            } else if SheetStream.named(name, "c") {
                s.pointee.endCell()
            } else if SheetStream.named(name, "row") {
                s.pointee.inRow = false
                s.pointee.lastRow = s.pointee.rowNumber
                s.pointee.rows.append((s.pointee.cells, s.pointee.rowNumber))
            }
        }
        let text: charactersSAXFunc = { ctx, bytes, count in
            guard let s = SheetStream.state(ctx), let bytes, count > 0, s.pointee.inValue else { return }
            s.pointee.text.append(contentsOf: UnsafeBufferPointer(start: bytes, count: Int(count)))
        }
        h.characters = text
        h.cdataBlock = text
        h.comment = nil
        h.processingInstruction = nil
        h.serror = { ctx, error in
            guard let s = SheetStream.state(ctx), let error, error.pointee.level.rawValue >= XML_ERR_ERROR.rawValue
            else { return }
            if s.pointee.failure == nil {
                s.pointee.failure =
                    error.pointee.message.map { String(cString: $0).trimmingWhitespace() } ?? "XML error"
            }
        }
        return h
    }

    static func integer(_ v: UnsafeBufferPointer<UInt8>) -> Int? {
        guard !v.isEmpty, v.count < 19 else { return nil }
        var n = 0
        for u in v {
            guard u >= 48 && u <= 57 else { return nil }
            n = n * 10 + Int(u - 48)
        }
        return n
    }

    /// The column index (0-based) of a cell reference such as "AB12"; nil when it has no letters
    /// or is past Excel's last column.
    static func column(_ ref: UnsafeBufferPointer<UInt8>) -> Int? {
        var n = 0
        var letters = 0
        for u in ref {
            guard u >= 65 && u <= 90 || u >= 97 && u <= 122 else { break }
            n = n * 26 + Int((u & 0xDF) - 64)
            letters += 1
            if n > XLSXRecordReader.maxColumns { return nil }
        }
        return letters == 0 ? nil : n - 1
    }

    /// The next row's cells (left to right, empty where the sheet has no cell) and its number.
    func nextRow() throws(IngestError) -> (cells: [String], row: Int)? {
        let s = state
        while s.pointee.head >= s.pointee.rows.count {
            s.pointee.rows.removeAll(keepingCapacity: true)
            s.pointee.head = 0
            guard !finished, let context else { return nil }
            let n = Foundation.read(fd, buffer.baseAddress, buffer.count)
            if n < 0 { throw .fileNotReadable(path: path, reason: String(cString: strerror(errno))) }
            let chars = buffer.baseAddress?.assumingMemoryBound(to: CChar.self)
            if n == 0 {
                finished = true
                _ = xmlParseChunk(context, chars, 0, 1)
            } else {
                _ = xmlParseChunk(context, chars, Int32(n), 0)
            }
            if let bad = s.pointee.badReference {
                throw .unsupportedFormat(
                    path: path,
                    reason: "cell reference '\(bad)' near row \(s.pointee.lastRow + 1) is past "
                        + "Excel's last column (XFD): a damaged sheet"
                )
            }
            if let failure = s.pointee.failure {
                throw .unsupportedFormat(
                    path: path,
                    reason: "the sheet is not well-formed XML after row \(s.pointee.lastRow) "
                        + "(\(failure)): a damaged or truncated workbook"
                )
            }
        }
        defer { s.pointee.head += 1 }
        return s.pointee.rows[s.pointee.head]
    }
}
