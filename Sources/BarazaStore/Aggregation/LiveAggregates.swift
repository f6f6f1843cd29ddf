import BarazaModel
import Foundation
import GRDB
import GRDBSQLite

/// What a report will ask `SQLiteStore.aggregate` for: the cells' dimensions (the group always;
/// the country, the wave when named), the themes' Likert items and the quotes kept per code.
public struct AggregateRequest: Hashable, Sendable {
    public let withCountry: Bool
    public let withWave: Bool
    public let themes: [String: [String]]
    public let quotesPerCode: Int

    public init(by dimensions: [String], themes: [String: [String]], quotesPerCode: Int) {
        withCountry = dimensions.contains("country")
        withWave = dimensions.contains("wave")
        self.themes = themes
        self.quotesPerCode = quotesPerCode
    }

    /// The themes in slot order.
    var themeNames: [String] { themes.keys.sorted() }

    /// Per question index (below `width`), the slot of its theme in `themeNames`, or −1.
    func themeOfQuestion(width: Int, questionIndex: (String) -> Int?) -> [Int] {
        var ofQuestion = [Int](repeating: -1, count: width)
        for (slot, t) in themeNames.enumerated() {
            for q in themes[t] ?? [] { if let i = questionIndex(q), i < width { ofQuestion[i] = slot } }
        }
        return ofQuestion
    }
}

/// The report's tallies kept up to date while batches are written, so that the report after an
/// import need not read the responses back (`SQLiteStore.tallyWhileImporting`).
///
/// A batch is tallied as its rows are written, by the same code as the report's pass
/// (`AggregateScan.tally`), when the tallies stand for the store as it is when the batch starts:
/// the store is empty (and has no person's codes), or it holds exactly what the last batch's
/// tallies saw. They are dropped when the batch marks duplicates or supersedes earlier responses
/// (rows the tallies counted would no longer count), when a row has a weight other than 1 (the
/// pass sums weights in two halves at once, and only sums of ones are the same in any order), when
/// they pass `cellLimit` cells (so the import's memory stays bounded), or when the batch fails. The report uses them only if nothing has written to the store since their
/// batch committed: SQLite's count of rows this connection changed and its `data_version` (which
/// moves when another connection commits) are both as they were then.
struct LiveAggregates {
    /// Past this many cells (group × country × wave) in any request, a batch's live tallies are
    /// dropped and the report reads the store: each cell's closed answers take 256 counts per
    /// question (a quarter MiB at 40 questions), held for the whole import.
    static let cellLimit = 64

    var requests: [AggregateRequest] = []
    /// The tallies of the store's active responses, with the stamp taken when their batch committed.
    var ready: (stamp: Stamp, scans: [(request: AggregateRequest, scan: AggregateScan)])?

    struct Stamp: Equatable {
        var dataVersion: Int64
        var changes: Int64

        static func now(_ db: Database) throws -> Stamp {
            Stamp(
                dataVersion: try Int64.fetchOne(db, sql: "PRAGMA data_version") ?? -1,
                changes: sqlite3_total_changes64(db.sqliteConnection)
            )
        }
    }

    /// Empty tallies for `request`, widened as the batch's names come (`LiveNames`). They count
    /// rows without weighing them (`AggregateScan.countUnitWeights`): only rows that weigh 1 are
    /// tallied live.
    static func empty(_ request: AggregateRequest) -> AggregateScan {
        var scan = AggregateScan(
            width: 1,
            optionWidth: 1,
            codeWidth: 1,
            themeCount: request.themes.count,
            withCountry: request.withCountry,
            withWave: request.withWave,
            quotesPerCode: request.quotesPerCode,
            themeOfQuestion: [-1],
            registry: Registry(),
            person: [:],
            localCodes: [:]
        )
        scan.countUnitWeights()
        return scan
    }
}

/// The names a batch's sink has written (and those the store had), as far as its live tallies need
/// them: the questions' indices, and one past the largest index of each kind.
struct LiveNames {
    private(set) var questionIndex: [String: Int]
    private(set) var questions: Int
    private(set) var options: Int
    private(set) var codes: Int

    init(_ registry: Registry) {
        questionIndex = registry.questionIndex
        questions = (registry.questionName.keys.max() ?? 0) + 1
        options = (registry.optionName.keys.max() ?? 0) + 1
        codes = (registry.codeName.keys.max() ?? 0) + 1
    }

