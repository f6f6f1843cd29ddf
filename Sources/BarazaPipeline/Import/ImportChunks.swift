import BarazaKit
import BarazaCoding
import BarazaFiles
import BarazaIngest
import BarazaModel
import BarazaStore
import Foundation

/// What goes between the import's threads: chunks of records as read, and chunks coded and packed.
extension ImportJob {
    /// Up to `chunkSize` records as the reader handed them over: the usable ones in order, in one
    /// arena, and those it rejected (which go to the rejects file as they are).
    ///
    /// The usable records' fields lie one after the other in `bytes`, each record's field ends
    /// counted from its own start: a chunk is a handful of allocations, not two per record, and the
    /// coder is lent each record where it lies (`FieldView`). A `RawRecord` per record, made on the
    /// reading thread and freed on a coding worker, cost an allocation, a free across threads and
    /// about ten retains and releases per record.
    struct RecordChunk: Sendable {
        private(set) var bytes: [UInt8] = []
        private(set) var ends: [Int] = []
        /// Per record: where its raw record (`RawFields`' encoding: the field count and lengths,
        /// then the fields' bytes), its fields' bytes and its field ends start in `bytes` and `ends`.
        private(set) var starts: [(raw: Int, byte: Int, end: Int)] = []
        /// Per record: its file (an index in `files`), line and column.
        private(set) var places: [(file: Int, line: Int, column: Int)] = []
        /// The files the records come from: copies of the reader's path Strings made for this chunk,
        /// so that the thread coding it is the only one to retain and release them.
        private(set) var files: [String] = []
        /// The reader's String for `files.last`, to tell the next record's file by identity; or
        /// `files.last` is the reader's path (records lent without a file of their own).
        private var lastFile: String?
        private var lastIsReaders = false
        var rejected: [RejectedRecord] = []
        var count: Int { starts.count + rejected.count }

        init() {
            starts.reserveCapacity(ImportJob.chunkSize)
            places.reserveCapacity(ImportJob.chunkSize)
        }

        /// An empty chunk with room for as many bytes and fields as `other` holds (up to 16 MiB, so
        /// that one huge record does not make every later chunk hold as much).
        init(sizedLike other: RecordChunk) {
            self.init()
            bytes.reserveCapacity(min(other.bytes.count, 16 << 20))
            ends.reserveCapacity(min(other.ends.count, 1 << 20))
        }

        /// `other` emptied, its arrays' storage kept (up to 4 MiB of bytes, so that the spares
        /// waiting to be filled hold at most that much each: after chunks of huge records, the
        /// storage is not kept).
        init(emptying other: consuming RecordChunk) {
            if other.bytes.capacity > 4 << 20 || other.ends.capacity > 1 << 19 {
                self.init()
                return
            }
            self = consume other
            bytes.removeAll(keepingCapacity: true)
            ends.removeAll(keepingCapacity: true)
            starts.removeAll(keepingCapacity: true)
            places.removeAll(keepingCapacity: true)
            files.removeAll(keepingCapacity: true)
            lastFile = nil
            lastIsReaders = false
            rejected.removeAll()
        }

        /// Appends a record read at `line` and `column` of `file` (nil: of `readerPath`).
        mutating func append(_ fields: FieldView, line: Int, column: Int, file name: String?, readerPath: String) {
            if let name {
                if lastIsReaders || lastFile != name {
                    files.append(String(decoding: Array(name.utf8), as: UTF8.self))
                    lastFile = name
                    lastIsReaders = false
                }
            } else if !lastIsReaders {
                files.append(String(decoding: Array(readerPath.utf8), as: UTF8.self))
                lastFile = nil
                lastIsReaders = true
            }
            let file = files.count - 1
            let raw = bytes.count
            RawFields.appendHeader(fields, to: &bytes)
            starts.append((raw, bytes.count, ends.count))
            places.append((file, line, column))
            bytes.append(contentsOf: fields.bytes)
            ends.append(contentsOf: fields.ends)
        }

        /// Lends the records' raw records to `body`, one per record, in order.
        func withRawRecords<R>(_ body: (RawRecords) throws -> R) rethrows -> R {
            let spans = starts.indices.map { k in
                starts[k].raw..<(k + 1 < starts.count ? starts[k + 1].raw : bytes.count)
            }
            return try bytes.withUnsafeBufferPointer { try body(RawRecords(bytes: $0, spans: spans)) }
        }

        /// Lends each record's fields to `body`, in order, with where it was read. One location,
        /// its file set when it changes: made per record, it retained and released the file's
        /// String each time.
        func forEachRecord(_ body: (FieldView, SourceLocation) -> Void) {
            var location = SourceLocation(file: "", line: 0, column: 0)
            var file = -1
            bytes.withUnsafeBufferPointer { b in
                ends.withUnsafeBufferPointer { e in
                    for k in starts.indices {
                        let s = starts[k]
                        let next = k + 1 < starts.count ? starts[k + 1] : (raw: b.count, byte: b.count, end: e.count)
                        let place = places[k]
                        if place.file != file {
                            file = place.file
                            location.file = files[file]
                        }
                        location.line = place.line
                        location.column = place.column
                        body(
                            FieldView(
                                bytes: UnsafeBufferPointer(rebasing: b[s.byte..<next.raw]),
                                ends: UnsafeBufferPointer(rebasing: e[s.end..<next.end])
                            ),
                            location
                        )
                    }
                }
            }
        }
    }

    /// A chunk of records coded and packed: the responses, the records rejected, what coding said.
    struct CodedChunk: Sendable {
        var packed = PackedChunk()
        /// The records it was coded from: their raw records are written from here.
        var source = RecordChunk()
        var rejected: [RejectedRecord] = []
        var records = 0
        var diagnostics = Diagnostics()
    }
}
