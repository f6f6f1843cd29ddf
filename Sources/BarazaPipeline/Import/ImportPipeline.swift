import BarazaCoding
import BarazaIngest
import BarazaModel
import BarazaStore
import Foundation

/// The import of one file, top to bottom: open it, skip it when its bytes are in the store already,
/// then read → code → pack → write in one batch (`ImportStages`), then say what needs a person.
extension ImportJob {
    /// Imports one file unless its bytes are already in the store.
    public func importFile(
        _ path: String,
        source: SourceSpec,
        wave: String? = nil,
        country: String? = nil,
        diagnostics: inout Diagnostics
    ) -> FileImportResult {
        let display = relativePath(path)
        do {
            // A pipe is read once, into a temporary copy the rest reads (`InputFile`).
            let given = try InputFile(path)
            defer { withExtendedLifetime(given) {} }
            let path = given.path
            let plan: ReadPlan
            switch try readPlan(for: path, display: display) {
            case .skip(let result): return result
            case .read(let p): plan = p
            }
            var local = Diagnostics()
            var reader = try open(path, plan: plan, source: source, diagnostics: &local)
            var coder = ResponseCoder(
                consultation: consultation,
                source: source,
                profile: reader.profile,
                wave: wave,
                country: country
            )
            let input = BatchInput(
                path: display,
                size: plan.digest?.size ?? plan.size,
                sha256: plan.digest?.hex ?? "pending:\(UUID().uuidString)",
                format: reader.profile.rawValue,
                wave: wave ?? source.wave,
                country: country ?? source.country,
                importedAt: ISO8601DateFormatter().string(from: now()),
                files: plan.folderFiles
            )
            var attention = Attention()
            let batch = try store.importPacked(input) { sink in
                let progress = self.progress
                var counts = try ImportStages.run(
                    reader: &reader,
                    coder: &coder,
                    workers: max(1, codingWorkers),
                    into: &sink,
                    diagnostics: &local,
                    progress: progress.map { report in { report(display, $0) } }
                )
                if let hashing = plan.hashing {
                    let d = try hashing.finish(path: path)
                    try sink.setDigest(d.hex, size: d.size)
                }
                attention = Self.warnAboutUnmatched(
                    coder,
                    reader: reader,
                    source: source,
                    path: path,
                    linesKnown: plan.folderFiles.isEmpty,
                    diagnostics: &local
                )
                attention.incomplete = counts.incomplete
                for d in local.items { try sink.record(d) }
                counts.batch.unknownLabels = coder.unknownLabels
                counts.batch.unmappedGroups = coder.unmappedGroups
                return counts.batch
            }
            let empty = batch.records == 0 && batch.rejected == 0
            if empty {
                local.warning(
                    "no records after the header: the batch is empty",
                    at: SourceLocation(file: path, line: 1),
                    expected: "at least one response"
                )
            }
            diagnostics.merge(local)
            // Respondents without a group and labels nothing matches are left out of figures: a person
            // should look, so the run says so in its exit status.
            var result = FileImportResult(imported: batch, path: display)
            result.needsPerson = attention.misread || empty || attention.noGroup > 0 || attention.unknownLabels > 0
            result.noGroup = attention.noGroup
            result.unknownLabels = attention.unknownLabels
            result.incomplete = attention.incomplete
            return result
        } catch IngestError.empty {
            // One empty file (a download that failed) must not stop the others.
            diagnostics.warning(
                "the file is empty (no header, no records); skipped",
                at: SourceLocation(file: path, line: 1),
                expected: "an export with a header row"
            )
            return FileImportResult(skipped: display, message: "empty file; nothing to import", needsPerson: true)
        } catch IngestError.notAnExport(_, let what, let instead) {
            let message = "this is \(what); \(instead)"
            diagnostics.error("refused, nothing stored: \(message)", at: SourceLocation(file: path, line: 1))
            var result = FileImportResult(failed: display, message: message)
            result.refused = true
            return result
        } catch {
            diagnostics.error(
                "import failed, nothing from this file was stored: \(error)",
                at: SourceLocation(file: path, line: 1)
            )
            return FileImportResult(failed: display, message: "\(error)")
        }
    }

    /// What to read, once the store has been asked whether the bytes are new.
    struct ReadPlan {
        /// The file's digest when it was computed before reading; else `hashing` computes it as the
        /// reader reads.
        var digest: (hex: String, size: Int64)?
        var size: Int64
        var hashing: FileDigest.Running?
        /// A folder of submission files: its new files, one batch (see `newSubmissionFiles`).
        var folderFiles: [BatchFile] = []
    }

    enum Planned {
        case skip(FileImportResult)
        case read(ReadPlan)
    }

