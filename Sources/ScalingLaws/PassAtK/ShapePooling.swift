import Foundation
import Optimization
import RealModule

/// The partially pooled shape prior of the `crossed-pooled-shape-beta-binomial` family, as fitted:
/// ln a_j ~ N(μ + β·x_j, τ²), x_j = (strength_j − `strengthCentre`) / `strengthScale`.
public struct ShapePrior: Sendable, Codable, Equatable {
    /// μ, the prior mean of ln a_j at the groups' mean strength (in the chosen prior).
    public var mean: Double
    /// β, the change of the prior mean of ln a_j per standard deviation of the groups' strength
    /// (``CrossedShapePooling/strength(_:)``); 0 when the chosen prior has no slope.
    public var slope: Double
    /// The slope's prior standard deviation s (β ~ N(0, s²)) in the chosen prior; nil when it has
    /// no slope.
    public var slopeScale: Double?
    /// Whether priors with a slope were among the candidates (they need three groups or more).
    public var slopeTried: Bool
    /// The posterior probability of the priors with a slope (summed over the spreads; 0 when none
    /// was tried).
    public var slopeProbability: Double
    /// The mean strength over the fitted groups.
    public var strengthCentre: Double
    /// The standard deviation of the strength over the fitted groups (1 when they are all equal).
    public var strengthScale: Double
    /// τ, the chosen prior standard deviation of ln a_j (0: one shape a shared by all groups).
    public var spread: Double
    /// The spreads tried.
    public var grid: [Double]
    /// The Laplace approximation of ln p(counts | τ) at each spread of `grid`, averaged over the
    /// slope options (nil where no option's Hessian was positive definite).
    public var logMarginal: [Double?]
    /// Posterior weights of the spreads (flat priors over `grid` and the slope options, summed over
    /// the latter); intervals mix the candidates by their weights.
    public var weights: [Double]

    /// The prior mean of ln a for a group of the given strength.
    public func meanLogShape(strength: Double) -> Double {
        mean + slope * (strength - strengthCentre) / strengthScale
    }

    enum CodingKeys: String, CodingKey {
        case mean = "mu"
        case slope = "beta"
        case slopeScale = "beta_prior_sd"
        case slopeTried = "slope_tried"
        case slopeProbability = "slope_probability"
        case strengthCentre = "strength_centre"
        case strengthScale = "strength_scale"
        case spread = "tau"
        case grid = "tau_grid"
        case logMarginal = "log_marginal_likelihood"
        case weights = "tau_weights"
    }
}

/// Fitting the crossed family with a shape a_j per group, partially pooled (the default family of
/// `t2 passk`).
///
/// The crossed family (``CrossedBetaBinomial``) shares one within-cell shape a among all groups,
/// which with α fixes every group's left tail — the tail that decides pass@k far beyond the
/// samples drawn. On repeated-sampling data other than Pythia GSM8K the weak models' success
/// distributions have heavier left tails than the strong ones', and one shared a over-forecasts
/// them; a free a_j per group, on the other hand, is unidentified for a model with a handful of
/// correct samples. The compromise is a normal prior ln a_j ~ N(μ + β·x_j, τ²): τ → 0 gives back
/// the shared shape, τ → ∞ independent shapes, and the data choose τ. Where the tails differ, they
/// differ with strength (the weak models' are heavier), so the prior's mean may move with the
/// group's strength x_j (the logit of its smoothed pass@1, standardised over the groups) with a
/// slope β ~ N(0, 1): a unit-information prior on a standardised covariate (Kass & Wasserman 1995),
/// which lets a consistent trend through, while a slope the data do not support loses on the
/// marginal likelihood's Occam factor to the prior without one.
///
/// For each τ of a small grid (``spreadGrid``: 0.25, 0.5, 1, 2, 4; a grid may hold τ = 0, the
/// shared shape) and each slope option (``slopeScales``: none, s = 1) the penalised likelihood
///
///     F(θ) = −ℓ(θ) + Σ_j (ln a_j − μ − β·x_j)² / (2τ²) + β² / (2s²)
///
/// is minimised over θ = (ln a_j, ln b_j, ln α, μ, β) (damped Newton, warm-started from the shared
/// fit), and its marginal likelihood is approximated by Laplace's method over the random effects
/// ln a_j and β (Tierney & Kadane 1986; as in lme4 and TMB):
///
///     ln p(c | τ, s) ≈ −F(θ̂) − J ln τ − ln s − ½ ln det H,    H = ∂²F / ∂(ln a, β)² at θ̂,
///
/// (without a slope β and ln s drop out; τ = 0: −F_0 at the shared fit). The candidate with the
/// largest value gives the point forecasts; the candidates' posterior weights (flat priors) mix
/// their parameter posteriors for the intervals (`posteriorForecasts`).
public enum CrossedShapePooling {
    /// The τ fits stop at a relative decrease of 1e-10 (~1e-6 nats on the Pythia file, far below
    /// the differences between spreads' marginal likelihoods) with 20 correction pairs.
    static let options = LBFGSOptions(
        memory: 20,
        gradientTolerance: 1e-6,
        functionTolerance: 1e-10,
        maxIterations: 1_000,
        maxEvaluations: 3_000
    )

