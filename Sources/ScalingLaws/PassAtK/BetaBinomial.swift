import Foundation
import Optimization
import RealModule

/// Beta-binomial likelihood of per-problem counts: p ~ Beta(a, b), c | p ~ Binomial(n, p),
///
///     ln P(c | n, a, b) = ln C(n, c) + ln B(c + a, n − c + b) − ln B(a, b)
///                       = ln C(n, c) + D(a, c) + D(b, n − c) − D(a + b, n),
///
/// with D(x, k) = ln Γ(x + k) − ln Γ(x) (`Optimization.Special.logPochhammer`), exact and stable for n in
/// the millions and for b up to 1e300 (a pure log-gamma difference loses every digit past b ≈ 1e15).
/// Gradient (digamma ψ):
///
///     ∂/∂a = [ψ(c + a) − ψ(a)] − [ψ(n + a + b) − ψ(a + b)]
///     ∂/∂b = [ψ(n − c + b) − ψ(b)] − [ψ(n + a + b) − ψ(a + b)]
public enum BetaBinomial {
    /// ln C(n, c).
    @inlinable
    public static func logBinomial(samples n: Double, correct c: Double) -> Double {
        Double.logGamma(n + 1) - Double.logGamma(c + 1) - Double.logGamma(n - c + 1)
    }

    /// ln P(c | n, a, b).
    @inlinable
    public static func logLikelihood(samples n: Int, correct c: Int, a: Double, b: Double) -> Double {
        let nd = Double(n)
        let cd = Double(c)
        return logBinomial(samples: nd, correct: cd)
            + Special.logPochhammer(a, cd) + Special.logPochhammer(b, nd - cd) - Special.logPochhammer(a + b, nd)
    }

    /// (∂/∂a, ∂/∂b) of ln P(c | n, a, b).
    @inlinable
    public static func gradient(samples n: Double, correct c: Double, a: Double, b: Double) -> (a: Double, b: Double) {
        let total = Special.digammaDifference(a + b, n)
        return (Special.digammaDifference(a, c) - total, Special.digammaDifference(b, n - c) - total)
    }

    /// First and second derivatives of ln P(c | n, a, b) in (ln a, ln b). With Δψ, Δψ′ the digamma
    /// and trigamma differences (`Special.digammaDifference`, `Special.trigammaDifference`):
    ///
    ///     ∂/∂ln a = a[Δψ(a, c) − Δψ(a + b, n)],   ∂/∂ln b = b[Δψ(b, n − c) − Δψ(a + b, n)],
    ///     ∂²/∂ln a² = ∂/∂ln a + a²[Δψ′(a, c) − Δψ′(a + b, n)],   ∂²/∂ln a ∂ln b = −ab Δψ′(a + b, n),
    ///     ∂²/∂ln b² = ∂/∂ln b + b²[Δψ′(b, n − c) − Δψ′(a + b, n)].
    ///
    /// `aTerms` are Δψ(a, c) and Δψ′(a, c), for callers that vary b at one (a, c) and compute them
    /// once.
    @inlinable
    public static func logScaleDerivatives(
        samples n: Double,
        correct c: Double,
        a: Double,
        b: Double,
        aTerms: (digamma: Double, trigamma: Double)? = nil
    ) -> (a: Double, b: Double, aa: Double, ab: Double, bb: Double) {
        let (psiA, triA) = aTerms ?? (Special.digammaDifference(a, c), Special.trigammaDifference(a, c))
        let psiTotal = Special.digammaDifference(a + b, n)
        let triTotal = Special.trigammaDifference(a + b, n)
        let fa = a * (psiA - psiTotal)
        let fb = b * (Special.digammaDifference(b, n - c) - psiTotal)
        return (
            fa, fb, fa + a * a * (triA - triTotal), -a * b * triTotal,
            fb + b * b * (Special.trigammaDifference(b, n - c) - triTotal)
        )
    }

    /// E[(1 − p)^k] = B(a, b + k)/B(a, b) = exp(D(b, k) − D(a + b, k)) for p ~ Beta(a, b); k may be fractional.
    @inlinable
    public static func failureAtK(a: Double, b: Double, k: Double) -> Double {
        Double.exp(Special.logPochhammer(b, k) - Special.logPochhammer(a + b, k))
    }

    /// Expected pass@k = 1 − B(a, b + k)/B(a, b) (T² Approach 2's closed form).
    @inlinable
    public static func passAtK(a: Double, b: Double, k: Double) -> Double {
        -Double.expMinusOne(Special.logPochhammer(b, k) - Special.logPochhammer(a + b, k))
    }
}

