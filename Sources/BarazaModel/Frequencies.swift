/// The cell of a breakdown: a stakeholder group, and country and wave when the report splits by them.
/// A nil member means "all" for that dimension (or "unmapped" for a group when `unmapped` is set).
public struct CellKey: Sendable, Hashable, Codable, Comparable {
    public var group: String?
    public var country: String?
    public var wave: String?
    public init(group: String? = nil, country: String? = nil, wave: String? = nil) {
        self.group = group
        self.country = country
        self.wave = wave
    }
    public static func < (a: CellKey, b: CellKey) -> Bool {
        (a.group ?? "", a.country ?? "", a.wave ?? "") < (b.group ?? "", b.country ?? "", b.wave ?? "")
    }
}

/// Counts of one value in a cell, plain and weighted.
public struct WeightedCount: Sendable, Hashable, Codable {
    public var count: Int
    public var weight: Double
    public var weightSquared: Double
    public init(count: Int = 0, weight: Double = 0, weightSquared: Double = 0) {
        self.count = count
        self.weight = weight
        self.weightSquared = weightSquared
    }
    public mutating func add(_ other: WeightedCount) {
        count += other.count
        weight += other.weight
        weightSquared += other.weightSquared
    }
}

/// Everything a cell says about one closed item (or one theme score): how many answered each
/// value, how many were missing and why, how many answers were not recognised.
public struct ValueCounts: Sendable, Hashable, Codable {
    public var values: [Double: WeightedCount] = [:]
    public var missing: [MissingKind: Int] = [:]
    public var unrecognised: Int = 0
    public init() {}

    public var answered: Int { values.values.reduce(0) { $0 + $1.count } }
    public var missingTotal: Int { missing.values.reduce(0, +) + unrecognised }
    public var asked: Int { answered + missingTotal }

    /// The same counts with every weight multiplied by `factor` (for equal weight per group).
    public func scaled(by factor: Double) -> ValueCounts {
        var c = self
        c.values = values.mapValues {
            WeightedCount(
                count: $0.count,
                weight: $0.weight * factor,
                weightSquared: $0.weightSquared * factor * factor
            )
        }
        return c
    }

    public mutating func merge(_ o: ValueCounts) {
        for (v, c) in o.values { values[v, default: WeightedCount()].add(c) }
        for (k, c) in o.missing { missing[k, default: 0] += c }
        unrecognised += o.unrecognised
    }
}

/// Option shares for a multiple-choice question or code shares for an open question, in one cell.
public struct OptionCounts: Sendable, Hashable, Codable {
    /// Respondents who answered (the base).
    public var answered: Int = 0
    public var answeredWeight: Double = 0
    /// Σw² of the base, for Kish's effective n of a weighted share.
    public var answeredWeightSquared: Double = 0
    public var missing: Int = 0
    public var options: [String: WeightedCount] = [:]
    public init() {}
}

/// A batch as the ledger holds it.
public struct BatchRecord: Sendable, Hashable, Codable {
    public var id: Int64
    public var path: String
    public var size: Int64
    public var sha256: String
    public var format: String
    /// When the batch was imported; nil in reports, which must not depend on the clock.
    public var importedAt: String?
    public var records: Int
    public var responses: Int
    public var rejected: Int
    public var duplicates: Int
    public var superseded: Int
    public var status: String
    public init(
        id: Int64,
        path: String,
        size: Int64,
        sha256: String,
        format: String,
        importedAt: String?,
        records: Int,
        responses: Int,
        rejected: Int,
        duplicates: Int,
        superseded: Int,
        status: String
    ) {
        self.id = id
        self.path = path
        self.size = size
        self.sha256 = sha256
        self.format = format
        self.importedAt = importedAt
        self.records = records
        self.responses = responses
        self.rejected = rejected
        self.duplicates = duplicates
        self.superseded = superseded
        self.status = status
    }
}

/// An open answer chosen as a possible quote, with the codes it got.
public struct QuoteCandidate: Sendable, Hashable, Codable {
    public var question: String
    public var code: String
    public var cell: CellKey
    public var respondentID: String
    public var text: String
    public init(question: String, code: String, cell: CellKey, respondentID: String, text: String) {
        self.question = question
        self.code = code
        self.cell = cell
        self.respondentID = respondentID
        self.text = text
    }
}

/// What the store knows about data quality, for the report's last section.
public struct DataQuality: Sendable, Hashable, Codable {
    public var batches: [BatchRecord] = []
    public var rejectReasons: [String: Int] = [:]
    public var unknownLabels: [String: [String: Int]] = [:]
    public var unmappedGroups: [String: Int] = [:]
    public var activeResponses: Int = 0
    public var supersededResponses: Int = 0
    public var duplicatesInBatches: Int = 0
    public init() {}
}

/// The aggregated view of a store that analysis works from: frequency tables per item, theme,
/// option and code, by cell. Small whatever the number of respondents.
public struct AggregatedData: Sendable {
    /// Likert and numeric items: question id → cell → counts.
    public var items: [String: [CellKey: ValueCounts]] = [:]
    /// Theme scores per respondent (mean of the theme's answered items, at least half answered),
    /// tallied: theme id → cell → counts of score values.
    public var themeScores: [String: [CellKey: ValueCounts]] = [:]
    /// Respondents per cell who had items in a theme but too few answered for a score.
    public var themeUnscored: [String: [CellKey: Int]] = [:]
    public var choices: [String: [CellKey: OptionCounts]] = [:]
    public var codes: [String: [CellKey: OptionCounts]] = [:]
    public var respondents: [CellKey: WeightedCount] = [:]
    public var quotes: [QuoteCandidate] = []
    public var quality = DataQuality()
    /// The first and last submission times of the responses counted (seconds since 1970), when
    /// the exports give them.
    public var fieldwork: ClosedRange<Double>?
    public init() {}
}
