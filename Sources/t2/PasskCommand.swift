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
            COUNTS.csv has one row per problem and model: problem,samples,correct (n samples drawn, c of \
            them correct), optionally model (one group per model), params and tokens. Empirical pass@k \
            uses the unbiased estimator of Chen et al. (2021) and is reported for every group, 0 for one \
            with no correct sample; k above a problem's samples is an error.

            Forecasts at large k (--forecast) come from a fitted per-problem success distribution. The \
            default family, crossed-pooled-shape-beta-binomial, gives each problem a difficulty shared by \
            the models that count it (problems aligned by id) and each model its own tail shape a_j, \
            pulled towards the others' by a prior whose spread, and whether its centre moves with the \
            model's pass@1, the data choose; its 90% intervals (--confidence) mix draws from the \
            parameters' posterior over those choices. Other families: \
            --family beta-binomial, zero-inflated-beta-binomial, shared-shape-beta-binomial, \
            crossed-beta-binomial, or auto (chosen by 10-fold held-out likelihood). Beside each forecast \
            the power-law baseline −ln pass@k = a·k^−b fitted to the empirical curve. A forecast past \
            the counts' horizon, about n(1 + ln n) for n samples per problem (561 for n = 100), is \
            marked *: no method can forecast that far from counts alone, so there the forecast and its \
            interval rest on the family's assumed tail. Backtests and interval coverage: \
            docs/test-time-scaling.md.

            Example: t2 passk counts.csv --forecast 1000,10000
            """
    )

    @Argument(help: "Counts CSV: problem,samples,correct[,model,params,tokens] ('-' reads standard input).")
    var counts: String

    @Option(
        name: .customLong("k"),
        help: "Comma-separated k for empirical pass@k (default: powers of 2 and 10 up to the smallest n)."
    )
    var ks: String?

    @Option(
        help:
            "Comma-separated k to forecast from the fitted distribution, 1 … 10⁹ (e.g. 1000,10000 or 1e4). Default: none."
    )
    var forecast: String = ""

    @Option(
        help: """
            Distribution family: crossed-pooled-shape-beta-binomial, crossed-beta-binomial, \
            shared-shape-beta-binomial, beta-binomial, zero-inflated-beta-binomial, or auto (10-fold \
            held-out likelihood).
            """
    )
    var family: String = SuccessFamily.crossedPooledShape.rawValue

    @Option(
        help: """
            Replicates for the forecast intervals, 0 … 100000 (0 = no intervals): posterior draws for \
            the default family, bootstrap refits (problems resampled) for the others.
            """
    )
    var bootstrap: Int = 200

    @Option(help: "Coverage of the forecast intervals, strictly between 0 and 1.")
    var confidence: Double = 0.9

    @Flag(
        name: .customLong("pool-levels"),
        help: """
            Forecast models with no correct sample from a crossed family's empirical-Bayes level prior \
            (covariates ln tokens, ln params when given); labelled prior-driven. Needs a crossed family \
            and --forecast.
            """
    )
    var poolLevels = false

    @Option(help: "Seed for folds, bootstrap and posterior draws.")
    var seed: UInt64 = 0

    @OptionGroup var output: OutputOptions

    init() {}

    /// Parses a comma-separated list of k: whole numbers (1000, 1e4, 1_000) from 1 to `maximum`.
    static func parseKs(_ text: String, option: String, maximum: Int = Int.max) throws -> [Int] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        return try parts.map { part in
            let t = part.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "_", with: "")
            let k: Int
            if let exact = Int(t) {
                k = exact
            } else if let d = Double(t), d.isFinite, d == d.rounded(), abs(d) < 1e18 {
                k = Int(d)
            } else if let d = Double(t), d.isFinite, d == d.rounded() {
                throw ValidationError("--\(option): \(t) is too large; k must be between 1 and \(maximum)")
            } else {
                throw ValidationError("--\(option): '\(t)' is not a whole number")
            }
            guard k >= 1 else { throw ValidationError("--\(option): k = \(k); k must be ≥ 1") }
            guard k <= maximum else {
                throw ValidationError("--\(option): k = \(t) is too large; k must be between 1 and \(maximum)")
            }
            return k
        }
    }

    /// The family choice `--family` names.
    static func familyChoice(_ name: String) throws -> FamilyChoice {
        if name == "auto" { return .heldOut }
        guard let family = SuccessFamily(rawValue: name) else {
            throw ValidationError(
                "--family '\(name)'; expected auto or one of \(SuccessFamily.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        return family == .crossedPooledShape ? .recommended : .fixed(family)
    }

    func validate() throws {
        _ = try ks.map { try Self.parseKs($0, option: "k") }
        if !forecast.isEmpty {
            _ = try Self.parseKs(forecast, option: "forecast", maximum: PasskAnalysis.maximumForecastK)
        }
        guard (0...PasskAnalysis.maximumReplicates).contains(bootstrap) else {
            throw ValidationError(
                "--bootstrap \(bootstrap): use 0 … \(PasskAnalysis.maximumReplicates) (200, the default, gives 90% intervals to about ±0.01)"
            )
        }
        guard confidence.isFinite, confidence > 0, confidence < 1 else {
            throw ValidationError("--confidence \(confidence): use a number strictly between 0 and 1, e.g. 0.9")
        }
        let choice = try Self.familyChoice(family)
        if poolLevels {
            if case .fixed(let f) = choice, !f.sharesProblemEffects {
                throw ValidationError(
                    "--pool-levels needs a crossed family (it pools the levels of models that share problems); --family \(f.rawValue) has none. Drop --pool-levels or use the default family"
                )
            }
            if forecast.isEmpty {
                throw ValidationError(
                    "--pool-levels forecasts models with no correct sample: give --forecast K as well"
                )
            }
        }
    }

    func run() throws {
        Console.output(try render())
    }

    /// Reads, fits and returns the result in the chosen format (writing --out in that format
    /// too: CSV with --format csv, JSON otherwise).
    func render() throws -> String {
        try validate()
        let ks = try self.ks.map { try Self.parseKs($0, option: "k") }
        let forecastKs =
            forecast.isEmpty
            ? [] : try Self.parseKs(forecast, option: "forecast", maximum: PasskAnalysis.maximumForecastK)
        let progress = ProgressLine("passk")
        defer { progress.finish() }
        let table = try CSVTable(contentsOf: counts)
        let groups = try CountsReader.read(table) { fraction in
            progress.update("reading \(Int(fraction * 100))% of \(table.count) rows")
        }
        for g in groups where g.allZero {
            Console.warn(
                "group '\(g.name)': none of its \(g.problems.count) problems has a correct sample; its empirical pass@k is 0 and it gets no fitted distribution or forecast"
                    + (poolLevels ? " of its own" : "")
            )
        }
        let report = try PasskAnalysis.run(
            groups: groups,
            ks: ks,
            forecastKs: forecastKs,
            family: try Self.familyChoice(family),
            bootstrap: bootstrap,
            seed: seed,
            poolLevels: poolLevels,
            confidence: confidence
        ) { p in
            progress.update(p.total > 1 ? "\(p.stage) \(p.completed)/\(p.total)" : p.stage)
        }
        progress.finish()
        if poolLevels, report.levelPrior == nil, let note = report.notes.first(where: { $0.contains("--pool-levels") })
        {
            Console.warn(note)
        }
        let json = try JSONOutput.encode(report)
        let text: String
        switch output.format {
        case .json: text = json
        case .csv: text = Self.csv(report)
        case .table: text = Self.table(report)
        }
        if let out = output.out {
            try AtomicFile.write(Data((output.format == .csv ? text : json + "\n").utf8), to: out)
        }
        return output.format == .csv ? String(text.dropLast()) : text
    }

    /// One row per group and k: the empirical curve, then the forecasts (RFC 4180 via CSVWriter).
    static func csv(_ r: PasskReport) -> String {
        var csv = CSVWriter(header: ["group", "kind", "k", "value", "low", "high", "power_law", "beyond_counts"])
        func number(_ v: Double?) -> String { v.map { "\($0)" } ?? "" }
        for g in r.groups {
            for (k, v) in g.passAtK.sorted(by: { Int($0.key)! < Int($1.key)! }) {
                csv.append([g.group, "empirical", k, number(v), "", "", "", ""])
            }
            for (k, f) in g.forecast.sorted(by: { Int($0.key)! < Int($1.key)! }) {
                csv.append([
                    g.group, g.priorDriven == true ? "prior-driven-forecast" : "forecast", k, number(f.estimate),
                    number(f.low), number(f.high), number(f.powerLaw), number(f.beyondCounts),
                ])
            }
        }
        return csv.text
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
            out.append("family: \(f.rawValue) (\(r.familyChoice))")
        }
        if let prior = r.shapePrior {
            let grid = prior.grid.map { Format.significant($0, 2) }.joined(separator: ", ")
            let form =
                prior.slopeScale == nil
                ? "ln a_j ~ N(μ, τ²): μ = \(Format.fixed(prior.mean, 2))"
                : "ln a_j ~ N(μ + β·x_j, τ²), x_j the standardised logit pass@1: μ = \(Format.fixed(prior.mean, 2)), β = \(Format.fixed(prior.slope, 2))"
            out.append(
                "shape prior: \(form), τ = \(Format.significant(prior.spread, 2)) (chosen by Laplace marginal likelihood over τ in \(grid)"
                    + (prior.slopeTried
                        ? ", with and without β; P(β ≠ 0) = \(Format.fixed(prior.slopeProbability, 2)))"
                        : "; no slope on strength with fewer than three groups)")
            )
        }
        let fks = Set(r.groups.flatMap { $0.forecast.keys }).compactMap(Int.init).sorted()
        // The last shape column: π₀ (zero mass) or, for the crossed families, the problem shape α.
        let crossed = r.family?.sharesProblemEffects == true
        var columns: [(String, TextTable.Alignment)] = [
            ("group", .left), ("problems", .right), ("pass@1", .right), ("a", .right), ("b", .right),
            (crossed ? "α" : "π₀", .right),
        ]
        let percent = Int((r.confidence * 100).rounded())
        for k in fks {
            columns.append(("pass@\(k)" + (r.intervals == .none ? "" : " [\(percent)%]"), .right))
            columns.append(("power law", .right))
        }
        var t = TextTable(columns)
        for g in r.groups {
            var row: [String] = [
                g.group, "\(g.problems)", g.passAtK["1"].map { Format.significant($0, 3) } ?? "",
                g.distribution.map { Format.significant($0.a, 3) }
                    ?? (g.priorDriven == true ? "prior-driven" : "no correct sample"),
                g.distribution.map { Format.significant($0.b, 3) } ?? "",
                g.distribution.map { Format.significant(crossed ? $0.problemShape ?? .nan : $0.zeroMass, 3) } ?? "",
            ]
            for k in fks {
                if let f = g.forecast[String(k)] {
                    var s = Format.fixed(f.estimate, 3)
                    if let lo = f.low, let hi = f.high { s += " [\(Format.fixed(lo, 3)), \(Format.fixed(hi, 3))]" }
                    if f.pastHorizon { s += "*" }
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
