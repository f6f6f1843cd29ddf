import BarazaTestSupport
import Foundation
import Testing

@testable import BarazaReporting

/// The workbook, read back by Python's openpyxl (`.ci/run` installs it when missing).
struct XLSXReportTests {
    static let hasOpenpyxl: Bool = {
        guard let py = ReportRenderingTests.which("python3") else { return false }
        return (try? ReportRenderingTests.run(py, ["-c", "import openpyxl"]).status) == 0
    }()

    static func openpyxl(_ script: String, _ args: [String]) throws -> [String: Any] {
        let r = try ReportRenderingTests.run(
            try #require(ReportRenderingTests.which("python3")),
            ["-c", script] + args
        )
        #expect(r.status == 0, "\(r.err)")
        return try #require(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
    }

    @Test(.enabled(if: hasOpenpyxl, "python3 with openpyxl is not installed (pip install openpyxl)"))
    func theDemoWorkbookHasItsSheetsLabelsFormatsAndFrozenHeaders() throws {
        let dir = try #require(PDFReportTests.demo)
        for out in ["x1", "x2"] {
            let r = try CLITests.run([
                "report", dir + "/Surveys/demo.yml", "--format", "xlsx", "--out", "\(dir)/\(out)",
            ])
            #expect(r.status == 0, "\(r.err)")
        }
        let a = try Data(contentsOf: URL(fileURLWithPath: dir + "/x1/report.xlsx"))
        #expect(a == (try Data(contentsOf: URL(fileURLWithPath: dir + "/x2/report.xlsx"))), "same bytes twice")
        let script = """
            import json, sys, openpyxl
            wb = openpyxl.load_workbook(sys.argv[1])
            out = {"sheets": wb.sheetnames, "frozen": [wb[s].freeze_panes for s in wb.sheetnames]}
            ws = wb["Themes"]
            head = [c.value for c in ws[1]]
            row = {h: (c.value, c.number_format, c.data_type) for h, c in zip(head, ws[2])}
            out["theme"] = {k: row[k] for k in ["measure", "measure_label", "group_label", "n", "mean", "ci_low"]}
            ws = wb["Choices"]
            head = [c.value for c in ws[1]]
            row = {h: (c.value, c.number_format) for h, c in zip(head, ws[2])}
            out["share"] = row["share"]
            ws = wb["Items"]
            head = [c.value for c in ws[1]]
            hidden = [dict(zip(head, [c.value for c in r])) for r in ws.iter_rows(min_row=2)
                      if r[head.index("withheld")].value == "true"]
            out["hidden"] = [(h["mean"], h["n"], h["note"]) for h in hidden]
            print(json.dumps(out))
            """
        let doc = try Self.openpyxl(script, [dir + "/x1/report.xlsx"])
        #expect(
            (doc["sheets"] as? [String]) == [
                "Themes", "Items", "Distributions", "Choices", "Codes", "Tests", "Pairwise", "Waves", "Quotes",
                "Targets", "Who took part",
            ]
        )
        #expect((doc["frozen"] as? [String])?.allSatisfy { $0 == "A2" } == true)
        let theme = try #require(doc["theme"] as? [String: [Any]])
        #expect(theme["measure"]?.first as? String == "enabling_policies")
        #expect(theme["measure_label"]?.first as? String == "Enabling policies and regulation")
        #expect(theme["group_label"]?.first as? String == "Government")
        #expect(theme["n"]?.first as? Int == 61)
        #expect(abs((theme["mean"]?.first as? Double ?? 0) - 3.948087) < 1e-9 && theme["mean"]?[1] as? String == "0.00")
        let share = try #require(doc["share"] as? [Any])
        #expect(share[1] as? String == "0.0%")
        let hidden = try #require(doc["hidden"] as? [[Any]])
        #expect(!hidden.isEmpty)
        #expect(hidden.allSatisfy { $0[0] is NSNull && $0[1] is NSNull && ($0[2] as? String)?.isEmpty == false })
    }

    /// Text that looks like a formula is stored as text, and characters XML cannot hold are dropped.
    @Test(.enabled(if: hasOpenpyxl, "python3 with openpyxl is not installed (pip install openpyxl)"))
    func formulaLookingTextStaysText() throws {
        let bytes = try XLSXReport.zip([
            .init(name: "T", rows: [["text", "mean"], ["=SUM(A1)", "2.5"], ["+1\u{1}", "x"], ["@cmd", ""]])
        ])
        let path = URL(fileURLWithPath: scratchDirectory).appendingPathComponent("f-\(UUID().uuidString).xlsx").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let doc = try Self.openpyxl(
            """
            import json, sys, openpyxl
            ws = openpyxl.load_workbook(sys.argv[1])["T"]
            print(json.dumps({"cells": [[c.value, c.data_type] for r in ws.iter_rows(min_row=2) for c in r]}))
            """,
            [path]
        )
        let cells = try #require(doc["cells"] as? [[Any]])
        #expect(cells[0][0] as? String == "=SUM(A1)" && cells[0][1] as? String == "s")
        #expect(cells[1][0] as? Double == 2.5 && cells[1][1] as? String == "n")
        #expect(cells[2][0] as? String == "+1" && cells[3][0] as? String == "x")
        #expect(cells[4][0] as? String == "@cmd" && cells[4][1] as? String == "s")
    }
}
