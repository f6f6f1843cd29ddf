import BarazaModel

/// A theme's scores country by country: all groups together per country, and within each group a
/// test between its countries (Kruskal–Wallis), so that a difference between countries is not
/// mistaken for one between groups.
public struct CountryComparison: Sendable, Hashable, Codable {
    /// Per country, the groups shown together (only cells shown within a group are added, so no
    /// total reveals a hidden cell).
    public var byCountry: [CellSummary]
    public var withinGroups: [WithinGroup]

    public struct WithinGroup: Sendable, Hashable, Codable {
        public var group: String
        /// The group's cells per country, protected within the group.
        public var cells: [CellSummary]
        public var test: TestResult
    }
}

extension Analyzer {
    /// The country comparison of one theme's score cells, when the report breaks its figures down by
    /// country and the data has two countries or more; nil otherwise.
    func compareCountries(_ cells: [CellKey: ValueCounts], groupOrder: [String], lo: Double, hi: Double)
        -> CountryComparison?
    {
        guard plan.by.contains("country") else { return nil }
        let countries = Set(cells.keys.compactMap(\.country)).sorted()
        guard countries.count >= 2 else { return nil }
        // Within each shown group, its countries protected like a table whose total is the group's
        // row. The countries' pooled cells then add only cells shown here: a pooled total less the
        // shown cells can reveal nothing hidden.
        var pooled: [String: ValueCounts] = [:]
        var within: [CountryComparison.WithinGroup] = []
        for g in groupOrder {
            var own: [String: ValueCounts] = [:]
            for (k, c) in cells.sorted(by: { $0.key < $1.key }) where k.group == g {
                if let country = k.country { own[country, default: ValueCounts()].merge(c) }
            }
            let present = countries.filter { own[$0] != nil }
            let (cellKinds, _) = Disclosure.protect(present.map { own[$0]?.answered ?? 0 }, minCell: plan.minCell)
            for (country, kind) in zip(present, cellKinds) where kind == .shown {
                pooled[country, default: ValueCounts()].merge(own[country] ?? ValueCounts())
            }
            guard present.count >= 2 else { continue }
            let summaries = zip(present, cellKinds)
                .map { country, kind in
                    kind == .shown
                        ? summarize(
                            own[country] ?? ValueCounts(),
                            cell: CellKey(group: g, country: country),
                            scale: nil,
                            min: lo,
                            max: hi
                        ) : Self.hidden(CellKey(group: g, country: country), kind)
                }
            let tested = zip(present, cellKinds).filter { $0.1 == .shown }.map(\.0)
            var test = RankTests.kruskalWallis(tested.map { (own[$0] ?? ValueCounts()).values.mapValues(\.count) })
            if tested.count < 2 { test.notComputed = "fewer than two countries with at least \(plan.minCell) answers" }
            within.append(.init(group: g, cells: summaries, test: test))
        }
        let byCountry = countries.map { country in
            let c = pooled[country] ?? ValueCounts()
            return c.answered >= plan.minCell
                ? summarize(c, cell: CellKey(country: country), scale: nil, min: lo, max: hi)
                : Self.hidden(CellKey(country: country), .small)
        }
        return CountryComparison(byCountry: byCountry, withinGroups: within)
    }
}
