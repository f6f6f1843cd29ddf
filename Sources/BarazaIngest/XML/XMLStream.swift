internal import CLibXML2
import Foundation

/// libxml2's streaming reader opened the safe way (no network, no DTD loading, no entity
/// substitution), with small accessors; shared by the Triple-S and DDI metadata readers.
final class XMLStream {
    let reader: OpaquePointer

    init(path: String) throws(IngestError) {
        let options = Int32(
            XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue
                | XML_PARSE_COMPACT.rawValue
        )
        guard let r = xmlReaderForFile(path, nil, options) else {
            throw .fileNotReadable(path: path, reason: "cannot open XML")
        }
        reader = r
    }

    deinit { xmlFreeTextReader(reader) }

    enum Node {
        case element(name: String, empty: Bool)
        case text(String)
        case end(name: String)
        case other
    }

    /// The next node; nil at the end of the document, or `.failure` with the line of a parse error.
    func next() -> Result<Node, XMLStreamError>? {
        let status = xmlTextReaderRead(reader)
        if status == 0 { return nil }
        if status < 0 { return .failure(XMLStreamError(line: Int(xmlTextReaderGetParserLineNumber(reader)))) }
        let name = Self.string(xmlTextReaderConstLocalName(reader))
        switch xmlTextReaderNodeType(reader) {
        case Int32(XML_READER_TYPE_ELEMENT.rawValue):
            return .success(.element(name: name, empty: xmlTextReaderIsEmptyElement(reader) == 1))
        case Int32(XML_READER_TYPE_TEXT.rawValue), Int32(XML_READER_TYPE_CDATA.rawValue):
            return .success(.text(Self.string(xmlTextReaderConstValue(reader))))
        case Int32(XML_READER_TYPE_END_ELEMENT.rawValue): return .success(.end(name: name))
        default: return .success(.other)
        }
    }

    func attribute(_ name: String) -> String? {
        guard let p = xmlTextReaderGetAttribute(reader, name) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }

    static func string(_ p: UnsafePointer<xmlChar>?) -> String { p.map { String(cString: $0) } ?? "" }
}

struct XMLStreamError: Error { var line: Int }
