import Foundation
import Optimization
import RealModule

/// The partially pooled shape prior of the `crossed-pooled-shape-beta-binomial` family, as fitted.
public struct ShapePrior: Sendable, Codable, Equatable {
    /// μ, the prior mean of ln a_j (at the chosen spread).
    public var mean: Double
    /// τ, the chosen prior standard deviation of ln a_j (0: one shape a shared by all groups).
    public var spread: Double
    /// The spreads tried.
    public var grid: [Double]
    /// The Laplace approximation of ln p(counts | τ) at each spread of `grid` (nil where the
    /// Hessian was not positive definite).
    public var logMarginal: [Double?]
    /// Posterior weights of the spreads (a flat prior over `grid`); intervals mix the spreads by them.
    public var weights: [Double]

    enum CodingKeys: String, CodingKey {
        case mean = "mu"
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
/// correct samples. The compromise is a normal prior ln a_j ~ N(μ, τ²): τ → 0 gives back the shared
/// shape, τ → ∞ independent shapes, and the data choose τ.
///
/// For each τ of a small grid (``spreadGrid``: 0.25, 0.5, 1, 2, 4; a grid may hold τ = 0, the
/// shared shape) the penalised likelihood
///
///     F_τ(θ) = −ℓ(θ) + Σ_j (ln a_j − μ)² / (2τ²)
///
/// is minimised over θ = (ln a_j, ln b_j, ln α, μ) (L-BFGS, warm-started from the shared fit), and
/// the marginal likelihood of τ is approximated by Laplace's method over the random effects ln a_j
/// (Tierney & Kadane 1986; as in lme4 and TMB):
///
///     ln p(c | τ) ≈ −F_τ(θ̂) − J ln τ − ½ ln det H_τ,    H_τ = ∂²F_τ / ∂ ln a ∂ ln a at θ̂,
///
/// (τ = 0: −F_0 at the shared fit). The τ with the largest value gives the point forecasts; the
/// spreads' posterior weights (a flat prior on the grid) mix their parameter posteriors for the
/// intervals (`posteriorForecasts`).
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

    /// One spread's fit.
    struct Candidate: Sendable {
        var spread: Double
        /// θ in the per-group layout (ln a_j, ln b_j, ln α, μ).
        var x: [Double]
        /// F_τ at x (for τ = 0, the shared fit's negative log-likelihood).
        var value: Double
        var logMarginal: Double?
        /// The Hessian of F_τ at x (the shared objective's, in its own layout, for τ = 0).
        var hessian: [[Double]]?
    }

    /// The result: the fit at the chosen spread (per-group layout) and every spread's candidate.
    struct Result: Sendable {
        var fit: SuccessFit
        var candidates: [Candidate]
        var prior: ShapePrior
    }

    /// θ of a shared-shape crossed fit (ln a, ln b_j, ln α) in the per-group layout.
    static func expand(shared x: [Double], groups: Int) -> [Double] {
        [Double](repeating: x[0], count: groups) + Array(x[1...groups]) + [x[groups + 1], x[0]]
    }

    /// Fits every spread of `grid` to the groups' counts (weights as for the other families) and
    /// chooses by the Laplace marginal likelihood. `progress` is called after each spread.
    static func fit(
        groups: [[ProblemCount]],
        weights: [[Double]]? = nil,
        grid: [Double] = spreadGrid,
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
        // The shared fit, then one unit per positive spread (τ = 0 is the shared fit itself).
        let units = 1 + grid.filter { $0 > 0 }.count
        progress?(1, units)
        let start = expand(shared: shared.x, groups: J)
        let done = Locked(1)
        let candidates = Parallel.map(grid.count) { t -> Candidate in
            let tau = grid[t]
            defer {
                let n = done.withLock { n -> Int in
                    n += tau > 0 ? 1 : 0
                    return n
                }
                progress?(n, units)
            }
            if tau <= 0 {
                let objective = CrossedObjective(groups: groups, weights: weights)
                return Candidate(
                    spread: 0,
                    x: start,
                    value: shared.negLogLikelihood,
                    logMarginal: -shared.negLogLikelihood,
                    hessian: objective.hessian(at: shared.x)
                )
            }
            let objective = CrossedObjective(groups: groups, weights: weights, shape: .perGroup(spread: tau))
            let r = newton(objective, from: start, options: options)
            guard r.value.isFinite, let h = objective.hessian(at: r.x) else {
                return Candidate(spread: tau, x: start, value: .infinity, logMarginal: nil, hessian: nil)
            }
            let block = (0..<J).map { i in (0..<J).map { h[objective.indexOfLogA(i)][objective.indexOfLogA($0)] } }
            let logMarginal = logDeterminant(block).map { -r.value - Double(J) * Double.log(tau) - 0.5 * $0 }
            return Candidate(spread: tau, x: r.x, value: r.value, logMarginal: logMarginal, hessian: h)
        }
        let scored = candidates.indices.filter { candidates[$0].logMarginal != nil }
        let best = scored.max { candidates[$0].logMarginal! < candidates[$1].logMarginal! } ?? 0
        let top = candidates[best].logMarginal ?? 0
        var w = candidates.map { c in c.logMarginal.map { Double.exp($0 - top) } ?? 0 }
        let total = w.reduce(0, +)
        w = w.map { $0 / total }
        let chosen = candidates[best]
        let objective = CrossedObjective(groups: groups, weights: weights, shape: .perGroup(spread: nil))
        let prior = ShapePrior(
            mean: chosen.x[2 * J + 1],
            spread: chosen.spread,
            grid: grid,
            logMarginal: candidates.map(\.logMarginal),
            weights: w
        )
        let fit = SuccessFit(
            family: .crossedPooledShape,
            distributions: objective.distributions(chosen.x),
            negLogLikelihood: objective.value(at: chosen.x),
            x: chosen.x,
            standardErrors: Array(repeating: nil, count: J),
            shapePrior: prior
        )
        return Result(fit: fit, candidates: candidates, prior: prior)
    }

