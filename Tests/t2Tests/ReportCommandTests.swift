import Foundation
import T2TestSupport
import Tabular
import Testing

#if canImport(FoundationXML)
import FoundationXML
#endif

/// `t2 report` end to end: real results from the real commands (fixtures in Tests/Fixtures), the
/// page they make, and what it must never contain.
@Suite("t2 report command")
struct ReportCommandTests {
    /// Runs t2 and requires success; returns stdout.
    static func t2(_ args: [String], in dir: String? = nil) throws -> String {
        let r = try T2Binary.run(args, directory: dir)
        guard r.status == 0 else {
            throw TestFailure("t2 \(args.joined(separator: " ")) exited \(r.status): \(r.stderr)")
        }
        return r.stdout
    }

    /// The results every test draws: made once per test in a scratch directory.
    static func results(_ dir: ScratchDirectory) throws -> [String: String] {
        var files: [String: String] = [:]
        func save(_ name: String, _ args: [String]) throws {
            files[name] = try dir.write(name, try t2(args))
        }
        try save("plan.json", ["plan", "--format", "json"])
        try save(
            "plan-lifetime.json",
            ["plan", "--budget-flops", "1e22", "--queries", "1e9", "--tokens-per-sample", "256", "--format", "json"]
        )
        try save("sweep.json", ["plan", "--sweep", "1e18:1e24:7", "--inference-flops", "2e9", "--format", "json"])
        try save(
            "fit.json",
            ["fit", Fixtures.chinchillaRuns, "--drop-highest", "5", "--bootstrap", "20", "--format", "json"]
        )
        try save(
            "cost.json",
            [
                "cost", "--model", "llama-3-70b", "--quant", "q4_k_m", "--hardware", "m3-max-40c-64gb", "--format",
                "json",
            ]
        )
        try save(
            "compare.json",
            [
                "cost", "--model", "llama-3.1-8b", "--quant", "fp8", "--hardware", "h100-sxm", "--compare",
                "concurrency=8",
                "--compare", "concurrency=64", "--compare", "hardware=h200", "--format", "json",
            ]
        )
        try save("validate.json", ["cost", "--validate", Fixtures.measurements, "--format", "json"])
        // Three Pythia models' counts (a few seconds for the fit and bootstrap).
        let table = try CSVTable(contentsOf: Fixtures.pythiaCounts)
        let model = try #require(table.columnIndex("model"))
        let keep = Set(["Pythia_1.4B_300B", "Pythia_410M_300B", "Pythia_160M_300B"])
        var writer = CSVWriter(header: table.header)
        for row in table.rows where keep.contains(row[model]) { writer.append(row) }
        let counts = try dir.write("counts.csv", writer.text)
        try save("passk.json", ["passk", counts, "--forecast", "1000,10000", "--bootstrap", "20", "--format", "json"])
        return files
    }

    /// Every `<svg …>…</svg>` in the page.
    static func svgs(_ html: String) -> [String] {
        var out: [String] = []
        var rest = html[...]
        while let start = rest.range(of: "<svg "),
            let end = rest.range(of: "</svg>", range: start.upperBound..<rest.endIndex)
        {
            out.append(String(rest[start.lowerBound..<end.upperBound]))
            rest = rest[end.upperBound...]
        }
        return out
    }

