import BarazaIngest
import BarazaModel
import BarazaTestSupport
import Foundation
import Testing
@testable import BarazaCoding

struct CodingTests {
    @Test func foldingIgnoresCaseDiacriticsCurlyQuotesAndNBSP() {
        #expect(Folding.fold("  Tout\u{00A0}à fait   d’accord ") == "tout a fait d'accord")
        #expect(Folding.fold("MUY DE ACUERDO") == "muy de acuerdo")
        #expect(Folding.fold("Não sei") == "nao sei")
        #expect(Folding.fold("Œuvre") == "oeuvre")
    }

    @Test func labelsInFourLanguagesAndCodesMapToScaleValues() {
        var coder = ClosedAnswerCoder(scale: BuiltInScales.all["agree5"]!)
        #expect(coder.code("Strongly agree") == .value(5))
        #expect(coder.code("tout à fait d’accord") == .value(5))
        #expect(coder.code("Muy en desacuerdo") == .value(1))
        #expect(coder.code("Concordo") == .value(4))
        #expect(coder.code("3") == .value(3))
        #expect(coder.code("Agree strongly") == .unknown)
        #expect(coder.nearestLabel(to: "Agree strongly") != nil)
    }

    @Test func eachMissingKindIsKeptApart() {
        var coder = ClosedAnswerCoder(scale: BuiltInScales.all["agree5"]!)
        #expect(coder.code("") == .missing(.blank))
        #expect(coder.code("  ") == .missing(.blank))
        #expect(coder.code("Ne sait pas") == .missing(.dontKnow))
        #expect(coder.code("Prefiero no responder") == .missing(.refused))
        #expect(coder.code("N/A") == .missing(.notApplicable))
        #expect(coder.code("-99") == .missing(.sentinel))
    }

    @Test func groupsMapFromSynonymsInSeveralLanguagesAndUnmappedStaysNil() {
        let m = GroupMapper(groups: StakeholderGroup.defaults)
        #expect(m.map("Ministère du Plan") == "government")
        #expect(m.map("Local government") == "government")
        #expect(m.map("ONG locale") == "cso")
        #expect(m.map("Bilateral donor") == "development_partner")
        #expect(m.map("Entreprise privée") == "private_sector")
        #expect(m.map("Université") == nil)
        #expect(m.map("") == nil)
    }

    /// Hand-coded expectations on real-looking answers in three languages, with negations and exclusions.
    @Test func codebookAssignsCodesWithNegationAndExclusion() {
        let rules = [
            CodeRule(
                code: "credit",
                theme: "access_to_finance",
                match: ["interest rate*", "collateral", "crédit*", "préstamo*"]
            ),
            CodeRule(
                code: "training",
                theme: "local_capacity",
                match: ["training", "formation", "capacitación"],
                exclude: ["not the problem", "pas de problème"]
            ), CodeRule(code: "corruption", theme: "enabling_policies", match: ["corruption", "corrupción"]),
        ]
        let coder = OpenTextCoder(codebook: "b", rules: rules)
        func codes(_ t: String) -> [String] { coder.code(t, question: "q").map(\.code) }
        #expect(codes("Interest rates are too high and banks want collateral") == ["credit"])
        #expect(codes("Le crédit coûte cher, et la formation manque") == ["credit", "training"])
        #expect(codes("Los préstamos son caros; falta capacitación") == ["credit", "training"])
        #expect(codes("Training is not the problem, credit is") == ["credit"])  // exclusion
        #expect(codes("There is no corruption here") == [])  // negation
        #expect(codes("Il n'y a pas de corruption mais pas de crédit") == [])  // negation in French
        #expect(codes("Sin corrupción") == [])  // negation in Spanish
        #expect(codes("Corruption, not credit, is the issue") == ["corruption"])
        let a = coder.code("High interest rates", question: "q")[0]
        #expect(a.rule == "interest rate*")
        #expect(String(Array(Folding.fold("High interest rates"))[a.spanStart..<a.spanEnd]) == "interest rates")
    }

