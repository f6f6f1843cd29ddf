import BarazaCoding
import BarazaIngest
import BarazaModel
import BarazaPipeline
import BarazaTestSupport
import Foundation
import Testing
import ZIPFoundation

/// Issue 29, class 9: an XLSForm as the source of truth — `init` drafts the questionnaire from it,
/// and a source's `form:` reads an "XML values" export (choice codes) with the form's labels.
@Suite(.serialized) struct FormTests {
    /// A workbook whose sheets hold these rows (inline strings).
    static func workbook(_ sheets: [(String, [[String]])], at path: String) throws {
        func cell(_ r: Int, _ c: Int, _ v: String) -> String {
            let col = String(UnicodeScalar(UInt8(65 + c)))
            let escaped = v.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            return "<c r=\"\(col)\(r + 1)\" t=\"inlineStr\"><is><t>\(escaped)</t></is></c>"
        }
        var parts: [String: String] = [:]
        parts["xl/workbook.xml"] =
            "<workbook xmlns:r=\"r\"><sheets>"
            + sheets.enumerated()
            .map { "<sheet name=\"\($0.element.0)\" sheetId=\"\($0.offset + 1)\" r:id=\"rId\($0.offset + 1)\"/>" }
            .joined() + "</sheets></workbook>"
        parts["xl/_rels/workbook.xml.rels"] =
            "<Relationships>"
            + sheets.indices.map { "<Relationship Id=\"rId\($0 + 1)\" Target=\"worksheets/sheet\($0 + 1).xml\"/>" }
            .joined() + "</Relationships>"
        for (i, sheet) in sheets.enumerated() {
            let rows = sheet.1.enumerated()
                .map { r, row in
                    "<row r=\"\(r + 1)\">" + row.enumerated().map { cell(r, $0.offset, $0.element) }.joined() + "</row>"
                }
            parts["xl/worksheets/sheet\(i + 1).xml"] =
                "<worksheet><sheetData>" + rows.joined() + "</sheetData></worksheet>"
        }
        let archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .create, pathEncoding: nil)
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
    }

    static let survey: [[String]] = [
        ["type", "name", "label::English (en)", "label::Français (fr)"], ["start", "start", "", ""],
        ["select_one org", "org_type", "Type of organisation", "Type d'organisation"],
        ["begin_group", "grp_policy", "Policies", "Politiques"],
        [
            "select_one agree", "pol1", "Policies support local solutions",
            "Les politiques soutiennent les solutions locales",
        ], ["end_group", "", "", ""], ["select_multiple support", "support", "Support received", "Soutien reçu"],
        ["integer", "staff", "Number of staff", "Nombre d'employés"],
        ["text", "barriers", "Main barriers", "Principaux obstacles"],
    ]
    static let choices: [[String]] = [
        ["list_name", "name", "label::English (en)", "label::Français (fr)"],
        ["org", "gov", "Government ministry", "Ministère"], ["org", "ngo_local", "Local NGO", "ONG locale"],
        ["agree", "sd", "Strongly disagree", "Pas du tout d'accord"],
        ["agree", "d", "Disagree", "Plutôt pas d'accord"],
        ["agree", "n", "Neither agree nor disagree", "Ni d'accord ni pas d'accord"],
        ["agree", "a", "Agree", "Plutôt d'accord"], ["agree", "sa", "Strongly agree", "Tout à fait d'accord"],
        ["support", "funding", "Funding", "Financement"], ["support", "training", "Training", "Formation"],
    ]

    @Test func anXLSFormDraftsTheQuestionnaireAndLabelsAnXMLValuesExport() throws {
        let dir = URL(fileURLWithPath: scratchDirectory).appendingPathComponent("form-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try Self.workbook(
            [("survey", Self.survey), ("choices", Self.choices), ("settings", [["form_id"], ["f"]])],
            at: dir + "/form.xlsx"
        )
        // Given as responses, the form is refused as what it is.
        let inspected = try CLITests.run(["inspect", dir + "/form.xlsx"])
        #expect(inspected.status == 2 && inspected.err.contains("XLSForm"), "\(inspected.err)")
        // An "XML values" export: codes, not labels.
        try Data(
            """
            _uuid,org_type,grp_policy/pol1,support,staff,barriers
            u1,gov,a,funding training,12,Interest rates are high
            u2,ngo_local,sd,training,3,No credit
            u3,ngo_local,d,funding,4,
            u4,gov,sa,,20,
            u5,ngo_local,n,funding,7,
            u6,gov,a,training,9,
            u7,ngo_local,d,funding training,5,
            u8,gov,a,funding,30,
            u9,ngo_local,sd,,2,
            u10,gov,sa,training,15,

            """
            .utf8
        )
        .write(to: URL(fileURLWithPath: dir + "/values.csv"))
        let drafted = try CLITests.run(["init", dir + "/form.xlsx", dir + "/values.csv", "--out", dir + "/draft.yml"])
        #expect(drafted.status == 0, "\(drafted.err)")
        var draft = try String(contentsOfFile: dir + "/draft.yml", encoding: .utf8)
        // The form's questions, typed; its group field is the group column; the source names the form.
        #expect(draft.contains("id: pol1, scale: agree5"), "\(draft)")
        #expect(draft.contains("id: support, type: multiple") && draft.contains("funding: [Funding]"))
        #expect(draft.contains("id: staff, type: number") && draft.contains("id: barriers, type: text"))
        #expect(draft.contains("group_column: org_type") && draft.contains("form: form.xlsx"))
        #expect(!draft.contains("id: start"))
        // Give the scale question a theme and report: the codes read as the form's labels.
        draft = draft.replacingOccurrences(
            of: "id: pol1, scale: agree5",
            with: "id: pol1, theme: enabling_policies, scale: agree5"
        )
        draft += "\nname: t\n"
        try Data(draft.utf8).write(to: URL(fileURLWithPath: dir + "/draft.yml"))
        let run = try CLITests.run(["run", dir + "/draft.yml"])
        #expect(run.status == 0, "\(run.err)")  // no unknown label, no respondent without a group
        let summary = try String(contentsOfFile: dir + "/Reports/t/summary.json", encoding: .utf8)
        #expect(summary.contains("\"group\" : \"government\"") && summary.contains("\"group\" : \"cso\""))
    }

    /// An XForm: types from binds, labels in two languages through itext, inline items and an
    /// itemset over a secondary instance.
    static let xform = """
        <?xml version="1.0"?>
        <h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml" xmlns:jr="http://openrosa.org/javarosa">
          <h:head><h:title>T</h:title>
            <model>
              <itext>
                <translation lang="English"><text id="/data/org:label"><value>Organisation type</value></text>
                  <text id="/data/pol1:label"><value>Policies support local solutions</value></text></translation>
                <translation lang="French"><text id="/data/org:label"><value>Type d'organisation</value></text>
                  <text id="/data/pol1:label"><value>Les politiques soutiennent</value></text></translation>
              </itext>
              <instance><data id="t"><org/><pol1/><staff/><meta><instanceID/></meta></data></instance>
              <instance id="agree"><root>
                <item><name>sd</name><label>Strongly disagree</label></item><item><name>d</name><label>Disagree</label></item>
                <item><name>n</name><label>Neither agree nor disagree</label></item><item><name>a</name><label>Agree</label></item>
                <item><name>sa</name><label>Strongly agree</label></item></root></instance>
              <bind nodeset="/data/org" type="string"/><bind nodeset="/data/pol1" type="string"/>
              <bind nodeset="/data/staff" type="int"/>
            </model>
          </h:head>
          <h:body>
            <select1 ref="/data/org"><label ref="jr:itext('/data/org:label')"/>
              <item><label>Government ministry</label><value>gov</value></item>
              <item><label>Local NGO</label><value>ngo_local</value></item></select1>
            <select1 ref="/data/pol1"><label ref="jr:itext('/data/pol1:label')"/>
              <itemset nodeset="instance('agree')/root/item"><value ref="name"/><label ref="label"/></itemset></select1>
            <input ref="/data/staff"><label>Staff</label></input>
          </h:body>
        </h:html>
        """

    @Test func anXFormIsReadAsAForm() throws {
        let dir = URL(fileURLWithPath: scratchDirectory).appendingPathComponent("xform-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try Data(Self.xform.utf8).write(to: URL(fileURLWithPath: dir + "/form.xml"))
        let form = try FormDefinition.read(dir + "/form.xml")
        let pol1 = try #require(form.fields.first { $0.name == "pol1" })
        #expect(
            pol1.type == "select_one"
                && pol1.labels == ["Policies support local solutions", "Les politiques soutiennent"]
        )
        #expect(form.choices[pol1.list ?? ""]?.map(\.name) == ["sd", "d", "n", "a", "sa"])
        #expect(form.fields.first { $0.name == "staff" }?.type == "integer")
        #expect(form.choices["org"]?.first?.labels == ["Government ministry"])
        let drafted = try CLITests.run(["init", dir + "/form.xml", "--out", dir + "/draft.yml"])
        #expect(drafted.status == 0, "\(drafted.err)")
        let draft = try String(contentsOfFile: dir + "/draft.yml", encoding: .utf8)
        #expect(draft.contains("id: pol1, scale: agree5") && draft.contains("id: staff, type: number"), "\(draft)")
    }

    @Test(.enabled(if: DraftTests.realdata != nil, "../shared/realdata is absent"))
    func aDDICodebookGivesTheLabelsOfCodedData() throws {
        let root = try #require(DraftTests.realdata)
        let form = try FormDefinition.read(root + "/ddi/ipumsr_cps_00158.xml")
        let month = try #require(form.fields.first { $0.name == "MONTH" })
        #expect(month.type == "select_one" && form.choices["MONTH"]?.first?.labels == ["January"])
    }
}
