import BarazaAnalysis
import BarazaModel
import Foundation
import Testing

@testable import BarazaReporting

/// The report's story on data made to hit each case: the findings in words, common ground, where
/// the groups diverge (by effect size, not p), voices quoted once, targets checked.
@Suite struct ReportStoryTests {
    static func counts(_ v: [Double: Int]) -> ValueCounts {
        var c = ValueCounts()
        for (k, n) in v { c.values[k] = WeightedCount(count: n, weight: Double(n), weightSquared: Double(n)) }
        return c
    }

    static let scale = Scale(id: "agree5", points: (1...5).map { ScalePoint(value: $0, labels: ["p\($0)"]) })

    /// Three groups. `shared`: most of every group agrees. `split`: government high, CSOs low, 200 each
    /// (a moderate effect with a tiny p). `sharp`: 8 each, every government answer above every CSO
    /// one (the largest effect, a larger p). `flat` (its own theme): the groups alike.
    static func analysis(targets: [Target] = [], quotes: [QuoteCandidate] = []) -> ConsultationAnalysis {
        var data = AggregatedData()
        let gov = CellKey(group: "government")
        let ps = CellKey(group: "private_sector")
        let cso = CellKey(group: "cso")
        data.items["shared"] = [
            gov: counts([4: 20, 5: 10, 3: 5]), ps: counts([4: 18, 5: 9, 2: 6]), cso: counts([4: 19, 5: 8, 3: 7]),
        ]
        data.items["split"] = [
            gov: counts([3: 70, 4: 80, 5: 50]), ps: counts([3: 100, 4: 60, 2: 40]), cso: counts([2: 80, 3: 70, 4: 50]),
        ]
        data.items["sharp"] = [gov: counts([5: 8]), ps: counts([4: 4, 5: 4]), cso: counts([1: 8])]
        data.items["flat"] = [
            gov: counts([2: 10, 3: 10, 4: 10]), ps: counts([2: 10, 3: 11, 4: 9]), cso: counts([2: 9, 3: 11, 4: 10]),
        ]
        var policy: [CellKey: ValueCounts] = [:]
        for k in [gov, ps, cso] {
            var c = ValueCounts()
            for item in ["shared", "split"] { c.merge(data.items[item]?[k] ?? ValueCounts()) }
            policy[k] = c
        }
        data.themeScores["enabling_policies"] = policy
        data.themeScores["access_to_finance"] = data.items["flat"]
        var oc = OptionCounts()
        oc.answered = 30
        oc.options["paperwork"] = WeightedCount(count: 9, weight: 9, weightSquared: 9)
        oc.options["delays"] = WeightedCount(count: 6, weight: 6, weightSquared: 6)
        data.codes["barriers"] = [gov: oc, cso: oc]
        data.quotes = quotes
        data.quality.activeResponses = 735
        for k in [gov, ps, cso] { data.respondents[k] = WeightedCount(count: 245, weight: 245, weightSquared: 245) }
        data.fieldwork = 1_709_240_407...1_714_424_399
        var plan = AnalysisPlan(
            title: "Story",
            themes: [
                Theme(id: "enabling_policies", label: "Policies"), Theme(id: "access_to_finance", label: "Finance"),
            ],
            groups: StakeholderGroup.defaults,
            questions: [
                Question(id: "shared", type: .likert, theme: "enabling_policies", scale: "agree5", text: "Shared view"),
                Question(id: "split", type: .likert, theme: "enabling_policies", scale: "agree5", text: "Split view"),
                Question(id: "sharp", type: .likert, theme: "enabling_policies", scale: "agree5", text: "Sharp view"),
                Question(id: "flat", type: .likert, theme: "access_to_finance", scale: "agree5", text: "Flat view"),
                Question(id: "barriers", type: .text, text: "Barriers"),
            ],
            scales: ["agree5": scale],
            codeInfo: ["paperwork": ("Paperwork", "enabling_policies"), "delays": ("Delays", "enabling_policies")],
            by: ["group"],
            minCell: 5
        )
        plan.targets = targets
        return Analyzer(plan: plan).analyze(data)
    }

    static func text(_ runs: [ReportDocument.Inline]) -> String {
        runs.map {
            switch $0 {
            case .text(let s), .figure(let s), .strong(let s): s
            case .link(let s, _): s
            case .reference: ""
            }
        }
        .joined()
    }

    static func blocks(_ d: ReportDocument, _ id: String) -> [ReportDocument.Block] {
        d.sections.first { $0.id == id }?.blocks ?? []
    }

    /// The bullet list that follows the sub-heading `heading` in the findings.
    static func bullets(after heading: String, in d: ReportDocument) -> [String] {
        let b = blocks(d, "findings")
        guard let i = b.firstIndex(where: { $0 == .heading(heading, aside: nil) }) else { return [] }
        for block in b[(i + 1)...] {
            if case .heading = block { return [] }
            if case .bullets(let items) = block { return items.map(text) }
        }
        return []
    }

