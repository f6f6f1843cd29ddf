import BarazaIngest
import BarazaTestSupport
import Foundation
import Testing

/// Input that is not a plain file, or holds nothing: read once or refused, and always said.
/// One test at a time: each runs the binary for seconds, holding a test thread meanwhile.
@Suite(.serialized) struct InputSafetyTests {
    static let csv = "id,grp,q1\n1,NGO,Agree\n2,Ministry,Disagree\n"

    static func folder() throws -> String {
        let dir = URL(fileURLWithPath: scratchDirectory).appendingPathComponent("input-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Runs the binary with `input` on its standard input (a pipe).
    static func run(_ args: [String], stdin input: Data) throws -> (status: Int32, out: String, err: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLITests.binary)
        p.arguments = args
        let inPipe = Pipe()
        let out = Pipe()
        let err = Pipe()
        p.standardInput = inPipe
        p.standardOutput = out
        p.standardError = err
        try p.run()
        // The binary may close the pipe before reading it all (refusing binary data).
        signal(SIGPIPE, SIG_IGN)
        let writer = Thread {
            try? inPipe.fileHandleForWriting.write(contentsOf: input)
            try? inPipe.fileHandleForWriting.close()
        }
        writer.start()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    @Test func aPipeIsReadOnceAndWhole() throws {
        // More than the sniffer's 64 KiB sample, so that a second open of the pipe would miss records.
        let rows = (1...5000).map { "\($0),NGO,Agree" }.joined(separator: "\n")
        let r = try Self.run(["inspect", "/dev/stdin", "--json"], stdin: Data(("id,grp,q1\n" + rows + "\n").utf8))
        #expect(r.status == 0, "\(r.err)")
        let doc = try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any]
        #expect(doc?["records"] as? Int == 5000)
    }

    @Test func aNamedPipeNoOneWritesToIsGivenUpOnAndADeviceIsRefused() throws {
        let fifo = try Self.folder() + "/export.csv"
        #expect(mkfifo(fifo, 0o600) == 0)
        let started = Date()
        #expect(throws: IngestError.self) { _ = try InputFile(fifo, pipeWait: 0.3) }
        #expect(Date().timeIntervalSince(started) < 10)
        let zero = try CLITests.run(["inspect", "/dev/zero"])
        #expect(zero.status == 1 && zero.err.contains("device"), "\(zero.err)")
        // Binary data through a pipe is refused at its first bytes, not copied.
        let binary = try Self.run(["inspect", "/dev/stdin"], stdin: Data(count: 1 << 20))
        #expect(binary.status == 1 && binary.err.contains("binary data"), "\(binary.err)")
    }

    /// An empty file and a header-only one are warned about, counted and skipped or kept empty;
    /// the other files are imported; the exit code asks a person to look.
    @Test func emptyAndHeaderOnlyFilesAreSaidAndTheOthersImported() throws {
        let dir = try Self.folder()
        try Data(Self.csv.utf8).write(to: URL(fileURLWithPath: dir + "/a.csv"))
        try Data().write(to: URL(fileURLWithPath: dir + "/b.csv"))
        try Data("id,grp,q1\n".utf8).write(to: URL(fileURLWithPath: dir + "/c.csv"))
        try Self.writeTinyConsultation(dir)
        let r = try CLITests.run(["run", dir + "/c.yml"])
        #expect(r.status == 3, "\(r.err)")
        #expect(r.err.contains("b.csv") && r.err.contains("empty"), "\(r.err)")
        #expect(r.err.contains("c.csv") && r.err.contains("no records after the header"), "\(r.err)")
        #expect(r.err.contains("imported a.csv: batch 1, 2 responses"), "\(r.err)")
        #expect(FileManager.default.fileExists(atPath: dir + "/report/index.html"))
    }

    /// A consultation over every CSV file of `dir`, its report in `dir/report`.
    static func writeTinyConsultation(_ dir: String) throws {
        try Data(
            """
            version: 1
            consultation: Tiny
            questions: [{id: q1, theme: enabling_policies, scale: agree5}]
            sources: [{path: "*.csv", group_column: grp, id_column: id}]
            report: {out: report}
            """
            .utf8
        )
        .write(to: URL(fileURLWithPath: dir + "/c.yml"))
    }

    /// Issue 29, class 4: a workbook of the old kind or a PDF named .csv is refused with what it is,
    /// exit 2, nothing stored; the good file beside it is imported.
    @Test func aFileThatIsNotAnExportIsRefusedWithExit2() throws {
        let dir = try Self.folder()
        try Data(Self.csv.utf8).write(to: URL(fileURLWithPath: dir + "/a.csv"))
        try Data([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1] + [UInt8](repeating: 0, count: 600))
            .write(to: URL(fileURLWithPath: dir + "/b.csv"))
        try Data("%PDF-1.4\n".utf8).write(to: URL(fileURLWithPath: dir + "/c.csv"))
        try Self.writeTinyConsultation(dir)
        let r = try CLITests.run(["import", dir + "/c.yml"])
        #expect(r.status == 2, "\(r.err)")
        #expect(r.err.contains("Excel 97–2003 workbook") && r.err.contains("a PDF document"), "\(r.err)")
        let batches = try CLITests.run(["batches", dir + "/c.yml", "--json"])
        let list = try JSONSerialization.jsonObject(with: Data(batches.out.utf8)) as? [[String: Any]] ?? []
        #expect(list.count == 1 && list.first?["path"] as? String == "a.csv")
    }

    @Test func aFolderNamedLikeAFileIsRefused() throws {
        let dir = try Self.folder()
        try FileManager.default.createDirectory(atPath: dir + "/data.csv", withIntermediateDirectories: true)
        try Data(
            """
            version: 1
            consultation: Tiny
            questions: [{id: q1, theme: enabling_policies, scale: agree5}]
            sources: [{path: data.csv, group_column: grp}]
            """
            .utf8
        )
        .write(to: URL(fileURLWithPath: dir + "/c.yml"))
        let r = try CLITests.run(["run", dir + "/c.yml"])
        #expect(
            r.status == 2 && r.err.contains("c.yml:4:") && r.err.contains("folder named like a .csv file"),
            "\(r.err)"
        )
    }

