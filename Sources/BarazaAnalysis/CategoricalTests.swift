import BarazaKit
import BarazaModel
import Foundation

/// Tests of independence for categorical answers (an option chosen or not, by group).
public enum CategoricalTests {
    /// Chooses the test as a careful analyst would: Pearson's chi-square when every expected count
    /// is at least 5; otherwise Fisher's exact test for a 2×2 table, for a 2×k table the exact
    /// conditional p of the chi-square statistic (every table with the observed margins enumerated,
    /// when there are at most `exactLimit` of them), and for anything larger a Monte-Carlo
    /// permutation test seeded from the test's own identity (`seed(for:)`), so that reports stay
    /// byte-identical and the errors of different tests are not correlated. Cramér's V is the effect
    /// size throughout. `table[i][j]`: row i (e.g. chosen / not chosen), column j (group).
    public static func independence(
        _ table: [[Int]],
        replicates: Int = 10_000,
        seed: UInt64 = 20_240_301,
        exactLimit: Int = 2_000_000
    ) -> TestResult {
        let t = dropEmpty(table)
        guard t.count >= 2, let cols = t.first?.count, cols >= 2 else {
            return TestResult(
                name: "Chi-square",
                notComputed: "the table has fewer than two rows or columns with answers"
            )
        }
        let n = t.reduce(0) { $0 + $1.reduce(0, +) }
        let rowSums = t.map { $0.reduce(0, +) }
        let colSums = (0..<cols).map { j in t.reduce(0) { $0 + $1[j] } }
        let smallExpected = rowSums.contains { r in colSums.contains { c in Double(r * c) / Double(n) < 5 } }
        var result: TestResult
        if !smallExpected {
            result = chiSquare(t)
        } else if t.count == 2 && cols == 2 {
            result = fisher2x2(t[0][0], t[0][1], t[1][0], t[1][1])
        } else if t.count == 2, let exact = exact2xK(t, limit: exactLimit) {
            result = exact
        } else {
            result = monteCarlo(t, replicates: replicates, seed: seed)
        }
        result.effect = cramersV(t)
        result.effectName = "Cramér's V"
        return result
    }

    /// A seed from a test's identity (FNV-1a of its UTF-8 bytes): the same test gets the same
    /// replicates on every run, two tests different ones.
    public static func seed(for identity: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in identity.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        return h
    }

    /// Cramér's V from the uncorrected chi-square statistic (SciPy's `contingency.association`).
    public static func cramersV(_ t: [[Int]]) -> Double? {
        guard t.count >= 2, let cols = t.first?.count, cols >= 2 else { return nil }
        let n = Double(t.reduce(0) { $0 + $1.reduce(0, +) })
        let k = Double(min(t.count, cols) - 1)
        guard n > 0, k > 0 else { return nil }
        return (statistic(t, yates: false) / (n * k)).squareRoot()
    }

