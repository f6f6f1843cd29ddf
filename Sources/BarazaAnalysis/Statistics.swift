import BarazaModel
import Foundation

/// Summary of one distribution (an item or a theme score in a cell).
public struct Descriptives: Sendable, Hashable, Codable {
    public var n: Int
    /// Kish effective sample size; equals `n` without weights.
    public var effectiveN: Double
    public var mean: Double
    public var sd: Double?
    public var ciLow: Double?
    public var ciHigh: Double?
    /// True when the t interval ran past an end of the scale and was cut at it (the bound printed
    /// is the scale's end, not the interval's).
    public var ciClipped: Bool = false
    public var median: Double
}

/// A proportion with its Wilson score interval.
public struct Proportion: Sendable, Hashable, Codable {
    /// Respondents counted (unweighted).
    public var count: Int
    public var base: Int
    /// The share: weighted when the report is weighted.
    public var share: Double
    public var low: Double
    public var high: Double
    /// Kish's effective base the interval uses, when the share is weighted.
    public var effectiveBase: Double?
}

public enum Statistics {
    /// Mean, SD (n − 1), 95% t interval and median of a weighted frequency table.
    /// With weights, the mean is weighted and the interval uses Kish's effective n.
    /// `bounds`: the scale's ends; an interval past one is cut at it and marked `ciClipped`.
    public static func describe(
        _ values: [Double: WeightedCount],
        bounds: ClosedRange<Double>? = nil,
        confidence: Double = 0.95
    ) -> Descriptives? {
        let sorted = values.filter { $0.value.count > 0 }.sorted { $0.key < $1.key }
        let n = sorted.reduce(0) { $0 + $1.value.count }
        guard n > 0 else { return nil }
        let sw = sorted.reduce(0.0) { $0 + $1.value.weight }
        let sw2 = sorted.reduce(0.0) { $0 + $1.value.weightSquared }
        guard sw > 0 else { return nil }
        let mean = sorted.reduce(0.0) { $0 + $1.key * $1.value.weight } / sw
        let effectiveN = sw * sw / sw2
        var sd: Double?
        var lo: Double?
        var hi: Double?
        var clipped = false
        if n > 1 {
            let ss = sorted.reduce(0.0) { $0 + $1.value.weight * ($1.key - mean) * ($1.key - mean) }
            // Unweighted: the usual n − 1 denominator. Weighted (frequency-style) with n_eff.
            let variance = ss / sw * effectiveN / (effectiveN - 1)
            let s = variance.squareRoot()
            sd = s
            if effectiveN > 1 {
                let t = Distributions.studentTQuantile(1 - (1 - confidence) / 2, df: effectiveN - 1)
                let half = t * s / effectiveN.squareRoot()
                lo = mean - half
                hi = mean + half
                if let bounds, mean - half < bounds.lowerBound || mean + half > bounds.upperBound {
                    lo = max(bounds.lowerBound, mean - half)
                    hi = min(bounds.upperBound, mean + half)
                    clipped = true
                }
            }
        }
        // Weighted median: the smallest value whose cumulative weight reaches half, averaging at an exact tie.
        var cum = 0.0
        var median = sorted[0].key
        for (i, (v, c)) in sorted.enumerated() {
            cum += c.weight
            if abs(cum - sw / 2) < 1e-12 * sw, i + 1 < sorted.count {
                median = (v + sorted[i + 1].key) / 2
                break
            }
            if cum > sw / 2 {
                median = v
                break
            }
        }
        return Descriptives(
            n: n,
            effectiveN: effectiveN,
            mean: mean,
            sd: sd,
            ciLow: lo,
            ciHigh: hi,
            ciClipped: clipped,
            median: median
        )
    }

    /// Wilson score interval for `count` out of `base` (z for 95% by default).
    public static func wilson(count: Int, base: Int, z: Double = 1.959963984540054) -> Proportion? {
        guard base > 0 else { return nil }
        let p = Double(count) / Double(base)
        let (low, high) = wilson(share: p, n: Double(base), z: z)
        return Proportion(count: count, base: base, share: p, low: low, high: high)
    }

    /// Wilson's interval for a share on a base that need not be whole: a weighted share on Kish's
    /// effective n, both kept as real numbers (rounding either moved bounds by up to 0.07).
    public static func wilson(share p: Double, n: Double, z: Double = 1.959963984540054) -> (low: Double, high: Double)
    {
        let z2 = z * z
        let centre = (p + z2 / (2 * n)) / (1 + z2 / n)
        let half = z * (p * (1 - p) / n + z2 / (4 * n * n)).squareRoot() / (1 + z2 / n)
        return (max(0, centre - half), min(1, centre + half))
    }

