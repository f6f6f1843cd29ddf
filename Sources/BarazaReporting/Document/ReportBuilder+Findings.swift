import BarazaAnalysis
import BarazaModel

/// The first page: what the groups say in plain words, where they agree, where they diverge most,
/// what needs a person, and the limits of what a consultation can show; then who took part.
extension Builder {
    /// Agreement by at least this share of every group makes an item common ground.
    static let commonGroundShare = 0.5

    func findings() -> Doc.Section {
        var blocks: [Doc.Block] = [.heading("What the groups say", aside: nil)]
        var bullets: [[Doc.Inline]] = []
        var notes: [[Doc.Inline]] = []
        for t in a.themes {
            guard var finding = themeFinding(t) else { continue }
            notes.append(statisticsNote(t.score))
            finding.append(.reference(notes.count))
            bullets.append([.strong(t.theme.label + ":"), .figure(" ")] + finding)
        }
        if bullets.isEmpty {
            blocks.append(.paragraph([.text("No theme has two groups with enough answers to compare.")], style: .body))
        } else {
            blocks.append(.bullets(bullets))
        }
        blocks += commonGround()
        blocks += divergence()
        blocks += needsAPerson()
        blocks.append(
            .paragraph(
                [
                    .strong("Limitations."),
                    .text(
                        " Respondents chose to take part: the groups are not samples of their populations, and "
                            + "the figures describe those who answered, not each group at large. This is not a vote: "
                            + "how many answered from a group says nothing about its weight in the decision. The "
                            + "tests ask whether a difference is larger than chance would make it among those who "
                            + "answered; read them as a guide, not as estimates for the country."
                    ),
                ],
                style: .note
            )
        )
        if !notes.isEmpty { blocks.append(.footnotes(notes)) }
        return section("findings", "Key findings", blocks)
    }

    /// "The most positive group, Government, scores 3.95 (positive); the least, Civil society (CSOs),
    /// 2.43 (negative), on a 1–5 scale where 3 is neutral: a gap of 1.52 points (95% CI 1.30 to 1.74).
    /// The difference … is large and holds after correction for the 90 comparisons in this report."
    /// (Worded so that no verb agrees with a group's name.) Nil when no two groups can be compared.
    func themeFinding(_ t: ThemeResult) -> [Doc.Inline]? {
        guard let gap = t.gap, let high = t.score.byGroup.first(where: { $0.cell.group == gap.high })?.stats?.mean,
            let low = t.score.byGroup.first(where: { $0.cell.group == gap.low })?.stats?.mean
        else { return nil }
        let scale = ScaleText(lo: t.score.scaleMin, hi: t.score.scaleMax)
        var s =
            "The most positive group, \(label(gap.high)), scores \(Fmt.num(high)) (\(scale.lean(high))); the "
            + "least, \(label(gap.low)), \(Fmt.num(low)) (\(scale.lean(low))), \(scale.phrase): a gap of "
            + "\(Fmt.num(gap.difference)) points"
        if let lo = gap.ciLow, let hi = gap.ciHigh { s += " (95% CI \(Fmt.num(lo)) to \(Fmt.num(hi)))" }
        if let q = t.score.test.q {
            let size = EffectWords.epsilonSquared(t.score.test.effect)
            s +=
                q < 0.05
                ? ". The difference between the groups is \(size) and holds after correction for the "
                    + "\(a.testCount) comparisons in this report."
                : ". The difference between the groups is \(size), and after correction for the \(a.testCount) "
                    + "comparisons in this report it could be chance."
        } else {
            s += "."
        }
        return [.text(s)]
    }

    /// The omnibus test behind a theme's finding, for its footnote.
    func statisticsNote(_ m: MeasureResult) -> [Doc.Inline] {
        guard m.test.notComputed == nil else {
            return [.text("Between-group test not computed: \(m.test.notComputed ?? "").")]
        }
        return [
            .figure(
                "Kruskal–Wallis H = \(Fmt.num(m.test.statistic)), df = \(Fmt.num(m.test.df, 0)), BH-adjusted q "
                    + "\(Fmt.pEquals(m.test.q)), ε² = \(Fmt.num(m.test.effect, 3)); gap interval by Welch's t. See "
            ), .link("Methodology", section: "methodology"), .figure("."),
        ]
    }

