import BarazaPipeline
import BarazaTestSupport
import Foundation
import Testing

/// What the real binary does to the files around it: it deletes nothing that is not its own
/// report, follows no link it did not make, reads nothing outside the consultation's tree, and
/// says so when it cannot write what it promised.
/// One test at a time: each runs the binary for seconds, holding a test thread meanwhile.
@Suite(.serialized) struct FileSafetyTests {
    /// A consultation folder with one small export, and a file outside it.
    static func consultation(sourcePath: String = "a.csv", extra: String = "") throws -> String {
        let top = URL(fileURLWithPath: scratchDirectory).appendingPathComponent("safety-\(UUID().uuidString)").path
        let dir = top + "/project"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try Data("id,grp,q1\n1,NGO,Agree\n2,NGO,Agree,extra\n3,Ministry,Disagree\n".utf8)
            .write(to: URL(fileURLWithPath: dir + "/a.csv"))
        try Data("id,grp,q1\n9,NGO,Agree\n".utf8).write(to: URL(fileURLWithPath: top + "/secret.csv"))
        try Data(
            """
            version: 1
            consultation: Tiny
            questions: [{id: q1, theme: enabling_policies, scale: agree5}]
            sources: [{path: "\(sourcePath)", group_column: grp, id_column: id}]
            report: {out: report}
            \(extra)
            """
            .utf8
        )
        .write(to: URL(fileURLWithPath: dir + "/c.yml"))
        return dir
    }

    static func read(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }

    @Test func reportOutIntoTheWorkingFolderIsRefusedAndDeletesNothing() throws {
        let dir = try Self.consultation()
        #expect(try CLITests.run(["import", dir + "/c.yml"]).status == 3)
        let before = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        let r = try CLITests.run(["report", dir + "/c.yml", "--out", "."], cwd: dir)
        #expect(r.status == 2, "\(r.err)")
        #expect(r.err.contains("not a Baraza report") && r.err.contains("--out"), "\(r.err)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == before)
        #expect(Self.read(dir + "/a.csv")?.hasPrefix("id,grp,q1") == true)
        // Its own report folder is written, and written again.
        #expect(try CLITests.run(["report", dir + "/c.yml"]).status == 0)
        #expect(try CLITests.run(["report", dir + "/c.yml"]).status == 0)
        #expect(FileManager.default.fileExists(atPath: dir + "/report/index.html"))
    }

    @Test func aLockFileLinkedToAnotherFileIsRefusedAndTheFileKept() throws {
        let dir = try Self.consultation()
        try Data("precious\n".utf8).write(to: URL(fileURLWithPath: dir + "/precious.txt"))
        try FileManager.default.createSymbolicLink(
            atPath: dir + "/c.sqlite.lock",
            withDestinationPath: dir + "/precious.txt"
        )
        let r = try CLITests.run(["run", dir + "/c.yml"])
        #expect(r.status == 1 && r.err.contains("symbolic link"), "\(r.err)")
        #expect(Self.read(dir + "/precious.txt") == "precious\n")
        // A hard link is refused too: truncating it would empty the other name's file.
        try FileManager.default.removeItem(atPath: dir + "/c.sqlite.lock")
        try FileManager.default.linkItem(atPath: dir + "/precious.txt", toPath: dir + "/c.sqlite.lock")
        #expect(try CLITests.run(["import", dir + "/c.yml"]).status == 1)
        #expect(Self.read(dir + "/precious.txt") == "precious\n")
    }

    @Test func theRejectsFileIsNeverWrittenThroughALink() throws {
        let dir = try Self.consultation()
        try Data("precious\n".utf8).write(to: URL(fileURLWithPath: dir + "/precious.txt"))
        try FileManager.default.createSymbolicLink(
            atPath: dir + "/c.rejects.csv",
            withDestinationPath: dir + "/precious.txt"
        )
        #expect(try CLITests.run(["import", dir + "/c.yml"]).status == 3)
        #expect(Self.read(dir + "/precious.txt") == "precious\n")
        #expect(Self.read(dir + "/c.rejects.csv")?.contains("record has 4 fields") == true)
    }

