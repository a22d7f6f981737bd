import Dispatch
import Foundation
import Optimization
import RealModule

/// A complete `t2 fit` analysis of one set of runs: outlier removal, the multi-start fit,
/// diagnostics, bootstrap intervals, compute-optimal allocations and out-of-sample checks.
public struct ChinchillaAnalysis: Sendable {
    /// Everything that shapes the analysis.
    public struct Options: Sendable {
        /// Fit settings (Huber δ, starts, optimizer, threads).
        public var fit = ChinchillaFitOptions()
        /// Remove this many highest-loss runs before fitting (Epoch AI's rule drops 5).
        public var dropHighest = 0
        /// Bootstrap replicates (0 = none).
        public var bootstrap = 0
        /// Seed for the bootstrap resampling.
        public var seed: UInt64 = 0
        /// Two-sided coverage of the percentile intervals.
        public var confidence = 0.95
        /// Training budgets (FLOPs) at which to report the compute-optimal allocation.
        public var budgets: [Double] = [1e19, 1e21, 1e23, 1e25]

        public init() {}
    }

    /// The fit on all (kept) runs.
    public var fit: ChinchillaFit
    /// Runs removed by `dropHighest`.
    public var dropped: [Run]
    /// The compute-optimal allocation at each budget.
    public var allocations: [Allocation]
    /// Bootstrap replicates of the law (empty without a bootstrap).
    public var replicates: [ChinchillaLaw]
    /// Percentile intervals for E, A, B, alpha, beta and for D/N at each budget.
    public var intervals: Intervals?
    /// Findings a user should know about.
    public var diagnostics: [String]
    /// Predictions for held-out runs.
    public var heldOut: [Prediction]

    /// Percentile intervals from the bootstrap.
    public struct Intervals: Sendable {
        /// Per parameter name (`E`, `A`, `B`, `alpha`, `beta`): (low, high).
        public var parameters: [String: ClosedRange<Double>]
        /// Per budget, in the order of `Options.budgets`: the interval of D/N at the optimum.
        public var tokensPerParam: [ClosedRange<Double>]
        /// Per budget: the interval of N at the optimum.
        public var params: [ClosedRange<Double>]
        /// The coverage these intervals were computed for.
        public var confidence: Double
    }

    /// The law's prediction for one held-out run.
    public struct Prediction: Sendable {
        public var run: Run
        public var predicted: Double
        /// (predicted − actual) / actual.
        public var relativeError: Double { (predicted - run.loss) / run.loss }
    }

    /// Mean absolute relative error over the held-out runs (nil when none).
    public var heldOutMeanAbsoluteRelativeError: Double? {
        heldOut.isEmpty ? nil : heldOut.map { abs($0.relativeError) }.reduce(0, +) / Double(heldOut.count)
    }

    /// Runs the analysis.
    /// - Throws: ``FitError`` when too few runs remain to identify the five parameters.
    /// - Throws: ``FitError/notIdentified(source:reason:)`` when the runs cannot separate the
    ///   law's terms (constant loss, one model size or one data size, N and D collinear).
    /// - Parameters:
    ///   - runsIn: the runs to fit.
    ///   - heldOut: runs kept out of the fit and predicted by it.
    ///   - source: the file the runs came from, for messages.
    ///   - options: the objective, starts, dropped runs and bootstrap.
    ///   - progress: called with the phase (`starts`, `refine`, `bootstrap`), work done and total.
    public static func run(
        _ runsIn: [Run],
        heldOut: [Run] = [],
        source: String,
        options: Options = Options(),
        progress: (@Sendable (String, Int, Int) -> Void)? = nil
    ) throws -> ChinchillaAnalysis {
        guard options.dropHighest >= 0 else {
            throw FitError.invalidOption("--drop-highest must be ≥ 0, got \(options.dropHighest)")
        }
        var runs = runsIn
        var dropped: [Run] = []
        if options.dropHighest > 0 {
            let order = runs.indices.sorted {
                runs[$0].loss > runs[$1].loss || (runs[$0].loss == runs[$1].loss && $0 < $1)
            }
            let drop = Set(order.prefix(options.dropHighest))
            dropped = order.prefix(options.dropHighest).map { runs[$0] }
            runs = runs.indices.filter { !drop.contains($0) }.map { runs[$0] }
        }
        let parameterCount = options.fit.parameterCount
        guard runs.count > parameterCount else {
            throw FitError.tooFewPoints(
                source: source,
                points: runs.count,
                parameters: parameterCount,
                dropped: dropped.count
            )
        }
        try checkIdentified(runs, source: source, sharedExponent: options.fit.sharedExponent)
        let fit = ChinchillaFitter.fit(runs, options: options.fit) { progress?($0, $1, $2) }
        if let reason = unidentifiedFit(fit.law, runs: runs) {
            throw FitError.notIdentified(source: source, reason: reason)
        }
        let allocations = options.budgets.map { fit.law.computeOptimal(flops: $0) }

        var replicates: [ChinchillaLaw] = []
        var intervals: Intervals?
        if options.bootstrap > 0 {
            replicates = bootstrap(runs, fit: fit, options: options) { progress?("bootstrap", $0, $1) }
            intervals = percentileIntervals(replicates, budgets: options.budgets, confidence: options.confidence)
        }
        let predictions = heldOut.map {
            Prediction(run: $0, predicted: fit.law.loss(params: $0.params, tokens: $0.tokens))
        }
        return ChinchillaAnalysis(
            fit: fit,
            dropped: dropped,
            allocations: allocations,
            replicates: replicates,
            intervals: intervals,
            diagnostics: diagnose(fit, runs: runs),
            heldOut: predictions
        )
    }

