import BarazaIngest
import BarazaModel

/// Reads an export made with a form's choice codes ("XML values": `agree`, `ngo`) as the labels
/// the form gives them: each code becomes one more label of the scale point, option or group its
/// labels name. A code whose labels name nothing stays unknown, and is reported as any label is.
enum FormLabels {
    static func apply(
        _ form: FormDefinition,
        groupColumn: String?,
        questions: inout [Question],
        scales: inout [String: Scale],
        groups: inout [StakeholderGroup]
    ) {
        func field(for q: Question) -> FormDefinition.Field? {
            let aliases = Set(q.columns.map(Folding.fold) + [Folding.fold(q.id)])
            return form.fields.first { aliases.contains(Folding.fold($0.name)) }
        }
        for (qi, q) in questions.enumerated() {
            guard let f = field(for: q), let list = f.list, let choices = form.choices[list] else { continue }
            switch q.type {
            case .likert:
                guard let sid = q.scale, var scale = scales[sid] else { continue }
                var coder = ClosedAnswerCoder(scale: scale)
                for c in choices {
                    let point = c.labels.lazy
                        .compactMap { label -> Int? in
                            if case .value(let v) = coder.code(label) { return v } else { return nil }
                        }
                        .first
                    guard let point, let pi = scale.points.firstIndex(where: { $0.value == point }),
                        !scale.points[pi].labels.contains(c.name)
                    else { continue }
                    scale.points[pi].labels.append(c.name)
                }
                scales[sid] = scale
            case .single, .multiple:
                var q = q
                let known = Dictionary(
                    q.optionAliases.map { (Folding.fold($0.key), $0.value) },
                    uniquingKeysWith: { a, _ in a }
                )
                for c in choices {
                    if q.options.contains(c.name) {
                        for l in c.labels where q.optionAliases[l] == nil { q.optionAliases[l] = c.name }
                    } else if let code = c.labels.lazy
                        .compactMap({ known[Folding.fold($0)] ?? (q.options.contains($0) ? $0 : nil) }).first
                    {
                        q.optionAliases[c.name] = code
                    }
                }
                questions[qi] = q
            default: continue
            }
        }
        // The group column's codes: each a synonym of the group its labels name.
        guard let groupColumn, let f = form.fields.first(where: { Folding.fold($0.name) == Folding.fold(groupColumn) }),
            let list = f.list, let choices = form.choices[list]
        else { return }
        let mapper = GroupMapper(groups: groups)
        for c in choices where mapper.map(c.name) == nil {
            let ids = Set(c.labels.compactMap(mapper.map))
            guard ids.count == 1, let id = ids.first, let gi = groups.firstIndex(where: { $0.id == id }) else {
                continue
            }
            groups[gi].synonyms.append(c.name)
        }
    }
}
