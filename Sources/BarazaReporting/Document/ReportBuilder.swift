import BarazaAnalysis
import BarazaModel

/// Builds the `ReportDocument` from the analysis: the report's order, headings and wording live
/// here, once, for every format. The main body tells the story (findings, who took part, each
/// theme in charts and voices, targets, actions); the annex holds the per-item tables and tests.
public enum ReportBuilder {
    /// The report's version line names this tool.
    public static let toolName = "Baraza \(BarazaVersion.current)"

    /// `date` (yyyy-MM-dd) is the report's date; nil takes the last day of fieldwork, so the same
    /// data always gives the same report.
    public static func document(_ a: ConsultationAnalysis, date: String? = nil) -> ReportDocument {
        let b = Builder(a: a)
        var sections = [b.findings(), b.participation(), b.heatMapSection()]
        if let countries = b.countries() { sections.append(countries) }
        var quoted = Set<String>()
        for t in a.themes { sections.append(b.theme(t, voices: b.voices(t, quoted: &quoted))) }
        if !a.waveChanges.isEmpty { sections.append(b.waves()) }
        if !a.choices.isEmpty { sections.append(b.choices()) }
        if !a.targets.isEmpty { sections.append(b.targets()) }
        if !a.actions.isEmpty { sections.append(b.actions()) }
        sections += b.annex(quoted: &quoted)
        let day = date ?? a.fieldwork?.last
        return ReportDocument(
            title: a.title,
            lede: HeadlineText.line(a, label: b.label),
            dateline: (day.map { "Report of \(DayText.long($0)) · " } ?? "") + "written by \(toolName)",
            sections: sections
        )
    }
}

/// Days as a reader writes them: "2024-04-29" → "29 April 2024".
enum DayText {
    static let months = [
        "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November",
        "December",
    ]

    static func long(_ day: String) -> String {
        let parts = day.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3, (1...12).contains(parts[1]) else { return day }
        return "\(parts[2]) \(months[parts[1] - 1]) \(parts[0])"
    }
}

/// The pieces of the document, with the analysis at hand.
struct Builder {
    let a: ConsultationAnalysis
    typealias Doc = ReportDocument

    func label(_ g: String?) -> String {
        guard let g else { return "All respondents" }
        return a.groups.first { $0.id == g }?.label ?? g
    }

    var weighted: Bool { a.weighting != .none }

    func section(_ id: String, _ heading: String, contents: String? = nil, annex: Bool = false, _ blocks: [Doc.Block])
        -> Doc.Section
    { Doc.Section(id: id, heading: heading, contentsTitle: contents ?? heading, blocks: blocks, annex: annex) }

    func heatMapSection() -> Doc.Section {
        section("heatmap", "Theme scores by stakeholder group", contents: "Theme scores by group", [.figure(heatMap())])
    }

    /// A theme in the main body: its finding in words, each group's score with its interval, how far
    /// apart each pair of groups is, the items' agreement by group, and what respondents said.
    func theme(_ t: ThemeResult, voices: [Doc.Block]) -> Doc.Section {
        var blocks: [Doc.Block] = []
        if let finding = themeFinding(t) { blocks.append(.paragraph(finding, style: .body)) }
        blocks.append(.figure(gapChart(t)))
        if let matrix = effectMatrix(t) { blocks.append(.figure(matrix)) }
        if let agreement = itemAgreement(t) {
            blocks += [.heading("Agreement with each statement", aside: nil), .table(agreement)]
        }
        if !voices.isEmpty {
            blocks.append(.heading("In respondents' words", aside: nil))
            blocks += voices
        }
        return section("theme-\(t.theme.id)", t.theme.label, blocks)
    }

    func waves() -> Doc.Section { section("waves", "Change between waves", [.figure(changeChart())]) }

    func choices() -> Doc.Section {
        section("choices", "Multiple-choice questions", a.choices.flatMap { [.figure(shareBars($0))] })
    }

    /// The annex: per-item tables and tests, the open-answer and multiple-choice tables, the
    /// methodology and the data's quality.
    /// Codes not quoted in the main body get their answers here, under their table (`quoted`: the
    /// answers quoted so far, each quoted once).
    func annex(quoted: inout Set<String>) -> [Doc.Section] {
        var out: [Doc.Section] = []
        var items: [Doc.Block] = []
        for t in a.themes {
            items += [
                .heading(t.theme.label, aside: "theme score"), .table(measureTable(t.score, showBox: false)),
                test(t.score),
            ]
            for item in t.items {
                items.append(.heading(item.label, aside: item.reverse ? "(reverse-coded)" : nil))
                if let bars = divergingBars(item) { items.append(.figure(bars)) }
                items += [.table(measureTable(item, showBox: true)), test(item)]
            }
        }
        out.append(
            section("annex-items", "Annex A: every item by group", contents: "Annex A: items", annex: true, items)
        )
        let codes = a.themes.flatMap(\.codes)
        if !codes.isEmpty {
            out.append(
                section(
                    "annex-codes",
                    "Annex B: open answers by code",
                    contents: "Annex B: open answers",
                    annex: true,
                    codes.flatMap { table in
                        [
                            .heading("Open answers: \(table.label)", aside: codeTheme(table)),
                            .figure(shareBars(table, codes: true)), .table(shareTable(table)),
                        ] + table.rows.compactMap { quotes(table, $0, quoted: &quoted) }
                    }
                )
            )
        }
        if !a.choices.isEmpty {
            out.append(
                section(
                    "annex-choices",
                    "Annex C: multiple-choice tables",
                    contents: "Annex C: multiple choice",
                    annex: true,
                    a.choices.flatMap { [.heading($0.label, aside: nil), .table(shareTable($0))] }
                )
            )
        }
        if !a.waveChanges.isEmpty {
            out.append(
                section(
                    "annex-waves",
                    "Annex D: change between waves",
                    contents: "Annex D: waves",
                    annex: true,
                    [.table(waveTable())]
                )
            )
        }
        if let countries = countryAnnex() { out.append(countries) }
        out.append(
            section(
                "methodology",
                "Methodology",
                annex: true,
                MethodologyText.paragraphs(a).map { .paragraph([.text($0)], style: .body) }
            )
        )
        out.append(
            section(
                "quality",
                "Data quality",
                annex: true,
                [
                    .table(qualityTable()),
                    .paragraph(
                        [
                            .figure(
                                "\(a.quality.activeResponses) responses counted; \(a.quality.supersededResponses) "
                                    + "superseded by a later edit or duplicate (kept for audit, not counted)."
                            )
                        ],
                        style: .body
                    ),
                ] + QualityText.lines(a.quality).map { .paragraph([.text($0)], style: .body) }
            )
        )
        return out
    }
}
