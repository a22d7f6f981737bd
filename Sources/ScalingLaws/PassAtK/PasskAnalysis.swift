import Foundation
import Optimization

/// One group's pass@k analysis: empirical curve, fitted distribution, forecasts, baseline.
public struct PasskGroupReport: Sendable, Codable {
    /// One forecast of pass@k at a k given by `--forecast`.
    public struct Forecast: Sendable, Codable, Equatable {
        /// pass@k from the fitted distribution.
        public var estimate: Double
        /// The interval at the report's `confidence` (nil without intervals).
        public var interval: [Double]?
        /// The power-law baseline −ln pass@k = a·k^−b at this k (nil when it cannot be fitted).
        public var powerLaw: Double?
        /// The default family's structural alternative — the same pooled shapes with each
        /// model's problems independent of the others' (`IndependentPooling`) — whose posterior
        /// makes up half of the interval's draws (nil for the other families).
        public var independent: Double?
        /// The share of the group's problems for which k lies past the counts' horizon,
        /// n·(1 + ln n) for n samples (``PassAtK/countsHorizon(samples:)``): where it is high the
        /// forecast rests on the family's assumed tail, not on the counts.
        public var beyondCounts: Double?

        /// A forecast with its optional interval, power-law baseline, independent alternative and
        /// share of problems past the counts' horizon.
        public init(
            estimate: Double,
            interval: [Double]? = nil,
            powerLaw: Double? = nil,
            independent: Double? = nil,
            beyondCounts: Double? = nil
        ) {
            self.estimate = estimate
            self.interval = interval
            self.powerLaw = powerLaw
            self.independent = independent
            self.beyondCounts = beyondCounts
        }

        /// Whether the forecast is past the counts' horizon for at least
        /// ``PasskAnalysis/beyondCountsMark`` of its problems (marked `*`).
        public var pastHorizon: Bool { (beyondCounts ?? 0) >= PasskAnalysis.beyondCountsMark }

        /// The interval's lower end, if any.
        public var low: Double? { interval?.first }
        /// The interval's upper end, if any.
        public var high: Double? { interval?.last }

        enum CodingKeys: String, CodingKey {
            case estimate, interval
            case powerLaw = "power_law"
            case independent
            case beyondCounts = "beyond_counts"
        }
    }
    /// The group's name (the `model` column, exactly as in the file; `all` without one).
    public var group: String
    /// How many problems the group counts.
    public var problems: Int
    /// Empirical pass@k (Chen et al.'s unbiased estimator) keyed by k; 0 at every k for a group
    /// with no correct sample.
    public var passAtK: [String: Double]
    /// The fitted distribution (nil for a group with no correct sample).
    public var distribution: SuccessDistribution?
    /// The distribution's named parameters (a, b, zero_mass, problem_shape), flat.
    public var parameters: [String: Double]?
    /// Standard errors of `parameters` (delta method, observed information), where computable.
    public var standardErrors: [String: Double]?
    /// Forecasts keyed by k (empty for a group with no correct sample unless `--pool-levels`).
    public var forecast: [String: Forecast]
    /// The power-law baseline −ln pass@k = a·k^−b fitted to the empirical curve (nil when all zero).
    public var powerLaw: PowerLawBaseline?
    /// Why the group has no fit or a prior-driven forecast (nil otherwise).
    public var note: String?
    /// True when the forecast comes from the level prior of `--pool-levels`, not from the group's
    /// own counts (a group with no correct sample); nil otherwise.
    public var priorDriven: Bool?

    enum CodingKeys: String, CodingKey {
        case group, problems
        case passAtK = "pass_at_k"
        case distribution, parameters
        case standardErrors = "standard_errors"
        case forecast
        case powerLaw = "power_law"
        case note
        case priorDriven = "prior_driven"
    }
}

