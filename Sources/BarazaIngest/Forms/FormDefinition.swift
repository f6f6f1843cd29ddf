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
        "deviceid", "subscriberid", "simserial", "phonenumber", "username", "email", "audit", "hidden", "acknowledge",
        "image", "audio", "video", "file", "geopoint", "geotrace", "geoshape", "barcode", "background-audio",
        "start-geopoint",
    ]

    /// Whether the field is a question a respondent answers.
    public var answerFields: [Field] { fields.filter { !Self.notAnswers.contains($0.type) } }

    public enum Kind: Sendable { case xlsForm, xForm, ddi }

    /// What kind of form the file is, from its bytes; nil when it is not one.
    public static func kind(_ path: String) -> Kind? {
        switch FileKind.of(path) {
        case .xlsx:
            var d = Diagnostics()
            return (try? XLSXRecordReader(path: path, sheet: "survey", diagnostics: &d)) != nil ? .xlsForm : nil
        case .refused:
            guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
            defer { try? handle.close() }
            let head = [UInt8]((try? handle.read(upToCount: 64 << 10)) ?? Data())
            switch FileKind.xmlRoot(head) {
            case "html" where String(decoding: head, as: UTF8.self).contains(FileKind.xformsNamespace): return .xForm
            case "codeBook": return .ddi
            default: return nil
            }
        default: return nil
        }
    }

    /// Whether the file is a form Baraza reads (XLSForm, XForm, DDI codebook).
    public static func isForm(_ path: String) -> Bool { kind(path) != nil }

    /// Reads a form of any kind Baraza knows.
    public static func read(_ path: String) throws(IngestError) -> FormDefinition {
        switch kind(path) {
        case .xlsForm: return try readXLSForm(path)
        case .xForm: return try readXForm(path)
        case .ddi:
            var d = Diagnostics()
            let vars = try DDICodebook.read(path, diagnostics: &d)
            var choices: [String: [Choice]] = [:]
            for v in vars where !v.categories.isEmpty {
                choices[v.name] = v.categories.map { Choice(name: $0.value, labels: [$0.label]) }
            }
            return FormDefinition(
                fields: vars.map { v in
                    Field(
                        name: v.name,
                        type: v.categories.isEmpty ? "text" : "select_one",
                        list: v.categories.isEmpty ? nil : v.name,
                        labels: v.label.isEmpty ? [] : [v.label],
                        groups: []
                    )
                },
                choices: choices
            )
        case nil:
            throw .unsupportedFormat(
                path: path,
                reason: "not a form Baraza reads (an XLSForm, an XForm or a DDI codebook)"
            )
        }
    }

    /// Reads an XForm (ODK, KoboToolbox): binds give types, body controls give labels (inline or
    /// through `itext` translations, every language) and choices (inline items, or the items of a
    /// secondary instance an `itemset` names).
    public static func readXForm(_ path: String) throws(IngestError) -> FormDefinition {
        let xml = try XMLStream(path: path)
        var bindTypes: [String: String] = [:]
        var itext: [String: [String]] = [:]
        var instances: [String: [Choice]] = [:]
        var fields: [Field] = []
        var choices: [String: [Choice]] = [:]
        var stack: [String] = []
        var text = ""
        // itext
        var textID: String?
        var inValue = false
        // secondary instances: <instance id="x"><root><item><name/><label/></item>
        var instanceID: String?
        var item: (name: String, label: String)?
        // body
        var control: (ref: String, element: String, labels: [String], items: [Choice], itemset: String?)?
        var choice: (name: String, labels: [String])?
        var groups: [String] = []
        var groupDepths: [Int] = []
        func leaf(_ ref: String) -> String { ref.split(separator: "/").last.map(String.init) ?? ref }
        func labels(ref: String?) -> [String] {
            guard let ref, let start = ref.range(of: "itext('"),
                let end = ref.range(of: "')", range: start.upperBound..<ref.endIndex)
            else { return [] }
            return itext[String(ref[start.upperBound..<end.lowerBound])] ?? []
        }
        while let step = xml.next() {
            guard case .success(let node) = step else {
                throw .unsupportedFormat(path: path, reason: "the XForm is not well-formed XML")
            }
            switch node {
            case .element(let name, let empty):
                text = ""
                switch name {
                case "bind": if let n = xml.attribute("nodeset") { bindTypes[n] = xml.attribute("type") ?? "string" }
                case "text" where stack.contains("itext"): textID = xml.attribute("id")
                case "value" where textID != nil: inValue = xml.attribute("form") == nil
                case "instance": instanceID = xml.attribute("id")
                case "item" where instanceID != nil && control == nil: item = ("", "")
                case "group":
                    if let ref = xml.attribute("ref") {
                        groups.append(leaf(ref))
                        groupDepths.append(stack.count)
                    }
                case "input", "select1", "select", "range", "rank", "upload":
                    if let ref = xml.attribute("ref") ?? xml.attribute("nodeset") { control = (ref, name, [], [], nil) }
                case "label" where control != nil:
                    let l = labels(ref: xml.attribute("ref"))
                    if choice != nil { choice?.labels += l } else { control?.labels += l }
                case "item" where control != nil: choice = ("", [])
                case "itemset" where control != nil:
                    if let ns = xml.attribute("nodeset"), let start = ns.range(of: "instance('"),
                        let end = ns.range(of: "')", range: start.upperBound..<ns.endIndex)
                    {
                        control?.itemset = String(ns[start.upperBound..<end.lowerBound])
                    }
                default: break
                }
                if !empty { stack.append(name) }
            case .text(let t): text += t
            case .end(let name):
                _ = stack.popLast()
                let t = text.trimmingWhitespace()
                switch name {
                case "value" where textID != nil && inValue:
                    if let id = textID, !t.isEmpty { itext[id, default: []].append(t) }
                    inValue = false
                case "text" where textID != nil: textID = nil
                case "name" where item != nil: item?.name = t
                case "label" where item != nil && control == nil: item?.label = t
                case "item" where item != nil && control == nil:
                    if let i = item, let id = instanceID, !i.name.isEmpty {
                        instances[id, default: []]
                            .append(Choice(name: i.name, labels: i.label.isEmpty ? [] : [i.label]))
                    }
                    item = nil
                case "instance": instanceID = nil
                case "label" where control != nil:
                    if !t.isEmpty { if choice != nil { choice?.labels.append(t) } else { control?.labels.append(t) } }
                case "value" where choice != nil: choice?.name = t
                case "item" where choice != nil:
                    if let c = choice, !c.name.isEmpty { control?.items.append(Choice(name: c.name, labels: c.labels)) }
                    choice = nil
                case "input", "select1", "select", "range", "rank", "upload":
                    if let c = control {
                        let bind = bindTypes[c.ref] ?? "string"
                        let type: String
                        switch c.element {
                        case "select1": type = "select_one"
                        case "select": type = "select_multiple"
                        case "range": type = "range"
                        case "rank": type = "rank"
                        case "upload": type = "file"
                        default:
                            type =
                                ["int": "integer", "integer": "integer", "decimal": "decimal", "string": "text"][bind]
                                ?? bind
                        }
                        let name = leaf(c.ref)
                        var list: String?
                        if !c.items.isEmpty {
                            list = name
                            choices[name] = c.items
                        }
                        if let set = c.itemset {
                            list = set
                            if let items = instances[set] { choices[set] = items }
                        }
                        fields.append(
                            Field(name: name, type: type, list: list, labels: Self.unique(c.labels), groups: groups)
                        )
                    }
                    control = nil
                case "group":
                    if let d = groupDepths.last, d == stack.count {
                        groupDepths.removeLast()
                        _ = groups.popLast()
                    }
                default: break
                }
                text = ""
            case .other: continue
            }
        }
        return FormDefinition(fields: fields, choices: choices)
    }

    static func unique(_ labels: [String]) -> [String] {
        var seen: Set<String> = []
        return labels.filter { seen.insert($0).inserted }
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
        else { throw .unsupportedFormat(path: path, reason: "the XLSForm's survey sheet has no type or name column") }
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
        if let sheet = try rows("choices"), let listAt = column(sheet.columns, ["list_name", "list name"]),
            let nameAt = column(sheet.columns, ["name", "value"])
        {
            let labels = labelColumns(sheet.columns)
            for row in sheet.rows {
                func cell(_ i: Int) -> String { i < row.count ? row[i].trimmingWhitespace() : "" }
                guard !cell(listAt).isEmpty, !cell(nameAt).isEmpty else { continue }
                choices[cell(listAt), default: []]
                    .append(Choice(name: cell(nameAt), labels: labels.map(cell).filter { !$0.isEmpty }))
            }
        }
        return FormDefinition(fields: fields, choices: choices)
    }
}
