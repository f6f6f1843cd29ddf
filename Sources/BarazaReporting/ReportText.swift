import BarazaAnalysis
import BarazaModel

/// The methodology section, shared by HTML and Markdown.
public enum MethodologyText {
    public static func paragraphs(_ a: ConsultationAnalysis) -> [String] {
        [
            "Bases: each figure counts the respondents who gave a scale answer to that question. \"Don't know\", \"Prefer not to say\", \"Not applicable\", blanks, sentinel codes (such as -99) and unrecognised labels are missing: counted in the Missing column, kept out of the base.",
            "Each submission is counted once: when a submission was edited on the platform (deprecatedID) or the same respondent id arrives again in a later batch, the latest version counts and the earlier one is kept for audit only.",
            "Scores: items are coded 1 (most negative) to 5 (most positive); reverse-coded items are flipped before anything is computed. A respondent's theme score is the mean of that theme's answered items when at least half of the items asked were answered.",
            "Statistics: means with 95% confidence intervals from Student's t; top-2-box shares (the two most positive points) with Wilson 95% intervals; consensus within a group by Tastle and Wierman's measure (1 = full agreement, 0 = an even split between the extremes).",
            "Tests: differences between stakeholder groups by the Kruskal–Wallis test with tie correction (effect size ε²), pairwise Mann–Whitney U tests with Holm's correction; across all \(a.testCount) between-group tests of this report, p-values are adjusted by Benjamini–Hochberg (q). The summary names a divergence only when q < 0.05.",
            "Categorical answers (an option chosen or not, a code given or not, by group): Pearson's chi-square when every expected count is at least 5 (Yates-corrected for 2×2), otherwise Fisher's exact test for 2×2 tables and a Monte-Carlo permutation test of the chi-square statistic (10,000 replicates, fixed seed) for larger ones.",
            "Waves: the change of each theme score per group from the first to the last wave, with a 95% interval and Welch's t test; a group with fewer than \(a.minCell) answers in either wave is not compared.",
            weightingText(a.weighting),
            "Suppression: a cell with fewer than \(a.minCell) answers shows no figures (\"fewer than \(a.minCell)\"), is left out of tests, and the all-respondents row is withheld when it would let a single suppressed group be worked out by subtraction.",
            "Quotes: chosen deterministically among answers given each code; e-mail addresses (also written out), phone numbers, identity and passport numbers, web links and names introduced by phrases such as \"my name is\", \"je m'appelle\" or \"jina langu ni\" are replaced by [email], [phone], [id], [link] and [name]; a quote that still shows a sign of personal data after that is left out.",
        ]
    }
}

func weightingText(_ w: Weighting) -> String {
    switch w {
    case .none: "Weights: none; every respondent counts once."
    case .column: "Weights: the sources' weight column; means and shares are weighted and intervals use Kish's effective sample size."
    case .equalGroups: "Weights: each stakeholder group counts equally in the all-respondents figures (a group's respondents share one group's weight); intervals use Kish's effective sample size. Figures within a group are unweighted."
    }
}

/// Data-quality lines, shared by HTML and Markdown.
public enum QualityText {
    public static func lines(_ q: DataQuality) -> [String] {
        var out: [String] = []
        let rejected = q.rejectReasons.values.reduce(0, +)
        if rejected == 0 { out.append("No rows were rejected.") } else {
            out.append("\(rejected) rows were rejected and kept in the rejects file: " +
                       q.rejectReasons.sorted { $0.key < $1.key }.map { "\($0.key) (\($0.value))" }.joined(separator: "; ") + ".")
        }
        if q.duplicatesInBatches > 0 { out.append("\(q.duplicatesInBatches) duplicate respondent ids inside a batch: the last one counts.") }
        if q.unmappedGroups.isEmpty { out.append("Every stakeholder-group answer was mapped to a group.") } else {
            out.append("Group answers not mapped to any group (not counted in group comparisons): " +
                       q.unmappedGroups.sorted { $0.key < $1.key }.map { "\"\($0.key)\" (\($0.value))" }.joined(separator: ", ") + ".")
        }
        if q.unknownLabels.isEmpty { out.append("Every closed answer matched a scale label.") } else {
            let parts = q.unknownLabels.sorted { $0.key < $1.key }.flatMap { (question, labels) in
                labels.sorted { $0.key < $1.key }.map { "\(question): \"\($0.key)\" (\($0.value))" }
            }
            out.append("Answers that matched no scale label (counted as missing): " + parts.joined(separator: ", ") + ".")
        }
        return out
    }
}
