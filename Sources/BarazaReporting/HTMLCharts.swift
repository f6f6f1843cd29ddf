import Foundation

/// The main body's charts as inline SVG: each with a title, axis labels, its bases and a text
/// alternative (`desc`) that reads out every value.
extension HTMLReport {
    /// A chart's opening tags: the accessible name and description point at its `title` and `desc`.
    func svgOpen(_ id: String, width: Int, height: Int, title: String) -> String {
        "<svg role=\"img\" aria-labelledby=\"\(id)-title \(id)-desc\" viewBox=\"0 0 \(width) \(height)\" "
            + "width=\"\(width)\" height=\"\(height)\" xmlns=\"http://www.w3.org/2000/svg\">\n"
            + "<title id=\"\(id)-title\">\(Escape.html(title))</title>\n"
    }

    func svgClose(_ id: String, desc: [String]) -> String {
        "<desc id=\"\(id)-desc\">\(Escape.html(desc.joined(separator: "; ")))</desc>\n</svg>\n"
    }

    /// The chart alone, as SVG.
    func svg(_ f: ReportDocument.Figure) -> String {
        switch f.chart {
        case .heatMap(let m): heatMap(m, f)
        case .divergingBars(let bars): divergingBars(bars, f)
        case .dots(let chart): dots(chart, f)
        case .matrix(let m): matrix(m, f)
        case .bars(let bars): groupedBars(bars, f)
        }
    }

    /// The caption, with what a chart leaves out said after it.
    static func caption(_ f: ReportDocument.Figure) -> String {
        if case .bars(let b) = f.chart, let note = b.hiddenNote { return f.caption + " " + note }
        return f.caption
    }

    /// Every chart's file name under `figures/`, from its title (ASCII letters and digits, the rest
    /// as dashes), numbered where two titles give the same name; in document order, so the same
    /// report always names them the same.
    static func figureNames(_ d: ReportDocument) -> [ReportDocument.Figure: String] {
        var names: [ReportDocument.Figure: String] = [:]
        var used: Set<String> = []
        for s in d.sections {
            for case .figure(let f) in s.blocks where names[f] == nil {
                var slug = ""
                for c in f.title.lowercased().unicodeScalars {
                    if ("a"..."z").contains(c) || ("0"..."9").contains(c) {
                        slug.unicodeScalars.append(c)
                    } else if !slug.hasSuffix("-") {
                        slug += "-"
                    }
                }
                slug = String(slug.trimmingCharacters(in: CharacterSet(charactersIn: "-")).prefix(60))
                var name = slug.isEmpty ? "chart" : slug
                var k = 2
                while used.contains(name) {
                    name = "\(slug)-\(k)"
                    k += 1
                }
                used.insert(name)
                names[f] = name + ".svg"
            }
        }
        return names
    }

    /// Each chart as a file of its own (`figures/<name>.svg`): self-contained, its fonts named, its
    /// title and description inside, for slides and documents.
    public func figureFiles(_ d: ReportDocument) -> [String: String] {
        var files: [String: String] = [:]
        for (f, name) in Self.figureNames(d) {
            var svg = self.svg(f)
            if let end = svg.range(of: ">\n") {
                svg.insert(
                    contentsOf: "\n<style>text{font-family:\"Noto Sans\",\"DejaVu Sans\",Arial,sans-serif}</style>",
                    at: svg.index(before: end.upperBound)
                )
            }
            files["figures/" + name] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + svg
        }
        return files
    }

