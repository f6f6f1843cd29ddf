import BarazaAnalysis
import BarazaModel
import Foundation

/// The self-contained HTML report: inline CSS and SVG, no script, nothing from the network.
public struct HTMLReport: ReportFormat {
    public let fileName = "index.html"
    /// Laid out for paper (a cover, running header, page numbers) when the PDF prints it.
    public var print: PDFReport?
    public init(print: PDFReport? = nil) { self.print = print }

    /// Colour-blind-safe diverging palette (ColorBrewer BrBG), from the lowest to the highest point.
    static let palette5 = ["#a6611a", "#dfc27d", "#e8e8e8", "#80cdc1", "#018571"]

    static func pointColours(_ k: Int) -> [String] {
        switch k {
        case 5: return palette5
        case 4: return ["#a6611a", "#dfc27d", "#80cdc1", "#018571"]
        case 2: return ["#a6611a", "#018571"]
        case 3: return ["#a6611a", "#e8e8e8", "#018571"]
        default: return (0..<k).map { i in palette5[min(4, i * 5 / max(1, k))] }
        }
    }

    /// Diverging colour for a value between `lo` and `hi` around `centre`: brown below, teal above,
    /// light grey at the centre, darker the further from it (ColorBrewer BrBG); the text colour that
    /// stays readable on it.
    static func diverging(_ v: Double, lo: Double, centre: Double, hi: Double) -> (fill: String, text: String) {
        let t =
            v >= centre ? min(1, (v - centre) / max(1e-9, hi - centre)) : -min(1, (centre - v) / max(1e-9, centre - lo))
        let neutral = (245.0, 245.0, 245.0)
        let end = t >= 0 ? (1.0, 102.0, 94.0) : (140.0, 81.0, 10.0)
        let f = abs(t)
        let c = (
            neutral.0 + (end.0 - neutral.0) * f, neutral.1 + (end.1 - neutral.1) * f,
            neutral.2 + (end.2 - neutral.2) * f
        )
        let fill = String(format: "#%02x%02x%02x", Int(c.0.rounded()), Int(c.1.rounded()), Int(c.2.rounded()))
        return (fill, f > 0.55 ? "#ffffff" : "#1a1a1a")
    }

    static let css = """
        :root{--ink:#1a1a1a;--muted:#5b5b5b;--line:#d0d0d0;--accent:#01665e}
        body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;color:var(--ink);
        max-width:1040px;margin:0 auto;padding:24px}
        h1{font-size:1.8em;margin:.2em 0}h2{border-bottom:2px solid var(--accent);padding-bottom:.2em;margin-top:2em}
        h3{margin-top:1.6em}table{border-collapse:collapse;margin:.6em 0 1.2em;font-size:.92em}
        th,td{border:1px solid var(--line);padding:.3em .55em;text-align:right;vertical-align:top}
        th:first-child,td:first-child,th.t,td.t{text-align:left}
        thead th{background:#f2f2f2}.muted{color:var(--muted)}.supp{color:var(--muted);font-style:italic}
        a.file{font-size:.85em;margin-left:.4em}
        nav ol{columns:2}figure{margin:1em 0}figcaption{font-size:.9em;color:var(--muted)}
        blockquote{margin:.4em 0 .4em 1em;padding-left:.8em;border-left:3px solid var(--line)}
        .note{font-size:.9em;color:var(--muted)}
        svg text{font-family:system-ui,sans-serif}svg{max-width:100%;height:auto}.scroll{overflow-x:auto;max-width:100%}
        @media (max-width:600px){body{padding:12px;font-size:14px}nav ol{columns:1}h1{font-size:1.4em}}
        .findings li{margin:.35em 0}.footnotes{font-size:.85em;color:var(--muted)}sup a{text-decoration:none}
        .dateline{font-size:.9em;color:var(--muted);margin:0}.annex h2{border-bottom-color:var(--line)}
        @page{size:A4;margin:14mm 13mm}
        @media print{body{max-width:none;padding:0;font-size:9.5pt}nav{display:none}
        figure,table,blockquote{break-inside:avoid}h2,h3{break-after:avoid}a{color:inherit;text-decoration:none}
        .annex-start{break-before:page}}
        """

    public static let contentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

    public func render(_ a: ConsultationAnalysis) -> String { render(ReportBuilder.document(a)) }