    /// A country column pointed at free text: the report says which column and how many values,
    /// rather than building a cell for each; the report by group alone is written.
    @Test func aReportWithTooManyCellsNamesTheColumn() throws {
        let dir = try Self.folder()
        let rows = (1...1200).map { "\($0),NGO,Agree,answer number \($0)" }.joined(separator: "\n")
        try Data(("id,grp,q1,comment\n" + rows + "\n").utf8).write(to: URL(fileURLWithPath: dir + "/a.csv"))
        try Data(
            """
            version: 1
            consultation: Tiny
            questions: [{id: q1, theme: enabling_policies, scale: agree5}]
            sources: [{path: a.csv, group_column: grp, id_column: id, country_column: comment}]
            report: {out: report}
            """
            .utf8
        )
        .write(to: URL(fileURLWithPath: dir + "/c.yml"))
        #expect(try CLITests.run(["import", dir + "/c.yml"]).status == 0)
        let r = try CLITests.run(["report", dir + "/c.yml", "--by", "group,country"])
        #expect(
            r.status == 1 && r.err.contains("the country has 1200 distinct values") && r.err.contains("country_column"),
            "\(r.err)"
        )
        #expect(try CLITests.run(["report", dir + "/c.yml", "--by", "group"]).status == 0)
    }

    /// A UTF-8 file damaged enough early on to be read as Windows-1252: its accented labels stop
    /// matching, and the import says so and asks for a person (exit 3) instead of exit 0.
    @Test func labelsThatStopMatchingUnderWindows1252AskForAPerson() throws {
        let dir = try Self.folder()
        let text = "id,grp,q1\n" + (1...20).map { "\($0),ONG,Plutôt d'accord" }.joined(separator: "\n") + "\n"
        var bytes = Array(text.utf8)
        // Bytes that are not UTF-8, more of them than the file's valid accents.
        bytes.insert(contentsOf: [UInt8](repeating: 0xFF, count: 100), at: Array("id,grp,q1\n1,ONG".utf8).count)
        try Data(bytes).write(to: URL(fileURLWithPath: dir + "/a.csv"))
        try Data(
            """
            version: 1
            consultation: Tiny
            questions: [{id: q1, theme: enabling_policies, scale: agree5}]
            sources: [{path: a.csv, group_column: grp, id_column: id}]
            """
            .utf8
        )
        .write(to: URL(fileURLWithPath: dir + "/c.yml"))
        let r = try CLITests.run(["import", dir + "/c.yml"])
        #expect(
            r.status == 3 && r.err.contains("read as Windows-1252") && r.err.contains("encoding: UTF-8"),
            "\(r.err)"
        )
    }
}
