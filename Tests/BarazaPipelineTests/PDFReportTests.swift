import BarazaTestSupport
import Foundation
import Testing

/// `--format pdf`: printed by headless Chromium, checked with poppler's tools (`.ci/run` installs
/// both); each test skips, saying why, when its tools are absent.
struct PDFReportTests {
    static let tools = ["chromium", "pdftotext", "pdfinfo", "pdffonts"]
    static let haveTools = tools.allSatisfy { ReportRenderingTests.which($0) != nil }

    /// The demo imported into a fresh folder (its own store), once for the suite.
    static let demo: String? = {
        let dir = URL(fileURLWithPath: scratchDirectory).appendingPathComponent("pdf-\(UUID().uuidString)").path
        guard (try? CLITests.run(["synth", "--out", dir + "/Surveys"]))?.status == 0,
            let r = try? CLITests.run(["run", dir + "/Surveys/demo.yml"]), r.status == 0 || r.status == 3
        else { return nil }
        return dir
    }()

    static func tool(_ name: String, _ args: [String]) throws -> String {
        try ReportRenderingTests.run(try #require(ReportRenderingTests.which(name)), args).out
    }

    @Test(.enabled(if: haveTools, "needs chromium and poppler-utils (apt-get install chromium poppler-utils)"))
    func thePDFHasACoverPageNumbersEveryThemeAndEmbeddedFontsAndTheSameBytesTwice() throws {
        let dir = try #require(Self.demo)
        for out in ["a", "b"] {
            let r = try CLITests.run([
                "report", dir + "/Surveys/demo.yml", "--format", "html,pdf", "--out", "\(dir)/\(out)",
            ])
            #expect(r.status == 0, "\(r.err)")
        }
        let a = try Data(contentsOf: URL(fileURLWithPath: dir + "/a/report.pdf"))
        let b = try Data(contentsOf: URL(fileURLWithPath: dir + "/b/report.pdf"))
        #expect(a == b, "the same inputs give the same PDF bytes")
        let info = try Self.tool("pdfinfo", [dir + "/a/report.pdf"])
        #expect(info.contains("(A4)"), "\(info)")
        let pages = try #require(info.split(separator: "\n").first { $0.hasPrefix("Pages:") })
        let count = try #require(Int(pages.split(separator: " ").last ?? ""))
        #expect(count >= 15)
        let text = try Self.tool("pdftotext", ["-layout", dir + "/a/report.pdf", "-"])
        let first = text.components(separatedBy: "\u{0C}")
        #expect(first[0].contains("Scaling up local solutions") && first[0].contains("Report of "), "a cover")
        #expect(!first[0].contains("Key findings"), "the cover is a page of its own")
        #expect(first[1].contains("Key findings") && first[1].contains("Page 2 of \(count)"))
        for theme in ["Enabling policies and regulation", "Access to finance", "Annex A: every item by group"] {
            #expect(first.contains { $0.contains(theme) }, "\(theme)")
        }
        let fonts = try Self.tool("pdffonts", [dir + "/a/report.pdf"]).split(separator: "\n").dropFirst(2)
        #expect(!fonts.isEmpty && fonts.allSatisfy { $0.contains(" yes ") }, "every font embedded: \(fonts)")
    }

    @Test(.enabled(if: haveTools, "needs chromium and poppler-utils (apt-get install chromium poppler-utils)"))
    func letterPaperWhenTheConsultationSaysSo() throws {
        let dir = try #require(Self.demo)
        let yml = try String(contentsOfFile: dir + "/Surveys/demo.yml", encoding: .utf8)
            .replacingOccurrences(of: "  min_cell: 5\n", with: "  min_cell: 5\n  paper: letter\n")
        try Data(yml.utf8).write(to: URL(fileURLWithPath: dir + "/Surveys/letter.yml"))
        let r = try CLITests.run(["report", dir + "/Surveys/letter.yml", "--format", "pdf", "--out", dir + "/letter"])
        #expect(r.status == 0, "\(r.err)")
        #expect(try Self.tool("pdfinfo", [dir + "/letter/report.pdf"]).contains("612 x 792 pts (letter)"))
    }

    /// Without a browser the PDF is refused with exit 2 and a clear message, and the other formats are
    /// still written.
    @Test func withoutChromiumThePDFIsRefusedAndTheOtherFormatsWritten() throws {
        let dir = try #require(Self.demo)
        let r = try CLITests.run(
            ["report", dir + "/Surveys/demo.yml", "--format", "html,md,pdf", "--out", dir + "/nopdf"],
            env: ["BARAZA_CHROMIUM": "/nonexistent/chromium"]
        )
        #expect(r.status == 2)
        #expect(r.err.contains("written without its PDF") && r.err.contains("apt-get install chromium"), "\(r.err)")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir + "/nopdf")
        #expect(files.contains("index.html") && files.contains("report.md") && !files.contains("report.pdf"))
    }
}