    /// Whether names were noted since the tallies were last widened to them.
    private(set) var changed = true

    mutating func note(_ name: PackedChunk.Name) {
        switch name {
        case .question(let i, let q):
            questionIndex[q] = i
            questions = max(questions, i + 1)
        case .option(let i, _, _): options = max(options, i + 1)
        case .code(let i, _): codes = max(codes, i + 1)
        }
        changed = true
    }

    /// Widens the tallies to every name noted so far, each with its request's themes laid out
    /// over the questions (a theme's question may be among the new names).
    mutating func widen(_ scans: inout [(request: AggregateRequest, scan: AggregateScan)]) {
        guard changed else { return }
        changed = false
        for k in scans.indices {
            let themes = scans[k].request.themeOfQuestion(width: questions) { questionIndex[$0] }
            scans[k].scan.widen(width: questions, optionWidth: options, codeWidth: codes, themeOfQuestion: themes)
        }
    }
}

/// A row of a packed chunk as the tallies read it: what the store's columns will hold once it is
/// inserted (`SQLiteBatchSink.add` binds the same spans: text NULL for a null span, a BLOB NULL
/// for an empty one).
struct PackedRow: ScanRow {
    let arena: UnsafeBufferPointer<UInt8>
    let entry: PackedChunk.Entry
    let id: Int64

    @inline(__always) private func text(_ s: PackedChunk.Span) -> UnsafeBufferPointer<UInt8>? {
        guard s.count >= 0 else { return nil }
        guard s.count > 0, let base = arena.baseAddress else { return UnsafeBufferPointer(start: nil, count: 0) }
        return UnsafeBufferPointer(start: base + s.start, count: s.count)
    }

    @inline(__always) private func blob(_ s: PackedChunk.Span) -> UnsafeBufferPointer<UInt8>? {
        s.count > 0 ? text(s) : nil
    }

    var weight: Double { entry.weight }
    var group: UnsafeBufferPointer<UInt8>? { text(entry.group) }
    var country: UnsafeBufferPointer<UInt8>? { text(entry.country) }
    var wave: UnsafeBufferPointer<UInt8>? { text(entry.wave) }
    var closed: UnsafeBufferPointer<UInt8>? { blob(entry.closed) }
    var chosen: UnsafeBufferPointer<UInt8>? { blob(entry.chosen) }
    var coded: UnsafeBufferPointer<UInt8>? { blob(entry.coded) }
    var submittedAt: Double? { entry.submittedAt }
    func respondentID() -> String { text(entry.respondentID).map { String(decoding: $0, as: UTF8.self) } ?? "" }
}

extension SQLiteStore {
    /// Asks the store to keep the tallies of these report requests up to date while batches are
    /// written, so that a report right after an import (`baraza run`) uses them instead of reading
    /// every response back (see `LiveAggregates` for when they hold). The report is the same
    /// either way; an empty list turns this off.
    public func tallyWhileImporting(_ requests: [AggregateRequest]) {
        live.requests = requests
        live.ready = nil
    }

    /// The tallies a batch starts from: empty ones into an empty store without a person's codes,
    /// the last batch's when nothing has written since, else none. Called before the batch writes.
    func liveStart(_ db: Database) throws -> [(request: AggregateRequest, scan: AggregateScan)]? {
        defer { live.ready = nil }
        guard !live.requests.isEmpty else { return nil }
        if try Bool.fetchOne(
            db,
            sql: "SELECT NOT EXISTS (SELECT 1 FROM responses) AND NOT EXISTS (SELECT 1 FROM person_codes)"
        ) ?? false {
            return live.requests.map { ($0, LiveAggregates.empty($0)) }
        }
        guard let ready = live.ready, try ready.stamp == LiveAggregates.Stamp.now(db),
            ready.scans.map(\.request) == live.requests
        else { return nil }
        return ready.scans
    }

    /// The live tallies for `request`, if they stand for the store as it is now.
    func liveScan(for request: AggregateRequest, _ db: Database) throws -> AggregateScan? {
        guard let ready = live.ready, let found = ready.scans.first(where: { $0.request == request }),
            try ready.stamp == LiveAggregates.Stamp.now(db)
        else { return nil }
        return found.scan
    }
}
