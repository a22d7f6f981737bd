import Dispatch
import Foundation
import Optimization
import RealModule

/// A fitted family over all groups of a counts file.
public struct SuccessFit: Sendable {
    /// The family fitted.
    public var family: SuccessFamily
    /// One distribution per group, in group order.
    public var distributions: [SuccessDistribution]
    /// Negative log-likelihood at the optimum (all groups).
    public var negLogLikelihood: Double
    /// Unconstrained optimum (ln a, ln b, logit π …), for warm starts.
    public var x: [Double]
    /// Standard errors of (a, b) per group from the observed information (delta method); nil
    /// where the information matrix is singular (e.g. a group with all zeros).
    public var standardErrors: [[String: Double]?]
    /// The fitted shape prior (`crossed-pooled-shape-beta-binomial` only).
    public var shapePrior: ShapePrior?

    /// A fit of `family` with these fields.
    public init(
        family: SuccessFamily,
        distributions: [SuccessDistribution],
        negLogLikelihood: Double,
        x: [Double],
        standardErrors: [[String: Double]?],
        shapePrior: ShapePrior? = nil
    ) {
        self.family = family
        self.distributions = distributions
        self.negLogLikelihood = negLogLikelihood
        self.x = x
        self.standardErrors = standardErrors
        self.shapePrior = shapePrior
    }
}

/// One family's held-out score in ``SuccessDistributionFitter/select(groups:candidates:folds:seed:)``.
public struct FamilyScore: Sendable, Codable, Equatable {
    /// The family scored.
    public var family: SuccessFamily
    /// Σ over folds of the held-out log-likelihood.
    public var heldOutLogLikelihood: Double
    /// Standard error of the gap to the best family's score (0 for the best itself).
    public var standardError: Double
    /// Free parameters of the family's fit to all the groups.
    public var parameters: Int

    enum CodingKeys: String, CodingKey {
        case family
        case heldOutLogLikelihood = "held_out_log_likelihood"
        case standardError = "standard_error"
        case parameters
    }
}

/// The families' held-out scores (best first) and the family chosen by the one-standard-error rule.
public struct FamilySelection: Sendable {
    /// Every candidate's score, best first.
    public var scores: [FamilyScore]
    /// The family chosen by the one-standard-error rule.
    public var chosen: SuccessFamily
}

/// Maximum-likelihood fitting of per-problem success distributions, model selection by held-out
/// likelihood, forecasts and bootstrap intervals for pass@k.
public enum SuccessDistributionFitter {
    static let options = LBFGSOptions(
        memory: 10,
        gradientTolerance: 1e-9,
        functionTolerance: 1e-13,
        maxIterations: 500,
        maxEvaluations: 2_000
    )
    /// Bootstrap refits stop at a relative decrease of 1e-7 (~1e-3 nats on the Pythia file) and
    /// keep 20 correction pairs: a quarter of the evaluations of the tight rule. A replicate's
    /// forecasts then move by ≤ 2e-3 (as they do between tight runs with 10 or 20 pairs: models
    /// with a handful of correct samples sit on a flat ridge in b), inside the Monte-Carlo error
    /// of 2.5%/97.5% percentiles of 200 replicates.
    static let bootstrapOptions = LBFGSOptions(
        memory: 20,
        gradientTolerance: 1e-5,
        functionTolerance: 1e-7,
        maxIterations: 500,
        maxEvaluations: 2_000
    )

    /// The family's negative log-likelihood over the groups' counts (weights: bootstrap
    /// multiplicities or 0/1 fold masks, per cell).
    static func objective(
        _ family: SuccessFamily,
        groups: [[ProblemCount]],
        weights: [[Double]]? = nil
    ) -> any SuccessLikelihood {
        switch family {
        case .crossed: return CrossedObjective(groups: groups, weights: weights)
        case .crossedPooledShape:
            return CrossedObjective(groups: groups, weights: weights, shape: .perGroup(spread: nil))
        default: return SuccessObjective(family: family, groups: groups, weights: weights)
        }
    }

