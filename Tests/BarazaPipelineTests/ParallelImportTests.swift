import BarazaCoding
import BarazaModel
import BarazaStore
import Foundation
import Testing
@testable import BarazaPipeline

/// A file of several chunks, read, coded and written by the three-stage import, gives exactly what
/// the test counts itself, in file order.
struct ParallelImportTests {
    @Test func pipelinedImportLosesNothingAndKeepsFileOrder() throws {
        let dir = try DemoEndToEndTests.tempDir()
        let labels = ["Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree", "Don't know", "", "Agree-ish"]
        let groups = ["Ministry", "NGO", "Private company", "UN agency", "Somebody"]
        var expected: [String: [Double: Int]] = [:]
        var unknown = 0, unmapped = 0
        var text = "id,org,q1\n"
        var state: UInt64 = 7
        func next(_ n: Int) -> Int { state = state &* 6364136223846793005 &+ 1442695040888963407; return Int((state >> 33) % UInt64(n)) }
        let groupID = ["Ministry": "government", "NGO": "cso", "Private company": "private_sector", "UN agency": "development_partner"]
        for i in 0..<3000 {
            let g = groups[next(groups.count)], l = labels[next(labels.count)]
            text += "r\(i),\(g),\(l)\n"
            if l == "Agree-ish" { unknown += 1 }
            if groupID[g] == nil { unmapped += 1; continue }
            if let v = ["Strongly disagree": 1.0, "Disagree": 2, "Neither agree nor disagree": 3, "Agree": 4, "Strongly agree": 5][l] {
                expected[groupID[g]!, default: [:]][v, default: 0] += 1
            }
        }
        try Data(text.utf8).write(to: URL(fileURLWithPath: dir + "/a.csv"))
        try Data("""
        version: 1
        consultation: P
        questions: [{id: q1, theme: local_capacity, scale: agree5}]
        sources: [{path: a.csv, group_column: org, id_column: id}]
        """.utf8).write(to: URL(fileURLWithPath: dir + "/c.yml"))
        let c = try ConsultationLoader.load(path: dir + "/c.yml")
        let store = try SQLiteStore(path: c.storePath)
        let job = ImportJob(consultation: c, store: store)
        var d = Diagnostics()
        let result = job.importFile(dir + "/a.csv", source: c.sources[0], diagnostics: &d)
        #expect(result.responses == 3000 && result.records == 3000)
        let data = try store.aggregate(by: ["group"], themes: [:], quotesPerCode: 0)
        for (g, values) in expected {
            #expect(data.items["q1"]?[CellKey(group: g)]?.values.mapValues(\.count) == values, "\(g)")
        }
        #expect(data.quality.unknownLabels["q1"]?["Agree-ish"] == unknown)
        #expect(data.quality.unmappedGroups["Somebody"] == unmapped)
        // Rows are stored in file order: response ids follow the file's lines.
        #expect(try store.respondentIDs() == (0..<3000).map { "r\($0)" })
    }
}
