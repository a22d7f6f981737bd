import Foundation
import Optimization
import RealModule

/// Empirical-Bayes forecasts for groups with no correct sample (`t2 passk --pool-levels`), on top
/// of a crossed-beta-binomial fit.
///
/// A model without a correct sample has no maximum-likelihood level b_j (its likelihood keeps
/// rising as b_j → ∞), but the crossed model still says what its counts allow: with the fitted a,
/// α and the other models' posteriors over each problem's difficulty,
///
///     ℓ_j(v) = Σ_{i ∈ j} ln Σ_g P^{(−j)}_ig · BB(c_ij | n_ij, a, e^{v − z_g}),   v = ln b_j,
///
/// where P^{(−j)} is problem i's node posterior given the other models' counts. The levels of all
/// models are given a normal prior v_j ~ N(γ·x_j, τ²) with covariates x_j ⊆ (1, ln D_j, ln N_j)
/// (training tokens and parameters, centred); γ and τ maximise the marginal likelihood
/// Σ_j ln ∫ e^{ℓ_j(v)} N(v; γ·x_j, τ²) dv over every model's curve (type-II maximum likelihood), and
/// the covariate set is the one with the best leave-one-model-out predictive likelihood. A
/// zero-count model's forecast is then its posterior mean over v of the crossed posterior
/// predictive pass@k, with the 2.5%/97.5% quantiles of that posterior as its interval: it is
/// driven by the prior (the other models and the covariates), not by its own counts, and is
/// reported as such.
public struct LevelPrior: Sendable, Codable, Equatable {
    /// Covariate names in order (`constant`, `log_tokens`, `log_params`), centred over the models.
    public var covariates: [String]
    /// γ, one per covariate: the prior mean of ln b is γ·x.
    public var coefficients: [Double]
    /// τ, the prior's standard deviation of ln b.
    public var spread: Double
    /// The leave-one-model-out predictive log-likelihood of each covariate set tried.
    public var leaveOneOut: [String: Double]

    enum CodingKeys: String, CodingKey {
        case covariates, coefficients
        case spread = "tau"
        case leaveOneOut = "leave_one_model_out"
    }
}

/// The pooled forecasts: for each group with no correct sample, pass@k (and an interval) per k.
public struct PooledLevels: Sendable {
    /// The fitted level prior.
    public var prior: LevelPrior
    /// `forecasts[g]` for group g of the input (nil for groups that have a fitted level).
    public var forecasts: [[(estimate: Double, low: Double, high: Double)]?]
}

/// Empirical-Bayes pooling of the crossed family's levels b_j across groups (`--pool-levels`).
public enum LevelPooling {
    /// The level grid step (ln b).
    static let step = 0.1

    /// Pools the levels of `groups` (all of them, zero-count ones included) under `fit`, a crossed
    /// fit of the groups where `fitted[g]` is true (in order), and forecasts the zero-count groups
    /// at `ks`. Covariates come from the groups' params and tokens where every group has them.
    /// The intervals are the central `confidence` of each zero-count group's level posterior.
    public static func forecast(
        groups: [CountGroup],
        fitted: [Bool],
        fit: SuccessFit,
        ks: [Double],
        confidence: Double = 0.95
    ) -> PooledLevels {
        let (grid, curves, forecastCurves) = levelCurves(groups: groups, fitted: fitted, fit: fit, ks: ks)
        return pool(
            groups: groups,
            grid: grid,
            curves: curves,
            forecastCurves: forecastCurves,
            confidence: confidence
        )
    }

