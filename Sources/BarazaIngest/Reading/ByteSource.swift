import BarazaKit
import BarazaModel
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Errors that stop a file from being read at all (as opposed to diagnostics about its content).
public enum IngestError: Error, Sendable, CustomStringConvertible, Equatable {
    case fileNotReadable(path: String, reason: String)
    case empty(path: String)
    case unsupportedFormat(path: String, reason: String)
    /// The file is something other than survey responses (a form, an old workbook, a PDF): what it
    /// is and what to give instead.
    case notAnExport(path: String, what: String, instead: String)

    public var description: String {
        switch self {
        case .notAnExport(let path, let what, let instead): "\(path): this is \(what); \(instead)"
        case .fileNotReadable(let path, let reason): "\(path): cannot read file: \(reason)"
        case .empty(let path): "\(path): file is empty; expected a header row"
        case .unsupportedFormat(let path, let reason): "\(path): unsupported format: \(reason)"
        }
    }
}

/// Called with every byte a reader reads from its file, in file order, as it reads them (an
/// import hashes the file this way instead of reading it twice). Called on the reading thread.
public typealias ByteObserver = (UnsafeRawBufferPointer) -> Void

/// Reads a file in fixed-size chunks with C stdio, so memory does not grow with the file.
final class FileChunks {
    private let handle: UnsafeMutablePointer<FILE>
    let chunkSize: Int
    /// Sees every byte read (see `ChunkObserver`): the chunks of `readShared` and `readChunk`
    /// shared, the bytes read into a caller's buffer copied.
    let chunkObserver: (any ChunkObserver)?

    init(path: String, chunkSize: Int = 1 << 20, chunkObserver: (any ChunkObserver)? = nil) throws(IngestError) {
        guard let h = fopen(path, "rb") else {
            throw .fileNotReadable(path: path, reason: String(cString: strerror(errno)))
        }
        handle = h
        self.chunkSize = chunkSize
        self.chunkObserver = chunkObserver
    }

    deinit { fclose(handle) }

    /// Reads the next chunk into an array of the bytes read and shows it to the chunk observer,
    /// shared: an array the observer gave back when there is one, else a new one. The caller must
    /// not write to the array, and lets go of the one it had before calling, so that a spare comes
    /// back unshared. Empty at end of file.
    func readShared() -> [UInt8] {
        var chunk = chunkObserver?.spare() ?? []
        guard chunk.count == chunkSize else { return readChunk() }
        let n = chunk.withUnsafeMutableBufferPointer { p -> Int in
            guard let base = p.baseAddress else { return 0 }
            return fread(base, 1, chunkSize, handle)
        }
        if n < chunkSize { chunk.removeLast(chunkSize - n) }
        if !chunk.isEmpty { chunkObserver?.observe(chunk, count: chunk.count) }
        return chunk
    }

    /// The next chunk, read into a new array (empty at end of file) and shown to the chunk
    /// observer, shared. The array is not filled with zeros first (`read(into:)` does): that was
    /// 5% of the CSV reading thread's samples.
    func readChunk() -> [UInt8] {
        let chunk = [UInt8](unsafeUninitializedCapacity: chunkSize) { p, count in
            guard let base = p.baseAddress else { return }
            count = fread(base, 1, chunkSize, handle)
        }
        if !chunk.isEmpty { chunkObserver?.observe(chunk, count: chunk.count) }
        return chunk
    }

    /// Reads the next chunk into `buffer` (at most its size); returns the number of bytes read (0 at
    /// end of file).
    func read(into buffer: UnsafeMutableBufferPointer<UInt8>) -> Int {
        guard let base = buffer.baseAddress else { return 0 }
        let n = fread(base, 1, min(chunkSize, buffer.count), handle)
        if n > 0 { chunkObserver?.observe(copying: UnsafeRawBufferPointer(start: base, count: n)) }
        return n
    }

    /// Appends the next chunk to `buffer`; returns the number of bytes read (0 at end of file).
    func read(into buffer: inout [UInt8]) -> Int {
        let start = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: chunkSize))
        let n = buffer.withUnsafeMutableBufferPointer { p -> Int in
            guard let base = p.baseAddress else { return 0 }
            let n = fread(base + start, 1, chunkSize, handle)
            if n > 0 { chunkObserver?.observe(copying: UnsafeRawBufferPointer(start: base + start, count: n)) }
            return n
        }
        buffer.removeLast(chunkSize - n)
        return n
    }
}
