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
            if let problem = SourceFiles.folderProblem(path) {
                throw IngestError.unsupportedFormat(path: display, reason: problem)
            }
            // A file can be one imported before only if a batch has its size: then its digest is
            // computed first, to skip it when the bytes are the same. Otherwise the reader hashes
            // the bytes as it reads them (a second pass over the file was a fifth of the 200k XML
            // import's time, all of it before the parallel part), and the batch gets the digest
            // at the end of its transaction.
            var digest: (hex: String, size: Int64)?
            // A folder of submission files: its new files, one batch (see `newSubmissionFiles`).
            var folderFiles: [BatchFile] = []
            if SourceFiles.isFolder(path) {
                let found = try newSubmissionFiles(in: path)
                if found.new.isEmpty {
                    return FileImportResult(
                        path: display,
                        outcome: .skipped,
                        batch: nil,
                        format: nil,
                        records: 0,
                        responses: 0,
                        rejected: 0,
                        duplicates: 0,
                        superseded: 0,
                        message: "\(found.total) submission files, all imported before; " + "nothing to do",
                        needsPerson: found.total == 0
                    )
                }
                folderFiles = found.new
                digest = (
                    FileDigest.sha256(text: "files:" + found.new.map(\.sha256).joined(separator: ",")),
                    found.new.reduce(0) { $0 + $1.size }
                )
            }
            let size = try digest?.size ?? FileDigest.size(path: path)
            if digest == nil, try store.hasBatch(size: size) || !ExportReader.observesBytes(path) {
                let d = try FileDigest.sha256(path: path)
                if let existing = try store.batch(sha256: d.hex) {
                    return FileImportResult(
                        path: display,
                        outcome: .skipped,
                        batch: existing.id,
                        format: existing.format,
                        records: 0,
                        responses: 0,
                        rejected: 0,
                        duplicates: 0,
                        superseded: 0,
                        message:
                            "already imported as batch \(existing.id) (\(existing.path)); same bytes, nothing to do"
                    )
                }
                digest = d
            }
            let hashing = digest == nil ? FileDigest.Running() : nil
            var local = Diagnostics()
            var reader: any RecordSource =
                folderFiles.isEmpty
                ? try ExportReader.open(path, options: source.options, observer: hashing, diagnostics: &local)
                : XMLRecordReader(
                    files: folderFiles.map { joinPath(consultation.baseDirectory, $0.path) },
                    path: path,
                    options: source.options
                )
            var coder = ResponseCoder(
                consultation: consultation,
                source: source,
                profile: reader.profile,
                wave: wave,
                country: country
            )
            let input = BatchInput(
                path: display,
                size: digest?.size ?? size,
                sha256: digest?.hex ?? "pending:\(UUID().uuidString)",
                format: reader.profile.rawValue,
                wave: wave ?? source.wave,
                country: country ?? source.country,
                importedAt: ISO8601DateFormatter().string(from: now()),
                files: folderFiles
            )
            let progress = self.progress
            var misread = false
            var noGroup = 0
            var unknownLabels = 0
            var incomplete = 0
            let batch = try store.importBatch(input) { sink in
                var counts = BatchCounts()
                // A reading thread parses records in chunks, coding workers code and pack whole
                // chunks, and this thread writes them in file order, so ids stay deterministic.
                // On two cores the threads balance whichever stage is heaviest (XML parsing,
                // open-text coding, SQLite). Workers never give registry indices themselves (see
                // `ResponsePacker`): the consultation's names are registered first, and a name met
                // in the data gets its index here, in file order. The channels hold a few chunks
                // each, so memory does not grow with the file.
                let names = coder.storeNames
                try sink.register(questions: names.questions, options: names.options, codes: names.codes)
                let workers = max(1, codingWorkers)
                let records = Channel<(sequence: Int, records: RecordChunk, columns: [ColumnHeader])>(
                    capacity: Tuning.standard.channelCapacity(workers: workers)
                )
                let channel = OrderedChannel<CodedChunk>(capacity: Tuning.standard.channelCapacity(workers: workers))
                let readStage = Handover((reader: reader, diagnostics: local))
                // Record chunks this thread has written (their raw records), emptied, for the reader to fill again.
                let spareChunks = Spares<RecordChunk>(limit: 2 * workers + 4)
                // Packed chunks this thread has written, emptied, for the workers to pack into again.
                let sparePacked = Spares<PackedChunk>(limit: 2 * workers + 4)
                var packer = workers > 1 ? sink.makePacker().worker() : sink.makePacker()
                // The raw records stay in the reader's chunks, which go on to this thread with the
                // packed ones, and are bound from there (`BatchSink.add(_:raw:)`).
                packer.rawElsewhere = true
                let codeStages = (0..<workers).map { _ in Handover((coder: coder, packer: packer, last: -1)) }
                let finished = DispatchSemaphore(value: 0)
                let readThread = Thread {
                    var (reader, diagnostics) = readStage.value
                    defer {
                        readStage.value = (reader, diagnostics)
                        records.close()
                        finished.signal()
                    }
                    var sequence = 0
                    var chunk = RecordChunk()
                    var open = true
                    // Each chunk goes with the columns as they stand after its last record (an XML
                    // reader finds new ones as it goes); a record without a later column's field
                    // reads it as absent.
                    let path = reader.path
                    // Read once: a global initialised at run time is checked on every access.
                    let chunkSize = Self.chunkSize
                    reader.forEachRecordLent(&diagnostics) { item, columns in
                        switch item {
                        case .record(let fields, let line, let column, let file):
                            chunk.append(fields, line: line, column: column, file: file, readerPath: path)
                        case .rejected(let r): chunk.rejected.append(r)
                        }
                        guard chunk.count == chunkSize else { return true }
                        open = records.put((sequence, chunk, columns))
                        sequence += 1
                        chunk = spareChunks.take() ?? RecordChunk(sizedLike: chunk)
                        return open
                    }
                    if open && chunk.count > 0 { _ = records.put((sequence, chunk, reader.columns)) }
                }
                let running = Countdown(workers)
                let codeThreads = codeStages.map { stage in
                    Thread {
                        var (coder, packer, last) = stage.value
                        defer {
                            stage.value = (coder, packer, last)
                            // The last worker to finish closes the channel.
                            if running.decrement() == 0 { channel.close() }
                            finished.signal()
                        }
                        while var taken = records.take() {
                            let sequence = taken.sequence
                            let columns = taken.columns
                            // The chunk taken out of the item, so that it is its arrays' only
                            // holder when it goes back to the reader emptied.
                            var chunk = RecordChunk()
                            swap(&chunk, &taken.records)
                            var coded = CodedChunk()
                            coded.records = chunk.count
                            coded.rejected = chunk.rejected
                            // Each record lent to the coder where it lies in the chunk.
                            chunk.forEachRecord { fields, location in
                                coder.code(
                                    fields,
                                    at: location,
                                    columns: columns,
                                    diagnostics: &coded.diagnostics,
                                    into: &packer
                                )
                            }
                            coded.packed = packer.takeChunk(reusing: sparePacked.take())
                            coded.source = consume chunk
                            last = sequence
                            if !channel.put(sequence, coded) {
                                records.cancel()
                                return
                            }
                        }
                    }
                }
                for thread in [readThread] + codeThreads {
                    thread.stackSize = 8 << 20
                    thread.start()
                }
                var coding = Diagnostics()
                func join() {
                    for _ in 0...workers { finished.wait() }
                    (reader, local) = readStage.value
                    // The coder that saw the last chunk holds the file's final column binding.
                    let stages = codeStages.map(\.value).sorted { $0.last < $1.last }
                    if var merged = stages.last?.coder {
                        for s in stages.dropLast() { merged.addCounts(of: s.coder) }
                        coder = merged
                    }
                    local.merge(coding)
                }
                do {
                    while var coded = channel.take() {
                        var packed = PackedChunk()
                        var source = RecordChunk()
                        swap(&packed, &coded.packed)
                        swap(&source, &coded.source)
                        try source.withRawRecords { try sink.add(&packed, raw: $0) }
                        sparePacked.put(PackedChunk(emptying: consume packed))
                        spareChunks.put(RecordChunk(emptying: consume source))
                        for rejected in coded.rejected { try sink.reject(rejected) }
                        coding.append(coded.diagnostics)
                        counts.records += coded.records
                        counts.rejected += coded.rejected.count
                        incomplete += coded.rejected.reduce(0) {
                            $0 + ($1.reason == RejectedRecord.incompleteReason ? 1 : 0)
                        }
                        progress?(display, counts.records)
                    }
                } catch {
                    channel.cancel()
                    records.cancel()
                    join()
                    throw error
                }
                join()
                if let hashing {
                    let d = try hashing.finish(path: path)
                    try sink.setDigest(d.hex, size: d.size)
                }
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
                        at: SourceLocation(file: path, line: folderFiles.isEmpty ? coder.firstGroupLines[g] ?? 1 : 1),
                        expected: "a synonym of a group"
                    )
                }
                for (q, labels) in coder.unknownLabels.sorted(by: { $0.key < $1.key }) {
                    for (raw, n) in labels.sorted(by: { $0.key < $1.key }) {
                        local.warning(
                            "question '\(q)': label '\(raw)' (\(n)×) matches no scale point; counted as missing",
                            at: SourceLocation(
                                file: path,
                                line: folderFiles.isEmpty ? coder.firstLabelLines[q]?[raw] ?? 1 : 1
                            ),
                            expected: "a label of the question's scale"
                        )
                    }
                }
                if reader.encoding == .windows1252 && source.options.encoding == nil && !coder.unknownLabels.isEmpty {
                    // The sniff chose Windows-1252 and labels stopped matching: perhaps a UTF-8 file.
                    misread = true
                    let unmatched = coder.unknownLabels.values.map(\.count).reduce(0, +)
                    local.warning(
                        "read as Windows-1252 and \(unmatched) labels match no scale point; "
                            + "if the file is UTF-8, set the source's encoding: UTF-8",
                        at: SourceLocation(file: path, line: 1),
                        expected: "labels of the questions' scales"
                    )
                }
                for d in local.items { try sink.record(d) }
                counts.unknownLabels = coder.unknownLabels
                counts.unmappedGroups = coder.unmappedGroups
                noGroup = coder.unmappedGroups.values.reduce(0, +)
                unknownLabels = coder.unknownLabels.values.flatMap(\.values).reduce(0, +)
                return counts
            }
            if batch.records == 0 && batch.rejected == 0 {
                local.warning(
                    "no records after the header: the batch is empty",
                    at: SourceLocation(file: path, line: 1),
                    expected: "at least one response"
                )
            }
            diagnostics.merge(local)
            // Respondents without a group and labels nothing matches are left out of figures: a person
            // should look, so the run says so in its exit status.
            return FileImportResult(
                path: display,
                outcome: .imported,
                batch: batch.id,
                format: batch.format,
                records: batch.records,
                responses: batch.responses,
                rejected: batch.rejected,
                duplicates: batch.duplicates,
                superseded: batch.superseded,
                message: nil,
                needsPerson: misread || (batch.records == 0 && batch.rejected == 0) || noGroup > 0 || unknownLabels > 0,
                noGroup: noGroup,
                unknownLabels: unknownLabels,
                incomplete: incomplete
            )
        } catch IngestError.empty {
            // One empty file (a download that failed) must not stop the others.
            diagnostics.warning(
                "the file is empty (no header, no records); skipped",
                at: SourceLocation(file: path, line: 1),
                expected: "an export with a header row"
            )
            return FileImportResult(
                path: display,
                outcome: .skipped,
                batch: nil,
                format: nil,
                records: 0,
                responses: 0,
                rejected: 0,
                duplicates: 0,
                superseded: 0,
                message: "empty file; nothing to import",
                needsPerson: true
            )
        } catch IngestError.notAnExport(_, let what, let instead) {
            let message = "this is \(what); \(instead)"
            diagnostics.error("refused, nothing stored: \(message)", at: SourceLocation(file: path, line: 1))
            return FileImportResult(
                path: display,
                outcome: .failed,
                batch: nil,
                format: nil,
                records: 0,
                responses: 0,
                rejected: 0,
                duplicates: 0,
                superseded: 0,
                message: message,
                refused: true
            )
        } catch {
            diagnostics.error(
                "import failed, nothing from this file was stored: \(error)",
                at: SourceLocation(file: path, line: 1)
            )
            return FileImportResult(
                path: display,
                outcome: .failed,
                batch: nil,
                format: nil,
                records: 0,
                responses: 0,
                rejected: 0,
                duplicates: 0,
                superseded: 0,
                message: "\(error)"
            )
        }
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
