import BarazaAnalysis
import BarazaModel

/// Countries as an axis of their own: theme × country scores with every group together, and within
/// each group the differences between countries that hold after correction.
extension Builder {
    var compared: [ThemeResult] { a.themes.filter { $0.countries != nil } }

    func countries() -> Doc.Section? {
        let themes = compared
        guard let first = themes.first?.countries else { return nil }
        let names = first.byCountry.compactMap(\.cell.country)
        let rows = themes.map { t in
            Doc.HeatMap.Row(
                label: t.theme.label,
                scaleMin: t.score.scaleMin,
                scaleMax: t.score.scaleMax,
                cells: names.map { country -> Doc.HeatMap.Value in
                    guard let c = t.countries?.byCountry.first(where: { $0.cell.country == country }) else {
                        return .hidden("no answers")
                    }
                    if c.suppressed { return .hidden(Fmt.hiddenText(c, a.minCell)) }
                    guard let m = c.stats?.mean else { return .hidden("no answers") }
                    return .mean(m, n: c.answered ?? 0)
                }
            )
        }
        var holds: [[Doc.Inline]] = []
        for t in themes {
            for w in t.countries?.withinGroups ?? [] where (w.test.q ?? 1) < 0.05 {
                let means = w.cells.filter { !$0.suppressed }
                    .compactMap { c in c.stats.map { "\(c.cell.country ?? "") \(Fmt.num($0.mean))" } }
                holds.append([
                    .strong("\(t.theme.label), \(label(w.group)):"),
                    .text(
                        " \(means.joined(separator: ", ")) (q \(Fmt.pEquals(w.test.q)), "
                            + "ε² \(Fmt.num(w.test.effect, 3)))."
                    ),
                ])
            }
        }
        var blocks: [Doc.Block] = [
            .figure(
                Doc.Figure(
                    title: "Theme score (mean) by country, the groups shown together",
                    caption: "Mean theme score per country, the groups shown in this report together (1 = most "
                        + "negative, 5 = most positive). Brown below the neutral point, teal above it. A "
                        + "country's groups may "
                        + "not have answered in the same proportions: compare within a group below.",
                    chart: .heatMap(Doc.HeatMap(columns: names, rows: rows))
                )
            ), .heading("Within a group, between countries", aside: nil),
        ]
        if holds.isEmpty {
            blocks.append(
                .paragraph(
                    [.text("No group's countries differ on a theme score after correction for multiple tests.")],
                    style: .body
                )
            )
        } else {
            blocks.append(
                .paragraph(
                    [.text("The differences between countries within one group that hold after correction:")],
                    style: .body
                )
            )
            blocks.append(.bullets(holds))
        }
        blocks.append(
            .paragraph(
                [.text("Every group's test is in ")] + [.link("Annex E", section: "annex-countries")] + [.text(".")],
                style: .note
            )
        )
        return section("countries", "Countries side by side", blocks)
    }

    /// Every group's countries on every theme, with the test between them.
    func countryAnnex() -> Doc.Section? {
        let themes = compared
        guard let names = themes.first?.countries?.byCountry.compactMap(\.cell.country) else { return nil }
        let columns =
            [Doc.Column(title: "Theme"), Doc.Column(title: "Group", numeric: false)]
            + names.map { Doc.Column(title: $0) } + [Doc.Column(title: "Kruskal–Wallis p"), Doc.Column(title: "BH q")]
        var rows: [[Doc.Cell]] = []
        for t in themes {
            for w in t.countries?.withinGroups ?? [] {
                let cells = names.map { country -> Doc.Cell in
                    guard let c = w.cells.first(where: { $0.cell.country == country }) else { return .figure("–") }
                    if c.suppressed { return .hidden(Fmt.hiddenText(c, a.minCell), span: 1) }
                    return .figure("\(Fmt.num(c.stats?.mean)) (\(c.answered ?? 0))")
                }
                let test: [Doc.Cell] =
                    w.test.notComputed.map { [.hidden($0, span: 2)] } ?? [
                        .figure(Fmt.p(w.test.p)), .figure(Fmt.p(w.test.q)),
                    ]
                rows.append([.text(t.theme.label), .text(label(w.group))] + cells + test)
            }
        }
        return section(
            "annex-countries",
            "Annex E: countries within each group",
            contents: "Annex E: countries",
            annex: true,
            [.table(Doc.Table(columns: columns, rows: rows))]
        )
    }
}
