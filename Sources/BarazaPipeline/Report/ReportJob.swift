import BarazaAnalysis
import BarazaCoding
import BarazaModel
import BarazaReporting
import BarazaStore
import Foundation

/// Store → analysis → report files.
public struct ReportJob {
    public let consultation: Consultation
    public let store: SQLiteStore
    /// The report's date (yyyy-MM-dd); nil takes the last day of fieldwork, so that the same data
    /// always gives the same report.
    public var date: String?

    public init(consultation: Consultation, store: SQLiteStore) {
        self.consultation = consultation
        self.store = store
    }

    /// The analysis plan the consultation file describes.
    public func plan(by: [String]? = nil) -> AnalysisPlan {
        var info: [String: (label: String, theme: String?)] = [:]
        for rules in consultation.codebooks.values { for r in rules { info[r.code] = (r.label ?? r.code, r.theme) } }
        var plan = AnalysisPlan(
            title: consultation.report.title ?? consultation.title,
            themes: consultation.themes,
            groups: consultation.groups,
            questions: consultation.questions,
            scales: consultation.scales,
            codeInfo: info,
            by: by ?? consultation.report.by,
            minCell: consultation.report.minCell,
            waves: consultation.waves,
            weighting: Weighting(rawValue: consultation.report.weights) ?? .none
        )
        plan.targets = consultation.targets
        plan.actions = consultation.actions
        return plan
    }

    /// What `analyze` asks the store for: the report's cells with three quotes per code, and by
    /// wave (no quotes) when the consultation has two waves or more.
    public func aggregateRequests(by: [String]? = nil) -> (report: AggregateRequest, byWave: AggregateRequest?) {
        let plan = plan(by: by)
        var themeItems: [String: [String]] = [:]
        for q in consultation.questions where q.type == .likert {
            if let t = q.theme { themeItems[t, default: []].append(q.id) }
        }
        return (
            AggregateRequest(by: plan.by, themes: themeItems, quotesPerCode: 3),
            plan.waves.count >= 2 ? AggregateRequest(by: ["wave"], themes: themeItems, quotesPerCode: 0) : nil
        )
    }

    /// Asks the store to keep the report's tallies while it imports (`SQLiteStore.tallyWhileImporting`),
    /// for a report right after the import (`baraza run`).
    public func tallyWhileImporting() {
        let requests = aggregateRequests()
        store.tallyWhileImporting([requests.report] + (requests.byWave.map { [$0] } ?? []))
    }

    public func analyze(by: [String]? = nil) throws -> ConsultationAnalysis {
        let plan = plan(by: by)
        let requests = aggregateRequests(by: by)
        var data = try store.aggregate(requests.report)
        // Reports depend on the data, never on when it was imported.
        for i in data.quality.batches.indices { data.quality.batches[i].importedAt = nil }
        let byWave = try requests.byWave.map { try store.aggregate($0) }
        return Analyzer(plan: plan).analyze(data, byWave: byWave)
    }

    /// The report folder: `--out`, else the consultation's `report.out`.
    public func outputDirectory(_ out: String?) -> String {
        if let out { return out.hasPrefix("/") ? out : joinPath(FileManager.default.currentDirectoryPath, out) }
        return consultation.resolve(consultation.report.out)
    }

    public func write(by: [String]? = nil, out: String? = nil, formats: ReportFormats = .all) throws -> [String] {
        let analysis = try analyze(by: by)
        return try ReportWriter.write(
            analysis,
            to: (outputDirectory(out) as NSString).standardizingPath,
            formats: formats,
            date: date,
            paper: PDFReport.Paper(rawValue: consultation.report.paper) ?? .a4
        )
    }
}
