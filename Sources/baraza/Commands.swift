import ArgumentParser
import BarazaCoding
import BarazaIngest
import BarazaModel
import BarazaPipeline
import BarazaReporting
import BarazaStore
import BarazaSynth
import Foundation

func loadConsultation(_ path: String, allowOutside: Bool = false) throws -> Consultation {
    do { return try ConsultationLoader.load(path: path, allowOutside: allowOutside) } catch {
        Terminal.err(error.description)
        throw ExitCode(Exit.usage)
    }
}

/// Takes the store's lock: exclusive for a command that writes, shared for one that reads, so a
/// reader never meets a writer's transaction half-way and two writers never interleave.
func lockStore(_ c: Consultation, _ mode: RunLock.Mode, wait: Double) throws -> RunLock {
    let lock = RunLock(path: c.storePath + ".lock")
    do {
        try lock.acquire(wait: wait, mode: mode) { holder in
            Terminal.err("waiting up to \(Int(wait)) s for the lock \(lock.path) (\(holder))…")
        }
    } catch {
        Terminal.err("\(error)")
        throw ExitCode(Exit.failed)
    }
    return lock
}

/// Seconds a reading command waits for a writer by default.
let readerWait = 60.0

func openStore(_ c: Consultation) throws -> SQLiteStore {
    do { return try SQLiteStore(path: c.storePath) } catch {
        Terminal.err("\(error)")
        throw ExitCode(Exit.failed)
    }
}

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Show what an export file is: format, encoding, delimiter, header rows, records, columns, diagnostics.",
        discussion: "Example: baraza inspect Surveys/kenya/baseline_kobo.csv --json"
    )
    @Argument(help: "Export files (CSV, XML, or a folder of XML submissions).") var files: [String]
    @Flag(help: "Print one JSON document on stdout.") var json = false

    func run() throws {
        var results: [FileInspection] = []
        var failed = false
        var refused = false
        for f in files {
            do { results.append(try Inspector.inspect(f)) } catch {
                Terminal.err("\(error)")
                if case IngestError.notAnExport = error { refused = true } else { failed = true }
            }
        }
        if json {
            if results.count == 1, files.count == 1 { Terminal.json(results[0]) } else { Terminal.json(results) }
        } else {
            for r in results {
                Terminal.out(
                    "\(r.file): \(r.format), \(r.encoding), delimiter \(r.delimiter.map { "'\($0)'" } ?? "n/a"), \(r.headerRows) header row(s), \(r.records) records (\(r.rejected) rejected), \(r.columns.count) columns"
                )
                for c in r.columns {
                    let path = c.groupPath.isEmpty ? "" : " [group \(c.groupPath.joined(separator: "/"))]"
                    Terminal.out(
                        "  \(c.name)\(path): \(c.inferredType), \(c.distinctValues) distinct"
                            + (c.examples.isEmpty
                                ? ""
                                : " e.g. \(c.examples.prefix(3).map { "\"\($0.prefix(30))\"" }.joined(separator: ", "))")
                    )
                }
                for d in r.diagnostics {
                    Terminal.err("\(r.file):\(d.line ?? 0):\(d.column ?? 0): \(d.severity): \(d.message)")
                }
            }
        }
        if refused { throw ExitCode(Exit.usage) }
        if failed { throw ExitCode(Exit.failed) }
        if results.contains(where: { $0.rejected > 0 }) { throw ExitCode(Exit.needsPerson) }
    }
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Validate a consultation file against its sources: unmapped columns, labels and group values, codes that match nothing.",
        discussion: "Exit 0 when clean, 3 with warnings, 2 on errors. Example: baraza check Surveys/demo.yml"
    )
    @Argument(help: "The consultation file (YAML).") var consultation: String
    @Flag(help: "Print one JSON document on stdout.") var json = false

    @Flag(help: "Let the consultation file's paths leave its folder tree, as allow_outside: true in the file does.")
    var allowOutside = false

    func run() throws {
        let c = try loadConsultation(consultation, allowOutside: allowOutside)
        let report = ConsultationChecker.check(c)
        if json {
            Terminal.json(report)
        } else {
            for f in report.findings {
                let loc = f.line.map { ":\($0)" + (f.column.map { ":\($0)" } ?? "") } ?? ""
                Terminal.err("\(f.file)\(loc): \(f.severity): \(f.message)")
            }
            Terminal.err(
                "checked \(report.files) files, \(report.records) records: \(report.errors) errors, \(report.warnings) warnings"
            )
        }
        if report.errors > 0 { throw ExitCode(Exit.usage) }
        if report.warnings > 0 { throw ExitCode(Exit.needsPerson) }
    }
}

struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import export files into the consultation's store (all sources when no file is named).",
        discussion:
            "Each file is one batch, imported all or nothing; the same bytes twice are a no-op.\nExample: baraza import Surveys/demo.yml Surveys/kenya/baseline_kobo.csv --wave baseline"
    )
    @Argument(help: "The consultation file (YAML).") var consultation: String
    @Argument(help: "Files to import; default: every source file of the consultation.") var files: [String] = []
    @Option(help: "Wave for these files (overrides the source's).") var wave: String?
    @Option(help: "Country for these files (overrides the source's).") var country: String?
    @Option(help: "Seconds to wait for another command's lock on the store before giving up.") var wait: Double = 0
    @Flag(help: "Print one JSON document on stdout.") var json = false

    @Flag(help: "Let the consultation file's paths leave its folder tree, as allow_outside: true in the file does.")
    var allowOutside = false

    func run() throws {
        let c = try loadConsultation(consultation, allowOutside: allowOutside)
        let lock = try lockStore(c, .exclusive, wait: wait)
        defer { lock.release() }
        let store = try openStore(c)
        let job = ImportJob(consultation: c, store: store)
        var d = Diagnostics()
        let targets = files.isEmpty ? job.sourceFiles() : files.map { ($0, job.source(for: $0)) }
        let results = targets.map { job.importFile($0.0, source: $0.1, wave: wave, country: country, diagnostics: &d) }
        let rejectsWritten = writeRejects(job, c)
        finish(results, d, json: json, rejects: rejectsPath(c))
        if !rejectsWritten { throw ExitCode(Exit.failed) }
        let code = importExitCode(results)
        if code != 0 { throw ExitCode(code) }
    }
}

/// Writes the rejects file; on failure says so (the rows stay in the store) and returns false.
func writeRejects(_ job: ImportJob, _ c: Consultation) -> Bool {
    do {
        try job.writeRejectsFile(to: rejectsPath(c))
        return true
    } catch {
        Terminal.err(
            "error: cannot write the rejects file: \(error); the rejected rows are kept in the store "
                + "(see baraza batches) and the file will be written by the next import"
        )
        return false
    }
}

func rejectsPath(_ c: Consultation) -> String { RunJob.rejectsPath(c) }

/// Prints results and exits with the contract's code.
func finish(_ results: [FileImportResult], _ d: Diagnostics, json: Bool, rejects: String) {
    if json {
        Terminal.json(results)
    } else {
        Terminal.print(d)
        for r in results {
            switch r.outcome {
            case .imported:
                Terminal.err(
                    "imported \(r.path): batch \(r.batch ?? 0), \(r.responses) responses, \(r.rejected) rejected, "
                        + "\(r.duplicates) duplicates, \(r.superseded) superseded"
                )
                let read = r.records
                if r.noGroup > 0 {
                    Terminal.err(
                        "  needs a person: \(r.noGroup) of \(read) respondents (\(percent(r.noGroup, read))) "
                            + "\(r.noGroup == 1 ? "has" : "have") no stakeholder group; "
                            + "add their answers to a group's synonyms"
                    )
                }
                if r.unknownLabels > 0 {
                    let what = r.unknownLabels == 1 ? "1 answer matches" : "\(r.unknownLabels) answers match"
                    Terminal.err(
                        "  needs a person: \(what) no scale label (counted as missing); " + "see the warnings above"
                    )
                }
            case .skipped: Terminal.err("skipped \(r.path): \(r.message ?? "")")
            case .failed: Terminal.err("FAILED \(r.path): \(r.message ?? "")")
            }
        }
        let incomplete = results.reduce(0) { $0 + $1.incomplete }
        let rejected = results.reduce(0) { $0 + $1.rejected } - incomplete
        if rejected > 0 { Terminal.err("\(rejected) rows rejected; see \(rejects)") }
        if incomplete > 0 {
            Terminal.err(
                "\(incomplete) responses never submitted left out (kept in \(rejects)); "
                    + "include_incomplete: true on the source counts them"
            )
        }
    }
}

/// "87%" of a part in a whole (whole > 0), "<1%" for a small non-zero share.
func percent(_ part: Int, _ whole: Int) -> String {
    guard whole > 0 else { return "–" }
    let p = Double(part) / Double(whole) * 100
    return p > 0 && p < 1 ? "<1%" : String(format: "%.0f%%", p)
}

func importExitCode(_ results: [FileImportResult]) -> Int32 { ExitStatus.of(results) }

