import BarazaIngest
import BarazaModel
import Foundation
import Yams

/// The consultation file's larger blocks, each read on its own: codebooks, one question, the report.
extension Parser {
    /// The `codebooks:` block.
    func codebooks(_ c: Node, themes: [Theme]) throws(ConsultationError) -> [String: [CodeRule]] {
        let themeIDs = Set(themes.map(\.id))
        var codebooks: [String: [CodeRule]] = [:]
        for (k, v) in try mapping(c, "codebooks") {
            let id = try identifier(k, "codebook id")
            var rules: [CodeRule] = []
            for item in try sequence(v, "codebook '\(id)'") {
                let rm = try mapping(item, "a code")
                try checkKeys(rm, allowed: ["code", "theme", "label", "match", "exclude"], "a code")
                let code = try identifier(try require(rm, "code", in: item, "a code"), "code")
                var theme: String?
                if let tn = value(rm, "theme") {
                    let t = try string(tn, "theme")
                    guard themeIDs.contains(t) else {
                        throw ConsultationError(
                            .unknownTheme,
                            "unknown theme '\(t)' for code '\(code)'",
                            at: loc(tn),
                            expected: "one of: \(themes.map(\.id).joined(separator: ", "))"
                        )
                    }
                    theme = t
                }
                let match = try strings(try require(rm, "match", in: item, "code '\(code)'"), "match")
                let exclude =
                    try value(rm, "exclude").map { n throws(ConsultationError) in try strings(n, "exclude") } ?? []
                let label = try value(rm, "label").map { n throws(ConsultationError) in try string(n, "label") }
                rules.append(CodeRule(code: code, theme: theme, label: label, match: match, exclude: exclude))
            }
            codebooks[id] = rules
        }
        return codebooks
    }

    /// One entry of `questions:`.
    func question(
        _ item: Node,
        themes: [Theme],
        scales: [String: Scale],
        codebooks: [String: [CodeRule]],
        declaredSentinels: [String: [String]],
        seenIDs: inout [String: SourceLocation],
        claimed: inout [String: (String, SourceLocation)]
    ) throws(ConsultationError) -> Question {
        let themeIDs = Set(themes.map(\.id))
        let qm = try mapping(item, "a question")
        try checkKeys(
            qm,
            allowed: [
                "id", "type", "theme", "scale", "reverse", "columns", "codebook", "options", "text", "sentinels",
            ],
            "a question"
        )
        let idNode = try require(qm, "id", in: item, "a question")
        let id = try identifier(idNode, "question id")
        if let first = seenIDs[id] {
            throw ConsultationError(
                .duplicateQuestion,
                "duplicate question id '\(id)' (first at line \(first.line))",
                at: loc(idNode),
                expected: "a unique id"
            )
        }
        seenIDs[id] = loc(idNode)
        var type = QuestionType.likert
        if let tn = value(qm, "type") {
            let t = try string(tn, "type")
            guard let qt = QuestionType(rawValue: t) else {
                throw ConsultationError(
                    .invalidValue,
                    "unknown question type '\(t)'",
                    at: loc(tn),
                    expected: "likert, single, multiple, number or text"
                )
            }
            type = qt
        }
        var theme: String?
        if let tn = value(qm, "theme") {
            let t = try string(tn, "theme")
            guard themeIDs.contains(t) else {
                throw ConsultationError(
                    .unknownTheme,
                    "unknown theme '\(t)' for question '\(id)'",
                    at: loc(tn),
                    expected: "one of: \(themes.map(\.id).joined(separator: ", "))"
                )
            }
            theme = t
        }
        var scaleID: String?
        if let sn = value(qm, "scale") {
            let s = try string(sn, "scale")
            guard scales[s] != nil else {
                throw ConsultationError(
                    .unknownScale,
                    "unknown scale '\(s)' for question '\(id)'",
                    at: loc(sn),
                    expected: "one of: \(scales.keys.sorted().joined(separator: ", "))"
                )
            }
            scaleID = s
        }
        if type == .likert && scaleID == nil {
            throw ConsultationError(
                .missingKey,
                "likert question '\(id)' has no scale",
                at: loc(item),
                expected: "a 'scale' key"
            )
        }
        var codebook: String?
        if let cn = value(qm, "codebook") {
            let c = try string(cn, "codebook")
            guard codebooks[c] != nil else {
                throw ConsultationError(
                    .unknownCodebook,
                    "unknown codebook '\(c)' for question '\(id)'",
                    at: loc(cn),
                    expected: "one of: \(codebooks.keys.sorted().joined(separator: ", "))"
                )
            }
            codebook = c
        }
        let reverse = try value(qm, "reverse").map { n throws(ConsultationError) in try bool(n, "reverse") } ?? false
        var columns = [id]
        if let cn = value(qm, "columns") {
            columns = try strings(cn, "columns")
            for (i, c) in columns.enumerated() {
                let key = Folding.fold(c)
                let at = cn.sequence.map { Array($0) }.flatMap { i < $0.count ? loc($0[i]) : nil } ?? loc(cn)
                if let (other, _) = claimed[key], other != id {
                    throw ConsultationError(
                        .columnClaimedTwice,
                        "column '\(c)' is claimed by questions '\(other)' and '\(id)'",
                        at: at,
                        expected: "each column alias in one question only"
                    )
                }
                claimed[key] = (id, at)
            }
        }
        var options: [String] = []
        var optionAliases: [String: String] = [:]
        if let on = value(qm, "options") {
            if let om = on.mapping {
                for (k, v) in om {
                    let code = try string(k, "option")
                    options.append(code)
                    for alias in try strings(v, "option labels") { optionAliases[alias] = code }
                }
            } else {
                options = try strings(on, "options")
            }
        }
        let text = try value(qm, "text").map { n throws(ConsultationError) in try string(n, "text") }
        var sentinels = scaleID.flatMap { declaredSentinels[$0] } ?? []
        if let sn = value(qm, "sentinels") {
            guard type == .number else {
                throw ConsultationError(
                    .invalidValue,
                    "'sentinels' on a \(type.rawValue) question '\(id)'",
                    at: loc(sn),
                    expected: "sentinel codes on number questions only (a scale's 'missing' for labels)"
                )
            }
            sentinels += try strings(sn, "sentinel codes")
        }
        return Question(
            id: id,
            type: type,
            theme: theme,
            scale: scaleID,
            reverse: reverse,
            columns: columns,
            codebook: codebook,
            options: options,
            optionAliases: optionAliases,
            text: text,
            sentinels: sentinels
        )
    }

