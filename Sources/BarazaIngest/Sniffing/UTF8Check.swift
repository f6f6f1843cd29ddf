internal import CBarazaText

/// UTF-8 validation over bytes (RFC 3629: no overlong forms, no surrogates, at most U+10FFFF): the
/// same verdict as `String(validating:as:)`, without making a String. In C (`baraza_utf8_valid`):
/// 64 bytes at a time with AVX-512 BW where the processor has it, else ASCII skipped sixteen bytes at
/// a time; the Swift loop it replaced, eight at a time, was a tenth of the CSV reading thread's
/// samples (records of French text have an accent every few words).
public enum UTF8Check {
    public static func isValid(_ bytes: [UInt8]) -> Bool { bytes.withUnsafeBufferPointer { isValid($0) } }

    public static func isValid(_ p: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = p.baseAddress else { return true }
        return baraza_utf8_valid(base, p.count) != 0
    }
}
