import BarazaAnalysis
import BarazaModel

/// The report as Markdown: the same sections as the HTML, tables instead of charts.
public struct MarkdownReport: ReportFormat {
    public let fileName = "report.md"
    public init() {}

    public func render(_ a: ConsultationAnalysis) -> String {
        func label(_ g: String?) -> String {
            guard let g else { return "All respondents" }
            return a.groups.first { $0.id == g }?.label ?? g
        }
        var m = "# \(Escape.markdown(a.title))\n\n"
        m += Escape.markdown(HeadlineText.line(a, label: label)) + "\n\n"
        m += "## Summary\n\n"
        for s in SummaryWriter.sentences(a) { m += "- \(Escape.markdown(s))\n" }
        m += "\n## Theme scores by stakeholder group\n\n"
        let groups = a.respondents.compactMap(\.cell.group)
        m += "| Theme | " + groups.map { Escape.markdown(label($0)) }.joined(separator: " | ") + " |\n"
        m += "|---|" + groups.map { _ in "---:" }.joined(separator: "|") + "|\n"
        for t in a.themes {
            m += "| \(Escape.markdown(t.theme.label)) | "
            m +=
                groups.map { g in
                    guard let c = t.score.byGroup.first(where: { $0.cell.group == g }) else { return "–" }
                    return c.suppressed
                        ? Fmt.hiddenText(c, a.minCell) : "\(Fmt.num(c.stats?.mean)) (n = \(c.answered ?? 0))"
                }
                .joined(separator: " | ") + " |\n"
        }
        for t in a.themes {
            m += "\n## \(Escape.markdown(t.theme.label))\n\n### Theme score\n\n"
            m += table(t.score, label, a, showBox: false) + test(t.score, label)
            for item in t.items {
                m += "\n### \(Escape.markdown(item.label))\(item.reverse ? " (reverse-coded)" : "")\n\n"
                if let points = item.byGroup.first(where: { $0.distribution != nil })?.distribution {
                    m += "| Group | " + points.map { Escape.markdown($0.label) }.joined(separator: " | ") + " |\n"
                    m += "|---|" + points.map { _ in "---:" }.joined(separator: "|") + "|\n"
                    for r in item.byGroup {
                        m += "| \(Escape.markdown(label(r.cell.group))) | "
                        if r.suppressed || r.distribution == nil {
                            m += points.map { _ in Fmt.hiddenText(r, a.minCell) }.joined(separator: " | ") + " |\n"
                            continue
                        }
                        m += (r.distribution ?? []).map { "\($0.count)" }.joined(separator: " | ") + " |\n"
                    }
                    m +=
                        item.reverse
                        ? "\nAnswers as ticked; the item is reverse-coded, so its scores count them the other way round.\n"
                        : ""
                    m += a.weighting == .none ? "\n" : "\nCounts of respondents (unweighted).\n\n"
                }
                m += table(item, label, a, showBox: true) + test(item, label)
            }
            for ct in t.codes {
                m += "\n### Open answers: \(Escape.markdown(ct.label))\n\n" + shares(ct, label, a.minCell)
                for row in ct.rows {
                    let sets = a.quotes.filter { $0.question == ct.question && $0.code == row.option }
                    guard sets.contains(where: { !QuoteScrubber.publishable($0.texts).isEmpty }) else { continue }
                    m += "\n**\(Escape.markdown(row.label))** — what respondents said:\n\n"
                    for set in sets {
                        for text in QuoteScrubber.publishable(set.texts).prefix(2) {
                            m += "> “\(Escape.markdown(text))” — \(Escape.markdown(label(set.group)))\n>\n"
                        }
                    }
                }
            }
        }
        if !a.waveChanges.isEmpty {
            m +=
                "\n## Change between waves\n\n| Theme | Group | \(Escape.markdown(a.waveChanges[0].fromWave)) | \(Escape.markdown(a.waveChanges[0].toWave)) | Change | 95% CI | Welch p | BH q |\n|---|---|---:|---:|---:|---:|---:|---:|\n"
            for w in a.waveChanges {
                let theme = a.themes.first { $0.theme.id == w.measure }?.theme.label ?? w.measure
                if w.suppressed {
                    m +=
                        "| \(Escape.markdown(theme)) | \(Escape.markdown(label(w.group))) | \(Escape.markdown(w.test.notComputed ?? Fmt.withheldText)) | | | | | |\n"
                    continue
                }
                m +=
                    "| \(Escape.markdown(theme)) | \(Escape.markdown(label(w.group))) | \(Fmt.num(w.fromMean)) (\(w.fromN ?? 0)) | \(Fmt.num(w.toMean)) (\(w.toN ?? 0)) | \(w.change.map { ($0 > 0 ? "+" : "") + Fmt.num($0) } ?? "–") | \(Fmt.num(w.ciLow)) to \(Fmt.num(w.ciHigh)) | \(Fmt.p(w.test.p)) | \(Fmt.p(w.test.q)) |\n"
            }
        }
        m += "\n## Multiple-choice questions\n"
        for ct in a.choices { m += "\n### \(Escape.markdown(ct.label))\n\n" + shares(ct, label, a.minCell) }
        m += "\n## Methodology\n\n"
        for p in MethodologyText.paragraphs(a) { m += Escape.markdown(p) + "\n\n" }
        m +=
            "## Data quality\n\n| Batch | File | Format | Records | Responses | Rejected | Duplicates | Superseded | Status |\n|---:|---|---|---:|---:|---:|---:|---:|---|\n"
        for b in a.quality.batches {
            m +=
                "| \(b.id) | \(Escape.markdown(b.path)) | \(Escape.markdown(b.format)) | \(b.records) | \(b.responses) | \(b.rejected) | \(b.duplicates) | \(b.superseded) | \(Escape.markdown(b.status)) |\n"
        }
        m +=
            "\n\(a.quality.activeResponses) responses counted; \(a.quality.supersededResponses) superseded by a later edit or duplicate (kept for audit, not counted).\n\n"
        for l in QualityText.lines(a.quality) { m += Escape.markdown(l) + "\n\n" }
        return m
    }

