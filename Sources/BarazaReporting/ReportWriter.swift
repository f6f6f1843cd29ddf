import BarazaAnalysis
import BarazaFiles
import Foundation

/// Which files a report run writes.
public struct ReportFormats: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    public static let html = ReportFormats(rawValue: 1)
    public static let markdown = ReportFormats(rawValue: 2)
    public static let csv = ReportFormats(rawValue: 4)
    public static let json = ReportFormats(rawValue: 8)
    public static let pdf = ReportFormats(rawValue: 16)
    public static let xlsx = ReportFormats(rawValue: 32)
    public static let all: ReportFormats = [.html, .markdown, .csv, .json]

    /// Parses `html,md,csv,json`; nil names the first unknown format.
    public static func parse(_ list: String) -> Result<ReportFormats, ReportError> {
        var f: ReportFormats = []
        for part in list.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }) {
            switch part {
            case "html": f.insert(.html)
            case "md", "markdown": f.insert(.markdown)
            case "csv": f.insert(.csv)
            case "json": f.insert(.json)
            case "pdf": f.insert(.pdf)
            case "xlsx": f.insert(.xlsx)
            default: return .failure(.unknownFormat(part))
            }
        }
        return .success(f)
    }
}

public enum ReportError: Error, Sendable, CustomStringConvertible, Equatable {
    case unknownFormat(String)
    case cannotWrite(path: String, reason: String)
    /// The output folder exists and is not a report Baraza wrote: it is never replaced.
    case notAReportFolder(path: String, reason: String)
    /// `--format pdf` without a browser to print with; the other formats were written.
    case noChromium
    case printFailed(String)
    public var description: String {
        switch self {
        case .unknownFormat(let f): "unknown report format '\(f)' (expected html, md, csv, json, xlsx or pdf)"
        case .noChromium:
            "the PDF needs headless Chromium (apt-get install chromium, or set BARAZA_CHROMIUM to a Chrome or "
                + "Chromium binary); the other formats were written"
        case .printFailed(let why): "the PDF could not be printed: \(why); the other formats were written"
        case .cannotWrite(let path, let reason): "\(path): cannot write report: \(reason)"
        case .notAReportFolder(let path, let reason):
            "\(path): \(reason); Baraza writes only into a new folder, an empty one, or one holding a Baraza report "
                + "(with its \(ReportWriter.marker) file); choose another --out"
        }
    }
}

/// Writes a report folder atomically: everything goes to a new hidden sibling folder, flushed to
/// disk, that then takes the old folder's place in one step, so a failed or killed run leaves the
/// previous report whole. Only a folder that holds Baraza's marker file (or an empty one) is ever
/// replaced, so `--out` never deletes what is not a report.
public enum ReportWriter {
    /// The file that marks a folder as a Baraza report, which a later run may replace.
    public static let marker = ".baraza-report"
    static let markerText = "This folder is a report written by Baraza. Each report run replaces it whole.\n"

    /// `date` (yyyy-MM-dd) is the report's date; nil takes the last day of fieldwork.
    public static func write(
        _ analysis: ConsultationAnalysis,
        to directory: String,
        formats: ReportFormats = .all,
        date: String? = nil,
        paper: PDFReport.Paper = .a4
    ) throws(ReportError) -> [String] {
        var files: [String: String] = [:]
        // Built once: each format walks the same document.
        let document = ReportBuilder.document(analysis, date: date)
        var binary: [String: [UInt8]] = [:]
        var pdfProblem: ReportError?
        if formats.contains(.xlsx) { binary[XLSXReport().fileName] = try XLSXReport().render(analysis) }
        if formats.contains(.pdf) {
            let pdf = PDFReport(paper: paper)
            let html = HTMLReport(print: pdf).render(document)
            do throws(ReportError) {
                binary[pdf.fileName] = try pdf.print(html: html, date: date ?? analysis.fieldwork?.last ?? "2000-01-01")
            } catch { pdfProblem = error }
        }
        if formats.contains(.html) {
            files[HTMLReport().fileName] = HTMLReport().render(document)
            files.merge(HTMLReport().figureFiles(document)) { a, _ in a }
        }
        if formats.contains(.markdown) { files[MarkdownReport().fileName] = MarkdownReport().render(document) }
        if formats.contains(.json) { files[JSONSummary().fileName] = JSONSummary().render(analysis) }
        if formats.contains(.csv) { for (n, t) in CSVTables.render(analysis) { files["tables/\(n)"] = t } }
        var all = files.mapValues { Array($0.utf8) }
        all.merge(binary) { a, _ in a }
        try writeFolder(all, to: directory)
        // Without a browser the other formats are written, and the caller says why the PDF is not.
        if let pdfProblem { throw pdfProblem }
        return all.keys.sorted().map { (directory as NSString).appendingPathComponent($0) }
    }

    /// Writes `files` (relative path → text, at most one folder deep) as the folder `directory`.
    public static func writeFolder(_ files: [String: String], to directory: String) throws(ReportError) {
        try writeFolder(files.mapValues { Array($0.utf8) }, to: directory)
    }

