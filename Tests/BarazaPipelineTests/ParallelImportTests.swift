import BarazaKit
import BarazaCoding
import BarazaModel
@testable import BarazaStore
import BarazaIngest
import Foundation
import GRDB
import Testing
@testable import BarazaPipeline

/// A file of several chunks, read, coded and written by the pipelined import, gives exactly what
/// the test counts itself, in file order.
struct ParallelImportTests {
    @Test func pipelinedImportLosesNothingAndKeepsFileOrder() throws {
        let dir = try DemoEndToEndTests.tempDir()
        let labels = [
            "Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree", "Don't know", "",
            "Agree-ish",
        ]
        let groups = ["Ministry", "NGO", "Private company", "UN agency", "Somebody"]
        var expected: [String: [Double: Int]] = [:]
        var unknown = 0
        var unmapped = 0
        var text = "id,org,q1\n"
        var state: UInt64 = 7
        func next(_ n: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(n))
        }
        let groupID = [
            "Ministry": "government", "NGO": "cso", "Private company": "private_sector",
            "UN agency": "development_partner",
        ]
        var rows: [[String]] = []
        for i in 0..<3000 {
            let g = groups[next(groups.count)]
            let l = labels[next(labels.count)]
            text += "r\(i),\(g),\(l)\n"
            rows.append(["r\(i)", g, l])
            if l == "Agree-ish" { unknown += 1 }
            if groupID[g] == nil {
                unmapped += 1
                continue
            }
            if let v = [
                "Strongly disagree": 1.0, "Disagree": 2, "Neither agree nor disagree": 3, "Agree": 4,
                "Strongly agree": 5,
            ][l] {
                expected[groupID[g]!, default: [:]][v, default: 0] += 1
            }
        }
        try Data(text.utf8).write(to: URL(fileURLWithPath: dir + "/a.csv"))
        try Data(
            """
            version: 1
            consultation: P
            questions: [{id: q1, theme: local_capacity, scale: agree5}]
            sources: [{path: a.csv, group_column: org, id_column: id}]
            """
            .utf8
        )
        .write(to: URL(fileURLWithPath: dir + "/c.yml"))
        let c = try ConsultationLoader.load(path: dir + "/c.yml")
        let store = try SQLiteStore(path: c.storePath)
        let job = ImportJob(consultation: c, store: store)
        var d = Diagnostics()
        let result = job.importFile(dir + "/a.csv", source: c.sources[0], diagnostics: &d)
        #expect(result.responses == 3000 && result.records == 3000)
        let data = try store.aggregate(by: ["group"], themes: [:], quotesPerCode: 0)
        for (g, values) in expected {
            #expect(data.items["q1"]?[CellKey(group: g)]?.values.mapValues(\.count) == values, "\(g)")
        }
        #expect(data.quality.unknownLabels["q1"]?["Agree-ish"] == unknown)
        #expect(data.quality.unmappedGroups["Somebody"] == unmapped)
        // Rows are stored in file order: response ids follow the file's lines.
        #expect(try store.respondentIDs() == (0..<3000).map { "r\($0)" })
        // Each raw record (bound from the reader's chunks, not copied into the packed ones) is its
        // line's fields.
        let raw = try store.db.read { db in
            try DatabaseValue.fetchAll(db, sql: "SELECT raw FROM records ORDER BY response_id")
        }
        #expect(raw.map(RawFields.fields(of:)) == rows)
    }

    /// Into a store with no batch of the file's size, the digest is computed from the bytes the
    /// reader reads: it must still be the whole file's, for CSV (read in 1 MiB chunks shared with
    /// the hasher: more of them than it holds at once, with and without a byte-order mark, whose
    /// first chunk is read another way) and for XML, and when the XML reader stops early at a
    /// fatal error (the bytes after it are hashed at the end).
    @Test func digestsTakenWhileReadingAreTheWholeFiles() throws {
        let dir = try DemoEndToEndTests.tempDir()
        var csv = "id,q1,note\n"
        let note = String(repeating: "lorem ipsum ", count: 400)
        for i in 0..<2500 { csv += "r\(i),Agree,\(i % 7 == 0 ? "" : note)\(i)\n" }
        var xml = "<?xml version=\"1.0\"?>\n<responses>\n"
        for i in 0..<2000 { xml += "<response><id>x\(i)</id><q1>Agree</q1></response>\n" }
        let broken =
            xml + "<response><id>bad</id><q1>Agree</q2></response>\n"
            + String(repeating: "<!-- after the error -->\n", count: 40_000) + "</responses>\n"
        xml += "</responses>\n"
        for (name, text) in [("a.csv", csv), ("b.xml", xml), ("c.xml", broken), ("d.csv", "\u{FEFF}" + csv)] {
            try Data(text.utf8).write(to: URL(fileURLWithPath: dir + "/" + name))
        }
        #expect(broken.utf8.count > 1 << 20)  // many of the XML reader's 64 KiB chunks after the error
        #expect(csv.utf8.count > 8 << 20)  // eight chunks and more
        try Data(
            """
            version: 1
            consultation: D
            questions: [{id: q1, theme: local_capacity, scale: agree5}]
            sources: [{path: a.csv, id_column: id}, {path: b.xml, id_column: id}, {path: c.xml, id_column: id}, {path: d.csv, id_column: id}]
            """
            .utf8
        )
        .write(to: URL(fileURLWithPath: dir + "/c.yml"))
        let c = try ConsultationLoader.load(path: dir + "/c.yml")
        let store = try SQLiteStore(path: c.storePath)
        let job = ImportJob(consultation: c, store: store)
        var d = Diagnostics()
        for (k, name) in ["a.csv", "b.xml", "c.xml", "d.csv"].enumerated() {
            let result = job.importFile(dir + "/" + name, source: c.sources[k], diagnostics: &d)
            #expect(result.outcome == .imported, "\(name)")
            if name.hasSuffix(".csv") { #expect(result.responses == 2500, "\(name)") }
            let file = try FileDigest.sha256(path: dir + "/" + name)
            let batch = try #require(try store.batches().first { $0.path.hasSuffix(name) })
            #expect(batch.sha256 == file.hex && batch.size == file.size, "\(name)")
            #expect(
                job.importFile(dir + "/" + name, source: c.sources[k], diagnostics: &d).outcome == .skipped,
                "\(name)"
            )
        }
        #expect(d.items.contains { $0.severity == .error && $0.location?.file.hasSuffix("c.xml") == true })
    }

    /// Every table of a store as text: rows in rowid order (sorted, for tables without rowid).
    static func dump(_ path: String) throws -> [String: [String]] {
        let db = try DatabaseQueue(path: path)
        return try db.read { db in
            var out: [String: [String]] = [:]
            for table in try String.fetchAll(
                db,
                sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'grdb%' ORDER BY name"
            ) {
                let withoutRowID =
                    try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE name = ?", arguments: [table])?
                    .contains("WITHOUT ROWID") ?? false
                let rows = try Row.fetchAll(db, sql: "SELECT * FROM \(table)" + (withoutRowID ? "" : " ORDER BY rowid"))
                    .map { row in
                        row.databaseValues
                            .map { v -> String in
                                if case .blob(let d) = v.storage { return d.map { String($0) }.joined(separator: " ") }
                                return v.description
                            }
                            .joined(separator: "|")
                    }
                out[table] = withoutRowID ? rows.sorted() : rows
            }
            return out
        }
    }

    /// Coding workers pack without registry indices of their own (names met in the data get theirs
    /// from the writer, in file order) and keep their diagnostics per chunk: one worker or three,
    /// the store comes out the same byte for byte, and the diagnostics kept are the file's first.
    @Test func oneWorkerOrThreeWriteTheSameStore() throws {
        var text = "id,org,when,q1,sm,open\n"
        var state: UInt64 = 11
        func next(_ n: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(n))
        }
        let labels = ["Disagree", "Agree", "Strongly agree", "Don't know", "Agree-ish", ""]
        let words = ["budget", "formation", "the", "training", "not", "data", "pas", "de", "coordination"]
        var badDateLines: [Int] = []
        for i in 0..<5000 {
            // Options first met late in the file, in a later chunk than the first worker's.
            let pool = i < 3000 ? ["radio", "sms", "web"] : ["radio", "sms", "web", "doors", "poster"]
            let chosen = (0..<next(4)).map { _ in pool[next(pool.count)] }.joined(separator: " ")
            let open = (0..<next(12)).map { _ in words[next(words.count)] }.joined(separator: " ")
            var when = "2025-0\(1 + next(9))-1\(next(10))"
            if next(7) == 0 {
                when = "someday \(i)"
                badDateLines.append(i + 2)
            }
            text +=
                "r\(i % 4700),\(["Ministry", "NGO", "Somebody"][next(3)]),\(when),\(labels[next(labels.count)]),\(chosen),\"\(open)\"\n"
        }
        var dumps: [[String: [String]]] = []
        var kept: [[Diagnostic]] = []
        let dir = try DemoEndToEndTests.tempDir()
        for workers in [1, 3] {
            try Data(text.utf8).write(to: URL(fileURLWithPath: dir + "/a.csv"))
            try Data(
                """
                version: 1
                consultation: P
                questions:
                  - {id: q1, theme: local_capacity, scale: agree5}
                  - {id: sm, type: multiple, options: [web, radio]}
                  - {id: open, type: text, codebook: topics}
                codebooks:
                  topics:
                    - {code: funding, theme: access_to_finance, match: ["budget*"]}
                    - {code: training, theme: local_capacity, match: ["training", "formation"]}
                    - {code: data, theme: learning_knowledge, match: ["data"]}
                sources: [{path: a.csv, group_column: org, id_column: id, submitted_column: when}]
                """
                .utf8
            )
            .write(to: URL(fileURLWithPath: dir + "/c.yml"))
            let c = try ConsultationLoader.load(path: dir + "/c.yml")
            var job = ImportJob(consultation: c, store: try SQLiteStore(path: c.storePath))
            job.codingWorkers = workers
            job.now = { Date(timeIntervalSince1970: 1_700_000_000) }
            var d = Diagnostics()
            let result = job.importFile(dir + "/a.csv", source: c.sources[0], diagnostics: &d)
            #expect(result.responses == 5000 && result.duplicates == 300)
            dumps.append(try Self.dump(c.storePath))
            kept.append(d.items)
            try FileManager.default.removeItem(atPath: c.storePath)
            let dates = d.items.filter { $0.message.contains("not recognised") }
            #expect(dates.map { $0.location?.line } == badDateLines.prefix(d.keepPerKey).map { $0 })
            #expect(d.suppressedCounts.values.contains(badDateLines.count - d.keepPerKey))
        }
        #expect(dumps[0].keys.sorted() == dumps[1].keys.sorted())
        for (table, rows) in dumps[0] {
            let other = dumps[1][table] ?? []
            #expect(rows.count == other.count, "table \(table)")
            let firstDifference = zip(rows, other).first { $0.0 != $0.1 }
            let shown: String = firstDifference.map { "\($0.0) ≠ \($0.1)" } ?? ""
            #expect(firstDifference == nil, "table \(table): \(shown)")
        }
        #expect((dumps[0]["options"] ?? []).count == 5)
        #expect(kept[0] == kept[1])
    }

    /// Items put by several threads in any order come out in sequence order, all of them; a
    /// producer running ahead waits, and a cancel releases it.
    @Test func orderedChannelHandsOverInSequence() {
        let channel = OrderedChannel<Int>(capacity: 3)
        let producers = 4
        let count = 2000
        let done = Countdown(producers)
        for p in 0..<producers {
            Thread {
                var rng = SplitMix64(seed: UInt64(p + 1))
                for sequence in stride(from: p, to: count, by: producers) {
                    if rng.next() % 8 == 0 { usleep(UInt32(rng.next() % 200)) }
                    _ = channel.put(sequence, sequence * 10)
                }
                if done.decrement() == 0 { channel.close() }
            }
            .start()
        }
        var taken: [Int] = []
        while let item = channel.take() { taken.append(item) }
        #expect(taken == (0..<count).map { $0 * 10 })

        let stuck = OrderedChannel<Int>(capacity: 2)
        let released = DispatchSemaphore(value: 0)
        let result = Handover(true)
        Thread {
            result.value = stuck.put(5, 1)  // 5 items ahead of the next to take: waits
            released.signal()
        }
        .start()
        #expect(released.wait(timeout: .now() + 0.2) == .timedOut)
        stuck.cancel()
        #expect(released.wait(timeout: .now() + 5) == .success)
        #expect(result.value == false)
    }

    /// A chunk lends back exactly the records put in it, in order, with their places: records of
    /// any number of fields (none, empty ones, multi-byte text), from more than one file (an XML
    /// folder) and from the reader's own path (put without a file), in runs that go from one to
    /// the other and back; and a chunk sized like a big one, or emptied to be filled again, starts
    /// empty.
    @Test func aRecordChunkLendsBackEachRecordAsItWasPut() {
        var rng = SplitMix64(seed: 11)
        var records: [RawRecord] = []
        let readerPath = "a/reader.csv"
        let files = ["a/b/first.xml", readerPath, "a/b/second.xml", readerPath, "a/b/second.xml"]
        func put(_ r: RawRecord, into chunk: inout ImportJob.RecordChunk) {
            r.fields.withView {
                chunk.append(
                    $0,
                    line: r.location.line,
                    column: r.location.column,
                    file: r.location.file == readerPath ? nil : r.location.file,
                    readerPath: readerPath
                )
            }
        }
        for i in 0..<300 {
            let fields = (0..<Int(rng.next() % 6))
                .map { _ in
                    ["", "x", "Cé, \"q\"", "line\nbreak", String(repeating: "z", count: Int(rng.next() % 300))][
                        Int(rng.next() % 5)
                    ]
                }
            records.append(
                RawRecord(
                    values: fields,
                    location: SourceLocation(file: files[min(4, i / 60)], line: i + 2, column: i % 3)
                )
            )
        }
        var chunk = ImportJob.RecordChunk()
        for r in records { put(r, into: &chunk) }
        #expect(chunk.files.count == 5)
        #expect(chunk.count == records.count)
        var lent: [RawRecord] = []
        chunk.forEachRecord { fields, location in lent.append(RawRecord(fields: FieldRow(fields), location: location)) }
        #expect(lent == records)
        let next = ImportJob.RecordChunk(sizedLike: chunk)
        #expect(next.count == 0)
        var none = 0
        next.forEachRecord { _, _ in none += 1 }
        #expect(none == 0)
        // Emptied and filled again (as the reader reuses a chunk a worker is done with): only the
        // new records, with their own places.
        var again = ImportJob.RecordChunk(emptying: chunk)
        #expect(again.count == 0)
        let fewer = Array(records.suffix(7))
        for r in fewer { put(r, into: &again) }
        var relent: [RawRecord] = []
        again.forEachRecord { fields, location in relent.append(RawRecord(fields: FieldRow(fields), location: location))
        }
        #expect(relent == fewer)
        #expect(again.files.count == 1)  // the last records' one file, not the earlier chunk's too
        #expect(again.bytes.capacity >= chunk.bytes.count)  // the storage kept
        // After huge records the storage is let go, so spares stay small.
        var huge = ImportJob.RecordChunk()
        FieldRow([String(repeating: "x", count: 5 << 20)])
            .withView { huge.append($0, line: 2, column: 0, file: nil, readerPath: "f.csv") }
        #expect(ImportJob.RecordChunk(emptying: huge).bytes.capacity < 1 << 20)
    }
}