    @Test func eachThemeIsSaidInWordsWithTheScaleAndWhetherItHoldsAfterCorrection() throws {
        let d = ReportBuilder.document(Self.analysis())
        let said = Self.bullets(after: "What the groups say", in: d)
        let policies = try #require(said.first { $0.hasPrefix("Policies:") })
        #expect(policies.contains("The most positive group, Government, scores"))
        #expect(policies.contains("the least, Civil society (CSOs),"))
        #expect(policies.contains("on a 1–5 scale where 3 is neutral"))
        #expect(policies.contains("holds after correction"))
        let finance = try #require(said.first { $0.hasPrefix("Finance:") })
        #expect(finance.contains("could be chance"))
        #expect(!finance.contains("holds after correction"))
        // The statistics are in footnotes that link to the methodology.
        let notes = Self.blocks(d, "findings")
            .compactMap { b -> [[ReportDocument.Inline]]? in
                if case .footnotes(let n) = b { return n }
                return nil
            }
        #expect(notes.first?.count == 2)
        #expect(notes.first?.first?.contains(.link("Methodology", section: "methodology")) == true)
    }

    @Test func commonGroundIsWhatAMajorityOfEveryGroupAgreesWith() {
        let d = ReportBuilder.document(Self.analysis())
        let common = Self.bullets(after: "Common ground", in: d)
        #expect(common.count == 1)
        #expect(common.first?.hasPrefix("Shared view") == true)
        // Agreement 27 of 34 in CSOs (the least) to 30 of 35 in Government (the most).
        #expect(common.first?.contains("from 79% (Civil society (CSOs)) to 86% (Government)") == true)
    }

