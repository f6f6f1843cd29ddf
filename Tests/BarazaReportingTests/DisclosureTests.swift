import BarazaAnalysis
import BarazaModel
import Foundation
import Testing

@testable import BarazaReporting

/// No output lets a reader work out a hidden cell: every subtraction a reader can make from what an
/// output shows (a total less the shown groups, the batches less the shown groups and the unmapped)
/// leaves either nothing or at least the minimum cell size; hidden groups' own figures appear
/// nowhere; a cell hidden to protect another says so and not "fewer than 5".
struct DisclosureTests {
    static let groups = StakeholderGroup.defaults + [StakeholderGroup(id: "academia", label: "Academia")]
    static let minCell = 5

    /// Respondents per group (the issue's shape: 38/24/30/6/3, or two small groups), each answering
    /// q1 with a spread over the scale; a batch total and unmapped respondents as the store gives.
    static func analysis(sizes: [String: Int], unmapped: Int = 2) -> ConsultationAnalysis {
        var data = AggregatedData()
        var items: [CellKey: ValueCounts] = [:]
        for (g, n) in sizes {
            var c = ValueCounts()
            for i in 0..<n {
                c.values[Double(i % 5 + 1), default: WeightedCount()]
                    .add(WeightedCount(count: 1, weight: 1, weightSquared: 1))
            }
            c.missing[.dontKnow] = 1
            items[CellKey(group: g)] = c
            data.respondents[CellKey(group: g)] = WeightedCount(
                count: n + 1,
                weight: Double(n + 1),
                weightSquared: Double(n + 1)
            )
        }
        data.items["q1"] = items
        data.themeScores["enabling_policies"] = items
        let total = sizes.values.reduce(0, +) + sizes.count + unmapped
        data.quality.activeResponses = total
        data.quality.unmappedGroups = unmapped > 0 ? ["Université": unmapped] : [:]
        data.quality.batches = [
            BatchRecord(
                id: 1,
                path: "a.csv",
                size: 1,
                sha256: "x",
                format: "csv",
                importedAt: nil,
                records: total,
                responses: total,
                rejected: 0,
                duplicates: 0,
                superseded: 0,
                status: "active"
            )
        ]
        let plan = AnalysisPlan(
            title: "t",
            themes: [Theme(id: "enabling_policies", label: "Policies")],
            groups: groups,
            questions: [Question(id: "q1", type: .likert, theme: "enabling_policies", scale: "agree5")],
            scales: ["agree5": Scale(id: "agree5", points: (1...5).map { ScalePoint(value: $0, labels: ["p\($0)"]) })],
            codeInfo: [:],
            by: ["group"],
            minCell: minCell
        )
        return Analyzer(plan: plan).analyze(data)
    }

    static let shapes: [[String: Int]] = [
        ["government": 38, "private_sector": 24, "cso": 30, "development_partner": 6, "academia": 3],
        ["government": 38, "private_sector": 24, "cso": 30, "development_partner": 4, "academia": 3],
        ["government": 12, "cso": 3], ["government": 2, "cso": 1],
    ]

    /// The difference a reader gets is safe when it is 0 or at least the minimum.
    func safe(_ difference: Int, _ what: String) {
        #expect(difference == 0 || difference >= Self.minCell, "\(what): a reader works out \(difference)")
    }

