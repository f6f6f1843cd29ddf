/// The character encoding of a text export, as sniffed from its first bytes.
public enum TextEncoding: String, Sendable, Hashable, Codable {
    case utf8 = "UTF-8"
    case utf8BOM = "UTF-8 with BOM"
    case utf16LE = "UTF-16LE"
    case utf16BE = "UTF-16BE"
    case windows1252 = "Windows-1252"

    /// Recognises a byte-order mark, then UTF-16 without one by its NUL bytes (every other byte
    /// of mostly-ASCII text); otherwise UTF-8 unless the evidence says Windows-1252: a few
    /// invalid bytes among valid multi-byte sequences are damage in a UTF-8 file (they are
    /// replaced and reported where they are), not a reason to misread every accent in it.
    /// A multi-byte sequence cut at the end of the sample does not count against UTF-8.
    public static func sniff(_ sample: ArraySlice<UInt8>, isWholeFile: Bool) -> (TextEncoding, bomLength: Int) {
        let b = Array(sample.prefix(3))
        if b.count >= 3, b[0] == 0xEF, b[1] == 0xBB, b[2] == 0xBF { return (.utf8BOM, 3) }
        if b.count >= 2, b[0] == 0xFF, b[1] == 0xFE { return (.utf16LE, 2) }
        if b.count >= 2, b[0] == 0xFE, b[1] == 0xFF { return (.utf16BE, 2) }
        if let utf16 = utf16WithoutBOM(sample) { return (utf16, 0) }
        let evidence = utf8Evidence(sample, allowTruncatedEnd: !isWholeFile)
        if evidence.invalid == 0 || (evidence.validMultiByte > 0 && evidence.invalid <= evidence.validMultiByte) {
            return (.utf8, 0)
        }
        return (.windows1252, 0)
    }

    /// UTF-16 text of mostly ASCII characters has a NUL in every other byte: the high bytes at odd
    /// offsets for little-endian, at even ones for big-endian.
    static func utf16WithoutBOM(_ sample: ArraySlice<UInt8>) -> TextEncoding? {
        let bytes = Array(sample.prefix(4096))
        let pairs = bytes.count / 2
        guard pairs >= 2 else { return nil }
        var evenNUL = 0
        var oddNUL = 0
        for k in 0..<pairs {
            if bytes[2 * k] == 0 { evenNUL += 1 }
            if bytes[2 * k + 1] == 0 { oddNUL += 1 }
        }
        if oddNUL * 10 >= pairs * 4 && evenNUL * 20 <= pairs { return .utf16LE }
        if evenNUL * 10 >= pairs * 4 && oddNUL * 20 <= pairs { return .utf16BE }
        return nil
    }

    /// Valid multi-byte UTF-8 sequences and invalid bytes in `bytes`.
    static func utf8Evidence(_ bytes: ArraySlice<UInt8>, allowTruncatedEnd: Bool) -> (validMultiByte: Int, invalid: Int)
    {
        var valid = 0
        var invalid = 0
        var i = bytes.startIndex
        let end = bytes.endIndex
        while i < end {
            let c = bytes[i]
            if c < 0x80 {
                i += 1
                continue
            }
            let n: Int
            if c & 0xE0 == 0xC0, c >= 0xC2 {
                n = 1
            } else if c & 0xF0 == 0xE0 {
                n = 2
            } else if c & 0xF8 == 0xF0, c <= 0xF4 {
                n = 3
            } else {
                invalid += 1
                i += 1
                continue
            }
            if i + n >= end {
                if !(allowTruncatedEnd && (i + 1..<end).allSatisfy { bytes[$0] & 0xC0 == 0x80 }) { invalid += 1 }
                break
            }
            if (1...n).allSatisfy({ bytes[i + $0] & 0xC0 == 0x80 }) {
                valid += 1
                i += n + 1
            } else {
                invalid += 1
                i += 1
            }
        }
        return (valid, invalid)
    }

}

/// Windows-1252 bytes 0x80–0x9F (the rest of the code page equals Latin-1).
let windows1252High: [UInt32] = [
    0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0xFFFD,
    0x017D, 0xFFFD, 0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A,
    0x0153, 0xFFFD, 0x017E, 0x0178,
]

/// Transcodes a chunk of UTF-16 (no BOM) into UTF-8 bytes, carrying an odd byte or a lone high
/// surrogate over to the next chunk in `carry`.
func transcodeUTF16(_ input: [UInt8], bigEndian: Bool, carry: inout [UInt8], final: Bool) -> [UInt8] {
    var bytes = carry + input
    carry = []
    var units: [UInt16] = []
    units.reserveCapacity(bytes.count / 2)
    var i = 0
    while i + 1 < bytes.count {
        units.append(
            bigEndian ? UInt16(bytes[i]) << 8 | UInt16(bytes[i + 1]) : UInt16(bytes[i + 1]) << 8 | UInt16(bytes[i])
        )
        i += 2
    }
    if i < bytes.count { carry = [bytes[i]] }
    // Keep a trailing high surrogate for the next chunk, so a pair split across chunks decodes.
    if !final, let last = units.last, (0xD800...0xDBFF).contains(last) {
        units.removeLast()
        carry = (bigEndian ? [UInt8(last >> 8), UInt8(last & 0xFF)] : [UInt8(last & 0xFF), UInt8(last >> 8)]) + carry
    }
    bytes = []
    var out: [UInt8] = []
    out.reserveCapacity(units.count * 2)
    for scalar in String(decoding: units, as: UTF16.self).utf8 { out.append(scalar) }
    return out
}