    /// Items a majority of every shown group agrees with, the most widely shared first; when none
    /// is, the three closest.
    func commonGround() -> [Doc.Block] {
        var ranked: [(item: MeasureResult, least: (String, Double), most: (String, Double))] = []
        for t in a.themes {
            for item in t.items {
                let shown = item.byGroup.filter { !$0.suppressed }
                    .compactMap { c -> (String, Double)? in
                        guard let g = c.cell.group, let share = c.topBox?.share else { return nil }
                        return (g, share)
                    }
                guard shown.count >= 2, let least = shown.min(by: { $0.1 < $1.1 }),
                    let most = shown.max(by: { $0.1 < $1.1 })
                else { continue }
                ranked.append((item, least, most))
            }
        }
        ranked.sort { ($0.least.1, $1.item.id) > ($1.least.1, $0.item.id) }
        let agreed = ranked.filter { $0.least.1 >= Self.commonGroundShare }
        let percent = Fmt.pct(Self.commonGroundShare)
        var blocks: [Doc.Block] = [
            .heading("Common ground", aside: nil),
            .paragraph(
                [
                    .text(
                        "Statements that at least \(percent) of every group shown agrees with (the top two points of "
                            + "the scale), the most widely shared first."
                    )
                ],
                style: .note
            ),
        ]
        func line(_ r: (item: MeasureResult, least: (String, Double), most: (String, Double))) -> [Doc.Inline] {
            [
                .strong(r.item.label),
                .text(
                    " — agreement from \(Fmt.pct(r.least.1)) (\(label(r.least.0))) to \(Fmt.pct(r.most.1)) "
                        + "(\(label(r.most.0)))."
                ),
            ]
        }
        if agreed.isEmpty {
            blocks.append(
                .paragraph(
                    [.text("No statement has the agreement of \(percent) of every group. The closest:")],
                    style: .body
                )
            )
            blocks.append(.bullets(ranked.prefix(3).map(line)))
        } else {
            blocks.append(.bullets(agreed.prefix(8).map(line)))
        }
        return ranked.isEmpty ? [] : blocks
    }

    /// The items on which two groups are furthest apart, by the rank-biserial r of the most distant
    /// pair (an effect size, not a p-value), with ε² and q of the test between all groups.
    func divergence() -> [Doc.Block] {
        var ranked: [(item: MeasureResult, theme: String, pair: PairwiseResult, effect: RankBiserial)] = []
        for t in a.themes {
            for item in t.items {
                let best = item.pairwise.compactMap { p in p.effect.map { (p, $0) } }
                    .max { (abs($0.1.r), $1.0.groupA) < (abs($1.1.r), $0.0.groupA) }
                if let (pair, effect) = best { ranked.append((item, t.theme.label, pair, effect)) }
            }
        }
        guard !ranked.isEmpty else { return [] }
        ranked.sort { (abs($0.effect.r), $1.item.id) > (abs($1.effect.r), $0.item.id) }
        let rows = ranked.prefix(5)
            .map { r -> [Doc.Cell] in
                let (higher, lower) = r.effect.r >= 0 ? (r.pair.groupA, r.pair.groupB) : (r.pair.groupB, r.pair.groupA)
                let size = abs(r.effect.r)
                let (lo, hi) = r.effect.r >= 0 ? (r.effect.low, r.effect.high) : (-r.effect.high, -r.effect.low)
                return [
                    .text(r.item.label), .text(r.theme), .text("\(label(higher)) above \(label(lower))"),
                    .figure("\(Fmt.num(size)) (\(Fmt.num(lo)) to \(Fmt.num(hi)))"),
                    .text(EffectWords.rankBiserial(size)), .figure(Fmt.num(r.item.test.effect, 3)),
                    .figure(Fmt.p(r.item.test.q)),
                ]
            }
        return [
            .heading("Where the groups diverge most", aside: nil),
            .paragraph(
                [
                    .text(
                        "The statements on which two groups are furthest apart, by the rank-biserial r of the most "
                            + "distant pair (0 = no difference, 1 = every answer of one group above every answer "
                            + "of the other), with ε² and the BH-adjusted q of the test between all groups."
                    )
                ],
                style: .note
            ),
            .table(
                Doc.Table(
                    columns: [
                        Doc.Column(title: "Statement", numeric: false), Doc.Column(title: "Theme", numeric: false),
                        Doc.Column(title: "Groups", numeric: false), Doc.Column(title: "r (95% CI)"),
                        Doc.Column(title: "Size", numeric: false), Doc.Column(title: "ε²"), Doc.Column(title: "q"),
                    ],
                    rows: Array(rows)
                )
            ),
        ]
    }