    /// Forecasts under draws of θ from the spreads' Laplace posteriors, mixed by their weights:
    /// `result[g][d][k]`. Spread t gets round(weights[t]·draws) draws (largest remainders; spreads
    /// of weight below 1e-3 none); each draw is θ̂_t + L⁻ᵀz with H_t = LLᵀ the penalised Hessian
    /// at θ̂_t (all coordinates; the shared objective's for τ = 0) and z standard normal, seeded
    /// per draw. The draws carry the uncertainty of every group's shape a_j and of τ itself — the
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
        let allocation = allocate(draws, weights: result.prior.weights.map { $0 < 1e-3 ? 0 : $0 })
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

    /// Refits at a fixed spread from a warm start (bootstrap replicates).
    static func refit(
        groups: [[ProblemCount]],
        weights: [[Double]]?,
        spread: Double,
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
        let objective = CrossedObjective(groups: groups, weights: weights, shape: .perGroup(spread: spread))
        var solver = LBFGSSolver(dimension: objective.dimension, memory: options.memory)
        let r = solver.minimize(objective, from: warmStart, options: options)
        return (r.x, r.value)
    }

    /// Standard errors of a_j, b_j and α from the penalised objective's Hessian at the chosen
    /// spread (the shared objective's when τ = 0): posterior standard deviations under the prior.
    static func standardErrors(_ result: Result, groups: [[ProblemCount]]) -> [[String: Double]?] {
        let J = groups.count
        let none = [[String: Double]?](repeating: nil, count: J)
        guard let chosen = result.candidates.first(where: { $0.spread == result.prior.spread }),
            let h = chosen.hessian
        else { return none }
        if chosen.spread > 0 {
            let objective = CrossedObjective(groups: groups, shape: .perGroup(spread: chosen.spread))
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
    /// evaluations. Falls back to L-BFGS if no damped step decreases f.
    static func newton(_ objective: CrossedObjective, from start: [Double], options: LBFGSOptions) -> MinimizationResult
    {
        var x = start
        var g = gradient(objective, at: x)
        var f = objective.value(at: x)
        guard f.isFinite else {
            var solver = LBFGSSolver(dimension: objective.dimension, memory: options.memory)
            return solver.minimize(objective, from: start, options: options)
        }
        var lambda = 1e-6
        var iterations = 0
        var evaluations = 1
        var status = ConvergenceStatus.iterationLimit
        while iterations < 100 {
            iterations += 1
            if (g.map(abs).max() ?? 0) < options.gradientTolerance {
                status = .gradientTolerance
                break
            }
            guard let h = objective.hessian(at: x) else { break }
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
                let trial = zip(x, step).map { $0 + $1 }
                let ft = objective.value(at: trial)
                evaluations += 1
                if ft.isFinite, ft <= f {
                    let decrease = f - ft
                    x = trial
                    f = ft
                    g = gradient(objective, at: x)
                    evaluations += 1
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
            return MinimizationResult(
                x: x,
                value: f,
                gradientNorm: g.map(abs).max() ?? 0,
                iterations: iterations,
                evaluations: evaluations,
                status: status
            )
        }
        var solver = LBFGSSolver(dimension: objective.dimension, memory: options.memory)
        return solver.minimize(objective, from: x, options: options)
    }

    static func gradient(_ objective: CrossedObjective, at x: [Double]) -> [Double] {
        var g = [Double](repeating: 0, count: x.count)
        x.withUnsafeBufferPointer { xb in
            g.withUnsafeMutableBufferPointer { gb in _ = objective.valueAndGradient(at: xb, gradient: gb) }
        }
        return g
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
