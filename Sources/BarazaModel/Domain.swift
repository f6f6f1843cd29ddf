/// An enabling-condition theme: the unit a report compares groups on.
public struct Theme: Sendable, Hashable, Codable, Identifiable {
    public var id: String
    public var label: String
    public init(id: String, label: String) {
        self.id = id
        self.label = label
    }

    /// The five enabling conditions for scaling up local solutions.
    public static let defaultFramework: [Theme] = [
        Theme(id: "enabling_policies", label: "Enabling policies and regulation"),
        Theme(id: "market_development", label: "Market development"),
        Theme(id: "local_capacity", label: "Local capacity development"),
        Theme(id: "access_to_finance", label: "Access to finance"),
        Theme(id: "learning_knowledge", label: "Learning and knowledge sharing"),
    ]
}

/// A stakeholder group, with the raw names that map to it (`*` is a wildcard).
public struct StakeholderGroup: Sendable, Hashable, Codable, Identifiable {
    public var id: String
    public var label: String
    public var synonyms: [String]
    public init(id: String, label: String, synonyms: [String] = []) {
        self.id = id
        self.label = label
        self.synonyms = synonyms
    }

    public static let defaults: [StakeholderGroup] = [
        StakeholderGroup(
            id: "government",
            label: "Government",
            synonyms: [
                "government", "gov", "ministry*", "ministere*", "ministerio*", "local government",
                "national government", "county government*", "gouvernement*", "gobierno*", "governo*", "public sector",
                "secteur public", "administration*", "municipal*", "collectivite*", "mairie*", "prefecture*",
            ]
        ),
        StakeholderGroup(
            id: "private_sector",
            label: "Private sector",
            synonyms: [
                "private sector", "private", "business*", "company", "private company", "firm", "enterprise*",
                "entreprise*", "empresa*", "secteur prive", "sector privado", "setor privado", "chamber of commerce",
                "chambre de commerce*", "cooperative*", "sme", "pme",
            ]
        ),
        StakeholderGroup(
            id: "cso",
            label: "Civil society (CSOs)",
            synonyms: [
                "cso", "csos", "ngo", "local ngo", "civil society*", "societe civile", "ong", "ong locale",
                "ong nationale", "community group", "community based organisation", "cbo", "association*",
                "organizacion de la sociedad civil", "organisation de la societe civile", "sociedade civil",
                "faith based organisation", "youth group", "women's group", "groupement*",
            ]
        ),
        StakeholderGroup(
            id: "development_partner",
            label: "Development partners",
            synonyms: [
                "development partner*", "donor*", "bilateral donor", "multilateral*", "un agency", "united nations*",
                "international ngo", "ingo", "bailleur*", "partenaire technique et financier", "ptf",
                "agence des nations unies", "cooperacion internacional", "agencia de cooperacion*", "banque mondiale",
                "world bank",
            ]
        ),
    ]
}

/// Why an answer is not counted in the base.
public enum MissingKind: String, Sendable, Hashable, Codable, CodingKeyRepresentable, CaseIterable, Comparable {
    case blank
    case dontKnow = "dont_know"
    case refused
    case notApplicable = "not_applicable"
    case sentinel
    /// A theme score's own kind: the respondent answered fewer than half of the theme's items.
    /// Never an answer's kind (a consultation file cannot name it).
    case tooFewItems = "too_few_items"

    private var rank: Int {
        switch self {
        case .blank: 0
        case .dontKnow: 1
        case .refused: 2
        case .notApplicable: 3
        case .sentinel: 4
        case .tooFewItems: 5
        }
    }

    public static func < (a: MissingKind, b: MissingKind) -> Bool { a.rank < b.rank }

    public var label: String {
        switch self {
        case .blank: "Blank"
        case .dontKnow: "Don't know"
        case .refused: "Prefer not to say"
        case .notApplicable: "Not applicable"
        case .sentinel: "Sentinel code"
        case .tooFewItems: "Too few items answered"
        }
    }
}

/// One point of an ordinal scale and the labels (in every language) that name it.
public struct ScalePoint: Sendable, Hashable, Codable {
    public var value: Int
    public var labels: [String]
    public init(value: Int, labels: [String]) {
        self.value = value
        self.labels = labels
    }
}

/// An ordinal answer scale: points `1...k`, labels per point, and labels that mean *missing*.
public struct Scale: Sendable, Hashable, Codable, Identifiable {
    public var id: String
    public var points: [ScalePoint]
    public var missing: [MissingKind: [String]]

    public init(id: String, points: [ScalePoint], missing: [MissingKind: [String]] = [:]) {
        self.id = id
        self.points = points
        self.missing = missing
    }

    public var minValue: Int { points.map(\.value).min() ?? 1 }
    public var maxValue: Int { points.map(\.value).max() ?? 1 }
    public var pointCount: Int { points.count }
    /// The label shown in reports for a point: the first one listed.
    public func displayLabel(_ value: Int) -> String {
        points.first { $0.value == value }?.labels.first ?? String(value)
    }
}

/// What kind of answer a question takes.
public enum QuestionType: String, Sendable, Hashable, Codable { case likert, single, multiple, number, text }

/// One question of the consultation, mapped to the export columns that carry it.
public struct Question: Sendable, Hashable, Codable, Identifiable {
    public var id: String
    public var type: QuestionType
    public var theme: String?
    public var scale: String?
    public var reverse: Bool
    public var columns: [String]
    public var codebook: String?
    public var options: [String]
    /// Other labels that name an option (a translated SurveyMonkey column, say), option code by label.
    public var optionAliases: [String: String]
    public var text: String?
    /// Codes that mean "no answer" on a number question (77, -99, …): only those the consultation
    /// file declares, since any number may be a real answer.
    public var sentinels: [String]

    public init(
        id: String,
        type: QuestionType,
        theme: String? = nil,
        scale: String? = nil,
        reverse: Bool = false,
        columns: [String] = [],
        codebook: String? = nil,
        options: [String] = [],
        optionAliases: [String: String] = [:],
        text: String? = nil,
        sentinels: [String] = []
    ) {
        self.id = id
        self.type = type
        self.theme = theme
        self.scale = scale
        self.reverse = reverse
        self.columns = columns
        self.codebook = codebook
        self.options = options
        self.optionAliases = optionAliases
        self.text = text
        self.sentinels = sentinels
    }
}
