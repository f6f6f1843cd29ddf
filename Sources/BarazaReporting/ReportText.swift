import BarazaAnalysis
import BarazaModel

/// The methodology section, shared by HTML and Markdown.
public enum MethodologyText {
    public static func paragraphs(_ a: ConsultationAnalysis) -> [String] {
        [
            "Bases: each figure counts the respondents who gave a scale answer to that question. \"Don't "
                + "know\", \"Prefer not to say\", \"Not applicable\", blanks, sentinel codes and unrecognised "
                + "labels are missing: counted in the Missing column, kept out of the base; the shares of those "
                + "asked who answered \"don't know\" and who declined are given per group. Sentinel codes apply "
                + "to a number question only where the consultation file declares them. A respondent who answered "
                + "fewer than half of a theme's items has no theme score and is counted as missing (\"too few "
                + "items\"), so that those asked = those scored + those not.",
            "Each submission is counted once: when a submission was edited on the platform (deprecatedID) "
                + "or the same respondent id arrives again in a later batch, the latest version counts and the "
                + "earlier one is kept for audit only.",
            "Scores: items are coded 1 (most negative) to 5 (most positive); reverse-coded items are flipped "
                + "for means, medians, consensus and theme scores, while their distributions and top- and bottom-2-box "
                + "shares are given under the labels respondents ticked. A respondent's theme score is the mean "
                + "of that theme's answered items when at least half of the items asked were answered.",
            "Statistics: means with 95% confidence intervals from Student's t, cut at the ends of the scale "
                + "where they would run past them (marked \"cut at the scale's end\"); top-2-box shares (the "
                + "two highest points as ticked) with Wilson 95% intervals; consensus within a group by Tastle "
                + "and Wierman's measure (1 = full agreement, 0 = an even split between the extremes). The largest "
                + "gap between groups' theme scores is given with Welch's 95% interval.",
            "Tests: differences between stakeholder groups by the Kruskal–Wallis test with tie correction "
                + "(effect size ε²), pairwise Mann–Whitney U tests (exact when the smaller group has at most "
                + "8 answers and there are no ties, as SciPy) with Holm's correction and the rank-biserial correlation "
                + "r with a 95% interval by Fisher's z; across all \(a.testCount) between-group tests of this "
                + "report, p-values are adjusted by Benjamini–Hochberg (q). The summary names a divergence only "
                + "when q < 0.05. Tests count respondents, unweighted.",
            "Categorical answers (an option chosen or not, a code given or not, by group): Pearson's chi-square "
                + "when every expected count is at least 5 (Yates-corrected for 2×2), otherwise Fisher's exact "
                + "test for 2×2 tables, the exact conditional p of the chi-square statistic for 2×k tables (every "
                + "table with the same margins enumerated), and where that is too large a Monte-Carlo permutation "
                + "test (10,000 replicates, seeded from the test's own identity, its standard error given); Cramér's "
                + "V as the effect size.",
            "Waves: the change of each theme score per group from the first to the last wave, with a 95% "
                + "interval and Welch's t test; a group with fewer than \(a.minCell) answers in either wave, "
                + "or whose theme score is hidden, is not compared.", weightingText(a.weighting),
            "Suppression: a cell with fewer than \(a.minCell) answers shows no figures (\"fewer than \(a.minCell)\") "
                + "and is left out of tests. So that no hidden cell can be worked out by subtracting the shown "
                + "ones from a total, the smallest shown cells are withheld too (\"withheld to protect a small "
                + "group\") until the hidden cells together hold at least \(a.minCell); those are then shown "
                + "only together, as \"other groups together\", and a total is withheld when even that is not "
                + "possible.",
            "Findings: a theme's groups are compared by their mean scores on the scale, with the gap between "
                + "the most and the least positive group and its 95% interval (Welch); its size is named from "
                + "ε² (negligible under 0.01, small under 0.08, moderate under 0.26, large from 0.26, after Tomczak "
                + "and Tomczak 2014) and it is said to hold when the Kruskal–Wallis test's q is under 0.05. Common "
                + "ground: statements that at least 50% of every group shown agrees with (top-2-box). Where the "
                + "groups diverge most: statements ranked by the rank-biserial r of their most distant pair of "
                + "groups, an effect size, not by p.",
            "Voices: each distinct answer is quoted once in the report (answers the same after folding "
                + "case, accents, spaces and punctuation are one), with how many of the respondents considered "
                + "for quoting gave it and their groups; answers are taken in turn from each group and, within "
                + "a group, from each language where its common words tell it, and groups with fewer than \(a.minCell) "
                + "respondents are never quoted.",
            "Countries: with the report broken down by country, each theme's mean per country adds the "
                + "groups shown, and within each group its countries are compared by the Kruskal–Wallis test, "
                + "in the same Benjamini–Hochberg family as the report's other tests.",
            "Quotes: chosen deterministically among answers given each code; e-mail addresses (also written "
                + "out), phone numbers, identity and passport numbers, web links and names introduced by phrases "
                + "such as \"my name is\", \"je m'appelle\" or \"jina langu ni\" are replaced by [email], [phone], "
                + "[id], [link] and [name]; a quote that still shows a sign of personal data after that is left "
                + "out.",
        ]
    }
}