    /// A stable id for a chart's title and description, from its title.
    func chartID(_ f: ReportDocument.Figure, _ kind: String) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in (kind + f.title).utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return kind + "-" + String(h % 0xFFFF_FFFF, radix: 16)
    }

    /// Dots with interval whiskers on one axis, a reference line across.
    func dots(_ c: ReportDocument.DotChart, _ f: ReportDocument.Figure) -> String {
        let id = chartID(f, "dots")
        let lw = 260
        let pw = 480
        let rh = 20
        let top = 16
        let width = lw + pw + 150
        let height = top + rh * c.rows.count + 48
        func x(_ v: Double) -> Double {
            Double(lw) + (min(c.hi, max(c.lo, v)) - c.lo) / max(1e-9, c.hi - c.lo) * Double(pw)
        }
        var s = svgOpen(id, width: width, height: height, title: f.title)
        let bottom = top + rh * c.rows.count
        // Ticks at whole points (or halves on a short axis), with the reference line darker.
        let step = c.hi - c.lo <= 2 ? 0.5 : 1.0
        var tick = (c.lo / step).rounded(.up) * step
        while tick <= c.hi + 1e-9 {
            let tx = Fmt.num(x(tick), 1)
            s +=
                "<line x1=\"\(tx)\" y1=\"\(top)\" x2=\"\(tx)\" y2=\"\(bottom)\" stroke=\"#e4e4e4\"/>"
                + "<text x=\"\(tx)\" y=\"\(bottom + 14)\" text-anchor=\"middle\" font-size=\"11\" fill=\"#5b5b5b\">"
                + "\(Fmt.num(tick, step < 1 ? 1 : 0))</text>\n"
            tick += step
        }
        let rx = Fmt.num(x(c.reference), 1)
        s +=
            "<line x1=\"\(rx)\" y1=\"\(top - 6)\" x2=\"\(rx)\" y2=\"\(bottom)\" stroke=\"#555\" "
            + "stroke-dasharray=\"4 3\"/>"
            + "<text x=\"\(rx)\" y=\"\(top - 8)\" text-anchor=\"middle\" font-size=\"10\" fill=\"#5b5b5b\">"
            + "\(Escape.html(c.referenceLabel))</text>\n"
        var desc: [String] = []
        for (i, row) in c.rows.enumerated() {
            let y = top + i * rh + rh / 2
            s += "<text x=\"4\" y=\"\(y + 4)\" font-size=\"12\">\(Escape.html(row.label))</text>\n"
            guard let v = row.value else {
                s +=
                    "<text x=\"\(lw + pw / 2)\" y=\"\(y + 4)\" text-anchor=\"middle\" font-size=\"11\" "
                    + "fill=\"#5b5b5b\">" + "\(Escape.html(row.note))</text>\n"
                desc.append("\(row.label): \(row.note)")
                continue
            }
            if let lo = row.low, let hi = row.high {
                s +=
                    "<line x1=\"\(Fmt.num(x(lo), 1))\" y1=\"\(y)\" x2=\"\(Fmt.num(x(hi), 1))\" y2=\"\(y)\" "
                    + "stroke=\"#01665e\" stroke-width=\"2\"/>"
            }
            s +=
                "<circle cx=\"\(Fmt.num(x(v), 1))\" cy=\"\(y)\" r=\"5\" fill=\"#01665e\"/>"
                + "<text x=\"\(lw + pw + 10)\" y=\"\(y + 4)\" font-size=\"11\" fill=\"#1a1a1a\">\(Fmt.num(v))"
                + " <tspan fill=\"#5b5b5b\">(\(Escape.html(row.note)))</tspan></text>\n"
            let interval = row.low.flatMap { lo in row.high.map { " (95% CI \(Fmt.num(lo)) to \(Fmt.num($0)))" } } ?? ""
            desc.append("\(row.label): \(Fmt.num(v))\(interval), \(row.note)")
        }
        s +=
            "<text x=\"\(lw + pw / 2)\" y=\"\(bottom + 34)\" text-anchor=\"middle\" font-size=\"12\">"
            + "\(Escape.html(c.axis))</text>\n"
        return s + svgClose(id, desc: desc)
    }

    /// Group × group effect sizes, shaded around 0; significant cells in bold with an asterisk.
    func matrix(_ m: ReportDocument.EffectMatrix, _ f: ReportDocument.Figure) -> String {
        let id = chartID(f, "matrix")
        let lw = 220
        let cw = 120
        let ch = 28
        let top = 52
        let width = lw + cw * m.groups.count + 10
        let height = top + ch * m.groups.count + 10
        var s = svgOpen(id, width: width, height: height, title: f.title)
        s +=
            "<text x=\"\(lw + cw * m.groups.count / 2)\" y=\"12\" text-anchor=\"middle\" font-size=\"11\" "
            + "fill=\"#5b5b5b\">compared with (column)</text>\n"
        for (j, g) in m.groups.enumerated() {
            let lines = Self.wrap(g, width: 16)
            for (li, line) in lines.enumerated() {
                s +=
                    "<text x=\"\(lw + j * cw + cw / 2)\" y=\"\(top - 8 - (lines.count - 1 - li) * 13)\" "
                    + "text-anchor=\"middle\" font-size=\"11\" font-weight=\"600\">\(Escape.html(line))</text>\n"
            }
        }
        var desc: [String] = []
        for (i, row) in m.groups.enumerated() {
            let y = top + i * ch
            s += "<text x=\"4\" y=\"\(y + ch / 2 + 4)\" font-size=\"12\">\(Escape.html(row))</text>\n"
            for (j, column) in m.groups.enumerated() {
                let x = lw + j * cw
                guard let cell = m.cells[i][j] else {
                    s +=
                        "<rect x=\"\(x + 1)\" y=\"\(y + 1)\" width=\"\(cw - 2)\" height=\"\(ch - 2)\" fill=\"#fafafa\" "
                        + "stroke=\"#e4e4e4\"/>\n"
                    continue
                }
                let (fill, ink) = Self.diverging(cell.r, lo: -1, centre: 0, hi: 1)
                let text = (cell.r > 0 ? "+" : "") + Fmt.num(cell.r) + (cell.significant ? "*" : "")
                s +=
                    "<rect x=\"\(x + 1)\" y=\"\(y + 1)\" width=\"\(cw - 2)\" height=\"\(ch - 2)\" fill=\"\(fill)\"/>"
                    + "<text x=\"\(x + cw / 2)\" y=\"\(y + ch / 2 + 4)\" text-anchor=\"middle\" font-size=\"12\" "
                    + "fill=\"\(ink)\"\(cell.significant ? " font-weight=\"700\"" : "")>\(text)</text>\n"
                if i < j {
                    desc.append(
                        "\(row) against \(column): r = \(Fmt.num(cell.r))"
                            + (cell.significant ? ", differs after correction" : "")
                    )
                }
            }
        }
        return s + svgClose(id, desc: desc)
    }

    /// Options as rows, one bar per group, the share printed at the bar's end.
    func groupedBars(_ b: ReportDocument.GroupedBars, _ f: ReportDocument.Figure) -> String {
        let id = chartID(f, "bars")
        let colours = ["#01665e", "#8c510a", "#5ab4ac", "#d8b365", "#4d4d4d", "#80cdc1", "#bf812d", "#999999"]
        let lw = 230
        let pw = 460
        let bh = 8
        let gap = 8
        let legend = 22
        let block = bh * max(1, b.groups.count) + gap
        let width = lw + pw + 60
        let height = legend + block * b.rows.count + 30
        var s = svgOpen(id, width: width, height: height, title: f.title)
        var lx = lw
        for (k, g) in b.groups.enumerated() {
            s +=
                "<rect x=\"\(lx)\" y=\"4\" width=\"10\" height=\"10\" fill=\"\(colours[k % colours.count])\"/>"
                + "<text x=\"\(lx + 14)\" y=\"13\" font-size=\"11\">\(Escape.html(g))</text>\n"
            lx += 30 + g.count * 6
        }
        var desc: [String] = []
        for (i, row) in b.rows.enumerated() {
            let y0 = legend + i * block
            for (li, line) in Self.wrap(row.label, width: 34).prefix(2).enumerated() {
                s += "<text x=\"4\" y=\"\(y0 + 11 + li * 13)\" font-size=\"12\">\(Escape.html(line))</text>\n"
            }
            var parts: [String] = []
            for (k, share) in row.shares.enumerated() {
                guard let share else { continue }
                let y = y0 + k * bh
                let w = share * Double(pw)
                s +=
                    "<rect x=\"\(lw)\" y=\"\(y)\" width=\"\(Fmt.num(w, 1))\" height=\"\(bh - 2)\" "
                    + "fill=\"\(colours[k % colours.count])\"/>"
                    + "<text x=\"\(Fmt.num(Double(lw) + w + 4, 1))\" y=\"\(y + bh - 3)\" font-size=\"10\">"
                    + "\(Fmt.pct(share))</text>\n"
                parts.append("\(b.groups[k]) \(Fmt.pct(share))")
            }
            desc.append("\(row.label): \(parts.joined(separator: ", "))")
        }
        let axisY = legend + block * b.rows.count + 14
        s +=
            "<text x=\"\(lw + pw / 2)\" y=\"\(axisY)\" text-anchor=\"middle\" font-size=\"12\">"
            + "Share of the group's respondents</text>\n"
        return s + svgClose(id, desc: desc)
    }
}
