import BarazaModel
import Foundation

/// Maps raw stakeholder-group answers ("Ministère du Plan", "ONG locale") to group ids.
///
/// Matching is on folded text: a group's id, its label, or any synonym (with `*` wildcards).
/// Groups are tried in the order the consultation declares them, so the first match wins.
/// An unmapped value is never guessed: it maps to nil and is counted by the caller.
public struct GroupMapper: Sendable {
    private let groups: [(id: String, literals: Set<String>, globs: [GlobPattern])]

    public init(groups: [StakeholderGroup]) {
        self.groups = groups.map { g in
            var literals: Set<String> = [
                Folding.fold(g.id), Folding.fold(g.label), Folding.fold(g.id.replacingOccurrences(of: "_", with: " ")),
            ]
            var globs: [GlobPattern] = []
            for s in g.synonyms {
                let p = GlobPattern(s)
                if p.isLiteral { literals.insert(Folding.fold(s)) } else { globs.append(p) }
            }
            return (g.id, literals, globs)
        }
    }

    public func map(_ raw: String) -> String? {
        let f = Folding.fold(raw)
        if f.isEmpty { return nil }
        if let id = whole(f) { return id }
        // Common phrasings join two names of one group ("NGO / civil society", "Private sector /
        // business", "Government (national or county)"): the value maps when every part that maps
        // at all maps to the same group.
        let parts = f.replacingOccurrences(of: " or ", with: "/").split(whereSeparator: { "/(),;&".contains($0) })
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard parts.count > 1 else { return nil }
        let ids = Set(parts.compactMap(whole))
        return ids.count == 1 ? ids.first : nil
    }

    private func whole(_ f: String) -> String? {
        for g in groups where g.literals.contains(f) { return g.id }
        for g in groups where g.globs.contains(where: { $0.matches(folded: f) }) { return g.id }
        return nil
    }
}