    /// The spreads τ tried (0 = one shared shape).
    public static let spreadGrid: [Double] = [0.25, 0.5, 1, 2, 4]
    /// The slope options tried: none (β = 0), and β ~ N(0, s²) with s = 1 per standard deviation of
    /// strength (with three groups or more).
    public static let slopeScales: [Double?] = [nil, 1]

    /// A group's strength, the covariate of the shape prior's mean: the logit of its smoothed
    /// pass@1, ln((C + ½)/(N − C + ½)) over its C correct of N samples.
    public static func strength(_ problems: [ProblemCount]) -> Double {
        let c = problems.reduce(0.0) { $0 + Double($1.correct) }
        let n = problems.reduce(0.0) { $0 + Double($1.samples) }
        return Double.log((c + 0.5) / (n - c + 0.5))
    }

    /// The centre and scale that standardise the groups' strengths.
    struct Standardisation {
        var centre: Double
        var scale: Double
        init(_ groups: [[ProblemCount]]) {
            let raw = groups.map(CrossedShapePooling.strength)
            let n = Double(max(raw.count, 1))
            let mean = raw.reduce(0, +) / n
            let variance = raw.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n
            centre = mean
            scale = variance > 1e-12 ? variance.squareRoot() : 1
        }
        func covariate(_ problems: [ProblemCount]) -> Double {
            (CrossedShapePooling.strength(problems) - centre) / scale
        }
    }

    /// One candidate prior's fit.
    struct Candidate: Sendable {
        var spread: Double
        /// The slope's prior scale s (nil: no slope).
        var slope: Double?
        /// θ in the per-group layout (ln a_j, ln b_j, ln α, μ, β).
        var x: [Double]
        /// The penalised objective F at x (for τ = 0, the shared fit's negative log-likelihood).
        var value: Double
        var logMarginal: Double?
        /// The Hessian of F at x (the shared objective's, in its own layout, for τ = 0).
        var hessian: [[Double]]?
    }

    /// The result: the fit of the chosen candidate (per-group layout), every candidate, and their
    /// posterior weights.
    struct Result: Sendable {
        var fit: SuccessFit
        var candidates: [Candidate]
        var weights: [Double]
        var chosen: Int
        var prior: ShapePrior
    }

    /// θ of a shared-shape crossed fit (ln a, ln b_j, ln α) in the per-group layout (μ = ln a, β = 0).
    static func expand(shared x: [Double], groups: Int) -> [Double] {
        [Double](repeating: x[0], count: groups) + Array(x[1...groups]) + [x[groups + 1], x[0], 0]
    }

