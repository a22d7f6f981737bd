import ArgumentParser
import Foundation
import Optimization
import ScalingLaws
import Tabular

/// `t2 fit`: fit a scaling law to training runs (or, with `--form t2-*`, to sample counts).
struct FitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fit",
        abstract: "Fit a scaling law to your runs: L(N, D) = E + A/N^α + B/D^β (Chinchilla), or the T² laws.",
        discussion: """
            RUNS.csv has one training run per row with columns params,tokens,loss (or flops \
            instead of tokens: D = flops/6N). Extra columns are ignored.

            The Chinchilla form is fitted as Hoffmann et al. (2022, Approach 3) and Epoch AI \
            (2024) did: Huber loss (δ = 1e-3) on log-loss residuals summed over runs, L-BFGS \
            from a 4,500-point grid of starts, best objective wins. The result includes the \
            compute-optimal allocation N_opt(C), D_opt(C) at a few budgets.

            Examples:
              t2 fit runs.csv
              t2 fit chinchilla_epoch.csv --drop-highest 5 --bootstrap 200 --out law.json
              t2 fit gadre.csv --loss-column c4_val_loss --group-by dataset \\
                  --where 'tokens_per_param_multiplier>=0.5' --shared-exponent \\
                  --holdout 'tokens_per_param_multiplier>4'
              t2 fit --form t2-accuracy counts.csv --out t2law.json
            """
    )

    /// Law forms `t2 fit` can fit.
    enum Form: String, ExpressibleByArgument, CaseIterable, Sendable {
        case chinchilla
        case t2Loss = "t2-loss"
        case t2Accuracy = "t2-accuracy"
    }

    @Argument(
        help: ArgumentHelp(
            "CSV of runs (chinchilla) or of per-problem sample counts (t2-loss, t2-accuracy).",
            valueName: "RUNS.csv"
        )
    )
    var path: String

    @Option(
        help:
            "Law form: chinchilla (runs params,tokens,loss), t2-loss or t2-accuracy (counts problem,samples,correct with model,params,tokens)."
    )
    var form: Form = .chinchilla

    @Option(
        name: .customLong("huber-delta"),
        help: "Huber δ on log-loss residuals (Hoffmann et al. and Epoch use 1e-3)."
    )
    var huberDelta: Double = 1e-3

    @Option(
        name: .customLong("drop-highest"),
        help: ArgumentHelp(
            "Drop the N highest-loss runs before fitting (Epoch AI's outlier rule is 5).",
            valueName: "N"
        )
    )
    var dropHighest: Int = 0

    @Option(help: ArgumentHelp("Bootstrap replicates for percentile confidence intervals (0 = none).", valueName: "N"))
    var bootstrap: Int = 0

    @Option(help: "Seed for the bootstrap resampling.")
    var seed: UInt64 = 0

    @Option(help: "Coverage of the bootstrap intervals.")
    var confidence: Double = 0.95

    @Option(
        parsing: .singleValue,
        help: ArgumentHelp(
            "Training budgets (FLOPs) for the compute-optimal allocation table; repeat or comma-separate.",
            valueName: "C"
        )
    )
    var budgets: [String] = []

    @Option(name: .customLong("params-column"), help: "Column with the parameter count N.")
    var paramsColumn = "params"

    @Option(name: .customLong("tokens-column"), help: "Column with training tokens D.")
    var tokensColumn = "tokens"

    @Option(
        name: .customLong("flops-column"),
        help: "Column with training FLOPs, used when the tokens column is absent (D = C/6N)."
    )
    var flopsColumn = "flops"

    @Option(name: .customLong("loss-column"), help: "Column with the final loss.")
    var lossColumn = "loss"

    @Option(
        name: .customLong("group-by"),
        help: ArgumentHelp("Fit one law per value of this column.", valueName: "column")
    )
    var groupBy: String?

    @Option(
        help: ArgumentHelp(
            "Hold out the runs matching COLUMN<=V, COLUMN>V, … from the fit and report the law's error on them.",
            valueName: "filter"
        )
    )
    var holdout: String?

    @Option(
        name: .customLong("where"),
        parsing: .singleValue,
        help: ArgumentHelp(
            "Use only the runs matching COLUMN>=V (or <=, <, >, =, !=); repeat to require several. E.g. 'tokens_per_param_multiplier>=0.5' drops runs stopped near their warm-up.",
            valueName: "filter"
        )
    )
    var keep: [String] = []

    @Flag(
        name: .customLong("shared-exponent"),
        help:
            "Fit one exponent for N and D (α = β, 4 parameters), Gadre et al.'s form: steadier extrapolation when the runs barely separate α from β."
    )
    var sharedExponent = false

    @Option(help: "Threads for the multi-start fit (default: all cores).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @OptionGroup(title: "Output")
    var output: OutputOptions

    init() {}

    mutating func validate() throws {
        guard huberDelta > 0, huberDelta.isFinite else {
            throw ValidationError("--huber-delta must be a positive number, got \(huberDelta)")
        }
        guard dropHighest >= 0 else { throw ValidationError("--drop-highest must be 0 or more, got \(dropHighest)") }
        guard bootstrap >= 0, bootstrap <= maximumBootstrapReplicates else {
            throw ValidationError(
                "--bootstrap must be between 0 and \(maximumBootstrapReplicates) replicates (200–2,000 give stable 95% intervals), got \(bootstrap)"
            )
        }
        guard confidence > 0, confidence < 1 else {
            throw ValidationError("--confidence must be between 0 and 1 (e.g. 0.95), got \(confidence)")
        }
        guard threads >= 1, threads <= 4096 else { throw ValidationError("--threads must be between 1 and 4096") }
        _ = try parsedBudgets()
        if let holdout, RowFilter(holdout) == nil {
            throw ValidationError(
                "--holdout '\(holdout)' is not a filter; write COLUMN<=VALUE (or <, >, >=, =, !=), e.g. 'tokens_per_param_multiplier>4'"
            )
        }
        for filter in keep where RowFilter(filter) == nil {
            throw ValidationError(
                "--where '\(filter)' is not a filter; write COLUMN>=VALUE (or <=, <, >, =, !=), e.g. 'tokens_per_param_multiplier>=0.5'"
            )
        }
        if form != .chinchilla, !keep.isEmpty || sharedExponent || holdout != nil || groupBy != nil || dropHighest > 0 {
            throw ValidationError(
                "--where, --holdout, --group-by, --drop-highest and --shared-exponent apply to the chinchilla form; --form \(form.rawValue) holds out the largest models itself"
            )
        }
        if output.format == .csv {
            throw ValidationError("t2 fit prints table or json; --format csv is not available here")
        }
    }

    func parsedBudgets() throws -> [Double] {
        if budgets.isEmpty { return [1e19, 1e21, 1e23, 1e25] }
        return try budgets.flatMap { $0.split(separator: ",") }.map { text in
            guard let value = Double(text.trimmingCharacters(in: .whitespaces)), value > 0, value.isFinite else {
                throw ValidationError("--budgets: '\(text)' is not a positive number of FLOPs (e.g. 1e23)")
            }
            return value
        }
    }

    func run() async throws {
        // A fit of a million rows runs for minutes: in a log (no terminal) a line every 5 s.
        let progress = ProgressLine("t2 fit", logEvery: 5)
        progress.starting("reading and checking \(path)")
        defer { progress.finish() }
        Console.output(
            try render { p in
                let percent = p.total > 0 ? 100 * p.done / p.total : 0
                progress.update("\(p.phase) \(p.done)/\(p.total) (\(percent)%)", force: p.done == p.total)
            }
        )
    }

    /// Fits and returns the text to print; writes `--out` when given. The fit itself is one call
    /// into ScalingLaws (``FitReport/chinchilla(_:columns:holdout:keep:options:provenance:progress:)``
    /// or ``FitReport/t2(_:table:bootstrap:seed:confidence:provenance:progress:)``).
    func render(progress: (@Sendable (FitProgress) -> Void)? = nil) throws -> String {
        let table = try CSVTable(contentsOf: path)
        let provenance = DataProvenance(path: path, rows: table.count, sha256: Self.sha256(ofFile: path))
        let reports: [FitReport]
        switch form {
        case .chinchilla:
            var options = ChinchillaAnalysis.Options()
            options.fit.huberDelta = huberDelta
            options.fit.sharedExponent = sharedExponent
            options.fit.threads = threads
            options.dropHighest = dropHighest
            options.bootstrap = bootstrap
            options.seed = seed
            options.confidence = confidence
            options.budgets = try parsedBudgets()
            reports = try FitReport.chinchilla(
                table,
                columns: RunColumns(
                    params: paramsColumn,
                    tokens: tokensColumn,
                    flops: flopsColumn,
                    loss: lossColumn,
                    group: groupBy
                ),
                holdout: holdout.flatMap(RowFilter.init),
                keep: keep.compactMap(RowFilter.init),
                options: options,
                provenance: provenance,
                progress: progress
            )
            for report in reports {
                let source = report.group.map { "\(path) [\(groupBy!)=\($0)]" } ?? path
                for note in report.diagnostics { Console.warn("\(source): \(note)") }
            }
        case .t2Loss, .t2Accuracy:
            reports = [
                try FitReport.t2(
                    form == .t2Loss ? .loss : .accuracy,
                    table: table,
                    bootstrap: bootstrap,
                    seed: seed,
                    confidence: confidence,
                    provenance: provenance,
                    progress: progress
                )
            ]
        }
        if let out = output.out {
            for report in reports {
                let target = report.group.map { Self.path(out, inserting: $0) } ?? out
                try report.lawFile.write(to: target)
            }
        }
        switch output.format {
        case .json:
            if reports.count == 1, groupBy == nil { return try JSONOutput.encode(reports[0]) }
            return try JSONOutput.encode(FitReportGroups(groups: reports))
        case .table, .csv:
            return reports.map { FitRendering.table($0, path: path, groupColumn: groupBy) }.joined(separator: "\n\n")
        }
    }

    /// Fits the Chinchilla form and returns the text to print (the tests' entry point).
    func runChinchilla() throws -> String { try render() }

    /// `law.json` + `c4` → `law.c4.json`.
    static func path(_ path: String, inserting group: String) -> String {
        let safe = String(group.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" })
        let url = URL(fileURLWithPath: path)
        let ext = url.pathExtension
        let stem = url.deletingPathExtension().path
        return ext.isEmpty ? "\(stem).\(safe)" : "\(stem).\(safe).\(ext)"
    }

    /// SHA-256 of a file's bytes, hex; nil if it cannot be read.
    static func sha256(ofFile path: String) -> String? {
        guard let data = try? InputFile.read(path) else { return nil }
        var hasher = SHA256()
        data.withUnsafeBytes { hasher.update($0) }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}

/// The table `t2 fit` prints for a ``FitReport``.
enum FitRendering {
    /// "2, 3, 5, …" (at most 12 lines, then a count).
    static func lineList(_ lines: [Int]) -> String {
        let shown = lines.prefix(12).map(String.init).joined(separator: ", ")
        return lines.count > 12 ? shown + ", … \(lines.count - 12) more" : shown
    }

    static func table(_ report: FitReport, path: String, groupColumn: String?) -> String {
        report.form == "chinchilla"
            ? chinchilla(report, path: path, groupColumn: groupColumn) : t2(report, path: path)
    }

    /// "N 14.0M–12.0B, D 2.00M–300B, D/N 0.000167–21.4K".
    static func rangeText(_ r: FittedRange) -> String {
        "N \(Format.count(r.params.lowerBound))–\(Format.count(r.params.upperBound)), D \(Format.count(r.tokens.lowerBound))–\(Format.count(r.tokens.upperBound)), D/N \(Format.significant(r.tokensPerParam.lowerBound, 3))–\(Format.significant(r.tokensPerParam.upperBound, 3))"
    }

    static func interval(_ v: [Double]?, _ digits: Int) -> String {
        guard let v, v.count == 2 else { return "" }
        return "[\(Format.significant(v[0], digits)), \(Format.significant(v[1], digits))]"
    }

    static func chinchilla(_ report: FitReport, path: String, groupColumn: String?) -> String {
        var lines: [String] = []
        let shared = report.sharedExponent ?? false
        let title = report.group.map { " [\(groupColumn ?? "group") = \($0)]" } ?? ""
        lines.append("Chinchilla law fitted to \(report.points) runs from \(path)\(title)")
        let form = shared ? "L(N, D) = E + A/N^η + B/D^η (shared exponent, α = β = η)" : "L(N, D) = E + A/N^α + B/D^β"
        let starts = report.starts
        lines.append(
            "  \(form)    Huber δ = \(Format.significant(report.huberDelta ?? 1e-3, 2)) on log-loss, \(starts?.count ?? 0) L-BFGS starts"
        )
        if let sub = starts?.subsample {
            lines.append(
                "  the starts ran on an even subsample of \(sub) runs; the best were refined on all \(report.points)"
            )
        }
        if let excluded = report.excluded {
            lines.append(
                "  used only runs with \(excluded.filters.joined(separator: " and ")): excluded \(excluded.runs.count) (lines \(lineList(excluded.runs)))"
            )
        }
        if let dropped = report.dropped, !dropped.isEmpty {
            lines.append(
                "  dropped the \(dropped.count) highest-loss runs (lines \(dropped.map { String($0.line) }.joined(separator: ", ")))"
            )
        }
        if let range = report.fittedRange { lines.append("  fitted range: \(rangeText(range))") }
        lines.append("")
        let intervals = report.intervals
        var table = TextTable(
            [("parameter", .left), ("value", .right)]
                + (intervals != nil
                    ? [("\(Format.fixed((intervals?.confidence ?? 0.95) * 100, 0))% interval", .right)] : [])
        )
        let rows =
            shared
            ? [("E", "E"), ("A", "A"), ("B", "B"), ("alpha", "η = α = β")]
            : [("E", "E"), ("A", "A"), ("B", "B"), ("alpha", "α"), ("beta", "β")]
        for (key, label) in rows {
            var row = [label, Format.significant(report.parameters[key] ?? .nan, 5)]
            if intervals != nil { row.append(interval(intervals?.parameters[key], 4)) }
            table.append(row)
        }
        lines.append(table.render(indent: "  "))
        lines.append("")
        lines.append(
            "  objective \(Format.scientific(report.objective, 6))   \(report.status)   \(starts?.atOptimum ?? 0) of \(starts?.count ?? 0) starts reached the optimum (±0.01%)"
        )
        lines.append("")
        lines.append("Compute-optimal allocation (C = 6·N·D)")
        var alloc = TextTable(
            [("budget C", .right), ("params N", .right), ("tokens D", .right), ("D/N", .right), ("loss", .right)]
                + (intervals != nil ? [("D/N interval", .right)] : [])
        )
        for a in report.allocations ?? [] {
            var row = [
                Format.scientific(a.flops, 2), Format.count(a.params), Format.count(a.tokens),
                Format.significant(a.tokensPerParam, 3), Format.fixed(a.loss, 4),
            ]
            if intervals != nil { row.append(interval(a.tokensPerParamInterval, 3)) }
            alloc.append(row)
        }
        lines.append(alloc.render(indent: "  "))
        if let heldOut = report.heldOut, let runs = heldOut.runs {
            lines.append("")
            lines.append(
                "Held-out runs (\(heldOut.filter ?? "")): \(runs.count), mean |relative error| \(Format.percent(heldOut.value, 2))"
            )
            var t = TextTable([
                ("line", .right), ("params N", .right), ("tokens D", .right), ("loss", .right), ("predicted", .right),
                ("error", .right),
            ])
            for r in runs {
                t.append([
                    String(r.line), Format.count(r.params), Format.count(r.tokens), Format.fixed(r.loss, 4),
                    Format.fixed(r.predicted, 4), Format.percent(r.relativeError, 2),
                ])
            }
            lines.append(t.render(indent: "  "))
        }
        return lines.joined(separator: "\n")
    }

    static func t2(_ report: FitReport, path: String) -> String {
        let intervals = report.intervals
        var t = TextTable(
            [("parameter", .left), ("value", .right)]
                + (intervals != nil
                    ? [
                        (
                            "\(Format.fixed(intervals!.confidence * 100, 0))% bootstrap (\(intervals!.replicates))",
                            .right
                        )
                    ]
                    : [])
        )
        for key in report.parameters.keys.sorted() {
            var row = [key, Format.significant(report.parameters[key]!, 5)]
            if intervals != nil { row.append(interval(intervals?.parameters[key], 4)) }
            t.append(row)
        }
        var lines = [
            "\(report.form) law fitted to \(path): \(report.points) points, objective \(Format.significant(report.objective, 6)), \(report.status)"
        ]
        if let range = report.fittedRange { lines.append("fitted range: \(rangeText(range))") }
        lines.append(t.render())
        if let held = report.heldOut {
            lines.append(
                "held out: \(held.split): mean |Δ pass@k| \(Format.significant(held.value, 3)), max \(Format.significant(held.max, 3)) over \(held.points) (model, k) points"
            )
        }
        lines += report.notes.filter { !$0.hasPrefix("held-out:") }
        return lines.joined(separator: "\n")
    }
}
