import Foundation
import Optimization
import RealModule

/// The structural alternative behind the default family's intervals: each group's problems
/// independent of the other groups' (no shared difficulty), p ~ Beta(a_j, b_j) per group, with the
/// partially pooled shape prior ln a_j ~ N(μ, τ²) (without the crossed fit's slope on strength) and
/// τ chosen by the same Laplace marginal likelihood over the same grid as ``CrossedShapePooling``.
///
/// Why it is there: the crossed family's forecast for a model at k far beyond its samples leans
/// on the other models' counts through the shared problem difficulty. When difficulty transfers
/// less between weak and strong models than the crossed model assumes (on Brown et al.'s MATH
/// counts the 70M model's per-problem success is uncorrelated with the 12B model's), that
/// forecast is off by more than its own posterior admits. No likelihood on 100 samples per
/// problem can say how far the transfer extends to k = 10⁴, so the intervals mix the two
/// posteriors half and half: they widen exactly where the two structural assumptions disagree
/// (docs/test-time-scaling.md has the coverage this buys).
///
/// Forecasts are posterior predictive over the group's own problems: mean_i 1 − E[(1 − p)^k] under
/// Beta(a_j + c_i, b_j + n_i − c_i), with the problems' own posterior variance as in
/// ``CrossedObjective/forecastsWithVariance(_:ks:)``.
struct IndependentPooling: Sendable {
    /// Per group: its distinct (n, c) and how many problems have each.
    let patterns: [[(samples: Double, correct: Double, count: Double, logBinomial: Double)]]
    var groups: Int { patterns.count }

    init(groups: [[ProblemCount]]) {
        patterns = groups.map { problems in
            var index: [[Int]: Int] = [:]
            var out: [(samples: Double, correct: Double, count: Double, logBinomial: Double)] = []
            for p in problems {
                let key = [p.samples, p.correct]
                if let i = index[key] {
                    out[i].count += 1
                } else {
                    index[key] = out.count
                    let n = Double(p.samples)
                    let c = Double(p.correct)
                    out.append((n, c, 1, BetaBinomial.logBinomial(samples: n, correct: c)))
                }
            }
            return out
        }
    }

    /// θ = (ln a_0 … ln a_{J−1}, ln b_0 … ln b_{J−1}, μ); the penalised negative log-likelihood
    /// F_τ(θ) = −Σ ln BB + Σ_j (ln a_j − μ)²/(2τ²).
    struct Objective: DifferentiableObjective, Sendable {
        let model: IndependentPooling
        let spread: Double

        func valueAndGradient(
            at x: UnsafeBufferPointer<Double>,
            gradient gr: UnsafeMutableBufferPointer<Double>
        ) -> Double {
            let J = model.groups
            for i in 0..<gr.count { gr[i] = 0 }
            for i in 0..<x.count where !x[i].isFinite { return .infinity }
            for j in 0..<J where !(abs(x[j]) < 20 && abs(x[J + j]) < 60) { return .infinity }
            let mu = x[2 * J]
            let precision = 1 / (spread * spread)
            var value = 0.0
            for j in 0..<J {
                let a = Double.exp(x[j])
                let b = Double.exp(x[J + j])
                var da = 0.0
                var db = 0.0
                for p in model.patterns[j] {
                    value -=
                        p.count
                        * (p.logBinomial + Special.logPochhammer(a, p.correct)
                            + Special.logPochhammer(b, p.samples - p.correct) - Special.logPochhammer(a + b, p.samples))
                    let g = BetaBinomial.gradient(samples: p.samples, correct: p.correct, a: a, b: b)
                    da += p.count * g.a
                    db += p.count * g.b
                }
                let r = x[j] - mu
                value += 0.5 * precision * r * r
                gr[j] = -a * da + precision * r
                gr[J + j] = -b * db
                gr[2 * J] -= precision * r
            }
            return value
        }
    }

    /// One spread's fit.
    struct Candidate: Sendable {
        var spread: Double
        var x: [Double]
        var value: Double
        var logMarginal: Double?
        var hessian: [[Double]]?
    }

    /// Fits every spread of `grid` (L-BFGS from method-of-moments levels at a = 0.5) and scores it
    /// by the Laplace marginal likelihood. Returns the candidates and the spreads' weights.
    func fit(grid: [Double] = CrossedShapePooling.spreadGrid) -> (candidates: [Candidate], weights: [Double], best: Int)
    {
        let J = groups
        let logB = patterns.map { ps -> Double in
            let c = ps.reduce(0.0) { $0 + $1.count * $1.correct }
            let n = ps.reduce(0.0) { $0 + $1.count * $1.samples }
            let m = min(max(c / max(n, 1), 1e-7), 0.9)
            return Double.log(0.5 * (1 - m) / m)
        }
        let start = [Double](repeating: Double.log(0.5), count: J) + logB + [Double.log(0.5)]
        let candidates = Parallel.map(grid.count) { t -> Candidate in
            let objective = Objective(model: self, spread: grid[t])
            var solver = LBFGSSolver(dimension: 2 * J + 1, memory: 20)
            let r = solver.minimize(objective, from: start, options: CrossedShapePooling.options)
            guard r.value.isFinite else {
                return Candidate(spread: grid[t], x: start, value: .infinity, logMarginal: nil, hessian: nil)
            }
            let h = Self.hessian(objective, at: r.x)
            let block = (0..<J).map { i in (0..<J).map { h[i][$0] } }
            let logMarginal = CrossedShapePooling.logDeterminant(block).map {
                -r.value - Double(J) * Double.log(grid[t]) - 0.5 * $0
            }
            return Candidate(spread: grid[t], x: r.x, value: r.value, logMarginal: logMarginal, hessian: h)
        }
        let scored = candidates.indices.filter { candidates[$0].logMarginal != nil }
        let best = scored.max { candidates[$0].logMarginal! < candidates[$1].logMarginal! } ?? 0
        let top = candidates[best].logMarginal ?? 0
        var w = candidates.map { c in c.logMarginal.map { Double.exp($0 - top) } ?? 0 }
        let total = w.reduce(0, +)
        w = w.map { total > 0 ? $0 / total : 0 }
        return (candidates, w, best)
    }