    /// Starting points: method-of-moments means with a few left-tail shapes (the crossed family's
    /// fit does not depend on its start: one, at a = 0.5, α = 1).
    static func starts(_ family: SuccessFamily, groups: [[ProblemCount]]) -> [[Double]] {
        let means = groups.map { problems -> Double in
            let c = problems.reduce(0.0) { $0 + Double($1.correct) }
            let n = problems.reduce(0.0) { $0 + Double($1.samples) }
            return min(max(c / max(n, 1), 1e-7), 0.9)
        }
        func logB(_ a: Double) -> [Double] { means.map { Double.log(a * (1 - $0) / $0) } }
        if family == .crossed { return [[Double.log(0.5)] + logB(0.5) + [0]] }
        if family == .crossedPooledShape {
            return [CrossedShapePooling.expand(shared: [Double.log(0.5)] + logB(0.5) + [0], groups: groups.count)]
        }
        var result: [[Double]] = []
        for a in [0.1, 0.3, 1.0, 3.0] {
            let lbs = logB(a)
            switch family {
            case .betaBinomial:
                result.append(lbs.flatMap { [Double.log(a), $0] })
            case .sharedShape:
                result.append([Double.log(a)] + lbs)
            case .zeroInflated:
                for t in [-2.0, 0.0] { result.append(lbs.flatMap { [Double.log(a), $0 - 0.5, t] }) }
            case .crossed, .crossedPooledShape:
                break
            }
        }
        return result
    }

    /// Fits `family` to the groups' counts (weights: bootstrap multiplicities or 0/1 fold masks).
    public static func fit(
        _ family: SuccessFamily,
        groups: [[ProblemCount]],
        weights: [[Double]]? = nil,
        warmStart: [Double]? = nil,
        standardErrors: Bool = false
    ) -> SuccessFit {
        fit(
            family,
            groups: groups,
            weights: weights,
            warmStart: warmStart,
            standardErrors: standardErrors,
            options: options
        )
    }

    static func fit(
        _ family: SuccessFamily,
        groups: [[ProblemCount]],
        weights: [[Double]]?,
        warmStart: [Double]?,
        standardErrors: Bool,
        options: LBFGSOptions,
        spread: Double? = nil,
        slope: Double? = nil
    ) -> SuccessFit {
        if family == .crossedPooledShape {
            // The spread is chosen by the marginal likelihood; a warm start (bootstrap) refits at
            // the given spread.
            if let warmStart, let spread {
                let objective = objective(family, groups: groups, weights: weights)
                let r = CrossedShapePooling.refit(
                    groups: groups,
                    weights: weights,
                    spread: spread,
                    slope: slope,
                    warmStart: warmStart,
                    options: options
                )
                return SuccessFit(
                    family: family,
                    distributions: objective.distributions(r.x),
                    negLogLikelihood: objective.value(at: r.x),
                    x: r.x,
                    standardErrors: Array(repeating: nil, count: groups.count)
                )
            }
            let pooled = CrossedShapePooling.fit(groups: groups, weights: weights)
            var result = pooled.fit
            if standardErrors { result.standardErrors = CrossedShapePooling.standardErrors(pooled, groups: groups) }
            return result
        }
        let objective = objective(family, groups: groups, weights: weights)
        let x: [Double]
        let value: Double
        if let perGroup = family.parametersPerGroup {
            // No parameter is shared, so the likelihood is a sum of independent per-group terms:
            // each group is fitted on its own (a 2- or 3-dimensional problem that touches only its
            // own problems, with its own best start) and the optimum is their concatenation.
            var parts: [Double] = []
            var total = 0.0
            var solver = LBFGSSolver(dimension: perGroup, memory: options.memory)
            for g in groups.indices {
                let one = SuccessObjective(family: family, groups: [groups[g]], weights: weights.map { [$0[g]] })
                let candidates =
                    warmStart.map { [Array($0[(g * perGroup)..<((g + 1) * perGroup)])] }
                    ?? starts(family, groups: [groups[g]])
                var best: MinimizationResult? = nil
                for start in candidates {
                    let r = solver.minimize(one, from: start, options: options)
                    if r.value.isFinite, best == nil || r.value < best!.value { best = r }
                }
                parts += best?.x ?? candidates[0]
                total += best?.value ?? .infinity
            }
            x = parts
            value = total
        } else {
            let candidates = warmStart.map { [$0] } ?? starts(family, groups: groups)
            var best: MinimizationResult? = nil
            var solver = LBFGSSolver(dimension: family.dimension(groups: groups.count), memory: options.memory)
            for start in candidates {
                let r = solver.minimize(objective, from: start, options: options)
                if r.value.isFinite, best == nil || r.value < best!.value { best = r }
            }
            x = best?.x ?? candidates[0]
            value = best?.value ?? .infinity
        }
        var ses: [[String: Double]?] = Array(repeating: nil, count: groups.count)
        if standardErrors { ses = self.standardErrors(objective, at: x) }
        return SuccessFit(
            family: family,
            distributions: objective.distributions(x),
            negLogLikelihood: value,
            x: x,
            standardErrors: ses
        )
    }

