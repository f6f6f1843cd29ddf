import Foundation

/// Removes personal data from quotes before they appear in a report.
///
/// What is removed (and documented in the report's methodology):
/// - e-mail addresses → `[email]`
/// - phone numbers: 7 or more digits, optionally starting with `+` or `00`, with spaces, dots,
///   dashes or brackets between them → `[phone]`
/// - up to three capitalised words after "my name is", "I am called", "je m'appelle",
///   "mon nom est", "me llamo", "mi nombre es", "meu nome é", "chamo-me", "eu sou o/a" → `[name]`
/// - web addresses → `[link]`
public enum QuoteScrubber {
    static let email = try? NSRegularExpression(pattern: #"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}"#)
    static let link = try? NSRegularExpression(pattern: #"(?i)\b(?:https?://|www\.)[^\s"'<>()\[\]]+"#)
    static let phone = try? NSRegularExpression(pattern: #"(?<![\w])(?:\+|00)?\(?\d(?:[\s.\-()]{0,2}\d){6,}"#)
    static let name = try? NSRegularExpression(pattern:
        #"(?i)(\b(?:my name is|i am called|je m['’]appelle|mon nom est|me llamo|mi nombre es|meu nome [eé]|chamo-me|me chamo)\s+)(?-i:\p{Lu}[\p{L}'’\-]*(?:\s+\p{Lu}[\p{L}'’\-]*){0,2})"#)

    public static func scrub(_ text: String) -> String {
        var s = text
        s = replace(email, in: s, with: "[email]")
        s = replace(link, in: s, with: "[link]")
        s = replace(name, in: s, with: "$1[name]")
        s = replace(phone, in: s, with: "[phone]")
        return s
    }

    private static func replace(_ re: NSRegularExpression?, in s: String, with template: String) -> String {
        guard let re else { return s }
        return re.stringByReplacingMatches(in: s, range: NSRange(s.startIndex..., in: s), withTemplate: template)
    }
}
