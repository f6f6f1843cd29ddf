import BarazaIngest
import BarazaModel
import Foundation

/// Agreement between two codings of the same open answers (rules vs a person, or two people).
///
/// Each coding is a set of `(response_id, question, code)` rows. The answers compared are every
/// `(response_id, question)` either coding names. For each code, each answer is a yes/no unit:
/// an answer neither gave the code counts as agreement on its absence.
public struct AgreementReport: Sendable, Codable, Equatable {
    public struct CodeAgreement: Sendable, Codable, Equatable {
        public var code: String
        /// Answers with the code in A, in B, in both.
        public var inA: Int
        public var inB: Int
        public var inBoth: Int
        public var kappa: Double?
        /// Of A's assignments, the share B made too (B as the reference).
        public var precision: Double?
        /// Of B's assignments, the share A made too.
        public var recall: Double?
        public var notComputed: String?
    }
    public var answers: Int
    public var codes: [CodeAgreement]
    /// Krippendorff's alpha (nominal) over all answer × code units.
    public var alpha: Double?
    /// Share of answer × code units on which A and B agree.
    public var percentAgreement: Double?
}

public struct CodedRow: Sendable, Hashable {
    public var responseID: String
    public var question: String
    public var code: String
    public init(responseID: String, question: String, code: String) {
        self.responseID = responseID
        self.question = question
        self.code = code
    }
}

public enum Agreement {
    public static func compare(_ a: [CodedRow], _ b: [CodedRow]) -> AgreementReport {
        struct Answer: Hashable, Comparable {
            var r: String, q: String
            static func < (x: Answer, y: Answer) -> Bool { (x.r, x.q) < (y.r, y.q) }
        }
        let setA = Set(a.filter { !$0.code.isEmpty }.map { "\($0.responseID)\u{1}\($0.question)\u{1}\($0.code)" })
        let setB = Set(b.filter { !$0.code.isEmpty }.map { "\($0.responseID)\u{1}\($0.question)\u{1}\($0.code)" })
        let answers = Set((a + b).map { Answer(r: $0.responseID, q: $0.question) }).sorted()
        let codes = Set((a + b).map(\.code).filter { !$0.isEmpty }).sorted()
        var perCode: [AgreementReport.CodeAgreement] = []
        // Coincidence counts over all units for alpha: o[x][y], x, y ∈ {0, 1}.
        var o = [[0.0, 0.0], [0.0, 0.0]]
        var agreeUnits = 0
        for code in codes {
            var n11 = 0
            var n10 = 0
            var n01 = 0
            var n00 = 0
            for ans in answers {
                let key = "\(ans.r)\u{1}\(ans.q)\u{1}\(code)"
                let x = setA.contains(key)
                let y = setB.contains(key)
                switch (x, y) {
                case (true, true): n11 += 1
                case (true, false): n10 += 1
                case (false, true): n01 += 1
                case (false, false): n00 += 1
                }
            }
            let n = Double(answers.count)
            let po = Double(n11 + n00) / n
            let pe = (Double(n11 + n10) * Double(n11 + n01) + Double(n00 + n01) * Double(n00 + n10)) / (n * n)
            var item = AgreementReport.CodeAgreement(code: code, inA: n11 + n10, inB: n11 + n01, inBoth: n11)
            if pe < 1 {
                item.kappa = (po - pe) / (1 - pe)
            } else {
                item.notComputed = "both codings give the same single value to every answer"
            }
            item.precision = n11 + n10 > 0 ? Double(n11) / Double(n11 + n10) : nil
            item.recall = n11 + n01 > 0 ? Double(n11) / Double(n11 + n01) : nil
            perCode.append(item)
            o[1][1] += 2 * Double(n11)
            o[0][0] += 2 * Double(n00)
            o[1][0] += Double(n10 + n01)
            o[0][1] += Double(n10 + n01)
            agreeUnits += n11 + n00
        }
        let units = answers.count * codes.count
        var alpha: Double?
        let n0 = o[0][0] + o[0][1]
        let n1 = o[1][0] + o[1][1]
        let total = n0 + n1
        if units > 0, n0 > 0, n1 > 0 { alpha = 1 - (total - 1) * (o[0][1] + o[1][0]) / (n0 * n1 * 2) }
        return AgreementReport(
            answers: answers.count,
            codes: perCode,
            alpha: alpha,
            percentAgreement: units > 0 ? Double(agreeUnits) / Double(units) : nil
        )
    }

    /// Reads `response_id,question,code` rows (a header row is expected).
    public static func read(_ path: String) throws -> [CodedRow] {
        var d = Diagnostics()
        var reader = try ExportReader.open(path, diagnostics: &d)
        let cols = reader.columns.map { Folding.fold($0.name) }
        guard let ri = cols.firstIndex(of: Folding.fold("response_id")), let qi = cols.firstIndex(of: "question"),
            let ci = cols.firstIndex(of: "code")
        else { throw AgreementError.missingColumns(path: path, found: reader.columns.map(\.name)) }
        var rows: [CodedRow] = []
        var bad: AgreementError?
        reader.forEachRecord(&d) { item, _ in
            switch item {
            case .rejected(let rej):
                bad = .badRow(rej.location, rej.reason)
                return false
            case .record(let r):
                rows.append(
                    CodedRow(
                        responseID: r.values[ri].trimmingCharacters(in: .whitespaces),
                        question: r.values[qi].trimmingCharacters(in: .whitespaces),
                        code: r.values[ci].trimmingCharacters(in: .whitespaces)
                    )
                )
                return true
            }
        }
        if let bad { throw bad }
        return rows
    }
}

public enum AgreementError: Error, CustomStringConvertible, Sendable {
    case missingColumns(path: String, found: [String])
    case badRow(SourceLocation, String)
    public var description: String {
        switch self {
        case .missingColumns(let path, let found):
            "\(path):1: error: expected columns response_id, question, code; found \(found.joined(separator: ", "))"
        case .badRow(let loc, let reason): "\(loc): error: \(reason)"
        }
    }
}
