import BarazaModel
import BarazaTestSupport
import Foundation
import Testing
import ZIPFoundation

@testable import BarazaIngest

/// Issue 29: exports read right or refused clearly, on fixtures made here to hit each case.
struct ExportKindTests {
    static func csv(_ text: String, ext: String = "csv") throws -> String { try tempFile(Array(text.utf8), ext: ext) }

    static func zip(_ entries: [String: String], ext: String) throws -> String {
        let path = URL(fileURLWithPath: scratchDirectory).appendingPathComponent("baraza-\(UUID().uuidString).\(ext)")
        let archive = try Archive(url: path, accessMode: .create, pathEncoding: nil)
        for (name, text) in entries.sorted(by: { $0.key < $1.key }) {
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
        return path.path
    }

    // Class 1: SurveyMonkey without a Collector ID column, told by its second header row.
    @Test func surveyMonkeyWithoutCollectorIDIsToldByItsSecondRow() throws {
        let path = try Self.csv(
            "RespondentID,Which sectors?,,Your role\n,Agriculture,Health,Response\n1,Agriculture,,NGO\n2,,Health,Ministry\n"
        )
        let (records, rejected, _, reader) = try readAll(path)
        #expect(reader.profile == .surveyMonkey && reader.headerRows == 2)
        #expect(records.count == 2 && rejected.isEmpty)  // the second header row is not a respondent
        #expect(
            reader.columns.map(\.name) == [
                "RespondentID", "Which sectors? / Agriculture", "Which sectors? / Health", "Your role",
            ]
        )
    }

    // Class 2: unnamed header cells are kept; only a trailing delimiter's empty column goes.
    @Test func unnamedHeaderCellsAreKeptAndNamedFromTheCellBefore() throws {
        let (records, rejected, _, reader) = try readAll(try Self.csv("id,q1,matrix,,\n1,a,x,y,z\n2,b,,,\n3,c,x,,z\n"))
        #expect(reader.columns.map(\.name) == ["id", "q1", "matrix", "matrix (2)", "matrix (3)"])
        #expect(records.count == 3 && rejected.isEmpty)  // before, rows that answered the matrix were rejected
        let (r2, rej2, _, reader2) = try readAll(try Self.csv("a,b,\n1,2,\n3,4,\n"))
        #expect(reader2.columns.map(\.name) == ["a", "b"] && r2.count == 2 && rej2.isEmpty)
    }

    // Class 3: LimeSurvey with translated full-text headings; incomplete responses left out, counted.
    @Test func limeSurveyTranslatedHeadingsAndIncompleteResponses() throws {
        let path = try Self.csv(
            "Respons ID,Datum verstuurd,Laatste pagina,Starttaal,Seed,Q1\n"
                + "1,2024-01-01 10:00:00,3,nl,123,Ja\n2,,1,nl,456,\n3,2024-01-02 09:00:00,3,nl,789,Nee\n"
        )
        let (records, rejected, _, reader) = try readAll(path)
        #expect(reader.profile == .limeSurvey)
        #expect(records.count == 2 && rejected.count == 1 && rejected[0].reason == RejectedRecord.incompleteReason)
        var options = ReadOptions()
        options.includeIncomplete = true
        let (all, none, _, _) = try readAll(path, options: options)
        #expect(all.count == 3 && none.isEmpty)
    }

    // Class 3, in LimeSurvey's XML responses (.lsr) too.
    @Test func limeSurveyXMLLeavesIncompleteResponsesOut() throws {
        let lsr = """
            <?xml version="1.0" encoding="UTF-8"?>
            <document><LimeSurveyDocType>Responses</LimeSurveyDocType><responses><rows>
            <row><id><![CDATA[1]]></id><submitdate><![CDATA[2024-01-01 10:00:00]]></submitdate><_1X1X1><![CDATA[A1]]></_1X1X1></row>
            <row><id><![CDATA[2]]></id><submitdate/><_1X1X1><![CDATA[A2]]></_1X1X1></row>
            </rows></responses></document>
            """
        let path = try Self.csv(lsr, ext: "lsr")
        let (records, rejected, _, reader) = try readAll(path)
        #expect(reader.profile == .limeSurvey)
        #expect(records.count == 1 && rejected.count == 1 && rejected.first?.reason == RejectedRecord.incompleteReason)
        var options = ReadOptions()
        options.includeIncomplete = true
        #expect(try readAll(path, options: options).0.count == 2)
    }

