import BarazaAnalysis
import BarazaModel

/// Builds the `ReportDocument` from the analysis: the report's order, headings and wording live
/// here, once, for every format.
public enum ReportBuilder {
    public static func document(_ a: ConsultationAnalysis) -> ReportDocument {
        let b = Builder(a: a)
        var sections = [
            ReportDocument.Section(
                id: "summary",
                heading: "Summary",
                contentsTitle: "Summary",
                blocks: [.bullets(SummaryWriter.sentences(a))]
            ),
            ReportDocument.Section(
                id: "heatmap",
                heading: "Theme scores by stakeholder group",
                contentsTitle: "Theme scores by group",
                blocks: [.figure(b.heatMap())]
            ),
        ]
        sections += a.themes.map(b.theme)
        if !a.waveChanges.isEmpty {
            sections.append(
                ReportDocument.Section(
                    id: "waves",
                    heading: "Change between waves",
                    contentsTitle: "Change between waves",
                    blocks: [.table(b.waveTable())]
                )
            )
        }
        sections.append(
            ReportDocument.Section(
                id: "choices",
                heading: "Multiple-choice questions",
                contentsTitle: "Multiple-choice questions",
                blocks: a.choices.flatMap { [.heading($0.label, aside: nil), .table(b.shareTable($0))] }
            )
        )
        sections.append(
            ReportDocument.Section(
                id: "methodology",
                heading: "Methodology",
                contentsTitle: "Methodology",
                blocks: MethodologyText.paragraphs(a).map { .paragraph([.text($0)], style: .body) }
            )
        )
        sections.append(
            ReportDocument.Section(
                id: "quality",
                heading: "Data quality",
                contentsTitle: "Data quality",
                blocks: [
                    .table(b.qualityTable()),
                    .paragraph(
                        [
                            .figure(
                                "\(a.quality.activeResponses) responses counted; \(a.quality.supersededResponses) "
                                    + "superseded by a later edit or duplicate (kept for audit, not counted)."
                            )
                        ],
                        style: .body
                    ),
                ] + QualityText.lines(a.quality).map { .paragraph([.text($0)], style: .body) }
            )
        )
        return ReportDocument(title: a.title, lede: HeadlineText.line(a, label: b.label), sections: sections)
    }
}

/// The pieces of the document, with the analysis at hand.
private struct Builder {
    let a: ConsultationAnalysis
    typealias Doc = ReportDocument

    func label(_ g: String?) -> String {
        guard let g else { return "All respondents" }
        return a.groups.first { $0.id == g }?.label ?? g
    }

    var weighted: Bool { a.weighting != .none }

    func theme(_ t: ThemeResult) -> Doc.Section {
        var blocks: [Doc.Block] = [
            .heading("Theme score", aside: nil), .table(measureTable(t.score, showBox: false)), test(t.score),
        ]
        for item in t.items {
            blocks.append(.heading(item.label, aside: item.reverse ? "(reverse-coded)" : nil))
            if let bars = divergingBars(item) { blocks.append(.figure(bars)) }
            blocks += [.table(measureTable(item, showBox: true)), test(item)]
        }
        for table in t.codes {
            blocks += [.heading("Open answers: \(table.label)", aside: nil), .table(shareTable(table))]
            for row in table.rows {
                let sets = a.quotes.filter { $0.question == table.question && $0.code == row.option }
                let quotes = sets.flatMap { set in
                    QuoteScrubber.publishable(set.texts).prefix(2)
                        .map { Doc.Quote(text: $0, attribution: label(set.group)) }
                }
                if !quotes.isEmpty { blocks.append(.quotes(label: row.label, quotes)) }
            }
        }
        return Doc.Section(
            id: "theme-\(t.theme.id)",
            heading: t.theme.label,
            contentsTitle: t.theme.label,
            blocks: blocks
        )
    }

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
                + "flipped). Darker is higher; each cell prints its value and base.",
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

    func qualityTable() -> Doc.Table {
        let columns =
            [
                Doc.Column(title: "Batch"), Doc.Column(title: "File", numeric: false),
                Doc.Column(title: "Format", numeric: false),
            ] + ["Records", "Responses", "Rejected", "Duplicates", "Superseded"].map { Doc.Column(title: $0) } + [
                Doc.Column(title: "Status", numeric: false)
            ]
        let rows = a.quality.batches.map { b -> [Doc.Cell] in
            [
                .figure("\(b.id)"), .text(b.path), .text(b.format), .figure("\(b.records)"), .figure("\(b.responses)"),
                .figure("\(b.rejected)"), .figure("\(b.duplicates)"), .figure("\(b.superseded)"), .text(b.status),
            ]
        }
        return Doc.Table(columns: columns, rows: rows)
    }
}
