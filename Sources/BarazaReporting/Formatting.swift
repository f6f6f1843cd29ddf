import BarazaAnalysis
import BarazaModel
import Foundation

/// Number formatting and plain-language sentences shared by every report format.
public enum Fmt {
    public static func num(_ v: Double?, _ digits: Int = 2) -> String {
        guard let v, v.isFinite else { return "–" }
        let s = String(format: "%.\(digits)f", v)
        return s == "-0.00" || s == "-0.0" ? String(s.dropFirst()) : s
    }
    public static func pct(_ v: Double?) -> String {
        guard let v, v.isFinite else { return "–" }
        return String(format: "%.0f%%", v * 100)
    }
    public static func p(_ v: Double?) -> String {
        guard let v else { return "–" }
        return v < 0.001 ? "< 0.001" : String(format: "%.3f", v)
    }
    /// A p- or q-value after its name: "= 0.012" or "< 0.001".
    public static func pEquals(_ v: Double?) -> String {
        guard let v else { return "= –" }
        return v < 0.001 ? "< 0.001" : "= " + String(format: "%.3f", v)
    }
    public static func ci(_ s: Descriptives?) -> String {
        guard let s, let lo = s.ciLow, let hi = s.ciHigh else { return "–" }
        return "\(num(lo))–\(num(hi))\(s.ciClipped ? " (cut at the scale's end)" : "")"
    }
    public static func boxCI(_ p: Proportion?) -> String {
        guard let p else { return "–" }
        return "\(pct(p.low))–\(pct(p.high))"
    }
    public static func suppressedText(_ minCell: Int) -> String { "fewer than \(minCell)" }
    public static let withheldText = "withheld to protect a small group"
    /// What a hidden cell says: "fewer than N" only where that is true.
    public static func hiddenText(withheld: Bool, _ minCell: Int) -> String {
        withheld ? withheldText : suppressedText(minCell)
    }
    public static func hiddenText(_ c: CellSummary, _ minCell: Int) -> String {
        hiddenText(withheld: c.withheld, minCell)
    }

    /// The base of a shown cell: "38", or "38 (n_eff 31.2)" when weighted.
    public static func base(_ c: CellSummary, weighted: Bool) -> String {
        let n = String(c.answered ?? 0)
        guard weighted, let e = c.stats?.effectiveN else { return n }
        return "\(n) (n_eff \(num(e, 1)))"
    }

    /// Missing answers of a shown cell: the total, and by kind when there is more than one kind.
    public static func missing(_ c: CellSummary) -> String {
        let total = (c.asked ?? 0) - (c.answered ?? 0)
        var parts = (c.missing ?? [:]).filter { $0.value > 0 }.sorted { $0.key < $1.key }
            .map { "\($0.key.label.lowercased()) \($0.value)" }
        if let u = c.unrecognised, u > 0 { parts.append("unrecognised \(u)") }
        return parts.count > 1 || (parts.count == 1 && c.missing?[.tooFewItems] != nil)
            ? "\(total) (\(parts.joined(separator: ", ")))" : String(total)
    }

    /// A pair's rank-biserial r with its interval: "r = 0.42 (0.18 to 0.61)".
    public static func rankBiserial(_ e: RankBiserial?) -> String {
        guard let e else { return "r = –" }
        return "r = \(num(e.r)) (\(num(e.low)) to \(num(e.high)))"
    }
}

/// The line under the title: respondents counted, per group, the hidden groups together.
public enum HeadlineText {
    public static func line(_ a: ConsultationAnalysis, label: (String?) -> String) -> String {
        var s = "Stakeholder comparison report · \(a.totalRespondents) respondents counted · groups: "
        s += a.respondents
            .map { r in
                "\(label(r.cell.group)) (\(r.suppressed ? Fmt.hiddenText(r, a.minCell) : String(r.answered ?? 0)))"
            }
            .joined(separator: ", ")
        if let other = a.otherRespondents {
            let hidden = a.respondents.filter(\.suppressed).map { label($0.cell.group) }
            s += "; \(hidden.joined(separator: " and ")) together \(other)"
        }
        if a.weighting != .none { s += " · weighted (\(weightingName(a.weighting)))" }
        return s
    }

    static func weightingName(_ w: Weighting) -> String {
        switch w {
        case .none: "unweighted"
        case .column: "weight column"
        case .equalGroups: "each group counts equally in the totals"
        }
    }
}

/// The sentences of the report's summary: per theme, convergence or divergence.
public enum SummaryWriter {
    public static func sentences(_ a: ConsultationAnalysis) -> [String] {
        func label(_ g: String) -> String { a.groups.first { $0.id == g }?.label ?? g }
        var out: [String] = []
        for t in a.themes {
            let shown = t.score.byGroup.filter { !$0.suppressed && $0.stats != nil }
            guard shown.count >= 2, let gap = t.gap else {
                out.append("\(t.theme.label): too few respondents per group to compare.")
                continue
            }
            let q = t.score.test.q
            let hi = shown.first { $0.cell.group == gap.high }
            let lo = shown.first { $0.cell.group == gap.low }
            let figures =
                "\(label(gap.high)) \(Fmt.num(hi?.stats?.mean)) (n = \(hi?.answered ?? 0)) vs \(label(gap.low)) "
                + "\(Fmt.num(lo?.stats?.mean)) (n = \(lo?.answered ?? 0)), a gap of \(Fmt.num(gap.difference)) "
                + "(95% CI \(Fmt.num(gap.ciLow)) to \(Fmt.num(gap.ciHigh)))"
            if let q, q < 0.05 {
                out.append(
                    "\(t.theme.label): the groups appear to diverge — \(figures); "
                        + "Kruskal–Wallis H = \(Fmt.num(t.score.test.statistic)), BH-adjusted q \(Fmt.pEquals(q))."
                )
            } else {
                out.append(
                    "\(t.theme.label): no difference between groups holds after correction for multiple tests "
                        + "(q \(Fmt.pEquals(q))); the largest gap is \(figures)."
                )
            }
        }
        for w in a.waveChanges where !w.suppressed {
            guard let q = w.test.q, q < 0.05, let change = w.change,
                let theme = a.themes.first(where: { $0.theme.id == w.measure })
            else { continue }
            out.append(
                "\(theme.theme.label), \(label(w.group)): the score \(change > 0 ? "rose" : "fell") by "
                    + "\(Fmt.num(abs(change))) from \(w.fromWave) (\(Fmt.num(w.fromMean)), n = \(w.fromN ?? 0)) to "
                    + "\(w.toWave) (\(Fmt.num(w.toMean)), n = \(w.toN ?? 0)); 95% CI of the change "
                    + "\(Fmt.num(w.ciLow)) to \(Fmt.num(w.ciHigh)), q \(Fmt.pEquals(q))."
            )
        }
        return out
    }

    /// "χ² p = 0.012 (q = 0.030)", "Fisher p = …", "permutation p = …", or why not computed.
    public static func shortTest(_ t: TestResult?) -> String {
        guard let t else { return "–" }
        if t.notComputed != nil { return "–" }
        let method = t.method ?? ""
        let name =
            t.name == "Fisher's exact"
            ? "Fisher"
            : method.hasPrefix("Monte-Carlo") ? "χ² (perm.)" : method.hasPrefix("exact") ? "χ² (exact)" : "χ²"
        let error = t.monteCarloError.map { " ± \(String(format: "%.3f", $0))" } ?? ""
        return "\(name) p \(Fmt.pEquals(t.p))\(error), q \(Fmt.pEquals(t.q)), V = \(Fmt.num(t.effect))"
    }
}
