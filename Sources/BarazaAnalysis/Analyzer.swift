import BarazaModel
import Foundation

/// Turns the store's frequency tables into the figures a consultation report shows.
public struct Analyzer: Sendable {
    public let plan: AnalysisPlan

    public init(plan: AnalysisPlan) { self.plan = plan }

    private func groupLabel(_ id: String) -> String { plan.groups.first { $0.id == id }?.label ?? id }

    /// Collapses cells to stakeholder group only (country and wave summed); unmapped (nil) dropped.
    static func byGroup(_ cells: [CellKey: ValueCounts]) -> [String: ValueCounts] {
        var out: [String: ValueCounts] = [:]
        for (k, v) in cells.sorted(by: { $0.key < $1.key }) { if let g = k.group { out[g, default: ValueCounts()].merge(v) } }
        return out
    }

    func summarize(_ counts: ValueCounts, cell: CellKey, scale: Scale?, min lo: Double, max hi: Double, forceSuppress: Bool = false) -> CellSummary {
        let answered = counts.answered
        if answered < plan.minCell || forceSuppress {
            return CellSummary(cell: cell, suppressed: true)
        }
        var distribution: [ScaleCount]?
        if let scale {
            distribution = scale.points.map { p in
                ScaleCount(value: Double(p.value), label: p.labels.first ?? String(p.value), count: counts.values[Double(p.value)]?.count ?? 0)
            }
        }
        let stats = Statistics.describe(counts.values)
        var top: Proportion?, bottom: Proportion?
        if scale != nil, hi - lo >= 3 {
            let sorted = counts.values.sorted { $0.key < $1.key }
            let sw = sorted.reduce(0.0) { $0 + $1.value.weight }
            let topW = sorted.filter { $0.key >= hi - 1 }.reduce(0.0) { $0 + $1.value.weight }
            let botW = sorted.filter { $0.key <= lo + 1 }.reduce(0.0) { $0 + $1.value.weight }
            // With weights the share is weighted and the interval's base is Kish's effective n.
            let base = stats.map { Int($0.effectiveN.rounded()) } ?? answered
            if var t = Statistics.wilson(count: Int((topW / sw * Double(base)).rounded()), base: base) {
                t.share = topW / sw; t.count = counts.values.filter { $0.key >= hi - 1 }.reduce(0) { $0 + $1.value.count }; t.base = answered
                top = t
            }
            if var b = Statistics.wilson(count: Int((botW / sw * Double(base)).rounded()), base: base) {
                b.share = botW / sw; b.count = counts.values.filter { $0.key <= lo + 1 }.reduce(0) { $0 + $1.value.count }; b.base = answered
                bottom = b
            }
        }
        return CellSummary(cell: cell, suppressed: false, asked: counts.asked, answered: answered, missing: counts.missing,
                           unrecognised: counts.unrecognised, distribution: distribution, stats: stats, topBox: top, bottomBox: bottom,
                           consensus: scale != nil ? Statistics.consensus(counts.values, minValue: lo, maxValue: hi) : nil)
    }

