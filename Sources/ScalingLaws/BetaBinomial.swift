import Foundation
import Optimization
import RealModule

/// Beta-binomial likelihood of per-problem counts: p ~ Beta(a, b), c | p ~ Binomial(n, p),
///
///     ln P(c | n, a, b) = ln C(n, c) + ln B(c + a, n − c + b) − ln B(a, b),
///
/// in log-gamma form, exact and stable for n in the millions. Gradient (digamma ψ):
///
///     ∂/∂a = ψ(c + a) − ψ(n + a + b) − ψ(a) + ψ(a + b)
///     ∂/∂b = ψ(n − c + b) − ψ(n + a + b) − ψ(b) + ψ(a + b)
public enum BetaBinomial {
    /// ln P(c | n, a, b).
    @inlinable
    public static func logLikelihood(samples n: Int, correct c: Int, a: Double, b: Double) -> Double {
        let nd = Double(n), cd = Double(c)
        return Double.logGamma(nd + 1) - Double.logGamma(cd + 1) - Double.logGamma(nd - cd + 1)
            + Special.logBeta(cd + a, nd - cd + b) - Special.logBeta(a, b)
    }

    /// E[(1 − p)^k] = B(a, b + k)/B(a, b) for p ~ Beta(a, b); k may be fractional.
    @inlinable
    public static func failureAtK(a: Double, b: Double, k: Double) -> Double {
        Double.exp(Double.logGamma(b + k) - Double.logGamma(b) + Double.logGamma(a + b) - Double.logGamma(a + b + k))
    }

    /// Expected pass@k = 1 − B(a, b + k)/B(a, b) (T² Approach 2's closed form).
    @inlinable
    public static func passAtK(a: Double, b: Double, k: Double) -> Double {
        let logRatio = Double.logGamma(b + k) - Double.logGamma(b) + Double.logGamma(a + b) - Double.logGamma(a + b + k)
        return -Double.expMinusOne(logRatio)
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

    /// Parameters per group, and shared.
    func dimension(groups: Int) -> Int {
        switch self {
        case .betaBinomial: return 2 * groups
        case .zeroInflated: return 3 * groups
        case .sharedShape: return 1 + groups
        }
    }
}

/// The fitted distribution of one group.
public struct SuccessDistribution: Sendable, Equatable, Codable {
    public var family: SuccessFamily
    /// Beta shape a (left tail; pass@k ~ 1 − C·k^−a at large k).
    public var a: Double
    /// Beta shape b.
    public var b: Double
    /// Point mass at zero π (0 unless zero-inflated).
    public var zeroMass: Double

    public init(family: SuccessFamily, a: Double, b: Double, zeroMass: Double = 0) {
        self.family = family
        self.a = a
        self.b = b
        self.zeroMass = zeroMass
    }

    /// Expected pass@k over problems: (1 − π)·(1 − B(a, b + k)/B(a, b)).
    public func passAtK(_ k: Double) -> Double {
        (1 - zeroMass) * BetaBinomial.passAtK(a: a, b: b, k: k)
    }

    /// Mean single-sample success (1 − π)·a/(a + b).
    public var mean: Double { (1 - zeroMass) * a / (a + b) }

    /// ln P(c | n) under this distribution.
    public func logLikelihood(samples n: Int, correct c: Int) -> Double {
        let ll = BetaBinomial.logLikelihood(samples: n, correct: c, a: a, b: b)
        if zeroMass <= 0 { return ll }
        if c == 0 { return Special.logAddExp(Double.log(zeroMass), Double.log(onePlus: -zeroMass) + ll) }
        return Double.log(onePlus: -zeroMass) + ll
    }

    /// Named parameters.
    public var parameters: [String: Double] {
        var p = ["a": a, "b": b]
        if family == .zeroInflated { p["zero_mass"] = zeroMass }
        return p
    }
}

/// Negative log-likelihood of a family over several groups' counts, with an analytic gradient.
/// Parameters are unconstrained: ln a, ln b, logit π. Problems carry weights (bootstrap
/// multiplicities; 0 removes a problem, for cross-validation).
struct SuccessObjective: DifferentiableObjective, Sendable {
    let family: SuccessFamily
    let groups: Int
    /// Per problem: n, c, group index, weight.
    let n: [Double]
    let c: [Double]
    let group: [Int]
    let weight: [Double]