    /// The `report:` block.
    func report(_ rn: Node, name: String, base: String) throws(ConsultationError) -> ReportSettings {
        var report = ReportSettings(out: "Reports/\(name)")
        let rm = try mapping(rn, "report")
        try checkKeys(rm, allowed: ["by", "min_cell", "out", "title", "weights", "paper"], "report")
        if let p = value(rm, "paper") {
            report.paper = try string(p, "paper")
            guard ["a4", "letter"].contains(report.paper) else {
                throw ConsultationError(
                    .invalidValue,
                    "unknown paper '\(report.paper)'",
                    at: loc(p),
                    expected: "a4 or letter"
                )
            }
        }
        if let w = value(rm, "weights") {
            report.weights = try string(w, "weights")
            guard ["none", "column", "equal_groups"].contains(report.weights) else {
                throw ConsultationError(
                    .invalidValue,
                    "unknown weighting '\(report.weights)'",
                    at: loc(w),
                    expected: "none, column or equal_groups"
                )
            }
        }
        if let b = value(rm, "by") {
            report.by = try strings(b, "by")
            for (i, dim) in report.by.enumerated() where !["group", "country", "wave"].contains(dim) {
                let at = b.sequence.map { Array($0) }.flatMap { i < $0.count ? loc($0[i]) : nil } ?? loc(b)
                throw ConsultationError(
                    .invalidValue,
                    "unknown report dimension '\(dim)'",
                    at: at,
                    expected: "group, country or wave"
                )
            }
        }
        if let mc = value(rm, "min_cell") {
            report.minCell = try int(mc, "min_cell")
            if report.minCell < 1 {
                throw ConsultationError(
                    .invalidValue,
                    "min_cell must be at least 1",
                    at: loc(mc),
                    expected: "a number ≥ 1"
                )
            }
        }
        if let o = value(rm, "out") {
            report.out = try string(o, "out")
            try confine(joinPath(base, report.out), written: report.out, o, "report folder")
        }
        if let t = value(rm, "title") { report.title = try string(t, "title") }
        return report
    }

