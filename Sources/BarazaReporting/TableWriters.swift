import BarazaAnalysis
import BarazaModel
import Foundation

/// Tidy CSV tables for other tools: one row per measure × cell, suppressed cells with empty figures.
public enum CSVTables {
    static func row(_ cells: [String]) -> String { cells.map(Escape.csv).joined(separator: ",") + "\r\n" }

    public static func render(_ a: ConsultationAnalysis) -> [String: String] {
        let measureHeader = ["measure", "theme", "group", "country", "wave", "suppressed", "n", "missing", "mean", "ci_low", "ci_high", "sd",
                             "median", "top2_share", "top2_low", "top2_high", "bottom2_share", "consensus"]
        func measureRows(_ m: MeasureResult) -> String {
            var s = ""
            for c in m.byGroup + m.byCell + (m.total.map { [$0] } ?? []) {
                var cells = [m.id, m.theme ?? "", c.cell.group ?? "", c.cell.country ?? "", c.cell.wave ?? "", c.suppressed ? "true" : "false"]
                if c.suppressed {
                    cells += Array(repeating: "", count: measureHeader.count - cells.count)
                } else {
                    cells += [String(c.answered ?? 0), String((c.asked ?? 0) - (c.answered ?? 0)), Fmt.num(c.stats?.mean, 6), Fmt.num(c.stats?.ciLow, 6),
                              Fmt.num(c.stats?.ciHigh, 6), Fmt.num(c.stats?.sd, 6), Fmt.num(c.stats?.median, 6), Fmt.num(c.topBox?.share, 6),
                              Fmt.num(c.topBox?.low, 6), Fmt.num(c.topBox?.high, 6), Fmt.num(c.bottomBox?.share, 6), Fmt.num(c.consensus, 6)]
                        .map { $0 == "–" ? "" : $0 }
                }
                s += row(cells)
            }
            return s
        }
        var themeScores = row(measureHeader), items = row(measureHeader)
        var dist = row(["question", "group", "value", "label", "count"])
        var tests = row(["measure", "test", "statistic", "df", "p", "q_bh", "effect_epsilon2", "not_computed"])
        var pairs = row(["measure", "group_a", "group_b", "u", "p", "p_holm", "method"])
        var codes = row(["question", "code", "theme", "group", "base", "count", "share", "share_low", "share_high"])
        for t in a.themes {
            themeScores += measureRows(t.score)
            for m in [t.score] + t.items {
                tests += row([m.id, m.test.name, Fmt.num(m.test.statistic, 6), Fmt.num(m.test.df, 0), m.test.p.map { String(format: "%.6g", $0) } ?? "",
                              m.test.q.map { String(format: "%.6g", $0) } ?? "", Fmt.num(m.test.effect, 6), m.test.notComputed ?? ""].map { $0 == "–" ? "" : $0 })
                for p in m.pairwise {
                    pairs += row([m.id, p.groupA, p.groupB, Fmt.num(p.test.statistic, 1), p.test.p.map { String(format: "%.6g", $0) } ?? "",
                                  p.pHolm.map { String(format: "%.6g", $0) } ?? "", p.test.method ?? ""])
                }
            }
            for m in t.items {
                items += measureRows(m)
                for c in m.byGroup where !c.suppressed {
                    for d in c.distribution ?? [] { dist += row([m.id, c.cell.group ?? "", Fmt.num(d.value, 0), d.label, String(d.count)]) }
                }
            }
            for ct in t.codes { codes += shareRows(ct, theme: t.theme.id) }
        }
        var choices = row(["question", "option", "theme", "group", "base", "count", "share", "share_low", "share_high"])
        for ct in a.choices { choices += shareRows(ct, theme: nil) }
        func testRow(_ id: String, _ t: TestResult) -> String {
            row([id, t.name, Fmt.num(t.statistic, 6), Fmt.num(t.df, 0), t.p.map { String(format: "%.6g", $0) } ?? "",
                 t.q.map { String(format: "%.6g", $0) } ?? "", Fmt.num(t.effect, 6), t.notComputed ?? ""].map { $0 == "–" ? "" : $0 })
        }
        for t in a.themes { for ct in t.codes { for r in ct.rows { if let test = r.test { tests += testRow("\(ct.question):\(r.option)", test) } } } }
        for ct in a.choices { for r in ct.rows { if let test = r.test { tests += testRow("\(ct.question):\(r.option)", test) } } }
        var waves = row(["theme", "group", "from_wave", "to_wave", "suppressed", "from_n", "from_mean", "to_n", "to_mean", "change", "ci_low", "ci_high", "p", "q_bh"])
        for w in a.waveChanges {
            if w.suppressed { waves += row([w.measure, w.group, w.fromWave, w.toWave, "true", "", "", "", "", "", "", "", "", ""]); continue }
            waves += row([w.measure, w.group, w.fromWave, w.toWave, "false", String(w.fromN ?? 0), Fmt.num(w.fromMean, 6), String(w.toN ?? 0),
                          Fmt.num(w.toMean, 6), Fmt.num(w.change, 6), Fmt.num(w.ciLow, 6), Fmt.num(w.ciHigh, 6),
                          w.test.p.map { String(format: "%.6g", $0) } ?? "", w.test.q.map { String(format: "%.6g", $0) } ?? ""].map { $0 == "–" ? "" : $0 })
        }
        var quotes = row(["question", "code", "group", "text"])
        for q in a.quotes { for t in QuoteScrubber.publishable(q.texts) { quotes += row([q.question, q.code, q.group, t]) } }
        return ["theme_scores.csv": themeScores, "items.csv": items, "distributions.csv": dist, "tests.csv": tests,
                "pairwise.csv": pairs, "codes.csv": codes, "choices.csv": choices, "quotes.csv": quotes, "waves.csv": waves]
    }

    static func shareRows(_ t: ShareTable, theme: String?) -> String {
        var s = ""
        for r in t.rows {
            for b in t.bases {
                if b.suppressed { s += row([t.question, r.option, r.theme ?? theme ?? "", b.group, "", "", "", "", ""]); continue }
                let p = r.shares[b.group]
                s += row([t.question, r.option, r.theme ?? theme ?? "", b.group, String(b.answered ?? 0), String(p?.count ?? 0),
                          Fmt.num(p?.share, 6), Fmt.num(p?.low, 6), Fmt.num(p?.high, 6)])
            }
        }
        return s
    }
}

/// `summary.json`: the whole analysis as data (schema in docs/summary.schema.json), quotes scrubbed.
public struct JSONSummary: ReportFormat {
    public let fileName = "summary.json"
    public init() {}

    struct Document: Encodable {
        var schema = "https://baraza.example/schemas/summary-1.json"
        var analysis: ConsultationAnalysis
    }

    public func render(_ a: ConsultationAnalysis) -> String {
        var scrubbed = a
        scrubbed.quotes = a.quotes.map { q in var q = q; q.texts = QuoteScrubber.publishable(q.texts); return q }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        guard let data = try? encoder.encode(Document(analysis: scrubbed)) else { return "{}\n" }
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
