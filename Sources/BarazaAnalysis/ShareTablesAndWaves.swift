import BarazaModel
import Foundation

/// The option and code share tables, and the change of each theme score between waves.
extension Analyzer {

    func shareTable(
        question: String,
        label: String,
        cells: [CellKey: OptionCounts],
        optionOrder: [String],
        info: (String) -> (String, String?),
        identity: String
    ) -> ShareTable {
        var groups: [String: OptionCounts] = [:]
        for (k, v) in cells.sorted(by: { $0.key < $1.key }) {
            guard let g = k.group else { continue }
            var acc = groups[g, default: OptionCounts()]
            acc.answered += v.answered
            acc.answeredWeight += v.answeredWeight
            acc.missing += v.missing
            acc.answeredWeightSquared += v.answeredWeightSquared
            for (o, c) in v.options.sorted(by: { $0.key < $1.key }) { acc.options[o, default: WeightedCount()].add(c) }
            groups[g] = acc
        }
        let order = plan.groups.map(\.id).filter { groups[$0] != nil }
        let (kinds, _) = Disclosure.protect(order.map { groups[$0]?.answered ?? 0 }, minCell: plan.minCell)
        let bases = zip(order, kinds)
            .map { g, kind in
                let oc = groups[g] ?? OptionCounts()
                let nEff =
                    weighted && oc.answeredWeightSquared > 0
                    ? oc.answeredWeight * oc.answeredWeight / oc.answeredWeightSquared : nil
                return kind == .shown
                    ? ShareTable.Base(group: g, answered: oc.answered, suppressed: false, effectiveBase: nEff)
                    : ShareTable.Base(group: g, answered: nil, suppressed: true, withheld: kind == .withheld)
            }
        // Every listed option, chosen or not (an option nobody chose is a finding too), then any
        // other code seen.
        let seen = Set(groups.values.flatMap { $0.options.keys })
        let options = optionOrder + seen.subtracting(optionOrder).sorted()
        let rows = options.map { o -> ShareTable.Row in
            var shares: [String: Proportion] = [:]
            for b in bases where !b.suppressed {
                let oc = groups[b.group] ?? OptionCounts()
                let c = oc.options[o] ?? WeightedCount()
                shares[b.group] = Statistics.share(
                    count: c.count,
                    weight: c.weight,
                    base: oc.answered,
                    baseWeight: oc.answeredWeight,
                    baseWeightSquared: oc.answeredWeightSquared,
                    weighted: weighted
                )
            }
            let (l, t) = info(o)
            // Chosen / not chosen by shown group.
            let tested = bases.filter { !$0.suppressed }
            let table = [
                tested.map { groups[$0.group]?.options[o]?.count ?? 0 },
                tested.map { (groups[$0.group]?.answered ?? 0) - (groups[$0.group]?.options[o]?.count ?? 0) },
            ]
            let test: TestResult? =
                tested.count >= 2
                ? CategoricalTests.independence(table, seed: CategoricalTests.seed(for: "\(identity)\u{1}\(o)")) : nil
            return ShareTable.Row(option: o, label: l, theme: t, shares: shares, test: test)
        }
        return ShareTable(question: question, label: label, bases: bases, rows: rows)
    }

    /// Change of each theme score per group from the first to the last wave. `byWave` holds theme
    /// scores by group × wave (nil when the data has fewer than two waves). A group whose theme score
    /// is hidden is not compared (its two waves would add up to it), nor one whose other waves
    /// together hold fewer than the minimum (the group's score less the two would expose them).
    func waveChanges(_ byWave: AggregatedData?, themes: [ThemeResult]) -> [WaveChange] {
        guard let byWave, let first = plan.waves.first, let last = plan.waves.last, first != last else { return [] }
        var out: [WaveChange] = []
        for theme in plan.themes {
            let cells = byWave.themeScores[theme.id] ?? [:]
            let shown = themes.first { $0.theme.id == theme.id }?.score.byGroup ?? []
            for g in plan.groups.map(\.id) {
                let a = cells[CellKey(group: g, wave: first)] ?? ValueCounts()
                let b = cells[CellKey(group: g, wave: last)] ?? ValueCounts()
                if a.answered == 0 && b.answered == 0 { continue }
                let between = cells.filter { $0.key.group == g && $0.key.wave != first && $0.key.wave != last }
                    .reduce(0) { $0 + $1.value.answered }
                let hiddenGroup = shown.first { $0.cell.group == g }?.suppressed ?? true
                if a.answered < plan.minCell || b.answered < plan.minCell || hiddenGroup
                    || (between > 0 && between < plan.minCell)
                {
                    let why =
                        a.answered < plan.minCell || b.answered < plan.minCell
                        ? "fewer than \(plan.minCell) answers in a wave" : "withheld to protect a small group"
                    out.append(
                        WaveChange(
                            measure: theme.id,
                            group: g,
                            fromWave: first,
                            toWave: last,
                            test: TestResult(name: "Welch's t", notComputed: why),
                            suppressed: true
                        )
                    )
                    continue
                }
                guard let da = Statistics.describe(a.values), let db = Statistics.describe(b.values) else { continue }
                let w = WelchTest.compare(da, db)
                out.append(
                    WaveChange(
                        measure: theme.id,
                        group: g,
                        fromWave: first,
                        toWave: last,
                        fromMean: da.mean,
                        toMean: db.mean,
                        fromN: da.n,
                        toN: db.n,
                        change: w.diff,
                        ciLow: w.low,
                        ciHigh: w.high,
                        test: w.test,
                        suppressed: false
                    )
                )
            }
        }
        return out
    }
}
