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

    static let metadata: Set<String> = ["start", "end", "today", "deviceid", "subscriberid", "simserial", "phonenumber", "username",
                                        "submissiondate", "key", "parent_key", "respondent id", "collector id", "start date", "end date",
                                        "ip address", "email address", "first name", "last name", "custom data 1", "responseid", "startdate",
                                        "enddate", "status", "ipaddress", "progress", "duration (in seconds)", "finished", "recordeddate",
                                        "recipientlastname", "recipientfirstname", "recipientemail", "externalreference", "locationlatitude",
                                        "locationlongitude", "distributionchannel", "userlanguage", "timestamp", "horodateur", "id",
                                        "submitdate", "lastpage", "startlanguage", "seed", "token", "respondent_id", "submission_time"]

    static func isMetadata(_ c: ColumnHeader) -> Bool {
        // Raw (unfolded) names: folding would turn the leading underscore of `_uuid` into nothing.
        let n = c.name.lowercased().trimmingCharacters(in: .whitespaces), leaf = c.leaf.lowercased()
        return n.hasPrefix("_") || leaf.hasPrefix("_") || n.hasPrefix("meta/") || n.hasPrefix("meta-") || n.hasPrefix("@")
            || metadata.contains(n) || metadata.contains(leaf)
    }

    /// A YAML scalar, quoted when needed.
    static func yaml(_ s: String) -> String {
        let plain = s.range(of: #"^[A-Za-z_][A-Za-z0-9_./\- ]*$"#, options: .regularExpression) != nil
            && !["yes", "no", "true", "false", "null", "on", "off"].contains(s.lowercased()) && !s.hasSuffix(" ")
        if plain { return s }
        // Escaped by scalar: a quote or backslash followed by a combining mark is one Character.
        var out = String.UnicodeScalarView()
        for c in s.unicodeScalars {
            switch c {
            case "\\": out.append(contentsOf: "\\\\".unicodeScalars)
            case "\"": out.append(contentsOf: "\\\"".unicodeScalars)
            default: out.append(c)
            }
        }
        return "\"" + String(out) + "\""
    }

    static func relativeTo(_ base: String, _ file: String) -> String {
        let cwd = FileManager.default.currentDirectoryPath
        let abs = ((file.hasPrefix("/") ? file : joinPath(cwd, file)) as NSString).standardizingPath
        let b = ((base.hasPrefix("/") ? base : joinPath(cwd, base)) as NSString).standardizingPath + "/"
        return abs.hasPrefix(b) ? String(abs.dropFirst(b.count)) : abs
    }

    static func identifier(_ s: String, taken: inout Set<String>) -> String {
        var id = Folding.fold(s).map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined()
        while id.contains("__") { id = id.replacingOccurrences(of: "__", with: "_") }
        id = String(id.trimmingCharacters(in: CharacterSet(charactersIn: "_")).prefix(40))
        if id.isEmpty || id.first?.isNumber == true { id = "q_" + id }
        var unique = id, k = 2
        while taken.contains(unique) { unique = "\(id)_\(k)"; k += 1 }
        taken.insert(unique)
        return unique
    }

    /// `files` are written into `sources` relative to `base` (the folder the draft will be saved in).
    struct DraftQuestion {
        var id: String
        var kind: String
        var columns: [String]
        var options: [String] = []
        var comment: String = ""

        var yamlLine: String {
            var parts = ["id: \(id)"]
            if kind.hasPrefix("scale:") { parts.append(kind) } else { parts.append("type: \(kind)") }
            parts.append("columns: [\(columns.map(ConsultationDrafter.yaml).joined(separator: ", "))]")
            if !options.isEmpty { parts.append("options: [\(options.map(ConsultationDrafter.yaml).joined(separator: ", "))]") }
            return "  - {\(parts.joined(separator: ", "))}" + (comment.isEmpty ? "" : "   # \(comment)")
        }
    }

    public static func draft(files: [String], base: String, sampleRecords: Int = 5000) throws -> String {
        let groupMapper = GroupMapper(groups: StakeholderGroup.defaults)
        var drafted: [DraftQuestion] = []
        var notes: [String] = []
        /// Adds a question, or an alias to the question of the same id and kind from another file.
        func add(_ q: DraftQuestion) {
            if let i = drafted.firstIndex(where: { $0.id == q.id && $0.kind == q.kind }) {
                drafted[i].columns += q.columns.filter { !drafted[i].columns.contains($0) }
                drafted[i].options += q.options.filter { !drafted[i].options.contains($0) }
            } else {
                var q = q
                var k = 2
                while drafted.contains(where: { $0.id == q.id }) { q.id = "\(q.id.split(separator: "_").first.map(String.init) ?? q.id)_\(k)"; k += 1 }
                drafted.append(q)
            }
        }
        var sources: [String] = []
        var skipped: [String] = []
        var claimed: Set<String> = []
        for file in files {
            var d = Diagnostics()
            var reader = try ExportReader.open(file, diagnostics: &d)
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
                    if profiles[i].distinct.count < 300 || profiles[i].distinct[t] != nil { profiles[i].distinct[t, default: 0] += 1 }
                }
                return n < sampleRecords
            }
            // The stakeholder-group column: most values map to a default group.
            var groupColumn: String?
            var best = 0.0
            for p in profiles where p.nonEmpty > 0 && !isMetadata(p.header) {
                let mapped = p.distinct.filter { groupMapper.map($0.key) != nil }.values.reduce(0, +)
                let share = Double(mapped) / Double(p.nonEmpty)
                let named = Folding.fold(p.header.leaf).range(of: "org|group|type|stakeholder|sector|categor|groupe|tipo", options: .regularExpression) != nil
                let score = share + (named ? 0.3 : 0)
                if score > best && (share >= 0.3 || named) && p.distinct.count <= 60 { best = score; groupColumn = p.header.name }
            }
            // Option columns (`q/option`) belong to the question `q`.
            let names = Set(profiles.map(\.header.name))
            var optionParents: [String: [String]] = [:]
            for p in profiles {
                let parts = p.header.name.split(separator: "/").map(String.init)
                if parts.count >= 2 {
                    let parent = parts.dropLast().joined(separator: "/")
                    if names.contains(parent) || p.distinct.keys.allSatisfy({ ["0", "1", "true", "false"].contains($0.lowercased()) }) {
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
            for (parent, opts) in smParents.sorted(by: { $0.key < $1.key }) where opts.count >= 2 && !names.contains(parent) {
                var taken = Set(drafted.map(\.id))
                add(DraftQuestion(id: identifier(parent, taken: &taken), kind: "multiple", columns: [parent],
                                  options: opts.map { o in var t: Set<String> = []; return identifier(o, taken: &t) },
                                  comment: "one column per option; map option labels with options: {code: [Label]}"))
            }
            for p in profiles {
                let c = p.header
                if isMetadata(c) || c.name == groupColumn || optionColumns.contains(c.name) {
                    if isMetadata(c) { skipped.append(c.name) }
                    continue
                }
                let key = Folding.fold(c.name)
                if claimed.contains(key) { continue }
                claimed.insert(key)
                // "pol1. Les politiques…" (SurveyMonkey, Qualtrics text headers) → the leading code.
                let code = c.leaf.range(of: #"^[A-Za-z][A-Za-z0-9_]*(?=[.:)] )"#, options: .regularExpression).map { String(c.leaf[$0]) }
                var noTaken: Set<String> = []
                let id = identifier(code ?? c.leaf, taken: &noTaken)
                let alias = c.name
                if let opts = optionParents[c.name] {
                    add(DraftQuestion(id: id, kind: "multiple", columns: [alias], options: opts))
                    continue
                }
                if p.nonEmpty == 0 { notes.append("\(c.name): empty in the sample; add it by hand if it matters"); continue }
                // A scale whose labels cover the column's values.
                var bestScale: (String, Int)?
                for (sid, scale) in BuiltInScales.all.sorted(by: { $0.key < $1.key }) {
                    var coder = ClosedAnswerCoder(scale: scale)
                    let hits = p.distinct.keys.filter { if case .value = coder.code($0) { return true } else { return false } }.count
                    let misses = p.distinct.keys.filter { if case .unknown = coder.code($0) { return true } else { return false } }.count
                    if hits >= 2 && misses * 5 <= p.distinct.count && hits > (bestScale?.1 ?? 0) { bestScale = (sid, hits) }
                }
                if let (sid, _) = bestScale {
                    add(DraftQuestion(id: id, kind: "scale: \(sid)", columns: [alias], comment: "theme: assign one"))
                    continue
                }
                let average = Double(p.totalLength) / Double(max(1, p.nonEmpty))
                let tokens = Set(p.distinct.keys.flatMap { $0.split(separator: " ").map(String.init) })
                if average > 30 || (average > 15 && Double(p.distinct.count) > 0.5 * Double(min(p.nonEmpty, 300))) {
                    add(DraftQuestion(id: id, kind: "text", columns: [alias], comment: "add codebook: <name> to code it"))
                } else if p.distinct.keys.contains(where: { $0.contains(" ") }) && tokens.count <= 40
                            && tokens.allSatisfy({ $0.range(of: #"^[a-z0-9_]+$"#, options: .regularExpression) != nil }) {
                    add(DraftQuestion(id: id, kind: "multiple", columns: [alias], options: tokens.sorted()))
                } else if p.distinct.keys.allSatisfy({ Double($0.replacingOccurrences(of: ",", with: ".")) != nil }) {
                    add(DraftQuestion(id: id, kind: "number", columns: [alias]))
                } else {
                    add(DraftQuestion(id: id, kind: "single", columns: [alias], comment: "\(p.distinct.count) distinct values"))
                }
            }
            let path = yaml(relativeTo(base, file))
            if let groupColumn {
                sources.append("  - {path: \(path), group_column: \(yaml(groupColumn))}   # add country: and wave: when the file holds one of each")
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
        groups: default

        """
        out += "questions:\n" + drafted.map(\.yamlLine).joined(separator: "\n") + "\n"
        for n in notes { out += "# \(n)\n" }
        if !skipped.isEmpty { out += "# Platform metadata columns, not questions: \(Array(Set(skipped)).sorted().joined(separator: ", "))\n" }
        out += "sources:\n" + sources.joined(separator: "\n") + "\nreport: {by: [group], min_cell: 5}\n"
        return out
    }
}