    @Test func responseCoderReversesItemsAndReadsSplitMultiSelectColumns() throws {
        let yaml = """
            version: 1
            consultation: T
            questions:
              - {id: fin3, theme: access_to_finance, scale: agree5, reverse: true, columns: [fin3]}
              - id: support
                type: multiple
                columns: [support]
                options: {funding: [Financement], training: [Formation]}
            """
        let c = try ConsultationLoader.parse(yaml, file: "t.yml", absolutePath: "/tmp/t.yml")
        let source = SourceSpec(
            path: "x.csv",
            country: "Senegal",
            wave: "baseline",
            group: "cso",
            location: SourceLocation(file: "t.yml", line: 1)
        )
        var coder = ResponseCoder(consultation: c, source: source, profile: .surveyMonkey)
        let columns = [
            ColumnHeader(name: "Respondent ID"), ColumnHeader(name: "fin3"),
            ColumnHeader(name: "support / Financement"), ColumnHeader(name: "support / Formation"),
        ]
        var d = Diagnostics()
        let r = coder.code(
            RawRecord(
                values: ["77", "Strongly agree", "Financement", ""],
                location: SourceLocation(file: "x.csv", line: 3)
            ),
            columns: columns,
            diagnostics: &d
        )
        #expect(r.respondentID == "77")
        #expect(r.group == "cso" && r.country == "Senegal" && r.wave == "baseline")
        #expect(r.answers.first?.value == 1)  // 5 reversed on a 1–5 scale
        #expect(r.choices.first?.options == ["funding"])
        let blank = coder.code(
            RawRecord(values: ["78", "", "", ""], location: SourceLocation(file: "x.csv", line: 4)),
            columns: columns,
            diagnostics: &d
        )
        #expect(blank.choices.first?.missing == .blank)
        #expect(blank.answers.first?.missing == .blank)
    }

    // Issue 28, class 8: a number is an answer unless the file declares it a sentinel; "don't know"
    // on a number is `dont_know`, not unrecognised.
    @Test func numberSentinelsOnlyWhereDeclared() throws {
        let yaml = """
            version: 1
            consultation: T
            scales:
              staff: {labels: {1: [Few], 2: [Many]}, missing: {sentinel: ["-1"]}}
            questions:
              - {id: staff, type: number}
              - {id: share, type: number, sentinels: [999, -99]}
              - {id: size, type: number, scale: staff}
            """
        let c = try ConsultationLoader.parse(yaml, file: "t.yml", absolutePath: "/tmp/t.yml")
        let source = SourceSpec(path: "x.csv", group: "cso", location: SourceLocation(file: "t.yml", line: 1))
        var coder = ResponseCoder(consultation: c, source: source, profile: .plainCSV)
        let columns = ["id", "staff", "share", "size"].map { ColumnHeader(name: $0) }
        var d = Diagnostics()
        func code(_ values: [String]) -> [CodedAnswer] {
            let record = RawRecord(values: values, location: SourceLocation(file: "x.csv", line: 2))
            return coder.code(record, columns: columns, diagnostics: &d).answers
        }
        let a = code(["1", "77", "99", "-1"])
        #expect(a[0].value == 77 && a[0].missing == nil)  // a staff count of 77 is an answer
        #expect(a[1].value == 99 && a[1].missing == nil)  // a 99% share too
        #expect(a[2].value == nil && a[2].missing == .sentinel)  // -1 is the scale's declared sentinel
        let b = code(["2", "Don't know", "999", "Ne sait pas"])
        #expect(b[0].missing == .dontKnow && b[1].missing == .sentinel && b[2].missing == .dontKnow)
        #expect(coder.unknownLabels.isEmpty)
        #expect(throws: ConsultationError.self) {
            let yaml = "version: 1\nconsultation: T\nquestions:\n  - {id: q, scale: agree5, sentinels: [9]}\n"
            try ConsultationLoader.parse(yaml, file: "t.yml", absolutePath: "/tmp/t.yml")
        }
    }
}

