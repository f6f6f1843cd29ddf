/// A record's fields as UTF-8 bytes in one buffer, with each field's end offset.
///
/// The import path reads, codes and stores records without making one `String` per field:
/// allocation, retain/release and hashing of per-field Strings were the largest share of import
/// time. `strings` gives the fields as Strings where a
/// caller wants them.
public struct FieldRow: Sendable, Hashable {
    /// The fields' bytes, one after the other (valid UTF-8).
    public private(set) var bytes: [UInt8] = []
    /// End offset in `bytes` of each field.
    public private(set) var ends: [Int] = []

    public init() {}

    /// An empty row with room for `bytes` bytes in `fields` fields.
    public init(byteCapacity: Int, fieldCapacity: Int) {
        bytes.reserveCapacity(byteCapacity)
        ends.reserveCapacity(fieldCapacity)
    }

    public init(_ strings: [String]) {
        bytes.reserveCapacity(strings.reduce(0) { $0 + $1.utf8.count })
        ends.reserveCapacity(strings.count)
        for s in strings { append(s) }
    }

    /// A row of the given bytes and field ends (ascending, the last one `bytes.count`).
    public init(bytes: [UInt8], ends: [Int]) {
        assert(
            ends.last ?? 0 == bytes.count && zip(ends, ends.dropFirst()).allSatisfy { $0 <= $1 },
            "field ends out of order"
        )
        self.bytes = bytes
        self.ends = ends
    }

    public var count: Int { ends.count }
    public var isEmpty: Bool { ends.isEmpty }

    public mutating func append(_ s: String) {
        bytes.append(contentsOf: s.utf8)
        ends.append(bytes.count)
    }

    /// Appends bytes to the field being built (closed by `endField`).
    public mutating func appendBytes(_ p: UnsafeBufferPointer<UInt8>) { bytes.append(contentsOf: p) }
    public mutating func appendByte(_ b: UInt8) { bytes.append(b) }
    /// Closes the field being built.
    public mutating func endField() { ends.append(bytes.count) }
    /// Drops the bytes after the first `n` (of the field being read; ended fields stay whole).
    public mutating func dropBytes(after n: Int) { bytes.removeSubrange(n...) }
    /// Appends whole fields at once: their bytes, one after the other, and each one's end counted
    /// from the start of `fieldBytes`.
    public mutating func appendFields(
        _ fieldBytes: UnsafeBufferPointer<UInt8>,
        ends fieldEnds: UnsafeBufferPointer<Int>
    ) {
        let base = bytes.count
        bytes.append(contentsOf: fieldBytes)
        if base == 0 { ends.append(contentsOf: fieldEnds) } else { for e in fieldEnds { ends.append(base + e) } }
    }

    public mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
    }

    /// Keeps the first `n` fields.
    public mutating func truncate(to n: Int) {
        guard n < ends.count else { return }
        bytes.removeLast(bytes.count - (n == 0 ? 0 : ends[n - 1]))
        ends.removeLast(ends.count - n)
    }

    /// Adds blank fields until there are `n`.
    public mutating func pad(to n: Int) { while ends.count < n { ends.append(bytes.count) } }

    @inlinable public func range(_ i: Int) -> Range<Int> { (i == 0 ? 0 : ends[i - 1])..<ends[i] }

    public func isBlank(_ i: Int) -> Bool { range(i).isEmpty }

    public func string(_ i: Int) -> String {
        bytes.withUnsafeBufferPointer { p in
            let r = range(i)
            return String(decoding: UnsafeBufferPointer(rebasing: p[r]), as: UTF8.self)
        }
    }

    public var strings: [String] { (0..<count).map(string) }

    /// Calls `body` with field `i`'s bytes.
    @inlinable public func withField<R>(_ i: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        let r = range(i)
        return try bytes.withUnsafeBufferPointer { p in try body(UnsafeBufferPointer(rebasing: p[r])) }
    }
}

/// A record's fields lent, not owned: the bytes and field ends of a `FieldRow`, or of one record
/// in a chunk of many, valid only while whoever lends them keeps the memory (the span of a
/// `withView` call; from `ResponseSink.begin` to `end`). The import path hands records to the coder
/// and the packer this way: a `FieldRow` per record was two allocations, an array copy per field
/// read, and retains and releases at every hand-over (perf: with the copies into them, about a
/// third of the reading thread and a tenth of the coding workers).
public struct FieldView: @unchecked Sendable {
    /// The fields' bytes, one after the other.
    public let bytes: UnsafeBufferPointer<UInt8>
    /// Each field's end, counted from the start of `bytes`.
    public let ends: UnsafeBufferPointer<Int>

