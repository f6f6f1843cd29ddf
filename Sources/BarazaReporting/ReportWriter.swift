import BarazaAnalysis
import Foundation

/// Which files a report run writes.
public struct ReportFormats: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    public static let html = ReportFormats(rawValue: 1)
    public static let markdown = ReportFormats(rawValue: 2)
    public static let csv = ReportFormats(rawValue: 4)
    public static let json = ReportFormats(rawValue: 8)
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
            default: return .failure(.unknownFormat(part))
            }
        }
        return .success(f)
    }
}

public enum ReportError: Error, Sendable, CustomStringConvertible, Equatable {
    case unknownFormat(String)
    case cannotWrite(path: String, reason: String)
    public var description: String {
        switch self {
        case .unknownFormat(let f): "unknown report format '\(f)' (expected html, md, csv or json)"
        case .cannotWrite(let path, let reason): "\(path): cannot write report: \(reason)"
        }
    }
}

/// Writes a report folder atomically: everything goes to a temporary sibling folder that then
/// replaces the old one, so a failed run leaves the previous report in place.
public enum ReportWriter {
    public static func write(_ analysis: ConsultationAnalysis, to directory: String, formats: ReportFormats = .all) throws(ReportError) -> [String] {
        let fm = FileManager.default
        let parent = (directory as NSString).deletingLastPathComponent
        let name = (directory as NSString).lastPathComponent
        let staging = (parent as NSString).appendingPathComponent(".\(name).staging-\(getpid())")
        var files: [String: String] = [:]
        if formats.contains(.html) { files[HTMLReport().fileName] = HTMLReport().render(analysis) }
        if formats.contains(.markdown) { files[MarkdownReport().fileName] = MarkdownReport().render(analysis) }
        if formats.contains(.json) { files[JSONSummary().fileName] = JSONSummary().render(analysis) }
        if formats.contains(.csv) { for (n, t) in CSVTables.render(analysis) { files["tables/\(n)"] = t } }
        do {
            try? fm.removeItem(atPath: staging)
            try fm.createDirectory(atPath: (staging as NSString).appendingPathComponent("tables"), withIntermediateDirectories: true)
            if !formats.contains(.csv) { try fm.removeItem(atPath: (staging as NSString).appendingPathComponent("tables")) }
            for (rel, text) in files.sorted(by: { $0.key < $1.key }) {
                try Data(text.utf8).write(to: URL(fileURLWithPath: (staging as NSString).appendingPathComponent(rel)))
            }
            let old = (parent as NSString).appendingPathComponent(".\(name).old-\(getpid())")
            if fm.fileExists(atPath: directory) { try fm.moveItem(atPath: directory, toPath: old) }
            try fm.moveItem(atPath: staging, toPath: directory)
            try? fm.removeItem(atPath: old)
        } catch {
            try? fm.removeItem(atPath: staging)
            throw .cannotWrite(path: directory, reason: "\(error.localizedDescription)")
        }
        return files.keys.sorted().map { (directory as NSString).appendingPathComponent($0) }
    }
}
