import Testing
@testable import BarazaModel

struct DiagnosticsTests {
    @Test func repeatedDiagnosticsAreCountedNotStoredWithoutLimit() {
        var d = Diagnostics(keepPerKey: 3)
        for line in 1...10 { d.warning("bad label", at: SourceLocation(file: "a.csv", line: line), key: "label") }
        d.error("broken", at: SourceLocation(file: "a.csv", line: 11, column: 4), expected: "a quote")
        #expect(d.items.count == 4)
        #expect(d.suppressedCounts == ["label": 7])
        #expect(d.hasErrors)
        #expect(d.items.last?.description == "a.csv:11:4: error: broken (expected a quote)")
    }

    @Test func locationsOrderByFileLineColumn() {
        let a = SourceLocation(file: "a", line: 2, column: 9), b = SourceLocation(file: "a", line: 10, column: 1)
        #expect(a < b)
        #expect(SourceLocation(file: "a", line: 3).description == "a:3")
    }

    @Test func missingKindsHaveAStableOrderAndScalesKnowTheirRange() {
        #expect(MissingKind.allCases.sorted() == [.blank, .dontKnow, .refused, .notApplicable, .sentinel])
        let s = Scale(id: "s", points: [ScalePoint(value: 0, labels: ["No"]), ScalePoint(value: 1, labels: ["Yes"])])
        #expect(s.minValue == 0 && s.maxValue == 1 && s.displayLabel(1) == "Yes" && s.displayLabel(7) == "7")
    }
}
