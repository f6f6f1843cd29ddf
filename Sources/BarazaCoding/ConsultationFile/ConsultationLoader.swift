import BarazaIngest
import BarazaModel
import Foundation
import Yams

/// Reads a consultation file (YAML, `version: 1`) into a `Consultation`, checking it as it goes.
///
/// Every error names the file, line and column of the offending node and what was expected.
/// The YAML is walked as a node tree (not decoded through `Codable`) so that every value keeps
/// its position.
public enum ConsultationLoader {
    public static let supportedVersion = 1

    /// Loads the file at `path`; `allowOutside` (the command line's `--allow-outside`) lets its
    /// paths leave its folder tree as `allow_outside: true` in the file does.
    public static func load(path: String, allowOutside: Bool = false) throws(ConsultationError) -> Consultation {
        let absolute = path.hasPrefix("/") ? path : joinPath(FileManager.default.currentDirectoryPath, path)
        guard let data = FileManager.default.contents(atPath: absolute), let text = String(data: data, encoding: .utf8)
        else {
            throw ConsultationError(
                .unreadable,
                "cannot read consultation file",
                at: SourceLocation(file: path, line: 1)
            )
        }
        return try parse(text, file: path, absolutePath: absolute, allowOutside: allowOutside)
    }

    public static func parse(_ text: String, file: String, absolutePath: String? = nil, allowOutside: Bool = false)
        throws(ConsultationError) -> Consultation
    {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw ConsultationError(
                    .syntax,
                    "the file is empty",
                    at: SourceLocation(file: file, line: 1),
                    expected: "a YAML mapping"
                )
            }
            root = node
        } catch let e as ConsultationError { throw e } catch let e as YamlError {
            throw yamlSyntax(e, file: file)
        } catch { throw ConsultationError(.syntax, "\(error)", at: SourceLocation(file: file, line: 1)) }
        let abs = absolutePath ?? file
        var p = Parser(file: file)
        return try p.consultation(root, absolutePath: abs, allowOutside: allowOutside)
    }

    /// Letters and digits of any script, `_`, `-` and `.`; not starting with `-` or `.`; 1 to 64.
    public static func isIdentifier(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, s.unicodeScalars.count <= 64, first != "-", first != "." else {
            return false
        }
        return s.unicodeScalars.allSatisfy { c in
            c == "_" || c == "-" || c == "." || c.properties.isAlphabetic || c.properties.numericType != nil
        }
    }

    static func yamlSyntax(_ e: YamlError, file: String) -> ConsultationError {
        switch e {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _):
            return ConsultationError(
                .syntax,
                "YAML: \(problem)" + (context.map { " \($0.text)" } ?? ""),
                at: SourceLocation(file: file, line: mark.line, column: mark.column)
            )
        default: return ConsultationError(.syntax, "YAML: \(e)", at: SourceLocation(file: file, line: 1))
        }
    }
}

/// Walks the YAML node tree of one consultation file.
struct Parser {
    let file: String
    var tree = FolderTree(root: "/", allowOutside: true)

    func loc(_ n: Node?) -> SourceLocation {
        SourceLocation(file: file, line: n?.mark?.line ?? 1, column: n?.mark?.column ?? 1)
    }

    func mapping(_ n: Node, _ what: String) throws(ConsultationError) -> Node.Mapping {
        guard let m = n.mapping else {
            throw ConsultationError(.wrongType, "\(what) must be a mapping", at: loc(n), expected: "key: value pairs")
        }
        return m
    }

    func sequence(_ n: Node, _ what: String) throws(ConsultationError) -> [Node] {
        if let s = n.sequence { return Array(s) }
        throw ConsultationError(.wrongType, "\(what) must be a list", at: loc(n), expected: "a YAML list")
    }

    func string(_ n: Node, _ what: String) throws(ConsultationError) -> String {
        guard let s = n.scalar?.string else {
            throw ConsultationError(.wrongType, "\(what) must be a text value", at: loc(n), expected: "a scalar")
        }
        return s
    }

    func strings(_ n: Node, _ what: String) throws(ConsultationError) -> [String] {
        if let s = n.scalar?.string { return [s] }
        var out: [String] = []
        for item in try sequence(n, what) { out.append(try string(item, what)) }
        return out
    }

    /// An id (theme, group, scale, codebook, code, question): it names files, table rows and
    /// anchors in reports, so it is held to a conservative syntax.
    func identifier(_ n: Node, _ what: String) throws(ConsultationError) -> String {
        let s = try string(n, what)
        guard ConsultationLoader.isIdentifier(s) else {
            throw ConsultationError(
                .invalidValue,
                "\(what) '\(s)' is not a valid id",
                at: loc(n),
                expected: "letters, digits, '_', '-' or '.', starting with a letter, digit or '_', " + "at most 64"
            )
        }
        return s
    }