    /// The level grid, every group's conditional log-likelihood curve ℓ_j(v) on it, and for the
    /// zero-count groups pass@k at each level (`[k index][level]`).
    static func levelCurves(
        groups: [CountGroup],
        fitted: [Bool],
        fit: SuccessFit,
        ks: [Double]
    )
        -> (grid: [Double], curves: [[Double]], forecastCurves: [[[Double]]?])
    {
        precondition(fit.family.sharesProblemEffects && fitted.count == groups.count)
        let fittedGroups = zip(groups, fitted).filter(\.1).map(\.0.problems)
        let objective = CrossedObjective(
            groups: fittedGroups,
            shape: fit.family == .crossed ? .shared : .perGroup(spread: nil)
        )
        let G = CrossedBetaBinomial.nodeCount
        let alpha = Double.exp(fit.x[objective.indexOfLogAlpha])
        // Each group's shape a: its own for a fitted group; for a zero-count group the shared a or,
        // with pooled shapes, the prior's mean at the group's strength, e^(μ + β·x_j).
        var shapes: [Double] = []
        var shapeIndex = 0
        for (g, isFitted) in fitted.enumerated() {
            if isFitted {
                shapes.append(Double.exp(fit.x[objective.indexOfLogA(shapeIndex)]))
                shapeIndex += 1
            } else if let prior = fit.shapePrior {
                // The prior's mean at the group's own strength.
                shapes.append(
                    Double.exp(prior.meanLogShape(strength: CrossedShapePooling.strength(groups[g].problems)))
                )
            } else {
                shapes.append(Double.exp(fit.family == .crossed ? fit.x[0] : fit.x[objective.indexOfMu]))
            }
        }
        let (brackets, table) = fit.x.withUnsafeBufferPointer { xb -> ([Double], [Double]) in
            let theta = objective.parameters(xb)
            let table = objective.likelihoodTable(theta)
            return (
                objective.brackets(
                    table: table,
                    logWeights: CrossedBetaBinomial.logWeights(problemShape: alpha).logWeights
                ), table
            )
        }
        let ids = ProblemAlignment(fittedGroups).ids
        let position = Dictionary(uniqueKeysWithValues: ids.enumerated().map { ($1, $0) })
        let priorOnly = CrossedBetaBinomial.logWeights(problemShape: alpha).logWeights

        // The level grid covers the fitted levels with room on both sides; ln β = v − z_g then lies
        // on the lattice lo − z_top + step·t, t = iv + perNode·(G − 1 − g), perNode = node spacing / step
        // (0.4 / 0.1 = 4), so every (level, node) pair reads one precomputed lattice entry.
        let perNode = Int((CrossedBetaBinomial.nodeSpacing / step).rounded())
        precondition(
            abs(Double(perNode) * step - CrossedBetaBinomial.nodeSpacing) < 1e-12,
            "the level step must divide the node spacing"
        )
        let topNode = CrossedBetaBinomial.nodes[G - 1]
        let fittedLogB = (0..<fittedGroups.count).map { fit.x[objective.indexOfLogB($0)] }
        let lo = min(-1, (fittedLogB.min() ?? 0) - 3)
        let hi = max(22, (fittedLogB.max() ?? 0) + 15)
        let levels = Int(((hi - lo) / step).rounded(.up)) + 1
        let grid = (0..<levels).map { lo + step * Double($0) }
        let lattice = levels + perNode * (G - 1)
        func logBeta(_ t: Int) -> Double { lo - topNode + step * Double(t) }

        // Lattice tables per distinct (a, n, c): e^{T − max T} with T = ln BB(c | n, a, β), and pass@k.
        struct Pattern: Hashable { let shape: Double, samples: Int, correct: Int }
        var patternIndex: [Pattern: Int] = [:]
        var patterns: [Pattern] = []
        for (j, g) in groups.enumerated() {
            for p in g.problems {
                let key = Pattern(shape: shapes[j], samples: p.samples, correct: p.correct)
                if patternIndex[key] == nil {
                    patternIndex[key] = patterns.count
                    patterns.append(key)
                }
            }
        }
        var scaled = [Double](repeating: 0, count: patterns.count * lattice)
        var logScale = [Double](repeating: 0, count: patterns.count)
        for (q, p) in patterns.enumerated() {
            let n = Double(p.samples)
            let c = Double(p.correct)
            let a = p.shape
            let base = BetaBinomial.logBinomial(samples: n, correct: c) + Special.logPochhammer(a, c)
            let row = (0..<lattice).map { t -> Double in
                let lb = logBeta(t)
                let beta = Double.exp(lb)
                return base + Special.logPochhammer(beta, n - c, logX: lb)
                    - Special.logPochhammer(a + beta, n, logX: lb + Double.log(onePlus: a / beta))
            }
            let top = row.max() ?? 0
            logScale[q] = top
            for t in 0..<lattice { scaled[q * lattice + t] = Double.exp(row[t] - top) }
        }

        // Curves ℓ_j(v) for every group, and forecast curves for the zero-count ones.
        let zero = groups.map(\.allZero)
        var curves = [[Double]](repeating: [], count: groups.count)
        var forecastCurves = [[[Double]]?](repeating: nil, count: groups.count)
        var fittedIndex = 0
        for (j, group) in groups.enumerated() {
            let own: Int? = fitted[j] ? fittedIndex : nil
            if fitted[j] { fittedIndex += 1 }
            var curve = [Double](repeating: 0, count: levels)
            var passCurves =
                zero[j] ? [[Double]](repeating: [Double](repeating: 0, count: levels), count: ks.count) : []
            // pass@k on the lattice for this group's patterns, when forecasting it.
            var passTables: [Int: [[Double]]] = [:]
            for (r, p) in group.problems.enumerated() {
                let q = patternIndex[Pattern(shape: shapes[j], samples: p.samples, correct: p.correct)]!
                let a = shapes[j]
                // The problem's node posterior given the other groups' counts.
                var logPost = [Double](repeating: 0, count: G)
                if let i = position[p.problem] {
                    for g in 0..<G { logPost[g] = brackets[i * G + g] }
                    if let own {
                        let pattern = objective.layout.cells[own][r].pattern
                        for g in 0..<G { logPost[g] -= table[pattern * G + g] }
                    }
                } else {
                    logPost = priorOnly
                }
                let total = Special.logSumExp(logPost)
                let post = logPost.map { Double.exp($0 - total) }
                if zero[j], passTables[q] == nil {
                    let n = Double(p.samples)
                    let c = Double(p.correct)
                    passTables[q] = ks.map { k in
                        (0..<lattice).map { BetaBinomial.passAtK(a: a + c, b: Double.exp(logBeta($0)) + n - c, k: k) }
                    }
                }
                let row = q * lattice
                for iv in 0..<levels {
                    var s = 0.0
                    for g in 0..<G { s += post[g] * scaled[row + iv + perNode * (G - 1 - g)] }
                    curve[iv] += s > 0 ? Double.log(s) + logScale[q] : -.infinity
                    if zero[j], s > 0, let tables = passTables[q] {
                        for (ki, pk) in tables.enumerated() {
                            var f = 0.0
                            for g in 0..<G {
                                f += post[g] * scaled[row + iv + perNode * (G - 1 - g)] * pk[iv + perNode * (G - 1 - g)]
                            }
                            passCurves[ki][iv] += f / s / Double(group.problems.count)
                        }
                    }
                }
            }
            curves[j] = curve
            if zero[j] { forecastCurves[j] = passCurves }
        }
        return (grid, curves, forecastCurves)
    }