/// How the intervals of the forecasts were made.
public enum IntervalMethod: String, Sendable, Codable, Equatable {
    /// Draws from the Laplace posteriors of the parameters, the shape spreads τ mixed by their
    /// weights, half from the crossed model and half from its independent-problems alternative,
    /// each with the problems' own posterior noise (`crossed-pooled-shape-beta-binomial`).
    case posterior
    /// Problems resampled with replacement and the family refitted (the other families).
    case bootstrap
    /// No interval was asked for.
    case none
}

/// The whole `t2 passk` result (`t2.passk/1`, docs/json.md).
public struct PasskReport: Sendable, Codable {
    /// `t2.passk/1`.
    public var schema = "t2.passk/1"
    /// One report per group, in file order.
    public var groups: [PasskGroupReport]
    /// Families ranked by 10-fold held-out log-likelihood (best first), with the standard error of
    /// each one's gap to the best and its parameter count (`--family auto` only).
    public var selection: [FamilyScore]
    /// The family fitted (nil when no group has a correct sample).
    public var family: SuccessFamily?
    /// How the family was chosen: `default`, `given` or `held-out`.
    public var familyChoice: String
    /// The coverage of the forecast intervals (e.g. 0.9).
    public var confidence: Double
    /// How the intervals were made, and from how many replicates or draws.
    public var intervals: IntervalMethod
    /// Posterior draws or bootstrap replicates behind the intervals (0 without intervals).
    public var bootstrap: Int
    /// The seed of folds, bootstrap and posterior draws.
    public var seed: UInt64
    /// What the reader must know about the forecasts (e.g. the tail assumption, skipped groups).
    public var notes: [String]
    /// The fitted shape prior of the default family (ln a_j ~ N(μ + β·x_j, τ²)).
    public var shapePrior: ShapePrior?
    /// The empirical-Bayes prior over levels behind the prior-driven forecasts (`--pool-levels`).
    public var levelPrior: LevelPrior?

    enum CodingKeys: String, CodingKey {
        case schema, groups, selection, family
        case familyChoice = "family_choice"
        case confidence, intervals, bootstrap, seed, notes
        case shapePrior = "shape_prior"
        case levelPrior = "level_prior"
    }
}

/// How `t2 passk` chooses the success-distribution family.
public enum FamilyChoice: Sendable, Equatable {
    /// `crossed-pooled-shape-beta-binomial` when two or more groups with a correct sample share
    /// problem ids; otherwise the plain beta-binomial (with a note saying why).
    case recommended
    /// The family chosen by 10-fold held-out likelihood (the one-standard-error rule).
    case heldOut
    /// This family (an error when it cannot be fitted to the groups).
    case fixed(SuccessFamily)
}

/// Where a long `t2 passk` run is: a stage and how much of it is done.
public struct PasskProgress: Sendable, Equatable {
    /// What is being done, in words ("reading", "fitting shapes", "intervals", …).
    public var stage: String
    /// Units of the stage done so far.
    public var completed: Int
    /// Units in the stage (1 for a stage without parts).
    public var total: Int

    /// A progress report: `completed` of `total` units of `stage`.
    public init(stage: String, completed: Int, total: Int) {
        self.stage = stage
        self.completed = completed
        self.total = total
    }
}

/// `t2 passk` as a library call.
public enum PasskAnalysis {
    /// A forecast is marked past the counts' horizon when k lies past it for at least this share
    /// of its group's problems.
    public static let beyondCountsMark = 0.5

    /// The note on forecasts past the counts' horizon (nil when none is): the largest k with a
    /// marked forecast, how many forecast groups it marks, and their median samples per problem.
    static func horizonNote(_ reports: [PasskGroupReport], groups: [CountGroup], forecastKs: [Int]) -> String? {
        for k in forecastKs.sorted(by: >) {
            var marked: [CountGroup] = []
            var forecast = 0
            for (r, g) in zip(reports, groups) {
                guard let f = r.forecast[String(k)] else { continue }
                forecast += 1
                if f.pastHorizon { marked.append(g) }
            }
            guard !marked.isEmpty else { continue }
            let samples = marked.flatMap { $0.problems.map(\.samples) }.sorted()
            return PassAtK.horizonNote(
                groups: marked.count,
                forecast: forecast,
                k: k,
                samples: samples[samples.count / 2]
            )
        }
        return nil
    }

