import BarazaKit
import BarazaModel
internal import CBarazaText
import Foundation
import GRDB
import GRDBSQLite
internal import CSQLiteSetup

/// A JSON array of strings, written byte by byte: JSONEncoder, then a String-appending version,
/// were each a fifth of import time in profiles. A rejected row's fields are kept so; raw records
/// were, before `RawFields`.
enum RawJSON {
    static func encode(_ values: [String]) -> String {
        var out: [UInt8] = []
        write(FieldRow(values), to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the JSON array's UTF-8 bytes to `out` (when raw records were JSON, a chunk's whole
    /// arena, left to grow geometrically: reserving exactly what each record needs made it
    /// reallocate more often).
    ///
    /// A record whose longest possible JSON (every byte a six-byte escape) fits `scratchLimit` is
    /// written into `scratch` (kept by the caller, grown to the largest such record) and copied
    /// onto `out`. A larger one has its exact length counted first (`baraza_json_array_length`),
    /// `out` grows by that much, and it is written in place: so one huge field never needs six
    /// times its size. Counting each record first and growing `out` by zeros to write over cost more
    /// than the scratch buffer's copy.
    static func write(_ row: FieldView, to out: inout [UInt8], scratch: inout [UInt8], scratchLimit: Int = 1 << 20) {
        let empty: UInt8 = 0
        withUnsafePointer(to: empty) { nothing in
            let p = row.bytes
            let ends = row.ends
            let bytes = p.baseAddress ?? nothing
            let worst = 6 * p.count + 3 * ends.count + 2 + 16
            if worst <= scratchLimit {
                if scratch.count < worst { scratch = [UInt8](repeating: 0, count: max(worst, 2 * scratch.count)) }
                scratch.withUnsafeMutableBufferPointer { s in
                    guard let base = s.baseAddress else { return }
                    let written = baraza_json_array(bytes, ends.baseAddress, ends.count, base)
                    out.append(contentsOf: UnsafeBufferPointer(start: base, count: written))
                }
                return
            }
            let length = baraza_json_array_length(bytes, ends.baseAddress, ends.count)
            let start = out.count
            out.append(contentsOf: repeatElement(0, count: length + 16))
            let written = out.withUnsafeMutableBufferPointer { o in
                o.baseAddress.map { baraza_json_array(bytes, ends.baseAddress, ends.count, $0 + start) } ?? 0
            }
            precondition(written == length, "JSON length counted \(length), written \(written)")
            out.removeLast(16)
        }
    }

    static func write(_ row: FieldRow, to out: inout [UInt8], scratch: inout [UInt8], scratchLimit: Int = 1 << 20) {
        row.withView { write($0, to: &out, scratch: &scratch, scratchLimit: scratchLimit) }
    }

    /// `write` with a scratch buffer of its own.
    static func write(_ row: FieldRow, to out: inout [UInt8], scratchLimit: Int = 1 << 20) {
        var scratch: [UInt8] = []
        row.withView { write($0, to: &out, scratch: &scratch, scratchLimit: scratchLimit) }
    }
}

/// A prepared statement bound and stepped through SQLite's C API. Spans bind bytes of `arena`
/// without a copy (SQLITE_STATIC: the arena outlives the step, which resets the statement).
struct RawStatement {
    let handle: OpaquePointer
    let arena: UnsafeBufferPointer<UInt8>
    init(_ handle: OpaquePointer, arena: UnsafeBufferPointer<UInt8>) {
        self.handle = handle
        self.arena = arena
    }

    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    func bind(_ i: Int32, _ v: Int64) { sqlite3_bind_int64(handle, i, v) }
    func bind(_ i: Int32, _ v: Double?) {
        if let v { sqlite3_bind_double(handle, i, v) } else { sqlite3_bind_null(handle, i) }
    }
    /// Binds the span's bytes as TEXT (NULL for a null span).
    func bindText(_ i: Int32, _ span: PackedChunk.Span) {
        guard span.count >= 0 else {
            sqlite3_bind_null(handle, i)
            return
        }
        guard span.count > 0, let base = arena.baseAddress else {
            sqlite3_bind_text(handle, i, "", 0, Self.transient)  // an empty string, not NULL
            return
        }
        precondition(span.start + span.count <= arena.count)
        UnsafeRawPointer(base + span.start)
            .withMemoryRebound(to: CChar.self, capacity: span.count) {
                _ = sqlite3_bind_text(handle, i, $0, Int32(span.count), nil)
            }
    }
    /// Binds bytes that outlive the step (another arena's) as a BLOB, or NULL when there are none.
    func bindBlob(_ i: Int32, _ bytes: UnsafeBufferPointer<UInt8>) {
        guard let base = bytes.baseAddress, bytes.count > 0 else {
            sqlite3_bind_null(handle, i)
            return
        }
        sqlite3_bind_blob(handle, i, UnsafeRawPointer(base), Int32(bytes.count), nil)
    }
    /// Binds the span's bytes as a BLOB, or NULL for a null or empty span.
    func bindBlob(_ i: Int32, _ span: PackedChunk.Span) {
        guard span.count > 0, let base = arena.baseAddress else {
            sqlite3_bind_null(handle, i)
            return
        }
        precondition(span.start + span.count <= arena.count)
        sqlite3_bind_blob(handle, i, UnsafeRawPointer(base + span.start), Int32(span.count), nil)
    }
    func clearBindings() { sqlite3_clear_bindings(handle) }
    /// Steps and resets the statement; its bindings stay until `clearBindings`.
    func step(_ db: Database) throws {
        let rc = sqlite3_step(handle)
        sqlite3_reset(handle)
        guard rc == SQLITE_DONE else {
            throw DatabaseError(
                resultCode: ResultCode(rawValue: rc),
                message: String(cString: sqlite3_errmsg(db.sqliteConnection))
            )
        }
    }
}

/// Starts the write-back of the store's dirty pages while a batch is written, a quarter second at
/// a time, on a thread of its own (`sync_file_range`, asynchronous): otherwise the kernel writes
/// the whole store back only at the commit's `fdatasync`, gigabytes after a large import, on the
/// import's one thread at its end.
final class EarlyWriteback: @unchecked Sendable {
    private let condition = NSCondition()
    private var stopped = false
    private var done = false

    init(path: String) {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            done = true
            return
        }
        let thread = Thread { [self] in
            condition.lock()
            while !stopped {
                condition.unlock()
                _ = baraza_start_writeback(fd)
                condition.lock()
                if !stopped { _ = condition.wait(until: Date().addingTimeInterval(0.25)) }
            }
            close(fd)
            done = true
            condition.broadcast()
            condition.unlock()
        }
        thread.stackSize = 1 << 18
        thread.start()
    }

    /// Stops it and waits for its thread to finish, two seconds at most: on a congested disk a
    /// write-back call can block for a minute, and the import must not wait behind it (the thread
    /// then closes its descriptor when the call returns).
    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        let deadline = Date().addingTimeInterval(2)
        while !done && condition.wait(until: deadline) {}
        condition.unlock()
    }
}