    func measure(id: String, label: String, theme: String?, reverse: Bool, scale: Scale?, lo: Double, hi: Double,
                 cells: [CellKey: ValueCounts]) -> MeasureResult {
        let groups = Self.byGroup(cells)
        let order = plan.groups.map(\.id).filter { groups[$0] != nil } + groups.keys.filter { g in !plan.groups.contains { $0.id == g } }.sorted()
        let byGroup = order.map { g in summarize(groups[g] ?? ValueCounts(), cell: CellKey(group: g), scale: scale, min: lo, max: hi) }
        let multi = plan.by.contains("country") || plan.by.contains("wave")
        var byCell = multi ? cells.keys.filter { $0.group != nil }.sorted().map { k in
            summarize(cells[k] ?? ValueCounts(), cell: k, scale: scale, min: lo, max: hi)
        } : []
        // Secondary suppression: when one cell of a group is suppressed, its group total minus the
        // group's other cells would reveal it, so the group's other cells are suppressed too.
        let groupsWithSmallCells = Set(byCell.filter(\.suppressed).compactMap(\.cell.group))
        byCell = byCell.map { $0.suppressed || !groupsWithSmallCells.contains($0.cell.group ?? "") ? $0 : CellSummary(cell: $0.cell, suppressed: true) }
        var all = ValueCounts()
        let groupWeight = groups.mapValues { $0.values.values.reduce(0.0) { $0 + $1.weight } }
        let meanWeight = groupWeight.values.reduce(0, +) / Double(max(1, groupWeight.count))
        for (g, c) in groups.sorted(by: { $0.key < $1.key }) {
            // Equal weight per group: each group's answers together weigh the same in the total.
            if plan.weighting == .equalGroups, let w = groupWeight[g], w > 0 { all.merge(c.scaled(by: meanWeight / w)) } else { all.merge(c) }
        }
        let anySuppressed = byGroup.contains { $0.suppressed } || byCell.contains { $0.suppressed }
        // A total beside exactly one suppressed group would reveal it by subtraction.
        let suppressedCount = byGroup.filter(\.suppressed).count
        let total: CellSummary? = (anySuppressed && suppressedCount == 1) ? nil
            : summarize(all, cell: CellKey(), scale: scale, min: lo, max: hi)
        let tested = byGroup.filter { !$0.suppressed }.compactMap(\.cell.group)
        let untested = byGroup.filter(\.suppressed).compactMap(\.cell.group)
        let tables = tested.map { g in (groups[g] ?? ValueCounts()).values.mapValues(\.count) }
        var test = RankTests.kruskalWallis(tables)
        if tested.count < 2, !untested.isEmpty {
            test.notComputed = "fewer than two groups with at least \(plan.minCell) answers"
        }
        var pairwise: [PairwiseResult] = []
        if test.notComputed == nil {
            for i in 0..<tested.count {
                for j in (i + 1)..<tested.count {
                    pairwise.append(PairwiseResult(groupA: tested[i], groupB: tested[j], test: RankTests.mannWhitney(tables[i], tables[j])))
                }
            }
            let ps = pairwise.map { $0.test.p ?? 1 }
            for (k, h) in MultipleTesting.holm(ps).enumerated() { pairwise[k].pHolm = h }
        }
        return MeasureResult(id: id, label: label, theme: theme, reverse: reverse, scaleMin: lo, scaleMax: hi, byGroup: byGroup, byCell: byCell,
                             total: total, test: test, pairwise: pairwise, untestedGroups: untested)
    }

    func shareTable(question: String, label: String, cells: [CellKey: OptionCounts], optionOrder: [String],
                    info: (String) -> (String, String?)) -> ShareTable {
        var groups: [String: OptionCounts] = [:]
        for (k, v) in cells.sorted(by: { $0.key < $1.key }) {
            guard let g = k.group else { continue }
            var acc = groups[g, default: OptionCounts()]
            acc.answered += v.answered; acc.answeredWeight += v.answeredWeight; acc.missing += v.missing
            for (o, c) in v.options.sorted(by: { $0.key < $1.key }) { acc.options[o, default: WeightedCount()].add(c) }
            groups[g] = acc
        }
        let order = plan.groups.map(\.id).filter { groups[$0] != nil }
        let bases = order.map { g in
            let a = groups[g]?.answered ?? 0
            return ShareTable.Base(group: g, answered: a < plan.minCell ? nil : a, suppressed: a < plan.minCell)
        }
        let seen = Set(groups.values.flatMap { $0.options.keys })
        let options = optionOrder.filter { seen.contains($0) } + seen.subtracting(optionOrder).sorted()
        let rows = options.map { o -> ShareTable.Row in
            var shares: [String: Proportion] = [:]
            for b in bases where !b.suppressed {
                let oc = groups[b.group] ?? OptionCounts()
                if var p = Statistics.wilson(count: oc.options[o]?.count ?? 0, base: oc.answered) {
                    if oc.answeredWeight > 0, let w = oc.options[o]?.weight { p.share = w / oc.answeredWeight }
                    shares[b.group] = p
                }
            }
            let (l, t) = info(o)
            // Chosen / not chosen by (unsuppressed) group.
            let tested = bases.filter { !$0.suppressed }
            let table = [tested.map { groups[$0.group]?.options[o]?.count ?? 0 },
                         tested.map { (groups[$0.group]?.answered ?? 0) - (groups[$0.group]?.options[o]?.count ?? 0) }]
            let test: TestResult? = tested.count >= 2 ? CategoricalTests.independence(table) : nil
            return ShareTable.Row(option: o, label: l, theme: t, shares: shares, test: test)
        }
        return ShareTable(question: question, label: label, bases: bases, rows: rows)
    }

