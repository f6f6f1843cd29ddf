import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An advisory lock (flock) beside the store, so two runs never write the store at once.
/// The lock file holds the holder's pid and start time, to name it in the message.
public final class RunLock {
    public let path: String
    private var fd: Int32 = -1

    public enum Failure: Error, CustomStringConvertible, Sendable {
        case busy(path: String, holder: String)
        case cannotOpen(path: String, reason: String)
        public var description: String {
            switch self {
            case .busy(let path, let holder): "another baraza run holds the lock \(path) (\(holder)); try again later or pass --wait SECONDS"
            case .cannotOpen(let path, let reason): "\(path): cannot open lock file: \(reason)"
            }
        }
    }

    public init(path: String) { self.path = path }

    /// Takes the lock, waiting up to `wait` seconds.
    public func acquire(wait: Double) throws(Failure) {
        fd = open(path, O_RDWR | O_CREAT, 0o644)
        if fd < 0 { throw .cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        let deadline = Date().addingTimeInterval(wait)
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            if Date() >= deadline {
                let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "unknown holder"
                close(fd); fd = -1
                throw .busy(path: path, holder: holder.isEmpty ? "unknown holder" : holder)
            }
            usleep(100_000)
        }
        let note = "pid \(getpid()) since \(ISO8601DateFormatter().string(from: Date()))\n"
        _ = ftruncate(fd, 0)
        _ = note.withCString { pwrite(fd, $0, strlen($0), 0) }
    }

    public func release() {
        if fd >= 0 {
            _ = ftruncate(fd, 0)
            flock(fd, LOCK_UN)
            close(fd)
            fd = -1
        }
    }

    deinit { release() }
}
