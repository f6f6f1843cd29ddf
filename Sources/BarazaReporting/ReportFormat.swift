import BarazaAnalysis

/// One output format of the report: a renderer from the analysis to one file's text.
public protocol ReportFormat: Sendable {
    var fileName: String { get }
    func render(_ analysis: ConsultationAnalysis) -> String
}