    func int(_ n: Node, _ what: String) throws(ConsultationError) -> Int {
        guard let s = n.scalar?.string, let v = Int(s) else {
            throw ConsultationError(.wrongType, "\(what) must be a whole number", at: loc(n), expected: "an integer")
        }
        return v
    }

    func bool(_ n: Node, _ what: String) throws(ConsultationError) -> Bool {
        guard let s = n.scalar?.string.lowercased(), ["true", "false", "yes", "no"].contains(s) else {
            throw ConsultationError(.wrongType, "\(what) must be true or false", at: loc(n), expected: "true or false")
        }
        return s == "true" || s == "yes"
    }

    func value(_ m: Node.Mapping, _ key: String) -> Node? { m.first { $0.key.scalar?.string == key }?.value }

    func keyNode(_ m: Node.Mapping, _ key: String) -> Node? { m.first { $0.key.scalar?.string == key }?.key }

    func require(_ m: Node.Mapping, _ key: String, in owner: Node, _ what: String) throws(ConsultationError) -> Node {
        guard let v = value(m, key) else {
            throw ConsultationError(.missingKey, "\(what) has no '\(key)'", at: loc(owner), expected: "a '\(key)' key")
        }
        return v
    }

    func checkKeys(_ m: Node.Mapping, allowed: Set<String>, _ what: String) throws(ConsultationError) {
        for (k, _) in m {
            let name = k.scalar?.string ?? ""
            if !allowed.contains(name) {
                throw ConsultationError(
                    .invalidValue,
                    "unknown key '\(name)' in \(what)",
                    at: loc(k),
                    expected: "one of: \(allowed.sorted().joined(separator: ", "))"
                )
            }
        }
    }

    /// Refuses a path from the file that leaves the consultation's folder tree.
    func confine(_ path: String, written: String, _ node: Node?, _ what: String) throws(ConsultationError) {
        guard !tree.contains(path) else { return }
        throw ConsultationError(
            .outsideTree,
            "\(what) '\(written)' leaves the consultation's folder tree \(tree.root)",
            at: loc(node),
            expected: "a path inside \(tree.root), or allow_outside: true (--allow-outside)"
        )
    }

