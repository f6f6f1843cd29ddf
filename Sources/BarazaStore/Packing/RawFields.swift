import BarazaKit
import BarazaModel
import Foundation
import GRDB

/// A raw record as the `records` table keeps it: its fields' bytes as read, whole. New rows hold a
/// BLOB: the field count and each field's length (LEB128 varints), then the fields' bytes one
/// after the other. Rows written before hold a TEXT: a JSON array of strings. Both are read back
/// (`fields(of:)`).
///
/// Lengths and bytes rather than JSON: the JSON form escaped every record in a scratch buffer and
/// copied it into the chunk, on the coding workers where both cores are busy.
package enum RawFields {
    /// Appends the record's encoding to `out`.
    static func write(_ row: FieldView, to out: inout [UInt8]) {
        appendHeader(row, to: &out)
        out.append(contentsOf: row.bytes)
    }

    /// Appends the encoding's header (the field count and lengths): followed by the fields' bytes,
    /// the record's encoding (a reader's chunk keeps its records so: see `RawRecords`).
    ///
    /// Written into room on the stack and appended at once: appended byte by byte, each with its
    /// capacity and uniqueness checks, it was 6% of the CSV reading thread's samples.
    package static func appendHeader(_ row: FieldView, to out: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 10 * (row.count + 1)) { room in
            guard let base = room.baseAddress else { return }
            var n = 0
            @inline(__always) func put(_ value: Int) {
                var v = UInt64(max(0, value))
                while v >= 0x80 {
                    base[n] = UInt8(truncatingIfNeeded: v) | 0x80
                    n += 1
                    v >>= 7
                }
                base[n] = UInt8(v)
                n += 1
            }
            put(row.count)
            var start = 0
            for end in row.ends {
                put(end - start)
                start = end
            }
            out.append(contentsOf: UnsafeBufferPointer(start: base, count: n))
        }
    }

    static func appendVarint(_ value: Int, to out: inout [UInt8]) {
        var v = UInt64(max(0, value))
        while v >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }

    /// The fields of an encoding, or nil when the bytes are not one (cut short, a length past the
    /// end, bytes left over).
    static func decode(_ b: [UInt8]) -> [String]? {
        var i = 0
        func varint() -> Int? {
            var v: UInt64 = 0
            var shift: UInt64 = 0
            while i < b.count, shift < 63 {
                let byte = b[i]
                i += 1
                v |= UInt64(byte & 0x7F) << shift
                if byte < 0x80 { return v <= UInt64(Int.max) ? Int(v) : nil }
                shift += 7
            }
            return nil
        }
        guard let count = varint(), count <= b.count else { return nil }
        var lengths: [Int] = []
        lengths.reserveCapacity(count)
        for _ in 0..<count {
            guard let n = varint() else { return nil }
            lengths.append(n)
        }
        var fields: [String] = []
        fields.reserveCapacity(count)
        for n in lengths {
            guard n <= b.count - i else { return nil }
            fields.append(String(decoding: b[i..<(i + n)], as: UTF8.self))
            i += n
        }
        return i == b.count ? fields : nil
    }

    /// The fields of a stored raw record: a BLOB in this encoding or, from before it, a JSON array.
    static func fields(of value: DatabaseValue) -> [String]? {
        switch value.storage {
        case .blob(let data): decode([UInt8](data))
        case .string(let json): try? JSONDecoder().decode([String].self, from: Data(json.utf8))
        default: nil
        }
    }
}

/// The raw records of a packed chunk kept where the reader put them, in `RawFields`' encoding:
/// entry k's is `bytes[spans[k]]`. Lent to `BatchSink.add(_:raw:)` for the call: the records'
/// bytes are bound from there, not copied into the packed chunk first (a copy of each record,
/// a kilobyte or two, on the coding workers, and a packed chunk several times the size for the
/// writer to read).
package struct RawRecords {
    package let bytes: UnsafeBufferPointer<UInt8>
    package let spans: [Range<Int>]
    package init(bytes: UnsafeBufferPointer<UInt8>, spans: [Range<Int>]) {
        self.bytes = bytes
        self.spans = spans
    }
}