extension Import {
    mutating func validate() throws { if let w = wave, w.isEmpty { throw ValidationError("--wave must not be empty") } }
}

struct Batches: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List imported batches with their counts and status.",
        discussion: "Example: baraza batches Surveys/demo.yml --json"
    )
    @Argument(help: "The consultation file (YAML).") var consultation: String
    @Flag(help: "Print one JSON document on stdout.") var json = false

    @Option(help: "Seconds to wait for a command writing the store.") var wait: Double = readerWait

    func run() throws {
        let c = try loadConsultation(consultation)
        let lock = try lockStore(c, .shared, wait: wait)
        defer { lock.release() }
        let batches = try openStore(c).batches()
        if json {
            Terminal.json(batches)
            return
        }
        Terminal.out("batch  responses  superseded  rejected  duplicates  status                 file")
        for b in batches {
            Terminal.out(
                String(
                    format: "%5lld  %9d  %10d  %8d  %10d  %-21@  %@",
                    b.id,
                    b.responses,
                    b.superseded,
                    b.rejected,
                    b.duplicates,
                    b.status as NSString,
                    b.path as NSString
                )
            )
        }
    }
}

struct Rollback: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Remove a batch and everything it brought, restoring what it superseded.",
        discussion: "Example: baraza rollback Surveys/demo.yml 3"
    )
    @Argument(help: "The consultation file (YAML).") var consultation: String
    @Argument(help: "The batch id (see `baraza batches`).") var batch: Int64
    @Option(help: "Seconds to wait for another command's lock on the store before giving up.") var wait: Double = 0

    func run() throws {
        let c = try loadConsultation(consultation)
        let lock = try lockStore(c, .exclusive, wait: wait)
        defer { lock.release() }
        let store = try openStore(c)
        do {
            let b = try store.rollback(batch: batch)
            Terminal.err(
                "rolled back batch \(b.id) (\(b.path)): \(b.responses) responses removed, \(b.superseded) earlier submissions count again"
            )
        } catch {
            Terminal.err("\(error)")
            throw ExitCode(Exit.usage)
        }
    }
}

struct ReportOptions: ParsableArguments {
    @Option(help: "Breakdown: any of group,country,wave (default: the consultation's report.by).") var by: String?
    @Option(help: "Output folder (default: the consultation's report.out).") var out: String?
    @Option(help: "Formats to write: html,md,csv,json,xlsx,pdf.") var format = "html,md,csv,json"
    @Option(help: "The report's date, yyyy-MM-dd (default: the last day of fieldwork).") var date: String?
    @Option(help: "Seconds to wait for a command writing the store.") var wait: Double = readerWait
    @Flag(help: "Let the consultation file's paths leave its folder tree, as allow_outside: true in the file does.")
    var allowOutside = false

    func dimensions() throws -> [String]? {
        guard let by else { return nil }
        let dims = by.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        for d in dims where !["group", "country", "wave"].contains(d) {
            throw ValidationError("--by: unknown dimension '\(d)' (expected group, country or wave)")
        }
        return dims
    }

    func reportDate() throws -> String? {
        guard let date else { return nil }
        guard ReportDate.isValid(date) else {
            throw ValidationError("--date: '\(date)' is not a date (expected yyyy-MM-dd)")
        }
        return date
    }