    /// The document as one HTML page: a table of contents, then each section.
    public func render(_ d: ReportDocument) -> String {
        var h =
            "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            + "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        // The report runs no script and loads nothing: a policy that says so stops anything a
        // label or quote might smuggle in from running.
        h += "<meta http-equiv=\"Content-Security-Policy\" content=\"\(Self.contentSecurityPolicy)\">\n"
        h += "<title>\(Escape.html(d.title))</title>\n<style>\n\(Self.css)\n</style>\n"
        if let print { h += "<style>\n\(print.css(title: d.title))\n</style>\n" }
        h += "</head>\n<body>\n"
        h += print == nil ? "<header>\n" : "<header class=\"cover\">\n"
        h += "<h1>\(Escape.html(d.title))</h1>\n"
        h += "<p class=\"muted\">\(Escape.html(d.lede))</p>\n"
        if !d.dateline.isEmpty { h += "<p class=\"dateline\">\(Escape.html(d.dateline))</p>\n" }
        h += "</header>\n"
        h += "<nav aria-label=\"Contents\"><ol>"
        for s in d.sections { h += "<li><a href=\"#\(Escape.anchor(s.id))\">\(Escape.html(s.contentsTitle))</a></li>" }
        h += "</ol></nav>\n"
        let firstAnnex = d.sections.firstIndex { $0.annex }
        // Links to the figure files beside the report; none on paper (they would point at the
        // folder the PDF was printed in).
        let figures = print == nil ? Self.figureNames(d) : [:]
        for (i, s) in d.sections.enumerated() {
            let kind =
                s.annex
                ? (i == firstAnnex ? " class=\"annex annex-start\"" : " class=\"annex\"")
                : (s.id.hasPrefix("theme-") ? " class=\"theme\"" : "")
            h += "<section id=\"\(Escape.anchor(s.id))\"\(kind)>\n<h2>\(Escape.html(s.heading))</h2>\n"
            for block in s.blocks { h += self.block(block, in: s, figures: figures) }
            h += "</section>\n"
        }
        h += "</body>\n</html>\n"
        return h
    }

    func block(_ b: ReportDocument.Block, in s: ReportDocument.Section, figures: [ReportDocument.Figure: String] = [:])
        -> String
    {
        switch b {
        case .heading(let text, let aside):
            return "<h3>\(Escape.html(text))" + (aside.map { " <span class=\"muted\">\(Escape.html($0))</span>" } ?? "")
                + "</h3>\n"
        case .paragraph(let runs, let style):
            return (style == .note ? "<p class=\"note\">" : "<p>") + inline(runs, in: s) + "</p>\n"
        case .bullets(let items):
            return "<ul class=\"findings\">\n" + items.map { "<li>\(inline($0, in: s))</li>\n" }.joined() + "</ul>\n"
        case .footnotes(let notes):
            return "<ol class=\"footnotes\">\n"
                + notes.enumerated()
                .map { i, n in "<li id=\"\(Escape.anchor(s.id))-note-\(i + 1)\">\(inline(n, in: s))</li>\n" }.joined()
                + "</ol>\n"
        case .table(let t): return table(t)
        case .figure(let f):
            // The chart inline, its caption, and a link to the same chart as a file of its own.
            let file = figures[f].map { " <a class=\"file\" href=\"figures/\(Escape.attribute($0))\">SVG</a>" } ?? ""
            return "<figure>\n" + svg(f)
                + "<figcaption>\(Escape.html(Self.caption(f)))\(file)</figcaption>\n</figure>\n"
        case .quotes(let label, let quotes):
            var s = "<p><strong>\(Escape.html(label))</strong> — what respondents said:</p>\n"
            for q in quotes {
                s +=
                    "<blockquote>“\(Escape.html(q.text))” "
                    + "<span class=\"muted\">— \(Escape.html(q.attribution))</span>" + "</blockquote>\n"
            }
            return s
        }
    }

    func inline(_ runs: [ReportDocument.Inline], in s: ReportDocument.Section) -> String {
        runs.map {
            switch $0 {
            case .text(let t): Escape.html(t)
            case .figure(let t): t
            case .strong(let t): "<strong>\(Escape.html(t))</strong>"
            case .link(let t, let section): "<a href=\"#\(Escape.anchor(section))\">\(Escape.html(t))</a>"
            case .reference(let n): "<sup><a href=\"#\(Escape.anchor(s.id))-note-\(n)\">\(n)</a></sup>"
            }
        }
        .joined()
    }

