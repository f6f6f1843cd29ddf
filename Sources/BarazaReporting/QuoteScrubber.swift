import Foundation

/// Removes personal data from quotes before they appear in a report, and leaves out a quote it
/// cannot make safe.
///
/// What is removed (and documented in the report's methodology), in English, French, Spanish,
/// Portuguese and Swahili:
/// - e-mail addresses, also written out ("amina dot otieno at example dot org", "(at)", "[dot]")
///   → `[email]`
/// - phone numbers: 7 or more digits, optionally starting with `+` or `00`, with spaces, dots,
///   dashes, slashes or brackets between them → `[phone]`
/// - passport, identity-card and national-insurance numbers (letters with digits, or any number
///   after such a word) → `[id]`
/// - up to three words after "my name is", "my name is:", "je m'appelle", "mon nom est",
///   "moi, c'est", "me llamo", "mi nombre es", "meu nome é", "chamo-me", "me chamo", "eu sou o/a",
///   "jina langu ni", "naitwa", in any case; capitalised words after "I'm", "I am", "call me", "je suis",
///   "soy", "sou", "mimi ni" → `[name]`
/// - web addresses → `[link]`
///
/// A quote that still holds a sign of personal data after that (an `@`, an introduction with no
/// name found after it, a written-out address, an identity word beside digits) is left out.
public enum QuoteScrubber {
    static func regex(_ pattern: String) -> NSRegularExpression? { try? NSRegularExpression(pattern: pattern) }