struct GroupLookupAndOtherTests {
    /// Writes `files` (name → text) into a new folder, loads its `c.yml` and codes its `a.csv` with
    /// the consultation's first source: the responses, and the coder after them.
    static func codeFiles(_ files: [String: String]) throws -> (responses: [Response], coder: ResponseCoder) {
        let dir = URL(fileURLWithPath: scratchDirectory).appendingPathComponent("baraza-coding-\(UUID().uuidString)")
            .path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for (name, text) in files { try Data(text.utf8).write(to: URL(fileURLWithPath: dir + "/" + name)) }
        let c = try ConsultationLoader.load(path: dir + "/c.yml")
        var d = Diagnostics()
        var reader = try ExportReader.open(dir + "/a.csv", diagnostics: &d)
        var coder = ResponseCoder(consultation: c, source: c.sources[0], profile: reader.profile)
        var responses: [Response] = []
        var coding = Diagnostics()
        reader.forEachRecord(&d) { item, columns in
            if case .record(let r) = item { responses.append(coder.code(r, columns: columns, diagnostics: &coding)) }
            return true
        }
        return (responses, coder)
    }

    @Test func organisationLookupFillsUnmappedGroupsAndOtherTextIsKept() throws {
        let (responses, coder) = try Self.codeFiles([
            "orgs.csv": "organisation,group\nUniversité de Dakar,cso\nBanque Agricole,private_sector\n",
            "a.csv":
                "id,type,org,support,support_other\n1,Autre,Université de Dakar,funding other,mentoring\n2,,Banque Agricole,,\n3,Autre,Inconnue,training,\n",
            "c.yml": """
            version: 1
            consultation: T
            questions:
              - {id: support, type: multiple, columns: [support], options: [funding, training, other]}
            sources:
              - {path: a.csv, group_column: type, organisation_column: org, group_lookup: orgs.csv, id_column: id}
            """,
        ])
        #expect(responses.map(\.group) == ["cso", "private_sector", nil])
        #expect(coder.unmappedGroups == ["Autre": 1])
        #expect(responses[0].choices.first?.options == ["funding", "other"])
        #expect(responses[0].choices.first?.other == "mentoring")
        #expect(responses[1].choices.first?.missing == .blank)
        #expect(coder.boundColumns == [0, 1, 2, 3, 4])
    }

    /// The respondent id is the id field's text, trimmed (white space and NBSP either side), lent
    /// to the sink as the field's own bytes when there is nothing to trim; a blank id is the file's
    /// name and the record's line. The same ids whether the coder builds a `Response` or packs.
    @Test func respondentIDsAreTrimmedAndBlankOnesNamedByTheirLine() throws {
        let ids = ["r1", "  r2  ", "", "\u{00A0}r4", "   ", "é5", "r6 ", "\"r 7\""]
        let (responses, _) = try Self.codeFiles([
            "a.csv": "id,q1\n" + ids.map { "\($0),Agree\n" }.joined(),
            "c.yml": """
            version: 1
            consultation: T
            questions:
              - {id: q1, theme: local_capacity, scale: agree5}
            sources:
              - {path: a.csv, id_column: id}
            """,
        ])
        #expect(responses.map(\.respondentID) == ["r1", "r2", "a.csv:4", "r4", "a.csv:6", "é5", "r6", "r 7"])
    }
}

struct FoldingTableTests {
    @Test func theLatinFastPathAgreesWithFullUnicodeFolding() {
        for v in 0xC0..<0x250 {
            guard let scalar = Unicode.Scalar(v), let fast = Folding.latinTable[v - 0xC0] else { continue }
            let s = "A" + String(Character(scalar)) + "b"
            #expect(Folding.foldUnicode(s) == "a" + fast + "b")
            #expect(
                Folding.foldGeneral(s) == "a" + fast + "b",
                "U+\(String(v, radix: 16)) \(String(Character(scalar)))"
            )
        }
        #expect(Folding.fold("Ça VA, São Tomé — Œuvre") == Folding.foldGeneral("Ça VA, São Tomé — Œuvre"))
    }
}

/// Issue 29, class 12: the phrasings exports use for a group, out of the box.
struct GroupPhrasingTests {
    @Test func commonPhrasingsMapAndMixedOnesDoNot() {
        let m = GroupMapper(groups: StakeholderGroup.defaults)
        #expect(m.map("NGO / civil society") == "cso")
        #expect(m.map("Government (national or county)") == "government")
        #expect(m.map("Private sector / business") == "private_sector")
        #expect(m.map("Donor / development partner") == "development_partner")
        #expect(m.map("NGO / Government") == nil)  // two groups: never guessed
        #expect(m.map("Université") == nil)
    }
}
