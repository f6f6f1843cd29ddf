import ArgumentParser
import BarazaCoding
import BarazaIngest
import BarazaPipeline
import BarazaReporting
import BarazaStore
import Foundation

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Draft a consultation file from exports: columns, scales recognised, group column, open-text and multiple-choice questions.",
        discussion:
            "Themes are left for you to assign. Example: baraza init Surveys/kenya/baseline_kobo.csv --out draft.yml"
    )
    @Argument(help: "Export files to draft from.") var files: [String]
    @Option(help: "Write the draft here instead of stdout (source paths are made relative to its folder).") var out:
        String?

    func run() throws {
        let base = out.map { ($0 as NSString).deletingLastPathComponent } ?? FileManager.default.currentDirectoryPath
        let text: String
        do { text = try ConsultationDrafter.draft(files: files, base: base.isEmpty ? "." : base) } catch {
            Terminal.err("\(error)")
            // A file that is not an export (a form, a codebook) is the user's to replace.
            if case IngestError.notAnExport = error { throw ExitCode(Exit.usage) }
            throw ExitCode(Exit.failed)
        }
        if let out {
            try Data(text.utf8).write(to: URL(fileURLWithPath: out))
            Terminal.err("draft written to \(out); assign themes, then run: baraza check \(out)")
        } else {
            FileHandle.standardOutput.write(Data(text.utf8))
        }
    }
}

struct AgreementCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agreement",
        abstract:
            "Agreement between two codings (response_id,question,code): Cohen's kappa, precision and recall per code, Krippendorff's alpha.",
        discussion: "B is the reference for precision and recall. Example: baraza agreement rules.csv person.csv --json"
    )
    @Argument(help: "First coding (CSV: response_id,question,code).") var a: String
    @Argument(help: "Second coding, the reference.") var b: String
    @Flag(help: "Print one JSON document on stdout.") var json = false

    func run() throws {
        let report: AgreementReport
        do { report = Agreement.compare(try Agreement.read(a), try Agreement.read(b)) } catch {
            Terminal.err("\(error)")
            throw ExitCode(Exit.usage)
        }
        if json {
            Terminal.json(report)
            return
        }
        Terminal.out(
            "answers compared: \(report.answers); Krippendorff's alpha (nominal) \(Fmt.num(report.alpha, 3)); agreement \(Fmt.pct(report.percentAgreement))"
        )
        Terminal.out("code                      in A  in B  both  kappa  precision  recall")
        for c in report.codes {
            Terminal.out(
                c.code.padding(toLength: 24, withPad: " ", startingAt: 0)
                    + String(format: "  %4d  %4d  %4d", c.inA, c.inB, c.inBoth)
                    + "  \(Fmt.num(c.kappa, 3).padding(toLength: 5, withPad: " ", startingAt: 0))  \(Fmt.pct(c.precision).padding(toLength: 9, withPad: " ", startingAt: 0))  \(Fmt.pct(c.recall))"
            )
        }
    }
}

struct Review: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "The open-text review queue: export uncoded answers, import a person's codes (they take precedence over the rules).",
        subcommands: [ReviewExport.self, ReviewImport.self]
    )
}

struct ReviewExport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write the answers no code counts for as CSV (response_id,question,text,code) for a person to code.",
        discussion: "Example: baraza review export Surveys/demo.yml --out queue.csv"
    )
    @Argument(help: "The consultation file (YAML).") var consultation: String
    @Option(help: "Output CSV (default: stdout).") var out: String?

    func run() throws {
        let c = try loadConsultation(consultation)
        let lock = try lockStore(c, .shared, wait: readerWait)
        defer { lock.release() }
        let queue = try openStore(c).reviewQueue()
        var text = "response_id,question,text,code\r\n"
        for q in queue {
            text += [q.respondentID, q.question, q.text, ""].map(Escape.csv).joined(separator: ",") + "\r\n"
        }
        if let out {
            try Data(text.utf8).write(to: URL(fileURLWithPath: out))
            Terminal.err("\(queue.count) answers to review written to \(out)")
        } else {
            FileHandle.standardOutput.write(Data(text.utf8))
        }
    }
}

struct ReviewImport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract:
            "Import a person's codes (CSV response_id,question,code; an empty code marks an answer reviewed with no code).",
        discussion: "Example: baraza review import Surveys/demo.yml queue.csv --coder amina"
    )
    @Argument(help: "The consultation file (YAML).") var consultation: String
    @Argument(help: "CSV with response_id, question and code columns.") var file: String
    @Option(help: "Who coded (kept with each code).") var coder: String?

    func run() throws {
        let c = try loadConsultation(consultation)
        let rows: [CodedRow]
        do { rows = try Agreement.read(file) } catch {
            Terminal.err("\(error)")
            throw ExitCode(Exit.usage)
        }
        let known = Set(c.codebooks.values.flatMap { $0.map(\.code) })
        let unknownCodes = Set(rows.map(\.code).filter { !$0.isEmpty && !known.contains($0) })
        if !unknownCodes.isEmpty {
            Terminal.err(
                "\(file): error: codes not in any codebook: \(unknownCodes.sorted().joined(separator: ", ")) (expected one of \(known.sorted().joined(separator: ", ")))"
            )
            throw ExitCode(Exit.usage)
        }
        let lock = try lockStore(c, .exclusive, wait: 0)
        defer { lock.release() }
        let result = try openStore(c)
            .importPersonCodes(rows.map { ($0.responseID, $0.question, $0.code) }, coder: coder)
        Terminal.err("\(result.stored) codes stored; they replace the rules' codes for those answers")
        for u in result.unknown.prefix(20) {
            Terminal.err(
                "\(file): warning: no open answer '\(u.question)' for respondent '\(u.respondentID)'; row not stored"
            )
        }
        if !result.unknown.isEmpty { throw ExitCode(Exit.needsPerson) }
    }
}
