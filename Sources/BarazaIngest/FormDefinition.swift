import BarazaModel
import Foundation

/// A questionnaire as its form defines it (an XLSForm: the `survey` and `choices` sheets): each
/// field's name, type, choice list and labels in every language, and each choice list's codes
/// with their labels. Exports made with "XML values" carry the codes only; the form gives them
/// their labels, and `init` drafts the real questionnaire from it.
public struct FormDefinition: Sendable, Hashable {
    public struct Field: Sendable, Hashable {
        public var name: String
        /// The XLSForm type's first word: `select_one`, `select_multiple`, `integer`, `text`, …
        public var type: String
        public var list: String?
        /// The labels in every language column, the first language first.
        public var labels: [String]
        /// The groups the field sits in, outermost first.
        public var groups: [String]
    }
    public struct Choice: Sendable, Hashable {
        public var name: String
        public var labels: [String]
    }
    public var fields: [Field]
    public var choices: [String: [Choice]]

    /// Types that hold no answer or only platform metadata.
    static let notAnswers: Set<String> = [
        "note", "calculate", "begin_group", "end_group", "begin_repeat", "end_repeat", "start", "end", "today",
        "deviceid",
        "subscriberid", "simserial", "phonenumber", "username", "email", "audit", "hidden", "acknowledge", "image",
        "audio",
        "video", "file", "geopoint", "geotrace", "geoshape", "barcode", "background-audio", "start-geopoint",
    ]

    /// Whether the field is a question a respondent answers.
    public var answerFields: [Field] { fields.filter { !Self.notAnswers.contains($0.type) } }

    /// Whether the file is an XLSForm: a workbook with a `survey` sheet.
    public static func isXLSForm(_ path: String) -> Bool {
        guard FileKind.of(path) == .xlsx else { return false }
        var d = Diagnostics()
        return (try? XLSXRecordReader(path: path, sheet: "survey", diagnostics: &d)) != nil
    }

    /// Reads an XLSForm workbook.
    public static func readXLSForm(_ path: String) throws(IngestError) -> FormDefinition {
        func rows(_ sheet: String) throws(IngestError) -> (columns: [String], rows: [[String]])? {
            var d = Diagnostics()
            var reader: XLSXRecordReader
            do { reader = try XLSXRecordReader(path: path, sheet: sheet, diagnostics: &d) } catch {
                if case .unsupportedFormat = error, sheet != "survey" { return nil }
                throw error
            }
            var out: [[String]] = []
            reader.forEachRecord(&d) { item, _ in
                if case .record(let r) = item { out.append(r.values) }
                return out.count < 100_000
            }
            return (reader.columns.map { $0.name.trimmingWhitespace().lowercased() }, out)
        }
        guard let survey = try rows("survey") else {
            throw .unsupportedFormat(path: path, reason: "the XLSForm has no survey sheet")
        }
        func column(_ columns: [String], _ names: [String]) -> Int? { columns.firstIndex { names.contains($0) } }
        // Label columns: `label`, `label::English (en)`, `label::Français (fr)`, … in sheet order.
        func labelColumns(_ columns: [String]) -> [Int] {
            columns.indices.filter {
                columns[$0] == "label" || columns[$0].hasPrefix("label::") || columns[$0].hasPrefix("label:")
            }
        }
        guard let typeAt = column(survey.columns, ["type"]), let nameAt = column(survey.columns, ["name", "value"])
        else {
            throw .unsupportedFormat(path: path, reason: "the XLSForm's survey sheet has no type or name column")
        }
        let surveyLabels = labelColumns(survey.columns)
        var fields: [Field] = []
        var groups: [String] = []
        for row in survey.rows {
            func cell(_ i: Int) -> String { i < row.count ? row[i].trimmingWhitespace() : "" }
            let words = cell(typeAt).split(whereSeparator: { $0 == " " }).map(String.init)
            guard let type = words.first?.lowercased() else { continue }
            let name = cell(nameAt)
            if type == "begin_group" || type == "begin_repeat" || type == "begin" {
                groups.append(name)
                continue
            }
            if type == "end_group" || type == "end_repeat" || type == "end" && words.count > 1 {
                _ = groups.popLast()
                continue
            }
            guard !name.isEmpty else { continue }
            let labels = surveyLabels.map(cell).filter { !$0.isEmpty }
            let list = type.hasPrefix("select_") ? words.dropFirst().first : nil
            fields.append(Field(name: name, type: type, list: list, labels: labels, groups: groups))
        }
        var choices: [String: [Choice]] = [:]
        if let sheet = try rows("choices"),
            let listAt = column(sheet.columns, ["list_name", "list name"]),
            let nameAt = column(sheet.columns, ["name", "value"])
        {
            let labels = labelColumns(sheet.columns)
            for row in sheet.rows {
                func cell(_ i: Int) -> String { i < row.count ? row[i].trimmingWhitespace() : "" }
                guard !cell(listAt).isEmpty, !cell(nameAt).isEmpty else { continue }
                choices[cell(listAt), default: []].append(
                    Choice(name: cell(nameAt), labels: labels.map(cell).filter { !$0.isEmpty }))
            }
        }
        return FormDefinition(fields: fields, choices: choices)
    }
}
