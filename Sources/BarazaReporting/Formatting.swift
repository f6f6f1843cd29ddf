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
        return "\(num(lo))–\(num(hi))"
    }
    public static func boxCI(_ p: Proportion?) -> String {
        guard let p else { return "–" }
        return "\(pct(p.low))–\(pct(p.high))"
    }
    public static func suppressedText(_ minCell: Int) -> String { "fewer than \(minCell)" }
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
            let hi = shown.first { $0.cell.group == gap.high }, lo = shown.first { $0.cell.group == gap.low }
            let figures = "\(label(gap.high)) \(Fmt.num(hi?.stats?.mean)) (n = \(hi?.answered ?? 0)) vs \(label(gap.low)) \(Fmt.num(lo?.stats?.mean)) (n = \(lo?.answered ?? 0))"
            if let q, q < 0.05 {
                out.append("\(t.theme.label): the groups appear to diverge — \(figures); Kruskal–Wallis H = \(Fmt.num(t.score.test.statistic)), BH-adjusted q \(Fmt.pEquals(q)).")
            } else {
                out.append("\(t.theme.label): no difference between groups holds after correction for multiple tests (q \(Fmt.pEquals(q))); the largest gap is \(figures).")
            }
        }
        for w in a.waveChanges where !w.suppressed {
            guard let q = w.test.q, q < 0.05, let change = w.change, let theme = a.themes.first(where: { $0.theme.id == w.measure }) else { continue }
            out.append("\(theme.theme.label), \(label(w.group)): the score \(change > 0 ? "rose" : "fell") by \(Fmt.num(abs(change))) from \(w.fromWave) (\(Fmt.num(w.fromMean)), n = \(w.fromN ?? 0)) to \(w.toWave) (\(Fmt.num(w.toMean)), n = \(w.toN ?? 0)); 95% CI of the change \(Fmt.num(w.ciLow)) to \(Fmt.num(w.ciHigh)), q \(Fmt.pEquals(q)).")
        }
        return out
    }

    /// "χ² p = 0.012 (q = 0.030)", "Fisher p = …", "permutation p = …", or why not computed.
    public static func shortTest(_ t: TestResult?) -> String {
        guard let t else { return "–" }
        if t.notComputed != nil { return "–" }
        let name = t.name == "Fisher's exact" ? "Fisher" : (t.method?.hasPrefix("Monte-Carlo") ?? false) ? "χ² (perm.)" : "χ²"
        return "\(name) p \(Fmt.pEquals(t.p)), q \(Fmt.pEquals(t.q))"
    }
}
