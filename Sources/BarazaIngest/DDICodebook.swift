internal import CLibXML2
import BarazaModel
import Foundation

/// A variable described by a DDI Codebook 2.5 file: its label, positions and category labels.
public struct DDIVariable: Sendable, Hashable {
    public var name: String
    public var label: String
    public var startPosition: Int?
    public var endPosition: Int?
    /// Category value → label, in document order.
    public var categories: [(value: String, label: String)]

    public static func == (a: DDIVariable, b: DDIVariable) -> Bool {
        a.name == b.name && a.label == b.label && a.categories.map(\.value) == b.categories.map(\.value)
    }
    public func hash(into h: inout Hasher) { h.combine(name) }
}

/// Reads the variables and category labels of a DDI Codebook 2.5 file (IPUMS, Dataverse), with
/// libxml2's streaming reader: no network, no DTD, no entity expansion. The labels let a
/// consultation map coded data (`01` → "January") the same way as labelled exports.
public enum DDICodebook {
    public static func read(_ path: String, diagnostics: inout Diagnostics) throws(IngestError) -> [DDIVariable] {
        let options = Int32(XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue | XML_PARSE_COMPACT.rawValue)
        guard let reader = xmlReaderForFile(path, nil, options) else { throw .fileNotReadable(path: path, reason: "cannot open XML") }
        defer { xmlFreeTextReader(reader) }
        func str(_ p: UnsafePointer<xmlChar>?) -> String { p.map { String(cString: $0) } ?? "" }
        func attr(_ name: String) -> String? {
            guard let p = xmlTextReaderGetAttribute(reader, name) else { return nil }
            defer { free(p) }
            return String(cString: p)
        }
        var out: [DDIVariable] = []
        var current: DDIVariable?
        var inCategory = false
        var catValue = "", catLabel = ""
        var stack: [String] = []
        var text = ""
        while true {
            let status = xmlTextReaderRead(reader)
            if status != 1 {
                if status < 0 {
                    diagnostics.error("DDI codebook is not well-formed XML", at: SourceLocation(file: path, line: Int(xmlTextReaderGetParserLineNumber(reader))),
                                      expected: "well-formed XML")
                }
                break
            }
            let type = xmlTextReaderNodeType(reader)
            let name = str(xmlTextReaderConstLocalName(reader))
            switch type {
            case Int32(XML_READER_TYPE_ELEMENT.rawValue):
                let empty = xmlTextReaderIsEmptyElement(reader) == 1
                if name == "var" {
                    current = DDIVariable(name: attr("name") ?? attr("ID") ?? "", label: "", categories: [])
                } else if name == "location", current != nil {
                    current?.startPosition = attr("StartPos").flatMap { Int($0) }
                    current?.endPosition = attr("EndPos").flatMap { Int($0) }
                } else if name == "catgry" {
                    inCategory = true; catValue = ""; catLabel = ""
                }
                text = ""
                if !empty { stack.append(name) }
            case Int32(XML_READER_TYPE_TEXT.rawValue), Int32(XML_READER_TYPE_CDATA.rawValue):
                text += str(xmlTextReaderConstValue(reader))
            case Int32(XML_READER_TYPE_END_ELEMENT.rawValue):
                _ = stack.popLast()
                let t = text.trimmingWhitespace()
                switch name {
                case "catValu" where inCategory: catValue = t
                case "labl" where inCategory: catLabel = t
                case "labl" where current != nil && stack.last == "var": current?.label = t
                case "catgry":
                    if inCategory { current?.categories.append((catValue, catLabel)) }
                    inCategory = false
                case "var":
                    if let v = current { out.append(v) }
                    current = nil
                default: break
                }
                text = ""
            default: continue
            }
        }
        return out
    }
}