    /// What a person should look at before the report is handed on: values no group or scale point
    /// matched, and rows that could not be read, with their counts.
    func needsAPerson() -> [Doc.Block] {
        var items: [[Doc.Inline]] = []
        let q = a.quality
        let noGroup = q.unmappedGroups.values.reduce(0, +)
        if noGroup > 0 {
            let values = q.unmappedGroups.keys.sorted().map { "‘\($0)’" }.joined(separator: ", ")
            items.append([
                .strong("\(noGroup) \(noGroup == 1 ? "response" : "responses") in no stakeholder group"),
                .text(
                    ": the group answer \(values) matches no group, so these respondents count in the totals but in "
                        + "no group. Add the value to a group's synonyms in the consultation file."
                ),
            ])
        }
        let unknown = q.unknownLabels.values.flatMap(\.values).reduce(0, +)
        if unknown > 0 {
            let examples = q.unknownLabels.keys.sorted().prefix(3)
                .flatMap { question in
                    (q.unknownLabels[question] ?? [:]).keys.sorted().prefix(2).map { "‘\($0)’ (\(question))" }
                }
            items.append([
                .strong("\(unknown) \(unknown == 1 ? "answer" : "answers") matching no scale point"),
                .text(
                    ": \(examples.joined(separator: ", ")); counted as missing. Add the wording to the scale's labels "
                        + "if it means one of its points."
                ),
            ])
        }
        let incomplete = q.rejectReasons[RejectedRecord.incompleteReason] ?? 0
        let rejected = q.rejectReasons.values.reduce(0, +) - incomplete
        if rejected > 0 {
            items.append([
                .strong("\(rejected) \(rejected == 1 ? "row" : "rows") that could not be read"),
                .text(": kept in the rejects file beside the store, with the reason for each; nothing else was lost."),
            ])
        }
        var blocks: [Doc.Block] = [.heading("What needs a person", aside: nil)]
        if items.isEmpty {
            blocks.append(
                .paragraph(
                    [.text("Nothing: every row was read, and every group and answer matched the consultation file.")],
                    style: .body
                )
            )
        } else {
            blocks.append(.bullets(items))
        }
        if incomplete > 0 {
            blocks.append(
                .paragraph(
                    [.text("\(incomplete) responses were never submitted (incomplete) and are left out, as is usual.")],
                    style: .note
                )
            )
        }
        return blocks
    }

