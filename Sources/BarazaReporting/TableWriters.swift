import BarazaAnalysis
import BarazaModel
import Foundation

/// Tidy CSV tables for other tools: one row per measure × cell, suppressed cells with empty figures.
public enum CSVTables {
    static func row(_ cells: [String]) -> String { cells.map(Escape.csv).joined(separator: ",") + "\r\n" }

    typealias Rows = [[String]]

    public static func render(_ a: ConsultationAnalysis) -> [String: String] {
        let labels = Labels(a)
        return tables(a).mapValues { labels.render($0) }
    }

    /// The tables as rows of text, ids only (the CSV and the workbook add the labels).
    static func tables(_ a: ConsultationAnalysis) -> [String: Rows] {
        // Rows: each group, each cell of the breakdown, the hidden groups together ("a+b", when shown)
        // and all respondents (group empty). `withheld`: hidden to protect a smaller cell.
        let missingKinds = MissingKind.allCases.sorted()
        let measureHeader =
            ["measure", "theme", "group", "country", "wave", "suppressed", "withheld", "n", "n_eff", "missing"]
            + missingKinds.map { "missing_\($0.rawValue)" } + [
                "unrecognised", "mean", "ci_low", "ci_high", "ci_clipped", "sd", "median", "top2_share", "top2_low",
                "top2_high", "bottom2_share", "consensus", "dont_know_share", "refused_share",
            ]
        func measureRows(_ m: MeasureResult) -> Rows {
            var s: Rows = []
            let others = m.others.map { [$0] } ?? []
            let rows = m.byGroup + m.byCell + others + (m.total.map { [$0] } ?? [])
            for (i, c) in rows.enumerated() {
                let group =
                    !others.isEmpty && i == rows.count - 2 ? m.otherGroups.joined(separator: "+") : c.cell.group ?? ""
                var cells = [
                    m.id, m.theme ?? "", group, c.cell.country ?? "", c.cell.wave ?? "",
                    c.suppressed ? "true" : "false", c.withheld ? "true" : "false",
                ]
                if c.suppressed {
                    cells += Array(repeating: "", count: measureHeader.count - cells.count)
                } else {
                    cells += [
                        String(c.answered ?? 0), Fmt.num(c.stats?.effectiveN, 6),
                        String((c.asked ?? 0) - (c.answered ?? 0)),
                    ]
                    cells += missingKinds.map { String(c.missing?[$0] ?? 0) } + [String(c.unrecognised ?? 0)]
                    cells += [
                        Fmt.num(c.stats?.mean, 6), Fmt.num(c.stats?.ciLow, 6), Fmt.num(c.stats?.ciHigh, 6),
                        c.stats.map { $0.ciClipped ? "true" : "false" } ?? "", Fmt.num(c.stats?.sd, 6),
                        Fmt.num(c.stats?.median, 6), Fmt.num(c.topBox?.share, 6), Fmt.num(c.topBox?.low, 6),
                        Fmt.num(c.topBox?.high, 6), Fmt.num(c.bottomBox?.share, 6), Fmt.num(c.consensus, 6),
                        Fmt.num(c.dontKnow?.share, 6), Fmt.num(c.refused?.share, 6),
                    ]
                    cells = cells.map { $0 == "–" ? "" : $0 }
                }
                s.append(cells)
            }
            return s
        }
        var themeScores: Rows = [measureHeader]
        var items: Rows = [measureHeader]
        var dist: Rows = [["question", "group", "value", "label", "count"]]
        var tests: Rows = [
            [
                "measure", "test", "statistic", "df", "p", "q_bh", "effect", "effect_name", "monte_carlo_se", "method",
                "not_computed",
            ]
        ]
        var pairs: Rows = [
            ["measure", "group_a", "group_b", "u", "p", "p_holm", "method", "rank_biserial_r", "r_low", "r_high"]
        ]
        var codes: Rows = [
            [
                "question", "code", "theme", "group", "withheld", "base", "n_eff", "count", "share", "share_low",
                "share_high",
            ]
        ]
        for t in a.themes {
            themeScores.append(contentsOf: measureRows(t.score))
            for m in [t.score] + t.items {
                tests.append(testRow(m.id, m.test))
                for p in m.pairwise {
                    pairs.append(
                        [
                            m.id, p.groupA, p.groupB, Fmt.num(p.test.statistic, 1),
                            p.test.p.map { String(format: "%.6g", $0) } ?? "",
                            p.pHolm.map { String(format: "%.6g", $0) } ?? "", p.test.method ?? "",
                            Fmt.num(p.effect?.r, 6), Fmt.num(p.effect?.low, 6), Fmt.num(p.effect?.high, 6),
                        ]
                        .map { $0 == "–" ? "" : $0 }
                    )
                }
            }
            for m in t.items {
                items.append(contentsOf: measureRows(m))
                for c in m.byGroup where !c.suppressed {
                    for d in c.distribution ?? [] {
                        dist.append([m.id, c.cell.group ?? "", Fmt.num(d.value, 0), d.label, String(d.count)])
                    }
                }
            }
            for ct in t.codes { codes.append(contentsOf: shareRows(ct, theme: t.theme.id)) }
        }
        var choices: Rows = [
            [
                "question", "option", "theme", "group", "withheld", "base", "n_eff", "count", "share", "share_low",
                "share_high",
            ]
        ]
        for ct in a.choices { choices.append(contentsOf: shareRows(ct, theme: nil)) }
        for t in a.themes {
            for ct in t.codes {
                for r in ct.rows { if let test = r.test { tests.append(testRow("\(ct.question):\(r.option)", test)) } }
            }
        }
        for ct in a.choices {
            for r in ct.rows { if let test = r.test { tests.append(testRow("\(ct.question):\(r.option)", test)) } }
        }
        var waves: Rows = [
            [
                "theme", "group", "from_wave", "to_wave", "suppressed", "from_n", "from_mean", "to_n", "to_mean",
                "change", "ci_low", "ci_high", "p", "q_bh", "not_computed",
            ]
        ]
        for w in a.waveChanges {
            if w.suppressed {
                waves.append([
                    w.measure, w.group, w.fromWave, w.toWave, "true", "", "", "", "", "", "", "", "", "",
                    w.test.notComputed ?? "",
                ])
                continue
            }
            waves.append(
                [
                    w.measure, w.group, w.fromWave, w.toWave, "false", String(w.fromN ?? 0), Fmt.num(w.fromMean, 6),
                    String(w.toN ?? 0), Fmt.num(w.toMean, 6), Fmt.num(w.change, 6), Fmt.num(w.ciLow, 6),
                    Fmt.num(w.ciHigh, 6), w.test.p.map { String(format: "%.6g", $0) } ?? "",
                    w.test.q.map { String(format: "%.6g", $0) } ?? "", "",
                ]
                .map { $0 == "–" ? "" : $0 }
            )
        }
        var quotes: Rows = [["question", "code", "group", "text"]]
        for q in a.quotes {
            for t in QuoteScrubber.publishable(q.texts) { quotes.append([q.question, q.code, q.group, t]) }
        }
        return [
            "theme_scores.csv": themeScores, "items.csv": items, "distributions.csv": dist, "tests.csv": tests,
            "pairwise.csv": pairs, "codes.csv": codes, "choices.csv": choices, "quotes.csv": quotes, "waves.csv": waves,
        ]
    }

