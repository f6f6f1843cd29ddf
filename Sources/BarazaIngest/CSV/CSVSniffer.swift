import BarazaModel

/// What the first bytes of a CSV file say about it: encoding and delimiter.
public struct CSVSniffResult: Sendable, Hashable {
    public var encoding: TextEncoding
    public var bomLength: Int
    public var delimiter: UInt8
}

public enum CSVSniffer {
    static let candidates: [UInt8] = [UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "\t"), UInt8(ascii: "|")]

    /// Sniffs encoding from a byte-order mark or UTF-8 validity, and the delimiter from the first
    /// records of a 64 KiB sample: the candidate whose count per record is most often equal to the
    /// header's, then the most frequent.
    public static func sniff(path: String) throws(IngestError) -> CSVSniffResult {
        let file = try FileChunks(path: path, chunkSize: 1 << 16)
        var sample: [UInt8] = []
        let n = file.read(into: &sample)
        if n == 0 { throw .empty(path: path) }
        var probe: [UInt8] = []
        let whole = file.read(into: &probe) == 0
        let (encoding, bom) = TextEncoding.sniff(sample[...], isWholeFile: whole)
        var text = Array(sample.dropFirst(bom))
        if encoding == .utf16LE || encoding == .utf16BE {
            var carry: [UInt8] = []
            text = transcodeUTF16(text, bigEndian: encoding == .utf16BE, carry: &carry, final: whole)
        }
        return CSVSniffResult(encoding: encoding, bomLength: bom, delimiter: sniffDelimiter(text))
    }

    static func sniffDelimiter(_ text: [UInt8]) -> UInt8 {
        var best = UInt8(ascii: ",")
        var bestScore = -1
        for d in candidates {
            let counts = countsPerRecord(text, delimiter: d, maxRecords: 20)
            guard let first = counts.first, first > 0 else { continue }
            let agree = counts.filter { $0 == first }.count
            let score = agree * 100_000 + first
            if score > bestScore {
                bestScore = score
                best = d
            }
        }
        return best
    }

    static func countsPerRecord(_ text: [UInt8], delimiter: UInt8, maxRecords: Int) -> [Int] {
        var counts: [Int] = []
        var count = 0
        var inQuotes = false
        for b in text {
            if b == UInt8(ascii: "\"") {
                inQuotes.toggle()
                continue
            }
            if inQuotes { continue }
            if b == delimiter {
                count += 1
            } else if b == UInt8(ascii: "\n") {
                counts.append(count)
                count = 0
                if counts.count >= maxRecords { break }
            }
        }
        // A last record with no line break is only counted when the sample holds nothing else.
        if counts.isEmpty { counts.append(count) }
        return counts
    }
}
