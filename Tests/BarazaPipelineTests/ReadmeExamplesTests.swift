import BarazaTestSupport
import Foundation
import Testing

/// Every `baraza …` example in the README's Examples block runs on the demo as written (issue 30):
/// exit 0, or 3 where the README says so; none fails or is refused.
@Suite(.serialized) struct ReadmeExamplesTests {
    static let readme: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return (try? String(contentsOf: url.appendingPathComponent("README.md"), encoding: .utf8)) ?? ""
    }()

    /// The commands of the fenced block after "Examples", comments dropped, split into words.
    static func examples() -> [[String]] {
        guard let start = readme.range(of: "Examples ("),
            let open = readme.range(of: "```sh\n", range: start.upperBound..<readme.endIndex),
            let close = readme.range(of: "```", range: open.upperBound..<readme.endIndex)
        else { return [] }
        return readme[open.upperBound..<close.lowerBound].split(separator: "\n")
            .compactMap { line in
                let command = line.split(separator: "#", maxSplits: 1).first.map(String.init) ?? ""
                let words = command.split(separator: " ").map(String.init)
                return words.first == "baraza" ? Array(words.dropFirst()) : nil
            }
    }

    @Test func everyExampleRunsOnTheDemo() throws {
        let commands = Self.examples()
        #expect(commands.count >= 8, "the README's Examples block was not found")
        let dir = URL(fileURLWithPath: scratchDirectory).appendingPathComponent("readme-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        #expect(try CLITests.run(["synth", "--out", dir + "/Surveys"]).status == 0)
        #expect(try CLITests.run(["run", dir + "/Surveys/demo.yml"]).status == 3)
        // The files the examples name that the demo does not have: a new batch, two codings.
        try FileManager.default.copyItem(
            atPath: dir + "/Surveys/kenya/baseline_kobo.csv",
            toPath: dir + "/new_batch.csv"
        )
        let coding = "response_id,question,code\nr1,barriers,credit_cost\nr2,barriers,corruption\n"
        try Data(coding.utf8).write(to: URL(fileURLWithPath: dir + "/rules.csv"))
        try Data(coding.utf8).write(to: URL(fileURLWithPath: dir + "/person.csv"))
        for command in commands {
            let r = try CLITests.run(command, cwd: dir)
            #expect(r.status == 0 || r.status == 3, "baraza \(command.joined(separator: " ")): \(r.status) \(r.err)")
        }
    }
}