    /// The exact conditional p of the chi-square statistic for a 2×k table: the probability, with
    /// both margins fixed (multivariate hypergeometric), of a table whose statistic is at least the
    /// observed one. Nil when there are more than `limit` tables to enumerate.
    static func exact2xK(_ t: [[Int]], limit: Int) -> TestResult? {
        let cols = t[0].count
        let colSums = (0..<cols).map { t[0][$0] + t[1][$0] }
        let n = colSums.reduce(0, +)
        // Enumerate over the smaller row: fewer tables.
        let r = min(t[0].reduce(0, +), t[1].reduce(0, +))
        let top = t[0].reduce(0, +) == r ? t[0] : t[1]
        // Count the tables first (ways[s]: partial tables using s of the row), bounded by `limit`.
        var ways = [Double](repeating: 0, count: r + 1)
        ways[0] = 1
        for c in colSums {
            var next = [Double](repeating: 0, count: r + 1)
            for s in 0...r where ways[s] > 0 { for x in 0...min(c, r - s) { next[s + x] += ways[s] } }
            ways = next
        }
        guard ways[r] <= Double(limit) else { return nil }
        let N = Double(n)
        let R = Double(r)
        func logChoose(_ a: Int, _ b: Int) -> Double {
            lgamma(Double(a + 1)) - lgamma(Double(b + 1)) - lgamma(Double(a - b + 1))
        }
        // Per column j and count x in the row: its term of the statistic and of log P.
        var terms: [[(chi: Double, logP: Double)]] = []
        for c in colSums {
            let e1 = R * Double(c) / N
            let e2 = (N - R) * Double(c) / N
            terms.append(
                (0...min(c, r))
                    .map { x in
                        let d1 = Double(x) - e1
                        let d2 = Double(c - x) - e2
                        return (d1 * d1 / e1 + d2 * d2 / e2, logChoose(c, x))
                    }
            )
        }
        var observed = 0.0
        for j in 0..<cols { observed += terms[j][top[j]].chi }
        let logTotal = logChoose(n, r)
        // Tables whose statistic is within rounding of the observed one count as at least as extreme.
        let threshold = observed - 1e-9 * max(1, observed)
        // The most each remaining column can still use, so that the row's total is always reachable.
        var capacity = [Int](repeating: 0, count: cols + 1)
        for j in stride(from: cols - 1, through: 0, by: -1) { capacity[j] = capacity[j + 1] + min(colSums[j], r) }
        var p = 0.0
        func walk(_ j: Int, _ left: Int, _ chi: Double, _ logP: Double) {
            if j == cols - 1 {
                guard left <= colSums[j] else { return }
                let term = terms[j][left]
                if chi + term.chi >= threshold { p += exp(logP + term.logP - logTotal) }
                return
            }
            let lo = max(0, left - capacity[j + 1])
            let hi = min(colSums[j], left)
            guard lo <= hi else { return }
            for x in lo...hi { walk(j + 1, left - x, chi + terms[j][x].chi, logP + terms[j][x].logP) }
        }
        walk(0, r, 0, 0)
        return TestResult(
            name: "Chi-square",
            statistic: observed,
            df: Double(cols - 1),
            p: min(1, p),
            method: "exact conditional (2×\(cols), \(Int(ways[r])) tables)"
        )
    }

    static func dropEmpty(_ table: [[Int]]) -> [[Int]] {
        let rows = table.filter { $0.reduce(0, +) > 0 }
        guard let width = rows.first?.count else { return [] }
        let keep = (0..<width).filter { j in rows.contains { $0[j] > 0 } }
        return rows.map { r in keep.map { r[$0] } }
    }

    static func statistic(_ t: [[Int]], yates: Bool) -> Double {
        let n = Double(t.reduce(0) { $0 + $1.reduce(0, +) })
        let rowSums = t.map { Double($0.reduce(0, +)) }
        let cols = t[0].count
        let colSums = (0..<cols).map { j in Double(t.reduce(0) { $0 + $1[j] }) }
        var x = 0.0
        for i in t.indices {
            for j in 0..<cols {
                let e = rowSums[i] * colSums[j] / n
                var d = abs(Double(t[i][j]) - e)
                if yates { d = max(0, d - 0.5) }
                x += d * d / e
            }
        }
        return x
    }

    /// Pearson's chi-square; with Yates' continuity correction for a 2×2 table (as SciPy's
    /// `chi2_contingency` does by default).
    public static func chiSquare(_ t: [[Int]]) -> TestResult {
        let df = Double((t.count - 1) * (t[0].count - 1))
        let x = statistic(t, yates: df == 1)
        return TestResult(
            name: "Chi-square",
            statistic: x,
            df: df,
            p: Distributions.chiSquareSF(x, df: df),
            method: df == 1 ? "Pearson, Yates-corrected" : "Pearson"
        )
    }

    /// Two-sided Fisher's exact test (sum of the probabilities of tables no more likely than the
    /// observed one, as SciPy's `fisher_exact`).
    public static func fisher2x2(_ a: Int, _ b: Int, _ c: Int, _ d: Int) -> TestResult {
        let r1 = a + b
        let c1 = a + c
        let n = a + b + c + d
        func logChoose(_ n: Int, _ k: Int) -> Double {
            lgamma(Double(n + 1)) - lgamma(Double(k + 1)) - lgamma(Double(n - k + 1))
        }
        func prob(_ x: Int) -> Double { exp(logChoose(c1, x) + logChoose(n - c1, r1 - x) - logChoose(n, r1)) }
        let lo = max(0, r1 + c1 - n)
        let hi = min(r1, c1)
        let observed = prob(a)
        var p = 0.0
        for x in lo...hi {
            let px = prob(x)
            if px <= observed * (1 + 1e-7) { p += px }
        }
        let odds = b * c == 0 ? Double.infinity : Double(a * d) / Double(b * c)
        return TestResult(name: "Fisher's exact", statistic: odds, p: min(1, p), method: "exact (2×2)")
    }

