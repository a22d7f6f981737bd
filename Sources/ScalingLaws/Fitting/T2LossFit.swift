import Dispatch
import Foundation
import Optimization
import RealModule

/// One aggregate point of the T² loss fit: a model (N, D), a k, and −ln(mean pass@k).
public struct T2LossPoint: Sendable, Equatable {
    public var group: String
    public var params: Double
    public var tokens: Double
    public var k: Int
    /// Mean pass@k over the group's problems (unbiased estimator per problem).
    public var passAtK: Double
    /// −ln passAtK.
    public var loss: Double { -Double.log(passAtK) }

    /// A point: model `group` of N = `params`, D = `tokens`, and its mean pass@`k`.
    public init(group: String, params: Double, tokens: Double, k: Int, passAtK: Double) {
        self.group = group
        self.params = params
        self.tokens = tokens
        self.k = k
        self.passAtK = passAtK
    }
}

/// The Huber objective of T² Approach 1 on log residuals, θ = (a, b, g, e, α, β, γ), with
/// A = eᵃ, B = eᵇ, G = eᵍ, E = eᵉ: Σ Huber_δ( LSE(a − α ln N, b − β ln D, g − γ ln k, e) − ln L ).
struct T2LossObjective: DifferentiableObjective, Sendable {
    let lnN: [Double], lnD: [Double], lnK: [Double], lnL: [Double], weight: [Double]
    let delta: Double

    func valueAndGradient(at x: UnsafeBufferPointer<Double>, gradient gr: UnsafeMutableBufferPointer<Double>) -> Double
    {
        let a = x[0]
        let b = x[1]
        let g = x[2]
        let e = x[3]
        let al = x[4]
        let be = x[5]
        let ga = x[6]
        var v = 0.0
        var d = [Double](repeating: 0, count: 7)
        for i in 0..<lnN.count {
            let u1 = a - al * lnN[i]
            let u2 = b - be * lnD[i]
            let u3 = g - ga * lnK[i]
            let m = max(max(u1, u2), max(u3, e))
            let t1 = Double.exp(u1 - m)
            let t2 = Double.exp(u2 - m)
            let t3 = Double.exp(u3 - m)
            let t4 = Double.exp(e - m)
            let s = t1 + t2 + t3 + t4
            let r = m + Double.log(s) - lnL[i]
            let w = weight[i]
            let psi: Double
            if abs(r) <= delta {
                v += w * 0.5 * r * r
                psi = r
            } else {
                v += w * delta * (abs(r) - 0.5 * delta)
                psi = r > 0 ? delta : -delta
            }
            let q = w * psi / s
            d[0] += q * t1
            d[4] -= q * t1 * lnN[i]
            d[1] += q * t2
            d[5] -= q * t2 * lnD[i]
            d[2] += q * t3
            d[6] -= q * t3 * lnK[i]
            d[3] += q * t4
        }
        for i in 0..<7 { gr[i] = d[i] }
        return v
    }

    static func law(_ x: [Double]) -> T2LossLaw {
        T2LossLaw(
            E: Double.exp(x[3]),
            A: Double.exp(x[0]),
            B: Double.exp(x[1]),
            alpha: x[4],
            beta: x[5],
            G: Double.exp(x[2]),
            gamma: x[6]
        )
    }
}

/// Result of a T² Approach 1 fit.
public struct T2LossFit: Sendable {
    public var law: T2LossLaw
    public var objective: Double
    public var points: [T2LossPoint]
    public var status: ConvergenceStatus
    /// Unconstrained optimum θ (for warm starts).
    public var theta: [Double]
    /// Groups with no correct sample (no finite −ln pass@k; left out).
    public var skippedGroups: [String]
}

/// Fitting T² Approach 1, L̂(N, D, k) = E + A/N^α + B/D^β + G/k^γ, to the aggregate
/// −ln(mean pass@k) of each model at k = powers of 2 and 10 up to its smallest n.
///
/// Aggregation: the mean of pass@k over problems is taken first and then the log, because
/// per-problem −ln pass@k is infinite for every problem with zero correct samples (most GSM8K
/// problems for small Pythia models), while the mean is finite whenever any problem is solved
/// and is exactly the quantity the planner maximises.
public enum T2LossFitter {
    /// Huber δ on log residuals (as Hoffmann et al.).
    public static let huberDelta = 1e-3

    /// The aggregate points of `groups` (which need N and D).
    public static func points(_ groups: [CountGroup]) throws -> (points: [T2LossPoint], skipped: [String]) {
        var pts: [T2LossPoint] = []
        var skipped: [String] = []
        for g in groups {
            guard let n = g.params, let d = g.tokens else { throw CountsError.missingParamsTokens(file: g.name) }
            guard !g.problems.isEmpty else { throw CountsError.emptyGroup(group: g.name) }
            if g.allZero {
                skipped.append(g.name)
                continue
            }
            for k in PassAtK.defaultKs(upTo: g.minimumSamples) {
                let p = try PassAtK.mean(g, k: k)
                if p > 0 && p < 1 { pts.append(T2LossPoint(group: g.name, params: n, tokens: d, k: k, passAtK: p)) }
            }
        }
        return (pts, skipped)
    }

