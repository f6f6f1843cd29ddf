import BarazaCoding
import BarazaModel
import BarazaPipeline
import BarazaTestSupport
import Foundation
import Testing

/// Issue 29, classes 10–15: `init` drafts a file a newcomer can run, and `check` says what would
/// silently spoil a report.
@Suite(.serialized) struct DraftTests {
    static func folder() throws -> String {
        let dir = URL(fileURLWithPath: scratchDirectory).appendingPathComponent("draft-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// A Google Forms-like export: a timestamp, a role column in common phrasings, a country, a
    /// grid of three rows, checkbox answers joined with ", ", an e-mail column.
    static let googleForm = """
        Timestamp,What is your role?,Country,Rate these [Policies],Rate these [Markets],Rate these [Finance],Which support helped?,Email
        2024/01/10 10:00:00,NGO / civil society,Kenya,Agree,Disagree,Strongly agree,"Training, Funding, Networks",a@example.org
        2024/01/10 11:00:00,Government (national or county),Kenya,Agree,Agree,Disagree,"Funding, Training",b@example.org
        2024/01/11 09:00:00,Private sector / business,Senegal,Strongly disagree,Agree,Agree,Networks,c@example.org
        2024/01/11 10:00:00,Donor / development partner,Senegal,Agree,Strongly agree,Agree,"Training, Networks",d@example.org
        2024/01/12 10:00:00,Université,Senegal,Disagree,Agree,Agree,Funding,e@example.org
        2024/01/12 11:00:00,NGO / civil society,Kenya,Agree,Agree,Agree,"Training, Funding",f@example.org

        """

    @Test func aGoogleFormsExportIsDraftedQuestionByQuestion() throws {
        let dir = try Self.folder()
        try Data(Self.googleForm.utf8).write(to: URL(fileURLWithPath: dir + "/form.csv"))
        let draft = try ConsultationDrafter.draft(files: [dir + "/form.csv"], base: dir)
        try Data(draft.utf8).write(to: URL(fileURLWithPath: dir + "/c.yml"))
        let c = try ConsultationLoader.load(path: dir + "/c.yml")
        // One question per grid row, each with its own readable id and its header as text.
        let grid = c.questions.filter { $0.columns.first?.hasPrefix("Rate these [") == true }
        #expect(grid.count == 3 && Set(grid.map(\.id)).count == 3, "\(c.questions.map(\.id))")
        #expect(grid.allSatisfy { $0.id.hasPrefix("rate_these_") && $0.columns.count == 1 })
        // Checkbox answers joined with ", " are a multiple-choice question with their labels.
        let support = try #require(c.questions.first { $0.columns == ["Which support helped?"] })
        #expect(support.type == .multiple && Set(support.optionAliases.keys) == ["Training", "Funding", "Networks"])
        // The country is the source's country column, the role its group column; metadata and
        // e-mail addresses are not questions.
        #expect(c.sources.first?.countryColumn == "Country" && c.sources.first?.groupColumn == "What is your role?")
        #expect(!c.questions.contains { ["Timestamp", "Email", "Country"].contains($0.columns.first ?? "") })
        // Common phrasings map to the built-in groups; the value that maps to none is listed.
        #expect(draft.contains("#   \"Université\" (1×)"))
        #expect(!draft.contains("\"NGO / civil society\" ("))
        for g in StakeholderGroup.defaults { #expect(draft.contains("  \(g.id): []")) }
        // The draft checks: exit 3 at worst (themes to assign), never 2.
        let r = try CLITests.run(["check", dir + "/c.yml"])
        #expect(r.status == 3, "\(r.err)")
        #expect(r.err.contains("has no theme: it will not appear in the report"))
        #expect(
            r.err.contains("group value 'Université' (1×) matches no stakeholder group (first at line 6)"),
            "\(r.err)"
        )
    }

    @Test func headersWithYAMLSyntaxSurviveTheDraft() throws {
        let dir = try Self.folder()
        let header = "\"Rate: policy # one\nsecond line\twith tab\""
        try Data("id,\(header),grp\n1,Agree,cso\n2,Disagree,ngo\n3,Agree,ngo\n".utf8)
            .write(to: URL(fileURLWithPath: dir + "/a.csv"))
        let draft = try ConsultationDrafter.draft(files: [dir + "/a.csv"], base: dir)
        try Data(draft.utf8).write(to: URL(fileURLWithPath: dir + "/c.yml"))
        let c = try ConsultationLoader.load(path: dir + "/c.yml")
        #expect(c.questions.contains { $0.columns == ["Rate: policy # one\nsecond line\twith tab"] }, "\(draft)")
    }

    // Class 13: ordered labels no built-in scale knows get a proposed scale, in the order their
    // intensity words give; numeric codes 1..k too.
    @Test func orderedLabelsAndNumericCodesGetAProposedScale() throws {
        let dir = try Self.folder()
        let rows = [
            ("Not at all", "No, not rude at all", "1"), ("Somewhat", "Yes, somewhat rude", "7"),
            ("Extremely", "Yes, very rude", "4"), ("A little", "No, not rude at all", "2"),
            ("Very much", "Yes, somewhat rude", "5"), ("Somewhat", "Yes, very rude", "3"),
            ("Very much", "Yes, very rude", "6"),
        ]
        let csv =
            "id,How much did it help?,Is it rude?,Rating\n"
            + rows.enumerated().map { "\($0.offset),\($0.element.0),\"\($0.element.1)\",\($0.element.2)" }
            .joined(separator: "\n") + "\n"
        try Data(csv.utf8).write(to: URL(fileURLWithPath: dir + "/a.csv"))
        let draft = try ConsultationDrafter.draft(files: [dir + "/a.csv"], base: dir)
        try Data(draft.utf8).write(to: URL(fileURLWithPath: dir + "/c.yml"))
        let c = try ConsultationLoader.load(path: dir + "/c.yml")
        func scale(_ column: String) -> Scale? {
            c.questions.first { $0.columns == [column] }?.scale.flatMap { c.scales[$0] }
        }
        #expect(
            scale("How much did it help?")?.points.map { $0.labels[0] } == [
                "Not at all", "A little", "Somewhat", "Very much", "Extremely",
            ],
            "\(draft)"
        )
        #expect(
            scale("Is it rude?")?.points.map { $0.labels[0] } == [
                "No, not rude at all", "Yes, somewhat rude", "Yes, very rude",
            ]
        )
        #expect(scale("Rating")?.pointCount == 7)
        let r = try CLITests.run(["check", dir + "/c.yml"])
        #expect(r.status == 3 && !r.err.contains("matches no scale point"), "\(r.err)")
    }