    /// Expected pass@k of each group at the fit, `[group][k index]`: the distribution's
    /// 1 − E[(1 − p)^k] for the independent-problem families; for the crossed family the posterior
    /// predictive mean over the group's problems (as weighted; bootstrap replicates pass theirs).
    public static func forecasts(
        _ fit: SuccessFit,
        groups: [[ProblemCount]],
        ks: [Double],
        weights: [[Double]]? = nil
    ) -> [[Double]] {
        objective(fit.family, groups: groups, weights: weights).forecasts(fit.x, ks: ks)
    }

    /// Delta-method standard errors of a, b (and π, α) from a finite-difference Hessian of the
    /// analytic gradient.
    static func standardErrors(_ objective: any SuccessLikelihood, at x: [Double]) -> [[String: Double]?] {
        standardErrors(objective, at: x, hessian: finiteDifferenceHessian(objective, at: x))
    }

    /// Delta-method standard errors of a, b (and π, α) from a given Hessian of the objective.
    static func standardErrors(
        _ objective: any SuccessLikelihood,
        at x: [Double],
        hessian h: [[Double]]
    ) -> [[String: Double]?] {
        guard let inverse = invert(h) else { return Array(repeating: nil, count: objective.groups) }
        let dists = objective.distributions(x)
        func varianceOK(_ v: Double) -> Double? { v.isFinite && v > 0 ? v.squareRoot() : nil }
        return (0..<objective.groups).map { g in
            let i = objective.family.parameterIndices(group: g, groups: objective.groups)
            guard let sa = varianceOK(inverse[i.a][i.a]), let sb = varianceOK(inverse[i.b][i.b]) else { return nil }
            var r = ["a": dists[g].a * sa, "b": dists[g].b * sb]
            if let it = i.zeroMass, let st = varianceOK(inverse[it][it]) {
                r["zero_mass"] = dists[g].zeroMass * (1 - dists[g].zeroMass) * st
            }
            if let ia = i.problemShape, let alpha = dists[g].problemShape, let st = varianceOK(inverse[ia][ia]) {
                r["problem_shape"] = alpha * st
            }
            return r
        }
    }

    /// Gauss–Jordan inverse with partial pivoting; nil if singular or ill-conditioned.
    static func invert(_ m: [[Double]]) -> [[Double]]? {
        let n = m.count
        var a = m
        var inv = (0..<n).map { i in (0..<n).map { $0 == i ? 1.0 : 0.0 } }
        let scale = m.map { $0.map(abs).max() ?? 0 }.max() ?? 0
        for col in 0..<n {
            var pivot = col
            for r in col..<n where abs(a[r][col]) > abs(a[pivot][col]) { pivot = r }
            guard abs(a[pivot][col]) > 1e-12 * max(scale, 1e-300) else { return nil }
            a.swapAt(col, pivot)
            inv.swapAt(col, pivot)
            let p = a[col][col]
            for j in 0..<n {
                a[col][j] /= p
                inv[col][j] /= p
            }
            for r in 0..<n where r != col {
                let f = a[r][col]
                if f == 0 { continue }
                for j in 0..<n {
                    a[r][j] -= f * a[col][j]
                    inv[r][j] -= f * inv[col][j]
                }
            }
        }
        return inv
    }

    /// Held-out log-likelihood by `folds`-fold cross-validation over problems: problem ids are
    /// split into folds by a seeded shuffle and a problem is held out from every group at once
    /// (the crossed family's problems are dependent across groups; all families see the same folds).
    public static func heldOutLogLikelihood(
        _ family: SuccessFamily,
        groups: [[ProblemCount]],
        folds: Int = 10,
        seed: UInt64 = 0
    ) -> Double {
        let assignment = foldAssignment(groups: groups, folds: folds, seed: seed)
        return (0..<folds).reduce(0.0) {
            $0 + heldOutLogLikelihood(family, groups: groups, fold: $1, assignment: assignment)
        }
    }

