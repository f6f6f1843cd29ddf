import BarazaCoding
import BarazaModel
import BarazaStore

/// Why an open answer has its codes: for a rule's code, the rule and the span it matched
/// (recomputed from the stored text with the consultation's codebook); for a person's, who coded.
public struct CodeExplanation: Sendable, Hashable {
    public var question: String
    public var text: String
    public var code: String?
    /// "rule \"interest rate*\" matched \"interest rates\" at 12–26", "coded by amina", or why uncoded.
    public var reason: String
}

public enum Explainer {
    public static func explain(_ consultation: Consultation, store: SQLiteStore, respondentID: String) throws
        -> [CodeExplanation]
    {
        var coders: [String: OpenTextCoder] = [:]
        for (id, rules) in consultation.codebooks {
            coders[id] = OpenTextCoder(codebook: id, rules: rules, negators: consultation.negators)
        }
        var out: [CodeExplanation] = []
        for answer in try store.textAnswers(respondentID: respondentID).sorted(by: { $0.question < $1.question }) {
            if answer.codes.isEmpty {
                out.append(
                    CodeExplanation(
                        question: answer.question,
                        text: answer.text,
                        code: nil,
                        reason: answer.byPerson
                            ? "reviewed by \(answer.coder ?? "a person"): no code"
                            : "no rule matched: in the review queue"
                    )
                )
                continue
            }
            if answer.byPerson {
                for c in answer.codes {
                    out.append(
                        CodeExplanation(
                            question: answer.question,
                            text: answer.text,
                            code: c,
                            reason: "coded by \(answer.coder ?? "a person")"
                        )
                    )
                }
                continue
            }
            let book = consultation.question(answer.question)?.codebook.flatMap { coders[$0] }
            let matches = book?.code(answer.text, question: answer.question) ?? []
            let folded = Array(Folding.fold(answer.text))
            for c in answer.codes {
                if let m = matches.first(where: { $0.code == c }), m.spanEnd <= folded.count {
                    out.append(
                        CodeExplanation(
                            question: answer.question,
                            text: answer.text,
                            code: c,
                            reason: "rule \"\(m.rule)\" matched \"\(String(folded[m.spanStart..<m.spanEnd]))\" "
                                + "at \(m.spanStart)–\(m.spanEnd)"
                        )
                    )
                } else {
                    out.append(
                        CodeExplanation(
                            question: answer.question,
                            text: answer.text,
                            code: c,
                            reason: "assigned at import; the current codebook no longer gives it (re-import to refresh)"
                        )
                    )
                }
            }
        }
        return out
    }
}
