import BarazaModel
import Foundation

/// Tests of independence for categorical answers (an option chosen or not, by group).
public enum CategoricalTests {
    /// Chooses the test as a careful analyst would: Pearson's chi-square when every expected count
    /// is at least 5; otherwise Fisher's exact test for a 2×2 table, and for a larger table a
    /// Monte-Carlo permutation test of the chi-square statistic (fixed seed, so reports stay
    /// byte-identical). `table[i][j]`: row i (e.g. chosen / not chosen), column j (group).
    public static func independence(_ table: [[Int]], replicates: Int = 10_000, seed: UInt64 = 20240301) -> TestResult {
        let t = dropEmpty(table)
        guard t.count >= 2, let cols = t.first?.count, cols >= 2 else {
            return TestResult(name: "Chi-square", notComputed: "the table has fewer than two rows or columns with answers")
        }
        let n = t.reduce(0) { $0 + $1.reduce(0, +) }
        let rowSums = t.map { $0.reduce(0, +) }
        let colSums = (0..<cols).map { j in t.reduce(0) { $0 + $1[j] } }
        let smallExpected = rowSums.contains { r in colSums.contains { c in Double(r * c) / Double(n) < 5 } }
        if !smallExpected {
            return chiSquare(t)
        }
        if t.count == 2 && cols == 2 {
            return fisher2x2(t[0][0], t[0][1], t[1][0], t[1][1])
        }
        return monteCarlo(t, replicates: replicates, seed: seed)
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
        return TestResult(name: "Chi-square", statistic: x, df: df, p: Distributions.chiSquareSF(x, df: df),
                          method: df == 1 ? "Pearson, Yates-corrected" : "Pearson")
    }

    /// Two-sided Fisher's exact test (sum of the probabilities of tables no more likely than the
    /// observed one, as SciPy's `fisher_exact`).
    public static func fisher2x2(_ a: Int, _ b: Int, _ c: Int, _ d: Int) -> TestResult {
        let r1 = a + b, c1 = a + c, n = a + b + c + d
        func logChoose(_ n: Int, _ k: Int) -> Double { lgamma(Double(n + 1)) - lgamma(Double(k + 1)) - lgamma(Double(n - k + 1)) }
        func prob(_ x: Int) -> Double { exp(logChoose(c1, x) + logChoose(n - c1, r1 - x) - logChoose(n, r1)) }
        let lo = max(0, r1 + c1 - n), hi = min(r1, c1)
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
        let rows = t.count, cols = t[0].count
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
        for j in 0..<cols { for _ in 0..<colSums[j] { columnOf[k] = j; k += 1 } }
        var rng = SplitMix64(seed: seed)  // seeded: permutation p-values are identical on every run
        var atLeast = 0
        var sim = [Int](repeating: 0, count: rows * cols)
        for _ in 0..<replicates {
            var i = n - 1
            while i > 0 { labels.swapAt(i, Int(rng.next() % UInt64(i + 1))); i -= 1 }
            for c in sim.indices { sim[c] = 0 }
            for r in 0..<n { sim[labels[r] * cols + columnOf[r]] += 1 }
            var x = 0.0
            for c in sim.indices { let d = Double(sim[c]) - expected[c]; x += d * d / expected[c] }
            if x >= observed - 1e-9 { atLeast += 1 }
        }
        return TestResult(name: "Chi-square", statistic: observed, df: Double((rows - 1) * (cols - 1)),
                          p: Double(1 + atLeast) / Double(replicates + 1), method: "Monte-Carlo permutation, \(replicates) replicates")
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
    public static func compare(_ a: Descriptives, _ b: Descriptives) -> (diff: Double, low: Double?, high: Double?, test: TestResult) {
        let diff = b.mean - a.mean
        guard let sa = a.sd, let sb = b.sd else {
            return (diff, nil, nil, TestResult(name: "Welch's t", notComputed: "a wave has fewer than two answers"))
        }
        let va = sa * sa / a.effectiveN, vb = sb * sb / b.effectiveN
        let se = (va + vb).squareRoot()
        guard se > 0 else { return (diff, nil, nil, TestResult(name: "Welch's t", notComputed: "no variance in either wave")) }
        let df = (va + vb) * (va + vb) / (va * va / (a.effectiveN - 1) + vb * vb / (b.effectiveN - 1))
        let t = diff / se
        let p = Distributions.studentTTwoSidedP(t, df: df)
        let q = Distributions.studentTQuantile(0.975, df: df)
        return (diff, diff - q * se, diff + q * se, TestResult(name: "Welch's t", statistic: t, df: df, p: p))
    }
}