    /// A share of `count` (weighted `weight`) in a base of `base` respondents whose weights sum to
    /// `baseWeight` with squares `baseWeightSquared`; weighted, the interval is on Kish's n_eff.
    public static func share(
        count: Int,
        weight: Double,
        base: Int,
        baseWeight: Double,
        baseWeightSquared: Double,
        weighted: Bool
    ) -> Proportion? {
        guard base > 0 else { return nil }
        guard weighted, baseWeight > 0, baseWeightSquared > 0 else { return wilson(count: count, base: base) }
        let p = weight / baseWeight
        let nEff = baseWeight * baseWeight / baseWeightSquared
        let (low, high) = wilson(share: p, n: nEff)
        return Proportion(count: count, base: base, share: p, low: low, high: high, effectiveBase: nEff)
    }

    /// Tastle–Wierman consensus on an ordinal scale from `minValue` to `maxValue`: 1 when everyone
    /// gives the same answer, 0 when answers split evenly between the two ends.
    public static func consensus(_ values: [Double: WeightedCount], minValue: Double, maxValue: Double) -> Double? {
        // Sorted, so floating-point sums do not depend on dictionary order (reports are byte-identical).
        let sorted = values.sorted { $0.key < $1.key }
        let total = sorted.reduce(0.0) { $0 + $1.value.weight }
        guard total > 0, maxValue > minValue else { return nil }
        let mean = sorted.reduce(0.0) { $0 + $1.key * $1.value.weight } / total
        let width = maxValue - minValue
        var sum = 0.0
        for (v, c) in sorted where c.weight > 0 { sum += (c.weight / total) * log2(1 - abs(v - mean) / width) }
        return 1 + sum
    }
}

/// The result of a test between groups, or why it could not be computed.
public struct TestResult: Sendable, Hashable, Codable {
    public var name: String
    public var statistic: Double?
    public var df: Double?
    public var p: Double?
    /// Effect size: ε² for Kruskal–Wallis, Cramér's V for a table of choices, named in `effectName`.
    public var effect: Double?
    public var effectName: String?
    /// Benjamini–Hochberg q over all tests of the report, filled in at the end.
    public var q: Double?
    public var notComputed: String?
    public var method: String?
    /// The Monte-Carlo standard error of `p`, when it was estimated by simulation.
    public var monteCarloError: Double?
}

public enum RankTests {
    /// Kruskal–Wallis H with tie correction, from each group's frequency table.
    public static func kruskalWallis(_ groups: [[Double: Int]]) -> TestResult {
        let used = groups.filter { $0.values.reduce(0, +) > 0 }
        guard used.count >= 2 else {
            return TestResult(name: "Kruskal–Wallis", notComputed: "fewer than two groups with answers")
        }
        let (ranks, n, tieSum) = midranks(used)
        let N = Double(n)
        guard tieSum < N * N * N - N else {
            return TestResult(name: "Kruskal–Wallis", notComputed: "every answer is the same value (no variance)")
        }
        var h = 0.0
        for g in used {
            let ni = Double(g.values.reduce(0, +))
            let r = g.reduce(0.0) { $0 + Double($1.value) * (ranks[$1.key] ?? 0) }
            h += r * r / ni
        }
        h = 12 / (N * (N + 1)) * h - 3 * (N + 1)
        h /= 1 - tieSum / (N * N * N - N)
        let df = Double(used.count - 1)
        return TestResult(
            name: "Kruskal–Wallis",
            statistic: h,
            df: df,
            p: Distributions.chiSquareSF(h, df: df),
            effect: h / (N - 1),
            effectName: "ε²"
        )
    }

    /// Average ranks of the pooled distinct values, the pooled size, and Σ(t³ − t) over ties.
    static func midranks(_ groups: [[Double: Int]]) -> ([Double: Double], Int, Double) {
        var pooled: [Double: Int] = [:]
        for g in groups { for (v, c) in g { pooled[v, default: 0] += c } }
        var ranks: [Double: Double] = [:]
        var next = 0
        var tieSum = 0.0
        for (v, c) in pooled.sorted(by: { $0.key < $1.key }) where c > 0 {
            ranks[v] = Double(next) + Double(c + 1) / 2
            next += c
            let t = Double(c)
            tieSum += t * t * t - t
        }
        return (ranks, next, tieSum)
    }

