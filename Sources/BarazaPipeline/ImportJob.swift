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
                // Two stages on the two cores: a reading thread reads and codes records in chunks, in
                // file order; this thread writes each chunk as it comes, so ids stay deterministic.
                // The channel holds at most a few chunks, so memory does not grow with the file.
                let channel = Channel<[Coded]>(capacity: 4)
                let stage = Handover((reader: reader, coder: coder, diagnostics: local))
                let packerBox = Handover(sink.makePacker())
                let finished = DispatchSemaphore(value: 0)
                let thread = Thread {
                    var (reader, coder, diagnostics) = stage.value
                    var packer = packerBox.value
                    defer {
                        stage.value = (reader, coder, diagnostics)
                        channel.close()
                        finished.signal()
                    }
                    var chunk: [Coded] = []
                    while true {
                        chunk = []
                        chunk.reserveCapacity(Self.chunkSize)
                        while chunk.count < Self.chunkSize, let item = reader.next(&diagnostics) {
                            switch item {
                            case .record(let raw): chunk.append(.response(packer.pack(coder.code(raw, columns: reader.columns, diagnostics: &diagnostics))))
                            case .rejected(let r): chunk.append(.rejected(r))
                            }
                        }
                        if chunk.isEmpty || !channel.put(chunk) { return }
                        if chunk.count < Self.chunkSize { return }
                    }
                }
                thread.stackSize = 8 << 20
                thread.start()
                do {
                    while let coded = channel.take() {
                        for item in coded {
                            counts.records += 1
                            switch item {
                            case .response(let r): try sink.add(r)
                            case .rejected(let rejected):
                                counts.rejected += 1
                                try sink.reject(rejected)
                            }
                        }
                        progress?(display, counts.records)
                    }
                } catch {
                    channel.cancel()
                    finished.wait()
                    throw error
                }
                finished.wait()
                (reader, coder, local) = stage.value
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

    enum Coded: Sendable {
        case response(PackedResponse)
        case rejected(RejectedRecord)
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
