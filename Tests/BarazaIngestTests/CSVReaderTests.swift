import BarazaKit
import BarazaModel
import BarazaTestSupport
import Foundation
import Testing
@_spi(Testing) @testable import BarazaIngest

func fixture(_ name: String) throws -> String {
    try #require(Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures")).path
}

/// Reads every record of a file: (records, rejected, diagnostics, reader).
/// Reads a whole file as the import does (`forEachRecord`); every record handed over fits the
/// columns handed over with it, which are a prefix of the reader's final columns.
func readAll(_ path: String, options: ReadOptions = ReadOptions()) throws -> (
    [RawRecord], [RejectedRecord], Diagnostics, any RecordSource
) {
    var d = Diagnostics()
    var reader = try ExportReader.open(path, options: options, diagnostics: &d)
    var records: [RawRecord] = []
    var rejected: [RejectedRecord] = []
    var handed: [[ColumnHeader]] = []
    reader.forEachRecord(&d) { item, columns in
        switch item {
        case .record(let r):
            records.append(r)
            handed.append(columns)
        case .rejected(let r): rejected.append(r)
        }
        return true
    }
    for (r, columns) in zip(records, handed) {
        #expect(
            r.fields.count <= columns.count && columns == Array(reader.columns.prefix(columns.count)),
            "\(r.location)"
        )
    }
    // Read again with each record lent (as the import reads): the same records, rejects and
    // diagnostics.
    var lentDiagnostics = Diagnostics()
    var again = try ExportReader.open(path, options: options, diagnostics: &lentDiagnostics)
    var lent: [RawRecord] = []
    var lentRejected: [RejectedRecord] = []
    var lentColumns: [[ColumnHeader]] = []
    again.forEachRecordLent(&lentDiagnostics) { item, columns in
        switch item {
        case .record(let fields, let line, let column, let file):
            lent.append(
                RawRecord(
                    fields: FieldRow(fields),
                    location: SourceLocation(file: file ?? path, line: line, column: column)
                )
            )
            lentColumns.append(columns)
        case .rejected(let r): lentRejected.append(r)
        }
        return true
    }
    #expect(lent == records && lentRejected == rejected && lentColumns == handed, "\(path): lent records differ")
    #expect(lentDiagnostics.items == d.items, "\(path): lent diagnostics differ")
    return (records, rejected, d, reader)
}

func tempFile(_ bytes: [UInt8], ext: String = "csv") throws -> String {
    let path = URL(fileURLWithPath: scratchDirectory).appendingPathComponent("baraza-\(UUID().uuidString).\(ext)").path
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return path
}

