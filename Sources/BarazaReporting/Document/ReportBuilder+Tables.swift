import BarazaAnalysis
import BarazaModel

/// The annex's tables and the two charts of the first version: heat map and answer bars.
extension Builder {
    func heatMap() -> Doc.Figure {
        let groups = a.respondents.compactMap(\.cell.group)
        let rows = a.themes.map { t in
            Doc.HeatMap.Row(
                label: t.theme.label,
                scaleMin: t.score.scaleMin,
                scaleMax: t.score.scaleMax,
                cells: groups.map { g -> Doc.HeatMap.Value in
                    let cell = t.score.byGroup.first { $0.cell.group == g }
                    if let cell, !cell.suppressed, let m = cell.stats?.mean { return .mean(m, n: cell.answered ?? 0) }
                    return .hidden(cell.map { Fmt.hiddenText($0, a.minCell) } ?? "no answers")
                }
            )
        }
        return Doc.Figure(
            title: "Theme score (mean, 1–5) by stakeholder group",
            caption: "Mean theme score per group (1 = most negative, 5 = most positive; reverse-coded items "
                + "flipped). Brown below the scale's neutral point, teal above it, darker the further from it; "
                + "each cell prints its value and base.",
            chart: .heatMap(Doc.HeatMap(columns: groups.map { label($0) }, rows: rows))
        )
    }

    func divergingBars(_ m: MeasureResult) -> Doc.Figure? {
        guard let points = m.byGroup.first(where: { $0.distribution != nil })?.distribution else { return nil }
        let rows = m.byGroup.map { row -> Doc.DivergingBars.Row in
            guard !row.suppressed, let dist = row.distribution, let n = row.answered, n > 0 else {
                return .init(
                    label: label(row.cell.group),
                    counts: nil,
                    hidden: Fmt.hiddenText(row, a.minCell),
                    n: 0,
                    missing: 0
                )
            }
            return .init(
                label: label(row.cell.group),
                counts: dist.map(\.count),
                hidden: nil,
                n: n,
                missing: row.asked.map { $0 - n } ?? 0
            )
        }
        let ticked =
            m.reverse
            ? " Answers are shown as ticked; the item is reverse-coded, so its scores count them the other way round."
            : ""
        let unweighted = weighted ? " Bars are unweighted shares of respondents." : ""
        return Doc.Figure(
            title: "Distribution of answers: \(m.label)",
            caption: "Share of each answer by group; disagreement to the left of the line, agreement to the right, "
                + "the neutral point split across it. Missing answers are counted apart, not in the bars." + ticked
                + unweighted,
            chart: .divergingBars(Doc.DivergingBars(item: m.label, points: points.map(\.label), rows: rows))
        )
    }

    func measureTable(_ m: MeasureResult, showBox: Bool) -> Doc.Table {
        var columns = [
            Doc.Column(title: "Group"), Doc.Column(title: weighted ? "n (n_eff)" : "n"), .init(title: "Missing"),
        ]
        if showBox { columns.append(.init(title: "Don't know / declined")) }
        columns += ["Mean", "95% CI", "SD", "Median"].map { Doc.Column(title: $0) }
        if showBox { columns += ["Top-2-box", "95% CI", "Consensus"].map { Doc.Column(title: $0) } }
        let others = m.others.map { [$0] } ?? []
        let rows = m.byGroup + m.byCell + others + (m.total.map { [$0] } ?? [])
        let cells = rows.enumerated()
            .map { i, r -> [Doc.Cell] in
                var name = label(r.cell.group)
                if let c = r.cell.country { name += " · \(c)" }
                if let w = r.cell.wave { name += " · \(w)" }
                if !others.isEmpty && i == rows.count - 2 {
                    name = "Other groups together (\(m.otherGroups.map { label($0) }.joined(separator: ", ")))"
                }
                if r.suppressed {
                    return [.text(name), .hidden(Fmt.hiddenText(r, a.minCell), span: columns.count - 1)]
                }
                var row: [Doc.Cell] = [.text(name), .figure(Fmt.base(r, weighted: weighted)), .text(Fmt.missing(r))]
                if showBox { row.append(.figure("\(Fmt.pct(r.dontKnow?.share)) / \(Fmt.pct(r.refused?.share))")) }
                row += [
                    .figure(Fmt.num(r.stats?.mean)), .figure(Fmt.ci(r.stats)), .figure(Fmt.num(r.stats?.sd)),
                    .figure(Fmt.num(r.stats?.median, 1)),
                ]
                if showBox {
                    row += [
                        .figure(Fmt.pct(r.topBox?.share)), .figure(Fmt.boxCI(r.topBox)), .figure(Fmt.num(r.consensus)),
                    ]
                }
                return row
            }
        return Doc.Table(columns: columns, rows: cells)
    }

