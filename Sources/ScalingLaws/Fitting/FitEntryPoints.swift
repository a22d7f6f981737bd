import Foundation
import Optimization
import Tabular

/// What a long fit reports as it goes: the phase, the work done and the total.
public struct FitProgress: Sendable, Equatable {
    /// `starts` (the multi-start sweep), `bootstrap`, `fit`, `held-out`.
    public var phase: String
    /// Units of work finished.
    public var done: Int
    /// Units of work in the phase.
    public var total: Int

    public init(phase: String, done: Int, total: Int) {
        self.phase = phase
        self.done = done
        self.total = total
    }
}

/// The most bootstrap replicates a fit accepts: each one is a full refit, and more than this
/// changes no percentile that a report shows.
public let maximumBootstrapReplicates = 100_000

// MARK: - Chinchilla

extension FitReport {
    /// Fits the Chinchilla law to the runs in `table` — one law per `columns.group` value — and
    /// returns one report per group (one report when there are no groups). The whole of
    /// `t2 fit RUNS.csv` except printing.
    ///
    /// - Parameters:
    ///   - table: the runs CSV, read.
    ///   - columns: which columns hold N, D, the loss and the group.
    ///   - holdout: runs matching it are kept out of the fit and predicted (`held_out`).
    ///   - keep: only runs matching every filter are used (`--where`).
    ///   - options: the objective, starts, dropped runs and bootstrap.
    ///   - provenance: the data file's path, rows and hash, recorded in the law file.
    ///   - progress: called with the phase, work done and total.
    /// - Throws: ``FitError`` for a file without runs, a group the filters empty, too few runs,
    ///   or data that cannot identify the law; `TabularError` for bad cells.
    public static func chinchilla(
        _ table: CSVTable,
        columns: RunColumns = RunColumns(),
        holdout: RowFilter? = nil,
        keep: [RowFilter] = [],
        options: ChinchillaAnalysis.Options = .init(),
        provenance: DataProvenance,
        progress: (@Sendable (FitProgress) -> Void)? = nil
    ) throws -> [FitReport] {
        guard options.bootstrap <= maximumBootstrapReplicates else {
            throw FitError.invalidOption(
                "--bootstrap \(options.bootstrap) is more replicates than t2 runs (at most \(maximumBootstrapReplicates)); 200–2,000 give stable 95% intervals"
            )
        }
        guard table.count > 0 else { throw FitError.noRuns(source: table.source) }
        let (runs, heldOut, excluded) = try RunsReader.read(table, columns: columns, holdout: holdout, keep: keep)
        var groups: [String?] = []
        if columns.group == nil {
            groups = [nil]
        } else {
            var seen = Set<String>()
            for run in runs + heldOut + excluded {
                if let g = run.group, seen.insert(g).inserted { groups.append(g) }
            }
        }
        var reports: [FitReport] = []
        for group in groups {
            let groupRuns = runs.filter { $0.group == group }
            let groupHeldOut = heldOut.filter { $0.group == group }
            let source = group.map { "\(table.source) [\(columns.group!)=\($0)]" } ?? table.source
            if groupRuns.isEmpty {
                // Every group listed has rows, so a filter took them all: say which.
                var filters: [String] = []
                if excluded.contains(where: { $0.group == group }) {
                    filters.append("--where \(keep.map(\.description).joined(separator: " and "))")
                }
                if !groupHeldOut.isEmpty, let holdout { filters.append("--holdout \(holdout)") }
                guard !filters.isEmpty else { throw FitError.noRuns(source: source) }
                throw FitError.invalidOption(
                    "\(source): \(filters.joined(separator: " with ")) leaves no runs to fit; loosen the filter"
                )
            }
            let started = Date()
            let analysis = try ChinchillaAnalysis.run(
                groupRuns,
                heldOut: groupHeldOut,
                source: source,
                options: options
            ) { phase, done, total in progress?(FitProgress(phase: phase, done: done, total: total)) }
            var report = FitReport(
                analysis,
                runs: groupRuns,
                group: group,
                options: options,
                provenance: provenance,
                holdout: holdout
            )
            if !keep.isEmpty {
                report.excluded = .init(
                    filters: keep.map(\.description),
                    runs: excluded.filter { $0.group == group }.map(\.line)
                )
                report.notes.append(
                    "used only runs with \(keep.map(\.description).joined(separator: " and ")); excluded \(report.excluded!.runs.count) runs"
                )
            }
            report.seconds = Date().timeIntervalSince(started)
            reports.append(report)
        }
        return reports
    }

