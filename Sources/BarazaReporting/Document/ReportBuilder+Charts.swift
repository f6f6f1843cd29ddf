import BarazaAnalysis
import BarazaModel
import Foundation

/// The main body's charts and the voices: each group's score with its interval, the pairwise
/// effect sizes, agreement by statement, change between waves, shares by group, and quotes.
extension Builder {
    /// Each group's theme score with its 95% interval on the scale, the neutral point marked.
    func gapChart(_ t: ThemeResult) -> Doc.Figure {
        let scale = ScaleText(lo: t.score.scaleMin, hi: t.score.scaleMax)
        let rows = t.score.byGroup.map { c -> Doc.DotChart.Row in
            guard !c.suppressed, let s = c.stats else {
                return .init(
                    label: label(c.cell.group),
                    note: c.suppressed ? Fmt.hiddenText(c, a.minCell) : "no answers"
                )
            }
            return .init(label: label(c.cell.group), value: s.mean, low: s.ciLow, high: s.ciHigh, note: "n = \(s.n)")
        }
        return Doc.Figure(
            title: "\(t.theme.label): theme score by group",
            caption: "Mean theme score of each group with its 95% interval, \(scale.phrase) (the line). Where two "
                + "groups' intervals do not overlap, the gap between them is larger than chance would make it.",
            chart: .dots(
                Doc.DotChart(
                    axis: "Theme score (\(Fmt.num(t.score.scaleMin, 0)) = most negative, "
                        + "\(Fmt.num(t.score.scaleMax, 0)) = most positive)",
                    lo: t.score.scaleMin,
                    hi: t.score.scaleMax,
                    reference: scale.neutral,
                    referenceLabel: "neutral",
                    rows: rows
                )
            )
        )
    }

    /// The rank-biserial r of every pair of groups tested on the theme score.
    func effectMatrix(_ t: ThemeResult) -> Doc.Figure? {
        let groups = t.score.byGroup.filter { !$0.suppressed && $0.stats != nil }.compactMap(\.cell.group)
        guard groups.count >= 3, !t.score.pairwise.isEmpty else { return nil }
        var cells: [[Doc.EffectMatrix.Cell?]] = Array(
            repeating: Array(repeating: nil, count: groups.count),
            count: groups.count
        )
        for p in t.score.pairwise {
            guard let e = p.effect, let i = groups.firstIndex(of: p.groupA), let j = groups.firstIndex(of: p.groupB)
            else { continue }
            let significant = (p.pHolm ?? 1) < 0.05
            cells[i][j] = .init(r: e.r, significant: significant)
            cells[j][i] = .init(r: -e.r, significant: significant)
        }
        return Doc.Figure(
            title: "\(t.theme.label): how far apart each pair of groups is",
            caption: "Rank-biserial r of the row's group against the column's on the theme score: positive (teal) "
                + "when the row's group is more positive, negative (brown) when less; 0 = no difference, ±1 = every "
                + "answer of one group above every answer of the other. Bold with *: the pair differs after "
                + "Holm's correction (p < 0.05).",
            chart: .matrix(Doc.EffectMatrix(groups: groups.map { label($0) }, cells: cells))
        )
    }

    /// Agreement (top-2-box) with each of the theme's statements, per group.
    func itemAgreement(_ t: ThemeResult) -> Doc.Table? {
        let items = t.items.filter { $0.byGroup.contains { $0.topBox != nil } }
        guard !items.isEmpty else { return nil }
        let groups = t.score.byGroup.compactMap(\.cell.group)
        let rows = items.map { item -> [Doc.Cell] in
            [.text(item.label + (item.reverse ? " (reverse-coded)" : ""))]
                + groups.map { g -> Doc.Cell in
                    guard let c = item.byGroup.first(where: { $0.cell.group == g }) else { return .figure("–") }
                    if c.suppressed { return .hidden(Fmt.hiddenText(c, a.minCell), span: 1) }
                    return .figure(Fmt.pct(c.topBox?.share))
                }
        }
        return Doc.Table(
            columns: [Doc.Column(title: "Statement", numeric: false)] + groups.map { Doc.Column(title: label($0)) },
            rows: rows
        )
    }

    /// Codes quoted per theme in the main body (the annex has every code's table).
    static let codesQuoted = 2