    /// Two-sided Mann–Whitney U as SciPy computes it by default (`method="auto"`): exact when the
    /// smaller sample has at most 8 answers and there are no ties, otherwise the normal
    /// approximation with tie correction and continuity correction. U is the statistic of the
    /// first sample.
    public static func mannWhitney(_ x: [Double: Int], _ y: [Double: Int]) -> TestResult {
        let n1 = x.values.reduce(0, +)
        let n2 = y.values.reduce(0, +)
        guard n1 > 0, n2 > 0 else { return TestResult(name: "Mann–Whitney U", notComputed: "a group has no answers") }
        let (ranks, n, tieSum) = midranks([x, y])
        let r1 = x.reduce(0.0) { $0 + Double($1.value) * (ranks[$1.key] ?? 0) }
        let u1 = r1 - Double(n1 * (n1 + 1)) / 2
        let u2 = Double(n1 * n2) - u1
        let hasTies = tieSum > 0
        if min(n1, n2) <= 8 && !hasTies {
            let p = exactMannWhitneyP(u: max(u1, u2), n1: n1, n2: n2)
            return TestResult(name: "Mann–Whitney U", statistic: u1, p: p, method: "exact")
        }
        let N = Double(n)
        let mu = Double(n1 * n2) / 2
        let sigma = (Double(n1 * n2) / 12 * ((N + 1) - tieSum / (N * (N - 1)))).squareRoot()
        guard sigma > 0 else {
            return TestResult(
                name: "Mann–Whitney U",
                statistic: u1,
                notComputed: "every answer is the same value (no variance)"
            )
        }
        let z = (max(u1, u2) - mu - 0.5) / sigma
        return TestResult(
            name: "Mann–Whitney U",
            statistic: u1,
            p: min(1, 2 * Distributions.normalSF(z)),
            method: "asymptotic"
        )
    }

    /// 2 × P(U ≥ u) under the null (no ties), as 2 × P(U ≤ n1·n2 − u) by symmetry: the counts of
    /// arrangements with U = 0…k, k = n1·n2 − u ≤ n1·n2 / 2, from Harding's (1983) generating
    /// function ∏ (1 − q^(n+i)) / (1 − q^i), i = 1…m, with m the smaller sample. Memory grows with
    /// k only (8 answers against 20,000: at most 80,001 counts), time with m·k; the lower tail is
    /// only ever added to, so a tiny p keeps its digits.
    static func exactMannWhitneyP(u: Double, n1: Int, n2: Int) -> Double {
        let m = min(n1, n2)
        let n = max(n1, n2)
        let k = min(m * n - Int(u.rounded()), m * n / 2)
        guard k >= 0 else { return 0 }
        var counts = [Double](repeating: 0, count: k + 1)
        counts[0] = 1
        for i in 1...m where n + i <= k {
            for j in stride(from: k, through: n + i, by: -1) { counts[j] -= counts[j - n - i] }
        }
        for i in 1...m where i <= k { for j in i...k { counts[j] += counts[j - i] } }
        // The number of arrangements, C(n1 + n2, m), as a product kept in doubles.
        var total = 1.0
        for i in 1...m { total = total * Double(n + i) / Double(i) }
        let lower = counts.reduce(0, +)
        return min(1, 2 * lower / total)
    }
}

/// The rank-biserial correlation of a Mann–Whitney comparison with its 95% interval.
public struct RankBiserial: Sendable, Hashable, Codable {
    /// 2·U₁/(n₁n₂) − 1: positive when the first group's answers tend to be higher.
    public var r: Double
    public var low: Double
    public var high: Double

    /// From U of the first sample; the interval by Fisher's z with the standard error
    /// √((n₁ + n₂ + 1) / (3·n₁·n₂)) (as R's effectsize::rank_biserial).
    public init?(u: Double?, n1: Int, n2: Int, z: Double = 1.959963984540054) {
        guard let u, n1 > 0, n2 > 0 else { return nil }
        let m = Double(n1) * Double(n2)
        r = 2 * u / m - 1
        let se = ((Double(n1 + n2) + 1) / (3 * m)).squareRoot()
        let f = atanh(r)
        low = tanh(f - z * se)
        high = tanh(f + z * se)
    }
}

public enum MultipleTesting {
    /// Holm step-down adjusted p-values, in the input order.
    public static func holm(_ p: [Double]) -> [Double] {
        let m = p.count
        let order = p.indices.sorted { p[$0] < p[$1] }
        var adjusted = [Double](repeating: 0, count: m)
        var running = 0.0
        for (rank, i) in order.enumerated() {
            running = max(running, min(1, Double(m - rank) * p[i]))
            adjusted[i] = running
        }
        return adjusted
    }

    /// Benjamini–Hochberg q-values, in the input order.
    public static func benjaminiHochberg(_ p: [Double]) -> [Double] {
        let m = p.count
        let order = p.indices.sorted { p[$0] > p[$1] }
        var q = [Double](repeating: 0, count: m)
        var running = 1.0
        for (k, i) in order.enumerated() {
            let rank = m - k
            running = min(running, p[i] * Double(m) / Double(rank))
            q[i] = min(1, running)
        }
        return q
    }
}
