import BarazaModel
import Foundation

/// What a closed answer's raw text means on a scale.
public enum ClosedCode: Sendable, Hashable {
    case value(Int)
    case missing(MissingKind)
    case unknown
}

/// Maps raw labels and codes to scale values, for one scale.
///
/// Labels are matched after folding, in every language the scale lists; the point's number
/// itself (`"4"`) is accepted too. Results are cached per raw string: exports repeat a handful
/// of labels millions of times.
public struct ClosedAnswerCoder: Sendable {
    public let scale: Scale
    private let table: [String: ClosedCode]
    private var cache: [String: ClosedCode] = [:]

    public init(scale: Scale) {
        self.scale = scale
        var t: [String: ClosedCode] = [:]
        for (kind, labels) in scale.missing { for l in labels { t[Folding.fold(l)] = .missing(kind) } }
        // Scale labels win over missing labels ("NA" could be both only by mistake).
        for p in scale.points {
            for l in p.labels { t[Folding.fold(l)] = .value(p.value) }
            t[String(p.value)] = .value(p.value)
        }
        table = t
    }

    public mutating func code(_ raw: String) -> ClosedCode {
        if let c = cache[raw] { return c }
        let f = Folding.fold(raw)
        let result: ClosedCode
        if f.isEmpty {
            result = .missing(.blank)
        } else if let c = table[f] {
            result = c
        } else if let c = table[f.trimmingCharacters(in: CharacterSet(charactersIn: "."))] {
            result = c
        } else {
            result = .unknown
        }
        if cache.count < 10_000 { cache[raw] = result }
        return result
    }

    /// The known label closest to `raw` (edit distance on folded text), to suggest in a diagnostic.
    public func nearestLabel(to raw: String) -> String? {
        let f = Array(Folding.fold(raw))
        var best: String?
        var bestDistance = Int.max
        let labels = scale.points.flatMap(\.labels) + MissingKind.allCases.flatMap { scale.missing[$0] ?? [] }
        for l in labels {
            let d = editDistance(f, Array(Folding.fold(l)))
            if d < bestDistance {
                best = l
                bestDistance = d
            }
        }
        return best
    }
}

/// Levenshtein distance.
func editDistance(_ a: [Character], _ b: [Character]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var prev = Array(0...b.count)
    var cur = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        cur[0] = i
        for j in 1...b.count { cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)) }
        swap(&prev, &cur)
    }
    return prev[b.count]
}