    // Class 4: binary files are recognised by their first bytes, whatever their name.
    @Test func binaryFilesAreRefusedSayingWhatTheyAre() throws {
        let cases: [([UInt8], String)] = [
            ([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1] + Array(repeating: 0, count: 500), "Excel 97–2003"),
            (Array("%PDF-1.7\n%âãÏÓ\n1 0 obj".utf8), "PDF"),
            ([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13], "image"),
        ]
        for (bytes, what) in cases {
            let path = try tempFile(bytes, ext: "csv")
            #expect(throws: IngestError.self) { _ = try readAll(path) }
            if case .refused(let w, _) = FileKind.of(path) {
                #expect(w.contains(what), "\(w)")
            } else {
                Issue.record("not refused: \(what)")
            }
        }
        let docx = try Self.zip(["word/document.xml": "<w/>", "[Content_Types].xml": "<Types/>"], ext: "csv")
        #expect(
            FileKind.of(docx)
                == .refused(
                    what: "a Word document",
                    instead: "give the export file of the responses (CSV, XLSX or XML)"
                )
        )
        let lsa = try Self.zip(["survey_1.lss": "<document/>", "survey_1_responses.lsr": "<document/>"], ext: "lsa")
        if case .refused(let w, _) = FileKind.of(lsa) {
            #expect(w.contains("LimeSurvey survey archive"))
        } else {
            Issue.record("lsa")
        }
    }

    // Class 5: form definitions are not responses.
    @Test func formDefinitionsAreRefusedAsResponses() throws {
        let forms: [(String, String)] = [
            (
                "<?xml version=\"1.0\"?>\n<h:html xmlns=\"http://www.w3.org/2002/xforms\" xmlns:h=\"http://www.w3.org/1999/xhtml\">"
                    + "<h:head><model><instance><data id=\"f\"><q/></data></instance></model></h:head></h:html>",
                "XForm"
            ),
            (
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<codeBook xmlns=\"ddi:codebook:2_5\"><dataDscr/></codeBook>",
                "DDI codebook"
            ), ("<?xml version=\"1.0\"?>\n<questionnaire id=\"1\"><section/></questionnaire>", "queXML"),
            (
                "<?xml version=\"1.0\"?>\n<document><LimeSurveyDocType>Survey</LimeSurveyDocType></document>",
                "LimeSurvey survey structure"
            ),
        ]
        for (xml, what) in forms {
            let path = try Self.csv(xml, ext: "xml")
            do {
                _ = try readAll(path)
                Issue.record("\(what) was read as responses")
            } catch let IngestError.notAnExport(_, w, _) { #expect(w.contains(what), "\(w)") }
        }
        // LimeSurvey's responses file has the same root and is read.
        let lsr = try Self.csv(
            "<?xml version=\"1.0\"?>\n<document><LimeSurveyDocType>Responses</LimeSurveyDocType>"
                + "<responses><rows><row><id>1</id><Q1>Ja</Q1></row></rows></responses></document>",
            ext: "lsr"
        )
        #expect(FileKind.of(lsr) == .xml)
    }

    // Class 6: a Kobo label export's option label with '/' stays one option.
    @Test func koboOptionLabelsWithSlashesStayWhole() throws {
        let path = try Self.csv(
            "_uuid,Travel/How do you travel?,Travel/How do you travel?/boat/canoe,Travel/How do you travel?/bus\n"
                + "u1,boat/canoe bus,1,1\n"
        )
        let (_, _, _, reader) = try readAll(path)
        let boat = try #require(reader.columns.first { $0.name.hasSuffix("canoe") })
        #expect(boat.leaf == "boat/canoe" && boat.groupPath == ["Travel", "How do you travel?"])
        #expect(reader.columns.last?.leaf == "bus")
    }

    // Class 8: .csv.gz and ODK Central's submissions.csv.zip read through a decompressed copy.
    @Test func gzipAndZippedCSVAreRead() throws {
        let text = "id,q1\n1,a\n2,b\n"
        let plain = try Self.csv(text)
        let gz = plain + ".gz"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "gzip -c '\(plain)' > '\(gz)'"]
        try p.run()
        p.waitUntilExit()
        let input = try InputFile(gz)
        let (records, _, _, reader) = try readAll(input.path)
        #expect(records.count == 2 && reader.columns.map(\.name) == ["id", "q1"])
        // Truncated: refused, not read as fewer rows.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: gz))
        let cut = try tempFile([UInt8](bytes.prefix(bytes.count - 6)), ext: "csv.gz")
        #expect(throws: IngestError.self) { _ = try InputFile(cut) }
        let zipped = try Self.zip(
            ["form.csv": "KEY,q1\nuuid:1,a\n", "form-rep.csv": "PARENT_KEY,KEY,x\nuuid:1,uuid:1/rep[1],y\n"],
            ext: "zip"
        )
        let z = try InputFile(zipped)
        let (zr, _, _, zreader) = try readAll(z.path)
        #expect(zr.count == 1 && zreader.columns.map(\.name) == ["KEY", "q1"])
    }

    // Fixed-width data read as CSV would be one garbage column.
    @Test func fixedWidthDataIsRefused() throws {
        let path = try Self.csv(
            "1962000800300014755900550100014755900000004883\n1962000800300014755900550200014755900000004883\n",
            ext: "dat"
        )
        #expect(throws: IngestError.self) { _ = try readAll(path) }
    }
}
