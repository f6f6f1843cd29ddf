import BarazaCoding
import BarazaIngest
import BarazaModel
import BarazaReporting
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
}

/// Imports export files into the store: ingest → coding → store, one transaction per file.
public struct ImportJob {
    public let consultation: Consultation
    public let store: SQLiteStore
    /// Called with (records read so far) during long imports, for a progress display.
    public var progress: (@Sendable (String, Int) -> Void)?
    /// The clock for `imported_at`; injectable so tests and golden reports are deterministic.
    public var now: @Sendable () -> Date = { Date() }

    public init(consultation: Consultation, store: SQLiteStore) {
        self.consultation = consultation
        self.store = store
    }

    /// Every file named by the consultation's sources (a folder gives each of its XML files), with
    /// the source that names it.
    public func sourceFiles() -> [(path: String, source: SourceSpec)] {
        SourceFiles.expandSources(consultation)
    }

    /// The source spec for a file given on the command line: the one whose path names it, else a
    /// plain spec with no fixed country or wave.
    public func source(for path: String) -> SourceSpec {
        let abs = path.hasPrefix("/") ? path : joinPath(FileManager.default.currentDirectoryPath, path)
        let std = (abs as NSString).standardizingPath
        if let match = sourceFiles().first(where: { ($0.path as NSString).standardizingPath == std }) { return match.source }
        return SourceSpec(path: path, location: SourceLocation(file: consultation.file, line: 1))
    }

