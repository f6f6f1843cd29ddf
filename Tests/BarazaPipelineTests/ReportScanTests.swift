import BarazaCoding
import BarazaModel
import Foundation
import Testing
@testable import BarazaPipeline
@testable import BarazaStore

/// A large store's report pass runs in two halves on two connections and merges them; the result
/// must be what one pass gives: every table, theme score, quote and count (weights are sums of
/// halves and quarters here, so sums are exact in any order).
struct ReportScanTests {
    @Test func twoHalvesGiveWhatOnePassGives() throws {
        let dir = try DemoEndToEndTests.tempDir()
        var rng = SplitMix64(seed: 11)
        func pick<T>(_ xs: [T]) -> T { xs[Int(rng.next() % UInt64(xs.count))] }
        let words = ["funding", "training", "data", "late", "the", "budget", "formation", "não", "pas de financement", "coordination"]
        var csv = "id,org,country,w,q1,q2,q3,sm,open\n"
        for i in 0..<3000 {
            let text = (0..<Int(rng.next() % 30)).map { _ in pick(words) }.joined(separator: " ")
            // Some respondents answer twice (the later one counts), so the halves see superseded rows.
            let id = i % 7 == 0 ? "r\(i / 2)" : "r\(i)"
            csv += "\(id),\(pick(["NGO", "Ministry", "Private company", "UN agency"])),\(pick(["Kenya", "Senegal", "Peru"])),"
            csv += "\(pick(["1", "0.5", "2.25", "1.75"])),\(pick(["Agree", "Disagree", "Strongly agree", "", "Don't know", "meh"])),"
            csv += "\(pick(["Agree", "Neither agree nor disagree", ""])),\(pick(["1", "2.5", "7", ""])),\(pick(["web radio", "radio", "", "tv"])),\"\(text)\"\n"
        }
        try Data(csv.utf8).write(to: URL(fileURLWithPath: dir + "/a.csv"))
        try Data("""
        version: 1
        consultation: H
        questions:
          - {id: q1, theme: local_capacity, scale: agree5}
          - {id: q2, theme: local_capacity, scale: agree5, reverse: true}
          - {id: q3, type: number}
          - {id: sm, type: multiple, options: [web, radio, tv]}
          - {id: open, type: text, codebook: topics}
        codebooks:
          topics:
            - {code: funding, theme: access_to_finance, match: ["funding", "financement", "budget*"], exclude: ["pas de financement"]}
            - {code: training, theme: local_capacity, match: ["training", "formation"]}
            - {code: data, theme: learning_knowledge, match: ["data"]}
        sources: [{path: a.csv, group_column: org, country_column: country, id_column: id, weight_column: w}]
        """.utf8).write(to: URL(fileURLWithPath: dir + "/c.yml"))
        let c = try ConsultationLoader.load(path: dir + "/c.yml")
        let store = try SQLiteStore(path: c.storePath)
        var d = Diagnostics()
        #expect(ImportJob(consultation: c, store: store).importFile(dir + "/a.csv", source: c.sources[0], diagnostics: &d).outcome == .imported)
        // A person's codes replace the rules' for some answers.
        _ = try store.importPersonCodes([("r5", "open", "data"), ("r11", "open", "funding"), ("r13", "open", "other")], coder: "t")
        var themes: [String: [String]] = [:]
        for q in c.questions where q.type == .likert { if let t = q.theme { themes[t, default: []].append(q.id) } }
        for dimensions in [["group"], ["group", "country"]] {
            let one = try store.aggregate(by: dimensions, themes: themes, quotesPerCode: 3, halvesFrom: .max)
            let two = try store.aggregate(by: dimensions, themes: themes, quotesPerCode: 3, halvesFrom: 1)
            #expect(one.items == two.items)
            #expect(one.themeScores == two.themeScores && one.themeUnscored == two.themeUnscored)
            #expect(one.choices == two.choices && one.codes == two.codes)
            #expect(one.respondents == two.respondents)
            #expect(one.quotes == two.quotes)
            #expect(one.quality == two.quality)
            #expect(one.respondents.values.reduce(0) { $0 + $1.count } > 2500)
            #expect(one.quotes.count > 10)
        }
    }
}
