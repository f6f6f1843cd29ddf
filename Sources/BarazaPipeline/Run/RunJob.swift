import BarazaCoding
import BarazaIngest
import BarazaModel
import BarazaReporting
import BarazaStore
import Foundation

/// The exit statuses of the command-line contract, and how a run's outcome maps to them.
public enum ExitStatus {
    public static let done: Int32 = 0
    /// Nothing half-written; read the message, fix, run again.
    public static let failed: Int32 = 1
    /// A usage or configuration error, or a file that is not an export.
    public static let usage: Int32 = 2
    /// Done, but a person should look: rows rejected, labels or groups unmatched, an empty file.
    public static let needsPerson: Int32 = 3

    /// The status of a set of file imports.
    public static func of(_ results: [FileImportResult]) -> Int32 {
        // A file that is not an export is the user's to replace: a usage error, as a bad option is.
        if results.contains(where: \.refused) { return usage }
        if results.contains(where: { $0.outcome == .failed }) { return failed }
        if results.contains(where: { $0.rejected > $0.incomplete || $0.needsPerson }) { return needsPerson }
        return done
    }
}

/// JSON lines appended to a file for a scheduled run: one object per event, with its time.
public struct EventLog: Sendable {
    public let path: String?
    public init(path: String?) { self.path = path }

    public func write(_ fields: [String: String]) {
        guard let path else { return }
        var f = fields
        f["time"] = ISO8601DateFormatter().string(from: Date())
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? e.encode(f) else { return }
        if !FileManager.default.fileExists(atPath: path) {
            _ = FileManager.default.createFile(atPath: path, contents: nil)
        }
        guard let h = FileHandle(forWritingAtPath: path) else { return }
        defer { try? h.close() }
        _ = try? h.seekToEnd()
        h.write(data + Data("\n".utf8))
    }
}

/// `baraza run`, the scheduled job: import every source file not yet in the store, write the
/// rejects file, then refresh the report, logging each step; the caller holds the lock, prints
/// and exits with `Outcome.exitStatus`.
public struct RunJob {
    public let consultation: Consultation
    public let store: SQLiteStore
    public let events: EventLog
    public var progress: (@Sendable (String, Int) -> Void)?
    /// The report's date (yyyy-MM-dd); nil takes the last day of fieldwork.
    public var reportDate: String?

    public init(consultation: Consultation, store: SQLiteStore, events: EventLog) {
        self.consultation = consultation
        self.store = store
        self.events = events
    }

    /// What a run did.
    public struct Outcome {
        public var imports: [FileImportResult] = []
        public var diagnostics = Diagnostics()
        /// Why the rejects file could not be written (the rows stay in the store).
        public var rejectsError: (any Error)?
        /// The report's folder and how many files it holds, when it was written.
        public var report: (directory: String, files: Int)?
        /// Why the report could not be written (the previous one is left in place).
        public var reportError: (any Error)?
        public var exitStatus: Int32 = ExitStatus.done
    }

    /// The rejects file beside the store.
    public static func rejectsPath(_ c: Consultation) -> String {
        ((c.storePath as NSString).deletingPathExtension) + ".rejects.csv"
    }

    public func run() -> Outcome {
        var outcome = Outcome()
        // The report follows the import: its tallies are kept as the batches are written.
        ReportJob(consultation: consultation, store: store).tallyWhileImporting()
        outcome.imports = importAll(&outcome.diagnostics)
        do {
            try ImportJob(consultation: consultation, store: store).writeRejectsFile(to: Self.rejectsPath(consultation))
        } catch {
            outcome.rejectsError = error
            events.write([
                "event": "failed", "message": "cannot write the rejects file \(Self.rejectsPath(consultation))",
            ])
            outcome.exitStatus = ExitStatus.failed
            return outcome
        }
        if outcome.imports.contains(where: { $0.outcome == .failed }) {
            events.write(["event": "failed", "message": "one or more files failed to import"])
            outcome.exitStatus = ExitStatus.of(outcome.imports)
            return outcome
        }
        outcome.exitStatus = writeReport(&outcome) ?? ExitStatus.of(outcome.imports)
        return outcome
    }

    /// Imports each source file, logging it as it goes.
    func importAll(_ diagnostics: inout Diagnostics) -> [FileImportResult] {
        var job = ImportJob(consultation: consultation, store: store)
        job.progress = progress
        var results: [FileImportResult] = []
        for (path, source) in job.sourceFiles() {
            events.write(["event": "batch_started", "file": path])
            let r = job.importFile(path, source: source, diagnostics: &diagnostics)
            results.append(r)
            events.write([
                "event": r.outcome == .imported ? "imported" : r.outcome == .skipped ? "skipped" : "failed",
                "file": r.path, "batch": r.batch.map(String.init) ?? "", "responses": String(r.responses),
                "rejected": String(r.rejected), "message": r.message ?? "",
            ])
            if r.rejected > 0 { events.write(["event": "rejected_rows", "file": r.path, "count": String(r.rejected)]) }
        }
        return results
    }

    /// Writes the report; the exit status when it fails, nil when it was written.
    func writeReport(_ outcome: inout Outcome) -> Int32? {
        do {
            var report = ReportJob(consultation: consultation, store: store)
            report.date = reportDate
            let files = try report.write()
            let dir = (report.outputDirectory(nil) as NSString).standardizingPath
            events.write(["event": "report_written", "path": dir, "files": String(files.count)])
            outcome.report = (dir, files.count)
            return nil
        } catch {
            events.write(["event": "failed", "message": "\(error)"])
            outcome.reportError = error
            if let e = error as? ReportError, case .notAReportFolder = e { return ExitStatus.usage }
            return ExitStatus.failed
        }
    }
}