    /// Skips a file whose bytes (or a folder whose files) are all in the store. A file can be one
    /// imported before only if a batch has its size: then its digest is computed first. Otherwise the
    /// reader hashes the bytes as it reads them (a second pass over the file cost a fifth of an XML
    /// import, all of it before the parallel part), and the batch gets the digest at the end.
    func readPlan(for path: String, display: String) throws -> Planned {
        if let problem = SourceFiles.folderProblem(path) {
            throw IngestError.unsupportedFormat(path: display, reason: problem)
        }
        if SourceFiles.isFolder(path) {
            let found = try newSubmissionFiles(in: path)
            if found.new.isEmpty {
                return .skip(
                    FileImportResult(
                        skipped: display,
                        message: "\(found.total) submission files, all imported before; nothing to do",
                        needsPerson: found.total == 0
                    )
                )
            }
            let digest = (
                hex: FileDigest.sha256(text: "files:" + found.new.map(\.sha256).joined(separator: ",")),
                size: found.new.reduce(0) { $0 + $1.size }
            )
            return .read(ReadPlan(digest: digest, size: digest.size, hashing: nil, folderFiles: found.new))
        }
        let size = try FileDigest.size(path: path)
        guard try store.hasBatch(size: size) || !ExportReader.observesBytes(path) else {
            return .read(ReadPlan(digest: nil, size: size, hashing: FileDigest.Running()))
        }
        let d = try FileDigest.sha256(path: path)
        if let existing = try store.batch(sha256: d.hex) {
            var result = FileImportResult(
                skipped: display,
                message: "already imported as batch \(existing.id) (\(existing.path)); same bytes, nothing to do"
            )
            result.batch = existing.id
            result.format = existing.format
            return .skip(result)
        }
        return .read(ReadPlan(digest: d, size: size, hashing: nil))
    }

    /// The reader for the file (hashing its bytes as it goes when the plan says so), or for the
    /// folder's new submission files.
    func open(_ path: String, plan: ReadPlan, source: SourceSpec, diagnostics: inout Diagnostics) throws
        -> any RecordSource
    {
        guard plan.folderFiles.isEmpty else {
            return XMLRecordReader(
                files: plan.folderFiles.map { joinPath(consultation.baseDirectory, $0.path) },
                path: path,
                options: source.options
            )
        }
        return try ExportReader.open(path, options: source.options, observer: plan.hashing, diagnostics: &diagnostics)
    }

    /// What the file's answers left for a person to look at.
    struct Attention {
        var misread = false
        var noGroup = 0
        var unknownLabels = 0
        var incomplete = 0
    }

    /// Warns of questions without a column, group values and labels nothing matched, and a
    /// Windows-1252 guess that made labels stop matching; returns the counts for the exit status.
    static func warnAboutUnmatched(
        _ coder: ResponseCoder,
        reader: any RecordSource,
        source: SourceSpec,
        path: String,
        linesKnown: Bool,
        diagnostics local: inout Diagnostics
    ) -> Attention {
        var attention = Attention()
        for q in coder.unboundQuestions {
            local.note(
                "question '\(q)' has no column in this file",
                at: SourceLocation(file: path, line: 1),
                key: "unbound.\(q)"
            )
        }
        for (g, n) in coder.unmappedGroups.sorted(by: { $0.key < $1.key }) {
            local.warning(
                "group value '\(g)' (\(n)×) matches no stakeholder group; add it to a group's synonyms",
                at: SourceLocation(file: path, line: linesKnown ? coder.firstGroupLines[g] ?? 1 : 1),
                expected: "a synonym of a group"
            )
        }
        for (q, labels) in coder.unknownLabels.sorted(by: { $0.key < $1.key }) {
            for (raw, n) in labels.sorted(by: { $0.key < $1.key }) {
                local.warning(
                    "question '\(q)': label '\(raw)' (\(n)×) matches no scale point; counted as missing",
                    at: SourceLocation(file: path, line: linesKnown ? coder.firstLabelLines[q]?[raw] ?? 1 : 1),
                    expected: "a label of the question's scale"
                )
            }
        }
        if reader.encoding == .windows1252 && source.options.encoding == nil && !coder.unknownLabels.isEmpty {
            // The sniff chose Windows-1252 and labels stopped matching: perhaps a UTF-8 file.
            attention.misread = true
            let unmatched = coder.unknownLabels.values.map(\.count).reduce(0, +)
            local.warning(
                "read as Windows-1252 and \(unmatched) labels match no scale point; "
                    + "if the file is UTF-8, set the source's encoding: UTF-8",
                at: SourceLocation(file: path, line: 1),
                expected: "labels of the questions' scales"
            )
        }
        attention.noGroup = coder.unmappedGroups.values.reduce(0, +)
        attention.unknownLabels = coder.unknownLabels.values.flatMap(\.values).reduce(0, +)
        return attention
    }
}

extension FileImportResult {
    init(imported batch: BatchRecord, path: String) {
        self.init(
            path: path,
            outcome: .imported,
            batch: batch.id,
            format: batch.format,
            records: batch.records,
            responses: batch.responses,
            rejected: batch.rejected,
            duplicates: batch.duplicates,
            superseded: batch.superseded,
            message: nil
        )
    }

    init(skipped path: String, message: String, needsPerson: Bool = false) {
        self.init(nothingFrom: path, outcome: .skipped, message: message)
        self.needsPerson = needsPerson
    }

    init(failed path: String, message: String) { self.init(nothingFrom: path, outcome: .failed, message: message) }

    private init(nothingFrom path: String, outcome: Outcome, message: String) {
        self.init(
            path: path,
            outcome: outcome,
            batch: nil,
            format: nil,
            records: 0,
            responses: 0,
            rejected: 0,
            duplicates: 0,
            superseded: 0,
            message: message
        )
    }
}