    @Test func divergenceIsRankedByEffectSizeNotByP() throws {
        let a = Self.analysis()
        let items = a.themes.flatMap(\.items)
        let split = try #require(items.first { $0.id == "split" })
        let sharp = try #require(items.first { $0.id == "sharp" })
        // The case: the split item has the smaller p, the sharp one the larger effect.
        #expect((split.test.p ?? 1) < (sharp.test.p ?? 1))
        let table = try #require(
            Self.blocks(ReportBuilder.document(a), "findings")
                .compactMap { b -> ReportDocument.Table? in
                    if case .table(let t) = b { return t }
                    return nil
                }
                .first
        )
        #expect(table.rows.first?.first == .text("Sharp view"))
        #expect(table.rows.first?[2] == .text("Government above Civil society (CSOs)"))
        #expect(table.rows.first?[4] == .text("large"))
    }

    @Test func eachAnswerIsQuotedOnceWithWhoGaveIt() throws {
        func q(_ code: String, _ group: String, _ id: String, _ text: String) -> QuoteCandidate {
            QuoteCandidate(question: "barriers", code: code, cell: CellKey(group: group), respondentID: id, text: text)
        }
        let a = Self.analysis(quotes: [
            q("paperwork", "cso", "r1", "Too much paperwork for small groups."),
            q("paperwork", "government", "r2", "too much PAPERWORK for small groups"),
            q("paperwork", "cso", "r3", "Forms are only in English."),
            // The same answer under a second code (given less often): quoted once, under the first.
            q("delays", "cso", "r4", "Too much paperwork, for small groups!"),
            q("delays", "government", "r5", "Approvals take a year."),
        ])
        let d = ReportBuilder.document(a)
        let quotes = Self.blocks(d, "theme-enabling_policies")
            .flatMap { b -> [ReportDocument.Quote] in
                if case .quotes(_, let q) = b { return q }
                return []
            }
        let paperwork = quotes.filter { $0.text.lowercased().hasPrefix("too much paperwork") }
        #expect(paperwork.count == 1)
        #expect(paperwork.first?.attribution == "×2: 1 Civil society (CSOs), 1 Government")
        #expect(quotes.contains { $0.text == "Approvals take a year." && $0.attribution == "Government" })
        #expect(Set(quotes.map { Builder.normalised($0.text) }).count == quotes.count)
    }

    @Test func targetsAreMetNotMetOrNotMeasurable() throws {
        let a = Self.analysis(targets: [
            Target(theme: "enabling_policies", group: "government", measure: .mean, threshold: 3.5),
            Target(item: "split", group: "cso", measure: .top2Box, threshold: 0.5),
            Target(item: "split", group: "cso", measure: .top2Box, threshold: 0.3, atMost: true),
            Target(theme: "enabling_policies", group: "academia", measure: .mean, threshold: 3),
            Target(theme: "access_to_finance", measure: .mean, threshold: 3, wave: "follow-up"),
        ])
        let r = a.targets
        #expect(r.map(\.status) == [.met, .notMet, .met, .notMeasurable, .notMeasurable])
        // Government's policy score: (20·4+10·5+5·3 + 70·3+80·4+50·5) / 235.
        let mean = (80.0 + 50 + 15 + 210 + 320 + 250) / 235
        #expect(abs((r[0].value ?? 0) - mean) < 1e-9)
        #expect((r[0].ciLow ?? 9) < mean && mean < (r[0].ciHigh ?? 0))
        #expect(abs((r[1].value ?? 0) - 50.0 / 200) < 1e-9)
        #expect(r[3].why?.contains("not shown") == true)
        let table = Self.blocks(ReportBuilder.document(a), "targets")
        #expect(table.contains { if case .table(let t) = $0 { return t.rows.count == 5 } else { return false } })
    }

    @Test func theReportDateIsTheLastDayOfFieldworkUnlessGiven() {
        let a = Self.analysis()
        #expect(a.fieldwork == Fieldwork(1_709_240_407...1_714_424_399))
        #expect(a.fieldwork?.first == "2024-02-29")
        #expect(a.fieldwork?.last == "2024-04-29")
        #expect(ReportBuilder.document(a).dateline.hasPrefix("Report of 29 April 2024 · written by Baraza "))
        #expect(ReportBuilder.document(a, date: "2026-12-08").dateline.hasPrefix("Report of 8 December 2026"))
        #expect(
            ReportDate.isValid("2024-02-29") && !ReportDate.isValid("2023-02-29") && !ReportDate.isValid("2024-13-01")
        )
        #expect(!ReportDate.isValid("8 Dec 2026") && !ReportDate.isValid("2026-1-08"))
    }

    /// Days from seconds, against Python's datetime.utcfromtimestamp for the same values.
    @Test func fieldworkDaysAreUTCCivilDays() {
        let cases: [(Double, String)] = [
            (0, "1970-01-01"), (-1, "1969-12-31"), (951_782_400, "2000-02-29"), (1_709_240_407.059, "2024-02-29"),
            (4_102_444_799, "2099-12-31"), (-2_208_988_800, "1900-01-01"),
        ]
        for (t, day) in cases { #expect(Fieldwork(t...t).first == day, "\(t)") }
    }

    /// Within a group, languages take turns (where the words tell one), so a bilingual consultation is
    /// heard in both.
    @Test func quotesTakeLanguagesInTurn() {
        func q(_ id: String, _ text: String) -> QuoteCandidate {
            QuoteCandidate(
                question: "barriers",
                code: "paperwork",
                cell: CellKey(group: "cso"),
                respondentID: id,
                text: text
            )
        }
        let a = Self.analysis(quotes: [
            q("r1", "The forms are too long and the office is far."),
            q("r2", "The fees are high and the process is slow."),
            q("r3", "We wait for months and the staff is absent."),
            q("r4", "Les formulaires sont longs et le bureau est loin."),
        ])
        let quotes = Self.blocks(ReportBuilder.document(a), "theme-enabling_policies")
            .flatMap { b -> [String] in
                if case .quotes(_, let q) = b { return q.map(\.text) }
                return []
            }
        #expect(quotes.count == 3)
        #expect(quotes.contains("Les formulaires sont longs et le bureau est loin."))
        #expect(Builder.language(of: "Les fonds sont rares et le crédit est cher.") == "fr")
        #expect(Builder.language(of: "Los fondos son escasos y el crédito es caro.") == "es")
        #expect(Builder.language(of: "Os fundos são escassos e o crédito é caro.") == "pt")
        #expect(Builder.language(of: "Funding is scarce and the credit is expensive.") == "en")
        #expect(Builder.language(of: "Coordination!") == nil)
    }

    /// Who took part by wave comes from the group × wave aggregate and is protected within each group:
    /// a wave under the minimum is hidden, and so is the other (its count would give it away).
    @Test func respondentsByWaveAreProtectedWithinTheirGroup() throws {
        var byWave = AggregatedData()
        func n(_ c: Int) -> WeightedCount { WeightedCount(count: c, weight: Double(c), weightSquared: Double(c)) }
        byWave.respondents = [
            CellKey(group: "government", wave: "baseline"): n(242),
            CellKey(group: "government", wave: "follow-up"): n(3), CellKey(group: "cso", wave: "baseline"): n(120),
            CellKey(group: "cso", wave: "follow-up"): n(125),
        ]
        var data = AggregatedData()
        data.respondents = [CellKey(group: "government"): n(245), CellKey(group: "cso"): n(245)]
        var plan = AnalysisPlan(
            title: "Waves",
            themes: [],
            groups: StakeholderGroup.defaults,
            questions: [],
            scales: [:],
            codeInfo: [:],
            by: ["group"],
            minCell: 5
        )
        plan.waves = ["baseline", "follow-up"]
        let cells = Analyzer(plan: plan).analyze(data, byWave: byWave).respondentCells
        let gov = cells.filter { $0.cell.group == "government" }
        #expect(gov.map(\.cell.wave) == ["baseline", "follow-up"])
        #expect(gov.allSatisfy { $0.suppressed }, "242 shown would give away the 3")
        let cso = cells.filter { $0.cell.group == "cso" }
        #expect(cso.map(\.answered) == [120, 125] && !cso.contains { $0.suppressed })
    }
}