    @inlinable public init(bytes: UnsafeBufferPointer<UInt8>, ends: UnsafeBufferPointer<Int>) {
        self.bytes = bytes
        self.ends = ends
    }

    /// No fields.
    public static let empty = FieldView(
        bytes: UnsafeBufferPointer(start: nil, count: 0),
        ends: UnsafeBufferPointer(start: nil, count: 0)
    )

    @inlinable public var count: Int { ends.count }
    @inlinable public var isEmpty: Bool { ends.isEmpty }
    @inlinable public func range(_ i: Int) -> Range<Int> { (i == 0 ? 0 : ends[i - 1])..<ends[i] }
    @inlinable public func isBlank(_ i: Int) -> Bool { range(i).isEmpty }

    /// Calls `body` with field `i`'s bytes.
    @inlinable public func withField<R>(_ i: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(rebasing: bytes[range(i)]))
    }

    public func string(_ i: Int) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[range(i)]), as: UTF8.self)
    }
    public var strings: [String] { (0..<count).map(string) }
}

extension FieldRow {
    /// Lends the row as a `FieldView` for the span of `body`.
    @inlinable public func withView<R>(_ body: (FieldView) throws -> R) rethrows -> R {
        try bytes.withUnsafeBufferPointer { b in
            try ends.withUnsafeBufferPointer { e in try body(FieldView(bytes: b, ends: e)) }
        }
    }

    /// A row of its own with a view's fields.
    public init(_ view: FieldView) { self.init(bytes: Array(view.bytes), ends: Array(view.ends)) }
}

/// A small open-addressing hash table from byte strings to values, for the memo caches of the
/// import path (label → code, word → tokens). Keys live in one arena, so a look-up allocates
/// nothing, and the hash is a fast multiplicative one rather than the standard library's seeded
/// SipHash, which was 7% of import samples when Strings were the keys. Holds at most `limit`
/// entries; past that, `insert` declines and callers compute without caching.
public struct ByteMemo<Value: Sendable>: Sendable {
    /// Per slot: the high 32 bits of the key's hash, then entry + 1 (0: empty). A probe compares
    /// the hash in the slot it reads and looks at the key only when that matches.
    @usableFromInline var slots: [UInt64]
    @usableFromInline var hashes: [UInt64] = []
    @usableFromInline var starts: [Int] = []
    @usableFromInline var arena: [UInt8] = []
    @usableFromInline var _values: [Value] = []
    public let limit: Int
    public let arenaLimit: Int
    /// With `byLength`: per key length under 32, the entry last looked up or added with that
    /// length (-1: none), tried before the hash table. Scale labels, group names and countries
    /// mostly differ in length (the workload's seven Likert labels all do), so a look-up is one
    /// comparison; for keys that often share lengths (word runs, option sets) it would miss and
    /// is off.
    @usableFromInline var recent: [Int32]

    /// With `shortKeySlotBits`: a direct-mapped table of 2^bits slots from keys of up to 24 bytes to
    /// their entries (`ShortKeySlots`), tried before anything else. For keys that share lengths
    /// (a record's country, a choice field's option set), where the hash and the comparison's
    /// branches were 2.5% of the import's samples.
    @usableFromInline var front: ShortKeySlots

    public init(limit: Int = 1 << 16, arenaLimit: Int = 4 << 20, byLength: Bool = false, shortKeySlotBits: Int? = nil) {
        self.limit = limit
        self.arenaLimit = arenaLimit
        slots = Array(repeating: 0, count: 64)
        recent = byLength ? Array(repeating: -1, count: 32) : []
        front = ShortKeySlots(bits: shortKeySlotBits ?? 0)
    }

    /// `find`, trying the short-key table (see `front`), then the entry last found or added with
    /// the key's length (see `recent`) first.
    @inlinable mutating func findRecent(_ key: UnsafeBufferPointer<UInt8>) -> Int? {
        guard front.bits > 0 else { return findByLength(key) }
        if let e = front.value(key) { return e }
        let e = findByLength(key)
        if let e { front.set(key, e) }
        return e
    }

