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

    public init(consultation: Consultation, store: SQLiteStore) {
        self.consultation = consultation
        self.store = store
    }

    /// The analysis plan the consultation file describes.
    public func plan(by: [String]? = nil) -> AnalysisPlan {
        var info: [String: (label: String, theme: String?)] = [:]
        for rules in consultation.codebooks.values { for r in rules { info[r.code] = (r.label ?? r.code, r.theme) } }
        return AnalysisPlan(title: consultation.report.title ?? consultation.title, themes: consultation.themes, groups: consultation.groups,
                            questions: consultation.questions, scales: consultation.scales, codeInfo: info,
                            by: by ?? consultation.report.by, minCell: consultation.report.minCell, waves: consultation.waves,
                            weighting: Weighting(rawValue: consultation.report.weights) ?? .none)
    }

    public func analyze(by: [String]? = nil) throws -> ConsultationAnalysis {
        let plan = plan(by: by)
        var themeItems: [String: [String]] = [:]
        for q in consultation.questions where q.type == .likert {
            if let t = q.theme { themeItems[t, default: []].append(q.id) }
        }
        var data = try store.aggregate(by: plan.by, themes: themeItems, quotesPerCode: 3)
        // Reports depend on the data, never on when it was imported.
        for i in data.quality.batches.indices { data.quality.batches[i].importedAt = nil }
        let byWave = plan.waves.count >= 2 ? try store.aggregate(by: ["wave"], themes: themeItems, quotesPerCode: 0) : nil
        return Analyzer(plan: plan).analyze(data, byWave: byWave)
    }

    /// The report folder: `--out`, else the consultation's `report.out`.
    public func outputDirectory(_ out: String?) -> String {
        if let out { return out.hasPrefix("/") ? out : joinPath(FileManager.default.currentDirectoryPath, out) }
        return consultation.resolve(consultation.report.out)
    }

    public func write(by: [String]? = nil, out: String? = nil, formats: ReportFormats = .all) throws -> [String] {
        let analysis = try analyze(by: by)
        return try ReportWriter.write(analysis, to: (outputDirectory(out) as NSString).standardizingPath, formats: formats)
    }
}