func weightingText(_ w: Weighting) -> String {
    switch w {
    case .none: "Weights: none; every respondent counts once."
    case .column:
        "Weights: the sources' weight column. Means, medians, top- and bottom-2-box and option and code "
            + "shares are weighted; their intervals use Kish's effective sample size n_eff (printed beside n) "
            + "as the base, a simple approximation that ignores any design beyond the weights (no linearisation). "
            + "Distributions, counts, diverging bars, don't-know shares and the tests count respondents, unweighted."
    case .equalGroups:
        "Weights: each stakeholder group counts equally in the all-respondents figures (a group's respondents "
            + "share one group's weight); intervals use Kish's effective sample size n_eff (printed beside n), "
            + "an approximation without linearisation. Figures within a group, distributions, counts and the "
            + "tests are unweighted."
    }
}

/// Data-quality lines, shared by HTML and Markdown.
public enum QualityText {
    public static func lines(_ q: DataQuality) -> [String] {
        var out: [String] = []
        let reasons = q.rejectReasons.filter { $0.key != RejectedRecord.incompleteReason }
        let rejected = reasons.values.reduce(0, +)
        if rejected == 0 {
            out.append("No rows were rejected.")
        } else {
            out.append(
                "\(rejected) rows were rejected and kept in the rejects file: "
                    + reasons.sorted { $0.key < $1.key }.map { "\($0.key) (\($0.value))" }.joined(separator: "; ") + "."
            )
        }
        if let n = q.rejectReasons[RejectedRecord.incompleteReason], n > 0 {
            out.append(
                "\(n) responses were never submitted (no submit date) and are left out, kept in the rejects file; "
                    + "include_incomplete: true on the source counts them."
            )
        }
        if q.duplicatesInBatches > 0 {
            out.append("\(q.duplicatesInBatches) duplicate respondent ids inside a batch: the last one counts.")
        }
        if q.unmappedGroups.isEmpty {
            out.append("Every stakeholder-group answer was mapped to a group.")
        } else {
            out.append(
                "Group answers not mapped to any group (not counted in group comparisons): "
                    + q.unmappedGroups.sorted { $0.key < $1.key }.map { "\"\($0.key)\" (\($0.value))" }
                    .joined(separator: ", ") + "."
            )
        }
        if q.unknownLabels.isEmpty {
            out.append("Every closed answer matched a scale label.")
        } else {
            let parts = q.unknownLabels.sorted { $0.key < $1.key }
                .flatMap { (question, labels) in
                    labels.sorted { $0.key < $1.key }.map { "\(question): \"\($0.key)\" (\($0.value))" }
                }
            out.append(
                "Answers that matched no scale label (counted as missing): " + parts.joined(separator: ", ") + "."
            )
        }
        return out
    }
}