    /// What respondents said, per code of the theme, the codes given most often first: each distinct
    /// answer once in the whole report (answers the same after folding case, accents, spaces and
    /// punctuation are one; `quoted` holds those quoted so far), with how many of the quoted
    /// respondents gave it and their groups, taken in turn from each group so that no group speaks
    /// for all. Groups under `min_cell` are never quoted (the analysis leaves them out).
    func voices(_ t: ThemeResult, quoted: inout Set<String>) -> [Doc.Block] {
        var blocks: [Doc.Block] = []
        let rows = t.codes.flatMap { table in table.rows.map { (table, $0) } }
            .sorted { x, y in
                let nx = x.1.shares.values.reduce(0) { $0 + $1.count }
                let ny = y.1.shares.values.reduce(0) { $0 + $1.count }
                return (nx, y.1.label) > (ny, x.1.label)
            }
        for (table, row) in rows {
            guard let block = quotes(table, row, quoted: &quoted) else { continue }
            blocks.append(block)
            if blocks.count == Self.codesQuoted { break }
        }
        return blocks
    }

    /// Up to three answers for one code, not quoted before (see `voices`).
    func quotes(_ table: ShareTable, _ row: ShareTable.Row, quoted: inout Set<String>) -> Doc.Block? {
        let sets = a.quotes.filter { $0.question == table.question && $0.code == row.option }
        var distinct: [String: (text: String, groups: [String])] = [:]
        var order: [String] = []
        for set in sets {
            for text in QuoteScrubber.publishable(set.texts) {
                let key = Self.normalised(text)
                if quoted.contains(key) { continue }
                if distinct[key] == nil {
                    distinct[key] = (text, [])
                    order.append(key)
                }
                distinct[key]?.groups.append(set.group)
            }
        }
        guard !order.isEmpty else { return nil }
        // In turn from each group: within a group, the answer given most often first.
        var byGroup: [String: [String]] = [:]
        var groupOrder: [String] = []
        for key in order {
            guard let first = distinct[key]?.groups.first else { continue }
            if byGroup[first] == nil { groupOrder.append(first) }
            byGroup[first, default: []].append(key)
        }
        for g in groupOrder {
            // The answer given most often first; then languages in turn (where the words tell one),
            // so a bilingual consultation is heard in both.
            var keys = byGroup[g] ?? []
            keys.sort { (distinct[$0]?.groups.count ?? 0) > (distinct[$1]?.groups.count ?? 0) }
            var seen: [String: Int] = [:]
            let turn = keys.map { key -> Int in
                let language = Self.language(of: distinct[key]?.text ?? "") ?? "?"
                defer { seen[language, default: 0] += 1 }
                return seen[language, default: 0]
            }
            byGroup[g] = zip(keys, turn).enumerated().sorted { ($0.element.1, $0.offset) < ($1.element.1, $1.offset) }
                .map(\.element.0)
        }
        var picked: [String] = []
        var round = 0
        while picked.count < 3 && groupOrder.contains(where: { (byGroup[$0]?.count ?? 0) > round }) {
            for g in groupOrder where picked.count < 3 {
                if let keys = byGroup[g], round < keys.count { picked.append(keys[round]) }
            }
            round += 1
        }
        quoted.formUnion(picked)
        let quotes = picked.compactMap { key -> Doc.Quote? in
            guard let d = distinct[key] else { return nil }
            return Doc.Quote(text: d.text, attribution: attribution(d.groups))
        }
        return .quotes(label: "\(row.label) (\(table.label.lowercased()))", quotes)
    }

    /// Common words of the consultations' languages, for telling an answer's language apart.
    static let commonWords: [(String, Set<String>)] = [
        ("en", ["the", "and", "is", "are", "of", "to", "in", "for", "not", "with", "we", "our"]),
        ("fr", ["le", "la", "les", "des", "et", "est", "sont", "pour", "pas", "une", "du", "nous", "avec"]),
        ("es", ["el", "los", "las", "y", "es", "son", "para", "una", "del", "con", "no", "nosotros"]),
        ("pt", ["o", "os", "as", "e", "é", "são", "para", "uma", "do", "da", "com", "não", "nós"]),
    ]

    /// The language an answer is most likely in, by its common words: nil when fewer than two of a
    /// language's words appear or two languages tie.
    static func language(of text: String) -> String? {
        let words = text.lowercased().split { !$0.isLetter }.map(String.init)
        let scores = commonWords.map { code, set in (code, words.filter { set.contains($0) }.count) }
            .sorted { $0.1 > $1.1 }
        guard let best = scores.first, best.1 >= 2, scores.count < 2 || scores[1].1 < best.1 else { return nil }
        return best.0
    }

