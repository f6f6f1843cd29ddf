import BarazaModel
import Foundation
import Testing
@testable import BarazaAnalysis

/// Chi-square, Fisher's exact and Welch's t against SciPy (Fixtures/make_reference.py).
struct CategoricalAndWaveTests {
    struct Reference: Decodable {
        struct Chi: Decodable {
            let table: [[Int]]
            let chi2: Double
            let p: Double
            let df: Int
        }
        struct Fisher: Decodable {
            let table: [[Int]]
            let p: Double
        }
        struct Welch: Decodable {
            let a: [String: Int]
            let b: [String: Int]
            let t: Double
            let p: Double
            let df: Double
            let low: Double
            let high: Double
        }
        let chi2_contingency: [Chi]
        let fisher: [Fisher]
        let welch: [Welch]
    }

    static func load() throws -> Reference {
        let url = try #require(
            Bundle.module.url(forResource: "reference", withExtension: "json", subdirectory: "Fixtures")
        )
        return try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
    }

    func close(_ a: Double?, _ b: Double, _ what: String, tol: Double = 1e-9) {
        #expect(
            a.map { abs($0 - b) <= tol * max(1, abs(b)) } == true,
            "\(what): \(String(describing: a)) vs reference \(b)"
        )
    }

    @Test func chiSquareMatchesSciPy() throws {
        for c in try Self.load().chi2_contingency {
            let r = CategoricalTests.chiSquare(c.table)
            close(r.statistic, c.chi2, "chi2 \(c.table)")
            close(r.p, c.p, "p \(c.table)")
            #expect(r.df == Double(c.df))
        }
    }

    @Test func fisherMatchesSciPy() throws {
        for f in try Self.load().fisher {
            let t = f.table
            close(CategoricalTests.fisher2x2(t[0][0], t[0][1], t[1][0], t[1][1]).p, f.p, "fisher \(t)")
        }
    }

    @Test func theTestSuitsTheTable() {
        #expect(CategoricalTests.independence([[30, 40], [35, 25]]).name == "Chi-square")
        #expect(CategoricalTests.independence([[3, 1], [1, 3]]).name == "Fisher's exact")
        let exact = CategoricalTests.independence([[3, 1, 2], [1, 3, 6]], replicates: 2000)
        #expect(exact.method?.hasPrefix("exact conditional") == true)
        // Three rows: a Monte-Carlo p with its standard error.
        let mc = CategoricalTests.independence([[3, 1, 2], [1, 3, 6], [2, 2, 1]], replicates: 2000)
        #expect(mc.method?.hasPrefix("Monte-Carlo") == true && mc.monteCarloError != nil)
        // A 2×k table with more tables than the limit falls back to Monte-Carlo too.
        let over = CategoricalTests.independence([[3, 1, 2], [1, 3, 6]], replicates: 2000, exactLimit: 5)
        #expect(over.method?.hasPrefix("Monte-Carlo") == true)
        #expect(CategoricalTests.independence([[0, 0], [4, 5]]).notComputed != nil)
    }

    @Test func monteCarloAgreesWithTheAsymptoticTestWhereBothHold() {
        let t = [[12, 30, 18], [40, 25, 33]]
        let mc = CategoricalTests.monteCarlo(t, replicates: 20_000, seed: 7)
        let asymptotic = CategoricalTests.chiSquare(t)
        #expect(abs((mc.p ?? 1) - (asymptotic.p ?? 0)) < 0.004)
        // Deterministic for a fixed seed.
        #expect(
            CategoricalTests.monteCarlo(t, replicates: 500, seed: 1).p
                == CategoricalTests.monteCarlo(t, replicates: 500, seed: 1).p
        )
    }

    @Test func welchMatchesSciPy() throws {
        for w in try Self.load().welch {
            let a = try #require(Statistics.describe(StatisticsReferenceTests.weighted(w.a)))
            let b = try #require(Statistics.describe(StatisticsReferenceTests.weighted(w.b)))
            let r = WelchTest.compare(a, b)
            close(r.test.statistic, w.t, "t")
            close(r.test.p, w.p, "p")
            // Relative too: a p of 1e-32 or 1e-80 keeps its digits (and is not 0).
            #expect(r.test.p.map { abs($0 - w.p) <= 1e-9 * w.p } == true, "p \(String(describing: r.test.p)) vs \(w.p)")
            close(r.test.df, w.df, "df")
            close(r.low, w.low, "ci low")
            close(r.high, w.high, "ci high")
        }
    }

    @Test func waveChangesAreSuppressedForSmallGroupsAndTestedOtherwise() {
        var plan = AnalyzerTests.plan()
        plan.waves = ["baseline", "follow-up"]
        var byWave = AggregatedData()
        byWave.themeScores["enabling_policies"] = [
            CellKey(group: "cso", wave: "baseline"): AnalyzerTests.counts([2: 6, 3: 4]),
            CellKey(group: "cso", wave: "follow-up"): AnalyzerTests.counts([3: 5, 4: 6]),
            CellKey(group: "government", wave: "baseline"): AnalyzerTests.counts([4: 3]),
            CellKey(group: "government", wave: "follow-up"): AnalyzerTests.counts([4: 8]),
        ]
        // The same answers by group over both waves, as the store gives them.
        var data = AggregatedData()
        data.themeScores["enabling_policies"] = [
            CellKey(group: "cso"): AnalyzerTests.counts([2: 6, 3: 9, 4: 6]),
            CellKey(group: "government"): AnalyzerTests.counts([4: 11]),
        ]
        let a = Analyzer(plan: plan).analyze(data, byWave: byWave)
        let cso = a.waveChanges.first { $0.group == "cso" }
        #expect(cso?.suppressed == false && cso?.fromN == 10 && cso?.toN == 11)
        #expect(abs((cso?.change ?? 0) - (3.5454545454545454 - 2.4)) < 1e-12)
        #expect(cso?.test.q != nil)
        let gov = a.waveChanges.first { $0.group == "government" }
        #expect(gov?.suppressed == true && gov?.change == nil && gov?.fromMean == nil)
    }

    @Test func equalGroupWeightsMakeEachGroupCountTheSameInTheTotal() {
        var plan = AnalyzerTests.plan()
        plan.weighting = .equalGroups
        var data = AggregatedData()
        data.items["q1"] = [
            CellKey(group: "government"): AnalyzerTests.counts([5: 30]),
            CellKey(group: "cso"): AnalyzerTests.counts([1: 10]),
        ]
        let total = Analyzer(plan: plan).analyze(data).themes[0].items[0].total
        #expect(total?.stats?.mean == 3)  // (5 + 1) / 2, not (150 + 10) / 40
        #expect(abs((total?.stats?.effectiveN ?? 0) - 30) < 1e-9)  // Kish: (Σw)² / Σw² = 40² / (30·(2/3)² + 10·2²)
        #expect(total?.answered == 40)
    }
}