    /// Writes `files` (relative path → bytes, at most one folder deep) as the folder `directory`.
    public static func writeFolder(_ files: [String: [UInt8]], to directory: String) throws(ReportError) {
        let parentPath = (directory as NSString).deletingLastPathComponent
        let name = (directory as NSString).lastPathComponent
        let staging = ".\(name).staging-\(getpid())"
        let parent: DirectoryHandle
        do {
            try FileManager.default.createDirectory(atPath: parentPath, withIntermediateDirectories: true)
            parent = try DirectoryHandle(path: parentPath)
        } catch { throw .cannotWrite(path: directory, reason: "\(error)") }
        try checkTarget(name, in: parent, path: directory)
        removeStale(of: name, in: parent)
        do {
            try parent.removeTree(staging)
            try parent.makeDirectory(staging)
            let folder = try DirectoryHandle(name: staging, in: parent)
            try folder.createFile(marker, contents: Array(markerText.utf8))
            var subfolders: [String: DirectoryHandle] = [:]
            for (rel, text) in files.sorted(by: { $0.key < $1.key }) {
                let parts = rel.split(separator: "/", maxSplits: 1).map(String.init)
                if parts.count == 2 {
                    if subfolders[parts[0]] == nil {
                        try folder.makeDirectory(parts[0])
                        subfolders[parts[0]] = try DirectoryHandle(name: parts[0], in: folder)
                    }
                    try subfolders[parts[0]]?.createFile(parts[1], contents: text)
                } else {
                    try folder.createFile(rel, contents: text)
                }
            }
            for sub in subfolders.values { try sub.sync() }
            try folder.sync()
            if parent.kind(of: name) == nil {
                try parent.rename(staging, to: name)
            } else if try parent.exchange(staging, name) {
                // The staging name now holds the old report.
                try parent.removeTree(staging)
            } else {
                // No one-step exchange here: two renames; a run killed between them leaves the old
                // report under `.NAME.old-PID`, which the next run puts back (`removeStale`).
                let old = ".\(name).old-\(getpid())"
                try parent.removeTree(old)
                try parent.rename(name, to: old)
                try parent.rename(staging, to: name)
                try parent.removeTree(old)
            }
            try parent.sync()
        } catch {
            try? parent.removeTree(staging)
            throw .cannotWrite(path: directory, reason: error.reason)
        }
    }

    /// Refuses a target that is not a Baraza report: a file, a link, or a folder with other files.
    static func checkTarget(_ name: String, in parent: DirectoryHandle, path: String) throws(ReportError) {
        switch parent.kind(of: name) {
        case nil: return
        case .directory:
            guard let folder = try? DirectoryHandle(name: name, in: parent), let names = try? folder.names() else {
                throw .notAReportFolder(path: path, reason: "cannot be read")
            }
            if names.isEmpty || folder.kind(of: marker) == .file || isUnmarkedReport(folder, names) { return }
            throw .notAReportFolder(path: path, reason: "exists and holds files that are not a Baraza report")
        case .symbolicLink: throw .notAReportFolder(path: path, reason: "is a symbolic link")
        default: throw .notAReportFolder(path: path, reason: "exists and is not a folder")
        }
    }

    /// A report written before reports carried the marker: nothing in it but the files Baraza
    /// writes, so replacing it loses nothing of the user's.
    static func isUnmarkedReport(_ folder: DirectoryHandle, _ names: [String]) -> Bool {
        let known: Set<String> = ["index.html", "report.md", "summary.json", "tables"]
        guard names.allSatisfy(known.contains), names.contains(where: { $0 != "tables" }) else { return false }
        for name in names {
            let expected: FileKind = name == "tables" ? .directory : .file
            guard folder.kind(of: name) == expected else { return false }
        }
        guard names.contains("tables") else { return true }
        guard let tables = try? DirectoryHandle(name: "tables", in: folder), let csv = try? tables.names() else {
            return false
        }
        return csv.allSatisfy { $0.hasSuffix(".csv") && tables.kind(of: $0) == .file }
    }

    /// Staging and old folders left by runs that died (a process that no longer exists): an old
    /// report is put back when the report is missing (a kill between the two renames), the rest
    /// removed. Only folders holding the marker are touched.
    static func removeStale(of name: String, in parent: DirectoryHandle) {
        guard let names = try? parent.names() else { return }
        for entry in names {
            let isOld = entry.hasPrefix(".\(name).old-")
            guard isOld || entry.hasPrefix(".\(name).staging-"), let dash = entry.lastIndex(of: "-"),
                let pid = Int32(entry[entry.index(after: dash)...]), pid != getpid(), !SafeFiles.processIsAlive(pid),
                let folder = try? DirectoryHandle(name: entry, in: parent), folder.kind(of: marker) == .file
            else { continue }
            if isOld && parent.kind(of: name) == nil {
                try? parent.rename(entry, to: name)
            } else {
                try? parent.removeTree(entry)
            }
        }
    }
}

/// A report date as the command line and the consultation file give it.
public enum ReportDate {
    /// yyyy-MM-dd with a month from 1 to 12 and a day the month has.
    public static func isValid(_ s: String) -> Bool {
        let parts = s.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2, let y = Int(parts[0]),
            let m = Int(parts[1]), let d = Int(parts[2]), (1...12).contains(m)
        else { return false }
        let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        return (1...days[m - 1]).contains(d)
    }
}
