import BarazaStore
import BarazaTestSupport
import Foundation
import Testing

/// `baraza run` killed mid-import, and two runs at once, on the real binary.
struct BatchJobSafetyTests {
    /// A consultation with one large generated CSV.
    static func bigConsultation(rows: Int) throws -> String {
        let dir = URL(fileURLWithPath: scratchDirectory).appendingPathComponent("baraza-big-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let labels = [
            "Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree", "Don't know", "",
        ]
        let groups = ["government", "private_sector", "cso", "development_partner"]
        var text = "respondent_id,stakeholder_group," + (1...10).map { "q\($0)" }.joined(separator: ",") + "\n"
        var state: UInt64 = 42
        func next(_ n: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(n))
        }
        for r in 0..<rows {
            text += "r\(r),\(groups[next(4)])," + (1...10).map { _ in labels[next(7)] }.joined(separator: ",") + "\n"
        }
        try Data(text.utf8).write(to: URL(fileURLWithPath: dir + "/big.csv"))
        let questions = (1...10).map { "  - {id: q\($0), theme: local_capacity, scale: agree5}" }
            .joined(separator: "\n")
        try Data(
            """
            version: 1
            consultation: Big
            questions:
            \(questions)
            sources:
              - {path: big.csv, group_column: stakeholder_group, id_column: respondent_id}
            report: {out: report}
            """
            .utf8
        )
        .write(to: URL(fileURLWithPath: dir + "/c.yml"))
        return dir
    }

    static func start(_ args: [String]) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLITests.binary)
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    @Test(.timeLimit(.minutes(5))) func aRunKilledMidImportLeavesNoTraceAndTheNextRunImportsWhole() throws {
        let rows = 40_000
        let dir = try Self.bigConsultation(rows: rows)
        let p = try Self.start(["run", dir + "/c.yml"])
        // Wait until the import's transaction has spilled pages into the store file (its rollback
        // journal open beside it), then kill.
        let deadline = Date().addingTimeInterval(60)
        func size(_ path: String) -> Int64 {
            ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
        }
        while Date() < deadline, p.isRunning {
            if FileManager.default.fileExists(atPath: dir + "/c.sqlite-journal"), size(dir + "/c.sqlite") > 4_000_000 {
                break
            }
            usleep(10_000)
        }
        #expect(p.isRunning, "the import finished before it could be killed; use more rows")
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        #expect(p.terminationReason == .uncaughtSignal)

        let store = try SQLiteStore(path: dir + "/c.sqlite")
        #expect(try store.integrityCheck() == "ok")
        #expect(try store.batches().isEmpty)
        #expect(try store.responseCounts() == (active: 0, superseded: 0))

        let again = try Self.start(["run", dir + "/c.yml"])
        again.waitUntilExit()
        #expect(again.terminationStatus == 0)
        #expect(try store.responseCounts() == (active: rows, superseded: 0))
        #expect(try store.batches().map(\.responses) == [rows])
    }

    @Test(.timeLimit(.minutes(5))) func twoRunsAtOnceNeverInterleave() throws {
        let rows = 20_000
        let dir = try Self.bigConsultation(rows: rows)
        let a = try Self.start(["run", dir + "/c.yml"])
        // Start the second once the first holds the lock.
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, a.isRunning,
            ((try? String(contentsOfFile: dir + "/c.sqlite.lock", encoding: .utf8)) ?? "").isEmpty
        { usleep(10_000) }
        let b = Process()
        b.executableURL = URL(fileURLWithPath: CLITests.binary)
        b.arguments = ["run", dir + "/c.yml"]
        let err = Pipe()
        b.standardError = err
        b.standardOutput = FileHandle.nullDevice
        try b.run()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        b.waitUntilExit()
        a.waitUntilExit()
        #expect(a.terminationStatus == 0)
        #expect(b.terminationStatus == 1)
        #expect(
            message.contains("another baraza command holds the lock") && message.contains("pid \(a.processIdentifier)")
        )
        // A third run with --wait imports nothing new and succeeds; counts are right.
        let c = try Self.start(["run", dir + "/c.yml", "--wait", "30"])
        c.waitUntilExit()
        #expect(c.terminationStatus == 0)
        let store = try SQLiteStore(path: dir + "/c.sqlite")
        #expect(try store.responseCounts() == (active: rows, superseded: 0))
        #expect(try store.batches().count == 1)
    }
}
