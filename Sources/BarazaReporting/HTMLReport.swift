import BarazaAnalysis
import BarazaModel
import Foundation

/// The self-contained HTML report: inline CSS and SVG, no script, nothing from the network.
public struct HTMLReport: ReportFormat {
    public let fileName = "index.html"
    public init() {}

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

    /// Sequential colour for a mean on a scale (light to dark teal), readable with the value printed.
    static func heat(_ mean: Double, lo: Double, hi: Double) -> (fill: String, text: String) {
        let t = max(0, min(1, (mean - lo) / max(1e-9, hi - lo)))
        let stops: [(Double, Double, Double)] = [(246, 232, 195), (199, 234, 229), (90, 180, 172), (1, 102, 94)]
        let x = t * Double(stops.count - 1)
        let i = min(stops.count - 2, Int(x))
        let f = x - Double(i)
        let c = (
            stops[i].0 + (stops[i + 1].0 - stops[i].0) * f, stops[i].1 + (stops[i + 1].1 - stops[i].1) * f,
            stops[i].2 + (stops[i + 1].2 - stops[i].2) * f
        )
        let fill = String(format: "#%02x%02x%02x", Int(c.0.rounded()), Int(c.1.rounded()), Int(c.2.rounded()))
        return (fill, t > 0.6 ? "#ffffff" : "#1a1a1a")
    }

    static let css = """
        :root{--ink:#1a1a1a;--muted:#5b5b5b;--line:#d0d0d0;--accent:#01665e}
        body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;color:var(--ink);max-width:1040px;margin:0 auto;padding:24px}
        h1{font-size:1.8em;margin:.2em 0}h2{border-bottom:2px solid var(--accent);padding-bottom:.2em;margin-top:2em}
        h3{margin-top:1.6em}table{border-collapse:collapse;margin:.6em 0 1.2em;font-size:.92em}
        th,td{border:1px solid var(--line);padding:.3em .55em;text-align:right;vertical-align:top}th:first-child,td:first-child{text-align:left}
        thead th{background:#f2f2f2}.muted{color:var(--muted)}.supp{color:var(--muted);font-style:italic}
        nav ol{columns:2}figure{margin:1em 0}figcaption{font-size:.9em;color:var(--muted)}
        blockquote{margin:.4em 0 .4em 1em;padding-left:.8em;border-left:3px solid var(--line)}
        .summary li{margin:.3em 0}.note{font-size:.9em;color:var(--muted)}
        svg text{font-family:system-ui,sans-serif}
        @media print{body{max-width:none;padding:0;font-size:11pt}nav{display:none}section,figure,table{break-inside:avoid}h2,h3{break-after:avoid}a{color:inherit;text-decoration:none}}
        """

    public static let contentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

    public func render(_ a: ConsultationAnalysis) -> String {
        var h = ""
        func label(_ g: String?) -> String {
            guard let g else { return "All" }
            return a.groups.first { $0.id == g }?.label ?? g
        }
        let supp = "<span class=\"supp\">\(Fmt.suppressedText(a.minCell))</span>"
        h +=
            "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        // The report runs no script and loads nothing: a policy that says so stops anything a
        // label or quote might smuggle in from running.
        h += "<meta http-equiv=\"Content-Security-Policy\" content=\"\(Self.contentSecurityPolicy)\">\n"
        h += "<title>\(Escape.html(a.title))</title>\n<style>\n\(Self.css)\n</style>\n</head>\n<body>\n"
        h += "<header>\n<h1>\(Escape.html(a.title))</h1>\n"
        h += "<p class=\"muted\">\(Escape.html(HeadlineText.line(a, label: label)))</p>\n</header>\n"
        h +=
            "<nav aria-label=\"Contents\"><ol><li><a href=\"#summary\">Summary</a></li><li><a href=\"#heatmap\">Theme scores by group</a></li>"
        for t in a.themes {
            h += "<li><a href=\"#theme-\(Escape.anchor(t.theme.id))\">\(Escape.html(t.theme.label))</a></li>"
        }
        h +=
            "\(a.waveChanges.isEmpty ? "" : "<li><a href=\"#waves\">Change between waves</a></li>")<li><a href=\"#choices\">Multiple-choice questions</a></li><li><a href=\"#methodology\">Methodology</a></li><li><a href=\"#quality\">Data quality</a></li></ol></nav>\n"

        // Summary
        h += "<section id=\"summary\">\n<h2>Summary</h2>\n<ul class=\"summary\">\n"
        for s in SummaryWriter.sentences(a) { h += "<li>\(Escape.html(s))</li>\n" }
        h += "</ul>\n</section>\n"

