import ArgumentParser
import Foundation
import Plotting
import Reports
import Tabular

/// `t2 report RESULT.json…`: the results' charts in one self-contained HTML file (and SVGs).
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Charts of t2 results: one self-contained HTML page (inline CSS and SVG), and SVG files.",
        discussion: """
            Reads the JSON that `--format json` of t2 fit, passk, plan, cost, bench and sample writes \
            (and law files from `t2 fit --out`) and draws what each one means: fitted laws against \
            the runs, pass@k forecasts, the plan beside Chinchilla's, throughput and latency against \
            load. Every chart has its table of numbers beneath. The page makes no network request \
            and runs no script: open it, print it, attach it to a design doc.

            Several bench results are drawn on the same load axes, to compare runs.

            Examples:
              t2 plan --format json --out plan.json && t2 report plan.json --out plan.html
              t2 passk counts.csv --forecast 1000,10000 --format json --out passk.json
              t2 report passk.json fit.json bench-*.json --out report.html --svg charts/
            """
    )

    @Argument(help: ArgumentHelp("Result JSON files ('-' reads standard input).", valueName: "result.json"))
    var results: [String] = []

    @Option(
        name: .long,
        help: ArgumentHelp("The HTML file to write ('-' prints it). Default: report.html.", valueName: "file")
    )
    var out: String = "report.html"

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Also write one SVG file per chart into this directory (created if missing).",
            valueName: "dir"
        )
    )
    var svg: String?

    @Option(name: .long, help: ArgumentHelp("The page title. Default: from the file names.", valueName: "text"))
    var title: String?

    init() {}

    func validate() throws {
        if results.isEmpty {
            throw ValidationError("give at least one result JSON file, e.g. t2 report plan.json --out report.html")
        }
        if results.filter({ $0 == "-" }).count > 1 { throw ValidationError("'-' (standard input) can be given once") }
    }

    func run() throws {
        let inputs = try results.map { path in
            try ReportInput(source: path == "-" ? "standard input" : path, data: InputFile.read(path))
        }
        let page = try ReportBuilder.page(inputs, title: title, generator: "t2 \(T2Version.current) report")
        let html = page.html()
        let charts = page.sections.flatMap(\.charts)
        if let svg { try Self.writeSVGs(charts, into: svg) }
        if out == "-" {
            Console.output(html)
        } else {
            try AtomicFile.write(html, to: out)
            Console.output(
                "wrote \(out): \(charts.count) chart\(charts.count == 1 ? "" : "s") from \(inputs.count) result\(inputs.count == 1 ? "" : "s")"
                    + (svg.map { "; SVGs in \($0)" } ?? "")
            )
        }
    }

    /// One `<chart id>.svg` per chart in `directory`.
    static func writeSVGs(_ charts: [AnyChart], into directory: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw TabularError(file: directory, problem: "is a file; --svg takes a directory")
            }
        } else {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw TabularError(file: directory, problem: "cannot be created (\(error.localizedDescription))")
            }
        }
        for c in charts {
            try AtomicFile.write(c.svgDocument(), to: directory + "/" + Markup.slug(c.id) + ".svg")
        }
    }
}
