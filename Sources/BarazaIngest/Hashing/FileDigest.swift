import BarazaKit
import BarazaModel
import Crypto
import Foundation

/// SHA-256 of a file's bytes, read in chunks (memory does not grow with the file).
public enum FileDigest {
    public static func sha256(path: String) throws -> (hex: String, size: Int64) { try Running().finish(path: path) }

    /// SHA-256 of a submission file, read whole when it is small: a folder holds thousands, and
    /// `sha256(path:)` starts a hashing thread per file.
    public static func sha256(submission path: String) throws -> (hex: String, size: Int64) {
        var st = stat()
        if stat(path, &st) == 0, st.st_size > 16 << 20 { return try sha256(path: path) }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw IngestError.fileNotReadable(path: path, reason: "cannot read file")
        }
        return (hex(SHA256.hash(data: data)), Int64(data.count))
    }

    /// SHA-256 of text (a batch's digest made from its files' digests).
    public static func sha256(text: String) -> String { hex(SHA256.hash(data: Data(text.utf8))) }

    /// Lower-case hex of the digest's bytes (`String(format:)` per byte was a sixth of importing a
    /// folder of 100,000 submission files).
    static func hex(_ digest: SHA256.Digest) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for b in digest {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A digest computed from the bytes a reader reads (`update`, on the reading thread), then
    /// finished with whatever the reader left unread (`finish`, after the reading thread is done):
    /// the same digest as `sha256(path:)` without reading the file a second time.
    ///
    /// The hashing itself runs on a thread of its own: `update` copies the bytes into one of four
    /// 1 MiB buffers and hands each full one over. The reading thread is the import's critical
    /// path (libxml2 and the CSV tokenizer run there), and a copy costs a fraction of the hashing.
    /// Memory: the four buffers, whatever the file's size.
    ///
    /// `@unchecked Sendable`: `update` is called by one thread at a time (the reading thread),
    /// `finish` by the one that joined it; what the hashing thread shares is behind `Pipe`'s lock.
    public final class Running: ChunkObserver, @unchecked Sendable {
        private let pipe = Pipe()
        private var current: UnsafeMutableRawBufferPointer?
        private var filled = 0
        /// Bytes hashed so far, from the start of the file.
        public private(set) var count: Int64 = 0

        static let bufferSize = 1 << 20

        public init() {}

        deinit {
            // Given up without `finish` (an import that failed): the thread drains and exits.
            pipe.close()
            current?.deallocate()
        }

        /// A chunk the reader shares (`ChunkObserver`): hashed where it lies, no copy (the copy was
        /// a pass over the whole file on the reading thread). Waits while four are not yet hashed.
        public func observe(_ chunk: [UInt8], count n: Int) {
            let n = min(max(0, n), chunk.count)
            guard n > 0 else { return }
            flushCurrent()
            count += Int64(n)
            pipe.hash(chunk, count: n)
        }

        /// A chunk hashed and let go of, for the reader to fill again.
        public func spare() -> [UInt8]? { pipe.spare() }

        public func observe(copying bytes: UnsafeRawBufferPointer) { update(bytes) }

        /// Hands over the part-filled copy buffer, so that bytes stay in file order when shared
        /// chunks follow copied ones.
        private func flushCurrent() {
            guard let buffer = current else { return }
            current = nil
            if filled > 0 {
                pipe.hash(UnsafeMutableRawBufferPointer(rebasing: buffer[..<filled]))
            } else {
                pipe.giveBack(buffer)
            }
            filled = 0
        }

        public func update(_ bytes: UnsafeRawBufferPointer) {
            count += Int64(bytes.count)
            var at = 0
            while at < bytes.count {
                if current == nil { current = pipe.freeBuffer() }
                guard let buffer = current, let to = buffer.baseAddress, let from = bytes.baseAddress else { return }
                let n = min(buffer.count - filled, bytes.count - at)
                (to + filled).copyMemory(from: from + at, byteCount: n)
                filled += n
                at += n
                if filled == buffer.count {
                    pipe.hash(UnsafeMutableRawBufferPointer(rebasing: buffer[..<filled]))
                    current = nil
                    filled = 0
                }
            }
        }

        /// Hashes the rest of `path` after the bytes already seen, and gives the file's digest and size.
        public func finish(path: String) throws -> (hex: String, size: Int64) {
            if let buffer = current, filled > 0 {
                pipe.hash(UnsafeMutableRawBufferPointer(rebasing: buffer[..<filled]))
            }
            if let buffer = current, filled == 0 { buffer.deallocate() }
            current = nil
            filled = 0
            var hasher = pipe.finish()
            guard let handle = FileHandle(forReadingAtPath: path) else {
                throw IngestError.fileNotReadable(path: path, reason: "cannot read file")
            }
            defer { try? handle.close() }
            try handle.seek(toOffset: UInt64(count))
            while true {
                let chunk = try handle.read(upToCount: 1 << 20) ?? Data()
                if chunk.isEmpty { break }
                chunk.withUnsafeBytes { hasher.update(bufferPointer: $0) }
                count += Int64(chunk.count)
            }
            return (FileDigest.hex(hasher.finalize()), count)
        }

        /// The buffers between the reading thread and the hashing thread, and the hasher, which
        /// the hashing thread owns until `finish` has waited for it.
        final class Pipe: @unchecked Sendable {
            /// A copy buffer (or the filled part of one), or a chunk shared by the reader.
            enum Item {
                case buffer(UnsafeMutableRawBufferPointer)
                case shared([UInt8], Int)
            }
            private let condition = NSCondition()
            private var full: [Item] = []
            private var free: [UnsafeMutableRawBufferPointer] = []
            private var allocated = 0
            /// Shared chunks handed over and not yet hashed; hashed ones kept for the reader.
            private var sharedPending = 0
            private var spares: [[UInt8]] = []
            private var closed = false
            private var started = false
            private var running = false
            private var hasher = SHA256()

            /// Starts the hashing thread (the first time). Called with the lock held.
            private func start() {
                guard !started else { return }
                started = true
                running = true
                let thread = Thread { [self] in work() }
                thread.stackSize = 1 << 20
                thread.start()
            }

            /// A buffer to fill: a free one, a new one (up to four), or the next the thread frees.
            /// The first call starts the hashing thread.
            func freeBuffer() -> UnsafeMutableRawBufferPointer {
                condition.lock()
                defer { condition.unlock() }
                start()
                while free.isEmpty && allocated >= 4 { condition.wait() }
                if let b = free.popLast() { return b }
                allocated += 1
                return .allocate(byteCount: Running.bufferSize, alignment: 64)
            }

            /// Hands a filled buffer (or the filled part of one) over to be hashed.
            func hash(_ buffer: UnsafeMutableRawBufferPointer) {
                condition.lock()
                full.append(.buffer(buffer))
                condition.broadcast()
                condition.unlock()
            }

            /// A buffer taken and not filled, back to the free ones.
            func giveBack(_ buffer: UnsafeMutableRawBufferPointer) {
                condition.lock()
                free.append(buffer)
                condition.broadcast()
                condition.unlock()
            }

            /// Hands a shared chunk over to be hashed (its first `count` bytes); waits while four
            /// are pending, so memory stays bounded.
            func hash(_ chunk: [UInt8], count: Int) {
                condition.lock()
                defer { condition.unlock() }
                start()
                while sharedPending >= 4 && !closed { condition.wait() }
                sharedPending += 1
                full.append(.shared(chunk, count))
                condition.broadcast()
            }

            /// A hashed chunk for the reader to fill again, if one is kept.
            func spare() -> [UInt8]? {
                condition.lock()
                defer { condition.unlock() }
                return spares.popLast()
            }

            private func work() {
                condition.lock()
                while true {
                    while full.isEmpty && !closed { condition.wait() }
                    if full.isEmpty { break }
                    let item = full.removeFirst()
                    condition.unlock()
                    switch item {
                    case .buffer(let buffer): hasher.update(bufferPointer: UnsafeRawBufferPointer(buffer))
                    case .shared(let chunk, let n):
                        chunk.withUnsafeBytes {
                            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[..<n]))
                        }
                    }
                    condition.lock()
                    switch item {
                    case .buffer(let buffer):
                        // A partial buffer is the last one; it is freed, not reused.
                        if buffer.count == Running.bufferSize && !closed {
                            free.append(buffer)
                        } else {
                            buffer.deallocate()
                            allocated -= 1
                        }
                    case .shared(let chunk, _):
                        sharedPending -= 1
                        if spares.count < 3 && !closed { spares.append(chunk) }
                    }
                    condition.broadcast()
                }
                running = false
                condition.broadcast()
                condition.unlock()
            }

            /// Waits until every buffer handed over is hashed; the hasher, for the caller to go on with.
            func finish() -> SHA256 {
                condition.lock()
                defer { condition.unlock() }
                closed = true
                condition.broadcast()
                // Buffers are handed over only after `freeBuffer` started the thread.
                while running { condition.wait() }
                for b in free { b.deallocate() }
                free.removeAll()
                allocated = 0
                spares.removeAll()
                return hasher
            }

            func close() {
                condition.lock()
                closed = true
                condition.broadcast()
                condition.unlock()
            }

            deinit {
                for case .buffer(let b) in full { b.deallocate() }
                for b in free { b.deallocate() }
            }
        }
    }

    /// The file's size in bytes.
    public static func size(path: String) throws -> Int64 {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let size = attributes[.size] as? NSNumber
        else { throw IngestError.fileNotReadable(path: path, reason: "cannot read file") }
        return size.int64Value
    }
}