    /// Imports one file unless its bytes are already in the store.
    public func importFile(_ path: String, source: SourceSpec, wave: String? = nil, country: String? = nil,
                           diagnostics: inout Diagnostics) -> FileImportResult {
        let display = relativePath(path)
        do {
            let digest = try FileDigest.sha256(path: path)
            if let existing = try store.batch(sha256: digest.hex) {
                return FileImportResult(path: display, outcome: .skipped, batch: existing.id, format: existing.format, records: 0, responses: 0,
                                        rejected: 0, duplicates: 0, superseded: 0,
                                        message: "already imported as batch \(existing.id) (\(existing.path)); same bytes, nothing to do")
            }
            var local = Diagnostics()
            var reader = try ExportReader.open(path, options: source.options, diagnostics: &local)
            var coder = ResponseCoder(consultation: consultation, source: source, profile: reader.profile, wave: wave, country: country)
            let input = BatchInput(path: display, size: digest.size, sha256: digest.hex, format: reader.profile.rawValue,
                                   wave: wave ?? source.wave, country: country ?? source.country,
                                   importedAt: ISO8601DateFormatter().string(from: now()))
            let progress = self.progress
            let batch = try store.importBatch(input) { sink in
                var counts = BatchCounts()
                // Three stages in file order: a reading thread parses records in chunks, a coding
                // thread codes and packs them, and this thread writes them, so ids stay
                // deterministic. Three threads on two cores balance whichever stage is heaviest (XML
                // parsing, open-text coding, SQLite). The channels hold a few chunks each, so memory
                // does not grow with the file.
                let records = Channel<(records: [SourceRecord], columns: [ColumnHeader])>(capacity: 4)
                let channel = Channel<CodedChunk>(capacity: 4)
                let readStage = Handover((reader: reader, diagnostics: local))
                let codeStage = Handover((coder: coder, packer: sink.makePacker(), diagnostics: Diagnostics()))
                let finished = DispatchSemaphore(value: 0)
                let readThread = Thread {
                    var (reader, diagnostics) = readStage.value
                    defer {
                        readStage.value = (reader, diagnostics)
                        records.close()
                        finished.signal()
                    }
                    while true {
                        var chunk: [SourceRecord] = []
                        chunk.reserveCapacity(Self.chunkSize)
                        while chunk.count < Self.chunkSize, let item = reader.next(&diagnostics) { chunk.append(item) }
                        // The columns as they stand after the chunk (an XML reader finds new ones as it
                        // goes); a record without a later column's field reads it as absent.
                        if chunk.isEmpty || !records.put((chunk, reader.columns)) { return }
                        if chunk.count < Self.chunkSize { return }
                    }
                }
                let codeThread = Thread {
                    var (coder, packer, diagnostics) = codeStage.value
                    defer {
                        codeStage.value = (coder, packer, diagnostics)
                        channel.close()
                        finished.signal()
                    }
                    while let (chunk, columns) = records.take() {
                        var coded = CodedChunk()
                        coded.records = chunk.count
                        for item in chunk {
                            switch item {
                            case .record(let raw): packer.pack(coder.code(raw, columns: columns, diagnostics: &diagnostics), into: &coded.packed)
                            case .rejected(let r): coded.rejected.append(r)
                            }
                        }
                        if !channel.put(coded) { records.cancel(); return }
                    }
                }
                for thread in [readThread, codeThread] {
                    thread.stackSize = 8 << 20
                    thread.start()
                }
                func join() {
                    finished.wait()
                    finished.wait()
                    (reader, local) = readStage.value
                    coder = codeStage.value.coder
                    local.merge(codeStage.value.diagnostics)
                }
                do {
                    while let coded = channel.take() {
                        try sink.add(coded.packed)
                        for rejected in coded.rejected { try sink.reject(rejected) }
                        counts.records += coded.records
                        counts.rejected += coded.rejected.count
                        progress?(display, counts.records)
                    }
                } catch {
                    channel.cancel()
                    records.cancel()
                    join()
                    throw error
                }
                join()
                for q in coder.unboundQuestions {
                    local.note("question '\(q)' has no column in this file", at: SourceLocation(file: path, line: 1), key: "unbound.\(q)")
                }
                for (g, n) in coder.unmappedGroups.sorted(by: { $0.key < $1.key }) {
                    local.warning("group value '\(g)' (\(n)×) matches no stakeholder group; add it to a group's synonyms",
                                  at: SourceLocation(file: path, line: 1), expected: "a synonym of a group")
                }
                for (q, labels) in coder.unknownLabels.sorted(by: { $0.key < $1.key }) {
                    for (raw, n) in labels.sorted(by: { $0.key < $1.key }) {
                        local.warning("question '\(q)': label '\(raw)' (\(n)×) matches no scale point; counted as missing",
                                      at: SourceLocation(file: path, line: 1), expected: "a label of the question's scale")
                    }
                }
                for d in local.items { try sink.record(d) }
                counts.unknownLabels = coder.unknownLabels
                counts.unmappedGroups = coder.unmappedGroups
                return counts
            }
            diagnostics.merge(local)
            return FileImportResult(path: display, outcome: .imported, batch: batch.id, format: batch.format, records: batch.records,
                                    responses: batch.responses, rejected: batch.rejected, duplicates: batch.duplicates,
                                    superseded: batch.superseded, message: nil)
        } catch {
            diagnostics.error("import failed, nothing from this file was stored: \(error)", at: SourceLocation(file: path, line: 1))
            return FileImportResult(path: display, outcome: .failed, batch: nil, format: nil, records: 0, responses: 0, rejected: 0,
                                    duplicates: 0, superseded: 0, message: "\(error)")
        }
    }

    static let chunkSize = 512

    /// A chunk of records coded and packed: the responses, and the records rejected.
    struct CodedChunk: Sendable {
        var packed = PackedChunk()
        var rejected: [RejectedRecord] = []
        var records = 0
    }

    /// Paths are recorded relative to the consultation's folder, so a store moves with its files.
    func relativePath(_ path: String) -> String {
        let abs = ((path.hasPrefix("/") ? path : joinPath(FileManager.default.currentDirectoryPath, path)) as NSString).standardizingPath
        let base = (consultation.baseDirectory as NSString).standardizingPath + "/"
        return abs.hasPrefix(base) ? String(abs.dropFirst(base.count)) : abs
    }

    /// Writes every rejected row in the store to a CSV file (file, line, reason, the row's fields).
    public func writeRejectsFile(to path: String) throws {
        let rejects = try store.rejects()
        var text = "file,line,reason,fields\r\n"
        for r in rejects {
            let fields = r.values.joined(separator: " | ")
            text += [r.location.file, String(r.location.line), r.reason, fields].map(Escape.csv).joined(separator: ",") + "\r\n"
        }
        try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
