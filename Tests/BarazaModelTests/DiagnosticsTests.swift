import BarazaKit
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

    /// Diagnostics collected in parts (a file's chunks, coded on several threads) and appended in
    /// order keep exactly what one collector would: per key the first `keepPerKey`, all counted.
    @Test func partsAppendedInOrderKeepWhatOneCollectorKeeps() {
        var rng = SplitMix64(seed: 5)
        for _ in 0..<200 {
            let keys = ["a", "b", "c", "d"]
            var events: [(key: String, line: Int)] = []
            for line in 1...Int(rng.next() % 60 + 1) { events.append((keys[Int(rng.next() % 4)], line)) }
            let keep = Int(rng.next() % 4)
            var whole = Diagnostics(keepPerKey: keep)
            for e in events { whole.warning("w \(e.key)", at: SourceLocation(file: "f", line: e.line), key: e.key) }
            var joined = Diagnostics(keepPerKey: keep)
            var start = 0
            while start < events.count {
                let end = min(events.count, start + Int(rng.next() % 9))
                var part = Diagnostics(keepPerKey: keep)
                for e in events[start..<end] {
                    part.warning("w \(e.key)", at: SourceLocation(file: "f", line: e.line), key: e.key)
                }
                joined.append(part)  // parts may be empty
                start = end
            }
            #expect(joined.items == whole.items)
            #expect(joined.suppressedCounts == whole.suppressedCounts)
        }
    }

    @Test func locationsOrderByFileLineColumn() {
        let a = SourceLocation(file: "a", line: 2, column: 9)
        let b = SourceLocation(file: "a", line: 10, column: 1)
        #expect(a < b)
        #expect(SourceLocation(file: "a", line: 3).description == "a:3")
    }

    @Test func missingKindsHaveAStableOrderAndScalesKnowTheirRange() {
        #expect(
            MissingKind.allCases.sorted() == [.blank, .dontKnow, .refused, .notApplicable, .sentinel, .tooFewItems]
        )
        let s = Scale(id: "s", points: [ScalePoint(value: 0, labels: ["No"]), ScalePoint(value: 1, labels: ["Yes"])])
        #expect(s.minValue == 0 && s.maxValue == 1 && s.displayLabel(1) == "Yes" && s.displayLabel(7) == "7")
    }
}