    /// Fits the level prior over `curves` (covariate set by leave-one-group-out likelihood) and
    /// forecasts the groups with forecast curves from their level posteriors.
    static func pool(
        groups: [CountGroup],
        grid: [Double],
        curves: [[Double]],
        forecastCurves: [[[Double]]?],
        confidence: Double = 0.95
    ) -> PooledLevels {
        let tail = (1 - confidence) / 2

        // Covariates: the constant, then ln D and ln N where every group has them (centred).
        var sets: [(name: String, columns: [String], x: [[Double]])] = [
            ("constant", ["constant"], groups.map { _ in [1.0] })
        ]
        func centred(_ values: [Double]) -> [Double] {
            let m = values.reduce(0, +) / Double(values.count)
            return values.map { $0 - m }
        }
        let tokens = groups.compactMap(\.tokens)
        let params = groups.compactMap(\.params)
        if tokens.count == groups.count, Set(tokens).count > 1 {
            let lt = centred(tokens.map { Double.log($0) })
            sets.append(("constant+log_tokens", ["constant", "log_tokens"], lt.map { [1, $0] }))
            if params.count == groups.count, Set(params).count > 1 {
                let lp = centred(params.map { Double.log($0) })
                sets.append(
                    (
                        "constant+log_tokens+log_params", ["constant", "log_tokens", "log_params"],
                        zip(lt, lp).map { [1, $0, $1] }
                    )
                )
            }
        }
        let all = Array(groups.indices)
        var leaveOneOut: [String: Double] = [:]
        var best: (set: Int, score: Double)? = nil
        for (si, set) in sets.enumerated() {
            var score = 0.0
            for j in all {
                let h = fitPrior(curves: curves, covariates: set.x, grid: grid, members: all.filter { $0 != j })
                score += marginal(curves[j], mean: dot(h.gamma, set.x[j]), spread: h.spread, grid: grid)
            }
            leaveOneOut[set.name] = score
            if best == nil || score > best!.score { best = (si, score) }
        }
        let chosen = sets[best!.set]
        let h = fitPrior(curves: curves, covariates: chosen.x, grid: grid, members: all)
        let prior = LevelPrior(
            covariates: chosen.columns,
            coefficients: h.gamma,
            spread: h.spread,
            leaveOneOut: leaveOneOut
        )

        let forecasts: [[(estimate: Double, low: Double, high: Double)]?] = groups.indices.map { j in
            guard let passCurves = forecastCurves[j] else { return nil }
            let w = posterior(curves[j], mean: dot(h.gamma, chosen.x[j]), spread: h.spread, grid: grid)
            return passCurves.map { curve in
                let estimate = zip(w, curve).map { $0 * $1 }.reduce(0, +)
                // Quantiles of the forecast under the level posterior (the curve rises with e^−v).
                let order = curve.indices.sorted { curve[$0] < curve[$1] }
                var cumulative = 0.0
                var low = curve[order[0]]
                var high = curve[order.last!]
                var haveLow = false
                for i in order {
                    cumulative += w[i]
                    if !haveLow, cumulative >= tail {
                        low = curve[i]
                        haveLow = true
                    }
                    if cumulative >= 1 - tail {
                        high = curve[i]
                        break
                    }
                }
                return (estimate, low, high)
            }
        }
        return PooledLevels(prior: prior, forecasts: forecasts)
    }