    mutating func consultation(_ root: Node, absolutePath: String, allowOutside: Bool) throws(ConsultationError)
        -> Consultation
    {
        let m = try mapping(root, "the consultation file")
        try checkKeys(
            m,
            allowed: [
                "version", "consultation", "name", "store", "themes", "groups", "scales", "questions", "codebooks",
                "negators", "sources", "report", "root", "allow_outside", "targets", "actions",
            ],
            "the consultation file"
        )
        let versionNode = try require(m, "version", in: root, "the consultation file")
        let version = try int(versionNode, "version")
        guard version == ConsultationLoader.supportedVersion else {
            throw ConsultationError(
                .unsupportedVersion,
                "version \(version) is not supported",
                at: loc(versionNode),
                expected: "version: \(ConsultationLoader.supportedVersion)"
            )
        }
        let title = try string(try require(m, "consultation", in: root, "the consultation file"), "consultation")
        let base = (absolutePath as NSString).deletingLastPathComponent
        let fileStem = ((absolutePath as NSString).lastPathComponent as NSString).deletingPathExtension
        let name = try value(m, "name").map { n throws(ConsultationError) in try string(n, "name") } ?? fileStem
        let outside =
            try value(m, "allow_outside").map { n throws(ConsultationError) in try bool(n, "allow_outside") } ?? false
        var treeRoot = FolderTree.normalize(base)
        if let rn = value(m, "root") {
            let r = FolderTree.normalize(joinPath(base, try string(rn, "root")))
            guard FolderTree.isWithin(treeRoot, r) else {
                throw ConsultationError(
                    .invalidValue,
                    "root must be this file's folder or a folder above it",
                    at: loc(rn),
                    expected: "a path such as '.' or '..'"
                )
            }
            treeRoot = r
        }
        tree = FolderTree(root: treeRoot, allowOutside: outside || allowOutside)

        // Themes
        var themes = Theme.defaultFramework
        if let t = value(m, "themes") {
            if t.scalar?.string == "default" {
                themes = Theme.defaultFramework
            } else {
                var list: [Theme] = []
                for item in try sequence(t, "themes") {
                    // `default` in the list stands for the five enabling conditions, to extend them.
                    if item.scalar?.string == "default" {
                        list += Theme.defaultFramework
                        continue
                    }
                    let tm = try mapping(item, "a theme")
                    let id = try identifier(try require(tm, "id", in: item, "a theme"), "theme id")
                    let label =
                        try value(tm, "label").map { n throws(ConsultationError) in try string(n, "label") } ?? id
                    list.append(Theme(id: id, label: label))
                }
                themes = list
            }
        }

        // Groups
        var groups = StakeholderGroup.defaults
        if let g = value(m, "groups"), g.scalar?.string != "default" {
            let gm = try mapping(g, "groups")
            for (k, v) in gm {
                let id = try identifier(k, "group id")
                var label = id.replacingOccurrences(of: "_", with: " ").capitalized
                var synonyms: [String]
                if let vm = v.mapping {
                    if let l = value(vm, "label") { label = try string(l, "label") }
                    synonyms =
                        try value(vm, "synonyms").map { n throws(ConsultationError) in try strings(n, "synonyms") }
                        ?? []
                } else {
                    synonyms = try strings(v, "group synonyms")
                }
                if let i = groups.firstIndex(where: { $0.id == id }) {
                    groups[i].synonyms = synonyms + groups[i].synonyms
                    if v.mapping != nil { groups[i].label = label }
                } else {
                    groups.append(StakeholderGroup(id: id, label: label, synonyms: synonyms))
                }
            }
        }

        // Scales
        var scales = BuiltInScales.all
        var declaredSentinels: [String: [String]] = [:]
        if let s = value(m, "scales") {
            for (k, v) in try mapping(s, "scales") {
                let id = try identifier(k, "scale id")
                scales[id] = try scale(id: id, v)
                // Sentinels the file names itself apply to number questions on this scale too.
                if let mn = value(try mapping(v, "scale '\(id)'"), "missing")?.mapping,
                    let sn = mn.first(where: { (try? string($0.0, "missing kind")) == MissingKind.sentinel.rawValue })?
                        .1
                {
                    declaredSentinels[id] = try strings(sn, "sentinel codes")
                }
            }
        }

        // Codebooks
        let codebooks =
            try value(m, "codebooks").map { c throws(ConsultationError) in try self.codebooks(c, themes: themes) }
            ?? [:]
        let negators =
            try value(m, "negators").map { n throws(ConsultationError) in try strings(n, "negators") }
            ?? OpenTextCoder.defaultNegators

        // Questions
        var questions: [Question] = []
        var seenIDs: [String: SourceLocation] = [:]
        var claimed: [String: (String, SourceLocation)] = [:]
        for item in try sequence(try require(m, "questions", in: root, "the consultation file"), "questions") {
            questions.append(
                try question(
                    item,
                    themes: themes,
                    scales: scales,
                    codebooks: codebooks,
                    declaredSentinels: declaredSentinels,
                    seenIDs: &seenIDs,
                    claimed: &claimed
                )
            )
        }

        // Sources
        var sources: [SourceSpec] = []
        if let sn = value(m, "sources") {
            for item in try sequence(sn, "sources") { sources.append(try source(item, base: base)) }
        }

        // Forms: their choice codes become labels of the scale points, options and groups they stand for.
        for (i, src) in sources.enumerated() {
            guard let f = src.form else { continue }
            let sourceNodes = try sequence(try require(m, "sources", in: root, "the consultation file"), "sources")
            let formNode = value(try mapping(sourceNodes[i], "a source"), "form")
            let form: FormDefinition
            do { form = try FormDefinition.read(joinPath(base, f)) } catch {
                throw ConsultationError(
                    .invalidValue,
                    "form '\(f)' cannot be read: \(error)",
                    at: loc(formNode),
                    expected: "an XLSForm, an XForm or a DDI codebook"
                )
            }
            FormLabels.apply(
                form,
                groupColumn: src.groupColumn,
                questions: &questions,
                scales: &scales,
                groups: &groups
            )
        }

        // Report
        var report =
            try value(m, "report").map { rn throws(ConsultationError) in try self.report(rn, name: name, base: base) }
            ?? ReportSettings(out: "Reports/\(name)")
        if report.weights == "none" && sources.contains(where: { $0.weightColumn != nil }) { report.weights = "column" }
        let store =
            try value(m, "store").map { n throws(ConsultationError) in try string(n, "store") } ?? "\(name).sqlite"
        try confine(joinPath(base, store), written: store, value(m, "store"), "store")
        if value(m, "report").flatMap({ $0.mapping }).flatMap({ value($0, "out") }) == nil {
            try confine(joinPath(base, report.out), written: report.out, nil, "report folder")
        }

        let waves = sources.compactMap(\.wave)
        let targets =
            try value(m, "targets")
            .map { n throws(ConsultationError) in
                try sequence(n, "targets")
                    .map { t throws(ConsultationError) in
                        try target(t, themes: themes, questions: questions, groups: groups, waves: waves)
                    }
            } ?? []
        let actions =
            try value(m, "actions")
            .map { n throws(ConsultationError) in
                try sequence(n, "actions").map { a throws(ConsultationError) in try action(a) }
            } ?? []
        return Consultation(
            title: title,
            name: name,
            version: version,
            file: absolutePath,
            baseDirectory: base,
            storePath: joinPath(base, store),
            themes: themes,
            groups: groups,
            scales: scales,
            questions: questions,
            codebooks: codebooks,
            negators: negators,
            sources: sources,
            report: report,
            tree: tree,
            targets: targets,
            actions: actions
        )
    }
}
