import BarazaModel
import Foundation
import Testing

@testable import BarazaCoding

/// `targets:` and `actions:` in the consultation file: read as written, each mistake refused where
/// it is written.
struct TargetsFileTests {
    static let base = """
        version: 1
        consultation: Test
        questions:
          - {id: q1, theme: enabling_policies, scale: agree5, columns: [q1]}
          - {id: t1, type: text, columns: [t1]}
        sources:
          - {path: a.csv, wave: baseline}
          - {path: b.csv, wave: follow-up}

        """

    /// A folder with the two sources the file names.
    static let folder: String = {
        let dir = NSTemporaryDirectory() + "baraza-targets-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for f in ["a.csv", "b.csv"] {
            FileManager.default.createFile(atPath: "\(dir)/\(f)", contents: Data("x\n1\n".utf8))
        }
        return dir
    }()

    func parse(_ tail: String) throws(ConsultationError) -> Consultation {
        try ConsultationLoader.parse(Self.base + tail, file: "c.yml", absolutePath: Self.folder + "/c.yml")
    }

    func error(_ tail: String) -> ConsultationError? {
        do {
            _ = try parse(tail)
            return nil
        } catch { return error }
    }

    @Test func targetsAndActionsAreReadAsWritten() throws {
        let c = try parse(
            """
            targets:
              - {theme: enabling_policies, group: cso, measure: mean, at_least: 3.2, wave: follow-up}
              - {item: q1, group: all, measure: top_2_box, at_most: 0.4}
            actions:
              - {finding: "Policies are not implemented", response: "A review", owner: "Ministry", status: adopted}
              - {finding: "Too little funding", response: "A fund", status: not_adopted, reason: "No budget"}
            """
        )
        #expect(
            c.targets == [
                Target(theme: "enabling_policies", group: "cso", measure: .mean, threshold: 3.2, wave: "follow-up"),
                Target(item: "q1", measure: .top2Box, threshold: 0.4, atMost: true),
            ]
        )
        #expect(c.actions.map(\.status) == [.adopted, .notAdopted])
        #expect(c.actions[0].owner == "Ministry" && c.actions[1].owner == nil && c.actions[1].reason == "No budget")
    }

    @Test func eachMistakeIsRefusedWhereItIsWritten() throws {
        let line = 10  // the first entry's line, after `targets:` or `actions:`
        // Each case: the entry, the kind of error, the text the error points at, a word of what is expected.
        let cases: [(String, ConsultationError.Kind, String, String)] = [
            ("{theme: finance, measure: mean, at_least: 3}", .unknownTheme, "finance", "access_to_finance"),
            ("{item: t1, measure: mean, at_least: 3}", .invalidValue, "t1", "scale question"),
            ("{theme: enabling_policies, measure: top_2_box, at_least: 0.5}", .invalidValue, "top_2_box", "mean"),
            ("{item: q1, measure: top_2_box, at_least: 50}", .invalidValue, "50", "0.5"),
            ("{item: q1, measure: median, at_least: 3}", .invalidValue, "median", "top_2_box"),
            ("{item: q1, measure: mean}", .missingKey, "{", "at_least or at_most"),
            ("{item: q1, measure: mean, at_least: 3, wave: endline}", .invalidValue, "endline", "follow-up"),
            ("{item: q1, group: academics, measure: mean, at_least: 3}", .invalidValue, "academics", "cso"),
            ("{measure: mean, at_least: 3}", .missingKey, "{", "theme, item"),
            ("{finding: F, response: R, status: dropped}", .invalidValue, "dropped", "not_adopted"),
            ("{finding: F, response: R, status: not_adopted}", .missingKey, "not_adopted", "reason"),
            ("{finding: F, status: adopted}", .missingKey, "{", "response"),
        ]
        for (entry, kind, at, expected) in cases {
            let block = entry.contains("finding") ? "actions" : "targets"
            let e = try #require(error("\(block):\n  - \(entry)"), "\(entry)")
            let column = 5 + entry.distance(from: entry.startIndex, to: try #require(entry.range(of: at)).lowerBound)
            #expect(e.kind == kind, "\(entry): \(e)")
            #expect(e.location.line == line && e.location.column == column, "\(entry): \(e)")
            #expect((e.expected ?? "").contains(expected) || e.message.contains(expected), "\(entry): \(e)")
        }
    }
}