    func formats() throws -> ReportFormats {
        switch ReportFormats.parse(format) {
        case .success(let f): return f
        case .failure(let e): throw ValidationError("--format: \(e)")
        }
    }
}

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the comparison report from the store.",
        discussion: "Example: baraza report Surveys/demo.yml --by group,wave --out Reports/demo-waves"
    )
    @Argument(help: "The consultation file (YAML).") var consultation: String
    @OptionGroup var options: ReportOptions

    func validate() throws {
        _ = try options.dimensions()
        _ = try options.formats()
        _ = try options.reportDate()
    }

    func run() throws {
        let c = try loadConsultation(consultation, allowOutside: options.allowOutside)
        let lock = try lockStore(c, .shared, wait: options.wait)
        defer { lock.release() }
        var job = ReportJob(consultation: c, store: try openStore(c))
        job.date = try options.reportDate()
        do {
            let files = try job.write(by: options.dimensions(), out: options.out, formats: options.formats())
            Terminal.err(
                "report written: \((job.outputDirectory(options.out) as NSString).standardizingPath) (\(files.count) files)"
            )
        } catch let e as ValidationError { throw e } catch let e as ReportError {
            if case .noChromium = e {
                Terminal.err("report written without its PDF: \(e)")
                throw ExitCode(Exit.usage)
            }
            if case .printFailed = e {
                Terminal.err("report written without its PDF: \(e)")
                throw ExitCode(Exit.failed)
            }
            Terminal.err("report not written: \(e)")
            if case .notAReportFolder = e { throw ExitCode(Exit.usage) }
            if case .noChromium = e { throw ExitCode(Exit.usage) }
            throw ExitCode(Exit.failed)
        } catch {
            Terminal.err("report failed, previous report left in place: \(error)")
            throw ExitCode(Exit.failed)
        }
    }
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The scheduled job: import every source file not yet imported, then refresh the report.",
        discussion:
            "Takes a lock beside the store so two runs never interleave.\nExample: baraza run Surveys/demo.yml --log /var/log/baraza.jsonl"
    )
    @Argument(help: "The consultation file (YAML).") var consultation: String
    @Option(help: "Append JSON-lines events to this file.") var log: String?
    @Option(help: "Seconds to wait for another run's lock before giving up.") var wait: Double = 0
    @Flag(help: "Print the import results as one JSON document on stdout.") var json = false
    @Option(help: "The report's date, yyyy-MM-dd (default: the last day of fieldwork).") var date: String?

    @Flag(help: "Let the consultation file's paths leave its folder tree, as allow_outside: true in the file does.")
    var allowOutside = false

    func validate() throws {
        if let date, !ReportDate.isValid(date) {
            throw ValidationError("--date: '\(date)' is not a date (expected yyyy-MM-dd)")
        }
    }

    func run() throws {
        let c = try loadConsultation(consultation, allowOutside: allowOutside)
        let lock = try lockStore(c, .exclusive, wait: wait)
        defer { lock.release() }
        var job = RunJob(consultation: c, store: try openStore(c), events: EventLog(path: log))
        job.reportDate = date
        if Terminal.isTTY && log == nil {
            job.progress = { file, n in FileHandle.standardError.write(Data("\r\(file): \(n) records…".utf8)) }
        }
        let outcome = job.run()
        finish(outcome.imports, outcome.diagnostics, json: json, rejects: RunJob.rejectsPath(c))
        if let error = outcome.rejectsError {
            Terminal.err(
                "error: cannot write the rejects file: \(error); the rejected rows are kept in the store "
                    + "(see baraza batches) and the file will be written by the next import"
            )
        }
        if let (dir, _) = outcome.report {
            let imported = outcome.imports.filter { $0.outcome == .imported }.count
            Terminal.err(
                "done: \(imported) files imported, \(outcome.imports.count - imported) already in the store; report in \(dir)"
            )
        }
        if let error = outcome.reportError { Terminal.err("report failed, previous report left in place: \(error)") }
        if outcome.exitStatus != ExitStatus.done { throw ExitCode(outcome.exitStatus) }
    }
}

struct Synth: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a synthetic consultation (deterministic): exports in three shapes and the consultation file.",
        discussion: "Example: baraza synth --out Surveys"
    )
    @Option(help: "Multiply every group's size by this (1 = about 200 respondents).") var rows: Int = 1
    @Option(help: "Random seed.") var seed: UInt64 = 20_240_301
    @Option(help: "Folder to write into.") var out: String

    func validate() throws { if rows < 1 { throw ValidationError("--rows must be at least 1") } }

    func run() throws {
        do {
            let files = try DemoGenerator(seed: seed, scale: rows).write(to: out)
            Terminal.err("wrote \(files.count) files to \(out) (consultation file: \(out)/demo.yml)")
        } catch {
            Terminal.err("\(out): cannot write: \(error)")
            throw ExitCode(Exit.failed)
        }
    }
}

struct Explain: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show why a response's open answers got their codes (rule and matched span).",
        discussion: "Example: baraza explain Surveys/demo.yml uuid:5f2b0001-8c1d-4e7a-9b3f-000000001eef"
    )
    @Argument(help: "The consultation file (YAML).") var consultation: String
    @Argument(help: "The respondent id.") var respondent: String

    func run() throws {
        let c = try loadConsultation(consultation)
        let lock = try lockStore(c, .shared, wait: readerWait)
        defer { lock.release() }
        let rows = try Explainer.explain(c, store: try openStore(c), respondentID: respondent)
        if rows.isEmpty {
            Terminal.err("no open answers for respondent '\(respondent)'")
            throw ExitCode(Exit.usage)
        }
        for r in rows { Terminal.out("\(r.question): \(r.code ?? "no code") ← \(r.reason)") }
    }
}