    @Test(arguments: shapes) func summaryJSONAllowsNoSubtraction(sizes: [String: Int]) throws {
        let a = Self.analysis(sizes: sizes)
        let json = JSONSummary().render(a)
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let an = try #require(doc["analysis"] as? [String: Any])
        func shownSum(_ cells: [[String: Any]]) -> Int {
            cells.filter { $0["suppressed"] as? Bool == false }.reduce(0) { $0 + ($1["answered"] as? Int ?? 0) }
        }
        let respondents = try #require(an["respondents"] as? [[String: Any]])
        let total = try #require(an["totalRespondents"] as? Int)
        let quality = try #require(an["quality"] as? [String: Any])
        let unmapped = (quality["unmappedGroups"] as? [String: Int] ?? [:]).values.reduce(0, +)
        let batches = (quality["batches"] as? [[String: Any]] ?? []).reduce(0) { $0 + ($1["responses"] as? Int ?? 0) }
        safe(total - unmapped - shownSum(respondents), "headline total")
        safe(batches - unmapped - shownSum(respondents), "batch total")
        let themes = try #require(an["themes"] as? [[String: Any]])
        for t in themes {
            let measures = [t["score"]] + (t["items"] as? [Any] ?? [])
            for case let m as [String: Any] in measures {
                let byGroup = try #require(m["byGroup"] as? [[String: Any]])
                guard let all = m["total"] as? [String: Any], all["suppressed"] as? Bool == false else { continue }
                let n = try #require(all["answered"] as? Int)
                safe(n - shownSum(byGroup), "\(m["id"] ?? "") total")
                // The same for every point of the distribution, when the hidden groups are fewer than
                // two (two or more together clear the minimum, or the total is hidden).
                if byGroup.filter({ $0["suppressed"] as? Bool == true }).count == 1 {
                    Issue.record("a single hidden group beside a shown total")
                }
                if let others = m["others"] as? [String: Any] {
                    #expect((others["answered"] as? Int ?? 0) >= Self.minCell)
                }
            }
        }
        // A hidden group's own n appears nowhere beside its id.
        for g in respondents where g["suppressed"] as? Bool == true {
            #expect(g["answered"] == nil && g["asked"] == nil)
        }
    }