    func table(_ t: ReportDocument.Table) -> String {
        // In a box of its own that scrolls sideways on a narrow screen, so the page never does.
        // Columns of words are set left, like the first; figures right.
        let left = t.columns.enumerated().map { i, c in i > 0 && !c.numeric ? " class=\"t\"" : "" }
        var s = "<div class=\"scroll\"><table>\n<thead><tr>"
        for (i, c) in t.columns.enumerated() {
            s +=
                "<th\(left[i])>\(Escape.html(c.title))"
                + (c.detail.map { "<br><span class=\"muted\">\(Escape.html($0))</span>" } ?? "") + "</th>"
        }
        s += "</tr></thead>\n<tbody>\n"
        for row in t.rows {
            s += "<tr>"
            for (i, cell) in row.enumerated() {
                let align = i < left.count ? left[i] : ""
                switch cell {
                case .text(let v): s += "<td\(align)>\(Escape.html(v))</td>"
                case .figure(let v): s += "<td>\(v)</td>"
                case .share(let v, let count): s += "<td>\(v) <span class=\"muted\">(\(count))</span></td>"
                case .hidden(let why, let span):
                    s += "<td\(span > 1 ? " colspan=\"\(span)\"" : "") class=\"supp\">\(Escape.html(why))</td>"
                case .note(let v): s += "<td class=\"note\">\(Escape.html(v))</td>"
                }
            }
            s += "</tr>\n"
        }
        return s + "</tbody>\n</table></div>\n"
    }

    func heatMap(_ m: ReportDocument.HeatMap, _ f: ReportDocument.Figure) -> String {
        let cw = 150
        let ch = 36
        let lw = 250
        let top = 56
        let width = lw + cw * m.columns.count + 10
        let height = top + ch * m.rows.count + 10
        let id = chartID(f, "heat")
        var s = svgOpen(id, width: width, height: height, title: f.title)
        var desc: [String] = []
        for (gi, g) in m.columns.enumerated() {
            // Long group names wrap onto two lines so neighbouring columns never collide.
            let lines = Self.wrap(g, width: 18)
            for (li, line) in lines.enumerated() {
                let y = top - 10 - (lines.count - 1 - li) * 15
                s +=
                    "<text x=\"\(lw + gi * cw + cw / 2)\" y=\"\(y)\" text-anchor=\"middle\" font-size=\"13\" "
                    + "font-weight=\"600\">\(Escape.html(line))</text>\n"
            }
        }
        for (ti, row) in m.rows.enumerated() {
            let y = top + ti * ch
            s += "<text x=\"4\" y=\"\(y + ch / 2 + 5)\" font-size=\"13\">\(Escape.html(row.label))</text>\n"
            for (gi, value) in row.cells.enumerated() {
                let x = lw + gi * cw
                let g = m.columns[gi]
                switch value {
                case .mean(let mean, let n):
                    let (fill, ink) = Self.diverging(
                        mean,
                        lo: row.scaleMin,
                        centre: (row.scaleMin + row.scaleMax) / 2,
                        hi: row.scaleMax
                    )
                    s +=
                        "<rect x=\"\(x + 2)\" y=\"\(y + 2)\" width=\"\(cw - 4)\" height=\"\(ch - 4)\" "
                        + "fill=\"\(fill)\"/>"
                    s +=
                        "<text x=\"\(x + cw / 2)\" y=\"\(y + ch / 2 + 5)\" text-anchor=\"middle\" font-size=\"13\" "
                        + "fill=\"\(ink)\">\(Fmt.num(mean)) (n = \(n))</text>\n"
                    desc.append("\(row.label), \(g): \(Fmt.num(mean)), n = \(n)")
                case .hidden(let why):
                    s +=
                        "<rect x=\"\(x + 2)\" y=\"\(y + 2)\" width=\"\(cw - 4)\" height=\"\(ch - 4)\" fill=\"#f4f4f4\" "
                        + "stroke=\"#d0d0d0\"/>"
                    let lines = Self.wrap(why, width: 20)
                    for (li, line) in lines.enumerated() {
                        let ly = y + ch / 2 + 5 - (lines.count - 1) * 7 + li * 14
                        s +=
                            "<text x=\"\(x + cw / 2)\" y=\"\(ly)\" text-anchor=\"middle\" font-size=\"12\" "
                            + "fill=\"#5b5b5b\">\(Escape.html(line))</text>\n"
                    }
                    desc.append("\(row.label), \(g): \(why)")
                }
            }
        }
        return s + svgClose(id, desc: desc)
    }

    func divergingBars(_ m: ReportDocument.DivergingBars, _ f: ReportDocument.Figure) -> String {
        let colours = Self.pointColours(m.points.count)
        let lw = 190
        let bw = 560
        let rh = 30
        let top = 34
        let width = lw + bw + 110
        let height = top + rh * m.rows.count + 8
        let centre = Double(lw) + Double(bw) / 2
        let id = chartID(f, "answers")
        var s = svgOpen(id, width: width, height: height, title: f.title)
        var desc: [String] = []
        // Legend
        var lx = lw
        for (i, p) in m.points.enumerated() {
            s +=
                "<rect x=\"\(lx)\" y=\"6\" width=\"12\" height=\"12\" fill=\"\(colours[i])\" stroke=\"#888\" "
                + "stroke-width=\"0.5\"/><text x=\"\(lx + 16)\" y=\"16\" font-size=\"11\">\(Escape.html(p))</text>\n"
            lx += 24 + p.count * 6
        }
        s +=
            "<line x1=\"\(Int(centre))\" y1=\"\(top - 4)\" x2=\"\(Int(centre))\" y2=\"\(height - 4)\" "
            + "stroke=\"#555\" stroke-width=\"1\"/>\n"
        for (ri, row) in m.rows.enumerated() {
            let y = top + ri * rh
            s += "<text x=\"4\" y=\"\(y + 19)\" font-size=\"12\">\(Escape.html(row.label))</text>\n"
            guard let counts = row.counts else {
                desc.append("\(row.label): \(row.hidden ?? "")")
                s +=
                    "<text x=\"\(Int(centre))\" y=\"\(y + 19)\" text-anchor=\"middle\" font-size=\"12\" "
                    + "fill=\"#5b5b5b\">\(Escape.html(row.hidden ?? ""))</text>\n"
                continue
            }
            let k = counts.count
            let n = row.n
            let shares = counts.map { Double($0) / Double(n) }
            desc.append(
                "\(row.label) (n = \(n)): "
                    + zip(m.points, shares).map { "\($0) \(Fmt.pct($1))" }.joined(separator: ", ")
            )
            // Negative points left of centre, positive right, a middle point split in half.
            let mid = k % 2 == 1 ? k / 2 : -1
            var negative = 0.0
            for i in 0..<k where i < k / 2 { negative += shares[i] }
            if mid >= 0 { negative += shares[mid] / 2 }
            var x = centre - negative * Double(bw) / 2
            for i in 0..<k {
                let w = shares[i] * Double(bw) / 2
                if w > 0 {
                    let tip = "\(row.label): \(m.points[i]) \(Fmt.pct(shares[i])) (\(counts[i]))"
                    s +=
                        "<rect x=\(quoted(x)) y=\"\(y + 4)\" width=\(quoted(w)) height=\"\(rh - 8)\" "
                        + "fill=\"\(colours[i])\"><title>\(Escape.html(tip))</title></rect>"
                    if w > 26 {
                        let ink = i == 0 || i == k - 1 ? "#ffffff" : "#1a1a1a"
                        s +=
                            "<text x=\(quoted(x + w / 2)) y=\"\(y + 19)\" text-anchor=\"middle\" font-size=\"10\" "
                            + "fill=\"\(ink)\">\(Fmt.pct(shares[i]))</text>"
                    }
                }
                x += w
            }
            s +=
                "<text x=\"\(lw + bw + 6)\" y=\"\(y + 19)\" font-size=\"11\" fill=\"#5b5b5b\">n = \(n)"
                + "\(row.missing > 0 ? ", missing \(row.missing)" : "")</text>\n"
        }
        return s + svgClose(id, desc: desc)
    }

    /// Splits text into lines of at most `width` characters at spaces (a longer word stays whole).
    static func wrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        var current = ""
        for word in text.split(separator: " ") {
            if !current.isEmpty && current.count + 1 + word.count > width {
                lines.append(current)
                current = ""
            }
            current += current.isEmpty ? String(word) : " " + word
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }

    private func quoted(_ v: Double) -> String { "\"\(Fmt.num(v, 1))\"" }
}
