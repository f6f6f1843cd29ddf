import BarazaCoding
import BarazaIngest
import BarazaModel
import Foundation

/// Drafts a consultation file from exports, for `baraza init`: columns found, scales recognised,
/// the likely stakeholder-group column, multiple-choice and open-text questions. Themes are left
/// for the analyst to assign (the default framework is listed in a comment).
public enum ConsultationDrafter {
    struct ColumnProfile {
        var header: ColumnHeader
        var distinct: [String: Int] = [:]
        var nonEmpty = 0
        var totalLength = 0
    }

    /// `files` are written into `sources` relative to `base` (the folder the draft will be saved in).
    struct DraftQuestion {
        var id: String
        var kind: String
        var columns: [String]
        var options: [String] = []
        var comment: String = ""
        /// Option code → the labels respondents see, when they are not the codes.
        var optionLabels: [(String, String)] = []
        var text: String?
        /// The file it was drafted from: a question of the same id in another file is the same
        /// question (its columns become aliases); in one file, two columns are two questions.
        var file = 0

        var yamlLine: String {
            var parts = ["id: \(id)"]
            if kind.hasPrefix("scale:") { parts.append(kind) } else { parts.append("type: \(kind)") }
            parts.append("columns: [\(columns.map(ConsultationDrafter.yaml).joined(separator: ", "))]")
            if !optionLabels.isEmpty {
                parts.append(
                    "options: {"
                        + optionLabels.map { "\($0.0): [\(ConsultationDrafter.yaml($0.1))]" }.joined(separator: ", ")
                        + "}"
                )
            } else if !options.isEmpty {
                parts.append("options: [\(options.map(ConsultationDrafter.yaml).joined(separator: ", "))]")
            }
            if let text { parts.append("text: \(ConsultationDrafter.yaml(text))") }
            return "  - {\(parts.joined(separator: ", "))}"
                + (comment.isEmpty ? "" : "   # \(ConsultationDrafter.comment(comment))")
        }
    }

    /// Questions drafted from a form: one per field that takes an answer, with its type, its labels
    /// as `text:` and aliases, its choice list's codes with their labels; a select_one whose choice
    /// labels match a built-in scale gets that scale; a field whose choices name stakeholder groups
    /// is the group column, a country field the country column.
    static func questions(from form: FormDefinition) -> (questions: [DraftQuestion], group: String?, country: String?) {
        let groupMapper = GroupMapper(groups: StakeholderGroup.defaults)
        var out: [DraftQuestion] = []
        var taken: Set<String> = []
        var group: String?
        var country: String?
        // A label used by two fields cannot be an alias of either (it would claim a column twice).
        var labelUse: [String: Int] = [:]
        for f in form.answerFields { for l in Set(f.labels.map(Folding.fold)) { labelUse[l, default: 0] += 1 } }
        for f in form.answerFields {
            let choices = f.list.flatMap { form.choices[$0] } ?? []
            let header = ColumnHeader(name: f.name, leaf: f.name)
            if country == nil && (isCountry(header) || f.labels.contains { isCountry(ColumnHeader(name: $0)) }) {
                country = f.name
                continue
            }
            if group == nil, f.type == "select_one", !choices.isEmpty,
                choices.filter({ c in c.labels.contains { groupMapper.map($0) != nil } || groupMapper.map(c.name) != nil
                })
                .count * 2 >= choices.count
            {
                group = f.name
                continue
            }
            let id = identifier(f.name, taken: &taken)
            let aliases = [f.name] + f.labels.filter { labelUse[Folding.fold($0)] == 1 && $0 != f.name }
            let text = f.labels.first
            switch f.type {
            case "select_one", "select_multiple", "select_one_from_file", "select_multiple_from_file", "rank":
                var scale: String?
                if f.type == "select_one" {
                    for (sid, s) in BuiltInScales.all.sorted(by: { $0.key < $1.key }) {
                        var coder = ClosedAnswerCoder(scale: s)
                        let hits =
                            choices.filter { c in
                                c.labels.contains {
                                    if case .value = coder.code($0) { return true } else { return false }
                                }
                            }
                            .count
                        if choices.count >= 2 && hits == choices.count {
                            scale = sid
                            break
                        }
                    }
                }
                if let scale {
                    out.append(
                        DraftQuestion(
                            id: id,
                            kind: "scale: \(scale)",
                            columns: aliases,
                            comment: "theme: assign one",
                            text: text
                        )
                    )
                } else {
                    var codes: Set<String> = []
                    let coded = choices.map { (identifier($0.name, taken: &codes), $0.labels.first ?? $0.name) }
                    out.append(
                        DraftQuestion(
                            id: id,
                            kind: f.type.hasPrefix("select_multiple") ? "multiple" : "single",
                            columns: aliases,
                            options: coded.map(\.0),
                            optionLabels: coded,
                            text: text
                        )
                    )
                }
            case "integer", "decimal", "range":
                out.append(DraftQuestion(id: id, kind: "number", columns: aliases, text: text))
            case "text", "string":
                out.append(
                    DraftQuestion(
                        id: id,
                        kind: "text",
                        columns: aliases,
                        comment: "add codebook: <name> to code it",
                        text: text
                    )
                )
            default: continue  // dates, times and other answers a report does not compare
            }
        }
        return (out, group, country)
    }

