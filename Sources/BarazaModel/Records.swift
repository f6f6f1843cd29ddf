import BarazaKit
/// The export platform shape a file was recognised as.
public enum ExportProfile: String, Sendable, Hashable, Codable, CaseIterable {
    case koboToolbox = "kobotoolbox"
    case odk
    case surveyMonkey = "surveymonkey"
    case qualtrics
    case googleForms = "google-forms"
    case limeSurvey = "limesurvey"
    case odkXML = "odk-xml"
    case tripleS = "triple-s"
    case plainCSV = "csv"
}

/// One column of an export: its name as written, and its group path when the platform nests questions.
public struct ColumnHeader: Sendable, Hashable, Codable {
    /// The full header as it appears in the file (e.g. `grp_policy/q01`).
    public var name: String
    /// The last path component (e.g. `q01`).
    public var leaf: String
    /// The group path components before the leaf (e.g. `["grp_policy"]`).
    public var groupPath: [String]
    /// The second header row (SurveyMonkey sub-labels, Qualtrics question text), when present.
    public var subLabel: String?

    public init(name: String, leaf: String? = nil, groupPath: [String] = [], subLabel: String? = nil) {
        self.name = name
        self.leaf = leaf ?? name
        self.groupPath = groupPath
        self.subLabel = subLabel
    }
}

/// One raw record as it came out of a file: values aligned with the reader's headers.
public struct RawRecord: Sendable, Hashable {
    /// The fields as UTF-8 bytes (see `FieldRow`).
    public var fields: FieldRow
    /// Where the record starts in its file.
    public var location: SourceLocation
    public init(values: [String], location: SourceLocation) {
        self.fields = FieldRow(values)
        self.location = location
    }
    public init(fields: FieldRow, location: SourceLocation) {
        self.fields = fields
        self.location = location
    }
    /// The fields as Strings.
    public var values: [String] {
        get { fields.strings }
        set { fields = FieldRow(newValue) }
    }
}

/// A record that could not be used, kept with its reason so nothing the user gave is lost.
public struct RejectedRecord: Sendable, Hashable, Codable {
    public var location: SourceLocation
    public var reason: String
    public var values: [String]
    public init(location: SourceLocation, reason: String, values: [String]) {
        self.location = location
        self.reason = reason
        self.values = values
    }

    /// The reason of a response left out because it was never submitted (LimeSurvey's blank
    /// submit date): kept like a rejected row, counted apart, not a defect of the file.
    public static let incompleteReason = "incomplete response (no submit date)"
}