        // Heat map
        h += "<section id=\"heatmap\">\n<h2>Theme scores by stakeholder group</h2>\n"
        h += heatMap(a)
        h += "</section>\n"

        for t in a.themes {
            h += "<section id=\"theme-\(Escape.anchor(t.theme.id))\">\n<h2>\(Escape.html(t.theme.label))</h2>\n"
            h += "<h3>Theme score</h3>\n"
            h += measureTable(t.score, a, label, supp, showBox: false)
            h += testBlock(t.score, label)
            for item in t.items {
                h +=
                    "<h3>\(Escape.html(item.label))\(item.reverse ? " <span class=\"muted\">(reverse-coded)</span>" : "")</h3>\n"
                h += divergingBars(item, a, label)
                h += measureTable(item, a, label, supp, showBox: true)
                h += testBlock(item, label)
            }
            for table in t.codes {
                h += "<h3>Open answers: \(Escape.html(table.label))</h3>\n"
                h += shareTable(table, a, label, supp)
                for row in table.rows {
                    let sets = a.quotes.filter { $0.question == table.question && $0.code == row.option }
                    guard sets.contains(where: { !QuoteScrubber.publishable($0.texts).isEmpty }) else { continue }
                    h += "<p><strong>\(Escape.html(row.label))</strong> — what respondents said:</p>\n"
                    for set in sets {
                        for text in QuoteScrubber.publishable(set.texts).prefix(2) {
                            h +=
                                "<blockquote>“\(Escape.html(text))” <span class=\"muted\">— \(Escape.html(label(set.group)))</span></blockquote>\n"
                        }
                    }
                }
            }
            h += "</section>\n"
        }

        if !a.waveChanges.isEmpty {
            h += "<section id=\"waves\">\n<h2>Change between waves</h2>\n"
            h +=
                "<table>\n<thead><tr><th>Theme</th><th>Group</th><th>\(Escape.html(a.waveChanges[0].fromWave))</th><th>\(Escape.html(a.waveChanges[0].toWave))</th><th>Change</th><th>95% CI</th><th>Welch p</th><th>BH q</th></tr></thead>\n<tbody>\n"
            for w in a.waveChanges {
                let theme = a.themes.first { $0.theme.id == w.measure }?.theme.label ?? w.measure
                h += "<tr><td>\(Escape.html(theme))</td><td>\(Escape.html(label(w.group)))</td>"
                if w.suppressed {
                    h +=
                        "<td colspan=\"6\" class=\"supp\">\(Escape.html(w.test.notComputed ?? Fmt.withheldText))</td></tr>\n"
                    continue
                }
                h +=
                    "<td>\(Fmt.num(w.fromMean)) (\(w.fromN ?? 0))</td><td>\(Fmt.num(w.toMean)) (\(w.toN ?? 0))</td><td>\(w.change.map { ($0 > 0 ? "+" : "") + Fmt.num($0) } ?? "–")</td><td>\(Fmt.num(w.ciLow)) to \(Fmt.num(w.ciHigh))</td><td>\(Fmt.p(w.test.p))</td><td>\(Fmt.p(w.test.q))</td></tr>\n"
            }
            h += "</tbody>\n</table>\n</section>\n"
        }
        h += "<section id=\"choices\">\n<h2>Multiple-choice questions</h2>\n"
        for table in a.choices {
            h += "<h3>\(Escape.html(table.label))</h3>\n"
            h += shareTable(table, a, label, supp)
        }
        h += "</section>\n"

        h += "<section id=\"methodology\">\n<h2>Methodology</h2>\n"
        for p in MethodologyText.paragraphs(a) { h += "<p>\(Escape.html(p))</p>\n" }
        h += "</section>\n"

        h += "<section id=\"quality\">\n<h2>Data quality</h2>\n"
        h +=
            "<table><thead><tr><th>Batch</th><th>File</th><th>Format</th><th>Records</th><th>Responses</th><th>Rejected</th><th>Duplicates</th><th>Superseded</th><th>Status</th></tr></thead><tbody>\n"
        for b in a.quality.batches {
            h +=
                "<tr><td>\(b.id)</td><td>\(Escape.html(b.path))</td><td>\(Escape.html(b.format))</td><td>\(b.records)</td><td>\(b.responses)</td><td>\(b.rejected)</td><td>\(b.duplicates)</td><td>\(b.superseded)</td><td>\(Escape.html(b.status))</td></tr>\n"
        }
        h += "</tbody></table>\n"
        h +=
            "<p>\(a.quality.activeResponses) responses counted; \(a.quality.supersededResponses) superseded by a later edit or duplicate (kept for audit, not counted).</p>\n"
        for line in QualityText.lines(a.quality) { h += "<p>\(Escape.html(line))</p>\n" }
        h += "</section>\n</body>\n</html>\n"
        return h
    }

    func heatMap(_ a: ConsultationAnalysis) -> String {
        let groups = a.respondents.compactMap(\.cell.group)
        let cw = 150
        let ch = 46
        let lw = 250
        let top = 56
        let width = lw + cw * groups.count + 10
        let height = top + ch * a.themes.count + 10
        func label(_ g: String) -> String { a.groups.first { $0.id == g }?.label ?? g }
        var s =
            "<figure>\n<svg role=\"img\" aria-labelledby=\"hm-title hm-desc\" viewBox=\"0 0 \(width) \(height)\" width=\"\(width)\" height=\"\(height)\" xmlns=\"http://www.w3.org/2000/svg\">\n"
        s += "<title id=\"hm-title\">Theme score (mean, 1–5) by stakeholder group</title>\n"
        var desc: [String] = []
        for (gi, g) in groups.enumerated() {
            // Long group names wrap onto two lines so neighbouring columns never collide.
            let lines = Self.wrap(label(g), width: 18)
            for (li, line) in lines.enumerated() {
                let y = top - 10 - (lines.count - 1 - li) * 15
                s +=
                    "<text x=\"\(lw + gi * cw + cw / 2)\" y=\"\(y)\" text-anchor=\"middle\" font-size=\"13\" font-weight=\"600\">\(Escape.html(line))</text>\n"
            }
        }
        for (ti, t) in a.themes.enumerated() {
            let y = top + ti * ch
            s += "<text x=\"4\" y=\"\(y + ch / 2 + 5)\" font-size=\"13\">\(Escape.html(t.theme.label))</text>\n"
            for (gi, g) in groups.enumerated() {
                let x = lw + gi * cw
                let cell = t.score.byGroup.first { $0.cell.group == g }
                if let cell, !cell.suppressed, let m = cell.stats?.mean {
                    let (fill, ink) = Self.heat(m, lo: t.score.scaleMin, hi: t.score.scaleMax)
                    s +=
                        "<rect x=\"\(x + 2)\" y=\"\(y + 2)\" width=\"\(cw - 4)\" height=\"\(ch - 4)\" fill=\"\(fill)\"/>"
                    s +=
                        "<text x=\"\(x + cw / 2)\" y=\"\(y + ch / 2 + 5)\" text-anchor=\"middle\" font-size=\"13\" fill=\"\(ink)\">\(Fmt.num(m)) (n = \(cell.answered ?? 0))</text>\n"
                    desc.append("\(t.theme.label), \(label(g)): \(Fmt.num(m)), n = \(cell.answered ?? 0)")
                } else {
                    s +=
                        "<rect x=\"\(x + 2)\" y=\"\(y + 2)\" width=\"\(cw - 4)\" height=\"\(ch - 4)\" fill=\"#f4f4f4\" stroke=\"#d0d0d0\"/>"
                    let why = cell.map { Fmt.hiddenText($0, a.minCell) } ?? "no answers"
                    let lines = Self.wrap(why, width: 20)
                    for (li, line) in lines.enumerated() {
                        let ly = y + ch / 2 + 5 - (lines.count - 1) * 7 + li * 14
                        s +=
                            "<text x=\"\(x + cw / 2)\" y=\"\(ly)\" text-anchor=\"middle\" font-size=\"12\" fill=\"#5b5b5b\">\(Escape.html(line))</text>\n"
                    }
                    desc.append("\(t.theme.label), \(label(g)): \(why)")
                }
            }
        }
        s += "<desc id=\"hm-desc\">\(Escape.html(desc.joined(separator: "; ")))</desc>\n</svg>\n"
        s +=
            "<figcaption>Mean theme score per group (1 = most negative, 5 = most positive; reverse-coded items flipped). Darker is higher; each cell prints its value and base.</figcaption>\n</figure>\n"
        return s
    }

    func divergingBars(_ m: MeasureResult, _ a: ConsultationAnalysis, _ label: (String?) -> String) -> String {
        let rows = m.byGroup
        guard let points = rows.first(where: { $0.distribution != nil })?.distribution else { return "" }
        let colours = Self.pointColours(points.count)
        let lw = 190
        let bw = 560
        let rh = 30
        let top = 34
        let width = lw + bw + 110
        let height = top + rh * rows.count + 8
        let centre = Double(lw) + Double(bw) / 2
        var s =
            "<figure>\n<svg role=\"img\" aria-label=\"\(Escape.html("Answers to \(m.label) by group"))\" viewBox=\"0 0 \(width) \(height)\" width=\"\(width)\" height=\"\(height)\" xmlns=\"http://www.w3.org/2000/svg\">\n"
        s += "<title>\(Escape.html("Distribution of answers: \(m.label)"))</title>\n"
        // Legend
        var lx = lw
        for (i, p) in points.enumerated() {
            s +=
                "<rect x=\"\(lx)\" y=\"6\" width=\"12\" height=\"12\" fill=\"\(colours[i])\" stroke=\"#888\" stroke-width=\"0.5\"/><text x=\"\(lx + 16)\" y=\"16\" font-size=\"11\">\(Escape.html(p.label))</text>\n"
            lx += 24 + p.label.count * 6
        }
        s +=
            "<line x1=\"\(Int(centre))\" y1=\"\(top - 4)\" x2=\"\(Int(centre))\" y2=\"\(height - 4)\" stroke=\"#555\" stroke-width=\"1\"/>\n"
        for (ri, row) in rows.enumerated() {
            let y = top + ri * rh
            s += "<text x=\"4\" y=\"\(y + 19)\" font-size=\"12\">\(Escape.html(label(row.cell.group)))</text>\n"
            guard !row.suppressed, let dist = row.distribution, let n = row.answered, n > 0 else {
                s +=
                    "<text x=\"\(Int(centre))\" y=\"\(y + 19)\" text-anchor=\"middle\" font-size=\"12\" fill=\"#5b5b5b\">\(Fmt.hiddenText(row, a.minCell))</text>\n"
                continue
            }
            let k = dist.count
            let shares = dist.map { Double($0.count) / Double(n) }
            // Negative points left of centre, positive right, a middle point split in half.
            let mid = k % 2 == 1 ? k / 2 : -1
            var negative = 0.0
            for i in 0..<k where i < k / 2 { negative += shares[i] }
            if mid >= 0 { negative += shares[mid] / 2 }
            var x = centre - negative * Double(bw) / 2
            for i in 0..<k {
                let w = shares[i] * Double(bw) / 2
                if w > 0 {
                    s +=
                        "<rect x=\(quoted(x)) y=\"\(y + 4)\" width=\(quoted(w)) height=\"\(rh - 8)\" fill=\"\(colours[i])\"><title>\(Escape.html("\(label(row.cell.group)): \(dist[i].label) \(Fmt.pct(shares[i])) (\(dist[i].count))"))</title></rect>"
                    if w > 26 {
                        s +=
                            "<text x=\(quoted(x + w / 2)) y=\"\(y + 19)\" text-anchor=\"middle\" font-size=\"10\" fill=\"\(i == 0 || i == k - 1 ? "#ffffff" : "#1a1a1a")\">\(Fmt.pct(shares[i]))</text>"
                    }
                }
                x += w
            }
            let miss = row.asked.map { $0 - n } ?? 0
            s +=
                "<text x=\"\(lw + bw + 6)\" y=\"\(y + 19)\" font-size=\"11\" fill=\"#5b5b5b\">n = \(n)\(miss > 0 ? ", missing \(miss)" : "")</text>\n"
        }
        let ticked =
            m.reverse
            ? " Answers are shown as ticked; the item is reverse-coded, so its scores count them the other way round."
            : ""
        let unweighted = a.weighting == .none ? "" : " Bars are unweighted shares of respondents."
        s +=
            "</svg>\n<figcaption>Share of each answer by group; disagreement to the left of the line, agreement to the right, the neutral point split across it. Missing answers are counted apart, not in the bars.\(ticked)\(unweighted)</figcaption>\n</figure>\n"
        return s
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

    func measureTable(
        _ m: MeasureResult,
        _ a: ConsultationAnalysis,
        _ label: (String?) -> String,
        _ supp: String,
        showBox: Bool
    ) -> String {
        let weighted = a.weighting != .none
        var s = "<table>\n<thead><tr><th>Group</th><th>n\(weighted ? " (n_eff)" : "")</th><th>Missing</th>"
        if showBox { s += "<th>Don't know / declined</th>" }
        s += "<th>Mean</th><th>95% CI</th><th>SD</th><th>Median</th>"
        if showBox { s += "<th>Top-2-box</th><th>95% CI</th><th>Consensus</th>" }
        s += "</tr></thead>\n<tbody>\n"
        let others = m.others.map { [$0] } ?? []
        let rows = m.byGroup + (m.byCell.isEmpty ? [] : m.byCell) + others + (m.total.map { [$0] } ?? [])
        for (i, r) in rows.enumerated() {
            var name = label(r.cell.group)
            if let c = r.cell.country { name += " · \(c)" }
            if let w = r.cell.wave { name += " · \(w)" }
            if r.cell.group == nil { name = "All respondents" }
            if !others.isEmpty && i == rows.count - 2 {
                name = "Other groups together (\(m.otherGroups.map { label($0) }.joined(separator: ", ")))"
            }
            s += "<tr><td>\(Escape.html(name))</td>"
            if r.suppressed {
                s += "<td colspan=\"\(showBox ? 10 : 6)\" class=\"supp\">\(Fmt.hiddenText(r, a.minCell))</td></tr>\n"
                continue
            }
            s += "<td>\(Fmt.base(r, weighted: weighted))</td><td>\(Escape.html(Fmt.missing(r)))</td>"
            if showBox { s += "<td>\(Fmt.pct(r.dontKnow?.share)) / \(Fmt.pct(r.refused?.share))</td>" }
            s +=
                "<td>\(Fmt.num(r.stats?.mean))</td><td>\(Fmt.ci(r.stats))</td><td>\(Fmt.num(r.stats?.sd))</td><td>\(Fmt.num(r.stats?.median, 1))</td>"
            if showBox {
                s +=
                    "<td>\(Fmt.pct(r.topBox?.share))</td><td>\(Fmt.boxCI(r.topBox))</td><td>\(Fmt.num(r.consensus))</td>"
            }
            s += "</tr>\n"
        }
        s += "</tbody>\n</table>\n"
        return s
    }

    func testBlock(_ m: MeasureResult, _ label: (String?) -> String) -> String {
        if let why = m.test.notComputed {
            return "<p class=\"note\">Between-group test not computed: \(Escape.html(why)).</p>\n"
        }
        var s =
            "<p class=\"note\">Kruskal–Wallis H = \(Fmt.num(m.test.statistic)), df = \(Fmt.num(m.test.df, 0)), p \(Fmt.pEquals(m.test.p)), BH q \(Fmt.pEquals(m.test.q)), ε² = \(Fmt.num(m.test.effect, 3))."
        if !m.untestedGroups.isEmpty {
            s += " Not tested (hidden): \(Escape.html(m.untestedGroups.map { label($0) }.joined(separator: ", ")))."
        }
        let pairs = m.pairwise.filter { ($0.pHolm ?? 1) < 0.05 }
        if !pairs.isEmpty {
            s +=
                " Pairs that differ (Mann–Whitney, Holm-adjusted p < 0.05; rank-biserial r, positive when the first is higher): "
            s +=
                pairs.map {
                    "\(Escape.html(label($0.groupA))) vs \(Escape.html(label($0.groupB))) (p \(Fmt.pEquals($0.pHolm)), \(Fmt.rankBiserial($0.effect)))"
                }
                .joined(separator: "; ")
            s += "."
        }
        return s + "</p>\n"
    }

    func shareTable(_ t: ShareTable, _ a: ConsultationAnalysis, _ label: (String?) -> String, _ supp: String) -> String
    {
        var s = "<table>\n<thead><tr><th>Option</th>"
        for b in t.bases {
            let n = b.answered.map { n in b.effectiveBase.map { "\(n), n_eff \(Fmt.num($0, 1))" } ?? String(n) }
            s +=
                "<th>\(Escape.html(label(b.group)))<br><span class=\"muted\">n = \(n ?? Fmt.hiddenText(withheld: b.withheld, a.minCell))</span></th>"
        }
        s += "<th>Differs by group?</th></tr></thead>\n<tbody>\n"
        for row in t.rows {
            s += "<tr><td>\(Escape.html(row.label))</td>"
            for b in t.bases {
                if b.suppressed {
                    s += "<td class=\"supp\">\(Fmt.hiddenText(withheld: b.withheld, a.minCell))</td>"
                    continue
                }
                let p = row.shares[b.group]
                s += "<td>\(Fmt.pct(p?.share)) <span class=\"muted\">(\(p?.count ?? 0))</span></td>"
            }
            s += "<td class=\"note\">\(Escape.html(SummaryWriter.shortTest(row.test)))</td></tr>\n"
        }
        s += "</tbody>\n</table>\n"
        return s
    }
}