    // MARK: - Bootstrap

    /// Non-parametric bootstrap over runs: each replicate resamples the runs with replacement
    /// (its own seeded stream, so results do not depend on threads) and refits from the full
    /// fit's optimum plus the 16 grid starts that reached the lowest objectives in the full fit.
    static func bootstrap(
        _ runs: [Run],
        fit: ChinchillaFit,
        options: Options,
        progress: (@Sendable (Int, Int) -> Void)? = nil
    ) -> [ChinchillaLaw] {
        let done = Locked(0)
        let total = options.bootstrap
        let order = fit.startObjectives.indices.sorted { fit.startObjectives[$0] < fit.startObjectives[$1] }
        // The fit's starts in its own coordinates (fit.startObjectives is indexed by them).
        let grid = ChinchillaProblem.starts(options.fit.starts, sharedExponent: options.fit.sharedExponent).map {
            options.fit.sharedExponent ? SharedExponentObjective.expand($0) : $0
        }
        let starts =
            [ChinchillaHuberObjective.theta(fit.law)] + order.prefix(16).filter { $0 < grid.count }.map { grid[$0] }
        let fitOptions = options.fit
        return Bootstrap.replicates(options.bootstrap, seed: options.seed, threads: options.fit.threads) { _, rng in
            let weights = Bootstrap.multiplicities(runs.count, using: &rng)
            var sample: [Run] = []
            for (run, weight) in zip(runs, weights) where weight > 0 {
                sample += repeatElement(run, count: Int(weight))
            }
            let problem = ChinchillaProblem(runs: sample, options: fitOptions)
            var solver = LBFGSSolver(dimension: fitOptions.parameterCount, memory: fitOptions.optimizer.memory)
            var best: MinimizationResult?
            for start in starts {
                let result = problem.minimize(from: start, solver: &solver, options: fitOptions.optimizer)
                if result.value.isFinite, result.value < (best?.value ?? .infinity) { best = result }
            }
            if let progress {
                let n = done.withLock { n in
                    n += 1
                    return n
                }
                progress(n, total)
            }
            guard let best else { return nil }
            let polished = problem.minimize(from: best.x, solver: &solver, options: fitOptions.polish)
            return ChinchillaHuberObjective.law(polished.value <= best.value ? polished.x : best.x)
        }
    }

    static func percentileIntervals(_ laws: [ChinchillaLaw], budgets: [Double], confidence: Double) -> Intervals? {
        guard laws.count >= 2 else { return nil }
        let lowQ = (1 - confidence) / 2
        let highQ = 1 - lowQ
        func interval(_ values: [Double]) -> ClosedRange<Double> {
            let sorted = values.filter(\.isFinite).sorted()
            guard !sorted.isEmpty else { return Double.nan...Double.nan }
            return Bootstrap.quantile(sorted, lowQ)...Bootstrap.quantile(sorted, highQ)
        }
        var parameters: [String: ClosedRange<Double>] = [:]
        for key in ["E", "A", "B", "alpha", "beta"] {
            parameters[key] = interval(laws.map { $0.parameters[key]! })
        }
        let allocations = budgets.map { budget in laws.map { $0.computeOptimal(flops: budget) } }
        return Intervals(
            parameters: parameters,
            tokensPerParam: allocations.map { interval($0.map(\.tokensPerParam)) },
            params: allocations.map { interval($0.map(\.params)) },
            confidence: confidence
        )
    }