    @Test(arguments: shapes) func csvTablesAllowNoSubtraction(sizes: [String: Int]) throws {
        let a = Self.analysis(sizes: sizes)
        let items = try #require(CSVTables.render(a)["items.csv"])
        let rows = items.split(separator: "\r\n").dropFirst()
            .map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        // measure, theme, group, country, wave, suppressed, withheld, n, …
        let groupIDs = Set(Self.groups.map(\.id))
        let shown = rows.filter { groupIDs.contains($0[2]) && $0[5] == "false" }.reduce(0) { $0 + (Int($1[7]) ?? 0) }
        if let all = rows.first(where: { $0[2].isEmpty && $0[5] == "false" }) {
            safe((Int(all[7]) ?? 0) - shown, "items.csv total")
        }
        for r in rows where r[5] == "true" { #expect(r.dropFirst(7).allSatisfy { $0.isEmpty }) }
    }

    /// The measure tables of a report as rows of (first cell, the number opening the second cell).
    static func measureTables(_ text: String, html: Bool) -> [[(name: String, n: Int?)]] {
        func number(_ s: Substring) -> Int? { Int(s.prefix { $0.isNumber }) }
        if html {
            return text.components(separatedBy: "<table>").dropFirst().filter { $0.contains("<th>Group</th><th>n") }
                .map { t in
                    t.components(separatedBy: "<tr><td>").dropFirst()
                        .map { row in
                            let cells = row.components(separatedBy: "</td><td")
                            let second = cells.count > 1 ? cells[1].drop { $0 != ">" }.dropFirst() : ""
                            return (cells[0], number(second))
                        }
                }
        }
        return text.components(separatedBy: "\n\n").filter { $0.hasPrefix("| Group | n") }
            .map { block in
                block.split(separator: "\n").dropFirst(2)
                    .map { line in
                        let cells = line.dropFirst(2).components(separatedBy: " | ")
                        return (cells[0], cells.count > 1 ? number(Substring(cells[1])) : nil)
                    }
            }
    }

    @Test(arguments: shapes) func htmlAndMarkdownTablesAllowNoSubtraction(sizes: [String: Int]) throws {
        let a = Self.analysis(sizes: sizes)
        let labels = Set(Self.groups.map(\.label))
        for (out, html) in [(HTMLReport().render(a), true), (MarkdownReport().render(a), false)] {
            let tables = Self.measureTables(out, html: html)
            #expect(tables.count == 2)  // the theme score and the item
            for rows in tables {
                let shown = rows.filter { labels.contains($0.name) }.compactMap(\.n).reduce(0, +)
                if let all = rows.first(where: { $0.name == "All respondents" })?.n { safe(all - shown, "table total") }
                // A hidden group shows no number.
                for r in rows where labels.contains(r.name) && r.n == nil {
                    #expect(!rows.contains { $0.name == r.name && $0.n != nil })
                }
            }
        }
    }

    @Test func theHeadlineAndTablesSayWhyACellIsHidden() throws {
        let a = Self.analysis(sizes: Self.shapes[0])
        for out in [HTMLReport().render(a), MarkdownReport().render(a)] {
            // Academia (3) is small; development partners (6) are withheld to protect it.
            #expect(out.contains("Academia (fewer than 5)"))
            #expect(out.contains("Development partners (withheld to protect a small group)"))
            #expect(!out.contains("Development partners (fewer than 5)"))
            #expect(!out.contains("Academia (3)") && !out.contains("Development partners (6)"))
            // Together they clear the minimum and are shown as one cell (with their "don't know"s: 11).
            #expect(out.contains("Development partners and Academia together 11"))
            #expect(out.contains("Other groups together (Development partners, Academia)"))
        }
        let dp = try #require(a.themes[0].items[0].byGroup.first { $0.cell.group == "development_partner" })
        #expect(dp.withheld && dp.suppressed)
    }

    @Test func aTotalBelowTheMinimumIsHiddenToo() throws {
        let a = Self.analysis(sizes: Self.shapes[3], unmapped: 0)
        let item = a.themes[0].items[0]
        #expect(item.total?.suppressed == true && item.byGroup.allSatisfy(\.suppressed))
        #expect(!JSONSummary().render(a).contains("\"answered\" : 3"))
    }
}

/// Issue 28, class 9: a weighted report says what is weighted and what is not, with n and n_eff.
struct WeightedReportTests {
    @Test func weightedFiguresPrintTheirEffectiveBaseAndTheMethodologySaysWhatIsWeighted() {
        var data = AggregatedData()
        var c = ValueCounts()
        for (v, w) in [(1.0, 0.5), (2.0, 2.5), (4.0, 1.0), (5.0, 3.0), (5.0, 0.7), (3.0, 1.2)] {
            c.values[v, default: WeightedCount()].add(WeightedCount(count: 1, weight: w, weightSquared: w * w))
        }
        data.items["q1"] = [CellKey(group: "cso"): c, CellKey(group: "government"): c]
        data.quality.activeResponses = 12
        let plan = AnalysisPlan(
            title: "t",
            themes: [Theme(id: "enabling_policies", label: "Policies")],
            groups: StakeholderGroup.defaults,
            questions: [Question(id: "q1", type: .likert, theme: "enabling_policies", scale: "agree5")],
            scales: ["agree5": Scale(id: "agree5", points: (1...5).map { ScalePoint(value: $0, labels: ["p\($0)"]) })],
            codeInfo: [:],
            by: ["group"],
            minCell: 5,
            weighting: .column
        )
        let a = Analyzer(plan: plan).analyze(data)
        let nEff = a.themes[0].items[0].byGroup[0].stats?.effectiveN ?? 0
        for out in [HTMLReport().render(a), MarkdownReport().render(a)] {
            #expect(out.contains("6 (n_eff \(Fmt.num(nEff, 1)))"))
            #expect(out.contains("weighted (weight column)"))
            #expect(out.contains("Tests count respondents, unweighted"))
            #expect(
                out.contains("diverging bars, don")
                    && out.contains("shares and the tests count respondents, unweighted")
            )
        }
        #expect(CSVTables.render(a)["items.csv"]?.contains(",n_eff,") == true)
    }
}