    @inlinable mutating func findByLength(_ key: UnsafeBufferPointer<UInt8>) -> Int? {
        let n = key.count
        guard n < recent.count else { return find(key) }
        let last = recent.withUnsafeBufferPointer { $0[n] }
        if last >= 0 && keyEquals(Int(last), key) { return Int(last) }
        let e = find(key)
        if let e { recent[n] = Int32(truncatingIfNeeded: e) }
        return e
    }

    @inlinable public var count: Int { _values.count }
    @inlinable public var values: [Value] { _values }

    /// The 64-bit hash of a key's bytes that the memo uses (also the store's repeat filter's).
    @inlinable public static func hash(_ p: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(p.count)
        var i = 0
        let n = p.count
        if let base = p.baseAddress {
            let raw = UnsafeRawPointer(base)
            while i + 8 <= n {
                let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                h = (h ^ w) &* 0xBF58_476D_1CE4_E5B9
                h ^= h >> 31
                i += 8
            }
            // The bytes after the last whole word, read in at most two loads (no byte loop): the
            // key's last eight bytes when it has eight, else two overlapping four- or one-byte
            // reads. Equal keys give equal words; the length is mixed in above.
            var tail: UInt64 = 0
            if i < n {
                if n >= 8 {
                    tail = raw.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
                } else if n >= 4 {
                    tail =
                        UInt64(raw.loadUnaligned(as: UInt32.self)) | UInt64(
                            raw.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self)
                        ) << 32
                } else {
                    tail = UInt64(base[0]) | UInt64(base[n / 2]) << 8 | UInt64(base[n - 1]) << 16
                }
            }
            h = (h ^ tail) &* 0x94D0_49BB_1331_11EB
        }
        h ^= h >> 29
        return h
    }

    /// The entry's index for `key`, if present.
    @inlinable public func find(_ key: UnsafeBufferPointer<UInt8>) -> Int? {
        let h = Self.hash(key)
        let tag = h & 0xFFFF_FFFF_0000_0000
        return slots.withUnsafeBufferPointer { slots in
            let mask = slots.count - 1
            var s = Int(truncatingIfNeeded: h) & mask
            while true {
                let slot = slots[s]
                if slot == 0 { return nil }
                if slot & 0xFFFF_FFFF_0000_0000 == tag {
                    let e = Int(truncatingIfNeeded: slot & 0xFFFF_FFFF) - 1
                    if keyEquals(e, key) { return e }
                }
                s = (s + 1) & mask
            }
        }
    }

    @inlinable func keyEquals(_ e: Int, _ key: UnsafeBufferPointer<UInt8>) -> Bool {
        let start = starts[e]
        let end = e + 1 < starts.count ? starts[e + 1] : arena.count
        guard end - start == key.count else { return false }
        guard let k = key.baseAddress else { return true }  // the empty key
        return arena.withUnsafeBufferPointer { a in
            guard let base = a.baseAddress else { return false }
            return memcmpBytes(base + start, k, key.count)
        }
    }

    /// The value for `key`, if present. Mutating only so that a memo held in an array is reached in
    /// place (through the array's `_modify`) instead of copied: a copy retains and releases each of
    /// its five buffers, which was a tenth of the coding thread's samples.
    @inlinable public mutating func value(for key: UnsafeBufferPointer<UInt8>) -> Value? {
        findRecent(key).map { _values[$0] }
    }

    /// Adds `key` → `value`; the new index, or nil when the memo is full.
    @discardableResult @inlinable public mutating func insert(_ key: UnsafeBufferPointer<UInt8>, _ value: Value) -> Int?
    {
        guard _values.count < limit, arena.count + key.count <= arenaLimit else { return nil }
        if (_values.count + 1) * 2 > slots.count { grow() }
        let h = Self.hash(key)
        let e = _values.count
        starts.append(arena.count)
        arena.append(contentsOf: key)
        hashes.append(h)
        _values.append(value)
        place(e, h)
        if key.count < recent.count { recent[key.count] = Int32(truncatingIfNeeded: e) }
        if front.bits > 0 { front.set(key, e) }
        return e
    }

    /// `find` for a memo held in an array: mutating only so that it is reached in place, as
    /// `value(for:)` is.
    @inlinable public mutating func index(of key: UnsafeBufferPointer<UInt8>) -> Int? { findRecent(key) }

    /// Calls `body` with entry `e`'s value where it lies (no copy retained for the call). Mutating
    /// for the same reason as `value(for:)`: the copy of a memo held in an array retained its five
    /// buffers around every call (perf: a fifth of the coding threads' retains and releases).
    @inlinable public mutating func withValue<R>(at e: Int, _ body: (borrowing Value) -> R) -> R {
        _values.withUnsafeBufferPointer { body($0[e]) }
    }

    @inlinable public subscript(_ e: Int) -> Value {
        get { _values[e] }
        set { _values[e] = newValue }
    }

    @inlinable mutating func place(_ e: Int, _ h: UInt64) {
        let mask = slots.count - 1
        var s = Int(truncatingIfNeeded: h) & mask
        while slots[s] != 0 { s = (s + 1) & mask }
        slots[s] = (h & 0xFFFF_FFFF_0000_0000) | UInt64(e + 1)
    }

    @usableFromInline mutating func grow() {
        slots = Array(repeating: 0, count: slots.count * 2)
        for e in 0..<_values.count { place(e, hashes[e]) }
    }
}

