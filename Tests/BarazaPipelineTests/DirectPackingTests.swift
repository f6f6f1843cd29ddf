import BarazaKit
import BarazaCoding
import BarazaIngest
import BarazaModel
import BarazaSynth
import Foundation
import Testing
@testable import BarazaStore

/// The import codes records straight into the packer (`ResponseSink`); packing the `Response` the
/// coder makes must give the very same chunk: the same bytes, entries, names and fixups, and the
/// same closed answers left unpacked.
struct DirectPackingTests {
    static func same(_ a: PackedChunk, _ b: PackedChunk) -> Bool {
        guard a.bytes == b.bytes, a.entries.count == b.entries.count, a.fixups.count == b.fixups.count,
            a.unpacked.count == b.unpacked.count, a.newNames.count == b.newNames.count,
            a.provisional.count == b.provisional.count
        else { return false }
        func spans(_ e: PackedChunk.Entry) -> [Int] {
            [
                e.respondentID, e.replaces, e.file, e.group, e.rawGroup, e.country, e.wave, e.closed, e.chosen, e.coded,
                e.raw, e.texts,
            ]
            .flatMap { [$0.start, $0.count] } + [Int(e.line)]
        }
        return zip(a.entries, b.entries)
            .allSatisfy { spans($0) == spans($1) && $0.submittedAt == $1.submittedAt && $0.weight == $1.weight }
            && zip(a.fixups, b.fixups).allSatisfy { $0.offset == $1.offset && $0.width == $1.width }
            && zip(a.unpacked, b.unpacked).allSatisfy { $0.entry == $1.entry && $0.answer == $1.answer }
            && zip(a.newNames, b.newNames).allSatisfy { "\($0)" == "\($1)" }
            && zip(a.provisional, b.provisional).allSatisfy { "\($0)" == "\($1)" }
    }