    /// The report for one Chinchilla analysis.
    public init(
        _ analysis: ChinchillaAnalysis,
        runs: [Run],
        group: String?,
        options: ChinchillaAnalysis.Options,
        provenance: DataProvenance,
        holdout: RowFilter?
    ) {
        let fit = analysis.fit
        self.init(
            form: "chinchilla",
            parameters: fit.law.parameters,
            objective: fit.objective,
            points: fit.points,
            status: fit.status.rawValue,
            converged: fit.status.isConverged,
            data: provenance
        )
        self.group = group
        sharedExponent = options.fit.sharedExponent
        huberDelta = options.fit.huberDelta
        fittedRange = FittedRange(runs: runs)
        starts = Starts(
            count: fit.starts,
            converged: fit.convergedStarts,
            atOptimum: fit.startsAtOptimum,
            evaluations: fit.evaluations,
            kernel: ChinchillaHuberObjective.kernel,
            subsample: fit.sweepPoints < fit.points ? fit.sweepPoints : nil
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
            Intervals(
                confidence: iv.confidence,
                replicates: analysis.replicates.count,
                parameters: iv.parameters.mapValues { [$0.lowerBound, $0.upperBound] }
            )
        }
        diagnostics = analysis.diagnostics
        if let error = analysis.heldOutMeanAbsoluteRelativeError {
            let filter = holdout?.description
            heldOut = HeldOut(
                metric: "mean_abs_relative_loss_error",
                value: error,
                max: analysis.heldOut.map { abs($0.relativeError) }.max() ?? error,
                split: "the \(analysis.heldOut.count) runs with \(filter ?? "the held-out filter")",
                filter: filter,
                points: analysis.heldOut.count,
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
        replicates = analysis.replicates.map(\.parameters)
        notes = ["Huber delta \(options.fit.huberDelta) on log-loss residuals, summed; \(fit.starts) L-BFGS starts"]
        if fit.sweepPoints < fit.points {
            notes.append(
                "the starts ran on an even subsample of \(fit.sweepPoints) of the \(fit.points) runs; the best endpoints were refined on all runs"
            )
        }
        if options.fit.sharedExponent {
            notes.append("shared exponent: alpha = beta fitted as one parameter (Gadre et al. 2024)")
        }
        if !analysis.dropped.isEmpty {
            notes.append(
                "dropped the \(analysis.dropped.count) highest-loss runs (lines \(analysis.dropped.map { String($0.line) }.joined(separator: ", ")))"
            )
        }
        if let group { notes.append("group \(group)") }
        if let heldOut {
            notes.append(
                "held out \(heldOut.points) runs (\(heldOut.filter ?? "")): mean |relative error| \(heldOut.value)"
            )
        }
        if !replicates.isEmpty {
            notes.append(
                "bootstrap: \(replicates.count) replicates (runs resampled with replacement), seed \(options.seed)"
            )
        }
    }
}

// MARK: - T² forms

/// The T² law forms `t2 fit --form` fits to per-problem sample counts.
public enum T2LawForm: String, Sendable, CaseIterable, Codable {
    /// T² Approach 1: −ln pass@k = E + A/N^α + B/D^β + G/k^γ (``T2LossLaw``).
    case loss = "t2-loss"
    /// T² Approach 2: per-problem Beta success distribution linked to L̂(N, D) (``T2AccuracyLaw``).
    case accuracy = "t2-accuracy"
}

extension FitReport {
    /// Fits the T² law `form` to the sample counts in `table` (columns model, params, tokens,
    /// problem, samples, correct): the fit on every model, the held-out check (fit on the models
    /// below the largest N, predict the largest-N models' mean pass@k at k = powers of 2 and 10
    /// up to their smallest n) and, with `bootstrap` > 0, replicates resampling whole models
    /// (replicate r uses stream r of `seed`, warm-started from the full fit).
    public static func t2(
        _ form: T2LawForm,
        table: CSVTable,
        bootstrap: Int = 0,
        seed: UInt64 = 0,
        confidence: Double = 0.95,
        provenance: DataProvenance,
        progress: (@Sendable (FitProgress) -> Void)? = nil
    ) throws -> FitReport {
        guard bootstrap >= 0, bootstrap <= maximumBootstrapReplicates else {
            throw FitError.invalidOption(
                "--bootstrap \(bootstrap) is outside 0…\(maximumBootstrapReplicates); 200–2,000 give stable 95% intervals"
            )
        }
        guard table.columnIndex("params") != nil, table.columnIndex("tokens") != nil, table.columnIndex("model") != nil
        else {
            throw CountsError.missingParamsTokens(file: table.source)
        }
        guard table.count > 0 else {
            throw FitError.noRuns(source: table.source)
        }
        let groups = try CountsReader.read(table)
        let started = Date()
        let (fitGroups, heldGroups) = T2HeldOut.split(groups)
        var notes: [String] = []
        let unidentifiable = groups.filter(\.allZero).map(\.name)
        if !unidentifiable.isEmpty {
            notes.append(
                "models with no correct sample (pass@k unidentifiable, no finite −ln pass@k): \(unidentifiable.joined(separator: ", "))"
            )
        }
        let parameters: [String: Double]
        let objective: Double
        let points: Int
        let status: ConvergenceStatus
        let held: T2HeldOut
        var replicates: [[String: Double]] = []
        let done = Locked(0)
        let tick: @Sendable () -> Void = {
            guard let progress else { return }
            let n = done.withLock { n in
                n += 1
                return n
            }
            progress(FitProgress(phase: "bootstrap", done: n, total: bootstrap))
        }
        switch form {
        case .loss:
            progress?(FitProgress(phase: "fit", done: 0, total: 2))
            let fit = try T2LossFitter.fit(groups)
            parameters = fit.law.parameters
            objective = fit.objective
            points = fit.points.count
            status = fit.status
            progress?(FitProgress(phase: "fit", done: 1, total: 2))
            let partial = try T2LossFitter.fit(fitGroups)
            held = try T2HeldOut.evaluate(heldOut: heldGroups) {
                partial.law.passAtK(params: $0, tokens: $1, samples: $2)
            }
            if bootstrap > 0 {
                replicates = T2LossFitter.bootstrap(fit, replicates: bootstrap, seed: seed, tick: tick).map(
                    \.parameters
                )
            }
            notes.append(
                "aggregation: −ln of the mean pass@k over problems (unbiased estimator per problem) per model and k = powers of 2 and 10 up to the model's smallest n; Huber δ = 1e-3 on log residuals"
            )
        case .accuracy:
            progress?(FitProgress(phase: "fit", done: 0, total: 2))
            let fit = try T2AccuracyFitter.fit(groups)
            parameters = fit.law.parameters
            objective = fit.objective
            points = fit.problems
            status = fit.status
            progress?(FitProgress(phase: "fit", done: 1, total: 2))
            let partial = try T2AccuracyFitter.fit(fitGroups)
            held = try T2HeldOut.evaluate(heldOut: heldGroups) {
                partial.law.passAtK(params: $0, tokens: $1, samples: $2)
            }
            if bootstrap > 0 {
                replicates = T2AccuracyFitter.bootstrap(
                    fit,
                    groups: groups,
                    replicates: bootstrap,
                    seed: seed,
                    tick: tick
                ).map(\.parameters)
            }
            notes.append(
                "beta-binomial maximum likelihood on all per-problem counts; gauge fixed by E = 0, theta2 = −1 (L̂ in logit units)"
            )
        }
        notes.append(
            "held-out: \(held.split); mean |Δ pass@k| = \(held.meanAbsoluteError), max = \(held.maxAbsoluteError) over \(held.points) (model, k) points"
        )
        if bootstrap > 0 {
            notes.append(
                "bootstrap: \(replicates.count) of \(bootstrap) replicates (models resampled with replacement, warm-started), seed \(seed)"
            )
        }
        var report = FitReport(
            form: form.rawValue,
            parameters: parameters,
            objective: objective,
            points: points,
            status: status.rawValue,
            converged: status.isConverged,
            data: provenance
        )
        report.fittedRange = FittedRange(
            points: groups.compactMap { g in g.params.flatMap { n in g.tokens.map { (params: n, tokens: $0) } } }
        )
        report.heldOut = HeldOut(
            metric: "mean_abs_pass_at_k_error",
            value: held.meanAbsoluteError,
            max: held.maxAbsoluteError,
            split: held.split,
            points: held.points,
            models: held.heldOutModels
        )
        report.replicates = replicates
        report.intervals = intervals(replicates, confidence: confidence)
        report.notes = notes
        report.seconds = Date().timeIntervalSince(started)
        return report
    }
}
