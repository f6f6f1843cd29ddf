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
        for (k, v) in cells.sorted(by: { $0.key < $1.key }) {
            if let g = k.group { out[g, default: ValueCounts()].merge(v) }
        }
        return out
    }

    var weighted: Bool { plan.weighting != .none }

    /// A shown cell's figures. Values arrive as scored (a reverse-coded item's flipped); the
    /// distribution and the top- and bottom-2-box are given under the labels people ticked, the
    /// mean, median and consensus on the scored values.
    func summarize(
        _ counts: ValueCounts,
        cell: CellKey,
        scale: Scale?,
        min lo: Double,
        max hi: Double,
        reverse: Bool = false
    ) -> CellSummary {
        let answered = counts.answered
        let ticked =
            reverse && scale != nil
            ? Dictionary(uniqueKeysWithValues: counts.values.map { (lo + hi - $0.key, $0.value) }) : counts.values
        var distribution: [ScaleCount]?
        if let scale {
            distribution = scale.points.map { p in
                ScaleCount(
                    value: Double(p.value),
                    label: p.labels.first ?? String(p.value),
                    count: ticked[Double(p.value)]?.count ?? 0
                )
            }
        }
        let stats = Statistics.describe(counts.values, bounds: hi > lo ? lo...hi : nil)
        var top: Proportion?
        var bottom: Proportion?
        if scale != nil, hi - lo >= 3 {
            let sorted = ticked.sorted { $0.key < $1.key }
            let sw = sorted.reduce(0.0) { $0 + $1.value.weight }
            let sw2 = sorted.reduce(0.0) { $0 + $1.value.weightSquared }
            func box(_ inBox: (Double) -> Bool) -> Proportion? {
                let chosen = sorted.filter { inBox($0.key) }
                return Statistics.share(
                    count: chosen.reduce(0) { $0 + $1.value.count },
                    weight: chosen.reduce(0.0) { $0 + $1.value.weight },
                    base: answered,
                    baseWeight: sw,
                    baseWeightSquared: sw2,
                    weighted: weighted
                )
            }
            top = box { $0 >= hi - 1 }
            bottom = box { $0 <= lo + 1 }
        }
        let asked = counts.asked
        return CellSummary(
            cell: cell,
            suppressed: false,
            asked: asked,
            answered: answered,
            missing: counts.missing,
            unrecognised: counts.unrecognised,
            distribution: distribution,
            stats: stats,
            topBox: top,
            bottomBox: bottom,
            consensus: scale != nil ? Statistics.consensus(counts.values, minValue: lo, maxValue: hi) : nil,
            dontKnow: Statistics.wilson(count: counts.missing[.dontKnow] ?? 0, base: asked),
            refused: Statistics.wilson(count: counts.missing[.refused] ?? 0, base: asked)
        )
    }

    static func hidden(_ cell: CellKey, _ kind: Disclosure.Cell) -> CellSummary {
        CellSummary(cell: cell, suppressed: true, withheld: kind == .withheld)
    }

    func measure(
        id: String,
        label: String,
        theme: String?,
        reverse: Bool,
        scale: Scale?,
        lo: Double,
        hi: Double,
        cells: [CellKey: ValueCounts]
    ) -> MeasureResult {
        let groups = Self.byGroup(cells)
        let order =
            plan.groups.map(\.id).filter { groups[$0] != nil }
            + groups.keys.filter { g in !plan.groups.contains { $0.id == g } }.sorted()
        let (kinds, totalShown) = Disclosure.protect(order.map { groups[$0]?.answered ?? 0 }, minCell: plan.minCell)
        let byGroup = zip(order, kinds)
            .map { g, kind in
                kind == .shown
                    ? summarize(
                        groups[g] ?? ValueCounts(),
                        cell: CellKey(group: g),
                        scale: scale,
                        min: lo,
                        max: hi,
                        reverse: reverse
                    ) : Self.hidden(CellKey(group: g), kind)
            }
        let hiddenGroups = Set(zip(order, kinds).filter { $0.1 != .shown }.map(\.0))
        let multi = plan.by.contains("country") || plan.by.contains("wave")
        var byCell: [CellSummary] = []
        if multi {
            // Within a group, the cells are protected like the groups of a table whose total is the
            // group's row; a hidden group hides all its cells (they would add up to it).
            let keys = cells.keys.filter { $0.group != nil }.sorted()
            for g in order {
                let own = keys.filter { $0.group == g }
                let sizes = own.map { cells[$0]?.answered ?? 0 }
                var (cellKinds, _) = Disclosure.protect(sizes, minCell: plan.minCell)
                if hiddenGroups.contains(g) { cellKinds = sizes.map { $0 < plan.minCell ? .small : .withheld } }
                for (k, kind) in zip(own, cellKinds) {
                    byCell.append(
                        kind == .shown
                            ? summarize(
                                cells[k] ?? ValueCounts(),
                                cell: k,
                                scale: scale,
                                min: lo,
                                max: hi,
                                reverse: reverse
                            ) : Self.hidden(k, kind)
                    )
                }
            }
        }
        var all = ValueCounts()
        var others = ValueCounts()
        let groupWeight = groups.mapValues { $0.values.values.reduce(0.0) { $0 + $1.weight } }
        let meanWeight = groupWeight.values.reduce(0, +) / Double(max(1, groupWeight.count))
        for (g, c) in groups.sorted(by: { $0.key < $1.key }) {
            // Equal weight per group: each group's answers together weigh the same in the total.
            let part =
                plan.weighting == .equalGroups && (groupWeight[g] ?? 0) > 0
                ? c.scaled(by: meanWeight / (groupWeight[g] ?? 1)) : c
            all.merge(part)
            if hiddenGroups.contains(g) { others.merge(part) }
        }
        let total: CellSummary =
            totalShown
            ? summarize(all, cell: CellKey(), scale: scale, min: lo, max: hi, reverse: reverse)
            : Self.hidden(CellKey(), .small)
        let otherGroups = order.filter { hiddenGroups.contains($0) }
        let othersCell =
            totalShown && otherGroups.count >= 2 && others.answered >= plan.minCell
            ? summarize(others, cell: CellKey(), scale: scale, min: lo, max: hi, reverse: reverse) : nil
        let tested = zip(order, kinds).filter { $0.1 == .shown }.map(\.0)
        let untested = otherGroups
        let tables = tested.map { g in (groups[g] ?? ValueCounts()).values.mapValues(\.count) }
        var test = RankTests.kruskalWallis(tables)
        if tested.count < 2, !untested.isEmpty {
            test.notComputed = "fewer than two groups with at least \(plan.minCell) answers"
        }
        var pairwise: [PairwiseResult] = []
        if test.notComputed == nil {
            for i in 0..<tested.count {
                for j in (i + 1)..<tested.count {
                    let t = RankTests.mannWhitney(tables[i], tables[j])
                    let effect = RankBiserial(
                        u: t.statistic,
                        n1: tables[i].values.reduce(0, +),
                        n2: tables[j].values.reduce(0, +)
                    )
                    pairwise.append(PairwiseResult(groupA: tested[i], groupB: tested[j], test: t, effect: effect))
                }
            }
            let ps = pairwise.map { $0.test.p ?? 1 }
            for (k, h) in MultipleTesting.holm(ps).enumerated() { pairwise[k].pHolm = h }
        }
        return MeasureResult(
            id: id,
            label: label,
            theme: theme,
            reverse: reverse,
            scaleMin: lo,
            scaleMax: hi,
            byGroup: byGroup,
            byCell: byCell,
            total: total,
            others: othersCell,
            otherGroups: othersCell == nil ? [] : otherGroups,
            test: test,
            pairwise: pairwise,
            untestedGroups: untested
        )
    }
    /// `byWave`: the same store aggregated by group × wave, for wave changes (nil to skip them).
    public func analyze(_ data: AggregatedData, byWave: AggregatedData? = nil) -> ConsultationAnalysis {
        var themes: [ThemeResult] = []
        for theme in plan.themes {
            let items = plan.questions.filter { $0.theme == theme.id && ($0.type == .likert || $0.type == .number) }
            var itemResults: [MeasureResult] = []
            var lo = 1.0
            var hi = 5.0
            for q in items {
                let scale = q.scale.flatMap { plan.scales[$0] }
                let qlo = Double(scale?.minValue ?? 0)
                let qhi = Double(scale?.maxValue ?? 0)
                if q.type == .likert {
                    lo = qlo
                    hi = qhi
                }
                itemResults.append(
                    measure(
                        id: q.id,
                        label: q.text ?? q.id,
                        theme: theme.id,
                        reverse: q.reverse,
                        scale: scale,
                        lo: qlo,
                        hi: qhi,
                        cells: data.items[q.id] ?? [:]
                    )
                )
            }
            // Respondents asked the theme's items who answered too few for a score are a missing kind
            // of their own, so that asked = scored + unscored.
            var scoreCells = data.themeScores[theme.id] ?? [:]
            for (k, n) in data.themeUnscored[theme.id] ?? [:] {
                scoreCells[k, default: ValueCounts()].missing[.tooFewItems] = n
            }
            let score = measure(
                id: theme.id,
                label: "\(theme.label) (theme score)",
                theme: theme.id,
                reverse: false,
                scale: nil,
                lo: lo,
                hi: hi,
                cells: scoreCells
            )
            let shown = score.byGroup.filter { !$0.suppressed && $0.stats != nil }
            var gap: ThemeGap?
            if let top = shown.max(by: {
                ($0.stats?.mean ?? 0, $1.cell.group ?? "") < ($1.stats?.mean ?? 0, $0.cell.group ?? "")
            }),
                let bottom = shown.min(by: {
                    ($0.stats?.mean ?? 0, $0.cell.group ?? "") < ($1.stats?.mean ?? 0, $1.cell.group ?? "")
                }), shown.count >= 2, let hs = top.stats, let ls = bottom.stats
            {
                let w = WelchTest.compare(ls, hs)
                gap = ThemeGap(
                    theme: theme.id,
                    high: top.cell.group ?? "",
                    low: bottom.cell.group ?? "",
                    difference: hs.mean - ls.mean,
                    ciLow: w.low,
                    ciHigh: w.high
                )
            }
            var codeTables: [ShareTable] = []
            for q in plan.questions where q.type == .text {
                let cells = data.codes[q.id] ?? [:]
                var t = shareTable(
                    question: q.id,
                    label: q.text ?? q.id,
                    cells: cells,
                    optionOrder: [],
                    info: { c in
                        let i = plan.codeInfo[c]
                        return (i?.label ?? c, i?.theme)
                    },
                    identity: "code\u{1}\(q.id)"
                )
                t.rows = t.rows.filter { $0.theme == theme.id }
                if !t.rows.isEmpty { codeTables.append(t) }
            }
            var result = ThemeResult(theme: theme, score: score, items: itemResults, gap: gap, codes: codeTables)
            result.countries = compareCountries(
                scoreCells,
                groupOrder: score.byGroup.filter { !$0.suppressed }.compactMap(\.cell.group),
                lo: lo,
                hi: hi
            )
            themes.append(result)
        }
        let choices = plan.questions.filter { $0.type == .multiple || $0.type == .single }
            .map { q in
                shareTable(
                    question: q.id,
                    label: q.text ?? q.id,
                    cells: data.choices[q.id] ?? [:],
                    optionOrder: q.options.map { $0 },
                    info: { ($0, nil) },
                    identity: "choice\u{1}\(q.id)"
                )
            }
        var choiceTables = choices
        // Benjamini–Hochberg over every between-group test in the report.
        enum Ref {
            case score(Int)
            case item(Int, Int)
            case code(Int, Int, Int)
            case choice(Int, Int)
            case wave(Int)
            case country(Int, Int)
        }
        var changes = waveChanges(byWave, themes: themes)
        var refs: [Ref] = []
        var ps: [Double] = []
        for (ti, t) in themes.enumerated() {
            if let p = t.score.test.p {
                refs.append(.score(ti))
                ps.append(p)
            }
            for (ii, item) in t.items.enumerated() {
                if let p = item.test.p {
                    refs.append(.item(ti, ii))
                    ps.append(p)
                }
            }
            for (ci, table) in t.codes.enumerated() {
                for (ri, row) in table.rows.enumerated() {
                    if let p = row.test?.p {
                        refs.append(.code(ti, ci, ri))
                        ps.append(p)
                    }
                }
            }
            for (gi, w) in (t.countries?.withinGroups ?? []).enumerated() {
                if let p = w.test.p {
                    refs.append(.country(ti, gi))
                    ps.append(p)
                }
            }
        }
        for (ci, table) in choiceTables.enumerated() {
            for (ri, row) in table.rows.enumerated() {
                if let p = row.test?.p {
                    refs.append(.choice(ci, ri))
                    ps.append(p)
                }
            }
        }
        for (wi, w) in changes.enumerated() {
            if let p = w.test.p {
                refs.append(.wave(wi))
                ps.append(p)
            }
        }
        for (k, q) in MultipleTesting.benjaminiHochberg(ps).enumerated() {
            switch refs[k] {
            case .score(let ti): themes[ti].score.test.q = q
            case .item(let ti, let ii): themes[ti].items[ii].test.q = q
            case .code(let ti, let ci, let ri): themes[ti].codes[ci].rows[ri].test?.q = q
            case .choice(let ci, let ri): choiceTables[ci].rows[ri].test?.q = q
            case .wave(let wi): changes[wi].test.q = q
            case .country(let ti, let gi): themes[ti].countries?.withinGroups[gi].test.q = q
            }
        }
        // Respondents per group.
        var groupCounts: [String: Int] = [:]
        for (k, c) in data.respondents { if let g = k.group { groupCounts[g, default: 0] += c.count } }
        // The headline's total is printed, so the groups it lists are protected like a table's.
        let respondentGroups = plan.groups.map(\.id).filter { groupCounts[$0] != nil }
        let (respondentKinds, _) = Disclosure.protect(
            respondentGroups.map { groupCounts[$0] ?? 0 },
            minCell: plan.minCell
        )
        let respondents = zip(respondentGroups, respondentKinds)
            .map { g, kind in
                let n = groupCounts[g] ?? 0
                return kind == .shown
                    ? CellSummary(cell: CellKey(group: g), suppressed: false, asked: n, answered: n)
                    : Self.hidden(CellKey(group: g), kind)
            }
        let hiddenRespondents = zip(respondentGroups, respondentKinds).filter { $0.1 != .shown }
            .reduce(0) { $0 + (groupCounts[$1.0] ?? 0) }
        // Quotes: per question, code and group not under the minimum (a withheld group is large
        // enough to be quoted).
        let suppressedGroups = Set(zip(respondentGroups, respondentKinds).filter { $0.1 == .small }.map(\.0))
        var quotes: [QuoteSet] = []
        var grouped: [String: QuoteSet] = [:]
        var keys: [String] = []
        for q in data.quotes {
            guard let g = q.cell.group, !suppressedGroups.contains(g) else { continue }
            let key = "\(q.question)\u{1}\(q.code)\u{1}\(g)"
            if grouped[key] == nil {
                grouped[key] = QuoteSet(question: q.question, code: q.code, group: g, texts: [])
                keys.append(key)
            }
            grouped[key]?.texts.append(q.text)
        }
        for k in keys { if let v = grouped[k] { quotes.append(v) } }
        return ConsultationAnalysis(
            title: plan.title,
            groups: plan.groups,
            by: plan.by,
            minCell: plan.minCell,
            respondents: respondents,
            otherRespondents: hiddenRespondents >= plan.minCell && respondents.filter(\.suppressed).count >= 2
                ? hiddenRespondents : nil,
            totalRespondents: data.quality.activeResponses,
            themes: themes,
            choices: choiceTables,
            quotes: quotes,
            quality: data.quality,
            testCount: ps.count,
            fieldwork: data.fieldwork.map(Fieldwork.init),
            waveChanges: changes,
            weighting: plan.weighting,
            respondentCells: respondentCells(data, groups: respondentGroups, kinds: respondentKinds)
                + (plan.by.contains("wave")
                    ? []
                    : byWave.map { respondentCells($0, groups: respondentGroups, kinds: respondentKinds, always: true) }
                        ?? []),
            targets: checkTargets(
                data,
                byWave: byWave,
                shownGroups: Set(zip(respondentGroups, respondentKinds).filter { $0.1 == .shown }.map(\.0))
            ),
            actions: plan.actions
        )
    }

    /// Respondents per group × country × wave, in the plan's group order: within a group its cells
    /// are protected like a table whose total is the group's row; a hidden group hides them all.
    /// `always`: the cells of `data` whatever the report's dimensions (the group × wave aggregate).
    func respondentCells(_ data: AggregatedData, groups: [String], kinds: [Disclosure.Cell], always: Bool = false)
        -> [CellSummary]
    {
        guard always || plan.by.contains("country") || plan.by.contains("wave") else { return [] }
        var out: [CellSummary] = []
        for (g, groupKind) in zip(groups, kinds) {
            // Waves in the consultation's order (the first wave first), the rest by name.
            let own = data.respondents.keys.filter { $0.group == g }
                .sorted {
                    let a = $0.wave.flatMap { plan.waves.firstIndex(of: $0) } ?? Int.max
                    let b = $1.wave.flatMap { plan.waves.firstIndex(of: $0) } ?? Int.max
                    return (a, $0) < (b, $1)
                }
            let sizes = own.map { data.respondents[$0]?.count ?? 0 }
            var (cellKinds, _) = Disclosure.protect(sizes, minCell: plan.minCell)
            if groupKind != .shown { cellKinds = sizes.map { $0 < plan.minCell ? .small : .withheld } }
            for (k, (n, kind)) in zip(own, zip(sizes, cellKinds)) {
                out.append(
                    kind == .shown
                        ? CellSummary(cell: k, suppressed: false, asked: n, answered: n) : Self.hidden(k, kind)
                )
            }
        }
        return out
    }
}
