import Crypto
import Foundation

/// SHA-256 of a file's bytes, read in chunks (memory does not grow with the file).
public enum FileDigest {
    public static func sha256(path: String) throws -> (hex: String, size: Int64) {
        try Running().finish(path: path)
    }

    static func hex(_ digest: SHA256.Digest) -> String {
        digest.map { String(format: "%02x", $0) }.joined()
    }

    /// A digest computed from the bytes a reader reads (`update`, on the reading thread), then
    /// finished with whatever the reader left unread (`finish`, after the reading thread is done):
    /// the same digest as `sha256(path:)` without reading the file a second time.
    ///
    /// `@unchecked Sendable`: used by one thread at a time, the reading thread and then the one
    /// that joined it.
    public final class Running: @unchecked Sendable {
        private var hasher = SHA256()
        /// Bytes hashed so far, from the start of the file.
        public private(set) var count: Int64 = 0

        public init() {}

        public func update(_ bytes: UnsafeRawBufferPointer) {
            hasher.update(bufferPointer: bytes)
            count += Int64(bytes.count)
        }

        /// Hashes the rest of `path` after the bytes already seen, and gives the file's digest and size.
        public func finish(path: String) throws -> (hex: String, size: Int64) {
            guard let handle = FileHandle(forReadingAtPath: path) else {
                throw StoreError.cannotOpen(path: path, reason: "cannot read file")
            }
            defer { try? handle.close() }
            try handle.seek(toOffset: UInt64(count))
            while true {
                let chunk = try handle.read(upToCount: 1 << 20) ?? Data()
                if chunk.isEmpty { break }
                chunk.withUnsafeBytes { update($0) }
            }
            return (FileDigest.hex(hasher.finalize()), count)
        }
    }

    /// The file's size in bytes.
    public static func size(path: String) throws -> Int64 {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path), let size = attributes[.size] as? NSNumber else {
            throw StoreError.cannotOpen(path: path, reason: "cannot read file")
        }
        return size.int64Value
    }
}
