import BarazaModel
import CLibXML2
import Testing
@testable import BarazaIngest

/// The reader finds element paths by the name pointers libxml2 hands over, trusting a pointer only
/// when the parser's dictionary holds the name (its strings stay put until the context is freed).
/// A name handed over from anywhere else — the same address holding another name later — must be
/// matched by the name itself.
struct XMLNamePointerTests {
    /// Drives `SAXState` as the SAX callbacks do: two records `<r><a>1</a><b>2</b></r>`, with the
    /// record element's name from the context's dictionary and `a` and `b` from one buffer
    /// rewritten in between (or both from the dictionary).
    func read(namesFromDictionary: Bool) throws -> (columns: [String], records: [[String]]) {
        let ctx = try #require(xmlNewParserCtxt())
        defer { xmlFreeParserCtxt(ctx) }
        var s = SAXState(recordElement: "r")
        s.begin(file: "t.xml", context: UnsafeMutableRawPointer(ctx))
        let dict = try #require(ctx.pointee.dict as xmlDictPtr?)
        let record = try #require(xmlDictLookup(dict, "r", -1))
        let buffer = UnsafeMutablePointer<xmlChar>.allocate(capacity: 2)
        defer { buffer.deallocate() }
        for _ in 0..<2 {
            s.start(record, attributeCount: 0, attributes: nil)
            for (name, value) in [("a", "1"), ("b", "2")] {
                let pointer: UnsafePointer<xmlChar>
                if namesFromDictionary {
                    pointer = try #require(xmlDictLookup(dict, name, -1))
                } else {
                    buffer[0] = try #require(name.utf8.first)
                    buffer[1] = 0
                    pointer = UnsafePointer(buffer)
                }
                s.start(pointer, attributeCount: 0, attributes: nil)
                s.scratch.append(contentsOf: value.utf8)
                s.end()
            }
            s.end()
        }
        var records: [[String]] = []
        while let r = s.popRecord() {
            guard case .record(let raw) = r else {
                Issue.record("rejected: \(r)")
                continue
            }
            records.append(raw.fields.strings)
        }
        return (s.columns.map(\.name), records)
    }

    @Test func namesOutsideTheDictionaryAreMatchedByName() throws {
        let (columns, records) = try read(namesFromDictionary: false)
        #expect(columns == ["a", "b"])
        #expect(records == [["1", "2"], ["1", "2"]])
    }

    @Test func namesFromTheDictionaryAreMatchedByPointer() throws {
        let (columns, records) = try read(namesFromDictionary: true)
        #expect(columns == ["a", "b"])
        #expect(records == [["1", "2"], ["1", "2"]])
    }

    /// Record attributes (`<r a="1">`, then `<r b="2">`) whose names come from one buffer rewritten
    /// in between: two columns, each record's value in its own.
    @Test func attributeNamesOutsideTheDictionaryAreMatchedByName() throws {
        let ctx = try #require(xmlNewParserCtxt())
        defer { xmlFreeParserCtxt(ctx) }
        var s = SAXState(recordElement: "r")
        s.begin(file: "t.xml", context: UnsafeMutableRawPointer(ctx))
        let record = try #require(xmlDictLookup(try #require(ctx.pointee.dict as xmlDictPtr?), "r", -1))
        let name = UnsafeMutablePointer<xmlChar>.allocate(capacity: 2)
        let value = UnsafeMutablePointer<xmlChar>.allocate(capacity: 1)
        let attributes = UnsafeMutablePointer<UnsafePointer<xmlChar>?>.allocate(capacity: 5)
        defer {
            name.deallocate()
            value.deallocate()
            attributes.deallocate()
        }
        for (n, v) in [("a", "1"), ("b", "2")] {
            name[0] = try #require(n.utf8.first)
            name[1] = 0
            value[0] = try #require(v.utf8.first)
            attributes[0] = UnsafePointer(name)
            attributes[1] = nil
            attributes[2] = nil
            attributes[3] = UnsafePointer(value)
            attributes[4] = UnsafePointer(value + 1)
            s.start(record, attributeCount: 1, attributes: attributes)
            s.end()
        }
        var records: [[String]] = []
        while let r = s.popRecord() {
            guard case .record(let raw) = r else {
                Issue.record("rejected: \(r)")
                continue
            }
            records.append(raw.fields.strings)
        }
        #expect(s.columns.map(\.name) == ["@a", "@b"])
        #expect(records == [["1"], ["", "2"]])
    }
}
