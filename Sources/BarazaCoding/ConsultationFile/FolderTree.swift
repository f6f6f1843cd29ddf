import Foundation

/// The folder tree a consultation file may name paths in: its own folder, or the folder its
/// `root:` key names (`root: ..` for a project with `Surveys/` and `Reports/` side by side).
/// A path from the file that leaves the tree, lexically (`../../etc`) or through a symbolic link,
/// is refused unless the file says `allow_outside: true` or the command line does: a consultation
/// file handed on by someone else must not make Baraza read `/etc/shadow` into a store or write a
/// report over another folder.
public struct FolderTree: Sendable, Hashable {
    /// The tree's root, absolute and without `.` or `..` components.
    public let root: String
    /// The root with its symbolic links resolved.
    public let realRoot: String
    public let allowOutside: Bool

    public init(root: String, allowOutside: Bool) {
        self.root = FolderTree.normalize(root)
        self.realRoot = FolderTree.resolve(self.root)
        self.allowOutside = allowOutside
    }

    /// Whether `path` (absolute) lies in the tree, both as written and once its links are resolved.
    public func contains(_ path: String) -> Bool {
        if allowOutside { return true }
        let lexical = FolderTree.normalize(path)
        guard FolderTree.isWithin(lexical, root) else { return false }
        return FolderTree.isWithin(FolderTree.resolve(lexical), realRoot)
    }

    /// Of the files of one folder (in it, or one folder down), those in the tree: the folder is
    /// resolved once, and only a file or subfolder that is a symbolic link on its own.
    public func contains(files: [String], of folder: String) -> [String] {
        if allowOutside { return files }
        guard contains(folder) else { return files.filter { contains($0) } }
        let prefix = folder.hasSuffix("/") ? folder : folder + "/"
        return files.filter { file in
            guard file.hasPrefix(prefix) else { return contains(file) }
            var at = prefix
            for part in file.dropFirst(prefix.count).split(separator: "/") {
                at += part
                var st = stat()
                if lstat(at, &st) != 0 || st.st_mode & S_IFMT == S_IFLNK { return contains(file) }
                at += "/"
            }
            return true
        }
    }

    static func isWithin(_ path: String, _ root: String) -> Bool {
        root == "/" || path == root || path.hasPrefix(root + "/")
    }

    /// `path` made absolute against the working folder, `.` and `..` removed as written (never
    /// through the file system, so a link does not change what `..` means here).
    public static func normalize(_ path: String) -> String {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var parts: [Substring] = []
        for part in absolute.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." {
                _ = parts.popLast()
                continue
            }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }

    /// The path with the links of its longest existing prefix resolved; the part that does not
    /// exist yet (a report folder to be made) is kept as written.
    static func resolve(_ normalized: String) -> String {
        var existing = normalized
        var rest: [String] = []
        while true {
            if let real = realpath(existing, nil) {
                defer { free(real) }
                let base = String(cString: real)
                return rest.isEmpty ? base : normalize(base + "/" + rest.reversed().joined(separator: "/"))
            }
            if existing == "/" { return normalized }
            rest.append((existing as NSString).lastPathComponent)
            existing = (existing as NSString).deletingLastPathComponent
        }
    }
}
