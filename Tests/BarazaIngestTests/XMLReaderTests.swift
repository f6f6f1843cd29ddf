import BarazaModel
import BarazaTestSupport
import Foundation
import Testing
@testable import BarazaIngest

struct XMLReaderTests {
    @Test func odkInstanceWithNamespacesGroupsAndRepeats() throws {
        let (records, rejected, _, reader) = try readAll(try fixture("instance.xml"))
        #expect(rejected.isEmpty && records.count == 1)
        var values: [String: String] = [:]
        for (c, v) in zip(reader.columns, records[0].values) { values[c.name] = v }
        #expect(values["@id"] == "form1")
        #expect(values["org_type"] == "ministry")
        #expect(values["grp/q1"] == "agree")
        #expect(values["grp/q2"] == "")
        #expect(values["members/name"] == "Ana")
        #expect(values["members[2]/name"] == "Zoë")
        #expect(values["meta/instanceID"] == "uuid:abc")
        #expect(reader.columns.first { $0.name == "grp/q1" }?.leaf == "q1")
    }

    @Test(.timeLimit(.minutes(3))) func billionLaughsIsStoppedAndNeverExpanded() throws {
        let (records, _, d, _) = try readAll(try fixture("billion_laughs.xml"))
        let text = records.flatMap(\.values).joined()
        #expect(text.count < 1000)
        #expect(!d.items.isEmpty)
    }

    @Test func externalEntityContentNeverAppears() throws {
        let secret = URL(fileURLWithPath: scratchDirectory).appendingPathComponent("baraza-secret-\(UUID().uuidString).txt").path
        try Data("TOP-SECRET-CONTENT".utf8).write(to: URL(fileURLWithPath: secret))
        let xml = "<?xml version=\"1.0\"?>\n<!DOCTYPE d [<!ENTITY xxe SYSTEM \"file://\(secret)\">]>\n<data id=\"f\"><q>&xxe;</q></data>\n"
        let (records, _, _, _) = try readAll(try tempFile(Array(xml.utf8), ext: "xml"))
        #expect(!records.flatMap(\.values).joined().contains("TOP-SECRET"))
    }

    /// SAX2 hands over attribute values with `&amp;` as `&#38;` and declared entities unexpanded
    /// when entities are not substituted; element text of a declared entity, which libxml2 parses
    /// once to check it, must not become a value.
    @Test func attributeReferencesAreDecodedAndEntityTextIsNotAValue() throws {
        let xml = """
            <?xml version="1.0"?>
            <!DOCTYPE d [<!ENTITY e "<b>inside</b>text"><!ENTITY f "F">]>
            <d id="form" note="x &amp; y &lt; &#65; &f;">
              <q>&e;</q><r>a &amp; b</r><s>&e;</s>
            </d>
            """
        let (records, rejected, d, reader) = try readAll(try tempFile(Array(xml.utf8), ext: "xml"))
        #expect(rejected.isEmpty && records.count == 1)
        var values: [String: String] = [:]
        for (c, v) in zip(reader.columns, records[0].values) { values[c.name] = v }
        #expect(values["@note"] == "x & y < A F")
        #expect(values["r"] == "a & b")
        #expect(values["q"] == "" && values["s"] == "")
        #expect(!reader.columns.contains { $0.name.contains("b") })
        #expect(d.items.contains { $0.message.contains("&e;") && $0.location?.line == 4 })
        #expect(records[0].location.line == 3)
    }

    /// The push parser finds the encoding from the byte-order mark or the declaration, as the pull
    /// parser did: UTF-16 (both byte orders), ISO-8859-1, UTF-8 with a BOM.
    @Test func declaredAndMarkedEncodingsAreDecoded() throws {
        let body = "<data id=\"f\"><q1>Zoë café</q1><grp><q2>ok</q2></grp></data>\n"
        var utf16LE: [UInt8] = [0xFF, 0xFE], utf16BE: [UInt8] = [0xFE, 0xFF]
        for u in ("<?xml version=\"1.0\" encoding=\"UTF-16\"?>\n" + body).utf16 {
            utf16LE += [UInt8(u & 0xFF), UInt8(u >> 8)]
            utf16BE += [UInt8(u >> 8), UInt8(u & 0xFF)]
        }
        let latin1 = Array(("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n" + body).unicodeScalars.map { UInt8($0.value) })
        let bom8 = [0xEF, 0xBB, 0xBF] + Array(("<?xml version=\"1.0\"?>\n" + body).utf8)
        for bytes in [utf16LE, utf16BE, latin1, bom8] {
            let (records, rejected, _, reader) = try readAll(try tempFile(bytes, ext: "xml"))
            #expect(rejected.isEmpty && records.count == 1)
            var values: [String: String] = [:]
            for (c, v) in zip(reader.columns, records.first?.values ?? []) { values[c.name] = v }
            #expect(values["q1"] == "Zoë café" && values["grp/q2"] == "ok")
        }
    }

    @Test(.timeLimit(.minutes(3))) func absurdNestingEndsWithADiagnostic() throws {
        let depth = 10_000
        let xml = "<r>" + String(repeating: "<a>", count: depth) + "x" + String(repeating: "</a>", count: depth) + "</r>"
        let (_, _, d, _) = try readAll(try tempFile(Array(xml.utf8), ext: "xml"))
        #expect(d.items.contains { $0.severity == .error && ($0.location?.line ?? 0) >= 1 })
    }

    @Test func truncatedXMLKeepsCompleteRecordsAndRejectsTheCutOne() throws {
        let (records, rejected, d, _) = try readAll(try fixture("truncated.xml"))
        #expect(records.count == 1)
        #expect(rejected.count == 1)
        #expect(rejected[0].location.line == 4)
        #expect(d.items.contains { $0.severity == .error && $0.message.hasPrefix("XML:") && $0.location?.line != nil })
    }

    @Test func aFolderOfSubmissionsIsReadInNameOrder() throws {
        let dir = URL(fileURLWithPath: scratchDirectory).appendingPathComponent("baraza-xml-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for (name, v) in [("b.xml", "2"), ("a.xml", "1"), ("notes.txt", "x")] {
            try Data("<data id=\"f\"><q>\(v)</q></data>".utf8).write(to: URL(fileURLWithPath: dir + "/" + name))
        }
        let (records, _, _, reader) = try readAll(dir)
        let qi = try #require(reader.columns.firstIndex { $0.name == "q" })
        #expect(records.map { $0.values[qi] } == ["1", "2"])
    }
}
