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
        let c = try LiveTallyTests.fixture(weights: true, repeats: true).c
        let store = try SQLiteStore(path: c.storePath)
        #expect(LiveTallyTests.importAll(c, store).map(\.outcome) == [.imported, .imported])
        // A person's codes replace the rules' for some answers.
        _ = try store.importPersonCodes(
            [("r5", "open", "data"), ("r11", "open", "funding"), ("r13", "open", "other")],
            coder: "t"
        )
        var themes: [String: [String]] = [:]
        for q in c.questions where q.type == .likert { if let t = q.theme { themes[t, default: []].append(q.id) } }
        for dimensions in [["group"], ["group", "country"], ["wave"]] {
            let one = try store.aggregate(
                AggregateRequest(by: dimensions, themes: themes, quotesPerCode: 3),
                halvesFrom: .max
            )
            let two = try store.aggregate(
                AggregateRequest(by: dimensions, themes: themes, quotesPerCode: 3),
                halvesFrom: 1
            )
            LiveTallyTests.expectSame(one, two)
            #expect(one.respondents.values.reduce(0) { $0 + $1.count } == 4829)  // distinct ids
            #expect(one.quotes.count > 10)
        }
    }
}