    /// The between-group test in one note: the omnibus test, the groups left out, the pairs that differ.
    func test(_ m: MeasureResult) -> Doc.Block {
        if let why = m.test.notComputed {
            return .paragraph([.figure("Between-group test not computed: "), .text(why), .figure(".")], style: .note)
        }
        var runs: [Doc.Inline] = [
            .figure(
                "Kruskal–Wallis H = \(Fmt.num(m.test.statistic)), df = \(Fmt.num(m.test.df, 0)), "
                    + "p \(Fmt.pEquals(m.test.p)), BH q \(Fmt.pEquals(m.test.q)), ε² = \(Fmt.num(m.test.effect, 3))."
            )
        ]
        if !m.untestedGroups.isEmpty {
            runs += [
                .figure(" Not tested (hidden): "), .text(m.untestedGroups.map { label($0) }.joined(separator: ", ")),
                .figure("."),
            ]
        }
        let pairs = m.pairwise.filter { ($0.pHolm ?? 1) < 0.05 }
        if !pairs.isEmpty {
            runs.append(
                .figure(
                    " Pairs that differ (Mann–Whitney, Holm-adjusted p < 0.05; rank-biserial r, positive when the "
                        + "first is higher): "
                )
            )
            for (i, p) in pairs.enumerated() {
                if i > 0 { runs.append(.figure("; ")) }
                runs += [
                    .text(label(p.groupA)), .figure(" vs "), .text(label(p.groupB)),
                    .figure(" (p \(Fmt.pEquals(p.pHolm)), \(Fmt.rankBiserial(p.effect)))"),
                ]
            }
            runs.append(.figure("."))
        }
        return .paragraph(runs, style: .note)
    }

    func shareTable(_ t: ShareTable) -> Doc.Table {
        var columns = [Doc.Column(title: "Option")]
        for b in t.bases {
            let n = b.answered.map { n in b.effectiveBase.map { "\(n), n_eff \(Fmt.num($0, 1))" } ?? String(n) }
            columns.append(
                .init(title: label(b.group), detail: "n = \(n ?? Fmt.hiddenText(withheld: b.withheld, a.minCell))")
            )
        }
        columns.append(.init(title: "Differs by group?", numeric: false))
        let rows = t.rows.map { row -> [Doc.Cell] in
            [.text(row.label)]
                + t.bases.map { b -> Doc.Cell in
                    if b.suppressed { return .hidden(Fmt.hiddenText(withheld: b.withheld, a.minCell), span: 1) }
                    let p = row.shares[b.group]
                    return .share(Fmt.pct(p?.share), count: "\(p?.count ?? 0)")
                } + [.note(SummaryWriter.shortTest(row.test))]
        }
        return Doc.Table(columns: columns, rows: rows)
    }

    func waveTable() -> Doc.Table {
        let columns = [
            Doc.Column(title: "Theme", numeric: false), Doc.Column(title: "Group", numeric: false),
            .init(title: a.waveChanges[0].fromWave), .init(title: a.waveChanges[0].toWave), .init(title: "Change"),
            .init(title: "95% CI"), .init(title: "Welch p"), .init(title: "BH q"),
        ]
        let rows = a.waveChanges.map { w -> [Doc.Cell] in
            let theme = a.themes.first { $0.theme.id == w.measure }?.theme.label ?? w.measure
            if w.suppressed {
                return [.text(theme), .text(label(w.group)), .hidden(w.test.notComputed ?? Fmt.withheldText, span: 6)]
            }
            return [
                .text(theme), .text(label(w.group)), .figure("\(Fmt.num(w.fromMean)) (\(w.fromN ?? 0))"),
                .figure("\(Fmt.num(w.toMean)) (\(w.toN ?? 0))"),
                .figure(w.change.map { ($0 > 0 ? "+" : "") + Fmt.num($0) } ?? "–"),
                .figure("\(Fmt.num(w.ciLow)) to \(Fmt.num(w.ciHigh))"), .figure(Fmt.p(w.test.p)),
                .figure(Fmt.p(w.test.q)),
            ]
        }
        return Doc.Table(columns: columns, rows: rows)
    }

    /// The batches grouped by their source (a file, or a folder imported in several batches).
    func qualityTable() -> Doc.Table {
        let columns =
            [
                Doc.Column(title: "Source", numeric: false), Doc.Column(title: "Format", numeric: false),
                Doc.Column(title: "Batches"),
            ] + ["Records", "Responses", "Rejected", "Duplicates", "Superseded"].map { Doc.Column(title: $0) }
        var order: [String] = []
        var bySource: [String: [BatchRecord]] = [:]
        for b in a.quality.batches {
            if bySource[b.path] == nil { order.append(b.path) }
            bySource[b.path, default: []].append(b)
        }
        let rows = order.map { path -> [Doc.Cell] in
            let bs = bySource[path] ?? []
            func sum(_ f: (BatchRecord) -> Int) -> Doc.Cell { .figure(String(bs.reduce(0) { $0 + f($1) })) }
            let formats = bs.map(\.format).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
            return [
                .text(path), .text(formats.joined(separator: ", ")), .figure(String(bs.count)), sum(\.records),
                sum(\.responses), sum(\.rejected), sum(\.duplicates), sum(\.superseded),
            ]
        }
        return Doc.Table(columns: columns, rows: rows)
    }

}
