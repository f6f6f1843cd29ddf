import BarazaCoding
import BarazaIngest
import BarazaModel
import Foundation

/// `baraza check`: codes every source record without storing it, and lists what does not map.
public struct CheckReport: Sendable, Codable {
    public struct Finding: Sendable, Codable {
        public var severity: String
        public var file: String
        public var line: Int?
        public var column: Int?
        public var message: String
    }
    public var consultation: String
    public var files: Int
    public var records: Int
    public var findings: [Finding]
    public var errors: Int { findings.filter { $0.severity == "error" }.count }
    public var warnings: Int { findings.filter { $0.severity == "warning" }.count }
}

public enum ConsultationChecker {
    public static func check(_ consultation: Consultation, store: String? = nil) -> CheckReport {
        var findings: [CheckReport.Finding] = []
        var records = 0
        var codesSeen: Set<String> = []
        var questionsBound: Set<String> = []
        let files = SourceFiles.expandSources(consultation)
        func add(_ severity: String, _ file: String, line: Int? = nil, _ message: String) {
            findings.append(.init(severity: severity, file: file, line: line, column: nil, message: message))
        }
        for (path, source) in files {
            var d = Diagnostics()
            do {
                let input = try InputFile(path)
                defer { withExtendedLifetime(input) {} }
                var reader = try ExportReader.open(input.path, options: source.options, diagnostics: &d)
                var coder = ResponseCoder(consultation: consultation, source: source, profile: reader.profile)
                var coding = Diagnostics()
                // The first data line of each unmapped group value, for the warning.
                var firstLines: [String: Int] = [:]
                var seen = 0
                reader.forEachRecord(&d) { item, columns in
                    records += 1
                    if case .record(let raw) = item {
                        let line = raw.location.line
                        let r = coder.code(raw, columns: columns, diagnostics: &coding)
                        for t in r.texts { for c in t.codes { codesSeen.insert(c) } }
                        let unmapped = coder.unmappedGroups.values.reduce(0, +)
                        if unmapped > seen {
                            seen = unmapped
                            for g in coder.unmappedGroups.keys where firstLines[g] == nil { firstLines[g] = line }
                        }
                    }
                    return true
                }
                d.append(coding)
                questionsBound.formUnion(Set(consultation.questions.map(\.id)).subtracting(coder.unboundQuestions))
                let unused = reader.columns.enumerated()
                    .filter { !coder.boundColumns.contains($0.offset) && !ConsultationDrafter.isMetadata($0.element) }
                if !unused.isEmpty {
                    add(
                        "note",
                        path,
                        line: 1,
                        "columns not mapped to any question: " + unused.map(\.element.name).joined(separator: ", ")
                    )
                }
                let withoutGroup = coder.unmappedGroups.values.reduce(0, +)
                if withoutGroup > 0 {
                    let share = records > 0 ? " — \(withoutGroup) of the file's respondents have no group" : ""
                    add(
                        "warning",
                        path,
                        "\(coder.unmappedGroups.count) group values match no stakeholder group\(share); "
                            + "they are left out of every group comparison"
                    )
                }
                for (g, n) in coder.unmappedGroups.sorted(by: { $0.key < $1.key }) {
                    let line = firstLines[g].map { " (first at line \($0))" } ?? ""
                    add(
                        "warning",
                        path,
                        line: firstLines[g],
                        "group value '\(g)' (\(n)×) matches no stakeholder group\(line)"
                    )
                }
                for (q, labels) in coder.unknownLabels.sorted(by: { $0.key < $1.key }) {
                    let scale = consultation.question(q)?.scale.flatMap { consultation.scales[$0] }
                    for (raw, n) in labels.sorted(by: { $0.key < $1.key }) {
                        let near = scale.flatMap { ClosedAnswerCoder(scale: $0).nearestLabel(to: raw) }
                        add(
                            "warning",
                            path,
                            "question '\(q)': label '\(raw)' (\(n)×) matches no scale point"
                                + (near.map { "; did you mean '\($0)'?" } ?? "")
                        )
                    }
                }
            } catch { add("error", path, line: 1, "\(error)") }
            for item in d.items where item.severity != .note {
                findings.append(
                    .init(
                        severity: item.severity.rawValue,
                        file: item.location?.file ?? path,
                        line: item.location?.line,
                        column: item.location?.column,
                        message: item.message + (item.expected.map { " (expected \($0))" } ?? "")
                    )
                )
            }
        }
        for q in consultation.questions where !questionsBound.contains(q.id) {
            let aliases = q.columns.joined(separator: ", ")
            add("warning", consultation.file, "question '\(q.id)' has no column in any source (aliases: \(aliases))")
        }
        // What would silently leave something out of the report.
        for q in consultation.questions {
            if (q.type == .likert || q.type == .number) && q.theme == nil {
                add("warning", consultation.file, "question '\(q.id)' has no theme: it will not appear in the report")
            } else if q.type == .text && q.codebook == nil {
                add(
                    "warning",
                    consultation.file,
                    "open question '\(q.id)' has no codebook: its answers will not appear in the report"
                )
            }
        }
        for t in consultation.themes
        where !consultation.questions.contains(where: { $0.theme == t.id })
            && !consultation.codebooks.values.joined().contains(where: { $0.theme == t.id })
        {
            add(
                "note",
                consultation.file,
                "theme '\(t.id)' has no questions or codes: its section of the report will be empty"
            )
        }
        for (book, rules) in consultation.codebooks.sorted(by: { $0.key < $1.key }) {
            for r in rules where !codesSeen.contains(r.code) {
                add("warning", consultation.file, "code '\(r.code)' of codebook '\(book)' matches no answer")
            }
        }
        return CheckReport(consultation: consultation.file, files: files.count, records: records, findings: findings)
    }
}
