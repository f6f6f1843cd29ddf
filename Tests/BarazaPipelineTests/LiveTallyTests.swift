import BarazaKit
import BarazaCoding
import BarazaModel
import Foundation
import GRDB
import Testing
@testable import BarazaPipeline
@testable import BarazaStore

/// The report's tallies kept while batches are written (`LiveAggregates`) must be what the pass
/// over the stored responses gives, and must not be used once they no longer stand for the store.
struct LiveTallyTests {
    /// A consultation of two files (two waves) and its folder. Groups, countries, Likert items in
    /// two themes, a number (some values too large for the packed byte), a multiple choice whose
    /// options are met in the data (one only from a file's row 1,500 on, so that the tallies widen
    /// after counting rows), open texts coded and quoted. With `weights`, weights whose sums are
    /// exact in any order (and `weightTotal` their sum); with `repeats`, every seventh row
    /// repeats an earlier respondent id (the later one counts).
    static func fixture(weights: Bool = false, repeats: Bool = false) throws -> (
        c: Consultation, dir: String, weightTotal: Double
    ) {
        let dir = try DemoEndToEndTests.tempDir()
        var rng = SplitMix64(seed: 5)
        func pick<T>(_ xs: [T]) -> T { xs[Int(rng.next() % UInt64(xs.count))] }
        let words = [
            "funding", "training", "data", "late", "the", "budget", "formation", "não", "pas de financement",
            "coordination",
        ]
        var weightTotal = 0.0
        func csv(_ ids: Range<Int>, late: String) -> String {
            var s = "id,org,country,w,q1,q2,q3,q4,sm,open\n"
            for i in ids {
                let text = (0..<Int(rng.next() % 30)).map { _ in pick(words) }.joined(separator: " ")
                let options =
                    pick(["web radio", "radio", "", "tv", "web"])
                    + (i % ids.count >= 1500 && i % 3 == 0 ? " \(late)" : "")
                let weight = weights ? pick([1, 0.5, 2.25, 1.75]) : 1
                weightTotal += weight
                s +=
                    "r\(repeats && i % 7 == 0 ? i / 2 : i),\(pick(["NGO", "Ministry", "Private company", "UN agency"])),\(pick(["Kenya", "Senegal", "Peru"])),"
                s += "\(weight),\(pick(["Agree", "Disagree", "Strongly agree", "", "Don't know", "meh"])),"
                s += "\(pick(["Agree", "Neither agree nor disagree", ""])),\(pick(["1", "2.5", "7", "", "1000"])),"
                s += "\(pick(["Strongly disagree", "Agree", ""])),\(options),\"\(text)\"\n"
            }
            return s
        }
        try Data(csv(0..<2600, late: "satellite").utf8).write(to: URL(fileURLWithPath: dir + "/a.csv"))
        try Data(csv(2600..<5200, late: "print").utf8).write(to: URL(fileURLWithPath: dir + "/b.csv"))
        let weight = weights ? ", weight_column: w" : ""
        try Data(
            """
            version: 1
            consultation: L
            questions:
              - {id: q1, theme: local_capacity, scale: agree5}
              - {id: q2, theme: local_capacity, scale: agree5, reverse: true}
              - {id: q3, type: number}
              - {id: q4, theme: enabling_policies, scale: agree5}
              - {id: sm, type: multiple}
              - {id: open, type: text, codebook: topics}
            codebooks:
              topics:
                - {code: funding, theme: access_to_finance, match: ["funding", "financement", "budget*"], exclude: ["pas de financement"]}
                - {code: training, theme: local_capacity, match: ["training", "formation"]}
                - {code: data, theme: learning_knowledge, match: ["data"]}
            sources:
              - {path: a.csv, wave: baseline, group_column: org, country_column: country, id_column: id\(weight)}
              - {path: b.csv, wave: endline, group_column: org, country_column: country, id_column: id\(weight)}
            """
            .utf8
        )
        .write(to: URL(fileURLWithPath: dir + "/c.yml"))
        return (try ConsultationLoader.load(path: dir + "/c.yml"), dir, weightTotal)
    }

