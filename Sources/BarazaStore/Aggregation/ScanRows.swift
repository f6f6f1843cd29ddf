import BarazaKit
import BarazaModel
import Foundation
import GRDB
import GRDBSQLite

/// One active response as `AggregateScan.tally` reads it: its columns' bytes (nil for NULL). The
/// respondent id is asked for only when it can matter (a quote's tie, a person's codes).
protocol ScanRow {
    var id: Int64 { get }
    var weight: Double { get }
    var group: UnsafeBufferPointer<UInt8>? { get }
    var country: UnsafeBufferPointer<UInt8>? { get }
    var wave: UnsafeBufferPointer<UInt8>? { get }
    var closed: UnsafeBufferPointer<UInt8>? { get }
    var chosen: UnsafeBufferPointer<UInt8>? { get }
    var coded: UnsafeBufferPointer<UInt8>? { get }
    /// When the response was submitted (seconds since 1970), when the export says.
    var submittedAt: Double? { get }
    func respondentID() -> String
}

/// The current row of the report's pass (`AggregateScan.scan`), read through SQLite's C API
/// column by column as the tally asks for it.
struct StoredRow: ScanRow {
    let statement: OpaquePointer

    @inline(__always) private func column(_ i: Int32) -> UnsafeBufferPointer<UInt8>? {
        if sqlite3_column_type(statement, i) == SQLITE_NULL { return nil }
        let p = sqlite3_column_blob(statement, i)
        let n = Int(sqlite3_column_bytes(statement, i))
        guard let p, n > 0 else { return UnsafeBufferPointer(start: nil, count: 0) }
        return UnsafeBufferPointer(start: p.assumingMemoryBound(to: UInt8.self), count: n)
    }

    var id: Int64 { sqlite3_column_int64(statement, 0) }
    var weight: Double { sqlite3_column_double(statement, 5) }
    var group: UnsafeBufferPointer<UInt8>? { column(2) }
    var country: UnsafeBufferPointer<UInt8>? { column(3) }
    var wave: UnsafeBufferPointer<UInt8>? { column(4) }
    var closed: UnsafeBufferPointer<UInt8>? { column(6) }
    var chosen: UnsafeBufferPointer<UInt8>? { column(7) }
    var coded: UnsafeBufferPointer<UInt8>? { column(8) }
    var submittedAt: Double? {
        sqlite3_column_type(statement, 9) == SQLITE_NULL ? nil : sqlite3_column_double(statement, 9)
    }
    func respondentID() -> String { column(1).map { String(decoding: $0, as: UTF8.self) } ?? "" }
}

/// The values a pass met past `AggregateScan.cellLimit` cells.
struct CellOverflow: Sendable {
    var groups = Set<String>(), countries = Set<String>(), waves = Set<String>()

    func adding(_ key: CellKey) -> CellOverflow {
        var o = self
        if let g = key.group { o.groups.insert(g) }
        if let c = key.country { o.countries.insert(c) }
        if let w = key.wave { o.waves.insert(w) }
        return o
    }

    mutating func formUnion(_ other: CellOverflow) {
        groups.formUnion(other.groups)
        countries.formUnion(other.countries)
        waves.formUnion(other.waves)
    }
}

extension AggregateScan {
    /// Why the report cannot be built from this pass (too many cells), naming the dimension with
    /// the most distinct values; nil when it can.
    func cellLimitProblem() -> String? {
        guard overflow != nil || cells.count > Self.cellLimit else { return nil }
        var all = overflow ?? CellOverflow()
        for key in cells { all = all.adding(key) }
        let counts = [
            ("country", all.countries.count, "a source's country_column"),
            ("wave", all.waves.count, "the sources' wave"), ("group", all.groups.count, "a source's group_column"),
        ]
        let worst = counts.max { $0.1 < $1.1 } ?? counts[0]
        return "the report would need more than \(Self.cellLimit) cells (group × country × wave): the \(worst.0) has "
            + "\(worst.1) distinct values; check \(worst.2) (a free-text column?), or report without --by \(worst.0)"
    }
}
