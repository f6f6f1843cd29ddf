import BarazaModel
import BarazaIngest

/// One source of exports named in the consultation file: a path or glob, and what it stands for.
public struct SourceSpec: Sendable, Hashable {
    public var path: String
    public var country: String?
    public var wave: String?
    /// The column whose values name the stakeholder group.
    public var groupColumn: String?
    /// A fixed group for every record of this source.
    public var group: String?
    public var countryColumn: String?
    public var idColumn: String?
    public var submittedColumn: String?
    public var weightColumn: String?
    /// The column naming the respondent's organisation, and a CSV (`organisation,group`) that maps
    /// organisation names to groups when the group column is blank or unmapped.
    public var organisationColumn: String?
    public var groupLookup: [String: String]
    public var options: ReadOptions
    public var location: SourceLocation
    /// The form the exports were made from (an XLSForm), relative to the consultation file: its
    /// choice codes are read as the labels they stand for ("XML values" exports).
    public var form: String?

    public init(
        path: String,
        country: String? = nil,
        wave: String? = nil,
        groupColumn: String? = nil,
        group: String? = nil,
        countryColumn: String? = nil,
        idColumn: String? = nil,
        submittedColumn: String? = nil,
        weightColumn: String? = nil,
        organisationColumn: String? = nil,
        groupLookup: [String: String] = [:],
        options: ReadOptions = ReadOptions(),
        location: SourceLocation
    ) {
        self.organisationColumn = organisationColumn
        self.groupLookup = groupLookup
        self.path = path
        self.country = country
        self.wave = wave
        self.groupColumn = groupColumn
        self.group = group
        self.countryColumn = countryColumn
        self.idColumn = idColumn
        self.submittedColumn = submittedColumn
        self.weightColumn = weightColumn
        self.options = options
        self.location = location
    }
}

/// One code of an open-text codebook and the rules that assign it.
public struct CodeRule: Sendable, Hashable {
    public var code: String
    public var theme: String?
    public var label: String?
    public var match: [String]
    public var exclude: [String]
    public init(code: String, theme: String?, label: String? = nil, match: [String], exclude: [String] = []) {
        self.code = code
        self.theme = theme
        self.label = label
        self.match = match
        self.exclude = exclude
    }
}

/// How reports are made: grouping, suppression, output folder.
public struct ReportSettings: Sendable, Hashable {
    public var by: [String]
    public var minCell: Int
    /// Output folder, relative to the consultation file's folder unless absolute.
    public var out: String
    public var title: String?
    /// `none`, `column` (the sources' weight_column) or `equal_groups`.
    public var weights: String
    /// The PDF's paper: `a4` (the default) or `letter`.
    public var paper = "a4"
    public init(by: [String] = ["group"], minCell: Int = 5, out: String, title: String? = nil, weights: String = "none")
    {
        self.by = by
        self.minCell = minCell
        self.out = out
        self.title = title
        self.weights = weights
    }
}

/// A consultation: what was asked, of whom, where the exports are, and how to report.
public struct Consultation: Sendable {
    public var title: String
    /// Short name used for the report folder and the store file.
    public var name: String
    public var version: Int
    /// Absolute path of the consultation file.
    public var file: String
    /// Folder the relative paths in the file are resolved against (the file's own folder).
    public var baseDirectory: String
    public var storePath: String
    public var themes: [Theme]
    public var groups: [StakeholderGroup]
    public var scales: [String: Scale]
    public var questions: [Question]
    public var codebooks: [String: [CodeRule]]
    public var negators: [String]
    public var sources: [SourceSpec]
    public var report: ReportSettings
    /// The folder tree the file's paths must stay in.
    public var tree: FolderTree
    /// Criteria of success the report checks (`targets:`).
    public var targets: [Target] = []
    /// What will happen in response to what was heard (`actions:`), for the report's closing section.
    public var actions: [Action] = []

    public func theme(_ id: String) -> Theme? { themes.first { $0.id == id } }

    /// The waves the sources name, in the order they are first named (the earliest wave first).
    public var waves: [String] {
        var seen: [String] = []
        for s in sources { if let w = s.wave, !seen.contains(w) { seen.append(w) } }
        return seen
    }
    public func question(_ id: String) -> Question? { questions.first { $0.id == id } }

    /// Resolves a path from the consultation file against its folder.
    public func resolve(_ path: String) -> String { joinPath(baseDirectory, path) }
}

/// `base/path`, or `path` itself when it is absolute.
public func joinPath(_ base: String, _ path: String) -> String {
    if base.isEmpty || path.hasPrefix("/") { return path }
    return base.hasSuffix("/") ? base + path : base + "/" + path
}
