import ArgumentParser
import Foundation
import ScalingLaws
import Tabular

/// `t2 passk COUNTS.csv`: unbiased pass@k, fitted per-problem success distributions, forecasts.
struct PasskCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "passk",
        abstract: "pass@k from per-problem sample counts, success-distribution fits, and forecasts at large k.",
        discussion: """
            COUNTS.csv has columns problem,samples,correct (optional model grouping, params,tokens). \
            pass@k uses the unbiased estimator of Chen et al. (2021); k above a problem's samples is \
            an error. The per-problem success distribution (beta-binomial, zero-inflated, with a \
            left-tail shape shared by all models, or crossed: a problem difficulty shared by all models \
            that count the same problem ids) is chosen by 10-fold held-out likelihood over problems \
            (the fewest parameters within one standard error of the best) unless --family is given; forecasts are 1 − E[(1−p)^k] (crossed: each model's posterior predictive \
            mean over its problems) with bootstrap intervals, beside the power-law baseline \
            −ln pass@k = a·k^−b. --pool-levels forecasts models with no correct sample from the crossed \
            family's empirical-Bayes prior over model levels (labelled prior-driven). See \
            docs/test-time-scaling.md.
            """
    )

    @Argument(help: "Counts CSV: problem,samples,correct[,model,params,tokens].")
    var counts: String

    @Option(
        name: .customLong("k"),
        help: "Comma-separated k for empirical pass@k (default: powers of 2 and 10 up to the smallest n)."
    )
    var ks: String?

    @Option(help: "Comma-separated k to forecast from the fitted distribution (e.g. 1000,10000).")
    var forecast: String = ""

    @Option(
        help:
            "Distribution family: auto, beta-binomial, zero-inflated-beta-binomial, shared-shape-beta-binomial, crossed-beta-binomial."
    )
    var family: String = "auto"

    @Option(
        help:
            "Bootstrap replicates for forecast intervals (problems resampled within each model, whole problems across models for the crossed family; 0 = none)."
    )
    var bootstrap: Int = 200

    @Flag(
        name: .customLong("pool-levels"),
        help:
            "Forecast models with no correct sample from the crossed family's empirical-Bayes level prior (covariates ln tokens, ln params when given); labelled prior-driven."
    )
    var poolLevels = false

    @Option(help: "Seed for folds and bootstrap.")
    var seed: UInt64 = 0

    @OptionGroup var output: OutputOptions

    init() {}

    static func parseKs(_ text: String, option: String) throws -> [Int] {
        try text.split(separator: ",").map { part in
            let t = part.trimmingCharacters(in: .whitespaces)
            guard let k = Int(t) else { throw ValidationError("--\(option): '\(t)' is not a whole number") }
            guard k >= 1 else { throw ValidationError("--\(option): k = \(k); k must be ≥ 1") }
            return k
        }
    }

    func run() throws {
        Console.output(try render())
    }

    /// Reads, fits and returns the result in the chosen format (writing --out as well).
    func render() throws -> String {
        let ks = try self.ks.map { try Self.parseKs($0, option: "k") }
        let forecastKs = forecast.isEmpty ? [] : try Self.parseKs(forecast, option: "forecast")
        guard bootstrap >= 0 else { throw ValidationError("--bootstrap must be ≥ 0") }
        let fam: SuccessFamily?
        if family == "auto" {
            fam = nil
        } else {
            guard let f = SuccessFamily(rawValue: family) else {
                throw ValidationError(
                    "--family '\(family)'; expected auto or one of \(SuccessFamily.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            fam = f
        }
        let groups = try CountsReader.read(CSVTable(contentsOf: counts))
        for g in groups where g.allZero {
            Console.warn(CountsError.allZero(group: g.name, problems: g.problems.count).errorDescription ?? "")
        }
        let report = try PasskAnalysis.run(
            groups: groups,
            ks: ks,
            forecastKs: forecastKs,
            family: fam,
            bootstrap: bootstrap,
            seed: seed,
            poolLevels: poolLevels
        )
        let json = try JSONOutput.encode(report)
        if let out = output.out { try AtomicFile.write(Data(json.utf8), to: out) }
        switch output.format {
        case .json: return json
        case .csv: return Self.csv(report)
        case .table: return Self.table(report)
        }
    }

    static func csv(_ r: PasskReport) -> String {
        var lines = ["group,kind,k,value,low,high,power_law"]
        for g in r.groups {
            for (k, v) in g.passAtK.sorted(by: { Int($0.key)! < Int($1.key)! }) {
                lines.append("\(g.group),empirical,\(k),\(v),,,")
            }
            for (k, f) in g.forecast.sorted(by: { Int($0.key)! < Int($1.key)! }) {
                lines.append(
                    "\(g.group),\(g.priorDriven == true ? "prior-driven-forecast" : "forecast"),\(k),\(f.estimate),\(f.low.map { "\($0)" } ?? ""),\(f.high.map { "\($0)" } ?? ""),\(f.powerLaw.map { "\($0)" } ?? "")"
                )
            }
        }
        return lines.joined(separator: "\n")
    }

    static func table(_ r: PasskReport) -> String {
        var out: [String] = []
        if !r.selection.isEmpty {
            out.append(
                "family chosen by 10-fold held-out log-likelihood (the fewest parameters within one standard error of the best): \(r.family?.rawValue ?? "-")"
            )
            out.append(
                "  "
                    + r.selection.map { c in
                        "\(c.family.rawValue) \(Format.fixed(c.heldOutLogLikelihood, 1))"
                            + (c.standardError > 0 ? " ± \(Format.fixed(c.standardError, 1))" : "")
                            + " (\(c.parameters) parameters)"
                    }.joined(separator: ", ")
            )
        } else if let f = r.family {
            out.append("family: \(f.rawValue) (given)")
        }
        let fks = Set(r.groups.flatMap { $0.forecast.keys }).compactMap(Int.init).sorted()
        // The last shape column: π₀ (zero mass) or, for the crossed family, the shared problem shape α.
        let crossed = r.family == .crossed
        var columns: [(String, TextTable.Alignment)] = [
            ("group", .left), ("problems", .right), ("pass@1", .right), ("a", .right), ("b", .right),
            (crossed ? "α" : "π₀", .right),
        ]
        for k in fks {
            columns.append(("pass@\(k) [95%]", .right))
            columns.append(("power law", .right))
        }
        var t = TextTable(columns)
        for g in r.groups {
            var row: [String] = [
                g.group, "\(g.problems)", g.passAtK["1"].map { Format.significant($0, 3) } ?? "",
                g.distribution.map { Format.significant($0.a, 3) }
                    ?? (g.priorDriven == true ? "prior-driven" : "unidentifiable"),
                g.distribution.map { Format.significant($0.b, 3) } ?? "",
                g.distribution.map { Format.significant(crossed ? $0.problemShape ?? .nan : $0.zeroMass, 3) } ?? "",
            ]
            for k in fks {
                if let f = g.forecast[String(k)] {
                    var s = Format.fixed(f.estimate, 3)
                    if let lo = f.low, let hi = f.high { s += " [\(Format.fixed(lo, 3)), \(Format.fixed(hi, 3))]" }
                    if g.priorDriven == true { s += " prior" }
                    row.append(s)
                    row.append(f.powerLaw.map { Format.fixed($0, 3) } ?? "")
                } else {
                    row += ["", ""]
                }
            }
            t.append(row)
        }
        out.append(t.render())
        for note in r.notes { out.append("note: " + note) }
        return out.joined(separator: "\n")
    }
}
