import BarazaModel
import BarazaTestSupport
import Foundation
import Testing

/// The real `baraza` binary: its contract (JSON on stdout, exit codes, --version).
struct CLITests {
    static let binary: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        for config in ["debug", "release"] {
            let p = url.appendingPathComponent(".build/\(config)/baraza").path
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return url.appendingPathComponent(".build/debug/baraza").path
    }()

    static func run(_ args: [String], cwd: String? = nil, executable: String = binary, env: [String: String] = [:])
        throws -> (status: Int32, out: String, err: String)
    {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = args
        if !env.isEmpty { p.environment = ProcessInfo.processInfo.environment.merging(env) { _, b in b } }
        if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    /// The documented contract: a usage error exits 2 (ArgumentParser's own code is 64).
    @Test func usageErrorsExit2() throws {
        let unknown = try Self.run(["report", "--bogus", "x"])
        #expect(unknown.status == 2 && unknown.err.contains("Unknown option"), "\(unknown.err)")
        #expect(try Self.run(["import"]).status == 2)
        #expect(try Self.run(["--help"]).status == 0)
    }

    @Test func versionAndHelp() throws {
        let version = try Self.run(["--version"]).out.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(version == BarazaVersion.current)
        let help = try Self.run(["run", "--help"])
        #expect(help.status == 0 && help.out.contains("Example:"))
    }

    @Test func runsTheDemoThenSkipsWhatItHasAndInspectPrintsJSON() throws {
        let dir = URL(fileURLWithPath: scratchDirectory).appendingPathComponent("baraza-cli-\(UUID().uuidString)").path
        #expect(try Self.run(["synth", "--out", dir + "/Surveys"]).status == 0)
        let first = try Self.run(["run", dir + "/Surveys/demo.yml", "--log", dir + "/run.jsonl"])
        // The demo holds one label no scale knows and one organisation type no group knows: exit 3,
        // with the share said.
        #expect(first.status == 3, "\(first.err)")
        #expect(first.err.contains("1 of 43 respondents (2%) has no stakeholder group"))
        #expect(first.err.contains("1 answer matches no scale label"))
        // The warnings point at the first data line where the value occurs, not at line 1.
        #expect(
            first.err.contains("baseline_kobo.csv:9: warning: question 'pol2': label 'Agree strongly'"),
            "\(first.err)"
        )
        #expect(first.err.contains("baseline_surveymonkey.csv:45: warning: group value 'Université'"), "\(first.err)")
        #expect(FileManager.default.fileExists(atPath: dir + "/Reports/demo/index.html"))
        let second = try Self.run(["run", dir + "/Surveys/demo.yml", "--json"])
        #expect(second.status == 0)
        let results = try JSONSerialization.jsonObject(with: Data(second.out.utf8)) as? [[String: Any]]
        #expect(results?.allSatisfy { $0["outcome"] as? String == "skipped" } == true)
        let log = try String(contentsOfFile: dir + "/run.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(log.contains { $0.contains("\"event\":\"report_written\"") })
        let inspect = try Self.run(["inspect", dir + "/Surveys/kenya/baseline_kobo.csv", "--json"])
        #expect(inspect.status == 0)
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(inspect.out.utf8)) as? [String: Any])
        for key in ["file", "format", "encoding", "delimiter", "headerRows", "records", "columns", "diagnostics"] {
            #expect(doc[key] != nil, "\(key)")
        }
        #expect(doc["format"] as? String == "kobotoolbox" && doc["delimiter"] as? String == ";")
        // check: warnings (an unknown label, an unmapped group) → 3; a broken file → 2.
        #expect(try Self.run(["check", dir + "/Surveys/demo.yml"]).status == 3)
        try Data("version: 2\nconsultation: x\nquestions: []\n".utf8).write(to: URL(fileURLWithPath: dir + "/bad.yml"))
        let bad = try Self.run(["check", dir + "/bad.yml"])
        #expect(bad.status == 2 && bad.err.contains("bad.yml:1:10"))
    }

    @Test func rejectedRowsExitThreeAndGoToTheRejectsFile() throws {
        let dir = URL(fileURLWithPath: scratchDirectory).appendingPathComponent("baraza-cli-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try Data("id,grp,q1\n1,NGO,Agree\n2,NGO,Agree,extra\n3,Ministry,Disagree\n".utf8)
            .write(to: URL(fileURLWithPath: dir + "/a.csv"))
        try Data(
            """
            version: 1
            consultation: Tiny
            questions: [{id: q1, theme: enabling_policies, scale: agree5}]
            sources: [{path: a.csv, group_column: grp}]
            """
            .utf8
        )
        .write(to: URL(fileURLWithPath: dir + "/c.yml"))
        let r = try Self.run(["import", dir + "/c.yml"])
        #expect(r.status == 3, "\(r.err)")
        let rejects = try String(contentsOfFile: dir + "/c.rejects.csv", encoding: .utf8)
        #expect(rejects.contains("a.csv,3,record has 4 fields; expected 3"))
        let batches = try Self.run(["batches", dir + "/c.yml", "--json"])
        let list = try JSONSerialization.jsonObject(with: Data(batches.out.utf8)) as? [[String: Any]]
        #expect(list?.first?["responses"] as? Int == 2 && list?.first?["rejected"] as? Int == 1)
        #expect(try Self.run(["rollback", dir + "/c.yml", "1"]).status == 0)
        #expect(try Self.run(["rollback", dir + "/c.yml", "1"]).status == 2)
    }
}
