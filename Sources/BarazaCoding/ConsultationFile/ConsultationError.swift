import BarazaModel

/// A consultation file that cannot be used, with the place to fix it.
public struct ConsultationError: Error, Sendable, CustomStringConvertible, Equatable {
    public enum Kind: String, Sendable, Equatable {
        case unreadable, syntax, unsupportedVersion, missingKey, wrongType, unknownTheme, unknownScale, unknownCodebook,
            duplicateQuestion, scaleGap, columnClaimedTwice, globMatchesNothing, invalidValue, outsideTree
    }
    public var kind: Kind
    public var message: String
    public var location: SourceLocation
    public var expected: String?

    public init(_ kind: Kind, _ message: String, at location: SourceLocation, expected: String? = nil) {
        self.kind = kind
        self.message = message
        self.location = location
        self.expected = expected
    }

    public var description: String { "\(location): error: \(message)" + (expected.map { " (expected \($0))" } ?? "") }
}