/// The family of per-problem success distributions.
public enum SuccessFamily: String, Sendable, CaseIterable, Codable {
    /// p ~ Beta(a, b) per group (2 parameters per group).
    case betaBinomial = "beta-binomial"
    /// p = 0 with probability π, else Beta(a, b) (Schaeffer et al. 2025's point mass at zero; 3 per group).
    case zeroInflated = "zero-inflated-beta-binomial"
    /// p ~ Beta(a, b_g): the left-tail shape a (the aggregate power-law exponent of pass@k, Schaeffer
    /// et al. 2025) is shared by all groups of the file; b is per group (1 + G parameters).
    case sharedShape = "shared-shape-beta-binomial"
    /// p_ij ~ Beta(a, b_j·e^{−u_i}) with a problem difficulty e^{u_i} ~ Gamma(α) shared by all groups
    /// (problems aligned by id; see ``CrossedBetaBinomial``; 1 + G + 1 parameters).
    case crossed = "crossed-beta-binomial"
    /// The crossed family with a shape a_j per group, partially pooled: ln a_j ~ N(μ + β·x_j, τ²)
    /// with x_j the group's standardised strength, τ and whether β is free chosen from a small grid
    /// by the Laplace approximation of the marginal likelihood (see ``CrossedShapePooling``;
    /// 2G + 3 parameters). The default of `t2 passk`.
    case crossedPooledShape = "crossed-pooled-shape-beta-binomial"

    /// Parameters per group, and shared.
    func dimension(groups: Int) -> Int {
        switch self {
        case .betaBinomial: return 2 * groups
        case .zeroInflated: return 3 * groups
        case .sharedShape: return 1 + groups
        case .crossed: return 2 + groups
        case .crossedPooledShape: return 3 + 2 * groups
        }
    }

    /// Parameters of each group when no parameter is shared (the likelihood then splits into
    /// independent per-group fits), else nil.
    var parametersPerGroup: Int? {
        switch self {
        case .betaBinomial: return 2
        case .zeroInflated: return 3
        case .sharedShape, .crossed, .crossedPooledShape: return nil
        }
    }

    /// Where group g's ln a, ln b, logit π and ln α sit in the unconstrained parameter vector.
    func parameterIndices(group g: Int, groups: Int) -> (a: Int, b: Int, zeroMass: Int?, problemShape: Int?) {
        switch self {
        case .betaBinomial: return (2 * g, 2 * g + 1, nil, nil)
        case .zeroInflated: return (3 * g, 3 * g + 1, 3 * g + 2, nil)
        case .sharedShape: return (0, 1 + g, nil, nil)
        case .crossed: return (0, 1 + g, nil, 1 + groups)
        case .crossedPooledShape: return (g, groups + g, nil, 2 * groups)
        }
    }

    /// Whether a problem's counts in different groups are dependent (the crossed families: folds
    /// and bootstrap resampling move whole problems across groups, and `--pool-levels` applies).
    public var sharesProblemEffects: Bool { self == .crossed || self == .crossedPooledShape }

    /// Whether the family can be fitted to `groups`: shared-shape needs two groups, crossed two
    /// groups that share problem ids.
    public func isCandidate(for groups: [[ProblemCount]]) -> Bool {
        switch self {
        case .betaBinomial, .zeroInflated: return true
        case .sharedShape: return groups.count >= 2
        case .crossed, .crossedPooledShape: return CrossedBetaBinomial.applies(to: groups)
        }
    }

    /// The groups' distributions at the unconstrained point x.
    func distributions(_ x: [Double], groups: Int) -> [SuccessDistribution] {
        (0..<groups).map { g in
            let i = parameterIndices(group: g, groups: groups)
            return SuccessDistribution(
                family: self,
                a: Double.exp(x[i.a]),
                b: Double.exp(x[i.b]),
                zeroMass: i.zeroMass.map { Special.sigmoid(x[$0]) } ?? 0,
                problemShape: i.problemShape.map { Double.exp(x[$0]) }
            )
        }
    }
}

