import BarazaKit
import BarazaModel
import Foundation

/// Writes a synthetic, deterministic multistakeholder consultation: exports in three real shapes
/// (KoboToolbox CSV, SurveyMonkey CSV in French, a folder of ODK XML submissions) for two
/// countries and two waves, plus the consultation file that maps them.
public struct DemoGenerator: Sendable {
    public var seed: UInt64
    /// Scales every group size (1 = the committed demo, about 200 respondents).
    public var scale: Int

    public init(seed: UInt64 = 20_240_301, scale: Int = 1) {
        self.seed = seed
        self.scale = max(1, scale)
    }

    struct Respondent {
        var group: Int
        var rawGroup: String
        var answers: [Int?]  // per item: 1...5 (already as written, reverse items written reversed), nil = blank
        var dontKnow: [Bool]
        var support: [String]
        var channels: [String]
        var barrier: String
        var success: String
        var recommendation: String
        var when: String
    }

    /// Writes everything below `directory`; returns the relative paths written.
    public func write(to directory: String) throws -> [String] {
        var rng = SplitMix64(seed: seed)
        let fm = FileManager.default
        try fm.createDirectory(atPath: directory + "/kenya/followup", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: directory + "/senegal", withIntermediateDirectories: true)
        var written: [String] = []

        let kenyaBase = makeRespondents(
            &rng,
            sizes: [20, 14, 22, 8],
            french: false,
            odk: false,
            wave: 0,
            day: "2026-03-"
        )
        written.append("kenya/baseline_kobo.csv")
        try write(koboCSV(kenyaBase), to: directory + "/kenya/baseline_kobo.csv")

        let kenyaFollow = makeRespondents(
            &rng,
            sizes: [15, 11, 16, 6],
            french: false,
            odk: true,
            wave: 1,
            day: "2026-09-"
        )
        for (i, r) in kenyaFollow.enumerated() {
            let name = String(format: "kenya/followup/submission_%03d.xml", i + 1)
            try write(odkXML(r, index: i + 1, deprecated: nil), to: directory + "/" + name)
            written.append(name)
        }
        // An edited submission: the platform re-sends submission 1 with a new instance id.
        var edited = kenyaFollow[0]
        edited.answers[0] = min(5, (edited.answers[0] ?? 3) + 1)
        edited.when = "2026-09-28T16:05:00.000+03:00"
        try write(
            odkXML(edited, index: kenyaFollow.count + 1, deprecated: instanceID(1)),
            to: directory + String(format: "/kenya/followup/submission_%03d.xml", kenyaFollow.count + 1)
        )
        written.append(String(format: "kenya/followup/submission_%03d.xml", kenyaFollow.count + 1))

        var senBase = makeRespondents(&rng, sizes: [14, 10, 17, 2], french: true, odk: false, wave: 0, day: "2026-04-")
        // A respondent whose organisation type maps to no stakeholder group.
        senBase[senBase.count - 1].rawGroup = "Université"
        try write(surveyMonkeyCSV(senBase, firstID: 114_000_100), to: directory + "/senegal/baseline_surveymonkey.csv")
        written.append("senegal/baseline_surveymonkey.csv")
        let senFollow = makeRespondents(
            &rng,
            sizes: [12, 9, 14, 2],
            french: true,
            odk: false,
            wave: 1,
            day: "2026-10-"
        )
        try write(
            surveyMonkeyCSV(senFollow, firstID: 114_500_200),
            to: directory + "/senegal/followup_surveymonkey.csv"
        )
        written.append("senegal/followup_surveymonkey.csv")

        try write(consultationYAML(), to: directory + "/demo.yml")
        written.append("demo.yml")
        return written
    }

