import Foundation

/// One group's pass@k analysis: empirical curve, fitted distribution, forecasts, baseline.
public struct PasskGroupReport: Sendable, Codable {
    public struct Forecast: Sendable, Codable, Equatable {
        /// pass@k from the fitted distribution.
        public var estimate: Double
        /// 2.5% and 97.5% bootstrap percentiles (nil without bootstrap).
        public var low: Double?
        public var high: Double?
        /// The power-law baseline −ln pass@k = a·k^−b at this k (nil when it cannot be fitted).
        public var powerLaw: Double?
        enum CodingKeys: String, CodingKey {
            case estimate, low, high
            case powerLaw = "power_law"
        }
    }
    public var group: String
    public var problems: Int
    public var passAtK: [String: Double]
    public var distribution: SuccessDistribution?
    /// The distribution's named parameters (a, b, zero_mass, problem_shape), flat.
    public var parameters: [String: Double]?
    public var standardErrors: [String: Double]?
    public var forecast: [String: Forecast]
    public var powerLaw: PowerLawBaseline?
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

/// The whole `t2 passk` result.
public struct PasskReport: Sendable, Codable {
    public var groups: [PasskGroupReport]
    /// Families ranked by 10-fold held-out log-likelihood (best first), with the standard error of
    /// each one's gap to the best and its parameter count; `family` is the one-standard-error choice.
    public var selection: [FamilyScore]
    public var family: SuccessFamily?
    public var bootstrap: Int
    public var seed: UInt64
    /// What the reader must know about the forecasts (e.g. the crossed family's tail assumption).
    public var notes: [String]
    /// The empirical-Bayes prior over levels behind the prior-driven forecasts (`--pool-levels`).
    public var levelPrior: LevelPrior?