    init(family: SuccessFamily, groups: [[ProblemCount]], weights: [[Double]]? = nil) {
        self.family = family
        self.groups = groups.count
        var n: [Double] = [], c: [Double] = [], g: [Int] = [], w: [Double] = []
        for (gi, problems) in groups.enumerated() {
            for (pi, p) in problems.enumerated() {
                let wt = weights?[gi][pi] ?? 1
                if wt == 0 { continue }
                n.append(Double(p.samples)); c.append(Double(p.correct)); g.append(gi); w.append(wt)
            }
        }
        self.n = n; self.c = c; self.group = g; self.weight = w
    }

    /// (a, b, π) of group `g` at x.
    func shape(_ x: UnsafeBufferPointer<Double>, _ g: Int) -> (la: Double, lb: Double, t: Double?) {
        switch family {
        case .betaBinomial: return (x[2 * g], x[2 * g + 1], nil)
        case .zeroInflated: return (x[3 * g], x[3 * g + 1], x[3 * g + 2])
        case .sharedShape: return (x[0], x[1 + g], nil)
        }
    }

    func distributions(_ xs: [Double]) -> [SuccessDistribution] {
        xs.withUnsafeBufferPointer { x in
            (0..<groups).map { g in
                let s = shape(x, g)
                return SuccessDistribution(family: family, a: Double.exp(s.la), b: Double.exp(s.lb),
                                           zeroMass: s.t.map { Special.sigmoid($0) } ?? 0)
            }
        }
    }

    func valueAndGradient(at x: UnsafeBufferPointer<Double>, gradient gr: UnsafeMutableBufferPointer<Double>) -> Double {
        for i in 0..<gr.count { gr[i] = 0 }
        // Guard against overflow of exp: shapes beyond e^±30 are outside any useful range.
        for i in 0..<x.count where !(abs(x[i]) < 40) { return .infinity }
        var value = 0.0
        // Per-group constants.
        var aG = [Double](repeating: 0, count: groups), bG = aG, piG = aG, constA = aG, constB = aG, lbG = aG
        for g in 0..<groups {
            let s = shape(x, g)
            let a = Double.exp(s.la), b = Double.exp(s.lb)
            aG[g] = a; bG[g] = b
            piG[g] = s.t.map { Special.sigmoid($0) } ?? 0
            let psiAB = Special.digamma(a + b)
            constA[g] = psiAB - Special.digamma(a)
            constB[g] = psiAB - Special.digamma(b)
            lbG[g] = Special.logBeta(a, b)
        }
        var dla = [Double](repeating: 0, count: groups), dlb = dla, dt = dla
        for i in 0..<n.count {
            let g = group[i]
            let a = aG[g], b = bG[g], ni = n[i], ci = c[i], w = weight[i]
            let ll = Double.logGamma(ni + 1) - Double.logGamma(ci + 1) - Double.logGamma(ni - ci + 1)
                + Special.logBeta(ci + a, ni - ci + b) - lbG[g]
            let psiN = Special.digamma(ni + a + b)
            let ga = Special.digamma(ci + a) - psiN + constA[g]
            let gb = Special.digamma(ni - ci + b) - psiN + constB[g]
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
        switch family {
        case .betaBinomial:
            for g in 0..<groups { gr[2 * g] = dla[g]; gr[2 * g + 1] = dlb[g] }
        case .zeroInflated:
            for g in 0..<groups { gr[3 * g] = dla[g]; gr[3 * g + 1] = dlb[g]; gr[3 * g + 2] = dt[g] }
        case .sharedShape:
            gr[0] = dla.reduce(0, +)
            for g in 0..<groups { gr[1 + g] = dlb[g] }
        }
        return value
    }
}
