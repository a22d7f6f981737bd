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
        guard bootstrap >= 0 else { throw ValidationError("--bootstrap must be 0 or more, got \(bootstrap)") }
        guard confidence > 0, confidence < 1 else {
            throw ValidationError("--confidence must be between 0 and 1 (e.g. 0.95), got \(confidence)")
        }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
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
        if form != .chinchilla, !keep.isEmpty || sharedExponent || holdout != nil {
            throw ValidationError(
                "--where, --holdout and --shared-exponent apply to the chinchilla form; --form \(form.rawValue) holds out the largest models itself"
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
        switch form {
        case .chinchilla:
            Console.output(try runChinchilla())
        case .t2Loss, .t2Accuracy:
            Console.output(
                try T2FormFit.run(
                    form: form.rawValue,
                    countsPath: path,
                    bootstrap: bootstrap,
                    seed: seed,
                    format: output.format,
                    outPath: output.out
                )
            )
        }
    }

    /// Fits the Chinchilla form and returns the text to print; writes `--out` when given.
    func runChinchilla() throws -> String {
        let table = try CSVTable(contentsOf: path)
        let columns = RunColumns(
            params: paramsColumn,
            tokens: tokensColumn,
            flops: flopsColumn,
            loss: lossColumn,
            group: groupBy
        )
        let (runs, heldOut, excluded) = try RunsReader.read(
            table,
            columns: columns,
            holdout: holdout.flatMap(RowFilter.init),
            keep: keep.compactMap(RowFilter.init)
        )
        var options = ChinchillaAnalysis.Options()
        options.fit.huberDelta = huberDelta
        options.fit.sharedExponent = sharedExponent
        options.fit.threads = threads
        options.dropHighest = dropHighest
        options.bootstrap = bootstrap
        options.seed = seed
        options.confidence = confidence
        options.budgets = try parsedBudgets()

        let provenance = DataProvenance(path: path, rows: table.count, sha256: Self.sha256(ofFile: path))
        var reports: [FitReport] = []
        let groups: [String?] = groupBy == nil ? [nil] : orderedGroups(runs + heldOut + excluded)
        for group in groups {
            let groupRuns = runs.filter { $0.group == group }
            let groupHeldOut = heldOut.filter { $0.group == group }
            let source = group.map { "\(path) [\(groupBy!)=\($0)]" } ?? path
            if groupRuns.isEmpty {
                // Every group listed has rows, so a filter took them all: say which.
                var filters: [String] = []
                if excluded.contains(where: { $0.group == group }) {
                    filters.append("--where \(keep.joined(separator: " and "))")
                }
                if !groupHeldOut.isEmpty, let holdout { filters.append("--holdout \(holdout)") }
                guard !filters.isEmpty else { throw FitError.emptyGroup(source: path, group: group ?? "") }
                throw FitError.invalidOption(
                    "\(source): \(filters.joined(separator: " with ")) leaves no runs to fit; loosen the filter"
                )
            }
            let analysis = try ChinchillaAnalysis.run(
                groupRuns,
                heldOut: groupHeldOut,
                source: source,
                options: options
            )
            for note in analysis.diagnostics { Console.warn("\(source): \(note)") }
            var report = FitReport(analysis, group: group, options: options, provenance: provenance, holdout: holdout)
            if !keep.isEmpty {
                report.excluded = .init(filters: keep, runs: excluded.filter { $0.group == group }.map(\.line))
            }
            reports.append(report)
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
            return try JSONOutput.encode(["groups": reports])
        case .table, .csv:
            return reports.map { $0.renderTable(path: path, groupColumn: groupBy) }.joined(separator: "\n\n")
        }
    }

    func orderedGroups(_ runs: [Run]) -> [String?] {
        var seen = Set<String>()
        var order: [String?] = []
        for run in runs { if let g = run.group, seen.insert(g).inserted { order.append(g) } }
        return order
    }

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

/// What `t2 fit --format json` prints for one law (and what the table shows).
struct FitReport: Encodable {
    var form = "chinchilla"
    var group: String?
    var sharedExponent: Bool
    var parameters: [String: Double]
    var objective: Double
    var points: Int
    var status: String
    var converged: Bool
    var huberDelta: Double
    var starts: Starts
    var dropped: [RunRecord]
    var excluded: Excluded?
    var allocations: [AllocationRecord]
    var intervals: IntervalRecord?
    var diagnostics: [String]
    var heldOut: HeldOutRecord?
    var data: DataProvenance
    var replicates: [[String: Double]]

    struct Starts: Encodable {
        var count: Int
        var converged: Int
        var atOptimum: Int
        var evaluations: Int
        var kernel: String
        enum CodingKeys: String, CodingKey {
            case count, converged
            case atOptimum = "at_optimum"
            case evaluations, kernel
        }
    }
    struct RunRecord: Encodable {
        var line: Int
        var params: Double
        var tokens: Double
        var loss: Double
    }
    /// Runs left out by `--where` (their lines).
    struct Excluded: Encodable {
        var filters: [String]
        var runs: [Int]
    }
    struct AllocationRecord: Encodable {
        var flops: Double
        var params: Double
        var tokens: Double
        var tokensPerParam: Double
        var loss: Double
        var paramsInterval: [Double]?
        var tokensPerParamInterval: [Double]?
        enum CodingKeys: String, CodingKey {
            case flops, params, tokens, loss
            case tokensPerParam = "tokens_per_param"
            case paramsInterval = "params_interval"
            case tokensPerParamInterval = "tokens_per_param_interval"
        }
    }
    struct IntervalRecord: Encodable {
        var confidence: Double
        var replicates: Int
        var parameters: [String: [Double]]
    }
    struct HeldOutRecord: Encodable {
        var filter: String?
        var meanAbsRelativeError: Double
        var runs: [Prediction]
        struct Prediction: Encodable {
            var line: Int
            var params: Double
            var tokens: Double
            var loss: Double
            var predicted: Double
            var relativeError: Double
            enum CodingKeys: String, CodingKey {
                case line, params, tokens, loss, predicted
                case relativeError = "relative_error"
            }
        }
        enum CodingKeys: String, CodingKey {
            case filter, runs
            case meanAbsRelativeError = "mean_abs_relative_error"
        }
    }

    enum CodingKeys: String, CodingKey {
        case form, group, parameters, objective, points, status, converged, starts, dropped, excluded, allocations,
            intervals, diagnostics, data
        case huberDelta = "huber_delta"
        case heldOut = "held_out"
        case sharedExponent = "shared_exponent"
    }

    init(
        _ analysis: ChinchillaAnalysis,
        group: String?,
        options: ChinchillaAnalysis.Options,
        provenance: DataProvenance,
        holdout: String?
    ) {
        let fit = analysis.fit
        self.group = group
        sharedExponent = options.fit.sharedExponent
        parameters = fit.law.parameters
        objective = fit.objective
        points = fit.points
        status = fit.status.rawValue
        converged = fit.status.isConverged
        huberDelta = options.fit.huberDelta
        starts = Starts(
            count: fit.starts,
            converged: fit.convergedStarts,
            atOptimum: fit.startsAtOptimum,
            evaluations: fit.evaluations,
            kernel: ChinchillaHuberObjective.kernel
        )
        dropped = analysis.dropped.map { RunRecord(line: $0.line, params: $0.params, tokens: $0.tokens, loss: $0.loss) }
        allocations = analysis.allocations.enumerated().map { i, a in
            AllocationRecord(
                flops: a.flops,
                params: a.params,
                tokens: a.tokens,
                tokensPerParam: a.tokensPerParam,
                loss: a.loss,
                paramsInterval: analysis.intervals.map { [$0.params[i].lowerBound, $0.params[i].upperBound] },
                tokensPerParamInterval: analysis.intervals.map {
                    [$0.tokensPerParam[i].lowerBound, $0.tokensPerParam[i].upperBound]
                }
            )
        }
        intervals = analysis.intervals.map { iv in
            IntervalRecord(
                confidence: iv.confidence,
                replicates: analysis.replicates.count,
                parameters: iv.parameters.mapValues { [$0.lowerBound, $0.upperBound] }
            )
        }
        diagnostics = analysis.diagnostics
        if let error = analysis.heldOutMeanAbsoluteRelativeError {
            heldOut = HeldOutRecord(
                filter: holdout,
                meanAbsRelativeError: error,
                runs: analysis.heldOut.map {
                    .init(
                        line: $0.run.line,
                        params: $0.run.params,
                        tokens: $0.run.tokens,
                        loss: $0.run.loss,
                        predicted: $0.predicted,
                        relativeError: $0.relativeError
                    )
                }
            )
        }
        data = provenance
        replicates = analysis.replicates.map(\.parameters)
    }

    /// The law JSON for `t2 plan --law`.
    var lawFile: LawFile {
        var notes = ["Huber delta \(huberDelta) on log-loss residuals, summed; \(starts.count) L-BFGS starts"]
        if sharedExponent { notes.append("shared exponent: alpha = beta fitted as one parameter (Gadre et al. 2024)") }
        if let excluded {
            notes.append(
                "used only runs with \(excluded.filters.joined(separator: " and ")); excluded \(excluded.runs.count) runs"
            )
        }
        if !dropped.isEmpty {
            notes.append(
                "dropped the \(dropped.count) highest-loss runs (lines \(dropped.map { String($0.line) }.joined(separator: ", ")))"
            )
        }
        if let group { notes.append("group \(group)") }
        if let heldOut {
            notes.append(
                "held out \(heldOut.runs.count) runs (\(heldOut.filter ?? "")): mean |relative error| \(heldOut.meanAbsRelativeError)"
            )
        }
        return LawFile(
            form: form,
            parameters: parameters,
            objective: objective,
            points: points,
            status: status,
            data: data,
            bootstrap: replicates.isEmpty ? nil : replicates,
            notes: notes
        )
    }

    /// "2, 3, 5, …" (at most 12 lines, then a count).
    static func lineList(_ lines: [Int]) -> String {
        let shown = lines.prefix(12).map(String.init).joined(separator: ", ")
        return lines.count > 12 ? shown + ", … \(lines.count - 12) more" : shown
    }

    func renderTable(path: String, groupColumn: String?) -> String {
        var lines: [String] = []
        let title = group.map { " [\(groupColumn ?? "group") = \($0)]" } ?? ""
        lines.append("Chinchilla law fitted to \(points) runs from \(path)\(title)")
        let form =
            sharedExponent ? "L(N, D) = E + A/N^η + B/D^η (shared exponent, α = β = η)" : "L(N, D) = E + A/N^α + B/D^β"
        lines.append(
            "  \(form)    Huber δ = \(Format.significant(huberDelta, 2)) on log-loss, \(starts.count) L-BFGS starts"
        )
        if let excluded {
            lines.append(
                "  used only runs with \(excluded.filters.joined(separator: " and ")): excluded \(excluded.runs.count) (lines \(Self.lineList(excluded.runs)))"
            )
        }
        if !dropped.isEmpty {
            lines.append(
                "  dropped the \(dropped.count) highest-loss runs (lines \(dropped.map { String($0.line) }.joined(separator: ", ")))"
            )
        }
        lines.append("")
        let hasIntervals = intervals != nil
        var table = TextTable(
            [("parameter", .left), ("value", .right)]
                + (hasIntervals
                    ? [("\(Format.fixed((intervals?.confidence ?? 0.95) * 100, 0))% interval", .right)] : [])
        )
        let rows =
            sharedExponent
            ? [("E", "E"), ("A", "A"), ("B", "B"), ("alpha", "η = α = β")]
            : [("E", "E"), ("A", "A"), ("B", "B"), ("alpha", "α"), ("beta", "β")]
        for (key, label) in rows {
            var row = [label, Format.significant(parameters[key]!, 5)]
            if let iv = intervals?.parameters[key] {
                row.append("[\(Format.significant(iv[0], 4)), \(Format.significant(iv[1], 4))]")
            }
            table.append(row)
        }
        lines.append(table.render(indent: "  "))
        lines.append("")
        lines.append(
            "  objective \(Format.scientific(objective, 6))   \(status)   \(starts.atOptimum) of \(starts.count) starts reached the optimum (±0.01%)"
        )
        lines.append("")
        lines.append("Compute-optimal allocation (C = 6·N·D)")
        var alloc = TextTable(
            [("budget C", .right), ("params N", .right), ("tokens D", .right), ("D/N", .right), ("loss", .right)]
                + (hasIntervals ? [("D/N interval", .right)] : [])
        )
        for a in allocations {
            var row = [
                Format.scientific(a.flops, 2), Format.count(a.params), Format.count(a.tokens),
                Format.significant(a.tokensPerParam, 3), Format.fixed(a.loss, 4),
            ]
            if let iv = a.tokensPerParamInterval {
                row.append("[\(Format.significant(iv[0], 3)), \(Format.significant(iv[1], 3))]")
            }
            alloc.append(row)
        }
        lines.append(alloc.render(indent: "  "))
        if let heldOut {
            lines.append("")
            lines.append(
                "Held-out runs (\(heldOut.filter ?? "")): \(heldOut.runs.count), mean |relative error| \(Format.percent(heldOut.meanAbsRelativeError, 2))"
            )
            var t = TextTable([
                ("line", .right), ("params N", .right), ("tokens D", .right), ("loss", .right), ("predicted", .right),
                ("error", .right),
            ])
            for r in heldOut.runs {
                t.append([
                    String(r.line), Format.count(r.params), Format.count(r.tokens), Format.fixed(r.loss, 4),
                    Format.fixed(r.predicted, 4), Format.percent(r.relativeError, 2),
                ])
            }
            lines.append(t.render(indent: "  "))
        }
        return lines.joined(separator: "\n")
    }
}
