import BarazaAnalysis
import BarazaModel
import BarazaTestSupport
import Foundation
import Testing
@testable import BarazaReporting

/// Respondent text is escaped or neutralised in every output; personal data is scrubbed; small
/// cells show no figures anywhere.
struct ReportSafetyTests {
    static let hostile = [
        "<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>", "=HYPERLINK(\"http://example.com\")",
        "a | b | c", "[link](javascript:alert(1))",
    ]

    /// An analysis with one theme, a suppressed group, and hostile quotes and labels.
    static func analysis() -> ConsultationAnalysis {
        var data = AggregatedData()
        func counts(_ v: [Double: Int]) -> ValueCounts {
            var c = ValueCounts()
            for (k, n) in v { c.values[k] = WeightedCount(count: n, weight: Double(n), weightSquared: Double(n)) }
            return c
        }
        data.items["q1"] = [
            CellKey(group: "government"): counts([4: 6, 5: 3]), CellKey(group: "cso"): counts([1: 4, 2: 5]),
            CellKey(group: "development_partner"): counts([3: 2, 4: 1, 5: 1]),
        ]
        data.themeScores["enabling_policies"] = data.items["q1"]
        // One code per hostile answer, so each is shown as a quote in every format.
        var oc = OptionCounts()
        oc.answered = 9
        for i in 0...hostile.count {
            oc.options[i == 0 ? "=cmd" : "c\(i)"] = WeightedCount(count: 5, weight: 5, weightSquared: 5)
        }
        data.codes["barriers"] = [CellKey(group: "cso"): oc]
        data.quotes =
            hostile.enumerated()
            .map { i, t in
                QuoteCandidate(
                    question: "barriers",
                    code: i == 0 ? "=cmd" : "c\(i)",
                    cell: CellKey(group: "cso"),
                    respondentID: "r\(i)",
                    text: t
                )
            } + [
                QuoteCandidate(
                    question: "barriers",
                    code: "c5",
                    cell: CellKey(group: "cso"),
                    respondentID: "r9",
                    text:
                        "My name is Grace Wanjiru, write to grace.w@example.org or call +254 712 345 678 or 0712-345-678."
                )
            ]
        data.quality.unknownLabels = ["q1": ["<b>bold</b>": 2]]
        data.quality.activeResponses = 31
        let plan = AnalysisPlan(
            title: "Report <i>title</i>",
            themes: [Theme(id: "enabling_policies", label: "Policies")],
            groups: StakeholderGroup.defaults,
            questions: [
                Question(
                    id: "q1",
                    type: .likert,
                    theme: "enabling_policies",
                    scale: "agree5",
                    text: "<script>q</script>"
                ), Question(id: "barriers", type: .text, text: "Barriers"),
            ],
            scales: ["agree5": Scale(id: "agree5", points: (1...5).map { ScalePoint(value: $0, labels: ["p\($0)"]) })],
            codeInfo: Dictionary(
                uniqueKeysWithValues: (0...hostile.count)
                    .map { i in (i == 0 ? "=cmd" : "c\(i)", (i == 0 ? "=SUM(A1)" : "code \(i)", "enabling_policies")) }
            ),
            by: ["group"],
            minCell: 5
        )
        return Analyzer(plan: plan).analyze(data)
    }

    @Test func htmlEscapesEveryRespondentString() {
        let html = HTMLReport().render(Self.analysis())
        #expect(!html.contains("<script>"))
        #expect(!html.contains("<img"))
        #expect(!html.contains("<b>bold"))
        #expect(!html.contains("<i>title"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(html.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"))
        #expect(html.contains("=HYPERLINK(&quot;[link]&quot;)"))
    }

    @Test func markdownEscapesPipesLinksAndHTML() {
        let md = MarkdownReport().render(Self.analysis())
        #expect(!md.contains("<script>"))
        #expect(!md.contains("[link](javascript"))
        #expect(md.contains("\\[link\\]"))
        #expect(md.contains("a \\| b \\| c"))
    }

    @Test func csvNeutralisesFormulas() throws {
        let tables = CSVTables.render(Self.analysis())
        let quotes = try #require(tables["quotes.csv"])
        #expect(quotes.contains("\"'=HYPERLINK(\"\"[link]\"\")\""))
        let codes = try #require(tables["codes.csv"])
        #expect(codes.contains("'=cmd"))
        for (_, text) in tables {
            for line in text.split(separator: "\r\n") {
                for cell in line.split(separator: ",") { #expect(!cell.hasPrefix("=") && !cell.hasPrefix("\"=")) }
            }
        }
        #expect(Escape.csv("-12.5") == "-12.5")
        #expect(Escape.csv("@SUM(1)") == "'@SUM(1)")
        #expect(Escape.csv("+1") == "+1")
        #expect(Escape.csv("+cmd") == "'+cmd")
        // Quoted when a comma, quote, LF or CR is anywhere in the cell (a CR LF pair too).
        #expect(Escape.csv("a,b") == "\"a,b\"")
        #expect(Escape.csv("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(Escape.csv("l1\r\nl2") == "\"l1\r\nl2\"")
        #expect(Escape.csv("l1\nl2") == "\"l1\nl2\"")
        #expect(Escape.csv("Réussite; formation") == "Réussite; formation")
        #expect(Escape.csv("é,") == "\"é,\"")
    }

    @Test func quotesAreScrubbedOfEmailsPhonesAndNames() {
        let s = QuoteScrubber.scrub(
            "My name is Grace Wanjiru, write to grace.w@example.org or call +254 712 345 678 or 0712-345-678."
        )
        #expect(s == "My name is [name], write to [email] or call [phone] or [phone].")
        #expect(
            QuoteScrubber.scrub("Je m'appelle Awa Diop, joignez-moi au 77 123 45 67")
                == "Je m'appelle [name], joignez-moi au [phone]"
        )
        #expect(QuoteScrubber.scrub("Me llamo Ana, 2023 fue difícil") == "Me llamo [name], 2023 fue difícil")
        #expect(QuoteScrubber.scrub("We trained 1200 people in 2024") == "We trained 1200 people in 2024")
        for out in [
            HTMLReport().render(Self.analysis()), MarkdownReport().render(Self.analysis()),
            JSONSummary().render(Self.analysis()),
        ] + Array(CSVTables.render(Self.analysis()).values) {
            #expect(!out.contains("grace.w@example.org"))
            #expect(!out.contains("345 678"))
            #expect(!out.contains("Wanjiru"))
        }
    }