    /// Fits every spread of `grid` with every slope option of `slopes` to the groups' counts (weights
    /// as for the other families) and chooses by the Laplace marginal likelihood. `progress` is
    /// called after each fit.
    static func fit(
        groups: [[ProblemCount]],
        weights: [[Double]]? = nil,
        grid: [Double] = spreadGrid,
        slopes: [Double?] = slopeScales,
        options: LBFGSOptions = CrossedShapePooling.options,
        progress: (@Sendable (Int, Int) -> Void)? = nil
    ) -> Result {
        let J = groups.count
        let shared = SuccessDistributionFitter.fit(
            .crossed,
            groups: groups,
            weights: weights,
            warmStart: nil,
            standardErrors: false,
            options: options
        )
        // A slope through two groups' shapes is two free shapes, which a wide spread already
        // offers: slopes need three groups.
        let slopes = J >= 3 ? slopes : slopes.filter { $0 == nil }
        // Every (spread, slope) pair; τ = 0 (the shared fit itself) only without a slope.
        let pairs = grid.flatMap { tau in slopes.compactMap { s in tau > 0 || s == nil ? (tau, s) : nil } }
        // The shared fit, then one unit per positive spread and slope option.
        let units = 1 + pairs.filter { $0.0 > 0 }.count
        progress?(1, units)
        let start = expand(shared: shared.x, groups: J)
        let done = Locked(1)
        // One fit: the penalised optimum from `from` and its Laplace marginal likelihood.
        @Sendable func candidate(_ tau: Double, _ slope: Double?, from: [Double]) -> Candidate {
            defer {
                let n = done.withLock { n -> Int in
                    n += 1
                    return n
                }
                progress?(n, units)
            }
            let objective = CrossedObjective(
                groups: groups,
                weights: weights,
                shape: .perGroup(spread: tau, slope: slope)
            )
            let (r, state) = newton(objective, from: from, options: options)
            // The Hessian at the optimum from Newton's last likelihood table when it ended there.
            guard r.value.isFinite, let h = state.map(objective.hessian) ?? objective.hessian(at: r.x) else {
                return Candidate(spread: tau, slope: slope, x: start, value: .infinity, logMarginal: nil, hessian: nil)
            }
            // The random effects: every ln a_j, and β when it has a prior scale.
            let random = (0..<J).map { objective.indexOfLogA($0) } + (slope == nil ? [] : [objective.indexOfSlope])
            let block = random.map { i in random.map { h[i][$0] } }
            let logMarginal = logDeterminant(block).map {
                -r.value - Double(J) * Double.log(tau) - Double.log(slope ?? 1) - 0.5 * $0
            }
            return Candidate(spread: tau, slope: slope, x: r.x, value: r.value, logMarginal: logMarginal, hessian: h)
        }
        // One chain per slope option, in parallel, over the positive spreads in ascending order,
        // each fit warm-started from the previous optimum: neighbouring spreads' optima are close,
        // so Newton needs a few steps where a start from the shared fit needs many.
        let ascending = grid.filter { $0 > 0 }.sorted()
        let chains = Parallel.map(slopes.count) { s -> [Candidate] in
            var from = start
            var out: [Candidate] = []
            for tau in ascending {
                let c = candidate(tau, slopes[s], from: from)
                if c.logMarginal != nil { from = c.x }
                out.append(c)
            }
            return out
        }
        let candidates = pairs.map { tau, slope -> Candidate in
            guard tau > 0 else {
                let objective = CrossedObjective(groups: groups, weights: weights)
                return Candidate(
                    spread: 0,
                    slope: nil,
                    x: start,
                    value: shared.negLogLikelihood,
                    logMarginal: -shared.negLogLikelihood,
                    hessian: objective.hessian(at: shared.x)
                )
            }
            return chains[slopes.firstIndex { $0 == slope }!][ascending.firstIndex(of: tau)!]
        }
        let scored = candidates.indices.filter { candidates[$0].logMarginal != nil }
        let best = scored.max { candidates[$0].logMarginal! < candidates[$1].logMarginal! } ?? 0
        let top = candidates[best].logMarginal ?? 0
        var w = candidates.map { c in c.logMarginal.map { Double.exp($0 - top) } ?? 0 }
        let total = w.reduce(0, +)
        w = w.map { $0 / total }
        let chosen = candidates[best]
        let objective = CrossedObjective(groups: groups, weights: weights, shape: .perGroup(spread: nil))
        let standard = Standardisation(groups)
        // Per spread: the weights and the marginal likelihood averaged over the slope options.
        let perSpread = grid.map { tau in candidates.indices.filter { candidates[$0].spread == tau } }
        let logMarginal = perSpread.map { members -> Double? in
            let values = members.compactMap { candidates[$0].logMarginal }
            guard !values.isEmpty else { return nil }
            return Special.logSumExp(values) - Double.log(Double(members.count))
        }
        let prior = ShapePrior(
            mean: chosen.x[objective.indexOfMu],
            slope: chosen.x[objective.indexOfSlope],
            slopeScale: chosen.slope,
            slopeTried: slopes.contains { $0 != nil },
            slopeProbability: zip(candidates, w).reduce(0) { $0 + ($1.0.slope == nil ? 0 : $1.1) },
            strengthCentre: standard.centre,
            strengthScale: standard.scale,
            spread: chosen.spread,
            grid: grid,
            logMarginal: logMarginal,
            weights: perSpread.map { $0.reduce(0) { $0 + w[$1] } }
        )
        let fit = SuccessFit(
            family: .crossedPooledShape,
            distributions: objective.distributions(chosen.x),
            negLogLikelihood: objective.value(at: chosen.x),
            x: chosen.x,
            standardErrors: Array(repeating: nil, count: J),
            shapePrior: prior
        )
        return Result(fit: fit, candidates: candidates, weights: w, chosen: best, prior: prior)
    }

