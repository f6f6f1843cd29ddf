import BarazaModel
import Foundation
import Testing
@testable import BarazaCoding

/// Each kind of consultation-file error names its line and column.
struct ConsultationFileTests {
    static let base = """
        version: 1
        consultation: Test
        questions:
          - {id: q1, theme: enabling_policies, scale: agree5, columns: [q1]}
        """

    func error(_ yaml: String) -> ConsultationError? {
        do {
            _ = try ConsultationLoader.parse(yaml, file: "c.yml", absolutePath: "/tmp/c.yml")
            return nil
        } catch { return error }
    }

    @Test func aValidFileLoadsWithBuiltInThemesGroupsAndScales() throws {
        let c = try ConsultationLoader.parse(Self.base, file: "c.yml", absolutePath: "/tmp/c.yml")
        #expect(c.themes.map(\.id) == Theme.defaultFramework.map(\.id))
        #expect(c.groups.map(\.id) == ["government", "private_sector", "cso", "development_partner"])
        #expect(c.scales["agree5"]?.pointCount == 5)
        #expect(c.storePath == "/tmp/c.sqlite")
        #expect(c.report.minCell == 5)
    }

    @Test func unknownTheme() throws {
        let e = try #require(
            error(Self.base.replacingOccurrences(of: "theme: enabling_policies", with: "theme: finance"))
        )
        #expect(e.kind == .unknownTheme)
        #expect(e.location.line == 4 && e.location.column == 21)
        #expect(e.expected?.contains("access_to_finance") == true)
    }

    /// Ids end up in report attributes and anchors: one that could break out of an attribute is
    /// refused where it is written.
    @Test func idsThatAreNotIdentifiersAreRefusedWithTheirPlace() throws {
        let yaml = """
            version: 1
            consultation: Test
            themes:
              - {id: "x\\" onerror=\\"alert(1)", label: X}
            questions:
              - {id: q1, theme: x, scale: agree5}
            """
        let e = try #require(error(yaml))
        #expect(e.kind == .invalidValue && e.location.line == 4 && e.location.column == 10, "\(e)")
        #expect(e.message.contains("theme id") && e.expected?.contains("letters, digits") == true)
        for bad in ["q 1", "<q1>", "-q1", ".q1", "q1\\u202E", String(repeating: "q", count: 65)] {
            #expect(
                !ConsultationLoader.isIdentifier(bad.replacingOccurrences(of: "\\u202E", with: "\u{202E}")),
                "\(bad)"
            )
        }
        for good in ["q1", "pol_1", "grp-policy.q01", "Q01", "_index", "région", "问题1"] {
            #expect(ConsultationLoader.isIdentifier(good), "\(good)")
        }
        let question = try #require(error(Self.base.replacingOccurrences(of: "id: q1,", with: "id: \"q1&x\",")))
        #expect(question.kind == .invalidValue && question.location.line == 4)
    }

    @Test func duplicateQuestionID() throws {
        let e = try #require(
            error(Self.base + "\n  - {id: q1, theme: local_capacity, scale: agree5, columns: [other]}")
        )
        #expect(e.kind == .duplicateQuestion)
        #expect(e.location.line == 5 && e.location.column == 10)
    }

    @Test func scaleWithAGap() throws {
        let yaml =
            Self.base.replacingOccurrences(of: "scale: agree5", with: "scale: s") + """

                scales:
                  s:
                    labels:
                      1: [Low]
                      2: [Mid]
                      4: [High]
                """
        let e = try #require(error(yaml))
        #expect(e.kind == .scaleGap)
        #expect(e.location.line == 8)
        #expect(e.message.contains("jumps from 2 to 4"))
    }

    @Test func columnClaimedByTwoQuestions() throws {
        let e = try #require(
            error(Self.base + "\n  - {id: q2, theme: local_capacity, scale: agree5, columns: [x, Q1]}")
        )
        #expect(e.kind == .columnClaimedTwice)
        #expect(e.location.line == 5 && e.location.column == 65)
    }

    @Test func globThatMatchesNothing() throws {
        let e = try #require(error(Self.base + "\nsources:\n  - {path: \"nowhere/*.csv\", country: Kenya}"))
        #expect(e.kind == .globMatchesNothing)
        #expect(e.location.line == 6 && e.location.column == 12)
    }

    @Test func unsupportedVersionUnknownKeyAndYAMLSyntax() throws {
        let v = try #require(error(Self.base.replacingOccurrences(of: "version: 1", with: "version: 7")))
        #expect(v.kind == .unsupportedVersion && v.location.line == 1 && v.location.column == 10)
        let k = try #require(error(Self.base + "\nreprot: {}"))
        #expect(k.kind == .invalidValue && k.location.line == 5)
        let s = try #require(error("version: 1\nconsultation: [unclosed\n"))
        #expect(s.kind == .syntax && s.location.line >= 2)
    }
}
