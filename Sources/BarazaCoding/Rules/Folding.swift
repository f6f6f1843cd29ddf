import Foundation

/// Folds text for matching: lower case, no diacritics, straight quotes, one space for any run of
/// white space (NBSP included) or underscores, trimmed. "Tout à fait d’accord" and "tout a fait
/// d'accord" fold alike, and so do ODK choice names (`strongly_agree`) and labels ("Strongly agree").
public enum Folding {
    public static func fold(_ text: String) -> String {
        // Fast path for ASCII (most survey labels, codes and a good part of open text): byte-level,
        // no Unicode property look-ups, which profiling showed to dominate coding time.
        if text.utf8.allSatisfy({ $0 < 0x80 }) { return foldASCII(text) }
        return foldUnicode(text)
    }

    static func foldASCII(_ text: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        var pendingSpace = false
        for b in text.utf8 {
            switch b {
            case 0x20, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, UInt8(ascii: "_"):
                pendingSpace = !out.isEmpty
                continue
            case UInt8(ascii: "`"):
                if pendingSpace {
                    out.append(0x20)
                    pendingSpace = false
                }
                out.append(UInt8(ascii: "'"))
                continue
            default:
                if pendingSpace {
                    out.append(0x20)
                    pendingSpace = false
                }
                out.append(b >= 0x41 && b <= 0x5A ? b + 0x20 : b)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Folded forms of U+00C0–U+024F (Latin-1 Supplement, Latin Extended-A and -B), generated with
    /// Python's unicodedata (lower case, NFD, combining marks removed; œ → oe, æ → ae, ß → ss);
    /// nil where the result is not ASCII. French, Spanish and Portuguese text folds through this
    /// table without Foundation's decomposition.
    static let latinTable: [String?] = [
        "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i", nil, "n", "o", "o", "o", "o",
        "o", nil, nil, "u", "u", "u", "u", "y", nil, "ss", "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e",
        "i", "i", "i", "i", nil, "n", "o", "o", "o", "o", "o", nil, nil, "u", "u", "u", "u", "y", nil, "y", "a", "a",
        "a", "a", "a", "a", "c", "c", "c", "c", "c", "c", "c", "c", "d", "d", nil, nil, "e", "e", "e", "e", "e", "e",
        "e", "e", "e", "e", "g", "g", "g", "g", "g", "g", "g", "g", "h", "h", nil, nil, "i", "i", "i", "i", "i", "i",
        "i", "i", "i", nil, nil, nil, "j", "j", "k", "k", nil, "l", "l", "l", "l", "l", "l", nil, nil, nil, nil, "n",
        "n", "n", "n", "n", "n", nil, nil, nil, "o", "o", "o", "o", "o", "o", "oe", "oe", "r", "r", "r", "r", "r", "r",
        "s", "s", "s", "s", "s", "s", "s", "s", "t", "t", "t", "t", nil, nil, "u", "u", "u", "u", "u", "u", "u", "u",
        "u", "u", "u", "u", "w", "w", "y", "y", "y", "z", "z", "z", "z", "z", "z", nil, nil, nil, nil, nil, nil, nil,
        nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil,
        nil, nil, nil, nil, "o", "o", nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, "u", "u", nil,
        nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil,
        nil, nil, nil, nil, nil, "a", "a", "i", "i", "o", "o", "u", "u", "u", "u", "u", "u", "u", "u", "u", "u", nil,
        "a", "a", "a", "a", nil, nil, nil, nil, "g", "g", "k", "k", "o", "o", "o", "o", nil, nil, "j", nil, nil, nil,
        "g", "g", nil, nil, "n", "n", "a", "a", nil, nil, nil, nil, "a", "a", "a", "a", "e", "e", "e", "e", "i", "i",
        "i", "i", "o", "o", "o", "o", "r", "r", "r", "r", "u", "u", "u", "u", "s", "s", "t", "t", nil, nil, "h", "h",
        nil, nil, nil, nil, nil, nil, "a", "a", "e", "e", "o", "o", "o", "o", "o", "o", "o", "o", "y", "y", nil, nil,
        nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil,
        nil, nil, nil, nil,
    ]

    static func foldUnicode(_ text: String) -> String {
        // Fast path: every scalar is ASCII or in the Latin table.
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        var pendingSpace = false
        var simple = true
        for u in text.unicodeScalars {
            let v = u.value
            if v < 0x80 {
                let b = UInt8(v)
                if b == 0x20 || (0x09...0x0D).contains(b) || b == UInt8(ascii: "_") {
                    pendingSpace = !out.isEmpty
                    continue
                }
                if pendingSpace {
                    out.append(0x20)
                    pendingSpace = false
                }
                out.append(b >= 0x41 && b <= 0x5A ? b + 0x20 : (b == UInt8(ascii: "`") ? UInt8(ascii: "'") : b))
            } else if v >= 0xC0 && v < 0x250, let f = latinTable[Int(v - 0xC0)] {
                if pendingSpace {
                    out.append(0x20)
                    pendingSpace = false
                }
                out.append(contentsOf: f.utf8)
            } else {
                simple = false
                break
            }
        }
        if simple { return String(decoding: out, as: UTF8.self) }
        return foldGeneral(text)
    }

    static func foldGeneral(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        var pendingSpace = false
        let lowered = text.lowercased()
        let decomposed = lowered.decomposedStringWithCanonicalMapping
        for s in decomposed.unicodeScalars {
            if s.isASCII {
                let v = UInt8(s.value)
                if v == 0x20 || (0x09...0x0D).contains(v) || v == UInt8(ascii: "_") {
                    pendingSpace = !out.isEmpty
                    continue
                }
                if pendingSpace {
                    out.append(" ")
                    pendingSpace = false
                }
                out.append(v == UInt8(ascii: "`") ? "'" : s)
                continue
            }
            if s.properties.generalCategory == .nonspacingMark { continue }
            var c = s
            var lead: Unicode.Scalar?
            switch s.value {
            case 0x2018, 0x2019, 0x201B, 0x2032, 0x00B4, 0x0060: c = "'"
            case 0x201C, 0x201D, 0x201F, 0x2033, 0x00AB, 0x00BB: c = "\""
            case 0x2010...0x2015, 0x2212: c = "-"
            case 0x0153:
                lead = "o"
                c = "e"  // œ
            case 0x00E6:
                lead = "a"
                c = "e"  // æ
            case 0x00DF:
                lead = "s"
                c = "s"  // ß
            default: break
            }
            if c.properties.isWhitespace || c == "_" {
                pendingSpace = !out.isEmpty
                continue
            }
            if pendingSpace {
                out.append(" ")
                pendingSpace = false
            }
            if let lead { out.append(lead) }
            out.append(c)
        }
        return String(out)
    }
}

/// A pattern over folded text where `*` matches any run of characters.
public struct GlobPattern: Sendable, Hashable {
    public let source: String
    private let parts: [String]
    private let anchoredStart: Bool
    private let anchoredEnd: Bool

    public init(_ pattern: String) {
        source = pattern
        let folded = Folding.fold(pattern)
        anchoredStart = !folded.hasPrefix("*")
        anchoredEnd = !folded.hasSuffix("*")
        parts = folded.split(separator: "*", omittingEmptySubsequences: true).map(String.init)
    }

    public var isLiteral: Bool { anchoredStart && anchoredEnd && parts.count <= 1 }

    /// Whether `folded` (already folded) matches the whole pattern.
    public func matches(folded: String) -> Bool {
        if parts.isEmpty { return !anchoredStart || folded.isEmpty }
        var rest = Substring(folded)
        for (i, part) in parts.enumerated() {
            if i == 0 && anchoredStart {
                guard rest.hasPrefix(part) else { return false }
                rest = rest.dropFirst(part.count)
            } else if i == parts.count - 1 && anchoredEnd {
                return rest.count >= part.count && rest.hasSuffix(part)
            } else {
                guard let r = rest.range(of: part) else { return false }
                rest = rest[r.upperBound...]
            }
        }
        return !anchoredEnd || rest.isEmpty
    }
}
