import BarazaModel
import BarazaTestSupport
import Foundation
import Testing
import ZIPFoundation

@testable import BarazaIngest

/// Workbooks made here, part by part, to hit each kind of cell and each way a workbook breaks.
struct XLSXReaderTests {
    static let contentTypes = """
        <?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>
        """

    static func workbook(sheets: [String] = ["Responses", "repeat_1"], date1904: Bool = false) -> String {
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" \
        xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
        <workbookPr date1904="\(date1904 ? 1 : 0)"/><sheets>
        \(sheets.enumerated().map { "<sheet name=\"\($0.element)\" sheetId=\"\($0.offset + 1)\" r:id=\"rId\($0.offset + 1)\"/>" }.joined())
        </sheets></workbook>
        """
    }

    static func rels(_ count: Int) -> String {
        "<?xml version=\"1.0\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
            + (1...count).map { "<Relationship Id=\"rId\($0)\" Target=\"worksheets/sheet\($0).xml\" Type=\"x\"/>" }
            .joined() + "</Relationships>"
    }

    static let styles = """
        <?xml version="1.0"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
        <numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy\\-mm\\-dd\\ hh:mm"/></numFmts>
        <cellXfs count="4"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="164"/><xf numFmtId="2"/></cellXfs></styleSheet>
        """

    static let shared = """
        <?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="6" uniqueCount="6">
        <si><t>_uuid</t></si><si><t>group</t></si><si><t>q1</t></si><si><r><t>Strongly </t></r><r><t>agree</t></r></si>
        <si><t xml:space="preserve"> NGO </t><rPh><t>ignored</t></rPh></si><si><t>when</t></si></sst>
        """

    /// Row 1 header (shared strings), row 2 a full row, row 3 sparse with a skipped cell, row 5
    /// after an empty row 4; a boolean, a number, dates in two formats, an inline string.
    static let sheet1 = """
        <?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
        <row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c><c r="D1" t="s"><v>5</v></c>\
        <c r="E1" t="inlineStr"><is><t>ok</t></is></c><c r="F1" t="inlineStr"><is><t>n</t></is></c></row>
        <row r="2"><c r="A2" t="s"><v>3</v></c><c r="B2" t="s"><v>4</v></c><c r="C2"><v>4</v></c><c r="D2" s="1"><v>45292</v></c>\
        <c r="E2" t="b"><v>1</v></c><c r="F2" s="3"><v>-6.9555020000000001</v></c></row>
        <row r="3"><c r="A3" t="inlineStr"><is><t>u3</t></is></c><c r="C3"><v>2</v></c><c r="D3" s="2"><v>45292.75</v></c></row>
        <row r="5"><c r="A5" t="str"><f>CONCAT("u","5")</f><v>u5</v></c><c r="B5" t="s"><v>4</v></c></row>
        </sheetData></worksheet>
        """

    static func make(_ parts: [String: String]) throws -> String {
        let url = URL(fileURLWithPath: scratchDirectory).appendingPathComponent("baraza-\(UUID().uuidString).xlsx")
        let archive = try Archive(url: url, accessMode: .create, pathEncoding: nil)
        for (name, text) in parts.sorted(by: { $0.key < $1.key }) {
            let data = Data(text.utf8)
            let provider: (Int64, Int) throws -> Data = { pos, size in data.subdata(in: Int(pos)..<(Int(pos) + size)) }
            try archive.addEntry(
                with: name,
                type: .file,
                uncompressedSize: Int64(data.count),
                compressionMethod: .deflate,
                provider: provider
            )
        }
        return url.path
    }

    static func standard(date1904: Bool = false, sheet: String = sheet1) -> [String: String] {
        [
            "[Content_Types].xml": contentTypes, "xl/workbook.xml": workbook(date1904: date1904),
            "xl/_rels/workbook.xml.rels": rels(2), "xl/sharedStrings.xml": shared, "xl/styles.xml": styles,
            "xl/worksheets/sheet1.xml": sheet, "xl/worksheets/sheet2.xml": "<worksheet><sheetData/></worksheet>",
        ]
    }

    @Test func cellsOfEveryKindAreRead() throws {
        let path = try Self.make(Self.standard())
        #expect(FileKind.of(path) == .xlsx)
        let (records, rejected, d, reader) = try readAll(path)
        #expect(reader.profile == .koboToolbox && reader.headerRows == 1)
        #expect(reader.columns.map(\.name) == ["_uuid", "group", "q1", "when", "ok", "n"])
        try #require(records.count == 3 && rejected.isEmpty)
        #expect(records[0].values == ["Strongly agree", " NGO ", "4", "2024-01-01", "TRUE", "-6.955502"])
        #expect(records[1].values == ["u3", "", "2", "2024-01-01T18:00:00", "", ""])  // a skipped cell stays in place
        #expect(records[2].values == ["u5", " NGO ", "", "", "", ""])
        #expect(records.map(\.location.line) == [2, 3, 5])  // the sheet's row numbers
        #expect(d.items.contains { $0.message.contains("2 sheets") })
    }

    @Test func the1904DateSystemIsHonoured() throws {
        let (records, _, _, _) = try readAll(try Self.make(Self.standard(date1904: true)))
        #expect(records.first?.values[3] == "2028-01-02")  // 45292 days after 1 January 1904 (openpyxl agrees)
        // Excel's 29 February 1900 has no date.
        #expect(XLSXRecordReader.isoDate(serial: 60, date1904: false) == "1900-02-28")
        #expect(XLSXRecordReader.isoDate(serial: 61, date1904: false) == "1900-03-01")
        #expect(XLSXRecordReader.isoDate(serial: 1, date1904: false) == "1900-01-01")
    }

    @Test func brokenWorkbooksGetAClearErrorNotACrash() throws {
        // Truncated: the ZIP's directory is gone.
        let good = try Data(contentsOf: URL(fileURLWithPath: try Self.make(Self.standard())))
        let cut = try tempFile([UInt8](good.prefix(good.count / 2)), ext: "xlsx")
        #expect(throws: IngestError.self) { _ = try readAll(cut) }
        // No workbook part, or no sheet.
        var parts = Self.standard()
        parts["xl/worksheets/sheet1.xml"] = nil
        #expect(throws: IngestError.self) { _ = try readAll(try Self.make(parts)) }
        // A cell past Excel's last column, and a sheet that is not well-formed.
        let wide = Self.sheet1.replacingOccurrences(of: "r=\"C3\"", with: "r=\"XFE3\"")
        do {
            _ = try readAll(try Self.make(Self.standard(sheet: wide)))
            Issue.record("a cell past XFD was read")
        } catch { #expect("\(error)".contains("XFE3")) }
        let broken = String(Self.sheet1.prefix(Self.sheet1.count - 40))
        do {
            let (r, _, d2, _) = try readAll(try Self.make(Self.standard(sheet: broken)))
            #expect(r.count <= 3 && d2.items.contains { $0.severity == .error })
        } catch { #expect("\(error)".contains("not well-formed")) }
    }
}