    /// The report's line on the prior.
    public static func note(_ prior: LevelPrior) -> String {
        let terms = zip(prior.coefficients, prior.covariates).map { c, name in
            name == "constant"
                ? String(format: "%.3g", c) : String(format: "%+.3g·%@", c, name == "log_tokens" ? "ln D" : "ln N")
        }.joined(separator: " ")
        return
            "prior-driven forecasts (--pool-levels): groups with no correct sample take their level from ln b ~ N(\(terms), \(String(format: "%.3g", prior.spread))²) (ln D, ln N centred; covariates chosen by leave-one-group-out likelihood), fitted by type-II maximum likelihood over every group's crossed likelihood curve, and updated by their own zero counts"
    }

    static func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).map { $0 * $1 }.reduce(0, +) }

    /// ln N(v; μ, τ²) + ln Δv on the grid.
    static func logPrior(_ grid: [Double], mean: Double, spread: Double) -> [Double] {
        grid.map { v in
            let z = (v - mean) / spread
            return -0.5 * z * z - Double.log(spread) - 0.5 * Double.log(2 * .pi) + Double.log(step)
        }
    }

    /// ln ∫ e^{ℓ(v)} N(v; μ, τ²) dv on the grid.
    static func marginal(_ curve: [Double], mean: Double, spread: Double, grid: [Double]) -> Double {
        Special.logSumExp(zip(curve, logPrior(grid, mean: mean, spread: spread)).map { $0 + $1 })
    }

    /// The posterior weights of the grid levels.
    static func posterior(_ curve: [Double], mean: Double, spread: Double, grid: [Double]) -> [Double] {
        let terms = zip(curve, logPrior(grid, mean: mean, spread: spread)).map { $0 + $1 }
        let total = Special.logSumExp(terms)
        return terms.map { Double.exp($0 - total) }
    }

    /// Type-II maximum likelihood of (γ, ln τ) over `members`' curves, by L-BFGS with the analytic
    /// gradient: ∂/∂γ = Σ_j E_j[(v − μ_j)/τ²]·x_j, ∂/∂ln τ = Σ_j E_j[(v − μ_j)²/τ² − 1].
    static func fitPrior(
        curves: [[Double]],
        covariates: [[Double]],
        grid: [Double],
        members: [Int]
    ) -> (gamma: [Double], spread: Double) {
        let d = covariates[0].count
        let objective = ClosureObjective { x, gr in
            for i in 0..<gr.count { gr[i] = 0 }
            let spread = Double.exp(x[d])
            guard spread.isFinite, spread > 1e-3, spread < 1e3 else { return .infinity }
            var value = 0.0
            for j in members {
                var mean = 0.0
                for c in 0..<d { mean += x[c] * covariates[j][c] }
                let terms = zip(curves[j], logPrior(grid, mean: mean, spread: spread)).map { $0 + $1 }
                let total = Special.logSumExp(terms)
                guard total.isFinite else { return .infinity }
                value -= total
                var first = 0.0
                var second = 0.0
                for (v, t) in zip(grid, terms) {
                    let w = Double.exp(t - total)
                    let z = (v - mean) / spread
                    first += w * z / spread
                    second += w * (z * z - 1)
                }
                for c in 0..<d { gr[c] -= first * covariates[j][c] }
                gr[d] -= second
            }
            return value
        }
        // Start: the mean of the curves' maxima (zero-count curves are flat: clip), spread 2.
        let peaks = members.map { j in grid[curves[j].indices.max { curves[j][$0] < curves[j][$1] }!] }
        var start = [Double](repeating: 0, count: d + 1)
        start[0] = peaks.map { min($0, grid[0] + 12) }.reduce(0, +) / Double(max(peaks.count, 1))
        start[d] = Double.log(2)
        let result = minimizeLBFGS(
            objective,
            from: start,
            options: LBFGSOptions(gradientTolerance: 1e-8, functionTolerance: 1e-12, maxIterations: 500)
        )
        return (Array(result.x[0..<d]), Double.exp(result.x[d]))
    }
}