    public static func draft(files: [String], base: String, sampleRecords: Int = 5000) throws -> String {
        // A form among the files gives the questions; the exports give the sources.
        let formFile = files.first(where: FormDefinition.isForm)
        let form = try formFile.map { f throws -> (questions: [DraftQuestion], group: String?, country: String?) in
            questions(from: try FormDefinition.read(f))
        }
        let files = files.filter { $0 != formFile }
        let groupMapper = GroupMapper(groups: StakeholderGroup.defaults)
        var drafted: [DraftQuestion] = []
        var notes: [String] = []
        /// Adds a question, or an alias to the question of the same id and kind from another file.
        var fileIndex = 0
        var unmappedGroups: [String: Int] = [:]
        var proposedScales: [(id: String, labels: [String])] = []
        func add(_ q: DraftQuestion) {
            var q = q
            q.file = fileIndex
            if let i = drafted.firstIndex(where: { $0.id == q.id && $0.kind == q.kind && $0.file != fileIndex }) {
                drafted[i].columns += q.columns.filter { !drafted[i].columns.contains($0) }
                drafted[i].options += q.options.filter { !drafted[i].options.contains($0) }
            } else {
                let base = q.id
                var k = 2
                while drafted.contains(where: { $0.id == q.id }) {
                    q.id = "\(base)_\(k)"
                    k += 1
                }
                drafted.append(q)
            }
        }
        var sources: [String] = []
        var skipped: [String] = []
        var claimed: Set<String> = []
        for file in files {
            defer { fileIndex += 1 }
            var d = Diagnostics()
            let input = try InputFile(file)
            defer { withExtendedLifetime(input) {} }
            var reader = try ExportReader.open(input.path, diagnostics: &d)
            var profiles: [ColumnProfile] = []
            var n = 0
            reader.forEachRecord(&d) { item, columns in
                guard n < sampleRecords else { return false }
                guard case .record(let r) = item else { return true }
                n += 1
                while profiles.count < columns.count { profiles.append(ColumnProfile(header: columns[profiles.count])) }
                for (i, v) in r.values.enumerated() where i < profiles.count {
                    let t = v.trimmingCharacters(in: .whitespacesAndNewlines)
                    if t.isEmpty { continue }
                    profiles[i].nonEmpty += 1
                    profiles[i].totalLength += t.count
                    if profiles[i].distinct.count < 300 || profiles[i].distinct[t] != nil {
                        profiles[i].distinct[t, default: 0] += 1
                    }
                }
                return n < sampleRecords
            }
            // The stakeholder-group column: most values map to a default group.
            var groupColumn: String?
            var best = 0.0
            for p in profiles where p.nonEmpty > 0 && !isMetadata(p.header) {
                let mapped = p.distinct.filter { groupMapper.map($0.key) != nil }.values.reduce(0, +)
                let share = Double(mapped) / Double(p.nonEmpty)
                let named =
                    Folding.fold(p.header.leaf)
                    .range(of: "org|group|type|stakeholder|sector|categor|groupe|tipo", options: .regularExpression)
                    != nil
                let score = share + (named ? 0.3 : 0)
                let numeric = p.distinct.keys.allSatisfy { Double($0) != nil || DateParser.parse($0) != nil }
                if score > best && (share >= 0.3 || named && !numeric) && p.distinct.count <= 60 && !isCountry(p.header)
                {
                    best = score
                    groupColumn = p.header.name
                }
            }
            if let g = profiles.first(where: { $0.header.name == groupColumn }) {
                for (v, n) in g.distinct where groupMapper.map(v) == nil { unmappedGroups[v, default: 0] += n }
            }
            let countryColumn = profiles.first { isCountry($0.header) && !isMetadata($0.header) && $0.nonEmpty > 0 }?
                .header.name
            // Option columns (`q/option`) belong to the question `q`.
            let names = Set(profiles.map(\.header.name))
            var optionParents: [String: [String]] = [:]
            for p in profiles {
                let parts = p.header.name.split(separator: "/").map(String.init)
                if parts.count >= 2 {
                    let parent = parts.dropLast().joined(separator: "/")
                    if names.contains(parent)
                        || p.distinct.keys.allSatisfy({ ["0", "1", "true", "false"].contains($0.lowercased()) })
                    {
                        optionParents[parent, default: []].append(parts.last ?? "")
                    }
                }
            }
            var optionColumns = Set(optionParents.flatMap { parent, opts in opts.map { parent + "/" + $0 } })
            // SurveyMonkey: "Question / Option" columns whose cells are empty or the option's label.
            var smParents: [String: [String]] = [:]
            for p in profiles {
                let parts = p.header.name.components(separatedBy: " / ")
                guard parts.count == 2, p.distinct.keys.allSatisfy({ $0 == parts[1] }) else { continue }
                smParents[parts[0], default: []].append(parts[1])
            }
            for (parent, opts) in smParents where opts.count >= 2 {
                optionParents[parent] = opts
                for o in opts { optionColumns.insert(parent + " / " + o) }
            }
            for (parent, opts) in smParents.sorted(by: { $0.key < $1.key })
            where opts.count >= 2 && !names.contains(parent) {
                var taken = Set(drafted.map(\.id))
                add(
                    DraftQuestion(
                        id: identifier(parent, taken: &taken),
                        kind: "multiple",
                        columns: [parent],
                        options: opts.map { o in
                            var t: Set<String> = []
                            return identifier(o, taken: &t)
                        },
                        comment: "one column per option; map option labels with options: {code: [Label]}"
                    )
                )
            }
            for p in profiles {
                let c = p.header
                if isMetadata(c) || holdsContactData(p) || c.name == groupColumn || c.name == countryColumn
                    || optionColumns.contains(c.name)
                {
                    if isMetadata(c) || holdsContactData(p) { skipped.append(c.name) }
                    continue
                }
                let key = Folding.fold(c.name)
                if claimed.contains(key) { continue }
                claimed.insert(key)
                // "pol1. Les politiques…" (SurveyMonkey, Qualtrics text headers) → the leading code.
                let code = c.leaf.range(of: #"^[A-Za-z][A-Za-z0-9_]*(?=[.:)] )"#, options: .regularExpression)
                    .map { String(c.leaf[$0]) }
                var noTaken: Set<String> = []
                let id = code.map { identifier($0, taken: &noTaken) } ?? columnID(c.leaf, taken: &noTaken)
                let alias = c.name
                let headerText = c.leaf.count > 12 || c.leaf.contains(" ") ? c.leaf : nil
                if let opts = optionParents[c.name] {
                    add(DraftQuestion(id: id, kind: "multiple", columns: [alias], options: opts))
                    continue
                }
                if p.nonEmpty == 0 {
                    notes.append("\(c.name): empty in the sample; add it by hand if it matters")
                    continue
                }
                // A scale whose labels cover the column's values.
                var bestScale: (String, Int)?
                for (sid, scale) in BuiltInScales.all.sorted(by: { $0.key < $1.key }) {
                    var coder = ClosedAnswerCoder(scale: scale)
                    let hits = p.distinct.keys
                        .filter { if case .value = coder.code($0) { return true } else { return false } }.count
                    let misses = p.distinct.keys
                        .filter { if case .unknown = coder.code($0) { return true } else { return false } }.count
                    if hits >= 2 && misses * 5 <= p.distinct.count && hits > (bestScale?.1 ?? 0) {
                        bestScale = (sid, hits)
                    }
                }
                if let (sid, _) = bestScale {
                    add(
                        DraftQuestion(
                            id: id,
                            kind: "scale: \(sid)",
                            columns: [alias],
                            comment: "theme: assign one",
                            text: headerText
                        )
                    )
                    continue
                }
                if let ordered = orderedLabels(p) {
                    var taken = Set(proposedScales.map(\.id))
                    let sid = identifier(id + "_scale", taken: &taken)
                    proposedScales.append((sid, ordered))
                    add(
                        DraftQuestion(
                            id: id,
                            kind: "scale: \(sid)",
                            columns: [alias],
                            comment: "theme: assign one; scale proposed from the labels' wording: check its order",
                            text: headerText
                        )
                    )
                    continue
                }
                if let labels = checkboxOptions(p) {
                    var taken: Set<String> = []
                    let coded = labels.map { (identifier($0, taken: &taken), $0) }
                    add(
                        DraftQuestion(
                            id: id,
                            kind: "multiple",
                            columns: [alias],
                            options: coded.map(\.0),
                            comment: "answers joined with ';' or ', '",
                            optionLabels: coded,
                            text: headerText
                        )
                    )
                    continue
                }
                let average = Double(p.totalLength) / Double(max(1, p.nonEmpty))
                let tokens = Set(p.distinct.keys.flatMap { $0.split(separator: " ").map(String.init) })
                if average > 30 || (average > 15 && Double(p.distinct.count) > 0.5 * Double(min(p.nonEmpty, 300))) {
                    add(
                        DraftQuestion(
                            id: id,
                            kind: "text",
                            columns: [alias],
                            comment: "add codebook: <name> to code it"
                        )
                    )
                } else if p.distinct.keys.contains(where: { $0.contains(" ") }) && tokens.count <= 40
                    && tokens.allSatisfy({ $0.range(of: #"^[a-z0-9_]+$"#, options: .regularExpression) != nil })
                {
                    add(DraftQuestion(id: id, kind: "multiple", columns: [alias], options: tokens.sorted()))
                } else if p.distinct.keys.allSatisfy({ Double($0.replacingOccurrences(of: ",", with: ".")) != nil }) {
                    add(DraftQuestion(id: id, kind: "number", columns: [alias]))
                } else {
                    add(
                        DraftQuestion(
                            id: id,
                            kind: "single",
                            columns: [alias],
                            comment: "\(p.distinct.count) distinct values"
                        )
                    )
                }
            }
            let path = yaml(relativeTo(base, file))
            if let g = form?.group { groupColumn = g }
            let country =
                (form?.country ?? countryColumn).map { ", country_column: \(yaml($0))" } ?? ""
                + (formFile.map { ", form: \(yaml(relativeTo(base, $0)))" } ?? "")
            if let groupColumn {
                sources.append(
                    "  - {path: \(path), group_column: \(yaml(groupColumn))\(country)}"
                        + "   # add country: and wave: when the file holds one of each"
                )
            } else {
                sources.append("  - {path: \(path)}   # no stakeholder-group column found: set group_column or group")
            }
        }
        var out = """
            # Draft consultation file written by `baraza init`. Edit it, then run `baraza check` on it.
            # Themes: give each scale question a theme, one of:
            \(Theme.defaultFramework.map { "#   \($0.id): \($0.label)" }.joined(separator: "\n"))
            version: 1
            consultation: "Untitled consultation"
            themes: default

            """
        // The built-in groups, each with what it already recognises, and the group column's values
        // that match none: a person says which group each is.
        out += "groups:                 # built in; add the values below to one group's list\n"
        for g in StakeholderGroup.defaults {
            out += "  \(g.id): []   # \(g.label): " + comment(g.synonyms.prefix(8).joined(separator: ", ")) + ", …\n"
        }
        if !unmappedGroups.isEmpty {
            out += "# Values of the group column that match no group: which group is each?\n"
            for (v, n) in unmappedGroups.sorted(by: { ($0.value, $1.key) > ($1.value, $0.key) }).prefix(40) {
                out += "#   \(comment(yaml(v))) (\(n)×)\n"
            }
        }
        if !proposedScales.isEmpty {
            out += "scales:                 # proposed from ordered labels: check each order, least to most\n"
            for (sid, labels) in proposedScales {
                out +=
                    "  \(sid):\n    labels: {"
                    + labels.enumerated().map { "\($0.offset + 1): [\(yaml($0.element))]" }.joined(separator: ", ")
                    + "}\n"
            }
        }
        out += "\n"
        if let form {
            // The form's questions, not the sample's guesses.
            drafted = form.questions
            notes = []
            out += "# Questions from the form \(comment(formFile.map { relativeTo(base, $0) } ?? "")).\n"
        }
        out +=
            drafted.isEmpty
            ? "questions: []   # no column looked like a question in the sample\n"
            : "questions:\n" + drafted.map(\.yamlLine).joined(separator: "\n") + "\n"
        for n in notes { out += "# \(comment(n))\n" }
        if !skipped.isEmpty {
            out +=
                "# Platform metadata and contact columns, not questions: "
                + comment(Array(Set(skipped)).sorted().joined(separator: ", ")) + "\n"
        }
        out +=
            (sources.isEmpty
                ? "sources: []   # add the exports here, each with form: set to the form\n"
                : "sources:\n" + sources.joined(separator: "\n") + "\n") + "report: {by: [group], min_cell: 5}\n"
        return out
    }
}
