import BarazaCoding
import BarazaModel
import BarazaStore
import BarazaSynth
import Foundation
import Testing

@testable import BarazaPipeline

/// The scheduled job as a library call: import, rejects, report, event log, exit status.
struct RunJobTests {
    @Test func theDemoRunsImportsReportsLogsAndAsksAPersonToLook() throws {
        let dir = try DemoEndToEndTests.tempDir()
        _ = try DemoGenerator().write(to: dir + "/Surveys")
        let c = try ConsultationLoader.load(path: dir + "/Surveys/demo.yml")
        let log = dir + "/run.jsonl"
        let outcome = RunJob(consultation: c, store: try SQLiteStore(path: c.storePath), events: EventLog(path: log))
            .run()
        #expect(outcome.imports.count == 4 && outcome.imports.allSatisfy { $0.outcome == .imported })
        #expect(outcome.report?.files ?? 0 > 0 && outcome.reportError == nil && outcome.rejectsError == nil)
        // The demo's unknown label and unmapped group: exit 3.
        #expect(outcome.exitStatus == ExitStatus.needsPerson)
        let events = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
        #expect(events.filter { $0.contains("\"event\":\"batch_started\"") }.count == 4)
        #expect(events.last?.contains("\"event\":\"report_written\"") == true)
        // Run again: nothing new, the same report, exit 0.
        let again = RunJob(consultation: c, store: try SQLiteStore(path: c.storePath), events: EventLog(path: nil))
            .run()
        #expect(again.imports.allSatisfy { $0.outcome == .skipped } && again.exitStatus == ExitStatus.done)
    }

    @Test func exitStatusesFollowTheContract() {
        func result(
            _ outcome: FileImportResult.Outcome,
            rejected: Int = 0,
            incomplete: Int = 0,
            refused: Bool = false,
            needsPerson: Bool = false
        ) -> FileImportResult {
            FileImportResult(
                path: "a",
                outcome: outcome,
                batch: nil,
                format: nil,
                records: 1,
                responses: 1,
                rejected: rejected,
                duplicates: 0,
                superseded: 0,
                message: nil,
                needsPerson: needsPerson,
                incomplete: incomplete,
                refused: refused
            )
        }
        #expect(ExitStatus.of([result(.imported)]) == 0)
        #expect(ExitStatus.of([result(.imported, rejected: 2, incomplete: 2)]) == 0)  // never submitted: not a defect
        #expect(ExitStatus.of([result(.imported, rejected: 1)]) == 3)
        #expect(ExitStatus.of([result(.imported, needsPerson: true)]) == 3)
        #expect(ExitStatus.of([result(.imported), result(.failed)]) == 1)
        #expect(ExitStatus.of([result(.failed), result(.failed, refused: true)]) == 2)
    }
}
