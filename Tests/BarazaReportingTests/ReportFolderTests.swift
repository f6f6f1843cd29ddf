import BarazaFiles
import BarazaTestSupport
import Foundation
import Testing

@testable import BarazaReporting

/// The report folder is written only where a report may go, replaced in one step, and what dead
/// runs left behind is cleaned up.
struct ReportFolderTests {
    static func folder() throws -> String {
        let dir = URL(fileURLWithPath: scratchDirectory).appendingPathComponent("report-folder-\(UUID().uuidString)")
            .path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    static func write(_ text: String, _ path: String) throws {
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent,
            withIntermediateDirectories: true
        )
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    static func read(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }

    static let files = ["index.html": "<p>new</p>", "tables/items.csv": "a,b\r\n"]

    @Test func aFolderHoldingOtherFilesIsRefusedAndLeftAsItWas() throws {
        let dir = try Self.folder()
        try Self.write("survey bytes", dir + "/export.csv")
        try Self.write("ledger", dir + "/c.sqlite")
        #expect(throws: ReportError.self) { try ReportWriter.writeFolder(Self.files, to: dir) }
        do { try ReportWriter.writeFolder(Self.files, to: dir) } catch {
            guard case .notAReportFolder = error else {
                Issue.record("\(error)")
                return
            }
        }
        #expect(Self.read(dir + "/export.csv") == "survey bytes" && Self.read(dir + "/c.sqlite") == "ledger")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["c.sqlite", "export.csv"])
        // One stray file beside an old report's files is enough to refuse.
        let mixed = try Self.folder() + "/r"
        try Self.write("<p>old</p>", mixed + "/index.html")
        try Self.write("notes", mixed + "/notes.txt")
        #expect(throws: ReportError.self) { try ReportWriter.writeFolder(Self.files, to: mixed) }
        #expect(Self.read(mixed + "/notes.txt") == "notes")
    }

    @Test func aNewOrEmptyFolderGetsTheReportAndItsMarker() throws {
        let base = try Self.folder()
        try ReportWriter.writeFolder(Self.files, to: base + "/new")
        #expect(Self.read(base + "/new/index.html") == "<p>new</p>")
        #expect(Self.read(base + "/new/" + ReportWriter.marker) != nil)
        try FileManager.default.createDirectory(atPath: base + "/empty", withIntermediateDirectories: true)
        try ReportWriter.writeFolder(Self.files, to: base + "/empty")
        #expect(Self.read(base + "/empty/tables/items.csv") == "a,b\r\n")
        // Nothing is left beside the report: no staging or old copies.
        #expect(try FileManager.default.contentsOfDirectory(atPath: base).sorted() == ["empty", "new"])
    }

    @Test func aMarkedReportIsReplacedWhole() throws {
        let base = try Self.folder()
        try ReportWriter.writeFolder(
            ["index.html": "<p>old</p>", "report.md": "old", "tables/old.csv": "x"],
            to: base + "/r"
        )
        try ReportWriter.writeFolder(Self.files, to: base + "/r")
        #expect(Self.read(base + "/r/index.html") == "<p>new</p>")
        #expect(Self.read(base + "/r/report.md") == nil && Self.read(base + "/r/tables/old.csv") == nil)
        #expect(try FileManager.default.contentsOfDirectory(atPath: base) == ["r"])
    }

    @Test func aReportOfAnEarlierVersionWithoutMarkerIsReplaced() throws {
        let base = try Self.folder()
        try Self.write("<p>old</p>", base + "/r/index.html")
        try Self.write("{}", base + "/r/summary.json")
        try Self.write("x", base + "/r/tables/items.csv")
        try ReportWriter.writeFolder(Self.files, to: base + "/r")
        #expect(Self.read(base + "/r/index.html") == "<p>new</p>" && Self.read(base + "/r/summary.json") == nil)
        // A folder of an earlier report that also holds something else is not one.
        try Self.write("<p>old</p>", base + "/s/index.html")
        try Self.write("x", base + "/s/tables/notes.txt")
        #expect(throws: ReportError.self) { try ReportWriter.writeFolder(Self.files, to: base + "/s") }
    }

    @Test func aLinkOrAFileWhereTheFolderGoesIsRefused() throws {
        let base = try Self.folder()
        try Self.write("keep", base + "/elsewhere/precious.txt")
        try FileManager.default.createSymbolicLink(atPath: base + "/link", withDestinationPath: base + "/elsewhere")
        #expect(throws: ReportError.self) { try ReportWriter.writeFolder(Self.files, to: base + "/link") }
        #expect(Self.read(base + "/elsewhere/precious.txt") == "keep")
        try Self.write("plain", base + "/file")
        #expect(throws: ReportError.self) { try ReportWriter.writeFolder(Self.files, to: base + "/file") }
        #expect(Self.read(base + "/file") == "plain")
    }

    /// A dead run's staging copy is removed; a dead run's old report, left by a kill between the
    /// two renames of the fallback, is put back when the report is missing.
    @Test func whatDeadRunsLeftIsCleanedUp() throws {
        let base = try Self.folder()
        let dead = try Self.deadPid()
        try ReportWriter.writeFolder(["index.html": "<p>old</p>"], to: base + "/r")
        try FileManager.default.moveItem(atPath: base + "/r", toPath: base + "/.r.old-\(dead)")
        try ReportWriter.writeFolder(["index.html": "<p>staged</p>"], to: base + "/x")
        try FileManager.default.moveItem(atPath: base + "/x", toPath: base + "/.r.staging-\(dead)")
        // A hidden folder of the same shape without the marker is not Baraza's: left alone.
        try Self.write("mine", base + "/.r.staging-\(dead + 1)/notes.txt")
        try ReportWriter.writeFolder(Self.files, to: base + "/r")
        #expect(Self.read(base + "/r/index.html") == "<p>new</p>")
        #expect(try FileManager.default.contentsOfDirectory(atPath: base).sorted() == [".r.staging-\(dead + 1)", "r"])

        let other = try Self.folder()
        try ReportWriter.writeFolder(["index.html": "<p>old</p>"], to: other + "/r")
        try FileManager.default.moveItem(atPath: other + "/r", toPath: other + "/.r.old-\(dead)")
        ReportWriter.removeStale(of: "r", in: try DirectoryHandle(path: other))
        #expect(Self.read(other + "/r/index.html") == "<p>old</p>")
    }

    /// The id of a process that has exited.
    static func deadPid() throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/true")
        try p.run()
        p.waitUntilExit()
        return p.processIdentifier
    }

    @Test func theRejectsFileReplacesALinkNotItsTarget() throws {
        let base = try Self.folder()
        try Self.write("keep", base + "/precious.txt")
        try FileManager.default.createSymbolicLink(
            atPath: base + "/c.rejects.csv",
            withDestinationPath: base + "/precious.txt"
        )
        try SafeFiles.replace(base + "/c.rejects.csv", contents: Array("file,line\r\n".utf8))
        #expect(Self.read(base + "/precious.txt") == "keep")
        #expect(Self.read(base + "/c.rejects.csv") == "file,line\r\n")
        let attributes = try FileManager.default.attributesOfItem(atPath: base + "/c.rejects.csv")
        #expect(attributes[.type] as? FileAttributeType == .typeRegular)
        try FileManager.default.createDirectory(atPath: base + "/d.rejects.csv", withIntermediateDirectories: true)
        #expect(throws: FileFailure.self) { try SafeFiles.replace(base + "/d.rejects.csv", contents: Array("x".utf8)) }
    }
}