    /// Fits without fold `fold` and returns the log-likelihood of that fold's cells.
    static func heldOutLogLikelihood(
        _ family: SuccessFamily,
        groups: [[ProblemCount]],
        fold: Int,
        assignment: [[Int]]
    ) -> Double {
        let training = assignment.map { $0.map { $0 == fold ? 0.0 : 1.0 } }
        let fitted = fit(family, groups: groups, weights: training)
        let heldOut = assignment.map { $0.map { $0 == fold ? 1.0 : 0.0 } }
        return -objective(family, groups: groups, weights: heldOut).value(at: fitted.x)
    }

    /// Fold of each cell, `[group][problem]`: problem ids in order of first appearance, shuffled.
    static func foldAssignment(groups: [[ProblemCount]], folds: Int, seed: UInt64) -> [[Int]] {
        var rng = SeededGenerator(seed: seed)
        let alignment = ProblemAlignment(groups)
        var order = Array(0..<alignment.ids.count)
        order.shuffle(using: &rng)
        var fold = [Int](repeating: 0, count: order.count)
        for (rank, i) in order.enumerated() { fold[i] = rank % folds }
        return alignment.index.map { $0.map { fold[$0] } }
    }

    /// Scores every candidate family by held-out log-likelihood and chooses one by the
    /// one-standard-error rule (Breiman et al. 1984; Hastie, Tibshirani & Friedman, *Elements of
    /// Statistical Learning* §7.10): the family with the fewest free parameters whose held-out
    /// log-likelihood is within one standard error of the best. The standard error of the gap
    /// Σ_f (best_f − family_f) is √F · sd of its F per-fold terms (the folds are paired: the same
    /// problems held out for every family). Why not simply the best score: with few successes per
    /// model, families that fit each model separately can win the held-out sum on a handful of
    /// problems one weak model solved once, a gain no larger than the score's own fold-to-fold noise
    /// — and the richer family then extrapolates worst (docs/test-time-scaling.md).
    /// Every fold is fitted from the family's usual starts, never warm-started from the fit to all
    /// problems: along the flat directions of degenerate fits a warm start stays where the held-out
    /// problems put it, and the score leaks.
    /// `sharedShape` is only a candidate with two or more groups, `crossed` with groups that share
    /// problem ids (``SuccessFamily/isCandidate(for:)``). Families × folds run on all cores.
    public static func select(
        groups: [[ProblemCount]],
        candidates: [SuccessFamily] = SuccessFamily.allCases,
        folds: Int = 10,
        seed: UInt64 = 0
    ) -> FamilySelection {
        let usable = candidates.filter { $0.isCandidate(for: groups) }
        let assignment = foldAssignment(groups: groups, folds: folds, seed: seed)
        var scores = [Double](repeating: 0, count: usable.count * folds)
        scores.withUnsafeMutableBufferPointer { buffer in
            let out = SendableBuffer(buffer)
            // The crossed family's folds are the slowest: hand them out first.
            let tasks = (0..<usable.count * folds).sorted {
                (usable[$0 / folds].sharesProblemEffects ? 0 : 1) < (usable[$1 / folds].sharesProblemEffects ? 0 : 1)
            }
            DispatchQueue.concurrentPerform(iterations: tasks.count) { t in
                let task = tasks[t]
                out.buffer[task] = heldOutLogLikelihood(
                    usable[task / folds],
                    groups: groups,
                    fold: task % folds,
                    assignment: assignment
                )
            }
        }
        let perFold = usable.indices.map { f in Array(scores[(f * folds)..<((f + 1) * folds)]) }
        let totals = perFold.map { $0.reduce(0, +) }
        let best = totals.indices.max { totals[$0] < totals[$1] } ?? 0
        var ranked: [FamilyScore] = usable.indices.map { f in
            let gaps = zip(perFold[best], perFold[f]).map { $0 - $1 }
            let mean = gaps.reduce(0, +) / Double(folds)
            let variance = folds > 1 ? gaps.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(folds - 1) : 0
            return FamilyScore(
                family: usable[f],
                heldOutLogLikelihood: totals[f],
                standardError: (Double(folds) * variance).squareRoot(),
                parameters: usable[f].dimension(groups: groups.count)
            )
        }
        ranked.sort { $0.heldOutLogLikelihood > $1.heldOutLogLikelihood }
        let top = ranked.first?.heldOutLogLikelihood ?? 0
        let eligible = ranked.filter { top - $0.heldOutLogLikelihood <= $0.standardError }
        let chosen =
            eligible.min { ($0.parameters, -$0.heldOutLogLikelihood) < ($1.parameters, -$1.heldOutLogLikelihood) }?
            .family
            ?? ranked.first?.family ?? .betaBinomial
        return FamilySelection(scores: ranked, chosen: chosen)
    }

