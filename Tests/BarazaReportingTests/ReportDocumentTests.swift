import BarazaAnalysis
import BarazaModel
import Foundation
import Testing

@testable import BarazaReporting

/// HTML and Markdown are walkers over one `ReportDocument`: what the document says, both say.
@Suite struct ReportDocumentTests {
    static let document = ReportBuilder.document(ReportSafetyTests.analysis())

    @Test func sectionsHaveUniqueAnchorsAndAppearInBothFormatsInOrder() throws {
        let d = Self.document
        #expect(Set(d.sections.map(\.id)).count == d.sections.count)
        let html = HTMLReport().render(d)
        let md = MarkdownReport().render(d)
        var htmlFrom = html.startIndex
        var mdFrom = md.startIndex
        for s in d.sections {
            let h = try #require(html.range(of: "<h2>\(Escape.html(s.heading))</h2>", range: htmlFrom..<html.endIndex))
            let m = try #require(md.range(of: "\n## \(Escape.markdown(s.heading))\n", range: mdFrom..<md.endIndex))
            htmlFrom = h.upperBound
            mdFrom = m.upperBound
            #expect(html.contains("<a href=\"#\(Escape.anchor(s.id))\">\(Escape.html(s.contentsTitle))</a>"))
        }
    }

    @Test func everyCellAndQuoteOfTheDocumentIsInBothFormats() {
        let d = Self.document
        let html = HTMLReport().render(d)
        let md = MarkdownReport().render(d)
        var checked = 0
        for s in d.sections {
            for b in s.blocks {
                switch b {
                case .table(let t):
                    for row in t.rows {
                        for cell in row {
                            guard case .text(let v) = cell else { continue }
                            let cell = ">\(Escape.html(v))</td>"
                            #expect(html.contains("<td" + cell) || html.contains("<td class=\"t\"" + cell), "\(v)")
                            #expect(md.contains("| \(Escape.markdown(v)) |"), "\(v)")
                            checked += 1
                        }
                    }
                case .quotes(_, let quotes):
                    for q in quotes {
                        #expect(html.contains("“\(Escape.html(q.text))”"))
                        #expect(md.contains("“\(Escape.markdown(q.text))” — \(Escape.markdown(q.attribution))"))
                        checked += 1
                    }
                case .figure(let f):
                    #expect(html.contains("<figcaption>\(Escape.html(HTMLReport.caption(f)))"))
                    #expect(md.contains(Escape.markdown(f.caption)))
                    checked += 1
                default: continue
                }
            }
        }
        #expect(checked > 10)
    }

    @Test func theDocumentIsTheSameForTheSameAnalysis() {
        #expect(ReportBuilder.document(ReportSafetyTests.analysis()) == Self.document)
    }
}