    /// Who took part: respondents by group (and country and wave where the report breaks them
    /// down), the way from rows received to responses counted, and the fieldwork's dates.
    func participation() -> Doc.Section {
        var blocks: [Doc.Block] = []
        if let f = a.fieldwork {
            blocks.append(
                .paragraph(
                    [.text("Fieldwork: responses submitted from \(DayText.long(f.first)) to \(DayText.long(f.last)).")],
                    style: .body
                )
            )
        }
        // Groups as rows, each country (and wave) as a column, the group's total last.
        var places: [CellKey] = []
        for c in a.respondentCells {
            let place = CellKey(country: c.cell.country, wave: c.cell.wave)
            if !places.contains(place) { places.append(place) }
        }
        // Countries first, then waves, each in the order the analysis gives them.
        places = places.filter { $0.country != nil } + places.filter { $0.country == nil }
        let columns =
            [Doc.Column(title: "Group")]
            + places.map { p in Doc.Column(title: [p.country, p.wave].compactMap { $0 }.joined(separator: " · ")) } + [
                Doc.Column(title: "All")
            ]
        var rows: [[Doc.Cell]] = []
        for group in a.respondents {
            let g = group.cell.group
            let cells = places.map { p -> Doc.Cell in
                guard
                    let c = a.respondentCells.first(where: {
                        $0.cell.group == g && $0.cell.country == p.country && $0.cell.wave == p.wave
                    })
                else { return .figure("–") }
                return count(c)
            }
            rows.append([.text(label(g))] + cells + [count(group)])
        }
        if let others = a.otherRespondents {
            let blanks: [Doc.Cell] = places.map { _ in .figure("–") }
            rows.append([.text("Other groups together")] + blanks + [.figure(String(others))])
        }
        blocks.append(.table(Doc.Table(columns: columns, rows: rows)))
        blocks.append(.heading("From rows received to responses counted", aside: nil))
        blocks.append(.table(funnel()))
        return section("participation", "Who took part", blocks)
    }

    private func count(_ c: CellSummary) -> Doc.Cell {
        c.suppressed ? .hidden(Fmt.hiddenText(c, a.minCell), span: 1) : .figure(String(c.answered ?? 0))
    }

    /// Received → could not be read → earlier duplicates → superseded → counted; and the counted
    /// responses in no stakeholder group. Every figure here is also in the data-quality annex.
    func funnel() -> Doc.Table {
        let q = a.quality
        let received = q.batches.reduce(0) { $0 + $1.records }
        let rejected = q.batches.reduce(0) { $0 + $1.rejected }
        let incomplete = q.rejectReasons[RejectedRecord.incompleteReason] ?? 0
        let duplicates = q.batches.reduce(0) { $0 + $1.duplicates }
        let replaced = max(0, q.supersededResponses - duplicates)
        var rows: [[Doc.Cell]] = [
            [
                .text("Rows received, in \(q.batches.count) \(q.batches.count == 1 ? "batch" : "batches")"),
                .figure(String(received)),
            ], [.text("Could not be read (in the rejects file)"), .figure(String(rejected - incomplete))],
        ]
        if incomplete > 0 {
            rows.append([.text("Never submitted (incomplete), left out"), .figure(String(incomplete))])
        }
        rows += [
            [.text("Earlier duplicates of a respondent"), .figure(String(duplicates))],
            [.text("Replaced by a later edit or batch"), .figure(String(replaced))],
            [.text("Responses counted"), .figure(String(q.activeResponses))],
        ]
        let noGroup = q.unmappedGroups.values.reduce(0, +)
        if noGroup > 0 { rows.append([.text("… of which in no stakeholder group"), .figure(String(noGroup))]) }
        return Doc.Table(columns: [Doc.Column(title: "Stage"), Doc.Column(title: "Rows")], rows: rows)
    }

