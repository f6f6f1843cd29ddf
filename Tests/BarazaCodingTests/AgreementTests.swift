import Foundation
import Testing
@testable import BarazaCoding

/// Agreement figures against scikit-learn and krippendorff (Fixtures/make_agreement_reference.py).
struct AgreementTests {
    struct Reference: Decodable {
        struct Code: Decodable {
            let kappa: Double?
            let precision: Double?
            let recall: Double?
        }
        let answers: Int
        let codes: [String: Code]
        let alpha: Double
        let percent_agreement: Double
    }

    static func fixture(_ name: String) throws -> String {
        try #require(Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures")).path
    }

    @Test func figuresEqualTheReferenceImplementations() throws {
        let ref = try JSONDecoder()
            .decode(
                Reference.self,
                from: Data(contentsOf: URL(fileURLWithPath: try Self.fixture("agreement_reference.json")))
            )
        let report = Agreement.compare(
            try Agreement.read(try Self.fixture("agreement_rules.csv")),
            try Agreement.read(try Self.fixture("agreement_person.csv"))
        )
        #expect(report.answers == ref.answers)
        #expect(Set(report.codes.map(\.code)) == Set(ref.codes.keys))
        for c in report.codes {
            let r = try #require(ref.codes[c.code])
            for (mine, theirs, what) in [
                (c.kappa, r.kappa, "kappa"), (c.precision, r.precision, "precision"), (c.recall, r.recall, "recall"),
            ] {
                if let theirs {
                    #expect(
                        abs((mine ?? .nan) - theirs) < 1e-9,
                        "\(c.code) \(what): \(String(describing: mine)) vs \(theirs)"
                    )
                } else {
                    #expect(mine == nil, "\(c.code) \(what)")
                }
            }
        }
        #expect(abs((report.alpha ?? .nan) - ref.alpha) < 1e-9)
        #expect(abs((report.percentAgreement ?? .nan) - ref.percent_agreement) < 1e-9)
    }

    @Test func identicalCodingsAgreeFully() {
        let rows = [
            CodedRow(responseID: "1", question: "q", code: "a"), CodedRow(responseID: "2", question: "q", code: "b"),
        ]
        let r = Agreement.compare(rows, rows)
        #expect(r.alpha == 1 && r.percentAgreement == 1 && r.codes.allSatisfy { $0.kappa == 1 })
    }
}
