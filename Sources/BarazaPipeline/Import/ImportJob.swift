import BarazaKit
import BarazaCoding
import BarazaFiles
import BarazaIngest
import BarazaModel
import BarazaStore
import Foundation

/// What happened to one file in an import.
public struct FileImportResult: Sendable, Codable {
    public enum Outcome: String, Sendable, Codable { case imported, skipped, failed }
    public var path: String
    public var outcome: Outcome
    public var batch: Int64?
    public var format: String?
    public var records: Int
    public var responses: Int
    public var rejected: Int
    public var duplicates: Int
    public var superseded: Int
    public var message: String?
    /// A person should look although nothing was rejected: the file was empty or held a header and
    /// no records, or was read as Windows-1252 and labels matched nothing.
    public var needsPerson: Bool = false
    /// Respondents whose group answer (blank or not) matched no stakeholder group.
    public var noGroup: Int = 0
    /// Closed answers whose label matched no point of the question's scale.
    public var unknownLabels: Int = 0
    /// Of `rejected`, responses never submitted (LimeSurvey), left out by default: not a defect.
    public var incomplete: Int = 0
    /// The file is not survey responses Baraza reads (a form, an old workbook, a PDF): refused,
    /// nothing stored; the command exits 2.
    public var refused: Bool = false
}

/// Imports export files into the store: ingest → coding → store, one transaction per file.
public struct ImportJob {
    public let consultation: Consultation
    public let store: SQLiteStore
    /// Called with (records read so far) during long imports, for a progress display.
    public var progress: (@Sendable (String, Int) -> Void)?
    /// The clock for `imported_at`; injectable so tests and golden reports are deterministic.
    public var now: @Sendable () -> Date = { Date() }
    /// Coding threads (at least one); the store and diagnostics come out the same for any number.
    public var codingWorkers = ImportJob.defaultCodingWorkers

    public init(consultation: Consultation, store: SQLiteStore) {
        self.consultation = consultation
        self.store = store
    }

    /// Every file named by the consultation's sources (a folder gives each of its XML files), with
    /// the source that names it.
    public func sourceFiles() -> [(path: String, source: SourceSpec)] { SourceFiles.expandSources(consultation) }

    /// The source spec for a file given on the command line: the one whose path names it, else a
    /// plain spec with no fixed country or wave.
    public func source(for path: String) -> SourceSpec {
        let abs = path.hasPrefix("/") ? path : joinPath(FileManager.default.currentDirectoryPath, path)
        let std = (abs as NSString).standardizingPath
        if let match = sourceFiles().first(where: { ($0.path as NSString).standardizingPath == std }) {
            return match.source
        }
        return SourceSpec(path: path, location: SourceLocation(file: consultation.file, line: 1))
    }

    static let chunkSize = Tuning.standard.recordsPerChunk

    /// The submission files of a folder not yet in the store (by digest; a file met twice in the
    /// folder counts once), with their paths relative to the consultation's folder, and how many
    /// files the folder holds. Files outside the consultation's tree are left out.
    func newSubmissionFiles(in folder: String) throws -> (new: [BatchFile], total: Int) {
        let files = consultation.tree.contains(files: SourceFiles.submissionFiles(inFolder: folder), of: folder)
        // Paths relative to the consultation's folder, made once for the folder (per file it was
        // a sixth of the time: standardizing a path resolves its links).
        let base = relativePath(folder)
        let prefix = folder.hasSuffix("/") ? folder : folder + "/"
        var all: [BatchFile] = []
        all.reserveCapacity(files.count)
        for f in files {
            let d = try FileDigest.sha256(submission: f)
            let path = f.hasPrefix(prefix) ? joinPath(base, String(f.dropFirst(prefix.count))) : relativePath(f)
            all.append(BatchFile(path: path, sha256: d.hex, size: d.size))
        }
        var known = try store.importedDigests(all.map(\.sha256))
        let new = all.filter { known.insert($0.sha256).inserted }
        return (new, files.count)
    }

    /// Coding threads per import (see `Tuning`).
    public static let defaultCodingWorkers = Tuning.standard.codingWorkers

    /// Paths are recorded relative to the consultation's folder, so a store moves with its files.
    func relativePath(_ path: String) -> String {
        let abs = ((path.hasPrefix("/") ? path : joinPath(FileManager.default.currentDirectoryPath, path)) as NSString)
            .standardizingPath
        let base = (consultation.baseDirectory as NSString).standardizingPath + "/"
        return abs.hasPrefix(base) ? String(abs.dropFirst(base.count)) : abs
    }

    /// Writes every rejected row in the store to a CSV file (see `RejectsFile`).
    public func writeRejectsFile(to path: String) throws { try RejectsFile.write(from: store, to: path) }
}
