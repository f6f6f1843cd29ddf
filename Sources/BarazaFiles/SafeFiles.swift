import CBarazaFiles
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A file operation that failed, with the path and the system's reason.
public struct FileFailure: Error, Sendable, CustomStringConvertible, Equatable {
    public var path: String
    public var reason: String
    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
    public init(path: String, errno code: Int32) { self.init(path: path, reason: String(cString: strerror(code))) }
    public var description: String { "\(path): \(reason)" }
}

/// An open directory, used by handle so that names created in it cannot be redirected by a
/// symbolic link swapped into the path between a check and a write.
public final class DirectoryHandle {
    public let path: String
    public let fd: Int32

    /// Opens `path` itself; with `noFollow`, a symbolic link there is refused.
    public init(path: String, noFollow: Bool = false) throws(FileFailure) {
        self.path = path
        let flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | (noFollow ? O_NOFOLLOW : 0)
        let fd = open(path, flags)
        if fd < 0 { throw FileFailure(path: path, errno: errno) }
        self.fd = fd
    }

    /// Opens the directory `name` inside this one, refusing a symbolic link.
    public init(name: String, in parent: DirectoryHandle) throws(FileFailure) {
        path = joinedPath(parent.path, name)
        let fd = openat(parent.fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)
        if fd < 0 { throw FileFailure(path: path, errno: errno) }
        self.fd = fd
    }

    deinit { close(fd) }

    /// The names in this directory (not `.` and `..`), sorted.
    public func names() throws(FileFailure) -> [String] {
        let copy = dup(fd)
        guard copy >= 0, let dir = fdopendir(copy) else { throw FileFailure(path: path, errno: errno) }
        defer { closedir(dir) }
        rewinddir(dir)
        var out: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { out.append(name) }
        }
        return out.sorted()
    }

    /// What `name` is, without following a symbolic link; nil when it does not exist.
    public func kind(of name: String) -> FileKind? {
        var st = stat()
        guard fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 else { return nil }
        switch st.st_mode & S_IFMT {
        case S_IFREG: return .file
        case S_IFDIR: return .directory
        case S_IFLNK: return .symbolicLink
        default: return .other
        }
    }

    /// Makes the directory `name`; fails when anything already has that name.
    public func makeDirectory(_ name: String) throws(FileFailure) {
        if mkdirat(fd, name, 0o755) != 0 { throw FileFailure(path: joinedPath(path, name), errno: errno) }
    }

    /// Creates the new file `name` with these bytes and flushes it to disk. Never follows a link
    /// and never opens a file that exists (`O_EXCL`).
    public func createFile(_ name: String, contents: some Sequence<UInt8>) throws(FileFailure) {
        let full = joinedPath(path, name)
        let out = openat(fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        if out < 0 { throw FileFailure(path: full, errno: errno) }
        defer { close(out) }
        let bytes = Array(contents)
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { write(out, $0.baseAddress! + written, bytes.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                throw FileFailure(path: full, errno: errno)
            }
            written += n
        }
        if fsync(out) != 0 { throw FileFailure(path: full, errno: errno) }
    }

    /// Flushes the directory's entries (names created, renamed or removed) to disk.
    public func sync() throws(FileFailure) { if fsync(fd) != 0 { throw FileFailure(path: path, errno: errno) } }

    /// Renames `from` to `to` within this directory (replacing a file or an empty folder `to`).
    public func rename(_ from: String, to: String) throws(FileFailure) {
        if renameat(fd, from, fd, to) != 0 { throw FileFailure(path: joinedPath(path, to), errno: errno) }
    }

    /// Swaps the names `a` and `b` in one step; false when the system cannot (the caller then
    /// renames in two steps).
    public func exchange(_ a: String, _ b: String) throws(FileFailure) -> Bool {
        if baraza_exchange(fd, a, fd, b) == 0 { return true }
        if errno == ENOSYS || errno == EINVAL || errno == ENOTSUP { return false }
        throw FileFailure(path: joinedPath(path, b), errno: errno)
    }

    /// Removes `name` and, for a folder, everything in it; symbolic links are removed, never followed.
    public func removeTree(_ name: String) throws(FileFailure) {
        switch kind(of: name) {
        case nil: return
        case .directory:
            let child = try DirectoryHandle(name: name, in: self)
            for n in try child.names() { try child.removeTree(n) }
            if unlinkat(fd, name, AT_REMOVEDIR) != 0 { throw FileFailure(path: joinedPath(path, name), errno: errno) }
        default:
            if unlinkat(fd, name, 0) != 0 && errno != ENOENT {
                throw FileFailure(path: joinedPath(path, name), errno: errno)
            }
        }
    }
}

public enum FileKind: Sendable, Equatable { case file, directory, symbolicLink, other }

/// Writes whole files that other programs read (the rejects file): never through a link, and
/// atomically, so a reader sees the old file or the new one, never half of one.
public enum SafeFiles {
    /// Replaces the file at `path` with `contents`: written to a new hidden file beside it,
    /// flushed, then renamed over the name (a rename replaces a symbolic link, never its target).
    public static func replace(_ path: String, contents: some Sequence<UInt8>) throws(FileFailure) {
        let ns = path as NSString
        let parent = ns.deletingLastPathComponent.isEmpty ? "." : ns.deletingLastPathComponent
        let name = ns.lastPathComponent
        let dir = try DirectoryHandle(path: parent)
        if dir.kind(of: name) == .directory { throw FileFailure(path: path, reason: "is a folder") }
        let temporary = ".\(name).tmp-\(getpid())"
        try dir.removeTree(temporary)
        do {
            try dir.createFile(temporary, contents: contents)
            try dir.rename(temporary, to: name)
            try dir.sync()
        } catch {
            try? dir.removeTree(temporary)
            throw error
        }
    }

    /// Whether a process with this id is running (a staging folder named after a dead one is stale).
    public static func processIsAlive(_ pid: Int32) -> Bool { pid > 0 && (kill(pid, 0) == 0 || errno == EPERM) }
}

func joinedPath(_ base: String, _ name: String) -> String { base.hasSuffix("/") ? base + name : base + "/" + name }
