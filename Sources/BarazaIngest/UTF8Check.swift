/// UTF-8 validation over bytes (RFC 3629: no overlong forms, no surrogates, at most U+10FFFF),
/// with an eight-bytes-at-a-time skip over ASCII. The same verdict as `String(validating:as:)`,
/// without making a String.
public enum UTF8Check {
    public static func isValid(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer { isValid($0) }
    }

    public static func isValid(_ p: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = p.baseAddress else { return true }
        let n = p.count
        var i = 0
        while i < n {
            if i + 8 <= n, UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self) & 0x8080_8080_8080_8080 == 0 { i += 8; continue }
            let b0 = base[i]
            if b0 < 0x80 { i += 1; continue }
            func cont(_ k: Int) -> Bool { i + k < n && base[i + k] & 0xC0 == 0x80 }
            if b0 >= 0xC2 && b0 <= 0xDF {
                guard cont(1) else { return false }
                i += 2
            } else if b0 >= 0xE0 && b0 <= 0xEF {
                guard cont(1), cont(2) else { return false }
                let b1 = base[i + 1]
                if b0 == 0xE0 && b1 < 0xA0 { return false }      // overlong
                if b0 == 0xED && b1 >= 0xA0 { return false }     // surrogates
                i += 3
            } else if b0 >= 0xF0 && b0 <= 0xF4 {
                guard cont(1), cont(2), cont(3) else { return false }
                let b1 = base[i + 1]
                if b0 == 0xF0 && b1 < 0x90 { return false }      // overlong
                if b0 == 0xF4 && b1 >= 0x90 { return false }     // above U+10FFFF
                i += 4
            } else {
                return false
            }
        }
        return true
    }
}
