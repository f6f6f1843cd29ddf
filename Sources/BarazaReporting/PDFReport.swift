import Foundation

/// The report as PDF: the HTML laid out for paper (a cover, a running header, page numbers, each
/// theme on a new page, tables that break between rows with their header repeated) and printed by
/// headless Chromium. The same inputs give the same bytes: Chromium's creation and modification
/// times are replaced by the report's date.
public struct PDFReport: Sendable {
    public enum Paper: String, Sendable, CaseIterable {
        case a4
        case letter
    }

    public let fileName = "report.pdf"
    public var paper: Paper

    public init(paper: Paper = .a4) { self.paper = paper }

    /// The browser that prints: `BARAZA_CHROMIUM`, else the first of chromium, chromium-browser,
    /// google-chrome on PATH; nil when there is none.
    public static func chromium() -> String? {
        let env = ProcessInfo.processInfo.environment
        if let given = env["BARAZA_CHROMIUM"], !given.isEmpty {
            return FileManager.default.isExecutableFile(atPath: given) ? given : nil
        }
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            for dir in (env["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
                let p = "\(dir)/\(name)"
                if FileManager.default.isExecutableFile(atPath: p) { return p }
            }
        }
        return nil
    }

    /// The print stylesheet added to the HTML for paper.
    func css(title: String) -> String {
        let size = paper == .a4 ? "A4" : "letter"
        let header = title.count > 90 ? String(title.prefix(87)) + "…" : title
        let quoted = header.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return """
            @page{size:\(size);margin:18mm 14mm 16mm;@top-center{content:"\(quoted)";font-size:8pt;color:#5b5b5b}\
            @bottom-right{content:"Page " counter(page) " of " counter(pages);font-size:8pt;color:#5b5b5b}}
            @page:first{@top-center{content:none}}
            body{max-width:none;padding:0;font-size:9.5pt}nav{display:none}
            .cover{break-after:page;padding-top:35%}.cover h1{font-size:2.2em}
            section.theme{break-before:page}table{break-inside:auto}tr,figure,blockquote{break-inside:avoid}
            thead{display:table-header-group}.scroll{overflow:visible}a{color:inherit;text-decoration:none}
            """
    }

    /// Prints `html` (the report's HTML for paper) to PDF bytes, the dates fixed to `date`
    /// (yyyy-MM-dd).
    public func print(html: String, date: String) throws(ReportError) -> [UInt8] {
        guard let browser = Self.chromium() else { throw .noChromium }
        let dir = NSTemporaryDirectory() + "baraza-pdf-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try Data(html.utf8).write(to: URL(fileURLWithPath: dir + "/report.html"))
            let p = Process()
            p.executableURL = URL(fileURLWithPath: browser)
            p.arguments = [
                "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-dev-shm-usage",
                "--no-pdf-header-footer", "--user-data-dir=\(dir)/profile", "--print-to-pdf=\(dir)/report.pdf",
                "file://\(dir)/report.html",
            ]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            p.waitUntilExit()
            guard p.terminationStatus == 0, let pdf = FileManager.default.contents(atPath: dir + "/report.pdf") else {
                throw ReportError.printFailed("Chromium exited with status \(p.terminationStatus)")
            }
            return Self.fixDates(Array(pdf), date: date)
        } catch let e as ReportError { throw e } catch { throw .printFailed("\(error)") }
    }

    /// Replaces the 14 digits after each `/CreationDate (D:` and `/ModDate (D:` with the report's
    /// date at midnight: the same length, so the file's cross-reference offsets still hold.
    static func fixDates(_ pdf: [UInt8], date: String) -> [UInt8] {
        let digits = Array((date.replacingOccurrences(of: "-", with: "") + "000000").utf8)
        guard digits.count == 14 else { return pdf }
        var out = pdf
        for key in ["/CreationDate (D:", "/ModDate (D:"] {
            let k = Array(key.utf8)
            var i = 0
            while i + k.count + 14 <= out.count {
                if out[i] == k[0] && Array(out[i..<(i + k.count)]) == k {
                    out.replaceSubrange((i + k.count)..<(i + k.count + 14), with: digits)
                    i += k.count + 14
                } else {
                    i += 1
                }
            }
        }
        return out
    }
}