    static func testRow(_ id: String, _ t: TestResult) -> [String] {
        ([
            id, t.name, Fmt.num(t.statistic, 6), Fmt.num(t.df, 0), t.p.map { String(format: "%.6g", $0) } ?? "",
            t.q.map { String(format: "%.6g", $0) } ?? "", Fmt.num(t.effect, 6), t.effectName ?? "",
            t.monteCarloError.map { String(format: "%.6g", $0) } ?? "", t.method ?? "", t.notComputed ?? "",
        ]
        .map { $0 == "–" ? "" : $0 })
    }

    static func shareRows(_ t: ShareTable, theme: String?) -> Rows {
        var s: Rows = []
        for r in t.rows {
            for b in t.bases {
                if b.suppressed {
                    s.append([
                        t.question, r.option, r.theme ?? theme ?? "", b.group, b.withheld ? "true" : "false", "", "",
                        "", "", "", "",
                    ])
                    continue
                }
                let p = r.shares[b.group]
                s.append([
                    t.question, r.option, r.theme ?? theme ?? "", b.group, "false", String(b.answered ?? 0),
                    b.effectiveBase.map { Fmt.num($0, 6) } ?? "", String(p?.count ?? 0), Fmt.num(p?.share, 6),
                    Fmt.num(p?.low, 6), Fmt.num(p?.high, 6),
                ])
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
        var schema = "https://baraza.example/schemas/summary-3.json"
        var analysis: ConsultationAnalysis
    }

    public func render(_ a: ConsultationAnalysis) -> String {
        var scrubbed = a
        scrubbed.quotes = a.quotes.map { q in
            var q = q
            q.texts = QuoteScrubber.publishable(q.texts)
            return q
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "Infinity",
            negativeInfinity: "-Infinity",
            nan: "NaN"
        )
        guard let data = try? encoder.encode(Document(analysis: scrubbed)) else { return "{}\n" }
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}

/// The labels the CSV tables carry beside their ids: a `<column>_label` column after each id column
/// (measure, question, theme, group, option or code), so a table reads without the consultation file.
struct Labels {
    var themes: [String: String] = [:]
    var groups: [String: String] = [:]
    var measures: [String: String] = [:]
    var questions: [String: String] = [:]
    /// question \u{1} option or code → its label.
    var options: [String: String] = [:]

    init(_ a: ConsultationAnalysis) {
        for g in a.groups { groups[g.id] = g.label }
        for t in a.themes {
            themes[t.theme.id] = t.theme.label
            measures[t.score.id] = t.theme.label
            for m in t.items {
                measures[m.id] = m.label
                questions[m.id] = m.label
            }
            for table in t.codes { add(table) }
        }
        for table in a.choices { add(table) }
    }

    private mutating func add(_ t: ShareTable) {
        questions[t.question] = t.label
        for r in t.rows { options[t.question + "\u{1}" + r.option] = r.label }
    }

    func group(_ id: String) -> String {
        if id.isEmpty { return "All respondents" }
        return id.split(separator: "+").map { groups[String($0)] ?? String($0) }.joined(separator: " + ")
    }

    /// The label of column `name`'s value in a row whose other values are `row`.
    func label(_ name: String, _ value: String, _ row: [String: String]) -> String? {
        switch name {
        case "theme": return value.isEmpty ? "" : themes[value] ?? value
        case "group", "group_a", "group_b": return group(value)
        case "question": return questions[value] ?? value
        case "option", "code": return options[(row["question"] ?? "") + "\u{1}" + value] ?? value
        case "measure":
            if let m = measures[value] { return m }
            // A choice or code test: "question:option".
            let parts = value.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { return value }
            let q = questions[parts[0]] ?? parts[0]
            return q + ": " + (options[parts[0] + "\u{1}" + parts[1]] ?? parts[1])
        default: return nil
        }
    }

    /// The table as CSV with each id column followed by its labels.
    func render(_ rows: CSVTables.Rows) -> String { labelled(rows).map(CSVTables.row).joined() }

    /// The rows with each id column followed by its label column.
    func labelled(_ rows: CSVTables.Rows) -> CSVTables.Rows {
        guard let header = rows.first else { return [] }
        let labelled = header.enumerated().filter { label($0.element, "", [:]) != nil }.map(\.offset)
        return rows.enumerated()
            .map { i, r in
                let byName = Dictionary(zip(header, r), uniquingKeysWith: { a, _ in a })
                var cells: [String] = []
                for (k, v) in r.enumerated() {
                    cells.append(v)
                    guard labelled.contains(k) else { continue }
                    cells.append(i == 0 ? v + "_label" : label(header[k], v, byName) ?? "")
                }
                return cells
            }
    }
}