struct CSVReaderTests {
    @Test func rfc4180QuotesDoubledQuotesNewlinesAndNoFinalLineBreak() throws {
        let (records, rejected, _, reader) = try readAll(try fixture("rfc4180.csv"))
        #expect(reader.columns.map(\.name) == ["id", "name", "comment"])
        #expect(rejected.isEmpty)
        #expect(
            records.map(\.values) == [
                ["1", "Ana", "said \"hi\", then left"], ["2", "Bo", "line one\nline two"], ["3", "Cé", "last"],
            ]
        )
        // Record 3 starts on line 5: the quoted newline in record 2 counts.
        #expect(records.map(\.location.line) == [2, 3, 5])
    }

    @Test func raggedRowsNeverShiftLongOnesAreRejectedShortOnesPaddedAtTheEnd() throws {
        let (records, rejected, d, _) = try readAll(try fixture("ragged.csv"))
        #expect(records.map(\.values) == [["1", "2", "3"], ["4", "5", ""], ["10", "11", "12"]])
        #expect(records.map(\.location.line) == [2, 3, 5])
        #expect(rejected.map(\.location.line) == [4])
        #expect(rejected[0].values == ["6", "7", "8", "9"])
        #expect(rejected[0].reason.contains("4 fields; expected 3"))
        #expect(d.items.contains { $0.severity == .error && $0.location?.line == 4 })
        #expect(
            d.items.contains {
                $0.severity == .warning && $0.location?.line == 3 && $0.message.contains("read as blank")
            }
        )
    }

    @Test func unterminatedQuoteAtEndOfFileIsRejectedWithItsPosition() throws {
        let (records, rejected, d, _) = try readAll(try fixture("unterminated.csv"))
        #expect(records.isEmpty)
        #expect(rejected.count == 1)
        let e = try #require(d.items.first { $0.message.contains("unterminated") })
        #expect(e.location?.line == 2 && e.location?.column == 3)
        #expect(rejected[0].values[1] == "never closed\n2;x\n")
    }

    @Test func byteOrderMarkTrailingDelimiterAndLegacyQualtricsHeader() throws {
        let (records, rejected, _, reader) = try readAll(try fixture("bom_trailing.csv"))
        #expect(reader.encoding == .utf8BOM)
        #expect(reader.profile == .qualtrics)
        #expect(reader.headerRows == 2)
        #expect(reader.columns.first?.name == "V1")  // no BOM bytes in the name
        #expect(rejected.isEmpty)
        #expect(records.first?.values == ["R_1", "Default", "Zoë"])
    }

    @Test func windows1252IsDetectedAndDecoded() throws {
        let (records, _, d, reader) = try readAll(try fixture("cp1252.csv"))
        #expect(reader.encoding == .windows1252)
        #expect(records.first?.values == ["Ministère", "“café” – 5€"])
        #expect(d.items.contains { $0.message.contains("Windows-1252") })
    }

    /// One bad byte early in a UTF-8 file (the demo's Senegal export, French) leaves it UTF-8: the
    /// byte is replaced and reported where it is, every other value reads as before.
    @Test func oneInvalidByteDoesNotChangeAFilesEncoding() throws {
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { root.deleteLastPathComponent() }
        let original = try [UInt8](
            Data(contentsOf: root.appendingPathComponent("Surveys/senegal/baseline_surveymonkey.csv"))
        )
        // Into the fifth line, after its first delimiter.
        var lineStarts = [0]
        for (i, b) in original.enumerated() where b == 0x0A { lineStarts.append(i + 1) }
        let at = try #require(original[lineStarts[4]...].firstIndex(of: UInt8(ascii: ","))) + 1
        var damaged = original
        damaged.insert(0xFF, at: at)
        let (good, _, _, r1) = try readAll(try tempFile(original))
        let (bad, _, d, r2) = try readAll(try tempFile(damaged))
        #expect(r1.encoding == .utf8 && r2.encoding == .utf8)
        #expect(bad.count == good.count)
        let differing = zip(good, bad).filter { $0.values != $1.values }
        #expect(differing.count == 1 && differing.first?.1.values.joined().contains("\u{FFFD}") == true)
        #expect(
            d.items.contains {
                $0.message.contains("invalid UTF-8") && $0.location?.line == 5 && $0.location?.column == 2
            }
        )
        // A file whose every high byte is invalid UTF-8 is still Windows-1252.
        #expect(
            TextEncoding.sniff(Array("Minist\u{E8}re".unicodeScalars.map { UInt8($0.value) })[...], isWholeFile: true).0
                == .windows1252
        )
    }

    @Test func utf16WithoutBOMIsRecognisedByItsNULBytes() throws {
        let text = "id,group\n1,Ministère\n2,ONG locale\n"
        let le = text.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        let be = text.utf16.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
        for (bytes, encoding) in [(le, TextEncoding.utf16LE), (be, .utf16BE)] {
            let (records, _, _, reader) = try readAll(try tempFile(bytes))
            #expect(reader.encoding == encoding)
            #expect(records.map(\.values) == [["1", "Ministère"], ["2", "ONG locale"]])
        }
    }

    @Test func utf16WithBOMInBothByteOrdersAndSniffedDelimiters() throws {
        let (le, _, _, r1) = try readAll(try fixture("utf16le.csv"))
        #expect(r1.encoding == .utf16LE && r1.delimiter == "\t")
        #expect(le.map(\.values) == [["ONG locale", "4"], ["Ministère", "5"]])
        let (be, _, _, r2) = try readAll(try fixture("utf16be.csv"))
        #expect(r2.encoding == .utf16BE && r2.delimiter == "|")
        #expect(be.map(\.values) == [["ONG locale", "4"]])
    }

    @Test func recordsAcrossChunkBoundariesAndLoneCarriageReturns() throws {
        // Small chunks force every state of the tokenizer across a refill.
        let text = "a,b\r\"x\"\"y\",\"1\r\n2\"\r3,4"
        let path = try tempFile(Array(text.utf8))
        var d = Diagnostics()
        var tok = try CSVTokenizer(
            path: path,
            delimiter: UInt8(ascii: ","),
            encoding: .utf8,
            bomLength: 0,
            chunkSize: 1
        )
        var rows: [[String]] = []
        while let r = tok.next(&d) { rows.append(r.fields) }
        #expect(rows == [["a", "b"], ["x\"y", "1\r\n2"], ["3", "4"]])
    }

    /// Every record of `bytes`, with the diagnostics, read with or without whole common records
    /// at once; and how many were read that way.
    static func tokenize(_ path: String, encoding: TextEncoding, chunkSize: Int, atOnce: Bool) throws -> (
        [CSVRow], [Diagnostic], Int
    ) {
        var d = Diagnostics()
        var tok = try CSVTokenizer(
            path: path,
            delimiter: UInt8(ascii: ","),
            encoding: encoding,
            bomLength: 0,
            chunkSize: chunkSize,
            commonRecordsAtOnce: atOnce
        )
        var rows: [CSVRow] = []
        while let r = tok.next(&d) { rows.append(r) }
        return (rows, d.items, tok.commonRecords)
    }

    @Test func commonRecordsReadAtOnceGiveWhatTheStateMachineGives() throws {
        // Records built from the pieces that matter (quoted fields with delimiters, doubled quotes
        // and line breaks of every kind inside, stray quotes, text after a closing quote, NUL,
        // bytes that are not UTF-8, multi-byte characters), read both ways with chunks from one
        // byte to the whole file: the same rows, lines, defects and diagnostics (line and column).
        var rng = SplitMix64(seed: 20_261_122)
        let pieces: [[UInt8]] =
            ["a", "bc", "é", "ü1", ",", ",", "\"", "\"\"", "\n", "\r\n", "\r", " ", "x,y"].map { Array($0.utf8) } + [
                [0], [0xFF], [0xC3],
            ]
        var atOnce = 0
        for round in 0..<400 {
            var bytes: [UInt8] = []
            for _ in 0..<Int(rng.next() % 12) {  // records
                for f in 0..<Int(1 + rng.next() % 5) {
                    if f > 0 { bytes.append(UInt8(ascii: ",")) }
                    let quoted = rng.next() % 3 == 0
                    if quoted { bytes.append(UInt8(ascii: "\"")) }
                    for _ in 0..<Int(rng.next() % 5) {
                        var piece = pieces[Int(rng.next() % UInt64(pieces.count))]
                        // Mostly well-formed: a lone quote only now and then.
                        if piece == [UInt8(ascii: "\"")] && rng.next() % 4 != 0 {
                            piece = quoted ? Array("\"\"".utf8) : Array("q".utf8)
                        }
                        if (piece.contains(0) || piece.contains(0xFF) || piece.contains(0xC3)) && rng.next() % 3 != 0 {
                            piece = Array("z".utf8)
                        }
                        bytes += piece
                    }
                    if quoted && rng.next() % 10 != 0 { bytes.append(UInt8(ascii: "\"")) }
                }
                bytes +=
                    rng.next() % 5 == 0 ? Array("\r\n".utf8) : rng.next() % 8 == 0 ? Array("\r".utf8) : Array("\n".utf8)
            }
            if rng.next() % 4 == 0, !bytes.isEmpty { bytes.removeLast() }  // no final line break
            let path = try tempFile(bytes)
            for encoding in [TextEncoding.utf8, .windows1252] {
                for chunk in [1, 2, 7, 64, 4096] {
                    let general = try Self.tokenize(path, encoding: encoding, chunkSize: chunk, atOnce: false)
                    let fast = try Self.tokenize(path, encoding: encoding, chunkSize: chunk, atOnce: true)
                    #expect(general.2 == 0)
                    #expect(fast.0 == general.0, "round \(round), \(encoding), chunk \(chunk): \(bytes)")
                    #expect(fast.1 == general.1, "round \(round), \(encoding), chunk \(chunk): \(bytes)")
                    atOnce += fast.2
                }
            }
        }
        #expect(atOnce > 5_000)
    }

    @Test func plainRecordsAreReadAtOnceAndTheOthersTheGeneralWay() throws {
        let text = "id,t\n1,\"a, \"\"b\"\"\nc\"\r\n2,x\"y\n3,\"z\"w\n4,\u{0}\n5,ok\n"
        let path = try tempFile(Array(text.utf8))
        let (rows, diagnostics, atOnce) = try Self.tokenize(path, encoding: .utf8, chunkSize: 1 << 20, atOnce: true)
        #expect(
            rows.map(\.fields) == [
                ["id", "t"], ["1", "a, \"b\"\nc"], ["2", "x\"y"], ["3", "zw"], ["4", "\u{FFFD}"], ["5", "ok"],
            ]
        )
        #expect(rows.map(\.line) == [1, 2, 4, 5, 6, 7])
        // The stray quote (line 4), the text after a closing quote (line 5) and the NUL (line 6)
        // are read the general way and reported there.
        #expect(atOnce == 3)
        #expect(diagnostics.map { $0.location?.line } == [4, 5, 6])
    }

    @Test func invalidUTF8AndNULBytesBecomeDiagnosticsNotCrashes() throws {
        var bytes = Array("q,t\n1,ok\n2,".utf8)
        bytes += [0xC3, 0x28, 0x00, 0x41]  // invalid sequence, then NUL
        bytes += Array("\n".utf8)
        // Make the first 64 KiB valid UTF-8 so the file is read as UTF-8.
        let path = try tempFile(
            Array("q,t\n".utf8) + Array(repeating: UInt8(ascii: "x"), count: 0) + Array(bytes.dropFirst(4))
        )
        let (records, _, d, _) = try readAll(path)
        #expect(records.count == 2)
        #expect(d.items.contains { $0.message.contains("NUL") && $0.location?.line == 3 })
        #expect(!records[1].values[1].contains("\u{0}"))
    }

    /// A field past the size limit sends its record to the rejects with its place, keeps only the
    /// field's first bytes, and the records after it are read as usual; quoted or not.
    @Test func aFieldPastTheSizeLimitIsRejectedWithItsPlaceAndTheRestIsRead() throws {
        var options = ReadOptions()
        options.limits = SizeLimits(fieldBytes: 4096, recordBytes: 8192)
        for quoted in [false, true] {
            var bytes = Array("id,text,n\n1,x,1\n2,y,2\n3,z,3\n4,".utf8)
            if quoted { bytes += Array("\"".utf8) }
            bytes += [UInt8](repeating: UInt8(ascii: "a"), count: 3 << 20)
            if quoted { bytes += Array("\nmore\"".utf8) }
            bytes += Array(",4\n5,small,5\n".utf8)
            let (records, rejected, d, _) = try readAll(try tempFile(bytes), options: options)
            #expect(records.map { $0.values[0] } == ["1", "2", "3", "5"], "quoted: \(quoted)")
            #expect(rejected.count == 1 && rejected.first?.location.line == 5)
            #expect(rejected.first?.reason.contains("larger than the limit") == true)
            #expect(rejected.first?.values[1].utf8.count == SizeLimits.keptOfOversizeField)
            #expect(d.items.contains { $0.severity == .error && $0.location?.line == 5 && $0.location?.column == 2 })
        }
        // Many fields together past the record's limit.
        let wide =
            "a,b,c\n" + (0..<3).map { _ in String(repeating: "x", count: 3000) }.joined(separator: ",") + "\n1,2,3\n"
        let (records, rejected, _, _) = try readAll(try tempFile(Array(wide.utf8)), options: options)
        #expect(records.count == 1 && rejected.count == 1 && rejected.first?.location.line == 2)
    }

    /// A long run of NUL bytes becomes one replacement character, with the field's place.
    @Test func aRunOfNULBytesIsOneReplacementCharacter() throws {
        var bytes = Array("id,text\n1,a".utf8)
        bytes += [UInt8](repeating: 0, count: 1 << 20)
        bytes += Array("b\n2,c\n".utf8)
        let (records, _, d, _) = try readAll(try tempFile(bytes))
        #expect(records.map(\.values) == [["1", "a\u{FFFD}b"], ["2", "c"]])
        #expect(d.items.contains { $0.message.contains("NUL") && $0.location?.line == 2 && $0.location?.column == 2 })
        #expect(CSVTokenizer.replacingNULRuns("\u{0}x\u{0}\u{0}") == "\u{FFFD}x\u{FFFD}")
    }

    @Test(.timeLimit(.minutes(5))) func tenThousandColumnsAndAFiftyMegabyteField() throws {
        let header = (0..<10_000).map { "c\($0)" }.joined(separator: ",")
        let row = (0..<10_000).map { String($0) }.joined(separator: ",")
        let (wide, _, _, reader) = try readAll(try tempFile(Array((header + "\n" + row + "\n").utf8)))
        #expect(reader.columns.count == 10_000)
        #expect(wide.first?.values.last == "9999")
        // The huge record after the reader's three-line sample, so that it is tokenized as records
        // are during an import.
        var big = Array("id,text\n1,x\n2,y\n3,\"".utf8)
        big += [UInt8](repeating: UInt8(ascii: "a"), count: 50 << 20)
        big += Array("\"\n4,small\n".utf8)
        let (records, _, _, _) = try readAll(try tempFile(big))
        #expect(records.count == 4)
        #expect(records[2].values[1].utf8.count == 50 << 20)
        #expect(records[3].values == ["4", "small"])
        // The reader makes room for a record by the last one's size, up to 1 MiB: the small record
        // after the huge one holds no more than that.
        #expect(records[3].fields.bytes.capacity <= 2 << 20)
    }

    @Test func profilesAreRecognisedFromTheirHeaders() {
        #expect(
            ProfileDetector.detect([["start", "grp/q1", "_uuid", "_submission_time"], ["#date", "#q"]]) == (
                .koboToolbox, 2
            )
        )
        #expect(ProfileDetector.detect([["SubmissionDate", "meta-instanceID", "g-q1"]]).0 == .odk)
        #expect(
            ProfileDetector.detect([["Respondent ID", "Collector ID", "Q1"], ["", "", "Response"]]) == (
                .surveyMonkey, 2
            )
        )
        #expect(
            ProfileDetector.detect([
                ["StartDate", "Q1"], ["Start Date", "Q one"],
                ["{\"ImportId\":\"startDate\"}", "{\"ImportId\":\"QID1\"}"],
            ]) == (.qualtrics, 3)
        )
        #expect(
            ProfileDetector.detect([
                ["StartDate", "Q1"], ["Start Date", "Q one"], ["{'ImportId': 'startDate'}", "{'ImportId': 'QID1'}"],
            ]) == (.qualtrics, 3)
        )
        #expect(ProfileDetector.detect([["Horodateur", "Votre nom"]]).0 == .googleForms)
        #expect(ProfileDetector.detect([["id", "submitdate", "lastpage", "startlanguage"]]).0 == .limeSurvey)
        #expect(ProfileDetector.detect([["a", "b"]]).0 == .plainCSV)
        let cols = ProfileDetector.columns(profile: .koboToolbox, headerRows: [["grp_policy/pol1", "_uuid"]])
        #expect(cols[0].leaf == "pol1" && cols[0].groupPath == ["grp_policy"])
        let sm = ProfileDetector.columns(
            profile: .surveyMonkey,
            headerRows: [["Q", "", "Open"], ["A", "B", "Open-Ended Response"]]
        )
        #expect(sm.map(\.name) == ["Q / A", "Q / B", "Open"])
    }

    @Test func datesInEveryExportFormParseToOneInstant() throws {
        let instant = Date(timeIntervalSince1970: 1_709_277_753)  // 2024-03-01T07:22:33Z
        #expect(DateParser.parse("2024-03-01T10:22:33+03:00") == instant)
        #expect(DateParser.parse("2024-03-01T07:22:33Z") == instant)
        #expect(DateParser.parse("2024-03-01 07:22:33") == instant)
        #expect(DateParser.parse("03/01/2024 07:22:33 AM") == instant)
        #expect(DateParser.parse("2024/03/01 8:22:33 am CET") == instant)
        #expect(DateParser.parse("2024-03-01T10:22:33.500+0300") == instant.addingTimeInterval(0.5))
        #expect(DateParser.parse("13/03/2024 07:22:33") == instant.addingTimeInterval(12 * 86400))
        #expect(DateParser.parse("yesterday") == nil)
        #expect(DateParser.parse("2024-13-01") == nil)
    }
}