/// The fitted distribution of one group (JSON: `family`, `a`, `b`, `zero_mass`, `problem_shape`).
public struct SuccessDistribution: Sendable, Equatable, Codable {
    /// The family this distribution belongs to.
    public var family: SuccessFamily
    /// Beta shape a (left tail; pass@k ~ 1 − C·k^−a at large k).
    public var a: Double
    /// Beta shape b (crossed family: b_j, the Beta's b at problem effect u = 0).
    public var b: Double
    /// Point mass at zero π (0 unless zero-inflated).
    public var zeroMass: Double
    /// Crossed family: the problem-difficulty shape α (e^u ~ Gamma(α), shared by all groups); nil otherwise.
    public var problemShape: Double?

    enum CodingKeys: String, CodingKey {
        case family, a, b
        case zeroMass = "zero_mass"
        case problemShape = "problem_shape"
    }

    /// A distribution of `family` with Beta shapes `a`, `b`, zero mass π and problem shape α.
    public init(family: SuccessFamily, a: Double, b: Double, zeroMass: Double = 0, problemShape: Double? = nil) {
        self.family = family
        self.a = a
        self.b = b
        self.zeroMass = zeroMass
        self.problemShape = problemShape
    }

    /// Runs `body` over the problem-effect quadrature (node weight w_g, Beta b at the node), or once
    /// with weight 1 and b when there is no problem effect.
    private func overProblemEffect(_ body: (_ logWeight: Double, _ b: Double) -> Double) -> [Double] {
        guard let alpha = problemShape else { return [body(0, b)] }
        let lw = CrossedBetaBinomial.logWeights(problemShape: alpha).logWeights
        return (0..<CrossedBetaBinomial.nodeCount).map { body(lw[$0], b * CrossedBetaBinomial.expNegNodes[$0]) }
    }

    /// Expected pass@k for a problem drawn from the distribution: (1 − π)·(1 − B(a, b + k)/B(a, b)),
    /// averaged over the problem effect for the crossed family (a new problem; the crossed family's
    /// forecasts for the group's own problems are posterior means, ``SuccessDistributionFitter/forecasts(_:groups:ks:weights:)``).
    public func passAtK(_ k: Double) -> Double {
        (1 - zeroMass)
            * overProblemEffect { lw, b in Double.exp(lw) * BetaBinomial.passAtK(a: a, b: b, k: k) }.reduce(0, +)
    }

    /// Mean single-sample success (1 − π)·E[a/(a + b)].
    public var mean: Double {
        (1 - zeroMass) * overProblemEffect { lw, b in Double.exp(lw) * a / (a + b) }.reduce(0, +)
    }

    /// ln P(c | n) under this distribution (marginal over the problem effect for the crossed family).
    public func logLikelihood(samples n: Int, correct c: Int) -> Double {
        let ll = Special.logSumExp(
            overProblemEffect { lw, b in lw + BetaBinomial.logLikelihood(samples: n, correct: c, a: a, b: b) }
        )
        if zeroMass <= 0 { return ll }
        if c == 0 { return Special.logAddExp(Double.log(zeroMass), Double.log(onePlus: -zeroMass) + ll) }
        return Double.log(onePlus: -zeroMass) + ll
    }

    /// Named parameters.
    public var parameters: [String: Double] {
        var p = ["a": a, "b": b]
        if family == .zeroInflated { p["zero_mass"] = zeroMass }
        if let problemShape { p["problem_shape"] = problemShape }
        return p
    }
}

/// What the fitter needs from a family's likelihood: the negative log-likelihood with gradient
/// over cells or problems of positive weight, the distributions at a point, and forecasts.
protocol SuccessLikelihood: DifferentiableObjective, Sendable {
    var family: SuccessFamily { get }
    var groups: Int { get }
    /// The groups' distributions at x.
    func distributions(_ x: [Double]) -> [SuccessDistribution]
    /// Expected pass@k at x, `[group][k index]`, over the problems as weighted.
    func forecasts(_ x: [Double], ks: [Double]) -> [[Double]]
}

extension SuccessLikelihood {
    /// The objective's value at x (the gradient is computed and dropped).
    func value(at x: [Double]) -> Double {
        var scratch = [Double](repeating: 0, count: x.count)
        return x.withUnsafeBufferPointer { xb in
            scratch.withUnsafeMutableBufferPointer { valueAndGradient(at: xb, gradient: $0) }
        }
    }
}

/// Negative log-likelihood of an independent-problem family (beta-binomial, zero-inflated,
/// shared-shape) over several groups' counts, with an analytic gradient. Parameters are
/// unconstrained: ln a, ln b, logit π. Problems carry weights (bootstrap multiplicities; 0 removes
/// a problem, for cross-validation).
struct SuccessObjective: SuccessLikelihood {
    let family: SuccessFamily
    let groups: Int
    /// Per problem: n, c, ln C(n, c), group index, weight.
    let n: [Double]
    let c: [Double]
    let logBinomial: [Double]
    let group: [Int]
    let weight: [Double]

