import BarazaAnalysis
import BarazaModel

/// The report as Markdown: the document's sections, with each chart given as the table of its values.
public struct MarkdownReport: ReportFormat {
    public let fileName = "report.md"
    public init() {}

    public func render(_ a: ConsultationAnalysis) -> String { render(ReportBuilder.document(a)) }

    public func render(_ d: ReportDocument) -> String {
        var m = "# \(Escape.markdown(d.title))\n\n\(Escape.markdown(d.lede))\n"
        if !d.dateline.isEmpty { m += "\n\(Escape.markdown(d.dateline))\n" }
        for s in d.sections {
            m += "\n## \(Escape.markdown(s.heading))\n"
            for b in s.blocks { m += "\n" + block(b, in: s) }
        }
        return m
    }

    func block(_ b: ReportDocument.Block, in s: ReportDocument.Section) -> String {
        switch b {
        case .heading(let text, let aside):
            return "### \(Escape.markdown(text))\(aside.map { " " + Escape.markdown($0) } ?? "")\n"
        case .paragraph(let runs, _): return inline(runs, in: s) + "\n"
        case .bullets(let items): return items.map { "- \(inline($0, in: s))\n" }.joined()
        case .footnotes(let notes):
            return notes.enumerated().map { i, n in "[^\(s.id)-\(i + 1)]: \(inline(n, in: s))\n" }.joined()
        case .table(let t): return table(t)
        case .figure(let f):
            let values =
                switch f.chart {
                case .heatMap(let h): heatMapTable(h)
                case .divergingBars(let bars): barsTable(bars)
                case .dots(let c): dotsTable(c)
                case .matrix(let m): matrixTable(m)
                case .bars(let b): groupedBarsTable(b)
                }
            return "**\(Escape.markdown(f.title))**\n\n" + table(values) + "\n" + Escape.markdown(f.caption) + "\n"
        case .quotes(let label, let quotes):
            var s = "**\(Escape.markdown(label))** — what respondents said:\n\n"
            for q in quotes { s += "> “\(Escape.markdown(q.text))” — \(Escape.markdown(q.attribution))\n>\n" }
            return s
        }
    }

    func inline(_ runs: [ReportDocument.Inline], in s: ReportDocument.Section) -> String {
        runs.map {
            switch $0 {
            case .text(let t): Escape.markdown(t)
            case .figure(let t): t
            case .strong(let t): "**\(Escape.markdown(t))**"
            case .link(let t, let section): "[\(Escape.markdown(t))](#\(section))"
            case .reference(let n): "[^\(s.id)-\(n)]"
            }
        }
        .joined()
    }

    func table(_ t: ReportDocument.Table) -> String {
        let titles = t.columns.map { c in
            Escape.markdown(c.title) + (c.detail.map { " (\(Escape.markdown($0)))" } ?? "")
        }
        var s = "| " + titles.joined(separator: " | ") + " |\n|"
        for (i, c) in t.columns.enumerated() { s += i > 0 && c.numeric ? "---:|" : "---|" }
        s += "\n"
        for row in t.rows {
            var cells: [String] = []
            for cell in row {
                switch cell {
                case .text(let v): cells.append(Escape.markdown(v))
                case .figure(let v): cells.append(v)
                case .share(let v, let count): cells.append("\(v) (\(count))")
                case .hidden(let why, let span):
                    cells.append(Escape.markdown(why))
                    cells += Array(repeating: "", count: max(0, span - 1))
                case .note(let v): cells.append(Escape.markdown(v))
                }
            }
            s += "| " + cells.joined(separator: " | ") + " |\n"
        }
        return s
    }

    /// The heat map's values: a theme per row, a group per column.
    func heatMapTable(_ h: ReportDocument.HeatMap) -> ReportDocument.Table {
        ReportDocument.Table(
            columns: [.init(title: "Theme")] + h.columns.map { .init(title: $0) },
            rows: h.rows.map { row in
                [.text(row.label)]
                    + row.cells.map { value -> ReportDocument.Cell in
                        switch value {
                        case .mean(let mean, let n): .figure("\(Fmt.num(mean)) (n = \(n))")
                        case .hidden(let why): .hidden(why, span: 1)
                        }
                    }
            }
        )
    }

    /// The bars' values: respondents per scale point and group.
    func barsTable(_ b: ReportDocument.DivergingBars) -> ReportDocument.Table {
        ReportDocument.Table(
            columns: [.init(title: "Group")] + b.points.map { .init(title: $0) },
            rows: b.rows.map { row in
                guard let counts = row.counts else {
                    return [.text(row.label)] + b.points.map { _ in .hidden(row.hidden ?? "", span: 1) }
                }
                return [.text(row.label)] + counts.map { .figure(String($0)) }
            }
        )
    }

    /// Estimates with their intervals, one row each.
    func dotsTable(_ c: ReportDocument.DotChart) -> ReportDocument.Table {
        ReportDocument.Table(
            columns: [
                .init(title: ""), .init(title: "Estimate"), .init(title: "95% CI"),
                .init(title: "Base", numeric: false),
            ],
            rows: c.rows.map { row in
                guard let v = row.value else { return [.text(row.label), .hidden(row.note, span: 3)] }
                let interval = row.low.flatMap { lo in row.high.map { "\(Fmt.num(lo)) to \(Fmt.num($0))" } } ?? "–"
                return [.text(row.label), .figure(Fmt.num(v)), .figure(interval), .text(row.note)]
            }
        )
    }

    /// The effect sizes as a group × group table; * marks a pair that differs after correction.
    func matrixTable(_ m: ReportDocument.EffectMatrix) -> ReportDocument.Table {
        ReportDocument.Table(
            columns: [.init(title: "")] + m.groups.map { .init(title: $0) },
            rows: m.groups.enumerated()
                .map { i, g in
                    [.text(g)]
                        + m.cells[i]
                        .map { cell -> ReportDocument.Cell in
                            guard let cell else { return .figure("–") }
                            return .figure((cell.r > 0 ? "+" : "") + Fmt.num(cell.r) + (cell.significant ? "\\*" : ""))
                        }
                }
        )
    }

    /// Shares by option and group.
    func groupedBarsTable(_ b: ReportDocument.GroupedBars) -> ReportDocument.Table {
        ReportDocument.Table(
            columns: [.init(title: "Option")] + b.groups.map { .init(title: $0) },
            rows: b.rows.map { row in [.text(row.label)] + row.shares.map { .figure(Fmt.pct($0)) } }
        )
    }
}