    /// `byWave`: the same store aggregated by group × wave, for wave changes (nil to skip them).
    public func analyze(_ data: AggregatedData, byWave: AggregatedData? = nil) -> ConsultationAnalysis {
        var themes: [ThemeResult] = []
        for theme in plan.themes {
            let items = plan.questions.filter { $0.theme == theme.id && ($0.type == .likert || $0.type == .number) }
            var itemResults: [MeasureResult] = []
            var lo = 1.0, hi = 5.0
            for q in items {
                let scale = q.scale.flatMap { plan.scales[$0] }
                let qlo = Double(scale?.minValue ?? 0), qhi = Double(scale?.maxValue ?? 0)
                if q.type == .likert { lo = qlo; hi = qhi }
                itemResults.append(measure(id: q.id, label: q.text ?? q.id, theme: theme.id, reverse: q.reverse, scale: scale,
                                           lo: qlo, hi: qhi, cells: data.items[q.id] ?? [:]))
            }
            let score = measure(id: theme.id, label: "\(theme.label) (theme score)", theme: theme.id, reverse: false, scale: nil,
                                lo: lo, hi: hi, cells: data.themeScores[theme.id] ?? [:])
            let shown = score.byGroup.filter { !$0.suppressed && $0.stats != nil }
            var gap: ThemeGap?
            if let top = shown.max(by: { ($0.stats?.mean ?? 0, $1.cell.group ?? "") < ($1.stats?.mean ?? 0, $0.cell.group ?? "") }),
               let bottom = shown.min(by: { ($0.stats?.mean ?? 0, $0.cell.group ?? "") < ($1.stats?.mean ?? 0, $1.cell.group ?? "") }),
               shown.count >= 2, let a = top.stats?.mean, let b = bottom.stats?.mean {
                gap = ThemeGap(theme: theme.id, high: top.cell.group ?? "", low: bottom.cell.group ?? "", difference: a - b)
            }
            var codeTables: [ShareTable] = []
            for q in plan.questions where q.type == .text {
                let cells = data.codes[q.id] ?? [:]
                var t = shareTable(question: q.id, label: q.text ?? q.id, cells: cells, optionOrder: [], info: { c in
                    let i = plan.codeInfo[c]; return (i?.label ?? c, i?.theme)
                })
                t.rows = t.rows.filter { $0.theme == theme.id }
                if !t.rows.isEmpty { codeTables.append(t) }
            }
            themes.append(ThemeResult(theme: theme, score: score, items: itemResults, gap: gap, codes: codeTables))
        }
        let choices = plan.questions.filter { $0.type == .multiple || $0.type == .single }.map { q in
            shareTable(question: q.id, label: q.text ?? q.id, cells: data.choices[q.id] ?? [:], optionOrder: q.options.map { $0 }, info: { ($0, nil) })
        }
        var choiceTables = choices
        // Benjamini–Hochberg over every between-group test in the report.
        enum Ref { case score(Int), item(Int, Int), code(Int, Int, Int), choice(Int, Int), wave(Int) }
        var changes = waveChanges(byWave)
        var refs: [Ref] = []
        var ps: [Double] = []
        for (ti, t) in themes.enumerated() {
            if let p = t.score.test.p { refs.append(.score(ti)); ps.append(p) }
            for (ii, item) in t.items.enumerated() { if let p = item.test.p { refs.append(.item(ti, ii)); ps.append(p) } }
            for (ci, table) in t.codes.enumerated() {
                for (ri, row) in table.rows.enumerated() { if let p = row.test?.p { refs.append(.code(ti, ci, ri)); ps.append(p) } }
            }
        }
        for (ci, table) in choiceTables.enumerated() {
            for (ri, row) in table.rows.enumerated() { if let p = row.test?.p { refs.append(.choice(ci, ri)); ps.append(p) } }
        }
        for (wi, w) in changes.enumerated() { if let p = w.test.p { refs.append(.wave(wi)); ps.append(p) } }
        for (k, q) in MultipleTesting.benjaminiHochberg(ps).enumerated() {
            switch refs[k] {
            case .score(let ti): themes[ti].score.test.q = q
            case .item(let ti, let ii): themes[ti].items[ii].test.q = q
            case .code(let ti, let ci, let ri): themes[ti].codes[ci].rows[ri].test?.q = q
            case .choice(let ci, let ri): choiceTables[ci].rows[ri].test?.q = q
            case .wave(let wi): changes[wi].test.q = q
            }
        }
        // Respondents per group.
        var groupCounts: [String: Int] = [:]
        for (k, c) in data.respondents { if let g = k.group { groupCounts[g, default: 0] += c.count } }
        let respondents = plan.groups.map(\.id).filter { groupCounts[$0] != nil }.map { g in
            let n = groupCounts[g] ?? 0
            return n < plan.minCell ? CellSummary(cell: CellKey(group: g), suppressed: true) : CellSummary(cell: CellKey(group: g), suppressed: false, asked: n, answered: n)
        }
        // Quotes: per question, code and unsuppressed group.
        let suppressedGroups = Set(respondents.filter(\.suppressed).compactMap(\.cell.group))
        var quotes: [QuoteSet] = []
        var grouped: [String: QuoteSet] = [:]
        var keys: [String] = []
        for q in data.quotes {
            guard let g = q.cell.group, !suppressedGroups.contains(g) else { continue }
            let key = "\(q.question)\u{1}\(q.code)\u{1}\(g)"
            if grouped[key] == nil { grouped[key] = QuoteSet(question: q.question, code: q.code, group: g, texts: []); keys.append(key) }
            grouped[key]?.texts.append(q.text)
        }
        for k in keys { if let v = grouped[k] { quotes.append(v) } }
        return ConsultationAnalysis(title: plan.title, groups: plan.groups, by: plan.by, minCell: plan.minCell, respondents: respondents,
                                    totalRespondents: data.quality.activeResponses, themes: themes, choices: choiceTables, quotes: quotes,
                                    quality: data.quality, testCount: ps.count, dataPeriod: nil,
                                    waveChanges: changes, weighting: plan.weighting)
    }