    enum CodingKeys: String, CodingKey {
        case groups, selection, family, bootstrap, seed, notes
        case levelPrior = "level_prior"
    }
}

/// `t2 passk` as a library call.
public enum PasskAnalysis {
    /// Analyses `groups`.
    /// - Parameters:
    ///   - ks: k for the empirical curve; nil = powers of 2 and 10 up to each group's smallest n.
    ///     Any k > n for a problem throws naming the group and problem.
    ///   - forecastKs: k to forecast from the fitted distribution.
    ///   - family: a fixed family, or nil to choose by held-out likelihood.
    ///   - poolLevels: forecast groups with no correct sample from the crossed family's
    ///     empirical-Bayes level prior (``LevelPooling``), reported as prior-driven.
    public static func run(
        groups: [CountGroup],
        ks: [Int]?,
        forecastKs: [Int],
        family: SuccessFamily?,
        bootstrap: Int,
        seed: UInt64,
        poolLevels: Bool = false
    ) throws -> PasskReport {
        for g in groups where g.problems.isEmpty { throw CountsError.emptyGroup(group: g.name) }
        for k in (ks ?? []) + forecastKs where k <= 0 { throw CountsError.invalidK(k: k) }
        let fitted = groups.filter { !$0.allZero }
        if fitted.isEmpty, let first = groups.first {
            throw CountsError.allZero(group: first.name, problems: first.problems.count)
        }
        let problems = fitted.map(\.problems)
        if let family, !family.isCandidate(for: problems) {
            throw CountsError.tooFewForFit(
                form: family.rawValue,
                detail: family == .crossed
                    ? "it needs two or more groups (models) with at least one correct sample that share problem ids (problems are aligned by id); these groups share no problem ids. Use another --family"
                    : "it needs two or more groups (models) with at least one correct sample. Use another --family"
            )
        }
        let selection = family == nil ? SuccessDistributionFitter.select(groups: problems, seed: seed) : nil
        let chosen = family ?? selection!.chosen
        let fit = SuccessDistributionFitter.fit(chosen, groups: problems, standardErrors: true)
        let fks = forecastKs.map(Double.init)
        let estimates = SuccessDistributionFitter.forecasts(fit, groups: problems, ks: fks)
        let boot =
            bootstrap > 0 && !fks.isEmpty
            ? SuccessDistributionFitter.bootstrapForecasts(
                fit,
                groups: problems,
                ks: fks,
                replicates: bootstrap,
                seed: seed
            ) : []
        var notes = chosen == .crossed ? [CrossedBetaBinomial.tailShapeNote] : []
        var pooled: PooledLevels? = nil
        if poolLevels, groups.contains(where: \.allZero), !fks.isEmpty {
            if chosen == .crossed {
                pooled = LevelPooling.forecast(groups: groups, fitted: groups.map { !$0.allZero }, fit: fit, ks: fks)
                notes.append(LevelPooling.note(pooled!.prior))
            } else {
                notes.append(
                    "--pool-levels needs the crossed-beta-binomial family (\(chosen.rawValue) was used): groups with no correct sample stay unidentifiable"
                )
            }
        }
        var reports: [PasskGroupReport] = []
        var fi = 0
        for (gi, g) in groups.enumerated() {
            let groupKs = ks ?? PassAtK.defaultKs(upTo: g.minimumSamples)
            var curve: [String: Double] = [:]
            var values: [Double] = []
            for k in groupKs {
                let p = try PassAtK.mean(g, k: k)
                curve[String(k)] = p
                values.append(p)
            }
            let power = PowerLawBaseline(ks: groupKs, passAtK: values)
            if g.allZero {
                var forecast: [String: PasskGroupReport.Forecast] = [:]
                let priorDriven = pooled?.forecasts[gi]
                for (j, k) in fks.enumerated() {
                    if let f = priorDriven?[j] {
                        forecast[String(Int(k))] = .init(estimate: f.estimate, low: f.low, high: f.high, powerLaw: nil)
                    }
                }
                let unidentifiable =
                    CountsError.allZero(group: g.name, problems: g.problems.count).errorDescription ?? ""
                reports.append(
                    PasskGroupReport(
                        group: g.name,
                        problems: g.problems.count,
                        passAtK: curve,
                        distribution: nil,
                        parameters: nil,
                        standardErrors: nil,
                        forecast: forecast,
                        powerLaw: nil,
                        note: priorDriven == nil
                            ? unidentifiable
                            : "no correct sample: its forecast is prior-driven (the level prior fitted across the groups, updated by its zero counts); interval: 2.5%/97.5% of its level posterior",
                        priorDriven: priorDriven == nil ? nil : true
                    )
                )
                continue
            }
            let d = fit.distributions[fi]
            var forecast: [String: PasskGroupReport.Forecast] = [:]
            for (j, k) in fks.enumerated() {
                var low: Double? = nil
                var high: Double? = nil
                if !boot.isEmpty {
                    let samples = boot[fi].map { $0[j] }.filter(\.isFinite).sorted()
                    if !samples.isEmpty {
                        low = samples[Int((0.025 * Double(samples.count - 1)).rounded())]
                        high = samples[Int((0.975 * Double(samples.count - 1)).rounded())]
                    }
                }
                forecast[String(Int(k))] = .init(
                    estimate: estimates[fi][j],
                    low: low,
                    high: high,
                    powerLaw: power?.passAtK(k)
                )
            }
            reports.append(
                PasskGroupReport(
                    group: g.name,
                    problems: g.problems.count,
                    passAtK: curve,
                    distribution: d,
                    parameters: d.parameters,
                    standardErrors: fit.standardErrors[fi],
                    forecast: forecast,
                    powerLaw: power,
                    note: nil,
                    priorDriven: nil
                )
            )
            fi += 1
        }
        return PasskReport(
            groups: reports,
            selection: selection?.scores ?? [],
            family: chosen,
            bootstrap: bootstrap,
            seed: seed,
            notes: notes,
            levelPrior: pooled?.prior
        )
    }
}
