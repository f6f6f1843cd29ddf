import BarazaModel
import Foundation
import Testing
@testable import BarazaIngest

/// Real exports from public survey projects, read from ../shared/realdata (never copied here).
/// Skipped when that folder is absent.
struct RealExportTests {
    static let root: String? = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        let path = url.appendingPathComponent("../shared/realdata").standardizedFileURL.path
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }()

    static func value(_ reader: any RecordSource, _ record: RawRecord, _ column: String) -> String? {
        guard let i = reader.columns.firstIndex(where: { $0.name == column }), i < record.values.count else { return nil }
        return record.values[i]
    }

    @Test(.enabled(if: root != nil, "../shared/realdata is absent"))
    func kpiTransportationKoboCSV() throws {
        let (records, rejected, _, reader) = try readAll(Self.root! + "/kobo/kpi_kobocat_transportation.csv")
        #expect(records.count == 1 && rejected.isEmpty)
        #expect(reader.columns.count == 26)
        let first = try #require(reader.columns.first)
        #expect(first.groupPath == ["transport", "available_transportation_types_to_referral_facility"] || reader.profile != .koboToolbox)
        #expect(Self.value(reader, records[0], "transport/available_transportation_types_to_referral_facility/ambulance") == "False")
    }

    @Test(.enabled(if: root != nil, "../shared/realdata is absent"))
    func qualtricsModernThreeHeaderRowsWithGermanLabels() throws {
        let (records, rejected, _, reader) = try readAll(Self.root! + "/qualtrics/qualtRics_sample.csv")
        #expect(reader.profile == .qualtrics && reader.headerRows == 3)
        #expect(records.count == 1 && rejected.isEmpty)
        #expect(reader.columns[0].subLabel == "Anfangsdatum")
    }

    @Test(.enabled(if: root != nil, "../shared/realdata is absent"))
    func qualtricsLegacyWithBOMAndTrailingComma() throws {
        let (records, rejected, _, reader) = try readAll(Self.root! + "/qualtrics/qualtRics_sample_legacy.csv")
        #expect(reader.encoding == .utf8BOM)
        #expect(reader.profile == .qualtrics && reader.headerRows == 2)
        #expect(records.count == 1 && rejected.isEmpty)
        #expect(reader.columns[0].name == "V1")
    }

    @Test(.enabled(if: root != nil, "../shared/realdata is absent"))
    func odkCentralMainTableAndRepeatParentLink() throws {
        let (records, rejected, _, reader) = try readAll(Self.root! + "/odk/ruODK_build_Flora-Quadrat-0-4_1564384341.csv")
        #expect(reader.profile == .odk)
        #expect(records.count == 2 && rejected.isEmpty)
        #expect(Self.value(reader, records[0], "meta-instanceID") == "uuid:d5e78a78-34db-483d-978f-d9c9a3bc7b69")
        #expect(DateParser.parse(Self.value(reader, records[0], "SubmissionDate") ?? "") == Date(timeIntervalSince1970: 1_568_796_667.481))
        #expect(reader.columns.first { $0.name == "location-area_name" }?.groupPath == ["location"])
        let (reps, _, _, repReader) = try readAll(Self.root! + "/odk/ruODK_build_Flora-Quadrat-0-4_1564384341-taxon_encounter.csv")
        #expect(reps.count == 7)
        let parent = Self.value(repReader, reps[0], "PARENT_KEY")
        #expect(parent?.hasPrefix("uuid:") == true)
    }

    @Test(.enabled(if: root != nil, "../shared/realdata is absent"))
    func googleFormsMultiSelectAndLocalisedTimestamp() throws {
        let (records, rejected, _, reader) = try readAll(Self.root! + "/googleforms/kobo-transfer_Kobo_Test_googleforms.csv")
        #expect(reader.profile == .googleForms)
        #expect(records.count == 5 && rejected.isEmpty)
        #expect(Self.value(reader, records[0], "Select all that apply") == "Sunday;Monday")
        #expect(DateParser.parse(records[0].values[0]) == Date(timeIntervalSince1970: 1_699_888_837))
    }

    @Test(.enabled(if: root != nil, "../shared/realdata is absent"))
    func formpackKoboExportsWithSemicolonsAndCRLF() throws {
        let dir = Self.root! + "/kobo/formpack_generated"
        for name in try FileManager.default.contentsOfDirectory(atPath: dir).sorted() where name.hasSuffix(".csv") {
            let (records, rejected, _, reader) = try readAll(dir + "/" + name)
            #expect(reader.delimiter == ";", "\(name)")
            #expect(!records.isEmpty && rejected.isEmpty, "\(name): \(records.count) records, \(rejected.count) rejected")
        }
    }

    @Test(.enabled(if: root != nil, "../shared/realdata is absent"))
    func odkSubmissionXMLAndKoboAPIPage() throws {
        let (records, _, _, reader) = try readAll(Self.root! + "/odk/ruODK_submission_Flora-Quadrat-04_46d3939a.xml")
        #expect(records.count == 1)
        #expect(Self.value(reader, records[0], "meta/instanceID")?.hasPrefix("uuid:") == true)
        let (page, _, _, _) = try readAll(Self.root! + "/kobo/kobo-transfer_api_v2_data_submission.xml")
        #expect(!page.isEmpty)
    }
}
