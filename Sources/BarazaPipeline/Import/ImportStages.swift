import BarazaCoding
import BarazaIngest
import BarazaKit
import BarazaModel
import BarazaStore
import Foundation

/// The threads of one import. A reading thread parses records in chunks, coding workers code and
/// pack whole chunks, and the calling thread writes them in file order, so ids stay deterministic.
/// On two cores the threads balance whichever stage is heaviest (XML parsing, open-text coding,
/// SQLite). The channels hold a few chunks each, so memory does not grow with the file; emptied
/// chunks go back to the stage that fills them.
struct ImportStages {
    typealias ReadItem = (sequence: Int, records: ImportJob.RecordChunk, columns: [ColumnHeader])

    let workers: Int
    let records: Channel<ReadItem>
    let coded: OrderedChannel<ImportJob.CodedChunk>
    /// Record chunks the writer has written (their raw records), emptied, for the reader to fill again.
    let spareChunks: Spares<ImportJob.RecordChunk>
    /// Packed chunks the writer has written, emptied, for the workers to pack into again.
    let sparePacked: Spares<PackedChunk>
    /// Signalled once by each thread as it ends.
    let finished = DispatchSemaphore(value: 0)

    init(workers: Int) {
        self.workers = workers
        records = Channel(capacity: Tuning.standard.channelCapacity(workers: workers))
        coded = OrderedChannel(capacity: Tuning.standard.channelCapacity(workers: workers))
        spareChunks = Spares(limit: 2 * workers + 4)
        sparePacked = Spares(limit: 2 * workers + 4)
    }

    /// What the writer counted, with the responses never submitted among the rejected.
    struct Written {
        var batch = BatchCounts()
        var incomplete = 0
    }

    /// Reads, codes and writes the whole file into `sink`. The reader and the coder come back as
    /// they ended (the coder with every worker's counts, and the file's final column binding).
    static func run(
        reader: inout any RecordSource,
        coder: inout ResponseCoder,
        workers: Int,
        into sink: inout SQLiteBatchSink,
        diagnostics: inout Diagnostics,
        progress: ((Int) -> Void)?
    ) throws -> Written {
        // Workers never give registry indices themselves (see `ResponsePacker`): the
        // consultation's names are registered first, and a name met in the data gets its index
        // on this thread, in file order.
        let names = coder.storeNames
        try sink.register(questions: names.questions, options: names.options, codes: names.codes)
        let stages = ImportStages(workers: workers)
        var packer = workers > 1 ? sink.makePacker().worker() : sink.makePacker()
        // The raw records stay in the reader's chunks, which go on to the writer with the packed
        // ones, and are bound from there (`SQLiteBatchSink.add(_:raw:)`).
        packer.rawElsewhere = true
        let reading = Handover((reader: reader, diagnostics: diagnostics))
        let coding = (0..<workers).map { _ in Handover((coder: coder, packer: packer, last: -1)) }
        let threads = [stages.startReading(reading)] + stages.startCoding(coding)
        for thread in threads {
            thread.stackSize = 8 << 20
            thread.start()
        }
        var codingDiagnostics = Diagnostics()
        func join() {
            for _ in threads { stages.finished.wait() }
            (reader, diagnostics) = reading.value
            // The coder that saw the last chunk holds the file's final column binding.
            let ended = coding.map(\.value).sorted { $0.last < $1.last }
            if var merged = ended.last?.coder {
                for s in ended.dropLast() { merged.addCounts(of: s.coder) }
                coder = merged
            }
            diagnostics.merge(codingDiagnostics)
        }
        let written: Written
        do { written = try stages.writeInOrder(into: &sink, diagnostics: &codingDiagnostics, progress: progress) } catch
        {
            stages.coded.cancel()
            stages.records.cancel()
            join()
            throw error
        }
        join()
        return written
    }

    /// The reading thread: records in chunks of `Tuning`'s size, each with the columns as they
    /// stand after its last record (an XML reader finds new ones as it goes; a record without a
    /// later column's field reads it as absent).
    func startReading(_ stage: Handover<(reader: any RecordSource, diagnostics: Diagnostics)>) -> Thread {
        Thread { [records, spareChunks, finished] in
            var (reader, diagnostics) = stage.value
            defer {
                stage.value = (reader, diagnostics)
                records.close()
                finished.signal()
            }
            var sequence = 0
            var chunk = ImportJob.RecordChunk()
            var open = true
            let path = reader.path
            // Read once: a global initialised at run time is checked on every access.
            let chunkSize = ImportJob.chunkSize
            reader.forEachRecordLent(&diagnostics) { item, columns in
                switch item {
                case .record(let fields, let line, let column, let file):
                    chunk.append(fields, line: line, column: column, file: file, readerPath: path)
                case .rejected(let r): chunk.rejected.append(r)
                }
                guard chunk.count == chunkSize else { return true }
                open = records.put((sequence, chunk, columns))
                sequence += 1
                chunk = spareChunks.take() ?? ImportJob.RecordChunk(sizedLike: chunk)
                return open
            }
            if open && chunk.count > 0 { _ = records.put((sequence, chunk, reader.columns)) }
        }
    }

    /// The coding workers: each takes a chunk, codes its records where they lie, and packs them.
    func startCoding(_ stages: [Handover<(coder: ResponseCoder, packer: ResponsePacker, last: Int)>]) -> [Thread] {
        let running = Countdown(stages.count)
        return stages.map { stage in
            Thread { [records, coded, sparePacked, finished] in
                var (coder, packer, last) = stage.value
                defer {
                    stage.value = (coder, packer, last)
                    // The last worker to finish closes the channel.
                    if running.decrement() == 0 { coded.close() }
                    finished.signal()
                }
                while var taken = records.take() {
                    let sequence = taken.sequence
                    let columns = taken.columns
                    // The chunk taken out of the item, so that it is its arrays' only holder when it
                    // goes back to the reader emptied.
                    var chunk = ImportJob.RecordChunk()
                    swap(&chunk, &taken.records)
                    var out = ImportJob.CodedChunk()
                    out.records = chunk.count
                    out.rejected = chunk.rejected
                    chunk.forEachRecord { fields, location in
                        coder.code(fields, at: location, columns: columns, diagnostics: &out.diagnostics, into: &packer)
                    }
                    out.packed = packer.takeChunk(reusing: sparePacked.take())
                    out.source = consume chunk
                    last = sequence
                    if !coded.put(sequence, out) {
                        records.cancel()
                        return
                    }
                }
            }
        }
    }

    /// The writer (the calling thread): chunks in file order into the batch, their emptied
    /// arrays back to the other stages.
    func writeInOrder(into sink: inout SQLiteBatchSink, diagnostics: inout Diagnostics, progress: ((Int) -> Void)?)
        throws -> Written
    {
        var written = Written()
        while var chunk = coded.take() {
            var packed = PackedChunk()
            var source = ImportJob.RecordChunk()
            swap(&packed, &chunk.packed)
            swap(&source, &chunk.source)
            try source.withRawRecords { try sink.add(&packed, raw: $0) }
            sparePacked.put(PackedChunk(emptying: consume packed))
            spareChunks.put(ImportJob.RecordChunk(emptying: consume source))
            for rejected in chunk.rejected { try sink.reject(rejected) }
            diagnostics.append(chunk.diagnostics)
            written.batch.records += chunk.records
            written.batch.rejected += chunk.rejected.count
            written.incomplete += chunk.rejected.reduce(0) {
                $0 + ($1.reason == RejectedRecord.incompleteReason ? 1 : 0)
            }
            progress?(written.batch.records)
        }
        return written
    }
}
