import BarazaKit
import BarazaModel
internal import CBarazaText
import GRDB

/// Whether a batch written into an empty store repeats a respondent id, found without the
/// respondent index: the ids go through a blocked Bloom filter as they are written
/// (`baraza_filter_add`), and those it cannot rule out as repeats are kept as candidates. A repeat
/// is always among them; so are the filter's false positives, told apart at the end by counting the
/// candidates' rows (`repeats`). Into an empty store most batches repeat no id, and then the
/// respondent index is not needed by the batch at all (see `SQLiteStore.writeBatch`).
///
/// Memory is bounded whatever the batch's size: the filter at most 8 MiB (sized from the file's
/// bytes), the candidates at most `candidateLimit` ids and `candidateBytesLimit` bytes. Past those
/// the filter gives up (`overflowed`) and the caller checks the exact way, through the index.
struct RepeatFilter {
    private var words: [UInt64]
    private let blocks: Int
    private var hashes: [UInt64] = []
    private var seen: [UInt8] = []
    /// The ids that may repeat, by hash (`ByteMemo.hash`), each once.
    private(set) var candidates: [UInt64: [[UInt8]]] = [:]
    private(set) var candidateCount = 0
    private var candidateBytes = 0
    /// More candidates than the limits allow: `repeats` cannot answer.
    private(set) var overflowed = false
    private let candidateLimit: Int

    static let candidateLimit = 1 << 16
    static let candidateBytesLimit = 8 << 20
    /// Blocks (64 bytes each) at least and at most.
    static let minBlocks = 64
    static let maxBlocks = 1 << 17

    /// A filter for about `expectedIDs` ids: sixteen bits an id (a power of two of blocks between
    /// `minBlocks` and `maxBlocks`), or `blocks` (rounded up to a power of two) when given; tests
    /// give a tiny filter and candidate limit, to meet false positives and overflow.
    init(expectedIDs: Int, blocks: Int? = nil, candidateLimit: Int = Self.candidateLimit) {
        self.candidateLimit = candidateLimit
        var n = Self.minBlocks
        while n < Self.maxBlocks && n * 512 < 16 * expectedIDs { n *= 2 }
        if let blocks {
            n = 1
            while n < max(1, blocks) { n *= 2 }
        }
        self.blocks = n
        words = [UInt64](repeating: 0, count: 8 * n)
    }

    /// The filter's size in bytes.
    var byteCount: Int { 8 * words.count }

    /// Adds the ids (`count` of them, each `id(i)`: a span of `arena`), keeping those it may have
    /// seen before as candidates.
    mutating func add(_ count: Int, arena: UnsafeBufferPointer<UInt8>, id: (Int) -> PackedChunk.Span) {
        guard count > 0, !overflowed else { return }
        // An id's bytes in the arena (none for an empty id, also when the arena itself is empty).
        func bytes(_ i: Int) -> UnsafeBufferPointer<UInt8> {
            let s = id(i)
            guard let base = arena.baseAddress, s.count > 0 else { return UnsafeBufferPointer(start: nil, count: 0) }
            return UnsafeBufferPointer(start: base + s.start, count: s.count)
        }
        hashes.removeAll(keepingCapacity: true)
        for i in 0..<count { hashes.append(ByteMemo<Int>.hash(bytes(i))) }
        if seen.count < count { seen = [UInt8](repeating: 0, count: count) }
        let blocks = self.blocks
        words.withUnsafeMutableBufferPointer { w in
            hashes.withUnsafeBufferPointer { h in
                seen.withUnsafeMutableBufferPointer { s in
                    guard let wb = w.baseAddress, let hb = h.baseAddress, let sb = s.baseAddress else { return }
                    baraza_filter_add(wb, blocks, hb, count, sb)
                }
            }
        }
        for i in 0..<count where seen[i] != 0 {
            let bytes = Array(bytes(i))
            if candidates[hashes[i], default: []].contains(bytes) { continue }
            candidates[hashes[i], default: []].append(bytes)
            candidateCount += 1
            candidateBytes += bytes.count
            if candidateCount > candidateLimit || candidateBytes > Self.candidateBytesLimit {
                overflowed = true
                candidates = [:]
                return
            }
        }
    }

    /// Whether a candidate id is on two rows of `responses` (read whole: the batch is the store's
    /// only one). Nil when the filter overflowed. No candidates: false without reading.
    func repeats(_ db: Database) throws -> Bool? {
        if overflowed { return nil }
        if candidates.isEmpty { return false }
        var rows: [UInt64: [Int]] = [:]
        return try SQLiteStore.firstText(db, sql: "SELECT respondent_id FROM responses") { id in
            let key = ByteMemo<Int>.hash(id)
            guard let list = candidates[key], let k = list.firstIndex(where: { $0.elementsEqual(id) }) else {
                return false
            }
            var counts = rows[key] ?? [Int](repeating: 0, count: list.count)
            counts[k] += 1
            rows[key] = counts
            return counts[k] > 1
        }
    }
}
