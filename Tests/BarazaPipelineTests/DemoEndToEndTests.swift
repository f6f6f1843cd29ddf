import BarazaCoding
import BarazaModel
import BarazaStore
import BarazaSynth
import BarazaTestSupport
import BarazaIngest
import Foundation
import Testing
@testable import BarazaPipeline

/// The demo consultation from raw exports to a report, checked against figures this test
/// computes itself from the raw files (its own CSV and XML reading, its own label tables).
struct DemoEndToEndTests {
    static let packageRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url
    }()

    static func tempDir() throws -> String {
        let dir = URL(fileURLWithPath: scratchDirectory).appendingPathComponent("baraza-e2e-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Synthesises the demo and runs import + report into `dir/report`.
    static func runDemo(in dir: String) throws -> (Consultation, [FileImportResult]) {
        _ = try DemoGenerator().write(to: dir + "/Surveys")
        let c = try ConsultationLoader.load(path: dir + "/Surveys/demo.yml")
        let store = try SQLiteStore(path: c.storePath)
        var job = ImportJob(consultation: c, store: store)
        job.now = { Date(timeIntervalSince1970: 0) }
        var d = Diagnostics()
        let results = job.sourceFiles().map { job.importFile($0.path, source: $0.source, diagnostics: &d) }
        _ = try ReportJob(consultation: c, store: store).write(out: dir + "/report")
        return (c, results)
    }

    // MARK: an independent reading of the raw files

    static func splitCSV(_ text: String, _ delimiter: Character) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var quoted = false
        var chars = Array(text)[...]
        while let c = chars.popFirst() {
            if quoted {
                if c == "\"" {
                    if chars.first == "\"" {
                        field.append("\"")
                        chars.removeFirst()
                    } else {
                        quoted = false
                    }
                } else {
                    field.append(c)
                }
            } else if c == "\"" {
                quoted = true
            } else if c == delimiter {
                row.append(field)
                field = ""
            } else if c == "\r\n" || c == "\n" {
                row.append(field)
                rows.append(row)
                row = []
                field = ""
            } else {
                field.append(c)
            }
        }
        if !field.isEmpty || !row.isEmpty {
            row.append(field)
            rows.append(row)
        }
        return rows
    }

    static let values: [String: Double] = [
        "Strongly disagree": 1, "Disagree": 2, "Neither agree nor disagree": 3, "Agree": 4, "Strongly agree": 5,
        "Pas du tout d'accord": 1, "Plutôt pas d'accord": 2, "Ni d'accord ni pas d'accord": 3, "Plutôt d'accord": 4,
        "Tout à fait d'accord": 5, "strongly_disagree": 1, "disagree": 2, "neutral": 3, "agree": 4, "strongly_agree": 5,
    ]
    static let groups: [String: String] = [
        "Ministry": "government", "Local government": "government", "County Government of Kisumu": "government",
        "National government": "government", "Ministère du Plan": "government", "Collectivité locale": "government",
        "Ministère de l'Agriculture": "government", "ministry": "government", "local_government": "government",
        "Private company": "private_sector", "Chamber of Commerce": "private_sector",
        "Social enterprise": "private_sector", "Entreprise privée": "private_sector",
        "Chambre de commerce": "private_sector", "Coopérative": "private_sector", "private_company": "private_sector",
        "social_enterprise": "private_sector", "Local NGO": "cso", "Community group": "cso", "Women's group": "cso",
        "Civil society organisation": "cso", "ONG locale": "cso", "Association communautaire": "cso",
        "Groupement de femmes": "cso", "local_ngo": "cso", "community_group": "cso",
        "Bilateral donor": "development_partner", "UN agency": "development_partner",
        "International NGO": "development_partner", "Agence des Nations Unies": "development_partner",
        "Bailleur bilatéral": "development_partner", "bilateral_donor": "development_partner",
        "un_agency": "development_partner",
    ]

    /// pol1 answers per group from all raw files (the edited XML submission replaces its original).
    static func rawPol1(_ surveys: String) throws -> [String: [Double]] {
        var out: [String: [Double]] = [:]
        func add(_ rawGroup: String, _ label: String) {
            guard let g = groups[rawGroup], let v = values[label] else { return }
            out[g, default: []].append(v)
        }
        let kobo = splitCSV(try String(contentsOfFile: surveys + "/kenya/baseline_kobo.csv", encoding: .utf8), ";")
        let kg = try #require(kobo[0].firstIndex(of: "org_type"))
        let kq = try #require(kobo[0].firstIndex(of: "grp_policy/pol1"))
        for r in kobo.dropFirst() { add(r[kg], r[kq]) }
        for name in ["baseline_surveymonkey.csv", "followup_surveymonkey.csv"] {
            let sm = splitCSV(try String(contentsOfFile: surveys + "/senegal/" + name, encoding: .utf8), ",")
            let sg = try #require(sm[0].firstIndex(of: "Type d'organisation"))
            let sq = try #require(sm[0].firstIndex { $0.hasPrefix("pol1.") })
            for r in sm.dropFirst(2) { add(r[sg], r[sq]) }
        }
        let dir = surveys + "/kenya/followup"
        var subs: [(id: String, replaces: String?, group: String, pol1: String)] = []
        for f in try FileManager.default.contentsOfDirectory(atPath: dir).sorted() {
            let x = try String(contentsOfFile: dir + "/" + f, encoding: .utf8)
            func tag(_ t: String) -> String? {
                guard let a = x.range(of: "<\(t)>"), let b = x.range(of: "</\(t)>", range: a.upperBound..<x.endIndex)
                else { return nil }
                return String(x[a.upperBound..<b.lowerBound])
            }
            subs.append((tag("instanceID") ?? f, tag("deprecatedID"), tag("org_type") ?? "", tag("pol1") ?? ""))
        }
        let replaced = Set(subs.compactMap(\.replaces))
        for s in subs where !replaced.contains(s.id) { add(s.group, s.pol1) }
        return out
    }

    @Test func reportFiguresEqualWhatTheRawFilesSay() throws {
        let dir = try Self.tempDir()
        let (_, results) = try Self.runDemo(in: dir)
        #expect(results.allSatisfy { $0.outcome == .imported })
        #expect(results.reduce(0) { $0 + $1.superseded } == 1)
        let expected = try Self.rawPol1(dir + "/Surveys")
        let items = Self.splitCSV(try String(contentsOfFile: dir + "/report/tables/items.csv", encoding: .utf8), ",")
        let h = items[0]
        let (mi, gi, ci, ni, meani, topi) = (
            h.firstIndex(of: "measure")!, h.firstIndex(of: "group")!, h.firstIndex(of: "country")!,
            h.firstIndex(of: "n")!, h.firstIndex(of: "mean")!, h.firstIndex(of: "top2_share")!
        )
        var checked = 0
        for row in items.dropFirst() where row[mi] == "pol1" && row[ci].isEmpty && !row[gi].isEmpty {
            let raw = try #require(expected[row[gi]])
            #expect(Int(row[ni]) == raw.count, "n for \(row[gi])")
            let mean = raw.reduce(0, +) / Double(raw.count)
            #expect(abs((Double(row[meani]) ?? .nan) - mean) < 1e-6, "mean for \(row[gi])")
            let top = Double(raw.filter { $0 >= 4 }.count) / Double(raw.count)
            #expect(abs((Double(row[topi]) ?? .nan) - top) < 1e-6, "top-2-box for \(row[gi])")
            checked += 1
        }
        #expect(checked == 4)
        // One group in one country is below min_cell and carries no figures.
        let small = items.dropFirst()
            .filter { $0[mi] == "pol1" && $0[gi] == "development_partner" && $0[ci] == "Senegal" }
        #expect(small.count == 1 && small[0][h.firstIndex(of: "suppressed")!] == "true" && small[0][ni].isEmpty)
    }

    @Test func reImportingIsANoOpAndCountsStay() throws {
        let dir = try Self.tempDir()
        let (c, _) = try Self.runDemo(in: dir)
        let store = try SQLiteStore(path: c.storePath)
        let before = try store.responseCounts()
        let job = ImportJob(consultation: c, store: store)
        var d = Diagnostics()
        let again = job.sourceFiles().map { job.importFile($0.path, source: $0.source, diagnostics: &d) }
        #expect(again.allSatisfy { $0.outcome == .skipped })
        // The same bytes under another name are recognised too.
        try FileManager.default.copyItem(
            atPath: dir + "/Surveys/kenya/baseline_kobo.csv",
            toPath: dir + "/Surveys/copy.csv"
        )
        let copy = job.importFile(
            dir + "/Surveys/copy.csv",
            source: job.source(for: dir + "/Surveys/copy.csv"),
            diagnostics: &d
        )
        #expect(copy.outcome == .skipped)
        #expect(try store.responseCounts() == before)
        #expect(before.active == 192 && before.superseded == 1)
        // Digests computed while importing (no batch had the file's size) are the files' own.
        // (A folder of submissions is one batch, whose digest is made from its files'.)
        for b in try store.batches() {
            let path = dir + "/Surveys/" + b.path.replacingOccurrences(of: "Surveys/", with: "")
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue else {
                continue
            }
            #expect(b.sha256 == (try FileDigest.sha256(path: path)).hex)
        }
        // Other bytes of the same size as a batch are imported (the digest is taken first then).
        var bytes = try Array(Data(contentsOf: URL(fileURLWithPath: dir + "/Surveys/kenya/baseline_kobo.csv")))
        let at = try #require(bytes.lastIndex(of: UInt8(ascii: "4")))
        bytes[at] = UInt8(ascii: "5")
        try Data(bytes).write(to: URL(fileURLWithPath: dir + "/Surveys/edited.csv"))
        let edited = job.importFile(
            dir + "/Surveys/edited.csv",
            source: job.source(for: dir + "/Surveys/edited.csv"),
            diagnostics: &d
        )
        #expect(edited.outcome == .imported)
        #expect(
            try store.batch(sha256: (try FileDigest.sha256(path: dir + "/Surveys/edited.csv")).hex)?.id == edited.batch
        )
    }

    /// Regenerating the demo gives byte-identical exports and report to the committed ones.
    /// Set BARAZA_RECORD=1 to re-record Surveys/ and Reports/demo after an intended change.
    @Test func demoReportIsByteIdenticalToTheCommittedOne() throws {
        let dir = try Self.tempDir()
        _ = try Self.runDemo(in: dir)
        let committedSurveys = Self.packageRoot.appendingPathComponent("Surveys").path
        let committedReport = Self.packageRoot.appendingPathComponent("Reports/demo").path
        if ProcessInfo.processInfo.environment["BARAZA_RECORD"] == "1" {
            for (from, to) in [(dir + "/Surveys", committedSurveys), (dir + "/report", committedReport)] {
                try? FileManager.default.removeItem(atPath: to)
                try FileManager.default.copyItem(atPath: from, toPath: to)
            }
            for f in try FileManager.default.contentsOfDirectory(atPath: committedSurveys)
            where f.hasPrefix("demo.sqlite") || f.hasSuffix(".lock") {
                try FileManager.default.removeItem(atPath: committedSurveys + "/" + f)
            }
            return
        }
        func files(_ root: String) throws -> [String] {
            (FileManager.default.enumerator(atPath: root)?.allObjects as? [String] ?? [])
                .filter { !$0.contains("sqlite") && !$0.hasSuffix(".lock") && !$0.hasSuffix(".rejects.csv") }
                .filter {
                    var d: ObjCBool = false
                    _ = FileManager.default.fileExists(atPath: root + "/" + $0, isDirectory: &d)
                    return !d.boolValue
                }
                .sorted()
        }
        for (fresh, committed) in [(dir + "/Surveys", committedSurveys), (dir + "/report", committedReport)] {
            #expect(try files(fresh) == files(committed))
            for f in try files(committed) {
                let a = FileManager.default.contents(atPath: fresh + "/" + f)
                let b = FileManager.default.contents(atPath: committed + "/" + f)
                #expect(a == b, "\(f) differs from the committed file (run with BARAZA_RECORD=1 to re-record)")
            }
        }
    }
}
