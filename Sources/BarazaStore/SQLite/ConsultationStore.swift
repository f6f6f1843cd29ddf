import BarazaModel

/// What an import knows about a file before reading it.
/// One file of a batch made of many (a folder of submission files), kept so that it is never
/// imported twice.
public struct BatchFile: Sendable, Hashable {
    public var path: String
    public var sha256: String
    public var size: Int64
    public init(path: String, sha256: String, size: Int64) {
        self.path = path
        self.sha256 = sha256
        self.size = size
    }
}

public struct BatchInput: Sendable, Hashable {
    public var path: String
    public var size: Int64
    public var sha256: String
    public var format: String
    public var wave: String?
    public var country: String?
    public var importedAt: String
    /// The files of a batch read from many (empty for a batch of one file, whose digest is the batch's).
    public var files: [BatchFile]
    public init(
        path: String,
        size: Int64,
        sha256: String,
        format: String,
        wave: String?,
        country: String?,
        importedAt: String,
        files: [BatchFile] = []
    ) {
        self.path = path
        self.size = size
        self.sha256 = sha256
        self.format = format
        self.wave = wave
        self.country = country
        self.importedAt = importedAt
        self.files = files
    }
}

/// Counts a batch writer reports when it is done.
public struct BatchCounts: Sendable, Hashable {
    public var records = 0
    public var rejected = 0
    public var unknownLabels: [String: [String: Int]] = [:]
    public var unmappedGroups: [String: Int] = [:]
    public init() {}
}

/// Where a write to the store failed.
public enum StoreError: Error, Sendable, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    case noSuchBatch(Int64)
    case database(String)
    /// A registry index past what its packed field holds (65,535 questions, 2³² options or codes).
    case tooManyNames(Int)
    /// A report that would build more cells than it may (see `AggregateScan.cellLimit`).
    case tooManyCells(String)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason): "\(path): cannot open store: \(reason)"
        case .noSuchBatch(let id): "no batch \(id) in the store"
        case .database(let m): "store: \(m)"
        case .tooManyNames(let i): "store: name index \(i) does not fit its packed field (at most 65,535 questions)"
        case .tooManyCells(let m): m
        }
    }
}

/// Receives one batch's content inside the import transaction: its responses, the records that
/// could not be read, the problems met, and the file's digest when it was computed while reading.
/// (The SQLite store's sink also takes responses packed on other threads: `SQLiteBatchSink`.)
public protocol BatchSink {
    mutating func add(_ response: Response) throws
    mutating func reject(_ record: RejectedRecord) throws
    mutating func record(_ diagnostic: Diagnostic) throws
    /// Sets the batch's file digest and size, when they were computed while the file was read
    /// (the batch was started with a placeholder digest).
    mutating func setDigest(_ sha256: String, size: Int64) throws
}

/// The consultation's ledger of batches and responses. SQLite (`SQLiteStore`) now; the protocol
/// leaves room for a PostgreSQL store for teams.
public protocol ConsultationStore {
    func batch(sha256: String) throws -> BatchRecord?
    /// Of these file digests, those already in the store (a batch's own, or a file of a batch of many).
    func importedDigests(_ digests: [String]) throws -> Set<String>
    /// Whether a batch has a file of this size (only then can a file of that size be one imported
    /// before, and its digest is needed before the import).
    func hasBatch(size: Int64) throws -> Bool
    func batches() throws -> [BatchRecord]
    /// Imports one batch in one transaction: all or nothing.
    func importBatch(_ input: BatchInput, _ body: (inout any BatchSink) throws -> BatchCounts) throws -> BatchRecord
    /// Removes a batch and everything it brought, restoring what it had superseded.
    func rollback(batch id: Int64) throws -> BatchRecord
    /// Frequency tables for analysis. `themes` maps each theme to its Likert items.
    func aggregate(by dimensions: [String], themes: [String: [String]], quotesPerCode: Int) throws -> AggregatedData
}
