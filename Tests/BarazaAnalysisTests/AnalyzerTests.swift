import BarazaModel
import Testing
@testable import BarazaAnalysis

/// Suppression and edge cases of the analyzer, on hand-made frequency tables.
struct AnalyzerTests {
    static let scale = Scale(id: "agree5", points: (1...5).map { ScalePoint(value: $0, labels: ["p\($0)"]) })

    static func plan(minCell: Int = 5) -> AnalysisPlan {
        AnalysisPlan(
            title: "t",
            themes: [Theme(id: "enabling_policies", label: "Policies")],
            groups: StakeholderGroup.defaults,
            questions: [Question(id: "q1", type: .likert, theme: "enabling_policies", scale: "agree5")],
            scales: ["agree5": scale],
            codeInfo: [:],
            by: ["group"],
            minCell: minCell
        )
    }

    static func counts(_ values: [Double: Int], missing: [MissingKind: Int] = [:]) -> ValueCounts {
        var c = ValueCounts()
        for (v, n) in values { c.values[v] = WeightedCount(count: n, weight: Double(n), weightSquared: Double(n)) }
        c.missing = missing
        return c
    }

    @Test func smallCellsCarryNoFiguresAndAreNotTested() {
        var data = AggregatedData()
        data.items["q1"] = [
            CellKey(group: "government"): Self.counts([4: 6, 5: 3]), CellKey(group: "cso"): Self.counts([1: 4, 2: 5]),
            CellKey(group: "development_partner"): Self.counts([5: 4]),  // 4 < 5: suppressed
        ]
        let a = Analyzer(plan: Self.plan()).analyze(data)
        let item = a.themes[0].items[0]
        let dp = item.byGroup.first { $0.cell.group == "development_partner" }
        #expect(dp?.suppressed == true)
        #expect(dp?.stats == nil && dp?.distribution == nil && dp?.answered == nil)
        // The total minus the shown groups would give the small group away, so the smallest shown
        // group (government, 9) is withheld with it, labelled as such, and both left out of tests.
        let gov = item.byGroup.first { $0.cell.group == "government" }
        #expect(gov?.suppressed == true && gov?.withheld == true && gov?.answered == nil)
        #expect(dp?.withheld == false)
        #expect(item.untestedGroups == ["government", "development_partner"])
        #expect(item.pairwise.isEmpty && item.test.notComputed != nil)
        // The total is shown: minus cso it leaves 13, the two hidden groups together, shown as such.
        #expect(item.total?.answered == 22 && item.others?.answered == 13)
        #expect(item.otherGroups == ["government", "development_partner"])
    }

    @Test func emptyScalePointsAreKeptInTheDistribution() {
        var data = AggregatedData()
        data.items["q1"] = [
            CellKey(group: "government"): Self.counts([2: 3, 4: 5], missing: [.dontKnow: 2, .blank: 1])
        ]
        let s = Analyzer(plan: Self.plan()).analyze(data).themes[0].items[0].byGroup[0]
        #expect(s.distribution?.map(\.count) == [0, 3, 0, 5, 0])
        #expect(s.answered == 8)
        #expect(s.asked == 11)
        #expect(s.missing?[.dontKnow] == 2)
        #expect(s.topBox?.count == 5)
    }

    @Test func edgeCasesSayWhyInsteadOfPrintingANumber() {
        // One group only; every answer identical; every answer missing; a group of one.
        var data = AggregatedData()
        data.items["q1"] = [CellKey(group: "government"): Self.counts([3: 9])]
        #expect(Analyzer(plan: Self.plan()).analyze(data).themes[0].items[0].test.notComputed != nil)
        data.items["q1"] = [
            CellKey(group: "government"): Self.counts([3: 9]), CellKey(group: "cso"): Self.counts([3: 7]),
        ]
        let same = Analyzer(plan: Self.plan()).analyze(data).themes[0].items[0]
        #expect(same.test.notComputed?.contains("no variance") == true)
        #expect(same.byGroup[0].stats?.sd == 0)
        data.items["q1"] = [CellKey(group: "government"): Self.counts([:], missing: [.blank: 9])]
        let missing = Analyzer(plan: Self.plan(minCell: 1)).analyze(data).themes[0].items[0].byGroup[0]
        #expect(missing.suppressed == true)  // 0 answers is below any min_cell
        data.items["q1"] = [CellKey(group: "government"): Self.counts([4: 1])]
        let one = Analyzer(plan: Self.plan(minCell: 1)).analyze(data).themes[0].items[0].byGroup[0]
        #expect(one.stats?.mean == 4 && one.stats?.sd == nil && one.stats?.ciLow == nil)
    }
}

struct SecondarySuppressionTests {
    @Test func aGroupsOtherCellsAreSuppressedWhenOneOfItsCellsIsSmall() {
        var plan = AnalyzerTests.plan()
        plan.by = ["group", "country"]
        var data = AggregatedData()
        data.items["q1"] = [
            CellKey(group: "development_partner", country: "Kenya"): AnalyzerTests.counts([3: 10, 4: 4]),
            CellKey(group: "development_partner", country: "Senegal"): AnalyzerTests.counts([5: 4]),
            CellKey(group: "cso", country: "Kenya"): AnalyzerTests.counts([2: 8]),
            CellKey(group: "cso", country: "Senegal"): AnalyzerTests.counts([1: 9]),
        ]
        let item = Analyzer(plan: plan).analyze(data).themes[0].items[0]
        // The group total (18) is shown; neither of its country cells may be, or 18 − 14 gives the small one away.
        #expect(item.byGroup.first { $0.cell.group == "development_partner" }?.answered == 18)
        let partners = item.byCell.filter { $0.cell.group == "development_partner" }
        let csos = item.byCell.filter { $0.cell.group == "cso" }
        #expect(partners.count == 2 && partners.allSatisfy { $0.suppressed })
        #expect(csos.count == 2 && csos.allSatisfy { !$0.suppressed })
    }
}
