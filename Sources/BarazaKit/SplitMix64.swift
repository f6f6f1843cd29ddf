/// A small seeded generator (SplitMix64): synthetic consultations, permutation p-values and
/// generated test inputs are identical on every run and machine.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    public mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
    public mutating func int(_ n: Int) -> Int { Int(next() % UInt64(max(1, n))) }
    public mutating func pick<T>(_ xs: [T]) -> T { xs[int(xs.count)] }
    /// Approximately normal (sum of uniforms), mean 0, SD 1.
    public mutating func gauss() -> Double { (0..<12).reduce(0.0) { acc, _ in acc + unit() } - 6 }
}