/// Per table (a scale, say) and key length under 32, the key last set with that length and its
/// value, kept where a look-up reads them in one place: the key's bytes in a 32-byte slot of one
/// array, the value in another. For keys that mostly differ in length (a scale's labels), a hit
/// is one comparison with no hash and no memo behind it; callers fall back to a `ByteMemo` and
/// `set` what they found. (Through a memo held in an array, each closed answer's look-up went
/// through the array's uniqueness check, the memo's recent entry, its key's start and end and its
/// arena: a sixth of the coding workers' samples on the reference workload.)
public struct RecentKeys<Value: Sendable>: Sendable {
    public static var maxLength: Int { 32 }
    @usableFromInline var bytes: [UInt8]
    @usableFromInline var values: [Value?]

    public init(tables: Int) {
        bytes = Array(repeating: 0, count: max(0, tables) * 32 * 32)
        values = Array(repeating: nil, count: max(0, tables) * 32)
    }

    /// The value last set in `table` for these bytes, if they are the ones last set with their
    /// length.
    @inlinable @inline(__always) public func value(_ table: Int, _ key: UnsafeBufferPointer<UInt8>) -> Value? {
        let n = key.count
        guard n < 32 else { return nil }
        let slot = table &* 32 &+ n
        return values.withUnsafeBufferPointer { v -> Value? in
            guard let value = v[slot] else { return nil }
            guard n > 0, let k = key.baseAddress else { return value }
            return bytes.withUnsafeBufferPointer { b -> Value? in
                guard let base = b.baseAddress else { return nil }
                return memcmpBytes(base + slot &* 32, k, n) ? value : nil
            }
        }
    }

    /// Keeps `value` for `key` in `table` (keys of 32 bytes or more are not kept).
    @inlinable public mutating func set(_ table: Int, _ key: UnsafeBufferPointer<UInt8>, _ value: Value) {
        let n = key.count
        guard n < 32 else { return }
        let slot = table * 32 + n
        values[slot] = value
        if let k = key.baseAddress {
            bytes.withUnsafeMutableBufferPointer { b in for i in 0..<n { b[slot * 32 + i] = k[i] } }
        }
    }
}

/// A key of up to 24 bytes as three little-endian words, zero past its end, and a slot for it in a
/// direct-mapped table of 2^bits slots: a look-up normalises the key's bytes in a few overlapping
/// loads and compares three words at once, where a memo hashes byte by byte and compares with
/// branches on the length (which mispredict on keys of every length). Used by `ShortKeySlots` and
/// the open-text scanner's word table.
public enum ShortKey {
    public static var maxLength: Int { 24 }

    /// The key's bytes (`n` ≤ 24) as three words, read in loads that stay within them.
    @inlinable @inline(__always) public static func words(_ p: UnsafePointer<UInt8>, _ n: Int) -> (
        UInt64, UInt64, UInt64
    ) {
        let r = UnsafeRawPointer(p)
        if n < 8 {
            if n >= 4 {
                let lo = UInt64(r.loadUnaligned(as: UInt32.self))
                let hi = UInt64(r.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self))
                return (lo | hi << UInt64(8 * (n - 4)), 0, 0)
            }
            var w: UInt64 = 0
            for i in 0..<n { w |= UInt64(p[i]) << UInt64(8 * i) }
            return (w, 0, 0)
        }
        // Word i: whole when the key has its eight bytes, else the last eight bytes shifted down
        // to start at its first.
        @inline(__always) func word(_ i: Int) -> UInt64 {
            if 8 * i + 8 <= n { return r.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self) }
            if 8 * i >= n { return 0 }
            return r.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self) >> UInt64(8 * (8 * i + 8 - n))
        }
        return (word(0), word(1), word(2))
    }

    @inlinable @inline(__always) public static func slot(_ k: (UInt64, UInt64, UInt64), _ n: Int, bits: Int) -> Int {
        var h =
            (k.0 &* 0x9E37_79B9_7F4A_7C15) ^ (k.1 &* 0xC2B2_AE3D_27D4_EB4F) ^ (k.2 &* 0x1656_67B1_9E37_79F9) ^ UInt64(n)
        h ^= h >> 29
        return Int(truncatingIfNeeded: (h &* 0xBF58_476D_1CE4_E5B9) >> UInt64(64 - bits))
    }
}