    /// The targets' status table: met / not met / not measurable, with the interval, and the first
    /// wave's value for a target at a later wave.
    func targets() -> Doc.Section {
        let rows = a.targets.map { r -> [Doc.Cell] in
            let t = r.target
            let what =
                t.theme.map { id in a.themes.first { $0.theme.id == id }?.theme.label ?? id } ?? t.item.map { id in
                    a.themes.flatMap(\.items).first { $0.id == id }?.label ?? id
                } ?? ""
            let share = t.measure == .top2Box
            func value(_ v: Double?) -> String { v.map { share ? Fmt.pct($0) : Fmt.num($0) } ?? "–" }
            let measure = share ? "agreement (top-2-box)" : "mean"
            let goal = "\(measure) \(t.atMost ? "≤" : "≥") \(share ? Fmt.pct(t.threshold) : Fmt.num(t.threshold))"
            let status: Doc.Cell =
                switch r.status {
                case .met: .text("met")
                case .notMet: .text("not met")
                case .notMeasurable: .hidden("not measurable: \(r.why ?? "")", span: 1)
                }
            let interval = r.ciLow.flatMap { lo in r.ciHigh.map { hi in "\(value(lo)) to \(value(hi))" } } ?? "–"
            return [
                .text(what), .text(label(t.group)), .text(t.wave ?? "all waves"), .text(goal),
                .figure(r.baseline.map { "\(value($0)) (\(r.baselineWave ?? ""))" } ?? "–"), .figure(value(r.value)),
                .figure(interval), status,
            ]
        }
        return section(
            "targets",
            "Targets",
            [
                .paragraph(
                    [
                        .text(
                            "The consultation's criteria of success. A target is met when the estimate reaches it; "
                                + "when its 95% interval also straddles the threshold, the data cannot tell for sure."
                        )
                    ],
                    style: .note
                ),
                .table(
                    Doc.Table(
                        columns: [
                            Doc.Column(title: "Theme or statement", numeric: false),
                            Doc.Column(title: "Group", numeric: false), Doc.Column(title: "Wave", numeric: false),
                            Doc.Column(title: "Target", numeric: false), Doc.Column(title: "Baseline"),
                            Doc.Column(title: "Now"), Doc.Column(title: "95% CI"),
                            Doc.Column(title: "Status", numeric: false),
                        ],
                        rows: rows
                    )
                ),
            ]
        )
    }

    /// "What we heard → what will happen": the consultation's response to its findings.
    func actions() -> Doc.Section {
        let rows = a.actions.map { x -> [Doc.Cell] in
            let status =
                switch x.status {
                case .adopted: "adopted"
                case .partlyAdopted: "partly adopted"
                case .underReview: "under review"
                case .notAdopted: "not adopted"
                }
            return [
                .text(x.finding), .text(x.response), .text(x.owner ?? "–"),
                .text(status + (x.reason.map { ": \($0)" } ?? "")),
            ]
        }
        return section(
            "actions",
            "What we heard and what will happen",
            contents: "What will happen",
            [
                .table(
                    Doc.Table(
                        columns: [
                            Doc.Column(title: "What we heard", numeric: false),
                            Doc.Column(title: "What will happen", numeric: false),
                            Doc.Column(title: "Who", numeric: false), Doc.Column(title: "Status", numeric: false),
                        ],
                        rows: rows
                    )
                )
            ]
        )
    }
}

/// A scale's ends and neutral point in words.
struct ScaleText {
    let lo: Double
    let hi: Double
    var neutral: Double { (lo + hi) / 2 }

    var phrase: String {
        let mid = neutral == neutral.rounded() ? Fmt.num(neutral, 0) : Fmt.num(neutral, 1)
        return "on a \(Fmt.num(lo, 0))–\(Fmt.num(hi, 0)) scale where \(mid) is neutral"
    }

    /// Which side of neutral a mean leans to; within a quarter of a point, neutral.
    func lean(_ mean: Double) -> String {
        if mean > neutral + 0.25 { return "positive" }
        if mean < neutral - 0.25 { return "negative" }
        return "about neutral"
    }
}

/// Effect sizes in words (Tomczak and Tomczak 2014 for ε²; Cohen's conventions, as commonly
/// applied to the rank-biserial r).
enum EffectWords {
    static func epsilonSquared(_ e: Double?) -> String {
        guard let e else { return "of unknown size" }
        if e < 0.01 { return "negligible" }
        if e < 0.08 { return "small" }
        if e < 0.26 { return "moderate" }
        return "large"
    }

    static func rankBiserial(_ r: Double) -> String {
        if r < 0.1 { return "negligible" }
        if r < 0.3 { return "small" }
        if r < 0.5 { return "moderate" }
        return "large"
    }
}
