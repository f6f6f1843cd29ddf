import BarazaModel
import Foundation
import Testing

@testable import BarazaAnalysis

/// The classes of issue 28, each against a reference (SciPy/statsmodels values from
/// Fixtures/make_reference.py) or, where the defect is one of counting, against the counts.
struct HonestNumbersTests {
    struct Reference: Decodable {
        struct Pair: Decodable {
            let i: Int
            let j: Int
            let u: Double
            let r: Double
            let r_low: Double
            let r_high: Double
        }
        struct Case: Decodable {
            let groups: [[String: Int]]
            let mannwhitney: [Pair]
        }
        struct Box: Decodable {
            let values: [Int]
            let weights: [Double]
            let n_eff: Double
            let top: Double
            let top_low: Double
            let top_high: Double
            let bottom: Double
            let bottom_low: Double
            let bottom_high: Double
        }
        struct Exact: Decodable {
            let table: [[Int]]
            let chi2: Double
            let p: Double
            let cramers_v: Double
        }
        struct Clipped: Decodable {
            let table: [String: Int]
            let low: Double
            let high: Double
            let clipped: Bool
        }
        let cases: [String: Case]
        let weighted_boxes: [Box]
        let exact_2xk: [Exact]
        let clipped: [Clipped]
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

    static func weightedCounts(_ values: [Int], _ weights: [Double]) -> ValueCounts {
        var c = ValueCounts()
        for (v, w) in zip(values, weights) {
            c.values[Double(v), default: WeightedCount()].add(WeightedCount(count: 1, weight: w, weightSquared: w * w))
        }
        return c
    }

    // Effect sizes: the rank-biserial r of every Mann–Whitney pair, with its interval.
    @Test func rankBiserialOfEveryPairMatchesTheReference() throws {
        let ref = try Self.load()
        for (name, c) in ref.cases {
            let tables = c.groups.map(StatisticsReferenceTests.table)
            for pair in c.mannwhitney {
                let n1 = tables[pair.i].values.reduce(0, +)
                let n2 = tables[pair.j].values.reduce(0, +)
                let t = RankTests.mannWhitney(tables[pair.i], tables[pair.j])
                let e = try #require(RankBiserial(u: t.statistic, n1: n1, n2: n2))
                close(e.r, pair.r, "\(name) r")
                close(e.low, pair.r_low, "\(name) r low")
                close(e.high, pair.r_high, "\(name) r high")
            }
        }
        // In the analysis, every pair carries it.
        var data = AggregatedData()
        data.items["q1"] = [
            CellKey(group: "government"): AnalyzerTests.counts([4: 6, 5: 3]),
            CellKey(group: "cso"): AnalyzerTests.counts([1: 4, 2: 5]),
        ]
        let item = Analyzer(plan: AnalyzerTests.plan()).analyze(data).themes[0].items[0]
        #expect(item.pairwise.count == 1 && item.pairwise[0].effect?.r == 1)
    }

    // Class 4: weighted top/bottom-2-box intervals on the weighted share and n_eff, as real numbers.
    @Test func weightedBoxesUseWilsonOnTheEffectiveN() throws {
        let ref = try Self.load()
        var plan = AnalyzerTests.plan(minCell: 1)
        plan.weighting = .column
        let analyzer = Analyzer(plan: plan)
        for box in ref.weighted_boxes {
            let cell = analyzer.summarize(
                Self.weightedCounts(box.values, box.weights),
                cell: CellKey(group: "cso"),
                scale: AnalyzerTests.scale,
                min: 1,
                max: 5
            )
            close(cell.topBox?.share, box.top, "top share")
            close(cell.topBox?.low, box.top_low, "top low (n_eff \(box.n_eff))")
            close(cell.topBox?.high, box.top_high, "top high")
            close(cell.bottomBox?.low, box.bottom_low, "bottom low")
            close(cell.bottomBox?.high, box.bottom_high, "bottom high")
            close(cell.topBox?.effectiveBase, box.n_eff, "n_eff")
        }
    }

    // Class 4: option shares carry the interval of the weighted share on n_eff, not the unweighted one.
    @Test func weightedOptionSharesUseTheirOwnInterval() throws {
        let ref = try Self.load()
        let box = ref.weighted_boxes[1]
        var plan = AnalyzerTests.plan(minCell: 1)
        plan.weighting = .column
        plan.questions.append(Question(id: "m", type: .multiple, options: ["a", "b"]))
        var oc = OptionCounts()
        for (v, w) in zip(box.values, box.weights) {
            oc.answered += 1
            oc.answeredWeight += w
            oc.answeredWeightSquared += w * w
            if v >= 4 {
                oc.options["a", default: WeightedCount()].add(WeightedCount(count: 1, weight: w, weightSquared: w * w))
            }
        }
        var data = AggregatedData()
        data.choices["m"] = [CellKey(group: "cso"): oc]
        let table = try #require(Analyzer(plan: plan).analyze(data).choices.first)
        let a = try #require(table.rows.first { $0.option == "a" }?.shares["cso"])
        close(a.share, box.top, "share")
        close(a.low, box.top_low, "low")
        close(a.high, box.top_high, "high")
        close(table.bases.first?.effectiveBase, box.n_eff, "n_eff")
        // Class 10: the option nobody chose is listed at 0%.
        let b = try #require(table.rows.first { $0.option == "b" }?.shares["cso"])
        #expect(b.count == 0 && b.share == 0)
    }

