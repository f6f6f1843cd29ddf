/// A problem found while processing input that the run survives (or, as `.error`, one it cannot).
public struct Diagnostic: Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Severity: String, Sendable, Hashable, Codable, Comparable {
        case note, warning, error
        private var rank: Int { self == .note ? 0 : self == .warning ? 1 : 2 }
        public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
    }

    public var severity: Severity
    public var location: SourceLocation?
    public var message: String
    /// What the reader expected at that place, when that helps the user fix the input.
    public var expected: String?

    public init(_ severity: Severity, _ message: String, at location: SourceLocation? = nil, expected: String? = nil) {
        self.severity = severity
        self.location = location
        self.message = message
        self.expected = expected
    }

    public var description: String {
        var s = ""
        if let location { s += "\(location): " }
        s += "\(severity.rawValue): \(message)"
        if let expected { s += " (expected \(expected))" }
        return s
    }
}

/// Collects diagnostics from every stage; knows whether any was an error.
///
/// A value type: each stage takes it `inout`, so no locking is needed and it stays `Sendable`.
/// Repeated warnings with the same message key are counted rather than stored again, so a file
/// with a million bad rows does not hold a million diagnostics.
public struct Diagnostics: Sendable {
    public private(set) var items: [Diagnostic] = []
    /// Each stored item's key.
    private var itemKeys: [String] = []
    private var repeats: [String: Int] = [:]
    /// How many diagnostics with the same key are stored before the rest are only counted.
    public var keepPerKey: Int

    public init(keepPerKey: Int = 20) { self.keepPerKey = keepPerKey }

    public mutating func emit(_ diagnostic: Diagnostic, key: String? = nil) {
        let k = key ?? diagnostic.message
        let seen = repeats[k, default: 0]
        repeats[k] = seen + 1
        if seen < keepPerKey {
            items.append(diagnostic)
            itemKeys.append(k)
        }
    }

    public mutating func error(_ message: String, at location: SourceLocation? = nil, expected: String? = nil) {
        emit(Diagnostic(.error, message, at: location, expected: expected))
    }

    public mutating func warning(
        _ message: String,
        at location: SourceLocation? = nil,
        expected: String? = nil,
        key: String? = nil
    ) { emit(Diagnostic(.warning, message, at: location, expected: expected), key: key) }

    public mutating func note(_ message: String, at location: SourceLocation? = nil, key: String? = nil) {
        emit(Diagnostic(.note, message, at: location), key: key)
    }

    public mutating func merge(_ other: Diagnostics) {
        items.append(contentsOf: other.items)
        itemKeys.append(contentsOf: other.itemKeys)
        for (k, v) in other.repeats { repeats[k, default: 0] += v }
    }

    /// Adds diagnostics collected after this one's, as if emitted here: per key, only the first
    /// `keepPerKey` over both are stored, and all are counted. Parts of one input collected apart
    /// (a file's chunks on several threads) and appended in input order keep exactly what one
    /// collector would have kept.
    public mutating func append(_ later: Diagnostics) {
        var storedFromLater: [String: Int] = [:]
        for (d, k) in zip(later.items, later.itemKeys) {
            let seen = repeats[k, default: 0] + storedFromLater[k, default: 0]
            storedFromLater[k, default: 0] += 1
            if seen < keepPerKey {
                items.append(d)
                itemKeys.append(k)
            }
        }
        for (k, v) in later.repeats { repeats[k, default: 0] += v }
    }

    /// Diagnostics that were counted but not stored, by key.
    public var suppressedCounts: [String: Int] { repeats.compactMapValues { $0 > keepPerKey ? $0 - keepPerKey : nil } }

    public var hasErrors: Bool { items.contains { $0.severity == .error } }
    public var warningCount: Int { items.filter { $0.severity == .warning }.count }
    public var isEmpty: Bool { items.isEmpty }
}
