import BarazaIngest
import BarazaPipeline
import Foundation
import Testing

/// Issue 29: every real export in ../shared/realdata reads with the right profile, header rows and
/// record count, or is refused as what it is (a form, a codebook, an archive) — none read as garbage.
/// Skipped when that folder is absent.
struct RealExportTableTests {
    static let root: String? = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        let path = url.appendingPathComponent("../shared/realdata").standardizedFileURL.path
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }()

    /// (path, profile or nil when refused, header rows, records).
    static let table: [(String, String?, Int, Int)] = [
        ("ddi/dataverse_dct_codebook.xml", nil, 0, 0), ("ddi/ipumsr_cps_00157.dat.gz", nil, 0, 0),
        ("ddi/ipumsr_cps_00157.xml", nil, 0, 0), ("ddi/ipumsr_cps_00158.csv.gz", "csv", 1, 7668),
        ("ddi/ipumsr_cps_00158.xml", nil, 0, 0),
        ("googleforms/kobo-transfer_GoogleDemoForm_Responses.xlsx", "google-forms", 1, 3),
        ("googleforms/kobo-transfer_KoboTest_Responses_New.xlsx", "google-forms", 1, 3),
        ("googleforms/kobo-transfer_Kobo_Test_googleforms.csv", "google-forms", 1, 5),
        ("kobo/formpack_generated/formpack_grouped_translated__English_labels_groups_both.csv", "kobotoolbox", 1, 3),
        (
            "kobo/formpack_generated/formpack_grouped_translated__Espanol_labels_nogroups_summary.csv", "kobotoolbox",
            1, 3
        ), ("kobo/formpack_generated/formpack_grouped_translated__xml_dotsep_details.csv", "kobotoolbox", 1, 3),
        (
            "kobo/formpack_generated/formpack_grouped_translated__xml_values_headers_groups_both.csv", "kobotoolbox", 1,
            3
        ), ("kobo/formpack_generated/formpack_nested_grouped_repeatable__main_sheet_xml.csv", "kobotoolbox", 1, 4),
        ("kobo/formpack_generated/formpack_or_other__xml.csv", "kobotoolbox", 1, 3),
        ("kobo/formpack_generated/formpack_site_inspection__all_versions_xml.csv", "kobotoolbox", 1, 10),
        ("kobo/kobo-transfer_Meeting_Form_-_latest_version_-_False_-_2024-03-14-09-51-14.xlsx", "kobotoolbox", 1, 5),
        ("kobo/kobo-transfer_Quest_Test_-_latest_version_-_False_-_2024-03-19-11-27-50.xlsx", "kobotoolbox", 1, 4),
        ("kobo/kobo-transfer_api_v2_data_submission.xml", "kobotoolbox", 0, 4),
        ("kobo/kpi_kobocat_bulk_good.csv", "kobotoolbox", 1, 9),
        ("kobo/kpi_kobocat_nested_repeats.csv", "kobotoolbox", 1, 2),
        ("kobo/kpi_kobocat_nested_repeats_01.xml", "odk-xml", 0, 1),
        ("kobo/kpi_kobocat_transportation.csv", "kobotoolbox", 1, 1),
        ("kobo/kpi_kobocat_tutorial_w_repeats.csv", "kobotoolbox", 1, 1),
        ("kobo/kpi_kobocat_userone_with_dot_name_fields.csv", "kobotoolbox", 1, 1),
        ("limesurvey/survey_981966.lss", nil, 0, 0), ("limesurvey/survey_981966_en_quexml.xml", nil, 0, 0),
        ("limesurvey/survey_981966_responses.lsr", "limesurvey", 0, 2),  // one of them never submitted, left out
        ("limesurvey/survey_archive_981966.lsa", nil, 0, 0),
        ("odk/briefcase_all-data-types-empty.csv.expected", "odk", 1, 1),
        ("odk/briefcase_all-data-types-submission.xml", "odk-xml", 0, 1),
        ("odk/briefcase_all-data-types.csv.expected", "odk", 1, 1),
        ("odk/briefcase_choice-lists-predicate-relative-repeat-group.csv.expected", "csv", 1, 1),
        ("odk/briefcase_choice-lists-predicate-relative-repeat.csv.expected", "odk", 1, 1),
        ("odk/briefcase_choice-lists-submission.xml", "odk-xml", 0, 1),
        ("odk/briefcase_choice-lists.csv.expected", "odk", 1, 1), ("odk/briefcase_choice-lists.xml", nil, 0, 0),
        ("odk/briefcase_nested-repeats-submission.xml", "odk-xml", 0, 1),
        ("odk/briefcase_nested-repeats.xml", nil, 0, 0), ("odk/ruODK_FloraQuadrat04_form.xml", nil, 0, 0),
        ("odk/ruODK_build_Flora-Quadrat-0-4_1564384341-taxon_encounter.csv", "csv", 1, 7),
        ("odk/ruODK_build_Flora-Quadrat-0-4_1564384341-vegetation_stratum.csv", "csv", 1, 7),
        ("odk/ruODK_build_Flora-Quadrat-0-4_1564384341.csv", "odk", 1, 2),
        ("odk/ruODK_submission_Flora-Quadrat-04_46d3939a.xml", "odk-xml", 0, 1),
        ("odk/ruODK_submission_report_problem_7e67b4e4.xml", "odk-xml", 0, 1),
        ("qualtrics/QualtricsTools_Multiple_Answer_MC_Questions.csv", "qualtrics", 2, 5),
        ("qualtrics/QualtricsTools_Multiple_Answer_MC_Questions__Insights_.csv", "qualtrics", 3, 5),
        ("qualtrics/QualtricsTools_No_Basis_for_Evaluation__Insights_.csv", "qualtrics", 3, 15),
        ("qualtrics/QualtricsTools_Test_Survey_for_Coded_Comments.csv", "qualtrics", 3, 10),
        ("qualtrics/qualtRics_sample.csv", "qualtrics", 3, 1),
        ("qualtrics/qualtRics_sample_legacy.csv", "qualtrics", 2, 1),
        ("surveymonkey/fivethirtyeight_flying-etiquette.csv", "csv", 1, 1040),
        ("surveymonkey/fivethirtyeight_steak-risk-survey.csv", "surveymonkey", 2, 550),
        ("triple-s/example1.sss", "triple-s", 0, 3), ("triple-s/example2.csv", "csv", 1, 3),
        ("triple-s/example2.sss", "triple-s", 1, 3), ("triple-s/example3.sss", nil, 0, 0),
        ("triple-s/hierarchy/hierarchyDefinition.sss", nil, 0, 0),
        ("triple-s/hierarchy/householddata.sss", "triple-s", 0, 3),
        ("triple-s/hierarchy/persondata.sss", "triple-s", 0, 6), ("triple-s/hierarchy/tripdata.sss", "triple-s", 0, 12),
    ]

    @Test(.enabled(if: root != nil, "../shared/realdata is absent")) func everyRealExportReadsRightOrIsRefused() throws
    {
        for (file, profile, headerRows, records) in Self.table {
            let path = (Self.root ?? "") + "/" + file
            switch Result(catching: { () throws(IngestError) -> FileInspection in try Inspector.inspect(path) }) {
            case .success(let r):
                #expect(profile != nil, "\(file) was read (\(r.format), \(r.records) records) but should be refused")
                #expect(
                    r.format == profile && r.headerRows == headerRows && r.records == records
                        && r.rejected == (file.hasSuffix(".lsr") ? 1 : 0),  // the .lsr's response never submitted
                    "\(file): \(r.format), \(r.headerRows) header rows, \(r.records) records, \(r.rejected) rejected"
                )
            case .failure(let error):
                let refused: Bool
                switch error {
                case .notAnExport, .unsupportedFormat: refused = true  // said what it is, or what it lacks
                case .fileNotReadable: refused = file.hasSuffix(".sss")  // Triple-S metadata without its data file
                default: refused = false
                }
                #expect(profile == nil && refused, "\(file): \(error)")
            }
        }
    }
}