    static let email = regex(#"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}"#)
    /// An address written out: local part, "at", a domain of one or more parts joined by "dot".
    /// English words pair with English ones and French, Spanish and Portuguese with theirs, so
    /// "at this point of view" is not an address.
    static let spelledEmails = [("at", "dot"), ("arobase|arroba", "point|punto|ponto")]
        .map { atWords, dotWords in
            let dot = #"(?:\.|\s+(?:"# + dotWords + #")\s+|\s*[(\[]\s*(?:dot|"# + dotWords + #")\s*[)\]]\s*)"#
            let at = #"(?:\s+(?:"# + atWords + #")\s+|\s*[(\[]\s*(?:at|"# + atWords + #")\s*[)\]]\s*)"#
            return regex(
                #"(?i)\b[\p{L}\d._%+\-]+(?:"# + dot + #"[\p{L}\d_\-]+)*"# + at + #"[\p{L}\d\-]+(?:"# + dot
                    + #"[\p{L}\d\-]+)*"# + dot + #"(?-i:[a-z]{2,6})\b"#
            )
        }
    static let link = regex(#"(?i)\b(?:https?://|www\.)[^\s"'<>()\[\]]+"#)
    static let phone = regex(#"(?<![\w])(?:\+|00)?\(?\d(?:[\s.\-()/]{0,2}\d){6,}"#)
    /// Identity words of the five languages, then a number with or without letters.
    static let idWords =
        #"passport|passeport|pasaporte|passaporte|pasipoti|national insurance(?: number)?|NI number|"#
        + #"national id(?: number)?|id card|id number|identity card|carte d'identit[ée]|CNI|c[ée]dula|DNI|NIF|"#
        + #"bilhete de identidade|kitambulisho(?: cha taifa)?|namba ya kitambulisho"#
    static let idAfterWord = regex(
        #"(?i)(\b(?:"# + idWords + #")\b(?:\s*(?:no\.?|number|num[ée]ro|n[°º]|nambari|namba))?\s*[:#]?\s*)"#
            + #"(?=[A-Z0-9\s\-/]{0,24}\d)[A-Z0-9](?:[A-Z0-9]|[\s\-/](?=[A-Z0-9])){3,20}"#
    )
    /// Letters and digits together, as passports and national-insurance numbers are written.
    static let idToken = regex(#"(?i)\b(?:[A-Z]{1,3}\s?\d{5,9}\s?[A-Z]?|[A-Z]{2}(?:\s?\d{2}){3}\s?[A-D])\b"#)
    static let strongNameIntro =
        #"my name is|my names are|my name's|i am called|i'm called|je m['’]appelle|mon nom est|"#
        + #"moi,?\s+c['’]est|me llamo|mi nombre es|meu nome [eé]|chamo-me|me chamo|eu sou (?:o|a)\b|sou (?:o|a)\b|"#
        + #"jina langu ni|majina yangu ni|naitwa|ninaitwa|nimeitwa"#
    static let strongName = regex(
        #"(?i)(\b(?:"# + strongNameIntro + #")\s*[:,\-–]?\s*)[\p{L}'’\-]+(?:\s+[\p{L}'’\-]+){0,2}"#
    )
    static let weakName = regex(
        #"((?i:\b(?:i['’]m|i am|call me|je suis|soy|sou|mimi ni))\s+)"#
            + #"\p{Lu}[\p{L}'’\-]*(?:\s+\p{Lu}[\p{L}'’\-]*){0,2}"#
    )

    /// Signs that personal data may be left after scrubbing.
    static let unsure = regex(
        #"(?i)@|\b(?:"# + strongNameIntro + #")\s*[:,\-–]?\s*(?:$|[^\[\s])|"#
            + #"\bat\b.{0,40}\bdot\b|\b(?:arobase|arroba)\b|[(\[](?:at|dot)[)\]]|\b(?:"# + idWords
            + #")\b[^\d\[]{0,20}\d"#
    )

    public static func scrub(_ text: String) -> String {
        // Each pattern runs only when the text holds what it needs (an `@`, digits, a trigger
        // word): ICU's matcher over every quote, four formats over, was a twelfth of a report.
        let lower = text.lowercased()
        let digits = text.utf8.reduce(0) { $0 + ($1 >= 0x30 && $1 <= 0x39 ? 1 : 0) }
        var s = text
        if lower.contains("@") { s = replace(email, in: s, with: "[email]") }
        if [" at ", "(at)", "[at]", "arobase", "arroba"].contains(where: lower.contains) {
            for re in spelledEmails { s = replace(re, in: s, with: "[email]") }
        }
        if lower.contains("http") || lower.contains("www.") { s = replace(link, in: s, with: "[link]") }
        if nameTriggers.contains(where: lower.contains) {
            s = replace(strongName, in: s, with: "$1[name]")
            s = replace(weakName, in: s, with: "$1[name]")
        }
        if digits >= 4 {
            s = replace(idAfterWord, in: s, with: "$1[id]")
            s = replace(idToken, in: s, with: "[id]")
            s = replace(phone, in: s, with: "[phone]")
        }
        return s
    }

    /// Words one of the name patterns starts with (lower case): without one, neither can match.
    static let nameTriggers = [
        "name", "called", "appelle", "nom est", "c'est", "c’est", "llamo", "nombre", "nome", "chamo", "sou ", "jina",
        "majina", "naitwa", "i'm", "i’m", "i am", "call me", "je suis", "soy", "mimi ni",
    ]

    /// The quote scrubbed, or nil when signs of personal data remain: such a quote is left out.
    /// Each text is judged once per process (every report format asks for the same quotes).
    public static func publishable(_ text: String) -> String? {
        if let known = memo.value(text) { return known }
        let s = scrub(text)
        let verdict: String?
        let lower = s.lowercased()
        // The signs `unsure` looks for need one of these; a quote with none is not searched.
        let signs =
            lower.contains("@") || lower.utf8.contains { $0 >= 0x30 && $0 <= 0x39 }
            || nameTriggers.contains(where: lower.contains)
            || [" at ", "arobase", "arroba", "(at", "[at", "(dot", "[dot"].contains(where: lower.contains)
        if !signs {
            verdict = s
        } else if let unsure {
            verdict = unsure.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) == nil ? s : nil
        } else {
            verdict = nil
        }
        memo.store(text, verdict)
        return verdict
    }

    /// The quotes that may be shown, scrubbed, in their order.
    public static func publishable(_ texts: [String]) -> [String] { texts.compactMap(publishable) }

    /// Verdicts on texts already judged (a report holds a few hundred quotes).
    final class Memo: @unchecked Sendable {
        private let lock = NSLock()
        private var verdicts: [String: String?] = [:]
        func value(_ text: String) -> String?? { lock.withLock { verdicts[text] } }
        func store(_ text: String, _ verdict: String?) {
            lock.withLock { if verdicts.count < 100_000 { verdicts[text] = .some(verdict) } }
        }
    }
    static let memo = Memo()

    private static func replace(_ re: NSRegularExpression?, in s: String, with template: String) -> String {
        guard let re else { return s }
        return re.stringByReplacingMatches(in: s, range: NSRange(s.startIndex..., in: s), withTemplate: template)
    }
}