    init(family: SuccessFamily, groups: [[ProblemCount]], weights: [[Double]]? = nil) {
        precondition(!family.sharesProblemEffects, "\(family.rawValue) has its own likelihood (CrossedObjective)")
        self.family = family
        self.groups = groups.count
        var n: [Double] = []
        var c: [Double] = []
        var g: [Int] = []
        var w: [Double] = []
        for (gi, problems) in groups.enumerated() {
            for (pi, p) in problems.enumerated() {
                let wt = weights?[gi][pi] ?? 1
                if wt == 0 { continue }
                n.append(Double(p.samples))
                c.append(Double(p.correct))
                g.append(gi)
                w.append(wt)
            }
        }
        self.n = n
        self.c = c
        self.group = g
        self.weight = w
        logBinomial = zip(n, c).map { BetaBinomial.logBinomial(samples: $0, correct: $1) }
    }

    /// (ln a, ln b, logit π) of group `g` at x.
    func shape(_ x: UnsafeBufferPointer<Double>, _ g: Int) -> (la: Double, lb: Double, t: Double?) {
        let i = family.parameterIndices(group: g, groups: groups)
        return (x[i.a], x[i.b], i.zeroMass.map { x[$0] })
    }

    func distributions(_ x: [Double]) -> [SuccessDistribution] { family.distributions(x, groups: groups) }

    /// The distributions' pass@k (problems are independent: weights do not change the forecast).
    func forecasts(_ x: [Double], ks: [Double]) -> [[Double]] {
        distributions(x).map { d in ks.map { d.passAtK($0) } }
    }

    func valueAndGradient(at x: UnsafeBufferPointer<Double>, gradient gr: UnsafeMutableBufferPointer<Double>) -> Double
    {
        for i in 0..<gr.count { gr[i] = 0 }
        // Guard against overflow of exp: shapes beyond e^±30 are outside any useful range.
        for i in 0..<x.count where !(abs(x[i]) < 40) { return .infinity }
        var value = 0.0
        // Per-group constants.
        var aG = [Double](repeating: 0, count: groups)
        var bG = aG
        var piG = aG
        for g in 0..<groups {
            let s = shape(x, g)
            aG[g] = Double.exp(s.la)
            bG[g] = Double.exp(s.lb)
            piG[g] = s.t.map { Special.sigmoid($0) } ?? 0
        }
        var dla = [Double](repeating: 0, count: groups)
        var dlb = dla
        var dt = dla
        for i in 0..<n.count {
            let g = group[i]
            let a = aG[g]
            let b = bG[g]
            let ni = n[i]
            let ci = c[i]
            let w = weight[i]
            let ll =
                logBinomial[i]
                + Special.logPochhammer(a, ci) + Special.logPochhammer(b, ni - ci) - Special.logPochhammer(a + b, ni)
            let (ga, gb) = BetaBinomial.gradient(samples: ni, correct: ci, a: a, b: b)
            if family == .zeroInflated {
                let pi = piG[g]
                if ci == 0 {
                    // ln(π + (1 − π)e^ll); r = share of the Beta component.
                    let total = Special.logAddExp(Double.log(pi), Double.log(onePlus: -pi) + ll)
                    let r = Double.exp(Double.log(onePlus: -pi) + ll - total)
                    value -= w * total
                    dla[g] -= w * r * ga * a
                    dlb[g] -= w * r * gb * b
                    // d/dt with π = σ(t): (π(1−π))(1 − e^ll)/e^total
                    dt[g] -= w * pi * (1 - pi) * (1 - Double.exp(ll)) / Double.exp(total)
                } else {
                    value -= w * (Double.log(onePlus: -pi) + ll)
                    dla[g] -= w * ga * a
                    dlb[g] -= w * gb * b
                    dt[g] += w * pi
                }
            } else {
                value -= w * ll
                dla[g] -= w * ga * a
                dlb[g] -= w * gb * b
            }
        }
        for g in 0..<groups {
            let i = family.parameterIndices(group: g, groups: groups)
            gr[i.a] += dla[g]
            gr[i.b] += dlb[g]
            if let t = i.zeroMass { gr[t] += dt[g] }
        }
        return value
    }
}