    static let realdata: String? = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        let path = url.appendingPathComponent("../shared/realdata").standardizedFileURL.path
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }()

    /// For every real export, `init` then `check` exits 0 or 3, never 2.
    @Test(.enabled(if: realdata != nil, "../shared/realdata is absent")) func initThenCheckNeverFailsOnARealExport()
        throws
    {
        let root = try #require(Self.realdata)
        for row in RealExportTableTests.table where row.1 != nil {
            let dir = try Self.folder()
            let name = (row.0 as NSString).lastPathComponent
            // The file and its companions (a Triple-S metadata file's data file beside it).
            let folder = (root + "/" + row.0 as NSString).deletingLastPathComponent
            let stem = (name as NSString).deletingPathExtension
            for f in try FileManager.default.contentsOfDirectory(atPath: folder)
            where (f as NSString).deletingPathExtension == stem {
                try FileManager.default.copyItem(atPath: folder + "/" + f, toPath: dir + "/" + f)
            }
            let drafted = try CLITests.run(["init", dir + "/" + name, "--out", dir + "/draft.yml"])
            #expect(drafted.status == 0, "init \(row.0): \(drafted.err)")
            let checked = try CLITests.run(["check", dir + "/draft.yml"])
            #expect(checked.status == 0 || checked.status == 3, "check \(row.0): \(checked.status) \(checked.err)")
        }
    }
}