    /// Forecasts under draws of θ from the candidates' Laplace posteriors, mixed by their weights:
    /// `result[g][d][k]`. Candidate t gets round(weights[t]·draws) draws (largest remainders;
    /// candidates of weight below 1e-3 none); each draw is θ̂_t + L⁻ᵀz with H_t = LLᵀ the penalised Hessian
    /// at θ̂_t (all coordinates; the shared objective's for τ = 0) and z standard normal, seeded
    /// per draw. The draws carry the uncertainty of every group's shape a_j, of τ and of the slope — the
    /// tail-shape uncertainty that bootstrap refits at one fixed shape leave out — and each draw's
    /// forecast gets the problems' own posterior noise
    /// (``CrossedObjective/forecastsWithVariance(_:ks:)``): the forecast is of pass@k on these
    /// problems, and which of them a model solves at k ≫ n is uncertain even when θ is known.
    static func posteriorForecasts(
        _ result: Result,
        groups: [[ProblemCount]],
        ks: [Double],
        draws: Int,
        seed: UInt64,
        progress: (@Sendable (Int, Int) -> Void)? = nil
    ) -> [[[Double]]] {
        let J = groups.count
        let allocation = allocate(draws, weights: result.weights.map { $0 < 1e-3 ? 0 : $0 })
        // Per spread with draws: the Cholesky factor of its Hessian (with a jitter if needed).
        var plansBuilt: [(x: [Double], factor: [[Double]], shared: Bool, count: Int)] = []
        for (t, count) in allocation.enumerated() where count > 0 {
            let c = result.candidates[t]
            let shared = c.spread <= 0
            let x = shared ? [c.x[0]] + Array(c.x[J..<(2 * J + 1)]) : c.x
            guard let h = c.hessian, let factor = jitteredCholesky(h) else { continue }
            plansBuilt.append((x, factor, shared, count))
        }
        let plans = plansBuilt
        var jobList: [Int] = []
        for (p, plan) in plans.enumerated() { jobList += [Int](repeating: p, count: plan.count) }
        let jobs = jobList
        let forecaster = CrossedObjective(groups: groups, shape: .perGroup(spread: nil))
        let done = Locked(0)
        let flat = Parallel.map(jobs.count) { i -> [[Double]] in
            let plan = plans[jobs[i]]
            var rng = SeededGenerator(seed: seed, stream: i)
            var theta = draw(mean: plan.x, factor: plan.factor, using: &rng)
            if plan.shared { theta = expand(shared: theta, groups: J) }
            // The draw's forecast plus the problems' own posterior noise (normal, by the central
            // limit over the group's problems), kept in [0, 1].
            let (mean, variance) = forecaster.forecastsWithVariance(theta, ks: ks)
            let f = zip(mean, variance).map { m, v in
                zip(m, v).map { min(max($0 + $1.squareRoot() * rng.nextNormal(), 0), 1) }
            }
            let n = done.withLock { n -> Int in
                n += 1
                return n
            }
            progress?(n, jobs.count)
            return f
        }
        var out = [[[Double]]](repeating: [], count: J)
        for f in flat { for g in 0..<J { out[g].append(f[g]) } }
        return out
    }

    /// The Cholesky factor of a Hessian, with a diagonal jitter (1e-8 of its largest diagonal
    /// entry, raised tenfold until it works) when it is not quite positive definite.
    static func jitteredCholesky(_ hessian: [[Double]]) -> [[Double]]? {
        if let l = cholesky(hessian) { return l }
        var h = hessian
        var jitter = 1e-8 * max(1, (0..<h.count).map { abs(h[$0][$0]) }.max() ?? 1)
        while jitter < 1e8 {
            for i in 0..<h.count { h[i][i] += jitter }
            if let l = cholesky(h) { return l }
            jitter *= 10
        }
        return nil
    }