    @Test func aRejectsFileThatCannotBeWrittenFailsTheRunLoudly() throws {
        let dir = try Self.consultation()
        try FileManager.default.createDirectory(atPath: dir + "/c.rejects.csv", withIntermediateDirectories: true)
        let r = try CLITests.run(["run", dir + "/c.yml"])
        #expect(r.status == 1, "\(r.err)")
        #expect(r.err.contains("cannot write the rejects file") && r.err.contains("kept in the store"), "\(r.err)")
        // The rows are in the store all the same.
        let batches = try CLITests.run(["batches", dir + "/c.yml", "--json"])
        let list = try JSONSerialization.jsonObject(with: Data(batches.out.utf8)) as? [[String: Any]]
        #expect(list?.first?["rejected"] as? Int == 1)
    }

    @Test func sourcesThatLeaveTheTreeAreRefusedUnlessAllowed() throws {
        let dir = try Self.consultation(sourcePath: "../*.csv")
        let r = try CLITests.run(["import", dir + "/c.yml"])
        #expect(
            r.status == 2 && r.err.contains("c.yml:4:") && r.err.contains("leaves the consultation's folder tree"),
            "\(r.err)"
        )
        #expect(!FileManager.default.fileExists(atPath: dir + "/c.sqlite"))
        #expect(try CLITests.run(["import", dir + "/c.yml", "--allow-outside"]).status == 0)
        let allowed = try Self.consultation(sourcePath: "../*.csv", extra: "allow_outside: true")
        #expect(try CLITests.run(["check", allowed + "/c.yml"]).status != 2)
        // The store and the report folder are confined too.
        let store = try Self.consultation(extra: "store: ../../elsewhere.sqlite")
        #expect(try CLITests.run(["check", store + "/c.yml"]).err.contains("store '../../elsewhere.sqlite' leaves"))
    }

    @Test func aLinkLeavingTheTreeIsRefusedAndHiddenFilesAreSkipped() throws {
        let dir = try Self.consultation(sourcePath: "data/*.csv")
        try FileManager.default.createDirectory(atPath: dir + "/data", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: dir + "/a.csv", toPath: dir + "/data/a.csv")
        try Data("id,grp,q1\n7,NGO,Agree\n".utf8).write(to: URL(fileURLWithPath: dir + "/data/.~lock.csv"))
        let clean = try CLITests.run(["import", dir + "/c.yml", "--json"])
        let results = try JSONSerialization.jsonObject(with: Data(clean.out.utf8)) as? [[String: Any]]
        #expect(results?.map { $0["path"] as? String } == ["data/a.csv"], "\(clean.err)")
        try FileManager.default.createSymbolicLink(
            atPath: dir + "/data/b.csv",
            withDestinationPath: dir + "/../secret.csv"
        )
        let r = try CLITests.run(["import", dir + "/c.yml"])
        #expect(r.status == 2 && r.err.contains("b.csv"), "\(r.err)")
    }

    /// Every command that writes the store takes the lock; one that reads waits for it.
    @Test func writersTakeTheLockAndReadersWaitForIt() throws {
        let dir = try Self.consultation()
        #expect(try CLITests.run(["import", dir + "/c.yml"]).status == 3)
        let lock = RunLock(path: dir + "/c.sqlite.lock")
        try lock.acquire(wait: 0)
        defer { lock.release() }
        let again = try CLITests.run(["import", dir + "/c.yml"])
        #expect(again.status == 1 && again.err.contains("pid \(getpid())"), "\(again.err)")
        #expect(!again.err.contains("constraint"))
        #expect(try CLITests.run(["rollback", dir + "/c.yml", "1"]).status == 1)
        let reader = try CLITests.run(["batches", dir + "/c.yml", "--wait", "0.3"])
        #expect(reader.status == 1 && reader.err.contains("waiting up to"), "\(reader.err)")
        lock.release()
        #expect(try CLITests.run(["rollback", dir + "/c.yml", "1"]).status == 0)
    }

    /// A group value with terminal escape sequences is shown, not run, by check, import and inspect.
    @Test func controlCharactersFromAnExportNeverReachTheTerminal() throws {
        let dir = try Self.consultation()
        let hostile = "id,grp,q1\n1,\u{1B}]0;pwned\u{07}\u{1B}[2J,Agree\n2,NGO,Agree\n"
        try Data(hostile.utf8).write(to: URL(fileURLWithPath: dir + "/a.csv"))
        for args in [["check", dir + "/c.yml"], ["import", dir + "/c.yml"], ["inspect", dir + "/a.csv"]] {
            let r = try CLITests.run(args)
            let output = r.out + r.err
            #expect(!output.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 }, "\(args[0])")
            #expect(output.contains("\\u{1b}]0;pwned\\u{7}"), "\(args[0]): \(output)")
        }
    }
}