    @Test func suppressedCellsShowNoFiguresInAnyOutput() throws {
        let a = Self.analysis()
        let dp = try #require(a.themes[0].items[0].byGroup.first { $0.cell.group == "development_partner" })
        #expect(dp.suppressed)
        // The suppressed group's own mean (3.75) and n (4) must appear nowhere.
        let json = JSONSummary().render(a)
        #expect(!json.contains("3.75"))
        let items = try #require(CSVTables.render(a)["items.csv"])
        let lines = items.split(separator: "\r\n")
        let header = try #require(lines.first).split(separator: ",").map(String.init)
        let dpRow = try #require(lines.first { $0.contains(",development_partner,") })
        let fields = dpRow.split(separator: ",", omittingEmptySubsequences: false)
        let suppressed = try #require(header.firstIndex(of: "suppressed"))
        let withheld = try #require(header.firstIndex(of: "withheld"))
        #expect(header[suppressed - 1] == "wave" && withheld == suppressed + 1)
        #expect(fields[suppressed] == "true" && fields[withheld] == "false")
        let figures = fields.dropFirst(withheld + 1)
        #expect(figures.allSatisfy { $0.isEmpty })
        let md = MarkdownReport().render(a)
        #expect(md.contains("| Development partners | fewer than 5 |"))
        #expect(!md.contains("3.75"))
        #expect(!HTMLReport().render(a).contains("3.75"))
        #expect(!(CSVTables.render(a)["distributions.csv"] ?? "").contains("development_partner"))
    }

    @Test func reportFolderIsReplacedAtomically() throws {
        let dir = URL(fileURLWithPath: scratchDirectory).appendingPathComponent("baraza-report-\(UUID().uuidString)")
            .path
        let files = try ReportWriter.write(Self.analysis(), to: dir)
        #expect(files.contains(dir + "/index.html") && files.contains(dir + "/tables/items.csv"))
        try Data("old".utf8).write(to: URL(fileURLWithPath: dir + "/stale.txt"))
        _ = try ReportWriter.write(Self.analysis(), to: dir, formats: [.markdown])
        #expect(!FileManager.default.fileExists(atPath: dir + "/stale.txt"))
        #expect(FileManager.default.fileExists(atPath: dir + "/report.md"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/index.html"))
        let siblings = try FileManager.default.contentsOfDirectory(atPath: (dir as NSString).deletingLastPathComponent)
        #expect(!siblings.contains { $0.contains(".staging-") || $0.contains(".old-") })
    }

    /// A theme id that would break out of an attribute (one the loader refuses, put here directly)
    /// stays inside its `id` and `href`; the page carries its policy; bidi controls are dropped.
    @Test func themeIdsAreEncodedForAttributesAndFragments() {
        var a = Self.analysis()
        guard !a.themes.isEmpty else {
            Issue.record("no theme")
            return
        }
        a.themes[0].theme = Theme(id: "x\" onerror=\"alert(1)", label: "Policies \u{202E}gnirts")
        let html = HTMLReport().render(a)
        #expect(!html.contains("onerror=\"alert"))
        #expect(html.contains("<section id=\"theme-x.22.20onerror.3D.22alert.281.29\" class=\"theme\">"))
        #expect(html.contains("<a href=\"#theme-x.22.20onerror.3D.22alert.281.29\">"))
        #expect(!html.contains("\u{202E}") && html.contains("Policies gnirts"))
        #expect(html.contains("Content-Security-Policy"))
        #expect(Escape.anchor("a") != Escape.anchor("a.61") && Escape.anchor("é") == ".C3.A9")
    }

    @Test func terminalTextShowsControlCharactersInsteadOfRunningThem() {
        #expect(Escape.terminal("gov\u{1B}]0;pwned\u{07}\u{1B}[2J") == "gov\\u{1b}]0;pwned\\u{7}\\u{1b}[2J")
        #expect(Escape.terminal("line\nnext\ttab") == "line\nnext\ttab")
        #expect(Escape.terminal("abc\u{202E}def\u{9B}") == "abc\\u{202e}def\\u{9b}")
    }

    /// A quote followed by a combining mark is one Character but two scalars: it is doubled all the
    /// same, so the cell does not end early and what follows cannot start a cell (a fuzzer finding).
    @Test func csvQuotesAreDoubledEvenBeforeACombiningMark() {
        let value = "a\"\u{740}\r@SUM(1)"
        let cell = Escape.csv(value)
        #expect(cell == "\"a\"\"\u{740}\r@SUM(1)\"")
        #expect(cell.utf8.filter { $0 == 0x22 }.count == 4)
    }
}