    /// The multi-start grid θ = (a, b, g, e, α, β, γ): 288 starts.
    public static let grid: [[Double]] = {
        var r: [[Double]] = []
        for a in [0.0, 5, 10] {
            for b in [0.0, 5, 10] {
                for g in [0.0, 1.5] {
                    for e in [-2.0, 0] {
                        for al in [0.2, 0.6] {
                            for be in [0.2, 0.6] { for ga in [0.15, 0.5] { r.append([a, b, g, e, al, be, ga]) } }
                        }
                    }
                }
            }
        }
        return r
    }()

    static let options = LBFGSOptions(
        memory: 10,
        gradientTolerance: 1e-12,
        functionTolerance: 1e-13,
        maxIterations: 1_000,
        maxEvaluations: 4_000
    )

    static func objective(_ pts: [T2LossPoint], weights: [Double]? = nil) -> T2LossObjective {
        T2LossObjective(
            lnN: pts.map { Double.log($0.params) },
            lnD: pts.map { Double.log($0.tokens) },
            lnK: pts.map { Double.log(Double($0.k)) },
            lnL: pts.map { Double.log($0.loss) },
            weight: weights ?? pts.map { _ in 1 },
            delta: huberDelta
        )
    }

    /// Fits the law to points (multi-start, or one warm start).
    public static func fit(
        points pts: [T2LossPoint],
        weights: [Double]? = nil,
        warmStart: [Double]? = nil,
        skipped: [String] = []
    ) throws -> T2LossFit {
        guard Set(pts.map(\.group)).count >= 3, pts.count >= 8 else {
            throw CountsError.tooFewForFit(
                form: "t2-loss",
                detail:
                    "needs at least 3 models with correct samples (has \(Set(pts.map(\.group)).count)) and 8 (model, k) points (has \(pts.count))"
            )
        }
        let f = objective(pts, weights: weights)
        let starts = warmStart.map { [$0] } ?? grid
        var values = [Double](repeating: .infinity, count: starts.count)
        var ends = [[Double]](repeating: [], count: starts.count)
        var statuses = [ConvergenceStatus](repeating: .nonFiniteStart, count: starts.count)
        let threads = max(1, min(ProcessInfo.processInfo.activeProcessorCount, starts.count))
        let chunk = (starts.count + threads - 1) / threads
        values.withUnsafeMutableBufferPointer { vb in
            ends.withUnsafeMutableBufferPointer { eb in
                statuses.withUnsafeMutableBufferPointer { sb in
                    let v = SendableBuffer(vb)
                    let e = SendableBuffer(eb)
                    let s = SendableBuffer(sb)
                    DispatchQueue.concurrentPerform(iterations: threads) { w in
                        var solver = LBFGSSolver(dimension: 7, memory: 10)
                        for i in (w * chunk)..<min(starts.count, (w + 1) * chunk) {
                            let r = solver.minimize(f, from: starts[i], options: options)
                            v.buffer[i] = r.value.isFinite ? r.value : .infinity
                            e.buffer[i] = r.x
                            s.buffer[i] = r.status
                        }
                    }
                }
            }
        }
        var best = 0
        for i in values.indices where values[i] < values[best] { best = i }
        return T2LossFit(
            law: T2LossObjective.law(ends[best]),
            objective: values[best],
            points: pts,
            status: statuses[best],
            theta: ends[best],
            skippedGroups: skipped
        )
    }

    /// Fits all groups.
    public static func fit(_ groups: [CountGroup]) throws -> T2LossFit {
        let (pts, skipped) = try points(groups)
        return try fit(points: pts, skipped: skipped)
    }

    /// Bootstrap over models: whole models are resampled with replacement (their points move
    /// together), each replicate warm-started from `full`. Replicate r uses stream r of `seed`.
    /// `tick` is called after each replicate (from worker threads).
    public static func bootstrap(
        _ full: T2LossFit,
        replicates: Int,
        seed: UInt64,
        tick: (@Sendable () -> Void)? = nil
    ) -> [T2LossLaw] {
        let models = Array(Set(full.points.map(\.group))).sorted()
        let index = Dictionary(uniqueKeysWithValues: models.enumerated().map { ($1, $0) })
        return Bootstrap.replicates(replicates, seed: seed) { _, rng in
            let count = Bootstrap.multiplicities(models.count, using: &rng)
            let weights = full.points.map { count[index[$0.group]!] }
            defer { tick?() }
            return try? fit(points: full.points, weights: weights, warmStart: full.theta).law
        }
    }
}

extension T2LossObjective {
    func value(at x: [Double]) -> Double {
        var g = [Double](repeating: 0, count: 7)
        return x.withUnsafeBufferPointer { xb in
            g.withUnsafeMutableBufferPointer { valueAndGradient(at: xb, gradient: $0) }
        }
    }
}

extension T2LossFitter {
    /// θ = (ln A, ln B, ln G, ln E, α, β, γ) of a law (E = 0 maps to a very negative ln E).
    static func theta(_ law: T2LossLaw) -> [Double] {
        [
            Double.log(law.A), Double.log(law.B), Double.log(law.G), Double.log(max(law.E, 1e-300)), law.alpha,
            law.beta, law.gamma,
        ]
    }
}
