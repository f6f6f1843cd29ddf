import CBarazaZlib
import Foundation
import ZIPFoundation

#if canImport(Glibc)
import Glibc
#endif

/// Decompresses an export into a file the readers can read: a `.gz` file (zlib's gzip reader,
/// which also reads concatenated members) or one entry of a ZIP archive (ZIPFoundation), each
/// streamed, never held in memory, and stopped at `limit` bytes.
enum Unpack {
    static func gunzip(_ path: String, into copy: String, limit: Int64) throws(IngestError) {
        guard let gz = gzopen(path, "rb") else {
            throw .fileNotReadable(path: path, reason: String(cString: strerror(errno)))
        }
        var closed = false
        defer { if !closed { gzclose(gz) } }
        let output = open(copy, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        if output < 0 { throw .fileNotReadable(path: copy, reason: String(cString: strerror(errno))) }
        defer { close(output) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var total: Int64 = 0
        while true {
            let n = buffer.withUnsafeMutableBytes { gzread(gz, $0.baseAddress, UInt32($0.count)) }
            if n < 0 {
                var code: Int32 = 0
                let message = gzerror(gz, &code).map { String(cString: $0) } ?? "error \(code)"
                throw .unsupportedFormat(path: path, reason: "the gzip data is damaged (\(message))")
            }
            if n == 0 { break }
            total += Int64(n)
            if total > limit {
                throw .unsupportedFormat(
                    path: path,
                    reason: "it decompresses to more than \(limit >> 20) MiB, "
                        + "far more than an export compresses (a damaged file or a zip bomb)"
                )
            }
            try write(buffer, count: Int(n), to: output, path: copy)
        }
        closed = true
        // A file cut short reads to its end without an error; closing says it was truncated.
        let status = gzclose(gz)
        if status != Z_OK {
            throw .unsupportedFormat(
                path: path,
                reason: "the gzip file is truncated or damaged (zlib status \(status)); " + "download it again"
            )
        }
    }

    static func extract(zip path: String, entry name: String, into copy: String, limit: Int64) throws(IngestError) {
        let archive: Archive
        do { archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read, pathEncoding: nil) } catch {
            throw .unsupportedFormat(path: path, reason: "the ZIP archive cannot be read (\(error)); download it again")
        }
        guard let entry = archive[name] else {
            throw .unsupportedFormat(path: path, reason: "the ZIP archive has no entry '\(name)'")
        }
        if Int64(entry.uncompressedSize) > limit {
            throw .unsupportedFormat(
                path: path,
                reason: "'\(name)' decompresses to more than \(limit >> 20) MiB " + "(a damaged file or a zip bomb)"
            )
        }
        let output = open(copy, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        if output < 0 { throw .fileNotReadable(path: copy, reason: String(cString: strerror(errno))) }
        defer { close(output) }
        var total: Int64 = 0
        var failure: IngestError?
        do {
            _ = try archive.extract(entry) { data in
                total += Int64(data.count)
                if total > limit {
                    failure = .unsupportedFormat(
                        path: path,
                        reason: "'\(name)' decompresses to more than its header says"
                    )
                    throw CocoaError(.fileReadTooLarge)
                }
                do throws(IngestError) { try write([UInt8](data), count: data.count, to: output, path: copy) } catch {
                    failure = error
                    throw CocoaError(.fileWriteUnknown)
                }
            }
        } catch {
            throw failure
                ?? .unsupportedFormat(path: path, reason: "'\(name)' in the ZIP archive is damaged (\(error))")
        }
    }

    static func write(_ buffer: [UInt8], count: Int, to fd: Int32, path: String) throws(IngestError) {
        var written = 0
        while written < count {
            let w = buffer.withUnsafeBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                return Glibc.write(fd, base + written, count - written)
            }
            if w < 0 {
                if errno == EINTR { continue }
                throw .fileNotReadable(path: path, reason: String(cString: strerror(errno)))
            }
            written += w
        }
    }
}