    /// Bootstrap forecasts of pass@k, seeded per replicate and warm-started from `fit`:
    /// `result[g][r][j]` for group g, replicate r, k = ks[j]. Problems are resampled with
    /// replacement within each group, or — for the crossed family, whose problems are dependent
    /// across groups — as whole problems (one multiplicity per problem id, shared by the groups).
    public static func bootstrapForecasts(
        _ fit: SuccessFit,
        groups: [[ProblemCount]],
        ks: [Double],
        replicates: Int,
        seed: UInt64,
        progress: (@Sendable (Int, Int) -> Void)? = nil
    ) -> [[[Double]]] {
        let alignment = ProblemAlignment(groups)
        let done = Locked(0)
        let flat = Parallel.map(replicates) { r in
            defer {
                let n = done.withLock { n -> Int in
                    n += 1
                    return n
                }
                progress?(n, replicates)
            }
            var rng = SeededGenerator(seed: seed, stream: r)
            let weights: [[Double]]
            if fit.family.sharesProblemEffects {
                let w = Bootstrap.multiplicities(alignment.ids.count, using: &rng)
                weights = alignment.index.map { $0.map { w[$0] } }
            } else {
                weights = groups.map { Bootstrap.multiplicities($0.count, using: &rng) }
            }
            let refit = self.fit(
                fit.family,
                groups: groups,
                weights: weights,
                warmStart: fit.x,
                standardErrors: false,
                options: bootstrapOptions,
                spread: fit.shapePrior?.spread,
                slope: fit.shapePrior?.slopeScale
            )
            return forecasts(refit, groups: groups, ks: ks, weights: weights)
        }
        var out = [[[Double]]](repeating: [[Double]](repeating: [], count: replicates), count: groups.count)
        for r in 0..<replicates { for g in 0..<groups.count { out[g][r] = flat[r][g] } }
        return out
    }
}

/// The power-law baseline of Brown et al. (2024) and Schaeffer et al. (2025):
/// −ln pass@k = a·k^(−b), fitted by least squares on ln(−ln pass@k) = ln a − b·ln k over the
/// empirical curve (points with 0 < pass@k < 1).
public struct PowerLawBaseline: Sendable, Equatable, Codable {
    /// The scale a of −ln pass@k = a·k^(−b).
    public var a: Double
    /// The exponent b of −ln pass@k = a·k^(−b).
    public var b: Double

    /// The baseline with these coefficients.
    public init(a: Double, b: Double) {
        self.a = a
        self.b = b
    }

    /// Fits the baseline; nil with fewer than two usable points.
    public init?(ks: [Int], passAtK: [Double]) {
        var xs: [Double] = []
        var ys: [Double] = []
        for (k, p) in zip(ks, passAtK) where p > 0 && p < 1 {
            xs.append(Double.log(Double(k)))
            ys.append(Double.log(-Double.log(p)))
        }
        guard xs.count >= 2 else { return nil }
        let mx = xs.reduce(0, +) / Double(xs.count)
        let my = ys.reduce(0, +) / Double(ys.count)
        var sxy = 0.0
        var sxx = 0.0
        for (x, y) in zip(xs, ys) {
            sxy += (x - mx) * (y - my)
            sxx += (x - mx) * (x - mx)
        }
        guard sxx > 0 else { return nil }
        let slope = sxy / sxx
        self.init(a: Double.exp(my - slope * mx), b: -slope)
    }

    /// exp(−a·k^(−b)).
    public func passAtK(_ k: Double) -> Double { Double.exp(-a * Double.pow(k, -b)) }
}
