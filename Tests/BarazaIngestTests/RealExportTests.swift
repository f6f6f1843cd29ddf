import BarazaModel
import Foundation
import Testing
@testable import BarazaIngest

/// Real exports from public survey projects, read from ../shared/realdata (never copied here).
/// Skipped when that folder is absent.
struct RealExportTests {
    static let root: String? = {
        var url = URL(fileURLWithPath: #filePath)
        // Tests/BarazaIngestTests/RealExportTests.swift → the package root, then ../shared/realdata.
        for _ in 0..<3 { url.deleteLastPathComponent() }
        let path = url.appendingPathComponent("../shared/realdata").standardizedFileURL.path
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }()

    static func value(_ reader: any RecordSource, _ record: RawRecord, _ column: String) -> String? {
        guard let i = reader.columns.firstIndex(where: { $0.name == column }), i < record.values.count else {
            return nil
        }
        return record.values[i]
    }

    @Test(.enabled(if: root != nil, "../shared/realdata is absent")) func kpiTransportationKoboCSV() throws {
        let (records, rejected, _, reader) = try readAll(Self.root! + "/kobo/kpi_kobocat_transportation.csv")
        #expect(records.count == 1 && rejected.isEmpty)
        #expect(reader.columns.count == 26)
        let first = try #require(reader.columns.first)
        #expect(
            first.groupPath == ["transport", "available_transportation_types_to_referral_facility"]
                || reader.profile != .koboToolbox
        )
        #expect(
            Self.value(reader, records[0], "transport/available_transportation_types_to_referral_facility/ambulance")
                == "False"
        )
    }

    @Test(.enabled(if: root != nil, "../shared/realdata is absent"))
    func qualtricsModernThreeHeaderRowsWithGermanLabels() throws {
        let (records, rejected, _, reader) = try readAll(Self.root! + "/qualtrics/qualtRics_sample.csv")
        #expect(reader.profile == .qualtrics && reader.headerRows == 3)
        #expect(records.count == 1 && rejected.isEmpty)
        #expect(reader.columns[0].subLabel == "Anfangsdatum")
    }

    @Test(.enabled(if: root != nil, "../shared/realdata is absent")) func qualtricsLegacyWithBOMAndTrailingComma()
        throws
    {
        let (records, rejected, _, reader) = try readAll(Self.root! + "/qualtrics/qualtRics_sample_legacy.csv")
        #expect(reader.encoding == .utf8BOM)
        #expect(reader.profile == .qualtrics && reader.headerRows == 2)
        #expect(records.count == 1 && rejected.isEmpty)
        #expect(reader.columns[0].name == "V1")
    }

    @Test(.enabled(if: root != nil, "../shared/realdata is absent")) func odkCentralMainTableAndRepeatParentLink()
        throws
    {
        // A real quirk: 31 header columns, 30 fields per row (the trailing Status is never filled).
        let (records, rejected, d, reader) = try readAll(
            Self.root! + "/odk/ruODK_build_Flora-Quadrat-0-4_1564384341.csv"
        )
        #expect(reader.profile == .odk)
        try #require(records.count == 2 && rejected.isEmpty)
        #expect(Self.value(reader, records[0], "Status") == "")
        #expect(Self.value(reader, records[0], "SubmitterName") == "flora")
        #expect(d.items.contains { $0.severity == .warning && $0.location?.line == 2 })
        #expect(Self.value(reader, records[0], "meta-instanceID") == "uuid:d5e78a78-34db-483d-978f-d9c9a3bc7b69")
        #expect(
            DateParser.parse(Self.value(reader, records[0], "SubmissionDate") ?? "")
                == Date(timeIntervalSince1970: 1_568_796_667.481)
        )
        #expect(reader.columns.first { $0.name == "location-area_name" }?.groupPath == ["location"])
        let (reps, _, _, repReader) = try readAll(
            Self.root! + "/odk/ruODK_build_Flora-Quadrat-0-4_1564384341-taxon_encounter.csv"
        )
        #expect(reps.count == 7)
        let parent = Self.value(repReader, reps[0], "PARENT_KEY")
        #expect(parent?.hasPrefix("uuid:") == true)
    }

    @Test(.enabled(if: root != nil, "../shared/realdata is absent")) func googleFormsMultiSelectAndLocalisedTimestamp()
        throws
    {
        let (records, rejected, _, reader) = try readAll(
            Self.root! + "/googleforms/kobo-transfer_Kobo_Test_googleforms.csv"
        )
        #expect(reader.profile == .googleForms)
        #expect(records.count == 5 && rejected.isEmpty)
        #expect(Self.value(reader, records[0], "Select all that apply") == "Sunday;Monday")
        #expect(DateParser.parse(records[0].values[0]) == Date(timeIntervalSince1970: 1_699_888_837))
    }

    @Test(.enabled(if: root != nil, "../shared/realdata is absent")) func formpackKoboExportsWithSemicolonsAndCRLF()
        throws
    {
        let dir = Self.root! + "/kobo/formpack_generated"
        for name in try FileManager.default.contentsOfDirectory(atPath: dir).sorted() where name.hasSuffix(".csv") {
            let (records, rejected, _, reader) = try readAll(dir + "/" + name)
            #expect(reader.delimiter == ";", "\(name)")
            #expect(
                !records.isEmpty && rejected.isEmpty,
                "\(name): \(records.count) records, \(rejected.count) rejected"
            )
        }
    }

    @Test(.enabled(if: root != nil, "../shared/realdata is absent")) func odkSubmissionXMLAndKoboAPIPage() throws {
        let (records, _, _, reader) = try readAll(Self.root! + "/odk/ruODK_submission_Flora-Quadrat-04_46d3939a.xml")
        #expect(records.count == 1)
        #expect(Self.value(reader, records[0], "meta/instanceID")?.hasPrefix("uuid:") == true)
        let (page, _, _, _) = try readAll(Self.root! + "/kobo/kobo-transfer_api_v2_data_submission.xml")
        #expect(!page.isEmpty)
    }

    @Test(.enabled(if: root != nil, "../shared/realdata is absent")) func koboCSVExportsWithRepeatsDotNamesAndBulkRows()
        throws
    {
        let (nested, r1, _, nr) = try readAll(Self.root! + "/kobo/kpi_kobocat_nested_repeats.csv")
        #expect(nested.count == 2 && r1.isEmpty)
        #expect(Self.value(nr, nested[0], "kids/kids_details[1]/kids_name") == "Hansel")
        #expect(Self.value(nr, nested[0], "kids/kids_details[2]/kids_name") == "Gretel")
        #expect(
            nr.columns.first { $0.name == "kids/kids_details[1]/kids_name" }?.groupPath == ["kids", "kids_details[1]"]
                || nr.profile != .koboToolbox
        )
        let (bulk, r2, _, _) = try readAll(Self.root! + "/kobo/kpi_kobocat_bulk_good.csv")
        #expect(bulk.count == 9 && r2.isEmpty)
        let (tut, _, _, _) = try readAll(Self.root! + "/kobo/kpi_kobocat_tutorial_w_repeats.csv")
        #expect(tut.count == 1)
        let (dots, _, _, dr) = try readAll(Self.root! + "/kobo/kpi_kobocat_userone_with_dot_name_fields.csv")
        #expect(dots.count == 1 && Self.value(dr, dots[0], "Q1.1") == "Office")
    }

    @Test(.enabled(if: root != nil, "../shared/realdata is absent")) func qualtricsInsightsWithPythonDictImportIds()
        throws
    {
        for (name, n) in [
            ("QualtricsTools_Multiple_Answer_MC_Questions__Insights_.csv", 5),
            ("QualtricsTools_No_Basis_for_Evaluation__Insights_.csv", 15),
            ("QualtricsTools_Test_Survey_for_Coded_Comments.csv", 10),
        ] {
            let (records, rejected, _, reader) = try readAll(Self.root! + "/qualtrics/" + name)
            #expect(reader.profile == .qualtrics && reader.headerRows == 3, "\(name)")
            #expect(records.count == n && rejected.isEmpty, "\(name): \(records.count)")
            #expect(records.first?.values.first?.hasPrefix("R_") == true, "\(name)")
        }
        let (legacy, _, _, lr) = try readAll(Self.root! + "/qualtrics/QualtricsTools_Multiple_Answer_MC_Questions.csv")
        #expect(lr.headerRows == 2 && legacy.count == 5)
        #expect(legacy.first?.values.first == "R_bIVJQDOvulWU4BL")
    }

    @Test(.enabled(if: root != nil, "../shared/realdata is absent")) func odkBriefcaseExportsAndNestedRepeatSubmission()
        throws
    {
        let (all, _, _, ar) = try readAll(Self.root! + "/odk/briefcase_all-data-types.csv.expected")
        #expect(ar.profile == .odk && all.count == 1)
        let date = try #require(Self.value(ar, all[0], "SubmissionDate"))
        #expect(DateParser.parse(date) == Date(timeIntervalSince1970: 1_524_733_100))  // Apr 26, 2018 8:58:20 AM (UTC)
        let (choices, _, _, cr) = try readAll(Self.root! + "/odk/briefcase_choice-lists.csv.expected")
        #expect(Self.value(cr, choices[0], "some_string/CHOICE_1") == "1")
        #expect(cr.columns.first { $0.name == "some_group-yet_another_string" }?.groupPath == ["some_group"])
        let (sub, _, _, sr) = try readAll(Self.root! + "/odk/briefcase_nested-repeats-submission.xml")
        #expect(sub.count == 1)
        #expect(Self.value(sr, sub[0], "@instanceID") == "uuid:0a1b861f-a5fd-4f49-846a-78dcf06cfc1b")
        #expect(Self.value(sr, sub[0], "g1/t1") == "some text 1")
        #expect(sr.columns.contains { $0.name.contains("g2[2]") })
        let (veg, _, _, vr) = try readAll(
            Self.root! + "/odk/ruODK_build_Flora-Quadrat-0-4_1564384341-vegetation_stratum.csv"
        )
        #expect(veg.count == 7 && Self.value(vr, veg[0], "PARENT_KEY")?.hasPrefix("uuid:") == true)
    }

    @Test(.enabled(if: root != nil, "../shared/realdata is absent")) func limeSurveyResponsesLSR() throws {
        let (records, rejected, _, reader) = try readAll(Self.root! + "/limesurvey/survey_981966_responses.lsr")
        #expect(reader.profile == .limeSurvey)
        // Response 12 was never submitted (no submit date): left out, counted (issue 29, class 3).
        #expect(records.count == 1 && rejected.count == 1 && rejected.first?.reason == RejectedRecord.incompleteReason)
        #expect(rejected.first?.values.first == "12")
        #expect(Self.value(reader, records[0], "id") == "11")
        #expect(Self.value(reader, records[0], "981966X1X3") == "RS answer here")
        #expect(
            DateParser.parse(Self.value(reader, records[0], "submitdate") ?? "")
                == Date(timeIntervalSince1970: 1_408_654_142)
        )
    }

    @Test(.enabled(if: root != nil, "../shared/realdata is absent")) func tripleSFixedAndCSVDataWithCategoryLabels()
        throws
    {
        for name in ["example1.sss", "example2.sss"] {
            let (records, rejected, _, reader) = try readAll(Self.root! + "/triple-s/" + name)
            #expect(reader.profile == .tripleS && records.count == 3 && rejected.isEmpty, "\(name)")
            #expect(Self.value(reader, records[0], "RESPONDENT_ID") == "520001")
            #expect(Self.value(reader, records[0], "Q2") == "No, this is the first visit")
            #expect(Self.value(reader, records[0], "Q3") == "1 3 5 9")
            #expect(Self.value(reader, records[0], "Q3.a") == "Nottingham Goose Fair")
            #expect(Self.value(reader, records[2], "Q3.a") == "\"Heritage\" Zone")
        }
        let (house, _, _, hr) = try readAll(Self.root! + "/triple-s/hierarchy/householddata.sss")
        #expect(house.count == 3 && Self.value(hr, house[0], "hnumber") == "010001")
        var d = Diagnostics()
        #expect(throws: IngestError.self) {
            _ = try ExportReader.open(Self.root! + "/triple-s/example3.sss", diagnostics: &d)
        }
    }

    @Test(.enabled(if: root != nil, "../shared/realdata is absent")) func ddiCodebookCategoryLabels() throws {
        var d = Diagnostics()
        let ipums = try DDICodebook.read(Self.root! + "/ddi/ipumsr_cps_00157.xml", diagnostics: &d)
        #expect(ipums.count == 8)
        let month = try #require(ipums.first { $0.name == "MONTH" })
        #expect(month.label == "Month" && month.startPosition == 10 && month.endPosition == 11)
        #expect(month.categories.first?.value == "01" && month.categories.first?.label == "January")
        #expect(month.categories.count == 12)
        let dataverse = try DDICodebook.read(Self.root! + "/ddi/dataverse_dct_codebook.xml", diagnostics: &d)
        #expect(dataverse.map(\.name).prefix(3) == ["Var1", "Var2", "Var3"])
        #expect(d.items.isEmpty)
    }

    /// Every response export in ../shared/realdata is read through `ExportReader` without a crash,
    /// with at least one record and none rejected. Form definitions, schemas, codebooks and
    /// spreadsheets (.xlsx: neither CSV nor XML) are not response exports.
    @Test(.enabled(if: root != nil, "../shared/realdata is absent")) func everyResponseExportIsRead() throws {
        let notResponses = [
            "ruODK_FloraQuadrat04_form.xml", "briefcase_choice-lists.xml", "briefcase_nested-repeats.xml",
            "survey_981966_en_quexml.xml", "survey_981966.lss", "sss_v20.dtd", "sss_v30.xsd", "example3.sss",
            "hierarchyDefinition.sss", "ipumsr_cps_00157.xml", "ipumsr_cps_00158.xml", "dataverse_dct_codebook.xml",
        ]
        let exts = [".csv", ".expected", ".xml", ".lsr", ".sss"]
        var read = 0
        let files = (FileManager.default.enumerator(atPath: Self.root!)?.allObjects as? [String] ?? []).sorted()
        for rel in files
        where exts.contains(where: { rel.hasSuffix($0) }) && !notResponses.contains((rel as NSString).lastPathComponent)
        {
            let (records, rejected, _, _) = try readAll(Self.root! + "/" + rel)
            #expect(!records.isEmpty, "\(rel): no records")
            let defects = rejected.filter { $0.reason != RejectedRecord.incompleteReason }
            #expect(defects.isEmpty, "\(rel): \(defects.count) rejected: \(defects.first?.reason ?? "")")
            read += 1
        }
        #expect(read >= 35)
    }

    @Test(.enabled(if: root != nil, "../shared/realdata is absent")) func koboInstanceBehindTheNestedRepeatsCSV() throws
    {
        let (records, _, _, reader) = try readAll(Self.root! + "/kobo/kpi_kobocat_nested_repeats_01.xml")
        #expect(records.count == 1)
        #expect(reader.columns.contains { $0.name.contains("kids_details[2]") })
        let (problem, _, _, pr) = try readAll(Self.root! + "/odk/ruODK_submission_report_problem_7e67b4e4.xml")
        #expect(problem.count == 1 && Self.value(pr, problem[0], "meta/instanceID")?.hasPrefix("uuid:") == true)
    }

    @Test(.enabled(if: root != nil, "../shared/realdata is absent")) func koboGroupSeparatorOtherThanSlash() throws {
        let path = Self.root! + "/kobo/formpack_generated/formpack_grouped_translated__xml_dotsep_details.csv"
        let (records, _, _, reader) = try readAll(path, options: ReadOptions(groupSeparator: "."))
        #expect(reader.profile == .koboToolbox && !records.isEmpty)
        let segments = try #require(
            reader.columns.first { $0.name == "external_characteristics.How_many_segments_does_your_body_have" }
        )
        #expect(
            segments.groupPath == ["external_characteristics"]
                && segments.leaf == "How_many_segments_does_your_body_have"
        )
        let radial = try #require(reader.columns.first { $0.name.hasSuffix(".radial") })
        #expect(radial.groupPath == ["external_characteristics", "What_kind_of_symmetry_do_you_have"])
        // Without the option, dotted names stay whole (real exports also use dots inside names: Q1.1).
        let (_, _, _, plain) = try readAll(path)
        #expect(plain.columns.first { $0.name == segments.name }?.groupPath == [])
    }
}