    // Class 11: 2×k tables get the exact conditional p; Cramér's V beside every categorical test.
    @Test func twoByKTablesGetTheExactConditionalP() throws {
        let ref = try Self.load()
        for e in ref.exact_2xk {
            let r = CategoricalTests.independence(e.table)
            #expect(r.method?.hasPrefix("exact conditional") == true, "\(e.table): \(r.method ?? "")")
            close(r.statistic, e.chi2, "χ² \(e.table)")
            close(r.p, e.p, "exact p \(e.table)", tol: 1e-9)
            close(r.effect, e.cramers_v, "Cramér's V \(e.table)")
            #expect(r.monteCarloError == nil)
        }
    }

    // Class 11: where Monte-Carlo remains, each test has a seed of its own and says its error.
    @Test func monteCarloTestsAreSeededFromTheirOwnIdentity() {
        #expect(CategoricalTests.seed(for: "choice\u{1}q1\u{1}a") != CategoricalTests.seed(for: "choice\u{1}q1\u{1}b"))
        #expect(CategoricalTests.seed(for: "x") == CategoricalTests.seed(for: "x"))
        let t = [[3, 1, 2], [1, 3, 6], [2, 2, 1]]
        let a = CategoricalTests.independence(t, replicates: 4000, seed: CategoricalTests.seed(for: "a"))
        let b = CategoricalTests.independence(t, replicates: 4000, seed: CategoricalTests.seed(for: "b"))
        #expect(a.p != b.p)  // different replicates
        let p = a.p ?? 0
        close(a.monteCarloError, (p * (1 - p) / 4000).squareRoot(), "MC standard error")
    }

    // Class 12: a mean's interval past the scale is cut at its end and marked.
    @Test func intervalsPastTheScaleAreCutAndMarked() throws {
        let ref = try Self.load()
        for c in ref.clipped {
            let d = try #require(Statistics.describe(StatisticsReferenceTests.weighted(c.table), bounds: 1...5))
            close(d.ciLow, c.low, "low \(c.table)")
            close(d.ciHigh, c.high, "high \(c.table)")
            #expect(d.ciClipped == c.clipped)
        }
    }

    // Class 2: respondents with too few of a theme's items answered are a missing kind of their own.
    @Test func unscoredRespondentsAreCountedInTheThemeBase() {
        var data = AggregatedData()
        data.themeScores["enabling_policies"] = [CellKey(group: "cso"): AnalyzerTests.counts([2: 4, 3: 3])]
        data.themeUnscored["enabling_policies"] = [CellKey(group: "cso"): 2]
        let score = Analyzer(plan: AnalyzerTests.plan()).analyze(data).themes[0].score
        let cso = score.byGroup.first { $0.cell.group == "cso" }
        #expect(cso?.answered == 7 && cso?.asked == 9 && cso?.missing?[.tooFewItems] == 2)
    }

    // Class 7: a reverse-coded item's distribution stays under the labels people ticked.
    @Test func reverseCodedItemsKeepTheTickedLabels() throws {
        var plan = AnalyzerTests.plan()
        plan.questions = [Question(id: "q1", type: .likert, theme: "enabling_policies", scale: "agree5", reverse: true)]
        var data = AggregatedData()
        // Stored as scored: six ticked "p5" (strongly agree with a negative statement) are stored as 1.
        data.items["q1"] = [CellKey(group: "cso"): AnalyzerTests.counts([1: 6, 4: 2])]
        let cso = try #require(Analyzer(plan: plan).analyze(data).themes[0].items[0].byGroup.first)
        #expect(cso.distribution?.map(\.count) == [0, 2, 0, 0, 6])
        #expect(cso.topBox?.count == 6)  // the two highest points as ticked
        #expect(abs((cso.stats?.mean ?? 0) - 1.75) < 1e-12)  // the mean is of the scored values
    }

    // Don't-know and refusal rates per group, of those asked.
    @Test func dontKnowAndRefusalRatesAreFiguresOfTheirOwn() {
        var data = AggregatedData()
        data.items["q1"] = [CellKey(group: "cso"): AnalyzerTests.counts([3: 6], missing: [.dontKnow: 3, .refused: 1])]
        let cso = Analyzer(plan: AnalyzerTests.plan()).analyze(data).themes[0].items[0].byGroup.first
        #expect(cso?.dontKnow?.count == 3 && cso?.dontKnow?.base == 10 && cso?.refused?.share == 0.1)
    }

    // The theme gap carries Welch's interval.
    @Test func theThemeGapHasAWelchInterval() throws {
        var data = AggregatedData()
        data.themeScores["enabling_policies"] = [
            CellKey(group: "government"): AnalyzerTests.counts([4: 6, 5: 3]),
            CellKey(group: "cso"): AnalyzerTests.counts([1: 4, 2: 5]),
        ]
        let gap = try #require(Analyzer(plan: AnalyzerTests.plan()).analyze(data).themes[0].gap)
        let lo = try #require(Statistics.describe(AnalyzerTests.counts([1: 4, 2: 5]).values))
        let hi = try #require(Statistics.describe(AnalyzerTests.counts([4: 6, 5: 3]).values))
        let w = WelchTest.compare(lo, hi)
        #expect(gap.high == "government" && gap.ciLow == w.low && gap.ciHigh == w.high && (gap.ciLow ?? 0) > 0)
    }
}
