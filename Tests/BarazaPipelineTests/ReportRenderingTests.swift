import BarazaReporting
import BarazaTestSupport
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
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
        let r = try Self.run(
            try #require(Self.which("python3")),
            ["-c", script, Self.root + "/docs/summary.schema.json", Self.root + "/Reports/demo/summary.json"]
        )
        #expect(r.status == 0, "\(r.err)")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
        #expect((doc["errors"] as? [String]) == [], "\(doc["errors"] ?? "")")
        #expect((doc["leakErrors"] as? Int ?? 0) > 0)
    }

    @Test(.enabled(if: which("chromium") != nil, "chromium is not installed (apt-get install chromium)"))
    func theDemoReportRendersInABrowserWithItsTitleAndEveryTheme() throws {
        let page = "file://" + Self.root + "/Reports/demo/index.html"
        let r = try Self.run(
            try #require(Self.which("chromium")),
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-dev-shm-usage",
                "--dump-dom", page,
            ]
        )
        #expect(r.status == 0)
        #expect(
            r.out.contains("<h1>Scaling up local solutions: stakeholder consultation, Kenya and Senegal (demo)</h1>")
        )
        for theme in [
            "Enabling policies and regulation", "Market development", "Local capacity development", "Access to finance",
            "Learning and knowledge sharing",
        ] { #expect(r.out.contains("<h2>\(theme)</h2>"), "\(theme)") }
        #expect(r.out.contains("<svg"))
        // Self-contained: nothing is fetched from the network.
        #expect(!r.out.contains("src=\"http") && !r.out.contains("href=\"http"))
    }

    static func chromium(_ page: String) throws -> (status: Int32, out: String, err: String) {
        try Self.run(
            try #require(Self.which("chromium")),
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-dev-shm-usage",
                "--enable-logging=stderr", "--v=0", "--dump-dom", page,
            ]
        )
    }

    /// The report's Content-Security-Policy holds in a real browser: the report itself breaks no
    /// rule of it (no console complaint), and a script or handler put into it does not run; without
    /// the policy the same page runs it, so the check can fail.
    @Test(.enabled(if: which("chromium") != nil, "chromium is not installed (apt-get install chromium)"))
    func theReportsContentSecurityPolicyHoldsInABrowser() throws {
        let html = try String(contentsOfFile: Self.root + "/Reports/demo/index.html", encoding: .utf8)
        #expect(
            html.contains(
                "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">"
            )
        )
        let clean = try Self.chromium("file://" + Self.root + "/Reports/demo/index.html")
        #expect(clean.status == 0)
        #expect(!clean.err.contains("Content Security Policy"), "\(clean.err.prefix(2000))")

        let dir = URL(fileURLWithPath: scratchDirectory).appendingPathComponent("csp-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let attack = "<body>\n<img src=x onerror=\"document.title='PWNED'\"><script>document.title='PWNED'</script>"
        let injected = html.replacingOccurrences(of: "<body>\n", with: attack + "\n")
        try Data(injected.utf8).write(to: URL(fileURLWithPath: dir + "/with-policy.html"))
        let unprotected = injected.replacingOccurrences(
            of: "http-equiv=\"Content-Security-Policy\"",
            with: "name=\"x\""
        )
        try Data(unprotected.utf8).write(to: URL(fileURLWithPath: dir + "/without-policy.html"))
        let blocked = try Self.chromium("file://" + dir + "/with-policy.html")
        #expect(blocked.status == 0 && blocked.out.contains("<h1>") && !blocked.out.contains("PWNED</title>"))
        #expect(blocked.err.contains("Content Security Policy"))
        let ran = try Self.chromium("file://" + dir + "/without-policy.html")
        #expect(ran.out.contains("<title>PWNED</title>"), "the injected script did not run even without the policy")
    }

    /// Every chart of the demo report renders in a browser with its title and a text alternative:
    /// the main body's theme scores with intervals, pairwise effects, change between waves and
    /// multiple-choice bars, and the annex's answer bars.
    @Test(.enabled(if: which("chromium") != nil, "chromium is not installed (apt-get install chromium)"))
    func everyChartRendersWithItsTitleAndATextAlternative() throws {
        let dom = try Self.chromium("file://" + Self.root + "/Reports/demo/index.html").out
        var titles = [
            "Theme score (mean, 1–5) by stakeholder group", "Change in theme scores from baseline to follow-up",
        ]
        for theme in [
            "Enabling policies and regulation", "Market development", "Local capacity development", "Access to finance",
            "Learning and knowledge sharing",
        ] { titles += ["\(theme): theme score by group", "\(theme): how far apart each pair of groups is"] }
        titles += ["Support received in the last 12 months", "Channels used to share information"]
        titles += [
            "Main barriers to scaling up: access to finance codes by group",
            "Recommendations: enabling policies and regulation codes by group",
        ]
        for title in titles { #expect(dom.contains(">\(Escape.html(title))</title>"), "\(title)") }
        let charts = dom.components(separatedBy: "<svg").count - 1
        #expect(charts >= titles.count)
        #expect(dom.components(separatedBy: "<desc").count - 1 == charts, "every chart has a text alternative")
        #expect(dom.components(separatedBy: "<figcaption>").count - 1 == charts, "every chart has a caption")
    }

    /// The demo report's main body (before the annex) prints to at most twelve A4 pages in Chromium.
    @Test(.enabled(if: which("chromium") != nil, "chromium is not installed (apt-get install chromium)"))
    func theMainBodyPrintsToAtMostTwelveA4Pages() throws {
        let html = try String(contentsOfFile: Self.root + "/Reports/demo/index.html", encoding: .utf8)
        let annex = try #require(html.range(of: "<section id=\"annex-items\""))
        let end = try #require(html.range(of: "</body>"))
        let main = String(html[..<annex.lowerBound]) + String(html[end.lowerBound...])
        let dir = URL(fileURLWithPath: scratchDirectory).appendingPathComponent("print-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try Data(main.utf8).write(to: URL(fileURLWithPath: dir + "/main.html"))
        for (name, page) in [("main", dir + "/main.html"), ("whole", Self.root + "/Reports/demo/index.html")] {
            let r = try Self.run(
                try #require(Self.which("chromium")),
                [
                    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-dev-shm-usage",
                    "--no-pdf-header-footer", "--print-to-pdf=\(dir)/\(name).pdf", "file://" + page,
                ]
            )
            #expect(r.status == 0, "\(r.err.suffix(500))")
        }
        func pages(_ name: String) throws -> (count: Int, a4: Bool) {
            let pdf = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/\(name).pdf"))
            let text = String(decoding: pdf, as: UTF8.self)
            // Page objects ("/Type /Page", not "/Pages") and their size in points (A4: 595 × 842).
            let count = text.components(separatedBy: "/Type /Page").dropFirst().filter { !$0.hasPrefix("s") }.count
            return (count, text.contains("/MediaBox [0 0 594.9") || text.contains("/MediaBox [0 0 595"))
        }
        let body = try pages("main")
        let whole = try pages("whole")
        #expect(body.count >= 6 && body.count <= 12, "the main body prints to \(body.count) pages")
        #expect(body.a4, "A4 pages")
        #expect(whole.count > body.count, "the annex follows on pages of its own")
    }

    /// At a phone's width (390 px) and a laptop's (1280 px) no part of the page scrolls sideways: wide
    /// tables scroll in their own box and charts scale. The report is measured in a frame of that
    /// width (headless Chromium's window is at least 500 px wide); without the tables' boxes the same
    /// check finds the page wider than the frame, so it can fail.
    @Test(.enabled(if: which("chromium") != nil, "chromium is not installed (apt-get install chromium)"))
    func theReportFitsAPhoneAndALaptopWithoutScrollingSideways() throws {
        let dir = URL(fileURLWithPath: scratchDirectory).appendingPathComponent("screen-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let html = try String(contentsOfFile: Self.root + "/Reports/demo/index.html", encoding: .utf8)
        try Data(html.utf8).write(to: URL(fileURLWithPath: dir + "/report.html"))
        let unboxed = html.replacingOccurrences(of: ".scroll{overflow-x:auto;max-width:100%}", with: "")
        try Data(unboxed.utf8).write(to: URL(fileURLWithPath: dir + "/unboxed.html"))
        func measure(_ page: String, width: Int) throws -> (scroll: Int, client: Int) {
            let frame = """
                <!doctype html><html><head><title>probe</title></head><body style="margin:0">
                <iframe id="f" src="\(page)" style="width:\(width)px;height:800px;border:0"></iframe>
                <script>document.getElementById('f').onload = function () {
                  var d = this.contentDocument.documentElement; document.title = 'W' + d.scrollWidth + '/' + d.clientWidth;
                };</script></body></html>
                """
            try Data(frame.utf8).write(to: URL(fileURLWithPath: dir + "/frame.html"))
            let r = try Self.run(
                try #require(Self.which("chromium")),
                [
                    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-dev-shm-usage",
                    "--allow-file-access-from-files", "--window-size=1400,900", "--virtual-time-budget=5000",
                    "--dump-dom", "file://" + dir + "/frame.html",
                ]
            )
            let title = try #require(r.out.range(of: "<title>W"))
            let rest = r.out[title.upperBound...].prefix { $0 != "<" }
            let parts = rest.split(separator: "/").compactMap { Int($0) }
            try #require(parts.count == 2, "\(rest)")
            return (parts[0], parts[1])
        }
        for width in [390, 1280] {
            let m = try measure("report.html", width: width)
            #expect(m.scroll <= m.client, "at \(width) px the page is \(m.scroll) px wide in \(m.client)")
        }
        let broken = try measure("unboxed.html", width: 390)
        #expect(broken.scroll > broken.client, "the check finds a page that does scroll sideways")
    }

    /// Every chart is also a file of its own under figures/, linked beside the chart, and each file
    /// is a self-contained SVG document (well-formed, its title, description and fonts inside).
    @Test func everyChartIsAFigureFileLinkedFromTheReport() throws {
        let html = try String(contentsOfFile: Self.root + "/Reports/demo/index.html", encoding: .utf8)
        let linked = html.components(separatedBy: "href=\"figures/").dropFirst()
            .compactMap { $0.split(separator: "\"").first }.map(String.init)
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.root + "/Reports/demo/figures").sorted()
        #expect(Set(linked) == Set(files))
        #expect(linked.count == html.components(separatedBy: "<figure>").count - 1, "one file per chart")
        for f in files {
            let data = try Data(contentsOf: URL(fileURLWithPath: Self.root + "/Reports/demo/figures/" + f))
            let svg = String(decoding: data, as: UTF8.self)
            #expect(svg.hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg "), "\(f)")
            #expect(svg.contains("xmlns=\"http://www.w3.org/2000/svg\""), "\(f)")
            #expect(svg.contains("<title id=") && svg.contains("<desc id=") && svg.contains("font-family:"), "\(f)")
            let parser = XMLParser(data: data)
            #expect(parser.parse(), "\(f): \(parser.parserError.map { "\($0)" } ?? "")")
        }
    }
}
