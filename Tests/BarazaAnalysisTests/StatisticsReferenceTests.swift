import BarazaModel
import Foundation
import Testing
@testable import BarazaAnalysis

/// Statistics against SciPy/statsmodels values computed by Fixtures/make_reference.py.
struct StatisticsReferenceTests {
    struct Reference: Decodable {
        struct Case: Decodable {
            struct KW: Decodable {
                let h: Double
                let p: Double
                let epsilon2: Double
            }
            struct MW: Decodable {
                let i: Int
                let j: Int
                let u: Double
                let p: Double
            }
            struct Desc: Decodable {
                let n: Int
                let mean: Double
                let sd: Double?
                let ci_low: Double?
                let ci_high: Double?
                let median: Double
            }
            let groups: [[String: Int]]
            let kruskal: KW?
            let mannwhitney: [MW]
            let describe: [Desc]
        }
        struct Wilson: Decodable {
            let count: Int
            let base: Int
            let low: Double
            let high: Double
        }
        struct Adjust: Decodable {
            let p: [Double]
            let adjusted: [Double]
        }
        struct TQ: Decodable {
            let df: Double
            let q975: Double
        }
        struct Chi: Decodable {
            let x: Double
            let df: Double
            let p: Double
        }
        let cases: [String: Case]
        let wilson: [Wilson]
        let holm: Adjust
        let bh: Adjust
        let t_interval: [TQ]
        let chi2_sf: [Chi]
    }

    static func load() throws -> Reference {
        let url = try #require(
            Bundle.module.url(forResource: "reference", withExtension: "json", subdirectory: "Fixtures")
        )
        return try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
    }

    static func table(_ g: [String: Int]) -> [Double: Int] {
        Dictionary(uniqueKeysWithValues: g.compactMap { k, v in Double(k).map { ($0, v) } })
    }

    static func weighted(_ g: [String: Int]) -> [Double: WeightedCount] {
        table(g).mapValues { WeightedCount(count: $0, weight: Double($0), weightSquared: Double($0)) }
    }

    func close(_ a: Double?, _ b: Double?, _ tol: Double = 1e-9, _ what: String) {
        guard let a, let b else {
            #expect(a == nil && b == nil, "\(what): \(String(describing: a)) vs \(String(describing: b))")
            return
        }
        #expect(abs(a - b) <= tol * max(1, abs(b)), "\(what): \(a) vs reference \(b)")
    }

    @Test func kruskalWallisMatchesSciPy() throws {
        let ref = try Self.load()
        for (name, c) in ref.cases {
            guard let kw = c.kruskal else { continue }
            let r = RankTests.kruskalWallis(c.groups.map(Self.table))
            close(r.statistic, kw.h, 1e-9, "\(name) H")
            close(r.p, kw.p, 1e-9, "\(name) p")
            close(r.effect, kw.epsilon2, 1e-9, "\(name) ε²")
        }
    }

    @Test func mannWhitneyMatchesSciPy() throws {
        let ref = try Self.load()
        for (name, c) in ref.cases {
            for m in c.mannwhitney {
                let r = RankTests.mannWhitney(Self.table(c.groups[m.i]), Self.table(c.groups[m.j]))
                close(r.statistic, m.u, 1e-9, "\(name) U \(m.i)-\(m.j)")
                close(r.p, m.p, 1e-9, "\(name) p \(m.i)-\(m.j) (\(r.method ?? ""))")
                #expect(
                    r.p.map { abs($0 - m.p) <= 1e-9 * m.p } == true,
                    "\(name) p relative: \(String(describing: r.p)) vs \(m.p)"
                )
            }
        }
    }

    /// The exact distribution's memory grows with the smaller sample only: 8 answers against 20,000
    /// (an n1²·n2² table would be 2.6e10 doubles) in one array of at most 80,001 counts.
    @Test func exactMannWhitneyForASmallGroupAgainstAHugeOne() {
        var large: [Double: Int] = [:]
        for i in 1...20_000 { large[Double(i)] = 1 }
        let small: [Double: Int] = [
            20_000.5: 1, 20_001.5: 1, 20_002.5: 1, 20_003.5: 1, 20_004.5: 1, 20_005.5: 1, 20_006.5: 1, 20_007.5: 1,
        ]
        let r = RankTests.mannWhitney(small, large)
        #expect(r.method == "exact")
        // Every small answer above every large one: 2 / C(20008, 8).
        var total = 1.0
        for i in 1...8 { total = total * Double(20_000 + i) / Double(i) }
        #expect(r.p.map { abs($0 - 2 / total) <= 1e-9 * (2 / total) } == true, "\(String(describing: r.p))")
    }

    @Test func descriptivesMatchNumPyAndTInterval() throws {
        let ref = try Self.load()
        for (name, c) in ref.cases {
            for (g, d) in zip(c.groups, c.describe) {
                let s = try #require(Statistics.describe(Self.weighted(g)))
                #expect(s.n == d.n)
                close(s.mean, d.mean, 1e-12, "\(name) mean")
                close(s.sd, d.sd, 1e-9, "\(name) sd")
                close(s.ciLow, d.ci_low, 1e-9, "\(name) ci low")
                close(s.ciHigh, d.ci_high, 1e-9, "\(name) ci high")
                close(s.median, d.median, 0, "\(name) median")
            }
        }
    }

    @Test func wilsonMatchesStatsmodels() throws {
        for w in try Self.load().wilson {
            let p = try #require(Statistics.wilson(count: w.count, base: w.base))
            close(p.low, w.low, 1e-9, "wilson \(w.count)/\(w.base) low")
            close(p.high, w.high, 1e-9, "wilson \(w.count)/\(w.base) high")
        }
    }

    @Test func holmAndBenjaminiHochbergMatchStatsmodels() throws {
        let ref = try Self.load()
        for (a, b) in zip(MultipleTesting.holm(ref.holm.p), ref.holm.adjusted) { close(a, b, 1e-12, "holm") }
        for (a, b) in zip(MultipleTesting.benjaminiHochberg(ref.bh.p), ref.bh.adjusted) { close(a, b, 1e-12, "bh") }
    }

    @Test func distributionFunctionsMatchSciPy() throws {
        let ref = try Self.load()
        for t in ref.t_interval {
            close(Distributions.studentTQuantile(0.975, df: t.df), t.q975, 1e-9, "t q975 df \(t.df)")
        }
        for c in ref.chi2_sf { close(Distributions.chiSquareSF(c.x, df: c.df), c.p, 1e-9, "chi2 sf \(c.x) df \(c.df)") }
    }

    @Test func testsSayWhyWhenTheyCannotBeComputed() {
        #expect(RankTests.kruskalWallis([[3: 4]]).notComputed != nil)
        #expect(RankTests.kruskalWallis([[3: 4], [3: 6]]).notComputed?.contains("no variance") == true)
        #expect(RankTests.kruskalWallis([[1: 2], [:]]).notComputed != nil)
        #expect(RankTests.mannWhitney([2: 3], [:]).notComputed != nil)
    }

    @Test func consensusIsOneForUnanimityAndZeroForAnEvenSplitAtTheExtremes() throws {
        close(
            Statistics.consensus([4: WeightedCount(count: 9, weight: 9, weightSquared: 9)], minValue: 1, maxValue: 5),
            1,
            1e-12,
            "unanimous"
        )
        let split: [Double: WeightedCount] = [
            1: WeightedCount(count: 5, weight: 5, weightSquared: 5),
            5: WeightedCount(count: 5, weight: 5, weightSquared: 5),
        ]
        close(Statistics.consensus(split, minValue: 1, maxValue: 5), 0, 1e-12, "split")
    }
}