    /// One entry of `targets:`: `{theme: ID | item: ID, group: ID | all, measure: mean | top_2_box,
    /// at_least: X | at_most: X, wave: W}`.
    func target(_ n: Node, themes: [Theme], questions: [Question], groups: [StakeholderGroup], waves: [String])
        throws(ConsultationError) -> Target
    {
        let what = "a target"
        let m = try mapping(n, what)
        try checkKeys(m, allowed: ["theme", "item", "group", "measure", "at_least", "at_most", "wave"], what)
        let theme = try value(m, "theme").map { t throws(ConsultationError) in try string(t, "theme") }
        let item = try value(m, "item").map { t throws(ConsultationError) in try string(t, "item") }
        guard (theme == nil) != (item == nil) else {
            throw ConsultationError(
                .missingKey,
                "a target names a theme or an item",
                at: loc(n),
                expected: "one of theme, item"
            )
        }
        if let theme, !themes.contains(where: { $0.id == theme }) {
            throw ConsultationError(
                .unknownTheme,
                "unknown theme '\(theme)' in a target",
                at: loc(value(m, "theme")),
                expected: "one of: \(themes.map(\.id).joined(separator: ", "))"
            )
        }
        if let item, !questions.contains(where: { $0.id == item && $0.type == .likert }) {
            throw ConsultationError(
                .invalidValue,
                "target item '\(item)' is not a scale question of this file",
                at: loc(value(m, "item")),
                expected: "the id of a scale question"
            )
        }
        var group: String?
        if let g = value(m, "group") {
            let id = try string(g, "group")
            if id != "all" {
                guard groups.contains(where: { $0.id == id }) else {
                    throw ConsultationError(
                        .invalidValue,
                        "unknown group '\(id)' in a target",
                        at: loc(g),
                        expected: "all, or one of: \(groups.map(\.id).joined(separator: ", "))"
                    )
                }
                group = id
            }
        }
        let measureNode = try require(m, "measure", in: n, what)
        let measureText = try string(measureNode, "measure")
        guard let measure = Target.Measure(rawValue: measureText) else {
            throw ConsultationError(
                .invalidValue,
                "unknown target measure '\(measureText)'",
                at: loc(measureNode),
                expected: Target.Measure.allCases.map(\.rawValue).joined(separator: " or ")
            )
        }
        if measure == .top2Box && item == nil {
            throw ConsultationError(
                .invalidValue,
                "top_2_box is a measure of an item, not of a theme's score",
                at: loc(measureNode),
                expected: "measure: mean for a theme"
            )
        }
        let least = value(m, "at_least")
        let most = value(m, "at_most")
        guard let limit = least ?? most, (least == nil) != (most == nil) else {
            throw ConsultationError(
                .missingKey,
                "a target needs a threshold",
                at: loc(n),
                expected: "at_least or at_most"
            )
        }
        guard let threshold = limit.scalar.flatMap({ Double($0.string) }) else {
            throw ConsultationError(
                .wrongType,
                "a target's threshold must be a number",
                at: loc(limit),
                expected: "a number"
            )
        }
        if measure == .top2Box && !(0...1).contains(threshold) {
            throw ConsultationError(
                .invalidValue,
                "a top_2_box threshold is a share from 0 to 1",
                at: loc(limit),
                expected: "e.g. 0.5 for half"
            )
        }
        var wave: String?
        if let w = value(m, "wave") {
            let name = try string(w, "wave")
            guard waves.contains(name) else {
                throw ConsultationError(
                    .invalidValue,
                    "no source is of wave '\(name)'",
                    at: loc(w),
                    expected: waves.isEmpty ? "a wave on a source first" : "one of: \(waves.joined(separator: ", "))"
                )
            }
            wave = name
        }
        return Target(
            theme: theme,
            item: item,
            group: group,
            measure: measure,
            threshold: threshold,
            atMost: most != nil,
            wave: wave
        )
    }

    /// One entry of `actions:`: `{finding: …, response: …, owner: …, status: …, reason: …}`.
    func action(_ n: Node) throws(ConsultationError) -> Action {
        let what = "an action"
        let m = try mapping(n, what)
        try checkKeys(m, allowed: ["finding", "response", "owner", "status", "reason"], what)
        let finding = try string(try require(m, "finding", in: n, what), "finding")
        let response = try string(try require(m, "response", in: n, what), "response")
        let owner = try value(m, "owner").map { o throws(ConsultationError) in try string(o, "owner") }
        let statusNode = try require(m, "status", in: n, what)
        let statusText = try string(statusNode, "status")
        guard let status = Action.Status(rawValue: statusText) else {
            throw ConsultationError(
                .invalidValue,
                "unknown action status '\(statusText)'",
                at: loc(statusNode),
                expected: Action.Status.allCases.map(\.rawValue).joined(separator: ", ")
            )
        }
        let reason = try value(m, "reason").map { r throws(ConsultationError) in try string(r, "reason") }
        if status == .notAdopted && (reason ?? "").isEmpty {
            throw ConsultationError(
                .missingKey,
                "an action not adopted says why",
                at: loc(statusNode),
                expected: "reason: …"
            )
        }
        return Action(finding: finding, response: response, owner: owner, status: status, reason: reason)
    }
}
