import BarazaCoding
import BarazaModel
import BarazaStore
import BarazaSynth
import BarazaAnalysis
import Foundation
import Testing
@testable import BarazaPipeline

/// init → check; review export → a person codes → review import takes precedence; agreement.
struct CodingWorkflowTests {
    @Test func initDraftsALoadableFileThatBindsEveryDemoColumn() throws {
        let dir = try DemoEndToEndTests.tempDir()
        _ = try DemoGenerator().write(to: dir)
        let files = [
            dir + "/kenya/baseline_kobo.csv", dir + "/senegal/baseline_surveymonkey.csv", dir + "/kenya/followup",
        ]
        let text = try ConsultationDrafter.draft(files: files, base: dir)
        try Data(text.utf8).write(to: URL(fileURLWithPath: dir + "/draft.yml"))
        let c = try ConsultationLoader.load(path: dir + "/draft.yml")
        let ids = Set(c.questions.map(\.id))
        for id in ["pol1", "fin3", "lrn4", "support", "channels", "open_barriers", "obstacles"] {
            #expect(ids.contains(id), "\(id)")
        }
        #expect(c.question("pol1")?.columns.count == 2)  // Kobo and SurveyMonkey headers merged
        #expect(c.question("pol1")?.scale == "agree5")
        #expect(c.question("open_barriers")?.type == .text)
        #expect(c.question("soutiens_recus")?.type == .multiple)
        #expect(c.sources.map(\.groupColumn) == ["org_type", "Type d'organisation", "org_type"])
        #expect(text.contains("enabling_policies: Enabling policies and regulation"))
        let report = ConsultationChecker.check(c)
        #expect(report.errors == 0)
        #expect(
            !report.findings.contains {
                $0.message.contains("matches no scale point") && !$0.message.contains("Agree strongly")
            }
        )
    }

    @Test func aPersonsCodesReplaceTheRulesInTheReport() throws {
        let dir = try DemoEndToEndTests.tempDir()
        let (c, _) = try DemoEndToEndTests.runDemo(in: dir)
        let store = try SQLiteStore(path: c.storePath)
        let queue = try store.reviewQueue()
        let rules = try store.effectiveCodeRows().filter { $0.question == "barriers" && $0.code == "credit_cost" }
        #expect(!rules.isEmpty)
        // A person says the first credit_cost answer is really about donor dependency, and codes a queued answer.
        let first = rules[0]
        var rows: [(respondentID: String, question: String, code: String)] = [
            (first.respondentID, "barriers", "donor_dependency")
        ]
        if let q = queue.first { rows.append((q.respondentID, q.question, "coordination")) }
        let result = try store.importPersonCodes(rows + [("nobody", "barriers", "x")], coder: "amina")
        #expect(result.stored == rows.count && result.unknown.count == 1)
        // Every figure counts the person's code, not the rule's: the store's code tallies move by one.
        let tally = { (code: String) throws -> Int in
            try store.aggregate(by: ["group"], themes: [:], quotesPerCode: 0).codes["barriers"]?.values
                .reduce(0) { $0 + ($1.options[code]?.count ?? 0) } ?? 0
        }
        #expect(try tally("credit_cost") == rules.count - 1)
        #expect(
            try store.effectiveCodeRows()
                .contains { $0.respondentID == first.respondentID && $0.code == "donor_dependency" }
        )
        #expect(
            try !store.effectiveCodeRows()
                .contains {
                    $0.respondentID == first.respondentID && $0.question == "barriers" && $0.code == "credit_cost"
                }
        )
        #expect(try store.reviewQueue().count == queue.count - (queue.isEmpty ? 0 : 1))
        let why = try Explainer.explain(c, store: store, respondentID: first.respondentID)
            .filter { $0.question == "barriers" }
        #expect(why.map(\.reason) == ["coded by amina"])
        // A rule's code is explained by its rule and matched span.
        let ruled = try #require(try store.textAnswers().first { !$0.byPerson && $0.codes.contains("regulation") })
        let reasons = try Explainer.explain(c, store: store, respondentID: ruled.respondentID)
            .filter { $0.code == "regulation" }
        #expect(
            reasons.first?.reason.hasPrefix("rule \"") == true && reasons.first?.reason.contains(" matched \"") == true
        )
    }

    @Test func agreementOnTheCommandLine() throws {
        let dir = try DemoEndToEndTests.tempDir()
        try Data("response_id,question,code\n1,q,a\n2,q,b\n3,q,a\n".utf8)
            .write(to: URL(fileURLWithPath: dir + "/a.csv"))
        try Data("response_id,question,code\n1,q,a\n2,q,a\n3,q,a\n".utf8)
            .write(to: URL(fileURLWithPath: dir + "/b.csv"))
        let r = try CLITests.run(["agreement", dir + "/a.csv", dir + "/b.csv", "--json"])
        #expect(r.status == 0, "\(r.err)")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
        #expect(doc["answers"] as? Int == 3)
        let codes = try #require(doc["codes"] as? [[String: Any]])
        #expect(codes.first { $0["code"] as? String == "a" }?["recall"] as? Double == 2.0 / 3.0)
        try Data("id,q\n1,a\n".utf8).write(to: URL(fileURLWithPath: dir + "/bad.csv"))
        #expect(try CLITests.run(["agreement", dir + "/bad.csv", dir + "/b.csv"]).status == 2)
    }
}