    @Test func codingIntoThePackerEqualsPackingTheResponse() throws {
        let dir = try DemoEndToEndTests.tempDir()
        _ = try DemoGenerator().write(to: dir + "/Surveys")
        // A file of its own with what trimming and packing must get right: padded, NBSP-padded and
        // multi-line texts, "other" texts, values that do not fit a byte (numbers and scale points
        // past a byte's range either side, reversed too), unknown labels.
        let texts = [
            "Funding is late", "  padded funding  ", "\u{00A0}nbsp training\u{00A0}", "line one\r\nline two", "", "   ",
            "Réussite : formation", "\"quoted\", data",
            // Codes met in rule order (funding, training, data), stored in name order.
            "training on data, then funding",
        ]
        var csv = "id,org,q1,q2,note,choice,choice_other,q3,q4\n"
        var rng = SplitMix64(seed: 3)
        for i in 0..<400 {
            let t = texts[Int(rng.next() % UInt64(texts.count))]
            let q1 = ["Agree", "Disagree", "Agree-ish", ""][Int(rng.next() % 4)]
            let q2 = ["3", "2.5", "1000", "", "x"][Int(rng.next() % 5)]
            let choice = ["a b", "b", "", "c a", "other", "d a", "e"][Int(rng.next() % 7)]
            let other = choice == "other" ? "  my own  " : ""
            let q3 = ["h0", "h1", "h2", "h3", ""][Int(rng.next() % 5)]
            let q4 = ["l0", "l1", "l2", "l3"][Int(rng.next() % 4)]
            csv +=
                "r\(i),\(["NGO", "Ministry", "Somebody"][Int(rng.next() % 3)]),\(q1),\(q2),\"\(t.replacingOccurrences(of: "\"", with: "\"\""))\",\(choice),\(other),\(q3),\(q4)\n"
        }
        try Data(csv.utf8).write(to: URL(fileURLWithPath: dir + "/extra.csv"))
        try Data(
            """
            version: 1
            consultation: E
            questions:
              - {id: q1, theme: local_capacity, scale: agree5}
              - {id: q2, type: number}
              - {id: note, type: text, codebook: topics}
              - {id: choice, type: multiple, options: [a, b, c, other]}
              - {id: q3, theme: local_capacity, scale: high}
              - {id: q4, theme: local_capacity, scale: low, reverse: true}
            scales:
              high:
                labels: {148: [h0], 149: [h1], 150: [h2], 151: [h3]}
              low:
                labels: {-101: [l0], -100: [l1], -99: [l2], -98: [l3]}
            codebooks:
              topics:
                - {code: funding, match: ["funding"]}
                - {code: training, match: ["training", "formation"]}
                - {code: data, match: ["data"]}
            sources: [{path: extra.csv, group_column: org, id_column: id}]
            """
            .utf8
        )
        .write(to: URL(fileURLWithPath: dir + "/extra.yml"))
        var checked = 0
        for path in [dir + "/Surveys/demo.yml", dir + "/extra.yml"] {
            let c = try ConsultationLoader.load(path: path)
            for (file, source) in SourceFiles.expandSources(c) {
                // The consultation's names registered first, as an import does; then a worker packer
                // (chunk-local numbers for names it has no index for: options the consultation does
                // not declare) and one that gives indices itself: each both ways.
                var registered = ResponsePacker(Registry())
                let names = ResponseCoder(consultation: c, source: source, profile: .plainCSV).storeNames
                registered.register(questions: names.questions, options: names.options, codes: names.codes)
                // And the direct packer's choice bytes kept as usual, or in an arena so small that
                // it is emptied again and again.
                for (start, arena) in [
                    (registered.worker(), 1 << 20), (registered, 1 << 20), (registered.worker(), 16),
                ] {
                    var d = Diagnostics()
                    var reader = try ExportReader.open(file, options: source.options, diagnostics: &d)
                    var viaResponse = ResponseCoder(consultation: c, source: source, profile: reader.profile)
                    var direct = viaResponse
                    var packer = start
                    var directPacker = start
                    directPacker.choiceArenaLimit = arena
                    var chunk = PackedChunk()
                    var dA = Diagnostics()
                    var dB = Diagnostics()
                    // Chunks of a few records each, as the import takes them: a worker's chunk-local
                    // numbers start again with each chunk, and what the direct packer keeps from one
                    // response to the next (choice bytes by the coder's memo entry) must follow.
                    var names = 0
                    var chunks = 0
                    func compare() {
                        let other = directPacker.takeChunk()
                        names += chunk.newNames.count + chunk.provisional.count
                        #expect(Self.same(chunk, other), "\(file), chunk \(chunks)")
                        chunk = PackedChunk()
                        chunks += 1
                    }
                    reader.forEachRecord(&d) { item, columns in
                        guard case .record(let raw) = item else { return true }
                        packer.pack(viaResponse.code(raw, columns: columns, diagnostics: &dA), into: &chunk)
                        direct.code(raw, columns: columns, diagnostics: &dB, into: &directPacker)
                        checked += 1
                        if chunk.entries.count == 7 { compare() }
                        return true
                    }
                    if !chunk.entries.isEmpty { compare() }
                    if path.hasSuffix("extra.yml") {
                        // Options "d" and "e" are not declared: new names, numbered as they are met
                        // (in a worker, again in each chunk that has them).
                        #expect(chunks > 50)
                        #expect(start.provisional ? names > 10 : names >= 2)
                    }
                    #expect(dA.items == dB.items)
                }
            }
        }
        #expect(checked > 500)
    }

    /// A choice answer is keyed by the coder's memo entry, and the packer writes the bytes it made
    /// for a key again. When the coder binds new columns (an XML reader finds more as it goes) its
    /// memo starts over, so entry 0 stands for another answer: the packer must not write the old
    /// answer's bytes for it.
    @Test func choiceKeysStartOverWhenTheCoderBindsNewColumns() throws {
        let dir = try DemoEndToEndTests.tempDir()
        try Data("id,choice\n".utf8).write(to: URL(fileURLWithPath: dir + "/x.csv"))
        try Data(
            """
            version: 1
            consultation: E
            questions:
              - {id: choice, type: multiple, options: [a, b, c]}
            sources: [{path: x.csv, id_column: id}]
            """
            .utf8
        )
        .write(to: URL(fileURLWithPath: dir + "/c.yml"))
        let c = try ConsultationLoader.load(path: dir + "/c.yml")
        guard let source = c.sources.first else {
            Issue.record("no source")
            return
        }
        let narrow = [ColumnHeader(name: "id"), ColumnHeader(name: "choice")]
        let wide = narrow + [ColumnHeader(name: "note")]
        let records = [
            (RawRecord(values: ["r1", "a"], location: SourceLocation(file: "x.csv", line: 2)), narrow),
            (RawRecord(values: ["r2", "a"], location: SourceLocation(file: "x.csv", line: 3)), narrow),
            (RawRecord(values: ["r3", "b c", ""], location: SourceLocation(file: "x.csv", line: 4)), wide),
            (RawRecord(values: ["r4", "b c", ""], location: SourceLocation(file: "x.csv", line: 5)), wide),
        ]
        var registered = ResponsePacker(Registry())
        let names = ResponseCoder(consultation: c, source: source, profile: .plainCSV).storeNames
        registered.register(questions: names.questions, options: names.options, codes: names.codes)
        var viaResponse = ResponseCoder(consultation: c, source: source, profile: .plainCSV)
        var direct = viaResponse
        var packer = registered
        var directPacker = registered
        var chunk = PackedChunk()
        var d = Diagnostics()
        for (record, columns) in records {
            packer.pack(viaResponse.code(record, columns: columns, diagnostics: &d), into: &chunk)
            direct.code(record, columns: columns, diagnostics: &d, into: &directPacker)
        }
        #expect(Self.same(chunk, directPacker.takeChunk()))
    }
}