    func table(_ m: MeasureResult, _ label: (String?) -> String, _ a: ConsultationAnalysis, showBox: Bool) -> String {
        let weighted = a.weighting != .none
        var s =
            "| Group | n\(weighted ? " (n_eff)" : "") | Missing |" + (showBox ? " Don't know / declined |" : "")
            + " Mean | 95% CI | SD | Median |" + (showBox ? " Top-2-box | 95% CI | Consensus |" : "") + "\n"
        s +=
            "|---|---:|---:|" + (showBox ? "---:|" : "") + "---:|---:|---:|---:|" + (showBox ? "---:|---:|---:|" : "")
            + "\n"
        let others = m.others.map { [$0] } ?? []
        let rows = m.byGroup + m.byCell + others + (m.total.map { [$0] } ?? [])
        for (i, r) in rows.enumerated() {
            var name = label(r.cell.group)
            if let c = r.cell.country { name += " · \(c)" }
            if let w = r.cell.wave { name += " · \(w)" }
            if !others.isEmpty && i == rows.count - 2 {
                name = "Other groups together (\(m.otherGroups.map { label($0) }.joined(separator: ", ")))"
            }
            if r.suppressed {
                s +=
                    "| \(Escape.markdown(name)) | \(Fmt.hiddenText(r, a.minCell)) |"
                    + String(repeating: " |", count: showBox ? 9 : 5) + "\n"
                continue
            }
            s +=
                "| \(Escape.markdown(name)) | \(Fmt.base(r, weighted: weighted)) | \(Escape.markdown(Fmt.missing(r))) |"
            if showBox { s += " \(Fmt.pct(r.dontKnow?.share)) / \(Fmt.pct(r.refused?.share)) |" }
            s +=
                " \(Fmt.num(r.stats?.mean)) | \(Fmt.ci(r.stats)) | \(Fmt.num(r.stats?.sd)) | \(Fmt.num(r.stats?.median, 1)) |"
            if showBox { s += " \(Fmt.pct(r.topBox?.share)) | \(Fmt.boxCI(r.topBox)) | \(Fmt.num(r.consensus)) |" }
            s += "\n"
        }
        return s + "\n"
    }

    func test(_ m: MeasureResult, _ label: (String?) -> String) -> String {
        if let why = m.test.notComputed { return "Between-group test not computed: \(Escape.markdown(why)).\n" }
        var s =
            "Kruskal–Wallis H = \(Fmt.num(m.test.statistic)), df = \(Fmt.num(m.test.df, 0)), p \(Fmt.pEquals(m.test.p)), BH q \(Fmt.pEquals(m.test.q)), ε² = \(Fmt.num(m.test.effect, 3))."
        let pairs = m.pairwise.filter { ($0.pHolm ?? 1) < 0.05 }
        if !pairs.isEmpty {
            s +=
                " Pairs that differ (Mann–Whitney, Holm p < 0.05; rank-biserial r, positive when the first is higher): "
                + pairs.map { p in
                    "\(Escape.markdown(label(p.groupA))) vs \(Escape.markdown(label(p.groupB))) (p \(Fmt.pEquals(p.pHolm)), \(Fmt.rankBiserial(p.effect)))"
                }
                .joined(separator: "; ") + "."
        }
        return s + "\n"
    }

    func shares(_ t: ShareTable, _ label: (String?) -> String, _ minCell: Int) -> String {
        var s =
            "| Option | "
            + t.bases
            .map { b in
                let n = b.answered.map { n in b.effectiveBase.map { "\(n), n_eff \(Fmt.num($0, 1))" } ?? String(n) }
                return "\(Escape.markdown(label(b.group))) (n = \(n ?? Fmt.hiddenText(withheld: b.withheld, minCell)))"
            }
            .joined(separator: " | ") + " | Differs by group? |\n"
        s += "|---|" + t.bases.map { _ in "---:" }.joined(separator: "|") + "|---|\n"
        for row in t.rows {
            s +=
                "| \(Escape.markdown(row.label)) | "
                + t.bases
                .map { b in
                    b.suppressed
                        ? Fmt.hiddenText(withheld: b.withheld, minCell)
                        : "\(Fmt.pct(row.shares[b.group]?.share)) (\(row.shares[b.group]?.count ?? 0))"
                }
                .joined(separator: " | ") + " | \(SummaryWriter.shortTest(row.test)) |\n"
        }
        return s
    }
}