    /// A draw from N(mean, H⁻¹) with H = LLᵀ: mean + y with Lᵀy = z, z standard normal.
    static func draw(mean: [Double], factor l: [[Double]], using rng: inout SeededGenerator) -> [Double] {
        let z = (0..<mean.count).map { _ in rng.nextNormal() }
        var y = z
        for r in stride(from: z.count - 1, through: 0, by: -1) {
            var s = z[r]
            for k in (r + 1)..<z.count { s -= l[k][r] * y[k] }
            y[r] = s / l[r][r]
        }
        return zip(mean, y).map { $0 + $1 }
    }

    /// `total` split in proportion to `weights` (largest remainders).
    static func allocate(_ total: Int, weights: [Double]) -> [Int] {
        let sum = weights.reduce(0, +)
        guard sum > 0 else { return weights.map { _ in 0 } }
        let exact = weights.map { Double(total) * $0 / sum }
        var counts = exact.map { Int($0.rounded(.down)) }
        let order = exact.indices.sorted { exact[$0] - Double(counts[$0]) > exact[$1] - Double(counts[$1]) }
        for i in order.prefix(total - counts.reduce(0, +)) { counts[i] += 1 }
        return counts
    }

    /// Refits at a fixed spread and slope option from a warm start (bootstrap replicates).
    static func refit(
        groups: [[ProblemCount]],
        weights: [[Double]]?,
        spread: Double,
        slope: Double?,
        warmStart: [Double],
        options: LBFGSOptions
    ) -> (x: [Double], value: Double) {
        let J = groups.count
        if spread <= 0 {
            let shared = [warmStart[0]] + Array(warmStart[J..<(2 * J + 1)])
            let r = SuccessDistributionFitter.fit(
                .crossed,
                groups: groups,
                weights: weights,
                warmStart: shared,
                standardErrors: false,
                options: options
            )
            return (expand(shared: r.x, groups: J), r.negLogLikelihood)
        }
        let objective = CrossedObjective(
            groups: groups,
            weights: weights,
            shape: .perGroup(spread: spread, slope: slope)
        )
        var solver = LBFGSSolver(dimension: objective.dimension, memory: options.memory)
        let r = solver.minimize(objective, from: warmStart, options: options)
        return (r.x, r.value)
    }

    /// Standard errors of a_j, b_j and α from the penalised objective's Hessian at the chosen
    /// spread (the shared objective's when τ = 0): posterior standard deviations under the prior.
    static func standardErrors(_ result: Result, groups: [[ProblemCount]]) -> [[String: Double]?] {
        let J = groups.count
        let none = [[String: Double]?](repeating: nil, count: J)
        let chosen = result.candidates[result.chosen]
        guard let h = chosen.hessian else { return none }
        if chosen.spread > 0 {
            let objective = CrossedObjective(
                groups: groups,
                shape: .perGroup(spread: chosen.spread, slope: chosen.slope)
            )
            return SuccessDistributionFitter.standardErrors(objective, at: chosen.x, hessian: h)
        }
        let objective = CrossedObjective(groups: groups)
        return SuccessDistributionFitter.standardErrors(
            objective,
            at: [chosen.x[0]] + Array(chosen.x[J..<(2 * J + 1)]),
            hessian: h
        )
    }

