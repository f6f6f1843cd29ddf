import BarazaFiles
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// An advisory lock (flock) beside the store, so two commands never write the store at once and
/// a report never reads it half-written. Writers take it exclusively, readers shared.
/// The lock file holds the holder's pid and start time, to name it in the message. It is opened
/// in its folder by handle and never through a symbolic link, and only when it is a plain file
/// with one name: a lock path linked to another file must not empty that file.
public final class RunLock {
    public let path: String
    private var fd: Int32 = -1
    private var exclusive = false

    public enum Mode: Sendable { case exclusive, shared }

    public enum Failure: Error, CustomStringConvertible, Sendable {
        case busy(path: String, holder: String)
        case cannotOpen(path: String, reason: String)
        public var description: String {
            switch self {
            case .busy(let path, let holder):
                "another baraza command holds the lock \(path) (\(holder)); try again later or pass --wait SECONDS"
            case .cannotOpen(let path, let reason): "\(path): cannot open lock file: \(reason)"
            }
        }
    }

    public init(path: String) { self.path = path }

    /// Takes the lock, waiting up to `wait` seconds; `waiting` is called once, with the holder,
    /// when the lock is not free at once.
    public func acquire(wait: Double, mode: Mode = .exclusive, waiting: ((String) -> Void)? = nil) throws(Failure) {
        let ns = path as NSString
        let folder = ns.deletingLastPathComponent.isEmpty ? "." : ns.deletingLastPathComponent
        let dir: DirectoryHandle
        do { dir = try DirectoryHandle(path: folder) } catch { throw .cannotOpen(path: path, reason: error.reason) }
        let name = ns.lastPathComponent
        fd = openat(dir.fd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o644)
        if fd < 0 {
            let reason =
                errno == ELOOP ? "it is a symbolic link; refusing to follow it" : String(cString: strerror(errno))
            throw .cannotOpen(path: path, reason: reason)
        }
        var st = stat()
        if fstat(fd, &st) != 0 || st.st_mode & S_IFMT != S_IFREG || st.st_nlink != 1 {
            close(fd)
            fd = -1
            throw .cannotOpen(
                path: path,
                reason: "it is not a plain file of its own (a link to another file?); remove it"
            )
        }
        let operation = (mode == .exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB
        let deadline = Date().addingTimeInterval(wait)
        var told = false
        while flock(fd, operation) != 0 {
            let holder = self.holder()
            if Date() >= deadline {
                close(fd)
                fd = -1
                throw .busy(path: path, holder: holder)
            }
            if !told {
                waiting?(holder)
                told = true
            }
            usleep(100_000)
        }
        // Readers share the lock and leave the holder line to the writer that wrote it.
        exclusive = mode == .exclusive
        if exclusive {
            let note = Array("pid \(getpid()) since \(ISO8601DateFormatter().string(from: Date()))\n".utf8)
            _ = note.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
            _ = ftruncate(fd, off_t(note.count))
        }
    }

    /// The holder's line, read through the open file (never by path, which might be replaced).
    private func holder() -> String {
        var buffer = [UInt8](repeating: 0, count: 200)
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        let text =
            n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : ""
        return text.isEmpty ? "holder unknown" : text
    }

    public func release() {
        if fd >= 0 {
            if exclusive { _ = ftruncate(fd, 0) }
            flock(fd, LOCK_UN)
            close(fd)
            fd = -1
        }
    }

    deinit { release() }
}