    private func write(_ text: String, to path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    func makeRespondents(_ rng: inout SplitMix64, sizes: [Int], french: Bool, odk: Bool, wave: Int, day: String)
        -> [Respondent]
    {
        var out: [Respondent] = []
        for (g, size) in sizes.enumerated() {
            for _ in 0..<(size * scale) {
                let person = 0.5 * rng.gauss()
                var answers: [Int?] = []
                var dk: [Bool] = []
                for item in DemoContent.items {
                    var mean = DemoContent.bias[g][item.theme] + person
                    if wave == 1 && item.theme == 4 { mean += 0.4 }
                    let v = max(1, min(5, Int((mean + 0.9 * rng.gauss()).rounded())))
                    let u = rng.unit()
                    dk.append(u < 0.05)
                    answers.append(u >= 0.05 && u < 0.08 ? nil : (item.reverse ? 6 - v : v))
                }
                let pools =
                    french
                    ? (DemoContent.barriersFR, DemoContent.successesFR, DemoContent.recommendationsFR)
                    : (DemoContent.barriersEN, DemoContent.successesEN, DemoContent.recommendationsEN)
                let raws = odk ? DemoContent.rawGroupsODK : french ? DemoContent.rawGroupsFR : DemoContent.rawGroupsEN
                let support = DemoContent.support.filter { _ in rng.unit() < 0.4 }
                let channels = DemoContent.channels.filter { _ in rng.unit() < 0.35 }
                let hour = 8 + rng.int(10)
                let minute = rng.int(60)
                let dayN = 2 + rng.int(25)
                out.append(
                    Respondent(
                        group: g,
                        rawGroup: rng.pick(raws[g]),
                        answers: answers,
                        dontKnow: dk,
                        support: support,
                        channels: channels,
                        barrier: rng.unit() < 0.9 ? rng.pick(pools.0) : "",
                        success: rng.unit() < 0.7 ? rng.pick(pools.1) : "",
                        recommendation: rng.unit() < 0.8 ? rng.pick(pools.2) : "",
                        when: String(format: "\(day)%02dT%02d:%02d:00.000+03:00", dayN, hour, minute)
                    )
                )
            }
        }
        // Interleave groups deterministically, as submissions arrive.
        var shuffled = out
        for i in stride(from: shuffled.count - 1, to: 0, by: -1) { shuffled.swapAt(i, rng.int(i + 1)) }
        return shuffled
    }

    static func csvField(_ s: String, _ d: Character) -> String {
        if s.contains(d) || s.contains("\"") || s.contains("\n") || s.contains("\r") {
            return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return s
    }

    func likertLabel(_ r: Respondent, _ i: Int, labels: [String], dk: String) -> String {
        if r.dontKnow[i] { return dk }
        guard let v = r.answers[i] else { return "" }
        return labels[v - 1]
    }

    func instanceID(_ i: Int) -> String { String(format: "uuid:5f2b%04x-8c1d-4e7a-9b3f-%012x", i, i * 7919) }

    func koboCSV(_ rs: [Respondent]) -> String {
        var header = ["start", "end", "org_type"]
        for item in DemoContent.items { header.append("\(DemoContent.koboGroups[item.theme])/\(item.id)") }
        header.append("support")
        for o in DemoContent.support { header.append("support/\(o)") }
        header.append("channels")
        header += [
            "open_barriers", "open_successes", "open_recommendations", "_id", "_uuid", "_submission_time", "_index",
        ]
        var lines = [header.map { Self.csvField($0, ";") }.joined(separator: ";")]
        for (n, r) in rs.enumerated() {
            var row = [r.when, r.when, r.rawGroup]
            for i in DemoContent.items.indices {
                var label = likertLabel(r, i, labels: DemoContent.likertEN, dk: "Don't know")
                // One unrecognised label, as analysts meet them.
                if n == 7 && i == 1 && !label.isEmpty { label = "Agree strongly" }
                row.append(label)
            }
            row.append(r.support.joined(separator: " "))
            for o in DemoContent.support { row.append(r.support.contains(o) ? "1" : "0") }
            row.append(r.channels.joined(separator: " "))
            row += [
                r.barrier, r.success, r.recommendation, String(301_000 + n),
                String(format: "a1f0%04x-77c2-4b1e-8d0a-%012x", n, n * 104_729), String(r.when.prefix(19)),
                String(n + 1),
            ]
            lines.append(row.map { Self.csvField($0, ";") }.joined(separator: ";"))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    func odkXML(_ r: Respondent, index: Int, deprecated: String?) -> String {
        func esc(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;")
        }
        var x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        x +=
            "<data xmlns:jr=\"http://openrosa.org/javarosa\" xmlns:orx=\"http://openrosa.org/xforms\" id=\"scaling_consultation\" version=\"2026090101\">\n"
        x += "  <start>\(r.when)</start>\n  <end>\(r.when)</end>\n  <org_type>\(esc(r.rawGroup))</org_type>\n"
        for (t, g) in DemoContent.koboGroups.enumerated() {
            x += "  <\(g)>\n"
            for (i, item) in DemoContent.items.enumerated() where item.theme == t {
                let v = likertLabel(r, i, labels: DemoContent.likertODK, dk: "dont_know")
                x += v.isEmpty ? "    <\(item.id)/>\n" : "    <\(item.id)>\(v)</\(item.id)>\n"
            }
            x += "  </\(g)>\n"
        }
        x +=
            "  <support>\(r.support.joined(separator: " "))</support>\n  <channels>\(r.channels.joined(separator: " "))</channels>\n"
        x +=
            "  <open_barriers>\(esc(r.barrier))</open_barriers>\n  <open_successes>\(esc(r.success))</open_successes>\n"
        x += "  <open_recommendations>\(esc(r.recommendation))</open_recommendations>\n"
        x += "  <meta>\n    <instanceID>\(instanceID(index))</instanceID>\n"
        if let deprecated { x += "    <deprecatedID>\(deprecated)</deprecatedID>\n" }
        x += "  </meta>\n</data>\n"
        return x
    }

    func surveyMonkeyCSV(_ rs: [Respondent], firstID: Int) -> String {
        var h1 = [
            "Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address", "Email Address", "First Name",
            "Last Name", "Type d'organisation",
        ]
        var h2 = ["", "", "", "", "", "", "", "", "Response"]
        for item in DemoContent.items {
            h1.append("\(item.id). \(item.fr)")
            h2.append("Response")
        }
        for (i, o) in DemoContent.supportFR.enumerated() {
            h1.append(i == 0 ? "Soutiens reçus" : "")
            h2.append(o)
        }
        for (i, o) in DemoContent.channelsFR.enumerated() {
            h1.append(i == 0 ? "Canaux d'information" : "")
            h2.append(o)
        }
        h1 += ["Obstacles", "Réussites", "Recommandations"]
        h2 += ["Open-Ended Response", "Open-Ended Response", "Open-Ended Response"]
        var lines = [
            h1.map { Self.csvField($0, ",") }.joined(separator: ","),
            h2.map { Self.csvField($0, ",") }.joined(separator: ","),
        ]
        for (n, r) in rs.enumerated() {
            let date = sm(r.when)
            var row = [String(firstID + n * 13), "431200777", date, date, "", "", "", "", r.rawGroup]
            for i in DemoContent.items.indices {
                row.append(likertLabel(r, i, labels: DemoContent.likertFR, dk: "Ne sait pas"))
            }
            for (k, o) in DemoContent.support.enumerated() {
                row.append(r.support.contains(o) ? DemoContent.supportFR[k] : "")
            }
            for (k, o) in DemoContent.channels.enumerated() {
                row.append(r.channels.contains(o) ? DemoContent.channelsFR[k] : "")
            }
            row += [r.barrier, r.success, r.recommendation]
            lines.append(row.map { Self.csvField($0, ",") }.joined(separator: ","))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    /// `2026-04-05T10:07:00.000+03:00` → SurveyMonkey's `04/05/2026 10:07:00 AM`.
    func sm(_ iso: String) -> String {
        let p = iso.split(whereSeparator: { "-T:.".contains($0) }).map(String.init)
        let hour = Int(p[3]) ?? 0
        let h12 = hour % 12 == 0 ? 12 : hour % 12
        return "\(p[1])/\(p[2])/\(p[0]) \(String(format: "%02d", h12)):\(p[4]):\(p[5]) \(hour < 12 ? "AM" : "PM")"
    }
}