    /// Minimises `objective` by Newton's method on its exact Hessian (``CrossedObjective/hessian(at:)``),
    /// damped à la Levenberg–Marquardt (H + λI, λ raised until H + λI is positive definite and the
    /// step decreases f, lowered after a success), from a warm start. Near the optimum it converges
    /// in a handful of iterations where L-BFGS on these 2J + 2 coordinates needs hundreds of
    /// evaluations. Falls back to L-BFGS if no damped step decreases f. Each trial point costs one
    /// likelihood table (``CrossedObjective/PointState``), which an accepted step keeps for its
    /// gradient and the next Hessian; the state at the optimum is returned with it (nil after an
    /// L-BFGS fallback).
    static func newton(
        _ objective: CrossedObjective,
        from start: [Double],
        options: LBFGSOptions
    ) -> (result: MinimizationResult, state: CrossedObjective.PointState?) {
        var x = start
        var g = [Double](repeating: 0, count: x.count)
        // The value, gradient and Hessian at x share one likelihood table (`PointState`).
        func evaluate(_ x: [Double], _ gradient: inout [Double]) -> (Double, CrossedObjective.PointState?) {
            x.withUnsafeBufferPointer { xb in
                guard let state = objective.pointState(at: xb) else { return (.infinity, nil) }
                let value = gradient.withUnsafeMutableBufferPointer {
                    objective.valueAndGradient(state, at: xb, gradient: $0)
                }
                return (value, state)
            }
        }
        var (f, state) = evaluate(x, &g)
        guard f.isFinite else {
            var solver = LBFGSSolver(dimension: objective.dimension, memory: options.memory)
            return (solver.minimize(objective, from: start, options: options), nil)
        }
        let initialDamping = 1e-6
        var lambda = initialDamping
        var iterations = 0
        var evaluations = 1
        var status = ConvergenceStatus.iterationLimit
        while iterations < 100 {
            iterations += 1
            if (g.map(abs).max() ?? 0) < options.gradientTolerance {
                status = .gradientTolerance
                break
            }
            guard let current = state else { break }
            let h = objective.hessian(current)
            var improved = false
            var tries = 0
            while tries < 30 {
                tries += 1
                var damped = h
                let scale = max(1, (0..<h.count).map { abs(h[$0][$0]) }.max() ?? 1)
                for i in 0..<h.count { damped[i][i] += lambda * scale }
                guard let l = cholesky(damped) else {
                    lambda *= 10
                    continue
                }
                let step = solve(l, g).map { -$0 }
                // The Newton decrement: a step whose predicted decrease, ½gᵀH⁻¹g, is within the
                // function tolerance ends the search here (a trial would only measure rounding noise).
                // Only for a step damped no more than at the start, whose prediction is Newton's.
                let predicted = -0.5 * zip(g, step).reduce(0) { $0 + $1.0 * $1.1 }
                if tries == 1, lambda <= initialDamping, predicted <= options.functionTolerance * max(abs(f), 1) {
                    status = .functionTolerance
                    break
                }
                let trial = zip(x, step).map { $0 + $1 }
                // The value comes with the gradient and the state, which an accepted step keeps.
                var trialGradient = [Double](repeating: 0, count: x.count)
                let (ft, trialState) = evaluate(trial, &trialGradient)
                evaluations += 1
                if ft.isFinite, ft <= f {
                    let decrease = f - ft
                    x = trial
                    f = ft
                    g = trialGradient
                    state = trialState
                    lambda = max(lambda / 10, 1e-12)
                    improved = true
                    if decrease <= options.functionTolerance * max(abs(f), 1) { status = .functionTolerance }
                    break
                }
                lambda *= 10
            }
            if !improved || status == .functionTolerance { break }
        }
        if !status.isConverged, (g.map(abs).max() ?? 0) < 1e-3 {
            status = .machinePrecision
        }
        if status.isConverged {
            let result = MinimizationResult(
                x: x,
                value: f,
                gradientNorm: g.map(abs).max() ?? 0,
                iterations: iterations,
                evaluations: evaluations,
                status: status
            )
            return (result, state)
        }
        var solver = LBFGSSolver(dimension: objective.dimension, memory: options.memory)
        return (solver.minimize(objective, from: x, options: options), nil)
    }

    /// Solves LLᵀ y = b for the lower Cholesky factor L.
    static func solve(_ l: [[Double]], _ b: [Double]) -> [Double] {
        let n = b.count
        var y = b
        for i in 0..<n {
            var s = y[i]
            for k in 0..<i { s -= l[i][k] * y[k] }
            y[i] = s / l[i][i]
        }
        for i in stride(from: n - 1, through: 0, by: -1) {
            var s = y[i]
            for k in (i + 1)..<n { s -= l[k][i] * y[k] }
            y[i] = s / l[i][i]
        }
        return y
    }

    /// The lower Cholesky factor of a symmetric matrix, or nil when it is not positive definite.
    static func cholesky(_ a: [[Double]]) -> [[Double]]? {
        let n = a.count
        var l = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
        for i in 0..<n {
            for j in 0...i {
                var s = a[i][j]
                for k in 0..<j { s -= l[i][k] * l[j][k] }
                if i == j {
                    guard s > 0, s.isFinite else { return nil }
                    l[i][i] = s.squareRoot()
                } else {
                    l[i][j] = s / l[j][j]
                }
            }
        }
        return l
    }

    /// ln det of a symmetric positive-definite matrix, or nil.
    static func logDeterminant(_ a: [[Double]]) -> Double? {
        guard let l = cholesky(a) else { return nil }
        return (0..<a.count).reduce(0) { $0 + 2 * Double.log(l[$1][$1]) }
    }
}