    @Test("every command's JSON becomes charts with their tables; the page is self-contained, strict and deterministic")
    func everyCommand() throws {
        let dir = try ScratchDirectory("t2-report")
        let files = try Self.results(dir)
        let order = [
            "plan.json", "plan-lifetime.json", "sweep.json", "fit.json", "passk.json", "cost.json", "compare.json",
            "validate.json",
        ]
        let inputs = order.map { files[$0]! }
        let out = dir.file("report.html")
        let printed = try Self.t2(["report"] + inputs + ["--out", out, "--svg", dir.file("svg")])
        let html = try #require(dir.read("report.html"))
        // Charts per result: plan 2 (metric against k, region) ×2, sweep 5, fit 4, passk 3 (one per
        // model), cost 1 (memory), comparison 4, validation 1.
        let expected = 2 + 2 + 5 + 4 + 3 + 1 + 4 + 1
        #expect(printed.contains("\(expected) charts from 8 results"), "\(printed)")
        let svgs = Self.svgs(html)
        #expect(svgs.count == expected)
        #expect(html.components(separatedBy: "<figure").count - 1 == expected)
        #expect(html.components(separatedBy: "<table class=\"numbers\"").count - 1 == expected)
        for svg in svgs {
            let parser = XMLParser(data: Data(svg.utf8))
            #expect(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "") in \(svg.prefix(300))")
        }
        // Self-contained: no script, no external resource, a CSP that allows only the inline style by its hash.
        #expect(!html.contains("<script"))
        #expect(!html.contains(" src="))
        #expect(!html.contains("@import"))
        #expect(
            html.components(separatedBy: "url(").count == html.components(separatedBy: "url(#").count,
            "url() other than a same-document reference"
        )
        let withoutNamespace = html.replacingOccurrences(of: "xmlns=\"http://www.w3.org/2000/svg\"", with: "")
        #expect(!withoutNamespace.contains("http://") && !withoutNamespace.contains("https://"))
        let style = try #require(
            html.range(of: "<style>").flatMap { s in
                html.range(of: "</style>").map { html[s.upperBound..<$0.lowerBound] }
            }
        )
        var hasher = SHA256()
        Array(style.utf8).withUnsafeBytes { hasher.update($0) }
        let hash = Data(hasher.finalize()).base64EncodedString()
        let policy =
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src &#39;none&#39;; style-src &#39;sha256-\(hash)&#39;;"
        #expect(html.contains(policy), "no CSP allowing exactly the page's style")
        // Numbers from the results appear in the tables: the plan's N, the fit's exponent, a passk model.
        #expect(html.contains("27M") || html.contains("27.0M"))
        #expect(html.contains("Pythia_410M_300B"))
        // pass@10⁴ from 256 and 384 samples per problem is past the counts' horizon: drawn apart
        // (the legend), starred in the table and explained in the summary; pass@1000 is not.
        #expect(html.contains("interval), past the counts") && html.contains("Forecasts marked * are past the counts"))
        #expect(html.contains("90% posterior intervals where computed") && !html.contains("95% bootstrap intervals"))
        // One SVG file per chart, each a standalone document.
        let svgFiles = try FileManager.default.contentsOfDirectory(atPath: dir.file("svg")).filter {
            $0.hasSuffix(".svg")
        }
        #expect(svgFiles.count == expected)
        for name in svgFiles.prefix(5) {
            let text = try String(contentsOfFile: dir.file("svg/\(name)"), encoding: .utf8)
            #expect(text.hasPrefix("<?xml"))
            #expect(XMLParser(data: Data(text.utf8)).parse())
        }
        // Same results, same bytes (a second process: dictionary order differs between processes).
        _ = try Self.t2(["report"] + inputs + ["--out", dir.file("again.html")])
        let again = try #require(dir.read("again.html"))
        let difference = zip(again.utf8, html.utf8).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        #expect(
            again == html,
            "the second report differs from byte \(difference ?? min(again.utf8.count, html.utf8.count)): …\(String(decoding: Array(again.utf8).dropFirst(max(0, (difference ?? 0) - 80)).prefix(200), as: UTF8.self))…"
        )
    }

    @Test(
        "unknown fields and a schema string are ignored; data a chart can use (the law's fitted range) is drawn when present"
    )
    func tolerant() throws {
        let dir = try ScratchDirectory("t2-report")
        let plan = try Self.t2(["plan", "--format", "json"])
        var doc = try #require(try JSONSerialization.jsonObject(with: Data(plan.utf8)) as? [String: Any])
        // The bare document: today's plan without the law's fitted range (as older plans were).
        var bareDoc = doc
        var bareLaw = try #require(bareDoc["law"] as? [String: Any])
        bareLaw["fitted_range"] = nil
        bareDoc["law"] = bareLaw
        bareDoc["schema"] = nil
        let bare = try dir.write(
            "bare.json",
            String(decoding: try JSONSerialization.data(withJSONObject: bareDoc), as: UTF8.self)
        )
        doc["schema"] = "t2.plan/1"
        doc["a_field_from_the_future"] = ["x": [1, 2, 3]]
        var law = try #require(doc["law"] as? [String: Any])
        law["fitted_range"] = ["params": [14e6, 12e9], "tokens": [2e6, 300e9]]
        doc["law"] = law
        let data = try JSONSerialization.data(withJSONObject: doc)
        let rich = try dir.write("rich.json", String(decoding: data, as: UTF8.self))
        _ = try Self.t2(["report", bare, "--out", dir.file("bare.html")])
        _ = try Self.t2(["report", rich, "--out", dir.file("rich.html")])
        let bareHTML = try #require(dir.read("bare.html"))
        let richHTML = try #require(dir.read("rich.html"))
        #expect(!bareHTML.contains("data-series=\"the law&#39;s fitted range\""))
        #expect(bareHTML.contains("does not carry it (law.fitted_range)"))
        #expect(richHTML.contains("data-series=\"the law&#39;s fitted range\""))
    }

    @Test(
        "bad inputs: not JSON, not a t2 result, a missing file, no file, --svg on a file: clear errors and exit codes"
    )
    func badInputs() throws {
        let dir = try ScratchDirectory("t2-report")
        let notJSON = try dir.write("runs.csv", "params,tokens,loss\n1,2,3\n")
        var r = try T2Binary.run(["report", notJSON, "--out", dir.file("r.html")])
        #expect(r.status == 1)
        #expect(r.stderr.contains("runs.csv: not a JSON document"), "\(r.stderr)")
        let other = try dir.write("other.json", "{\"name\": \"x\", \"values\": [1, 2]}")
        r = try T2Binary.run(["report", other, "--out", dir.file("r.html")])
        #expect(r.status == 1)
        #expect(r.stderr.contains("other.json: not a t2 result"), "\(r.stderr)")
        #expect(r.stderr.contains("name, values"), "\(r.stderr)")
        r = try T2Binary.run(["report", dir.file("missing.json"), "--out", dir.file("r.html")])
        #expect(r.status == 1)
        #expect(r.stderr.contains("missing.json"), "\(r.stderr)")
        r = try T2Binary.run(["report"])
        #expect(r.status == 64)
        #expect(r.stderr.contains("give at least one result JSON file"), "\(r.stderr)")
        let plan = try dir.write("plan.json", try Self.t2(["plan", "--format", "json"]))
        r = try T2Binary.run(["report", plan, "--out", dir.file("r.html"), "--svg", notJSON])
        #expect(r.status == 1)
        #expect(r.stderr.contains("--svg takes a directory"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("r.html")))
        // A truncated plan names what is missing.
        let cut = try dir.write("cut.json", "{\"budget\": {\"mode\": \"separate\"}, \"chinchilla\": {}, \"plan\": {}}")
        r = try T2Binary.run(["report", cut, "--out", dir.file("r.html")])
        #expect(r.status == 1)
        #expect(r.stderr.contains("cut.json: a t2 plan result without 'plan'"), "\(r.stderr)")
    }

    @Test("--out - prints the page; standard input is read with '-'")
    func stdio() throws {
        let plan = try Self.t2(["plan", "--format", "json"])
        let r = try T2Binary.run(["report", "-", "--out", "-"], stdin: plan)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.hasPrefix("<!DOCTYPE html>"))
        #expect(r.stdout.contains("standard input"))
    }
}