    // MARK: - Identification

    /// Refuses data that cannot identify the law: a loss that does not vary, a single model size
    /// or data size, or runs whose ln D is an exact linear function of ln N (e.g. every run at
    /// 20 tokens per parameter), where the N and D terms cannot be told apart.
    static func checkIdentified(_ runs: [Run], source: String, sharedExponent: Bool) throws {
        let losses = runs.map(\.loss)
        if let lo = losses.min(), let hi = losses.max(), hi - lo <= 1e-9 * hi {
            throw FitError.notIdentified(
                source: source,
                reason:
                    "every run has the same loss (\(fmt(lo))): the data say nothing about how loss falls with N or D. Add runs whose loss differs"
            )
        }
        let lnN = runs.map { Foundation.log($0.params) }
        let lnD = runs.map { Foundation.log($0.tokens) }
        func spread(_ x: [Double]) -> Double { (x.max() ?? 0) - (x.min() ?? 0) }
        if spread(lnN) < 1e-9 {
            throw FitError.notIdentified(
                source: source,
                reason:
                    "every run has the same model size N = \(fmt(runs[0].params)): A and α (how loss falls with N) cannot be fitted. Add runs of other sizes"
            )
        }
        if spread(lnD) < 1e-9 {
            throw FitError.notIdentified(
                source: source,
                reason:
                    "every run has the same number of tokens D = \(fmt(runs[0].tokens)): B and β (how loss falls with D) cannot be fitted. Add runs trained on other amounts of data"
            )
        }
        // Collinearity: R² of the least-squares line ln D = a + b·ln N.
        let n = Double(runs.count)
        let mN = lnN.reduce(0, +) / n
        let mD = lnD.reduce(0, +) / n
        var sNN = 0.0
        var sDD = 0.0
        var sND = 0.0
        for (x, y) in zip(lnN, lnD) {
            sNN += (x - mN) * (x - mN)
            sDD += (y - mD) * (y - mD)
            sND += (x - mN) * (y - mD)
        }
        let r2 = sND * sND / (sNN * sDD)
        if r2 > 1 - 1e-9 {
            let slope = sND / sNN
            let shape =
                abs(slope - 1) < 1e-6
                ? "every run has the same D/N = \(fmt(runs[0].tokens / runs[0].params)) tokens per parameter"
                : "ln D is an exact linear function of ln N (D ∝ N^\(fmt(slope)))"
            throw FitError.notIdentified(
                source: source,
                reason:
                    "\(shape), so the N and D terms of the law cannot be told apart and the compute-optimal allocation is not identified. Add runs off that line (several D for one N, an IsoFLOP profile)"
            )
        }
    }

    /// A reason when the fitted law's allocation means nothing: an exponent at its lower bound
    /// (the runs show no improvement with N or D), which puts the compute-optimal model at an
    /// absurd size.
    static func unidentifiedFit(_ law: ChinchillaLaw, runs: [Run]) -> String? {
        guard law.alpha < 0.02 || law.beta < 0.02 else { return nil }
        let which = law.alpha < law.beta ? "N (α = \(fmt(law.alpha)))" : "D (β = \(fmt(law.beta)))"
        return
            "the best fit has loss falling with \(which) hardly at all, so the compute-optimal allocation is not identified (it would put every budget into one term). The runs may be too noisy or span too little of N and D; add runs over a wider range"
    }

    // MARK: - Diagnostics