    /// "Civil society (CSOs)", or "×3: 2 Civil society (CSOs), 1 Government".
    func attribution(_ groups: [String]) -> String {
        guard groups.count > 1 else { return label(groups.first) }
        var counts: [String: Int] = [:]
        var order: [String] = []
        for g in groups {
            if counts[g] == nil { order.append(g) }
            counts[g, default: 0] += 1
        }
        order.sort { (counts[$0] ?? 0, $1) > (counts[$1] ?? 0, $0) }
        return "×\(groups.count): " + order.map { "\(counts[$0] ?? 0) \(label($0))" }.joined(separator: ", ")
    }

    /// Text folded for comparing answers: lower case, no accents, letters and digits only, single spaces.
    static func normalised(_ s: String) -> String {
        let folded = s.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: nil)
        var out = ""
        var space = false
        for c in folded.unicodeScalars {
            if CharacterSet.alphanumerics.contains(c) {
                if space && !out.isEmpty { out += " " }
                out.unicodeScalars.append(c)
                space = false
            } else {
                space = true
            }
        }
        return out
    }

    /// Each theme's change between the first and last wave, per group, with its 95% interval.
    func changeChart() -> Doc.Figure {
        let rows = a.waveChanges.map { w -> Doc.DotChart.Row in
            let theme = a.themes.first { $0.theme.id == w.measure }?.theme.label ?? w.measure
            let name = "\(theme) · \(label(w.group))"
            guard !w.suppressed, let change = w.change else {
                return .init(label: name, note: w.test.notComputed ?? Fmt.withheldText)
            }
            return .init(
                label: name,
                value: change,
                low: w.ciLow,
                high: w.ciHigh,
                note: "n = \(w.fromN ?? 0) → \(w.toN ?? 0)"
            )
        }
        let extent = rows.flatMap { [abs($0.low ?? 0), abs($0.high ?? 0), abs($0.value ?? 0)] }.max() ?? 1
        let reach = max(0.5, (extent * 2).rounded(.up) / 2)
        let from = a.waveChanges.first?.fromWave ?? ""
        let to = a.waveChanges.first?.toWave ?? ""
        return Doc.Figure(
            title: "Change in theme scores from \(from) to \(to)",
            caption: "Change of each group's mean theme score from \(from) to \(to), with its 95% interval (Welch). "
                + "Right of the line: higher at \(to); an interval that crosses the line is a change chance "
                + "could make.",
            chart: .dots(
                Doc.DotChart(
                    axis: "Change in mean theme score (points)",
                    lo: -reach,
                    hi: reach,
                    reference: 0,
                    referenceLabel: "no change",
                    rows: rows
                )
            )
        )
    }

    /// The theme a table of codes belongs to (each theme has its own rows of an open question).
    func codeTheme(_ t: ShareTable) -> String {
        let id = t.rows.first?.theme
        return a.themes.first { $0.theme.id == id }?.theme.label.lowercased() ?? "other"
    }

    /// A multiple-choice question's options by group, as shares of each group's respondents.
    func shareBars(_ t: ShareTable, codes: Bool = false) -> Doc.Figure {
        let shown = t.bases.filter { !$0.suppressed }
        let hidden = t.bases.filter(\.suppressed).map { label($0.group) }
        let rows = t.rows.map { row in
            Doc.GroupedBars.Row(label: row.label, shares: shown.map { row.shares[$0.group]?.share })
        }
        let bases = shown.map { "\(label($0.group)) \($0.answered ?? 0)" }.joined(separator: ", ")
        return Doc.Figure(
            title: codes ? "\(t.label): \(codeTheme(t)) codes by group" : t.label,
            caption: (codes
                ? "Share of each group's respondents whose answer was given each code (an answer may have several). "
                : "Share of each group's respondents who chose each option (several may be chosen). ") + "Bases: "
                + bases + ".",
            chart: .bars(
                Doc.GroupedBars(
                    groups: shown.map { label($0.group) },
                    rows: rows,
                    hiddenNote: hidden.isEmpty
                        ? nil : "Not shown (too few respondents): \(hidden.joined(separator: ", "))."
                )
            )
        )
    }
}