    /// Change of each theme score per group from the first to the last wave. `byWave` holds theme
    /// scores by group × wave (nil when the data has fewer than two waves).
    func waveChanges(_ byWave: AggregatedData?) -> [WaveChange] {
        guard let byWave, let first = plan.waves.first, let last = plan.waves.last, first != last else { return [] }
        var out: [WaveChange] = []
        for theme in plan.themes {
            let cells = byWave.themeScores[theme.id] ?? [:]
            for g in plan.groups.map(\.id) {
                let a = cells[CellKey(group: g, wave: first)] ?? ValueCounts(), b = cells[CellKey(group: g, wave: last)] ?? ValueCounts()
                if a.answered == 0 && b.answered == 0 { continue }
                if a.answered < plan.minCell || b.answered < plan.minCell {
                    out.append(WaveChange(measure: theme.id, group: g, fromWave: first, toWave: last, test: TestResult(name: "Welch's t",
                               notComputed: "fewer than \(plan.minCell) answers in a wave"), suppressed: true))
                    continue
                }
                guard let da = Statistics.describe(a.values), let db = Statistics.describe(b.values) else { continue }
                let w = WelchTest.compare(da, db)
                out.append(WaveChange(measure: theme.id, group: g, fromWave: first, toWave: last, fromMean: da.mean, toMean: db.mean,
                                      fromN: da.n, toN: db.n, change: w.diff, ciLow: w.low, ciHigh: w.high, test: w.test, suppressed: false))
            }
        }
        return out
    }
}