    /// The largest k `--forecast` accepts (10⁹ samples per problem).
    public static let maximumForecastK = 1_000_000_000
    /// The most bootstrap replicates or posterior draws for intervals.
    public static let maximumReplicates = 100_000

    /// Analyses `groups`.
    /// - Parameters:
    ///   - groups: the counts, one group per model (``CountsReader``); a group with no correct
    ///     sample gets its empirical pass@k (0) and no fit.
    ///   - ks: k for the empirical curve; nil = powers of 2 and 10 up to each group's smallest n.
    ///     Any k > n for a problem throws naming the group and problem.
    ///   - forecastKs: k to forecast from the fitted distribution (1 … ``maximumForecastK``).
    ///   - choice: how to choose the family (``FamilyChoice``; argument label `family`).
    ///   - bootstrap: replicates (bootstrap) or draws (posterior) for the intervals; 0 = none.
    ///   - seed: seeds the folds, bootstrap replicates and posterior draws.
    ///   - confidence: the intervals' coverage, in (0, 1).
    ///   - poolLevels: forecast groups with no correct sample from the crossed families'
    ///     empirical-Bayes level prior (``LevelPooling``), reported as prior-driven.
    ///   - progress: called as the stages advance (from worker threads as well).
    public static func run(
        groups: [CountGroup],
        ks: [Int]?,
        forecastKs: [Int],
        family choice: FamilyChoice = .recommended,
        bootstrap: Int,
        seed: UInt64,
        poolLevels: Bool = false,
        confidence: Double = 0.9,
        progress: (@Sendable (PasskProgress) -> Void)? = nil
    ) throws -> PasskReport {
        for g in groups where g.problems.isEmpty { throw CountsError.emptyGroup(group: g.name) }
        for k in (ks ?? []) + forecastKs where k <= 0 { throw CountsError.invalidK(k: k) }
        for k in forecastKs where k > maximumForecastK {
            throw CountsError.invalidOption(
                "forecast k = \(k) is above the largest supported, \(maximumForecastK) (10⁹ samples per problem)"
            )
        }
        guard (0...maximumReplicates).contains(bootstrap) else {
            throw CountsError.invalidOption(
                "\(bootstrap) interval replicates; use 0 … \(maximumReplicates) (200 gives 90% intervals to about ±0.01)"
            )
        }
        guard confidence > 0, confidence < 1 else {
            throw CountsError.invalidOption("confidence \(confidence); use a number strictly between 0 and 1, e.g. 0.9")
        }

        // The empirical curves come first: they need no fit and are reported for every group.
        var curves: [[String: Double]] = []
        var baselines: [PowerLawBaseline?] = []
        for g in groups {
            let groupKs = ks ?? PassAtK.defaultKs(upTo: g.minimumSamples)
            var curve: [String: Double] = [:]
            var values: [Double] = []
            for k in groupKs {
                let p = try PassAtK.mean(g, k: k)
                curve[String(k)] = p
                values.append(p)
            }
            curves.append(curve)
            baselines.append(g.allZero ? nil : PowerLawBaseline(ks: groupKs, passAtK: values))
        }

        let fittedIndex = groups.indices.filter { !groups[$0].allZero }
        let problems = fittedIndex.map { groups[$0].problems }
        var notes: [String] = []
        let zeroCount = groups.count - fittedIndex.count
        if zeroCount > 0 {
            notes.append(
                "\(zeroCount) of \(groups.count) group(s) have no correct sample: their empirical pass@k is 0 at every k; no distribution is fitted and no forecast made for them"
                    + (poolLevels ? "" : " (--pool-levels forecasts them from the other groups, labelled prior-driven)")
            )
        }

        // The family.
        let chosen: SuccessFamily?
        var selection: FamilySelection? = nil
        let choiceName: String
        switch choice {
        case .fixed(let family):
            choiceName = "given"
            if !problems.isEmpty, !family.isCandidate(for: problems) {
                throw CountsError.tooFewForFit(
                    form: family.rawValue,
                    detail: family.sharesProblemEffects
                        ? "it needs two or more groups (models) with at least one correct sample that share problem ids (problems are aligned by id); these groups \(problems.count < 2 ? "are fewer than two" : "share no problem ids"). Use --family beta-binomial"
                        : "it needs two or more groups (models) with at least one correct sample. Use --family beta-binomial"
                )
            }
            chosen = problems.isEmpty ? nil : family
        case .recommended:
            choiceName = "default"
            if problems.isEmpty {
                chosen = nil
            } else if SuccessFamily.crossedPooledShape.isCandidate(for: problems) {
                chosen = .crossedPooledShape
            } else {
                chosen = .betaBinomial
                notes.append(
                    "the default family, crossed-pooled-shape-beta-binomial, needs two or more models with a correct sample that share problem ids; with \(problems.count < 2 ? "one such group" : "no shared problem ids") each group gets its own beta-binomial, whose tail rests on that group's counts alone"
                )
            }
        case .heldOut:
            choiceName = "held-out"
            if problems.isEmpty {
                chosen = nil
            } else {
                progress?(PasskProgress(stage: "choosing the family (10 folds)", completed: 0, total: 1))
                selection = SuccessDistributionFitter.select(groups: problems, seed: seed)
                chosen = selection!.chosen
            }
        }
        if problems.isEmpty, !groups.isEmpty {
            notes.append("no group has a correct sample: only the empirical pass@k is reported")
        }

        var fit: SuccessFit? = nil
        var estimates: [[Double]] = []
        var independent: [[Double]]? = nil
        var replicates: [[[Double]]] = []
        var intervalMethod = IntervalMethod.none
        let fks = forecastKs.map(Double.init)
        if let chosen {
            let report: @Sendable (String) -> (@Sendable (Int, Int) -> Void) = { stage in
                { done, total in progress?(PasskProgress(stage: stage, completed: done, total: total)) }
            }
            if chosen == .crossedPooledShape {
                let pooled = CrossedShapePooling.fit(groups: problems, progress: report("fitting shapes (τ grid)"))
                var f = pooled.fit
                f.standardErrors = CrossedShapePooling.standardErrors(pooled, groups: problems)
                fit = f
                if !fks.isEmpty {
                    estimates = SuccessDistributionFitter.forecasts(f, groups: problems, ks: fks)
                    let alternative = IndependentPooling(groups: problems)
                    let alternativeFit = alternative.fit()
                    independent =
                        alternative.forecastsWithVariance(
                            alternativeFit.candidates[alternativeFit.best].x,
                            ks: fks
                        ).mean
                    if bootstrap > 0 {
                        let crossedDraws = CrossedShapePooling.posteriorForecasts(
                            pooled,
                            groups: problems,
                            ks: fks,
                            draws: (bootstrap + 1) / 2,
                            seed: seed,
                            progress: report("intervals (posterior draws)")
                        )
                        let independentDraws = alternative.posteriorForecasts(
                            alternativeFit,
                            ks: fks,
                            draws: bootstrap / 2,
                            seed: seed
                        )
                        replicates = zip(crossedDraws, independentDraws).map { $0 + $1 }
                        intervalMethod = .posterior
                    }
                }
            } else {
                progress?(PasskProgress(stage: "fitting \(chosen.rawValue)", completed: 0, total: 1))
                let f = SuccessDistributionFitter.fit(chosen, groups: problems, standardErrors: true)
                fit = f
                if !fks.isEmpty {
                    estimates = SuccessDistributionFitter.forecasts(f, groups: problems, ks: fks)
                    if bootstrap > 0 {
                        replicates = SuccessDistributionFitter.bootstrapForecasts(
                            f,
                            groups: problems,
                            ks: fks,
                            replicates: bootstrap,
                            seed: seed,
                            progress: report("intervals (bootstrap)")
                        )
                        intervalMethod = .bootstrap
                    }
                }
            }
            if chosen.sharesProblemEffects { notes.append(CrossedBetaBinomial.tailShapeNote) }
        }

        var pooled: PooledLevels? = nil
        if poolLevels, zeroCount > 0, !fks.isEmpty, let fit, let chosen {
            if chosen.sharesProblemEffects {
                progress?(PasskProgress(stage: "pooling levels", completed: 0, total: 1))
                pooled = LevelPooling.forecast(
                    groups: groups,
                    fitted: groups.map { !$0.allZero },
                    fit: fit,
                    ks: fks,
                    confidence: confidence
                )
                notes.append(LevelPooling.note(pooled!.prior))
            } else {
                notes.append(
                    "--pool-levels needs a crossed family (\(chosen.rawValue) was fitted): groups with no correct sample get no forecast"
                )
            }
        }

        var reports: [PasskGroupReport] = []
        var fi = 0
        for (gi, g) in groups.enumerated() {
            if g.allZero {
                var forecast: [String: PasskGroupReport.Forecast] = [:]
                let priorDriven = pooled?.forecasts[gi]
                for (j, k) in forecastKs.enumerated() {
                    if let f = priorDriven?[j] {
                        forecast[String(k)] = .init(
                            estimate: f.estimate,
                            interval: [f.low, f.high],
                            beyondCounts: PassAtK.shareBeyondHorizon(g, k: k)
                        )
                    }
                }
                let unidentifiable =
                    CountsError.allZero(group: g.name, problems: g.problems.count).errorDescription ?? ""
                reports.append(
                    PasskGroupReport(
                        group: g.name,
                        problems: g.problems.count,
                        passAtK: curves[gi],
                        distribution: nil,
                        parameters: nil,
                        standardErrors: nil,
                        forecast: forecast,
                        powerLaw: nil,
                        note: priorDriven == nil
                            ? unidentifiable
                            : "no correct sample: its forecast is prior-driven (the level prior fitted across the groups, updated by its zero counts); interval: the central \(Int((confidence * 100).rounded()))% of its level posterior",
                        priorDriven: priorDriven == nil ? nil : true
                    )
                )
                continue
            }
            guard let fit else { continue }
            let d = fit.distributions[fi]
            var forecast: [String: PasskGroupReport.Forecast] = [:]
            for (j, k) in forecastKs.enumerated() {
                var interval: [Double]? = nil
                if !replicates.isEmpty,
                    let r = Bootstrap.percentileInterval(replicates[fi].map { $0[j] }, confidence: confidence)
                {
                    interval = [r.lowerBound, r.upperBound]
                }
                forecast[String(k)] = .init(
                    estimate: estimates[fi][j],
                    interval: interval,
                    powerLaw: baselines[gi]?.passAtK(Double(k)),
                    independent: independent?[fi][j],
                    beyondCounts: PassAtK.shareBeyondHorizon(g, k: k)
                )
            }
            reports.append(
                PasskGroupReport(
                    group: g.name,
                    problems: g.problems.count,
                    passAtK: curves[gi],
                    distribution: d,
                    parameters: d.parameters,
                    standardErrors: fit.standardErrors[fi],
                    forecast: forecast,
                    powerLaw: baselines[gi],
                    note: nil,
                    priorDriven: nil
                )
            )
            fi += 1
        }
        if let note = horizonNote(reports, groups: groups, forecastKs: forecastKs) { notes.append(note) }
        return PasskReport(
            groups: reports,
            selection: selection?.scores ?? [],
            family: chosen,
            familyChoice: choiceName,
            confidence: confidence,
            intervals: intervalMethod,
            bootstrap: intervalMethod == .none ? 0 : bootstrap,
            seed: seed,
            notes: notes,
            shapePrior: fit?.shapePrior,
            levelPrior: pooled?.prior
        )
    }
}