    static func importAll(_ c: Consultation, _ store: SQLiteStore) -> [FileImportResult] {
        var job = ImportJob(consultation: c, store: store)
        job.now = { Date(timeIntervalSince1970: 0) }
        var d = Diagnostics()
        return job.sourceFiles().map { job.importFile($0.path, source: $0.source, diagnostics: &d) }
    }

    /// Whether the store would answer `request` from its live tallies.
    static func live(_ store: SQLiteStore, _ request: AggregateRequest) throws -> Bool {
        try store.db.read { db in try store.liveScan(for: request, db) } != nil
    }

    static func expectSame(_ a: AggregatedData, _ b: AggregatedData) {
        #expect(a.items == b.items)
        #expect(a.themeScores == b.themeScores && a.themeUnscored == b.themeUnscored)
        #expect(a.choices == b.choices && a.codes == b.codes)
        #expect(a.respondents == b.respondents)
        #expect(a.quotes == b.quotes)
        #expect(a.quality == b.quality)
    }

    @Test func liveTalliesGiveWhatThePassGives() throws {
        let (c, dir, _) = try Self.fixture()
        let store = try SQLiteStore(path: c.storePath)
        let report = ReportJob(consultation: c, store: store)
        report.tallyWhileImporting()
        let requests = report.aggregateRequests()
        let byWave = try #require(requests.byWave)
        #expect(Self.importAll(c, store).map(\.outcome) == [.imported, .imported])
        for request in [requests.report, byWave] {
            #expect(try Self.live(store, request))
            let kept = try store.aggregate(request, halvesFrom: .max, live: true)
            Self.expectSame(kept, try store.aggregate(request, halvesFrom: 1, live: false))
            Self.expectSame(kept, try store.aggregate(request, halvesFrom: .max, live: false))
            // The fixture meets what it is there for: every cell, options met late, quotes, numbers off the packed byte.
            #expect(kept.respondents.values.reduce(0) { $0 + $1.count } == 5200)
            for late in ["satellite", "print"] {
                #expect(kept.choices["sm"]?.values.contains { $0.options[late] != nil } == true)
            }
            #expect(kept.items["q3"]?.values.contains { $0.values[1000] != nil } == true)
            #expect(!kept.themeScores.isEmpty && !kept.quotes.isEmpty == (request.quotesPerCode > 0))
        }
        #expect(try store.aggregate(requests.report).respondents.count == 4)
        // Not asked for: the pass.
        #expect(
            try !Self.live(
                store,
                AggregateRequest(by: ["group", "country"], themes: requests.report.themes, quotesPerCode: 3)
            )
        )
        // The report from the live tallies is the report from another store object on the same
        // file, which has none, byte for byte.
        _ = try report.write(out: dir + "/live")
        _ = try ReportJob(consultation: c, store: try SQLiteStore(path: c.storePath)).write(out: dir + "/pass")
        let files = try FileManager.default.subpathsOfDirectory(atPath: dir + "/live").sorted()
        let passFiles = try FileManager.default.subpathsOfDirectory(atPath: dir + "/pass").sorted()
        #expect(files.count > 5 && files == passFiles)
        for f in files where !f.hasSuffix("tables") {
            #expect(FileManager.default.contentsEqual(atPath: dir + "/live/" + f, andPath: dir + "/pass/" + f), "\(f)")
        }
    }

    @Test func weightedRowsAreLeftToThePass() throws {
        let (c, _, total) = try Self.fixture(weights: true)
        let store = try SQLiteStore(path: c.storePath)
        let report = ReportJob(consultation: c, store: store)
        report.tallyWhileImporting()
        #expect(Self.importAll(c, store).map(\.outcome) == [.imported, .imported])
        #expect(try !Self.live(store, report.aggregateRequests().report))
        #expect(
            try store.aggregate(report.aggregateRequests().report).respondents.values.reduce(0.0) { $0 + $1.weight }
                == total
        )
    }
}