/// A direct-mapped table from keys of up to 24 bytes (`ShortKey`) to small integers: a `ByteMemo`'s
/// entry numbers, in front of its other look-ups (`ByteMemo.front`). A slot holds the key last set
/// there; a miss falls back to the memo, which sets it.
public struct ShortKeySlots: Sendable {
    /// Per slot: the key's three words, then its length << 32 | value (length -1: empty).
    @usableFromInline var slots: [UInt64]
    public let bits: Int

    /// `bits` 0: no table (nothing is kept, every look-up misses).
    public init(bits: Int = 8) {
        self.bits = max(0, min(16, bits))
        guard self.bits > 0 else {
            slots = []
            return
        }
        slots = Array(repeating: 0, count: 4 << self.bits)
        for s in 0..<(1 << self.bits) { slots[4 * s + 3] = UInt64(bitPattern: -1 << 32) }
    }

    /// The value set for these bytes, if they are the key last set in their slot.
    @inlinable public func value(_ key: UnsafeBufferPointer<UInt8>) -> Int? {
        let n = key.count
        guard n <= ShortKey.maxLength, bits > 0 else { return nil }
        let k = n == 0 ? (0, 0, 0) : key.baseAddress.map { ShortKey.words($0, n) } ?? (0, 0, 0)
        let s = 4 * ShortKey.slot(k, n, bits: bits)
        return slots.withUnsafeBufferPointer { p -> Int? in
            let meta = p[s + 3]
            guard meta >> 32 == UInt64(n), p[s] == k.0, p[s + 1] == k.1, p[s + 2] == k.2 else { return nil }
            return Int(truncatingIfNeeded: meta & 0xFFFF_FFFF)
        }
    }

    /// Keeps `value` (0 ..< 2^32) for `key` in its slot; keys over 24 bytes are not kept.
    @inlinable public mutating func set(_ key: UnsafeBufferPointer<UInt8>, _ value: Int) {
        let n = key.count
        guard n <= ShortKey.maxLength, bits > 0, value >= 0, value < 1 << 32 else { return }
        let k = n == 0 ? (0, 0, 0) : key.baseAddress.map { ShortKey.words($0, n) } ?? (0, 0, 0)
        let s = 4 * ShortKey.slot(k, n, bits: bits)
        slots[s] = k.0
        slots[s + 1] = k.1
        slots[s + 2] = k.2
        slots[s + 3] = UInt64(n) << 32 | UInt64(value)
    }
}

/// Whether `n` bytes at `a` and `b` are equal: eight at a time, the last eight (or four, or the
/// last few) read overlapping the ones before instead of byte by byte (a byte loop for the tail
/// of each key was most of the memo's comparisons, on labels of 5 to 26 bytes).
@inlinable @inline(__always) func memcmpBytes(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ n: Int) -> Bool {
    let x = UnsafeRawPointer(a)
    let y = UnsafeRawPointer(b)
    if n >= 8 {
        var i = 0
        while i + 8 < n {
            if x.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                != y.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            {
                return false
            }
            i += 8
        }
        return x.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
            == y.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
    }
    if n >= 4 {
        return x.loadUnaligned(as: UInt32.self) == y.loadUnaligned(as: UInt32.self)
            && x.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self)
                == y.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self)
    }
    var i = 0
    while i < n {
        if a[i] != b[i] { return false }
        i += 1
    }
    return true
}

extension FieldRow: Codable {
    public init(from decoder: any Decoder) throws { self.init(try [String](from: decoder)) }
    public func encode(to encoder: any Encoder) throws { try strings.encode(to: encoder) }
}