    /// The Hessian of F_τ at x, analytic. The likelihood's is block-diagonal, one 2×2 block in
    /// (ln a_j, ln b_j) per group (``BetaBinomial/logScaleDerivatives(samples:correct:a:b:aTerms:)``);
    /// the prior adds 1/τ² on each ln a_j, −1/τ² between ln a_j and μ, and J/τ² on μ.
    static func hessian(_ objective: Objective, at x: [Double]) -> [[Double]] {
        let J = objective.model.groups
        let precision = 1 / (objective.spread * objective.spread)
        var h = [[Double]](repeating: [Double](repeating: 0, count: 2 * J + 1), count: 2 * J + 1)
        for j in 0..<J {
            let a = Double.exp(x[j])
            let b = Double.exp(x[J + j])
            var aa = 0.0
            var ab = 0.0
            var bb = 0.0
            for p in objective.model.patterns[j] {
                let d = BetaBinomial.logScaleDerivatives(samples: p.samples, correct: p.correct, a: a, b: b)
                aa -= p.count * d.aa
                ab -= p.count * d.ab
                bb -= p.count * d.bb
            }
            h[j][j] = aa + precision
            h[j][J + j] = ab
            h[J + j][j] = ab
            h[J + j][J + j] = bb
            h[j][2 * J] = -precision
            h[2 * J][j] = -precision
        }
        h[2 * J][2 * J] = Double(J) * precision
        return h
    }

    /// Posterior predictive pass@k per group over its own problems, and the problems' posterior
    /// variance of that average, at θ.
    func forecastsWithVariance(_ x: [Double], ks: [Double]) -> (mean: [[Double]], variance: [[Double]]) {
        let J = groups
        var mean = [[Double]](repeating: [Double](repeating: 0, count: ks.count), count: J)
        var variance = mean
        for j in 0..<J {
            let a = Double.exp(x[j])
            let b = Double.exp(x[J + j])
            let total = patterns[j].reduce(0.0) { $0 + $1.count }
            for (ki, k) in ks.enumerated() {
                var sum = 0.0
                var spread = 0.0
                for p in patterns[j] {
                    let f1 = BetaBinomial.failureAtK(a: a + p.correct, b: b + p.samples - p.correct, k: k)
                    let f2 = BetaBinomial.failureAtK(a: a + p.correct, b: b + p.samples - p.correct, k: 2 * k)
                    sum += p.count * (1 - f1)
                    spread += p.count * max(f2 - f1 * f1, 0)
                }
                mean[j][ki] = sum / total
                variance[j][ki] = spread / (total * total)
            }
        }
        return (mean, variance)
    }

    /// Forecast draws `[group][draw][k]`: `draws` draws of θ from the spreads' Laplace posteriors
    /// mixed by their weights, each forecast with the problems' own noise added (as
    /// ``CrossedShapePooling/posteriorForecasts(_:groups:ks:draws:seed:progress:)``).
    func posteriorForecasts(
        _ fit: (candidates: [Candidate], weights: [Double], best: Int),
        ks: [Double],
        draws: Int,
        seed: UInt64
    ) -> [[[Double]]] {
        let allocation = CrossedShapePooling.allocate(draws, weights: fit.weights.map { $0 < 1e-3 ? 0 : $0 })
        var plans: [(x: [Double], factor: [[Double]])] = []
        var job: [Int] = []
        for (t, count) in allocation.enumerated() where count > 0 {
            guard let h = fit.candidates[t].hessian, let l = CrossedShapePooling.jitteredCholesky(h) else { continue }
            job += [Int](repeating: plans.count, count: count)
            plans.append((fit.candidates[t].x, l))
        }
        let jobs = job
        let chosen = plans
        let flat = Parallel.map(jobs.count, block: 8) { i -> [[Double]] in
            var rng = SeededGenerator(seed: seed ^ 0x9E37_79B9_7F4A_7C15, stream: i)
            let plan = chosen[jobs[i]]
            let theta = CrossedShapePooling.draw(mean: plan.x, factor: plan.factor, using: &rng)
            let (m, v) = forecastsWithVariance(theta, ks: ks)
            return zip(m, v).map { mm, vv in
                zip(mm, vv).map { min(max($0 + $1.squareRoot() * rng.nextNormal(), 0), 1) }
            }
        }
        var out = [[[Double]]](repeating: [], count: groups)
        for f in flat { for g in 0..<groups { out[g].append(f[g]) } }
        return out
    }
}
