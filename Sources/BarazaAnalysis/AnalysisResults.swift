import BarazaModel

/// What analysis needs to know about the consultation: the plan of the report.
public struct AnalysisPlan: Sendable {
    public var title: String
    public var themes: [Theme]
    public var groups: [StakeholderGroup]
    public var questions: [Question]
    public var scales: [String: Scale]
    /// Code id → (label, theme) for open-text codes.
    public var codeInfo: [String: (label: String, theme: String?)]
    public var by: [String]
    public var minCell: Int
    /// Waves in the consultation's order (first = earliest); wave changes compare the first and last.
    public var waves: [String]
    public var weighting: Weighting
    public var targets: [Target] = []
    public var actions: [Action] = []
    public init(
        title: String,
        themes: [Theme],
        groups: [StakeholderGroup],
        questions: [Question],
        scales: [String: Scale],
        codeInfo: [String: (label: String, theme: String?)],
        by: [String],
        minCell: Int,
        waves: [String] = [],
        weighting: Weighting = .none
    ) {
        self.title = title
        self.themes = themes
        self.groups = groups
        self.questions = questions
        self.scales = scales
        self.codeInfo = codeInfo
        self.by = by
        self.minCell = minCell
        self.waves = waves
        self.weighting = weighting
    }
}

/// How respondents are weighted.
public enum Weighting: String, Sendable, Hashable, Codable {
    /// Every respondent counts once.
    case none
    /// A weight column of the sources (stored per response).
    case column
    /// Each stakeholder group counts equally in the all-respondents figures.
    case equalGroups = "equal_groups"
}

/// One cell's summary of an item or theme score. When `suppressed`, every figure is nil.
public struct CellSummary: Sendable, Hashable, Codable {
    public var cell: CellKey
    public var suppressed: Bool
    /// Suppressed although it has enough answers, so that a smaller suppressed cell cannot be worked
    /// out by subtraction (complementary suppression).
    public var withheld: Bool = false
    public var asked: Int?
    public var answered: Int?
    public var missing: [MissingKind: Int]?
    public var unrecognised: Int?
    /// Count per scale point, every point listed (empty ones as 0).
    public var distribution: [ScaleCount]?
    public var stats: Descriptives?
    public var topBox: Proportion?
    public var bottomBox: Proportion?
    public var consensus: Double?
    /// Shares of those asked who answered "don't know" and who declined (unweighted).
    public var dontKnow: Proportion?
    public var refused: Proportion?
}

public struct ScaleCount: Sendable, Hashable, Codable {
    public var value: Double
    public var label: String
    public var count: Int
}

/// A pairwise comparison between two groups.
public struct PairwiseResult: Sendable, Hashable, Codable {
    public var groupA: String
    public var groupB: String
    public var test: TestResult
    public var pHolm: Double?
    public var effect: RankBiserial?
}

/// An item (question) or a theme score, by cell, with its between-group test.
public struct MeasureResult: Sendable, Hashable, Codable {
    public var id: String
    public var label: String
    public var theme: String?
    public var reverse: Bool
    public var scaleMin: Double
    public var scaleMax: Double
    /// By stakeholder group (collapsed over other dimensions).
    public var byGroup: [CellSummary]
    /// By the report's full breakdown (group × country × wave), when it has more than group.
    public var byCell: [CellSummary]
    /// All mapped respondents; nil when showing it would let a suppressed cell be worked out.
    public var total: CellSummary?
    /// The suppressed and withheld groups together, when they are two or more and together clear
    /// the minimum cell size (the total minus the shown groups gives exactly this).
    public var others: CellSummary?
    public var otherGroups: [String] = []
    public var test: TestResult
    public var pairwise: [PairwiseResult]
    /// Groups not tested because their cell was suppressed.
    public var untestedGroups: [String]
}

/// Option or code shares per group.
public struct ShareTable: Sendable, Hashable, Codable {
    public struct Row: Sendable, Hashable, Codable {
        public var option: String
        public var label: String
        public var theme: String?
        public var shares: [String: Proportion]
        /// Whether choosing this option depends on the group (suppressed groups left out).
        public var test: TestResult?
    }
    public struct Base: Sendable, Hashable, Codable {
        public var group: String
        public var answered: Int?
        public var suppressed: Bool
        /// Suppressed to protect a smaller group (see `CellSummary.withheld`).
        public var withheld: Bool = false
        /// Kish's effective base, when shares are weighted.
        public var effectiveBase: Double?
    }
    public var question: String
    public var label: String
    public var bases: [Base]
    public var rows: [Row]
}

/// Quotes for a code, by group, with personal data already removed by reporting.
public struct QuoteSet: Sendable, Hashable, Codable {
    public var question: String
    public var code: String
    public var group: String
    public var texts: [String]
}

/// Largest difference of theme-score means between two groups.
public struct ThemeGap: Sendable, Hashable, Codable {
    public var theme: String
    public var high: String
    public var low: String
    public var difference: Double
    /// Welch's 95% interval of the difference.
    public var ciLow: Double?
    public var ciHigh: Double?
}

/// One theme: its score by group, its items, the largest gap.
public struct ThemeResult: Sendable, Hashable, Codable {
    public var theme: Theme
    public var score: MeasureResult
    public var items: [MeasureResult]
    public var gap: ThemeGap?
    public var codes: [ShareTable]
    /// Country by country, when the report is broken down by country.
    public var countries: CountryComparison?
}

/// Everything the report shows, as plain values: reporting formats, it does not compute.
public struct ConsultationAnalysis: Sendable, Codable {
    public var title: String
    public var groups: [StakeholderGroup]
    public var by: [String]
    public var minCell: Int
    public var respondents: [CellSummary]
    /// Respondents of the suppressed and withheld groups together, when that clears the minimum.
    public var otherRespondents: Int?
    public var totalRespondents: Int
    public var themes: [ThemeResult]
    public var choices: [ShareTable]
    public var quotes: [QuoteSet]
    public var quality: DataQuality
    public var testCount: Int
    /// The first and last days of submissions among the responses counted (UTC), when known.
    public var fieldwork: Fieldwork?
    public var waveChanges: [WaveChange]
    public var weighting: Weighting
    /// Respondents by group × country × wave (as the report's dimensions ask; by group × wave too
    /// when the data has waves), protected within each group like a table's cells; a hidden group's
    /// cells are all hidden.
    public var respondentCells: [CellSummary] = []
    /// The consultation file's targets, checked.
    public var targets: [TargetResult] = []
    /// The consultation file's actions, as written.
    public var actions: [Action] = []
}

public struct Fieldwork: Sendable, Hashable, Codable {
    public var first: String
    public var last: String

    /// Days (yyyy-MM-dd, UTC) of two times in seconds since 1970.
    public init(_ range: ClosedRange<Double>) {
        first = Self.day(range.lowerBound)
        last = Self.day(range.upperBound)
    }

    static func day(_ t: Double) -> String {
        // Civil-from-days (Howard Hinnant's algorithm): no calendar or formatter, the same in every locale.
        let z = Int((t / 86_400).rounded(.down)) + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(y)-\(two(m))-\(two(d))"
    }
}
