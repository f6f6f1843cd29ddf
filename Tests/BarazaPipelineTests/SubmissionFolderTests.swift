import BarazaTestSupport
import Foundation
import Testing

/// A folder of one-file-per-submission XML (ODK Briefcase, Kobo instance downloads) is one batch
/// per run: its new files only, each file's digest kept so that none is imported twice, edits
/// superseding within the batch and across batches.
/// One test at a time: each runs the binary for seconds, holding a test thread meanwhile.
@Suite(.serialized) struct SubmissionFolderTests {
    static func batches(_ yml: String) throws -> [[String: Any]] {
        let r = try CLITests.run(["batches", yml, "--json"])
        return try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [[String: Any]] ?? []
    }

    @Test func aFolderIsOneBatchOfItsNewFiles() throws {
        let dir = URL(fileURLWithPath: scratchDirectory).appendingPathComponent("folder-\(UUID().uuidString)").path
        #expect(try CLITests.run(["synth", "--out", dir + "/Surveys"]).status == 0)
        let yml = dir + "/Surveys/demo.yml"
        let folder = dir + "/Surveys/kenya/followup"
        #expect(try CLITests.run(["run", yml]).status == 3)  // the demo's unknown label and unmapped group
        var list = try Self.batches(yml)
        let first = try #require(list.first { $0["path"] as? String == "kenya/followup" })
        // 49 files, the last an edit of the first: one batch, the edit superseding in it.
        #expect(list.count == 4 && first["responses"] as? Int == 49 && first["superseded"] as? Int == 1)

        // The same bytes under another name: nothing new. A new submission: a batch of one.
        try FileManager.default.copyItem(atPath: folder + "/submission_010.xml", toPath: folder + "/copy_of_010.xml")
        let same = try CLITests.run(["run", yml])
        #expect(same.status == 0 && same.err.contains("all imported before"), "\(same.err)")
        let text = try String(contentsOfFile: folder + "/submission_002.xml", encoding: .utf8)
        let fresh = text.replacingOccurrences(of: "uuid:5f2b0002-8c1d-4e7a-9b3f-000000003dde", with: "uuid:new-0001")
        try Data(fresh.utf8).write(to: URL(fileURLWithPath: folder + "/submission_050.xml"))
        // An edit of submission 3, in a subfolder as ODK Briefcase lays instances out.
        let three = try String(contentsOfFile: folder + "/submission_003.xml", encoding: .utf8)
        let id3 = try #require(three.firstMatch(of: /<instanceID>([^<]+)<\/instanceID>/)).1
        let edit = three.replacingOccurrences(
            of: "<instanceID>\(id3)</instanceID>",
            with: "<instanceID>uuid:edit-0003</instanceID>\n    <deprecatedID>\(id3)</deprecatedID>"
        )
        try FileManager.default.createDirectory(atPath: folder + "/uuid-edit-0003", withIntermediateDirectories: true)
        try Data(edit.utf8).write(to: URL(fileURLWithPath: folder + "/uuid-edit-0003/submission.xml"))
        #expect(try CLITests.run(["run", yml]).status == 0)
        list = try Self.batches(yml)
        #expect(list.count == 5)
        let second = try #require(list.last)
        #expect(
            second["path"] as? String == "kenya/followup" && second["responses"] as? Int == 2
                && second["superseded"] as? Int == 1
        )

        // Rolled back, the batch's files are new again.
        let id = try #require(second["id"] as? Int)
        #expect(try CLITests.run(["rollback", yml, String(id)]).status == 0)
        let again = try CLITests.run(["run", yml, "--json"])
        let results = try JSONSerialization.jsonObject(with: Data(again.out.utf8)) as? [[String: Any]]
        #expect(results?.first { $0["path"] as? String == "kenya/followup" }?["responses"] as? Int == 2, "\(again.err)")
    }

    /// ODK Briefcase lays instances out one folder down; inspect reads them as import does.
    @Test func briefcaseInstancesOneFolderDownAreRead() throws {
        let dir = URL(fileURLWithPath: scratchDirectory).appendingPathComponent("briefcase-\(UUID().uuidString)").path
        #expect(try CLITests.run(["synth", "--out", dir + "/Surveys"]).status == 0)
        let instances = dir + "/instances"
        for k in [2, 3] {
            let sub = instances + "/uuid-000\(k)"
            try FileManager.default.createDirectory(atPath: sub, withIntermediateDirectories: true)
            try FileManager.default.copyItem(
                atPath: dir + "/Surveys/kenya/followup/submission_00\(k).xml",
                toPath: sub + "/submission.xml"
            )
        }
        let r = try CLITests.run(["inspect", instances, "--json"])
        let doc = try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any]
        #expect(doc?["records"] as? Int == 2, "\(r.err)")
    }
}
