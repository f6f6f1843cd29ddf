/// A criterion of success the consultation file sets (`targets:`): a measure of a theme or an item,
/// for a group or all respondents, optionally at a wave, against a threshold.
public struct Target: Sendable, Hashable, Codable {
    public enum Measure: String, Sendable, Hashable, Codable, CaseIterable {
        /// The mean on the scale (a theme's score, or an item's).
        case mean
        /// The share answering one of the scale's top two points (items only), 0 to 1.
        case top2Box = "top_2_box"
    }

    /// A theme id or a question id: the target measures that theme's score or that item.
    public var theme: String?
    public var item: String?
    /// A group id; nil for all respondents.
    public var group: String?
    public var measure: Measure
    /// The threshold: met when the measure is at least (or, with `atMost`, at most) it.
    public var threshold: Double
    public var atMost: Bool
    /// The wave the target is for (a later wave is compared with the first); nil for all the data.
    public var wave: String?

    public init(
        theme: String? = nil,
        item: String? = nil,
        group: String? = nil,
        measure: Measure,
        threshold: Double,
        atMost: Bool = false,
        wave: String? = nil
    ) {
        self.theme = theme
        self.item = item
        self.group = group
        self.measure = measure
        self.threshold = threshold
        self.atMost = atMost
        self.wave = wave
    }
}

/// "What we heard → what will happen" (`actions:`): a finding, the response to it, who owns it,
/// and why, when it is not adopted.
public struct Action: Sendable, Hashable, Codable {
    public enum Status: String, Sendable, Hashable, Codable, CaseIterable {
        case adopted
        case partlyAdopted = "partly_adopted"
        case underReview = "under_review"
        case notAdopted = "not_adopted"
    }

    public var finding: String
    public var response: String
    public var owner: String?
    public var status: Status
    public var reason: String?

    public init(finding: String, response: String, owner: String?, status: Status, reason: String?) {
        self.finding = finding
        self.response = response
        self.owner = owner
        self.status = status
        self.reason = reason
    }
}
