/// The report as one document, built once from the analysis (`ReportBuilder`): its sections,
/// headings, paragraphs, tables, figures and quotes, in order and in words. Each output format is a
/// walker over it (`HTMLReport`, `MarkdownReport`), so the formats cannot drift apart in what they
/// say, and a new format or language is a new walker or string table, not a new copy of the report.
public struct ReportDocument: Sendable, Hashable {
    public var title: String
    /// The line under the title: who took part, in brief.
    public var lede: String
    /// The report's date and the tool that wrote it ("8 December 2026 · Baraza 0.2.0").
    public var dateline: String = ""
    public var sections: [Section]

    public struct Section: Sendable, Hashable {
        /// The section's anchor (unique in the document).
        public var id: String
        public var heading: String
        /// The heading in the table of contents, when shorter than `heading`.
        public var contentsTitle: String
        public var blocks: [Block]
        /// Detail a reader may skip: printed after the main body, starting on a page of its own.
        public var annex = false
    }

    public enum Block: Sendable, Hashable {
        /// A sub-heading, with a muted aside after it ("(reverse-coded)").
        case heading(String, aside: String?)
        case paragraph([Inline], style: ParagraphStyle)
        /// A list of short findings.
        case bullets([[Inline]])
        /// Numbered notes the text refers to (`Inline.reference`), in order.
        case footnotes([[Inline]])
        case table(Table)
        case figure(Figure)
        /// Respondents' words for one code: its label, then each quote with whose it is.
        case quotes(label: String, [Quote])
    }

    public enum ParagraphStyle: Sendable, Hashable {
        case body
        /// Statistics and asides, set smaller.
        case note
    }

    /// A run of text: `text` is escaped by each format; `figure` is text the report itself made
    /// (numbers, p-values, "fewer than 5"), written as it is.
    public enum Inline: Sendable, Hashable {
        case text(String)
        case figure(String)
        /// Text set in bold (a theme's or an item's name leading a finding).
        case strong(String)
        /// A link to a section of the document.
        case link(String, section: String)
        /// A reference to footnote `n` (1-based) of the section's `footnotes` block.
        case reference(Int)
    }

    public struct Quote: Sendable, Hashable {
        public var text: String
        public var attribution: String
    }

    public struct Table: Sendable, Hashable {
        public var columns: [Column]
        public var rows: [[Cell]]
    }

    public struct Column: Sendable, Hashable {
        public var title: String
        /// A second line under the title (a base: "n = 38").
        public var detail: String?
        /// Figures, aligned right where a format aligns columns (a table's first column never is).
        public var numeric: Bool

        public init(title: String, detail: String? = nil, numeric: Bool = true) {
            self.title = title
            self.detail = detail
            self.numeric = numeric
        }
    }

    public enum Cell: Sendable, Hashable {
        /// Respondents' or the consultation's words (escaped).
        case text(String)
        /// A figure the report made, written as it is.
        case figure(String)
        /// A figure with a muted count after it: "42% (16)".
        case share(String, count: String)
        /// A hidden value and why ("fewer than 5", "withheld"), across `span` columns.
        case hidden(String, span: Int)
        /// A statistical aside in its own column.
        case note(String)
    }

    public struct Figure: Sendable, Hashable {
        public var title: String
        public var caption: String
        public var chart: Chart
    }

    public enum Chart: Sendable, Hashable {
        case heatMap(HeatMap)
        case divergingBars(DivergingBars)
        case dots(DotChart)
        case matrix(EffectMatrix)
        case bars(GroupedBars)
    }

    /// Estimates with their 95% intervals on one axis, one row each: each group's mean on the scale,
    /// or each change between waves around zero.
    public struct DotChart: Sendable, Hashable {
        public var axis: String
        public var lo: Double
        public var hi: Double
        /// Where the axis's reference line is drawn (the scale's neutral point, or no change).
        public var reference: Double
        public var referenceLabel: String
        public var rows: [Row]
        public struct Row: Sendable, Hashable {
            public var label: String
            public var value: Double?
            public var low: Double?
            public var high: Double?
            /// The base as printed beside the row ("n = 61"), or why the row is not shown.
            public var note: String
        }
    }

    /// Pairwise effect sizes between groups: rank-biserial r of the row's group against the
    /// column's, positive when the row's answers are higher.
    public struct EffectMatrix: Sendable, Hashable {
        public var groups: [String]
        /// `cells[i][j]` for i ≠ j; nil on the diagonal and where no test was made.
        public var cells: [[Cell?]]
        public struct Cell: Sendable, Hashable {
            public var r: Double
            /// Holm-adjusted p under 0.05.
            public var significant: Bool
        }
    }

    /// Shares by group as horizontal bars, one cluster per option or code.
    public struct GroupedBars: Sendable, Hashable {
        public var groups: [String]
        public var rows: [Row]
        /// Groups left out (too few respondents), said under the chart.
        public var hiddenNote: String?
        public struct Row: Sendable, Hashable {
            public var label: String
            /// Per group (in `groups`' order): the share 0–1, nil when hidden.
            public var shares: [Double?]
        }
    }

    /// Theme × group means, shaded from the scale's lowest point to its highest.
    public struct HeatMap: Sendable, Hashable {
        public var columns: [String]
        public var rows: [Row]
        public struct Row: Sendable, Hashable {
            public var label: String
            public var scaleMin: Double
            public var scaleMax: Double
            public var cells: [Value]
        }
        public enum Value: Sendable, Hashable {
            case mean(Double, n: Int)
            /// Not shown, and why.
            case hidden(String)
        }
    }

    /// The share of each scale point per group, disagreement left of the centre line.
    public struct DivergingBars: Sendable, Hashable {
        /// The item, for the chart's accessible name.
        public var item: String
        public var points: [String]
        public var rows: [Row]
        public struct Row: Sendable, Hashable {
            public var label: String
            /// Respondents per point; nil when the row is hidden (then `hidden` says why).
            public var counts: [Int]?
            public var hidden: String?
            /// Respondents who answered with a scale point (the bars' base), and those asked who did not.
            public var n: Int
            public var missing: Int
        }
    }
}
