import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// An export as the readers need it: a regular file (or a folder of XML submissions) that can be
/// read more than once. The readers sniff a file's first bytes, then read it again from the start,
/// and the import hashes it; a pipe (`<(…)`, `/dev/stdin`, a named pipe) can be read only once, so
/// it is copied into a temporary file first, read once from the pipe. A device is refused.
public final class InputFile {
    /// The path the readers open.
    public let path: String
    /// The temporary folder holding a pipe's copy, removed when this value goes away.
    private let spoolFolder: String?

    /// How long to wait for a pipe's first byte before giving up (a named pipe no one writes to).
    public static let pipeWait: Double = 30

    public init(_ given: String, pipeWait: Double = InputFile.pipeWait) throws(IngestError) {
        var st = stat()
        guard stat(given, &st) == 0 else {
            throw .fileNotReadable(path: given, reason: String(cString: strerror(errno)))
        }
        switch st.st_mode & S_IFMT {
        case S_IFREG:
            // A compressed export is read from a decompressed copy (the readers read a file twice).
            let kind = FileKind.of(given)
            guard kind == .gzip || Self.isZipOfCSV(kind) else {
                path = given
                spoolFolder = nil
                break
            }
            let folder = try Self.makeSpoolFolder(given)
            do {
                let limit = Self.decompressionLimit(compressed: Int64(st.st_size))
                if case .zipOfCSV(let entries) = kind {
                    let main = Self.mainTable(entries)
                    path = folder + "/" + ((main as NSString).lastPathComponent)
                    try Unpack.extract(zip: given, entry: main, into: path, limit: limit)
                } else {
                    var name = (given as NSString).lastPathComponent
                    if name.lowercased().hasSuffix(".gz") { name = String(name.dropLast(3)) }
                    path = folder + "/" + (name.isEmpty || name.hasPrefix(".") ? "export" : name)
                    try Unpack.gunzip(given, into: path, limit: limit)
                }
            } catch {
                try? FileManager.default.removeItem(atPath: folder)
                throw error
            }
            spoolFolder = folder
        case S_IFDIR:
            path = given
            spoolFolder = nil
        case S_IFIFO, S_IFSOCK:
            let folder = FileManager.default.temporaryDirectory
                .appendingPathComponent("baraza-pipe-\(UUID().uuidString)").path
            let name = (given as NSString).lastPathComponent
            let copy = folder + "/" + (name.isEmpty || name.hasPrefix(".") ? "pipe" : name)
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
                try Self.spool(given, into: copy, wait: pipeWait)
            } catch {
                try? FileManager.default.removeItem(atPath: folder)
                throw error as? IngestError ?? .fileNotReadable(path: given, reason: "\(error)")
            }
            path = copy
            spoolFolder = folder
        default: throw .unsupportedFormat(path: given, reason: "it is a device, not an export file")
        }
    }

    static func isZipOfCSV(_ kind: FileKind) -> Bool {
        if case .zipOfCSV = kind { return true }
        return false
    }

    /// ODK Central's `submissions.csv.zip` holds the main table and one table per repeat, named
    /// after it (`form.csv`, `form-repeat.csv`): the main table is the shortest name.
    static func mainTable(_ entries: [String]) -> String {
        entries.min { ($0.count, $0) < ($1.count, $1) } ?? entries[0]
    }

    /// The most a compressed export may decompress to: a text export compresses about ten times,
    /// a zip bomb a thousand; past this the file is refused rather than filling the disk.
    static func decompressionLimit(compressed: Int64) -> Int64 { min(64 << 30, compressed * 200 + (256 << 20)) }

    static func makeSpoolFolder(_ given: String) throws(IngestError) -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("baraza-unpack-\(UUID().uuidString)")
            .path
        do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false) } catch {
            throw .fileNotReadable(path: given, reason: "cannot make a temporary folder to decompress into: \(error)")
        }
        return folder
    }

    deinit { if let spoolFolder { try? FileManager.default.removeItem(atPath: spoolFolder) } }

    /// Copies everything the pipe gives into `copy`, waiting at most `wait` seconds for its first
    /// byte. Data that is plainly not text (NUL bytes that are not UTF-16's) is refused at once,
    /// so `/dev/zero` behind a pipe is not copied until the disk is full.
    static func spool(_ pipe: String, into copy: String, wait: Double) throws(IngestError) {
        let input = open(pipe, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        if input < 0 { throw .fileNotReadable(path: pipe, reason: String(cString: strerror(errno))) }
        defer { close(input) }
        var poller = pollfd(fd: input, events: Int16(POLLIN), revents: 0)
        let ready = poll(&poller, 1, Int32(wait * 1000))
        if ready == 0 { throw .fileNotReadable(path: pipe, reason: "nothing came through the pipe in \(Int(wait)) s") }
        _ = fcntl(input, F_SETFL, fcntl(input, F_GETFL) & ~O_NONBLOCK)
        let output = open(copy, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        if output < 0 { throw .fileNotReadable(path: copy, reason: String(cString: strerror(errno))) }
        defer { close(output) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var first = true
        while true {
            let n = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw .fileNotReadable(path: pipe, reason: String(cString: strerror(errno)))
            }
            if n == 0 { return }
            if first {
                first = false
                let head = buffer[0..<min(n, 4096)]
                if head.contains(0) && TextEncoding.utf16WithoutBOM(head) == nil
                    && !(head.starts(with: [0xFF, 0xFE]) || head.starts(with: [0xFE, 0xFF]))
                {
                    throw .unsupportedFormat(
                        path: pipe,
                        reason: "binary data (NUL bytes) came through the pipe, not a text export"
                    )
                }
            }
            var written = 0
            while written < n {
                let w = buffer.withUnsafeBytes { write(output, $0.baseAddress! + written, n - written) }
                if w < 0 {
                    if errno == EINTR { continue }
                    throw .fileNotReadable(path: copy, reason: String(cString: strerror(errno)))
                }
                written += w
            }
        }
    }
}
