import Foundation
import Testing

/// The committed demo report, checked by outside tools: the JSON Schema in docs/ (python's
/// jsonschema) and a real browser (headless Chromium). Each skips, saying why, when its tool is absent;
/// .ci/run installs both.
struct ReportRenderingTests {
    static let root = DemoEndToEndTests.packageRoot.path

    static func which(_ tool: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let p = "\(dir)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }

    static func run(_ exe: String, _ args: [String]) throws -> (status: Int32, out: String, err: String) {
        try CLITests.run(args, executable: exe)
    }

    static let hasJSONSchema: Bool = {
        guard let py = which("python3") else { return false }
        return (try? run(py, ["-c", "import jsonschema"]).status) == 0
    }()

    @Test(.enabled(if: hasJSONSchema, "python3 with jsonschema is not installed"))
    func summaryJSONFollowsTheSchemaAndTheSchemaForbidsFiguresInSuppressedCells() throws {
        let script = """
        import json, sys, jsonschema
        schema = json.load(open(sys.argv[1])); doc = json.load(open(sys.argv[2]))
        jsonschema.Draft202012Validator.check_schema(schema)
        v = jsonschema.Draft202012Validator(schema)
        errors = [f"{e.json_path}: {e.message[:200]}" for e in v.iter_errors(doc)]
        bad = json.loads(json.dumps(doc))
        bad["analysis"]["respondents"][0] = {"cell": {"group": "x"}, "suppressed": True, "answered": 3}
        leaks = len(list(v.iter_errors(bad)))
        print(json.dumps({"errors": errors, "leakErrors": leaks}))
        """
        let r = try Self.run(try #require(Self.which("python3")), ["-c", script, Self.root + "/docs/summary.schema.json", Self.root + "/Reports/demo/summary.json"])
        #expect(r.status == 0, "\(r.err)")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
        #expect((doc["errors"] as? [String]) == [], "\(doc["errors"] ?? "")")
        #expect((doc["leakErrors"] as? Int ?? 0) > 0)
    }

    @Test(.enabled(if: which("chromium") != nil, "chromium is not installed (apt-get install chromium)"))
    func theDemoReportRendersInABrowserWithItsTitleAndEveryTheme() throws {
        let page = "file://" + Self.root + "/Reports/demo/index.html"
        let r = try Self.run(try #require(Self.which("chromium")),
                             ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-dev-shm-usage", "--dump-dom", page])
        #expect(r.status == 0)
        #expect(r.out.contains("<h1>Scaling up local solutions: stakeholder consultation, Kenya and Senegal (demo)</h1>"))
        for theme in ["Enabling policies and regulation", "Market development", "Local capacity development", "Access to finance",
                      "Learning and knowledge sharing"] {
            #expect(r.out.contains("<h2>\(theme)</h2>"), "\(theme)")
        }
        #expect(r.out.contains("<svg"))
        // Self-contained: nothing is fetched from the network.
        #expect(!r.out.contains("src=\"http") && !r.out.contains("href=\"http"))
    }
}