    /// Permutation p-value of the chi-square statistic with fixed margins: (1 + #{X* ≥ X}) / (B + 1).
    /// Each replicate shuffles the respondents' row labels over the fixed column sizes.
    public static func monteCarlo(_ t: [[Int]], replicates: Int, seed: UInt64) -> TestResult {
        let observed = statistic(t, yates: false)
        let rows = t.count
        let cols = t[0].count
        var labels: [Int] = []
        for (i, r) in t.enumerated() { labels += Array(repeating: i, count: r.reduce(0, +)) }
        let n = labels.count
        let rowSums = t.map { Double($0.reduce(0, +)) }
        let colSums = (0..<cols).map { j in t.reduce(0) { $0 + $1[j] } }
        // Expected counts are the same for every replicate (margins are fixed).
        var expected = [Double](repeating: 0, count: rows * cols)
        for i in 0..<rows { for j in 0..<cols { expected[i * cols + j] = rowSums[i] * Double(colSums[j]) / Double(n) } }
        var columnOf = [Int](repeating: 0, count: n)
        var k = 0
        for j in 0..<cols {
            for _ in 0..<colSums[j] {
                columnOf[k] = j
                k += 1
            }
        }
        var rng = SplitMix64(seed: seed)  // seeded: permutation p-values are identical on every run
        var atLeast = 0
        var sim = [Int](repeating: 0, count: rows * cols)
        for _ in 0..<replicates {
            var i = n - 1
            while i > 0 {
                labels.swapAt(i, Int(rng.next() % UInt64(i + 1)))
                i -= 1
            }
            for c in sim.indices { sim[c] = 0 }
            for r in 0..<n { sim[labels[r] * cols + columnOf[r]] += 1 }
            var x = 0.0
            for c in sim.indices {
                let d = Double(sim[c]) - expected[c]
                x += d * d / expected[c]
            }
            if x >= observed - 1e-9 { atLeast += 1 }
        }
        let p = Double(1 + atLeast) / Double(replicates + 1)
        return TestResult(
            name: "Chi-square",
            statistic: observed,
            df: Double((rows - 1) * (cols - 1)),
            p: p,
            method: "Monte-Carlo permutation, \(replicates) replicates",
            monteCarloError: (p * (1 - p) / Double(replicates)).squareRoot()
        )
    }
}

/// Change between two waves for one group: difference of means with a Welch interval and test.
public struct WaveChange: Sendable, Hashable, Codable {
    public var measure: String
    public var group: String
    public var fromWave: String
    public var toWave: String
    public var fromMean: Double?
    public var toMean: Double?
    public var fromN: Int?
    public var toN: Int?
    public var change: Double?
    public var ciLow: Double?
    public var ciHigh: Double?
    public var test: TestResult
    public var suppressed: Bool
}

public enum WelchTest {
    /// Welch's t for the difference `b − a` of two means, with its 95% interval (SciPy's
    /// `ttest_ind(equal_var=False)` for the p-value).
    public static func compare(_ a: Descriptives, _ b: Descriptives) -> (
        diff: Double, low: Double?, high: Double?, test: TestResult
    ) {
        let diff = b.mean - a.mean
        guard let sa = a.sd, let sb = b.sd else {
            return (diff, nil, nil, TestResult(name: "Welch's t", notComputed: "a wave has fewer than two answers"))
        }
        let va = sa * sa / a.effectiveN
        let vb = sb * sb / b.effectiveN
        let se = (va + vb).squareRoot()
        guard se > 0 else {
            return (diff, nil, nil, TestResult(name: "Welch's t", notComputed: "no variance in either wave"))
        }
        let df = (va + vb) * (va + vb) / (va * va / (a.effectiveN - 1) + vb * vb / (b.effectiveN - 1))
        let t = diff / se
        let p = Distributions.studentTTwoSidedP(t, df: df)
        let q = Distributions.studentTQuantile(0.975, df: df)
        return (diff, diff - q * se, diff + q * se, TestResult(name: "Welch's t", statistic: t, df: df, p: p))
    }
}