    static func diagnose(_ fit: ChinchillaFit, runs: [Run]) -> [String] {
        var notes: [String] = []
        let law = fit.law
        if !fit.status.isConverged {
            notes.append("the best start did not converge (\(fit.status.rawValue)); treat the parameters with caution")
        }
        // Bounds of the plausible region (the start grid spans exponents 0…2).
        if law.alpha < 0.02 || law.beta < 0.02 {
            notes.append(
                "an exponent sits at the lower bound (α = \(fmt(law.alpha)), β = \(fmt(law.beta))): the data show almost no improvement with \(law.alpha < law.beta ? "N" : "D"); the allocation is not identified"
            )
        }
        if law.alpha > 2.5 || law.beta > 2.5 {
            notes.append(
                "an exponent is implausibly large (α = \(fmt(law.alpha)), β = \(fmt(law.beta)) beyond the start grid's 2.0): the fit is extrapolating a term the data barely constrain"
            )
        }
        let minLoss = runs.map(\.loss).min() ?? 1
        if law.E < 1e-3 * minLoss {
            notes.append(
                "the irreducible loss E = \(fmt(law.E)) sits at its lower bound of 0: the data do not reach the loss floor, so E and the other terms trade off"
            )
        }
        if law.A > 1e12 || law.B > 1e12 {
            notes.append(
                "a coefficient is huge (A = \(fmt(law.A)), B = \(fmt(law.B))): it is compensating an exponent the data do not identify"
            )
        }
        // Do the near-optimal starts agree on what matters (the allocation exponent)?
        // (on a subsampled sweep the starts' objectives are the subsample's: compare with its best)
        let best = fit.sweepPoints < fit.points ? (fit.startObjectives.min() ?? fit.objective) : fit.objective
        let threshold = best * 1.01
        let near = fit.startEndpoints.indices.filter { fit.startObjectives[$0] <= threshold }.map {
            fit.startEndpoints[$0]
        }
        if near.count >= 2 {
            let exponents = near.map { $0[4] / ($0[3] + $0[4]) }
            let spread = (exponents.max()! - exponents.min()!)
            if spread > 0.05 {
                notes.append(
                    "starts within 1% of the best objective disagree on the allocation exponent β/(α+β) (from \(fmt(exponents.min()!)) to \(fmt(exponents.max()!))): the law is weakly identified; use --bootstrap to see the uncertainty"
                )
            }
        }
        let fraction = Double(fit.startsAtOptimum) / Double(max(fit.starts, 1))
        if fraction < 0.01 {
            notes.append(
                "only \(fit.startsAtOptimum) of \(fit.starts) starts reached the best objective: the optimum is hard to find; more starts may find a better one"
            )
        }
        // Span of the data.
        let nSpan = log10(runs.map(\.params).max()! / runs.map(\.params).min()!)
        let dSpan = log10(runs.map(\.tokens).max()! / runs.map(\.tokens).min()!)
        if nSpan < 1 {
            notes.append(
                "the runs span only \(fmt(nSpan)) decades of N: α and A are poorly identified (aim for ≥ 1–2 decades)"
            )
        }
        if dSpan < 1 {
            notes.append(
                "the runs span only \(fmt(dSpan)) decades of D: β and B are poorly identified (aim for ≥ 1–2 decades)"
            )
        }
        return notes
    }

    static func fmt(_ x: Double) -> String { String(format: "%.4g", x) }
}

/// Errors from fitting.
public enum FitError: Error, LocalizedError, Equatable, Sendable {
    /// Fewer data points than the law has parameters (plus one).
    case tooFewPoints(source: String, points: Int, parameters: Int, dropped: Int)
    /// A group named by --group-by has no rows.
    case emptyGroup(source: String, group: String)
    /// An option value is out of range.
    case invalidOption(String)
    /// The file has a header but no data rows.
    case noRuns(source: String)
    /// The data cannot identify the law's parameters (the reason says why and what to add).
    case notIdentified(source: String, reason: String)

    public var errorDescription: String? {
        switch self {
        case let .tooFewPoints(source, points, parameters, dropped):
            let droppedNote = dropped > 0 ? " after dropping \(dropped) highest-loss runs" : ""
            return
                "\(source): \(points) runs\(droppedNote), but the Chinchilla law has \(parameters) free parameters and needs at least \(parameters + 1) runs. Add runs, or lower --drop-highest"
        case let .emptyGroup(source, group):
            return "\(source): group '\(group)' has no runs to fit"
        case let .invalidOption(message):
            return message
        case let .noRuns(source):
            return
                "\(source): the file has a header but no runs; add one run per row (columns params, tokens or flops, loss)"
        case let .notIdentified(source, reason):
            return "\(source): the fit is not identified: \(reason)"
        }
    }
}
