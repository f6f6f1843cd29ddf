import BarazaIngest
import Foundation

/// Expands a source path (a file, a folder of XML submissions, or a glob with `*`, `?`) into the
/// files it names, sorted so runs are deterministic. A glob skips hidden files (names starting
/// with `.`) unless its own name part starts with one.
public enum SourceFiles {
    public static func expand(_ pattern: String, base: String) -> [String] {
        let full = joinPath(base, pattern)
        if !full.contains("*") && !full.contains("?") {
            return FileManager.default.fileExists(atPath: full) ? [full] : []
        }
        let dir = (full as NSString).deletingLastPathComponent
        let namePattern = (full as NSString).lastPathComponent
        guard !dir.contains("*"), let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else {
            return []
        }
        let hidden = namePattern.hasPrefix(".")
        return names.filter { (hidden || !$0.hasPrefix(".")) && fnmatch(namePattern, $0) }.sorted()
            .map { joinPath(dir, $0) }
    }

    /// Shell-style match of `*` and `?` against a file name.
    static func fnmatch(_ pattern: String, _ name: String) -> Bool {
        let p = Array(pattern)
        let n = Array(name)
        var pi = 0
        var ni = 0
        var star = -1
        var mark = 0
        while ni < n.count {
            if pi < p.count && (p[pi] == "?" || p[pi] == n[ni]) {
                pi += 1
                ni += 1
            } else if pi < p.count && p[pi] == "*" {
                star = pi
                mark = ni
                pi += 1
            } else if star >= 0 {
                pi = star + 1
                mark += 1
                ni = mark
            } else {
                return false
            }
        }
        while pi < p.count && p[pi] == "*" { pi += 1 }
        return pi == p.count
    }
}

extension SourceFiles {
    /// Why a folder cannot be a source: it is named like a file (`data.csv/`) and holds no XML
    /// submissions; nil for a file, or a folder of submissions.
    public static func folderProblem(_ path: String) -> String? {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue else { return nil }
        let ext = (path as NSString).pathExtension.lowercased()
        guard ["csv", "tsv", "txt", "xml", "xlsx", "xls", "json", "zip", "sav", "lsr", "sss"].contains(ext) else {
            return nil
        }
        if !submissionFiles(inFolder: path).isEmpty { return nil }
        return "it is a folder named like a .\(ext) file, with no XML submission files in it"
    }

    public static func isFolder(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
    }

    /// The XML files of a folder of submissions (see `SubmissionFolder.files`).
    public static func submissionFiles(inFolder folder: String) -> [String] { SubmissionFolder.files(in: folder) }

    /// Every source file of a consultation, each with its source: a folder of submissions is one
    /// entry (its new files are imported as one batch). Files outside the consultation's tree are
    /// left out (the loader refuses them with their place).
    public static func expandSources(_ c: Consultation) -> [(path: String, source: SourceSpec)] {
        c.sources.flatMap { s in expand(s.path, base: c.baseDirectory).filter { c.tree.contains($0) }.map { ($0, s) } }
    }
}
