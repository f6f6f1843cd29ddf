import Testing
@testable import BarazaReporting

/// Quotes with personal data in the report languages and Swahili: none of it may reach a report,
/// scrubbed or left out; quotes without any must pass as they are.
struct PersonalDataCorpusTests {
    /// (language, quote, what must not be printed).
    static let personal: [(String, String, [String])] = [
        ("en", "My name is Grace Wanjiru and I run a shop", ["Grace", "Wanjiru"]),
        ("en", "my name is grace wanjiru, we need credit", ["grace", "wanjiru"]),
        ("en", "My name is: Peter Otieno. Loans are too dear.", ["Peter", "Otieno"]),
        ("en", "I'm Amina Hassan from the county office", ["Amina", "Hassan"]),
        ("en", "Call me Joseph, any time", ["Joseph"]),
        ("en", "Write to grace.wanjiru@example.org for the list", ["grace.wanjiru", "example.org"]),
        ("en", "write to grace dot wanjiru at example dot org", ["wanjiru", "example"]),
        ("en", "contact grace(at)example(dot)org please", ["grace", "example"]),
        ("en", "call +254 712 345 678 or 0712-345-678", ["712", "345"]),
        ("en", "my number is 0712/345/678", ["712", "345/678"]),
        ("en", "office line (020) 123-4567", ["123-4567", "4567"]),
        ("en", "passport A1234567 was taken", ["A1234567", "1234567"]),
        ("en", "my passport number is AB 1234567", ["1234567"]), ("en", "NI number QQ 12 34 56 C", ["QQ 12", "34 56"]),
        ("en", "national insurance QQ123456C", ["QQ123456C", "123456"]),
        ("en", "national ID 12345678 was needed for the loan", ["12345678"]),
        ("en", "see www.example.org/grace for our work", ["example.org", "grace"]),
        ("fr", "Je m'appelle Awa Diop et je préside le groupement", ["Awa", "Diop"]),
        ("fr", "je m'appelle awa diop", ["awa", "diop"]),
        ("fr", "Moi, c'est Fatou Ndiaye, couturière", ["Fatou", "Ndiaye"]),
        ("fr", "Mon nom est Moussa Sow", ["Moussa", "Sow"]),
        ("fr", "Je suis Aminata Ba, présidente de l'association", ["Aminata"]),
        ("fr", "écrivez à awa point diop arobase exemple point sn", ["diop", "exemple"]),
        ("fr", "appelez le 77 123 45 67 ou le +221 77/123/45/67", ["123 45", "123/45"]),
        ("fr", "passeport n° 12AB34567 confisqué", ["12AB34567", "34567"]),
        ("fr", "carte d'identité 1 234 1987 01234", ["1987 01234", "01234"]),
        ("es", "Me llamo Ana García y trabajo en la cooperativa", ["Ana", "García"]),
        ("es", "Mi nombre es Luis Pérez", ["Luis", "Pérez"]),
        ("es", "Soy María López, de la alcaldía", ["María", "López"]),
        ("es", "escriba a ana arroba ejemplo punto com", ["ejemplo", "ana arroba"]),
        ("es", "DNI 12345678Z", ["12345678"]), ("pt", "Meu nome é João Silva", ["João", "Silva"]),
        ("pt", "eu sou o Carlos Mendes da associação", ["Carlos", "Mendes"]),
        ("pt", "me chamo Rita e preciso de crédito", ["Rita"]), ("pt", "Chamo-me Rui Costa", ["Rui", "Costa"]),
        ("pt", "bilhete de identidade 123456789", ["123456789"]),
        ("sw", "Jina langu ni Wanjiku Kamau", ["Wanjiku", "Kamau"]),
        ("sw", "jina langu ni wanjiku kamau, mkulima", ["wanjiku", "kamau"]),
        ("sw", "Naitwa Otieno, ninafanya kazi shambani", ["Otieno"]),
        ("sw", "Mimi ni Baraka Mwangi wa kikundi", ["Baraka", "Mwangi"]),
        ("sw", "kitambulisho cha taifa 12345678", ["12345678"]),
        ("sw", "nipigie 0712 345 678 kesho", ["712 345", "678"]),
    ]

    /// Quotes with nothing personal: shown unchanged.
    static let clean = [
        "At this point of view, credit is too expensive.", "We trained 1200 people in 2024.",
        "Interest rates at 18% make loans impossible.", "I'm worried about the cost of credit.",
        "We met at the ministry. Then nothing happened.", "Je suis inquiète pour le financement.",
        "Soy optimista, pero falta capacitación.", "Mikopo ni ghali sana kwa wakulima.",
        "COVID19 slowed everything down for a year.", "Eu sou agricultora e preciso de formação.",
    ]

    @Test(arguments: personal.indices) func noPersonalDataIsPrinted(_ i: Int) {
        let (language, text, secrets) = Self.personal[i]
        guard let shown = QuoteScrubber.publishable(text) else { return }
        for secret in secrets { #expect(!shown.contains(secret), "\(language): '\(text)' printed as '\(shown)'") }
    }

    @Test(arguments: clean) func quotesWithoutPersonalDataPassUnchanged(_ text: String) {
        #expect(QuoteScrubber.publishable(text) == text)
    }

    /// Most of the corpus is scrubbed and shown rather than left out: the scrubber is not a filter
    /// that drops everything.
    @Test func whatCanBeScrubbedIsShown() {
        #expect(
            QuoteScrubber.publishable("my name is grace wanjiru, we need credit") == "my name is [name], we need credit"
        )
        #expect(QuoteScrubber.publishable("Jina langu ni Wanjiku Kamau") == "Jina langu ni [name]")
        #expect(QuoteScrubber.publishable("write to grace dot wanjiru at example dot org") == "write to [email]")
        #expect(QuoteScrubber.publishable("my number is 0712/345/678") == "my number is [phone]")
        #expect(QuoteScrubber.publishable("NI number QQ 12 34 56 C") == "NI number [id]")
        let shown = Self.personal.filter { QuoteScrubber.publishable($0.1) != nil }.count
        #expect(shown * 10 >= Self.personal.count * 8, "only \(shown) of \(Self.personal.count) shown")
    }

    /// When an introduction is left with no name the scrubber could find, the quote is left out.
    @Test func unsureQuotesAreLeftOut() {
        #expect(QuoteScrubber.publishable("my name is") == nil)
        #expect(QuoteScrubber.publishable("reach me: grace @ example") == nil)
        #expect(QuoteScrubber.publishable("passport: see below, 12") == nil)
        #expect(QuoteScrubber.publishable(["fine", "my name is", "also fine"]) == ["fine", "also fine"])
    }
}
