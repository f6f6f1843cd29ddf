import BarazaIngest
import BarazaModel
import Foundation

/// What `baraza inspect` reports about one file.
public struct FileInspection: Sendable, Codable {
    public struct Column: Sendable, Codable {
        public var name: String
        public var groupPath: [String]
        public var inferredType: String
        public var distinctValues: Int
        public var examples: [String]
    }
    public struct Problem: Sendable, Codable {
        public var severity: String
        public var line: Int?
        public var column: Int?
        public var message: String
    }
    public var file: String
    public var format: String
    public var encoding: String
    public var delimiter: String?
    public var headerRows: Int
    public var records: Int
    public var rejected: Int
    public var columns: [Column]
    public var diagnostics: [Problem]
}

/// Reads a file through the ingest stage only and describes what it found.
public enum Inspector {
    public static func inspect(_ path: String) throws(IngestError) -> FileInspection {
        var d = Diagnostics()
        let input = try InputFile(path)
        defer { withExtendedLifetime(input) {} }
        var reader = try ExportReader.open(input.path, diagnostics: &d)
        var distinct: [Set<String>] = []
        var records = 0
        var rejected = 0
        var numeric: [Bool] = []
        var dates: [Bool] = []
        var nonEmpty: [Int] = []
        reader.forEachRecord(&d) { item, columns in
            records += 1
            guard case .record(let r) = item else {
                rejected += 1
                return true
            }
            while distinct.count < columns.count {
                distinct.append([])
                numeric.append(true)
                dates.append(true)
                nonEmpty.append(0)
            }
            for (i, v) in r.values.enumerated() where i < distinct.count {
                if distinct[i].count <= 1000 { distinct[i].insert(v) }
                if v.isEmpty { continue }
                nonEmpty[i] += 1
                if numeric[i] && Double(v.trimmingWhitespace().replacingOccurrences(of: ",", with: ".")) == nil {
                    numeric[i] = false
                }
                if dates[i] && DateParser.parse(v) == nil { dates[i] = false }
            }
            return true
        }
        let columns = reader.columns.enumerated()
            .map { i, c -> FileInspection.Column in
                let values = i < distinct.count ? distinct[i].subtracting([""]) : []
                let n = i < nonEmpty.count ? nonEmpty[i] : 0
                var type = "text"
                if n == 0 {
                    type = "empty"
                } else if dates[i] {
                    type = "datetime"
                } else if numeric[i] {
                    type = "number"
                } else if values.count <= 12 || Double(values.count) <= 0.05 * Double(n) {
                    type = "categorical"
                }
                if values.allSatisfy({ $0 == "0" || $0 == "1" }) && n > 0 { type = "binary" }
                return FileInspection.Column(
                    name: c.name,
                    groupPath: c.groupPath,
                    inferredType: type,
                    distinctValues: values.count,
                    examples: Array(values.sorted().prefix(5))
                )
            }
        return FileInspection(
            file: path,
            format: reader.profile.rawValue,
            encoding: reader.encoding.rawValue,
            delimiter: reader.delimiter.map { $0 == "\t" ? "\\t" : String($0) },
            headerRows: reader.headerRows,
            records: records,
            rejected: rejected,
            columns: columns,
            diagnostics: d.items.map {
                FileInspection.Problem(
                    severity: $0.severity.rawValue,
                    line: $0.location?.line,
                    column: $0.location?.column,
                    message: $0.message + ($0.expected.map { " (expected \($0))" } ?? "")
                )
            }
        )
    }
}
