import Dispatch
import Foundation
import Optimization
import RealModule

/// Beta-binomial negative log-likelihood of T² Approach 2 over all per-problem counts jointly.
///
/// θ = (ln A, ln B, α, β, θ₁, θ₃, θ₄). L̂ enters μ and ν only through θ₁ + θ₂L̂ and θ₃ + θ₄L̂, so
/// an affine change of L̂ is absorbed by the θs; t2 fixes that gauge with E = 0 and θ₂ = −1
/// (L̂ is in logit units: μ = sigmoid(θ₁ − L̂)). Identical (model, n, c) rows are merged with weights.
struct T2AccuracyObjective: DifferentiableObjective, Sendable {
    /// Per model: ln N, ln D.
    let lnN: [Double], lnD: [Double]
    /// Per unique count: model index, n, c, weight (multiplicity).
    let model: [Int], n: [Double], c: [Double], weight: [Double]

    func valueAndGradient(at x: UnsafeBufferPointer<Double>, gradient gr: UnsafeMutableBufferPointer<Double>) -> Double
    {
        let lA = x[0]
        let lB = x[1]
        let al = x[2]
        let be = x[3]
        let t1 = x[4]
        let t3 = x[5]
        let t4 = x[6]
        let models = lnN.count
        var aM = [Double](repeating: 0, count: models)
        var bM = aM
        var lhat = aM
        var tA = aM
        var tB = aM
        var cA = aM
        var cB = aM
        var lbM = aM
        var muM = aM
        var nuM = aM
        for m in 0..<models {
            let ta = Double.exp(lA - al * lnN[m])
            let tb = Double.exp(lB - be * lnD[m])
            let l = ta + tb
            let mu = Special.sigmoid(t1 - l)
            let nu = Double.exp(t3 + t4 * l)
            let a = mu * nu
            let b = (1 - mu) * nu
            guard a > 1e-300, b > 1e-300, a.isFinite, b.isFinite, nu < 1e12 else { return .infinity }
            aM[m] = a
            bM[m] = b
            lhat[m] = l
            tA[m] = ta
            tB[m] = tb
            muM[m] = mu
            nuM[m] = nu
            let psiAB = Special.digamma(a + b)
            cA[m] = psiAB - Special.digamma(a)
            cB[m] = psiAB - Special.digamma(b)
            lbM[m] = Special.logBeta(a, b)
        }
        var ga = [Double](repeating: 0, count: models)
        var gb = ga
        var v = 0.0
        for i in 0..<n.count {
            let m = model[i]
            let a = aM[m]
            let b = bM[m]
            let ni = n[i]
            let ci = c[i]
            let w = weight[i]
            v -= w * (Special.logBeta(ci + a, ni - ci + b) - lbM[m])
            let psiN = Special.digamma(ni + a + b)
            ga[m] -= w * (Special.digamma(ci + a) - psiN + cA[m])
            gb[m] -= w * (Special.digamma(ni - ci + b) - psiN + cB[m])
        }
        var d = [Double](repeating: 0, count: 7)
        for m in 0..<models {
            let mu = muM[m]
            let nu = nuM[m]
            let dz = (ga[m] - gb[m]) * nu * mu * (1 - mu)  // d/dθ₁ (z = θ₁ − L̂)
            let s = (ga[m] * mu + gb[m] * (1 - mu)) * nu  // d/dθ₃
            d[4] += dz
            d[5] += s
            d[6] += s * lhat[m]
            let dl = -dz + t4 * s  // d/dL̂
            d[0] += dl * tA[m]
            d[2] -= dl * tA[m] * lnN[m]
            d[1] += dl * tB[m]
            d[3] -= dl * tB[m] * lnD[m]
        }
        for j in 0..<7 { gr[j] = d[j] }
        return v
    }

    static func law(_ x: [Double]) -> T2AccuracyLaw {
        T2AccuracyLaw(
            base: ChinchillaLaw(E: 0, A: Double.exp(x[0]), B: Double.exp(x[1]), alpha: x[2], beta: x[3]),
            theta1: x[4],
            theta2: -1,
            theta3: x[5],
            theta4: x[6]
        )
    }
}

/// Result of a T² Approach 2 fit.
public struct T2AccuracyFit: Sendable {
    public var law: T2AccuracyLaw
    /// Negative log-likelihood (without the constant Σ ln C(n, c)).
    public var objective: Double
    /// Problems (count rows) fitted.
    public var problems: Int
    public var models: [String]
    public var status: ConvergenceStatus
    public var theta: [Double]
}

/// Fitting T² Approach 2 by beta-binomial maximum likelihood on all per-problem counts jointly.
public enum T2AccuracyFitter {
    /// Starts θ = (ln A, ln B, α, β, θ₁, θ₃, θ₄): 32 starts.
    public static let grid: [[Double]] = {
        var r: [[Double]] = []
        for lA in [2.0, 6] {
            for lB in [2.0, 6] {
                for al in [0.2, 0.5] {
                    for be in [0.2, 0.5] {
                        for t4 in [0.0, 0.5] {
                            r.append([lA, lB, al, be, -2, 3, t4])
                        }
                    }
                }
            }
        }
        return r
    }()

    static let options = LBFGSOptions(
        memory: 10,
        gradientTolerance: 1e-8,
        functionTolerance: 1e-13,
        maxIterations: 1_000,
        maxEvaluations: 4_000
    )

    static func objective(_ groups: [CountGroup], modelWeights: [Double]? = nil) throws -> T2AccuracyObjective {
        var lnN: [Double] = []
        var lnD: [Double] = []
        var model: [Int] = []
        var n: [Double] = []
        var c: [Double] = []
        var w: [Double] = []
        for (m, g) in groups.enumerated() {
            guard let p = g.params, let t = g.tokens else { throw CountsError.missingParamsTokens(file: g.name) }
            guard !g.problems.isEmpty else { throw CountsError.emptyGroup(group: g.name) }
            lnN.append(Double.log(p))
            lnD.append(Double.log(t))
            let mw = modelWeights?[m] ?? 1
            var counts: [Int: [Int: Double]] = [:]
            for q in g.problems { counts[q.samples, default: [:]][q.correct, default: 0] += 1 }
            for (ni, byC) in counts.sorted(by: { $0.key < $1.key }) {
                for (ci, k) in byC.sorted(by: { $0.key < $1.key }) where mw > 0 {
                    model.append(m)
                    n.append(Double(ni))
                    c.append(Double(ci))
                    w.append(k * mw)
                }
            }
        }
        return T2AccuracyObjective(lnN: lnN, lnD: lnD, model: model, n: n, c: c, weight: w)
    }

    /// Fits the law (multi-start over ``grid``, or one warm start).
    public static func fit(
        _ groups: [CountGroup],
        modelWeights: [Double]? = nil,
        warmStart: [Double]? = nil
    ) throws -> T2AccuracyFit {
        guard groups.filter({ !$0.allZero }).count >= 3 else {
            throw CountsError.tooFewForFit(form: "t2-accuracy", detail: "needs at least 3 models with correct samples")
        }
        let f = try objective(groups, modelWeights: modelWeights)
        let starts = warmStart.map { [$0] } ?? grid
        var values = [Double](repeating: .infinity, count: starts.count)
        var ends = [[Double]](repeating: [], count: starts.count)
        var statuses = [ConvergenceStatus](repeating: .nonFiniteStart, count: starts.count)
        values.withUnsafeMutableBufferPointer { vb in
            ends.withUnsafeMutableBufferPointer { eb in
                statuses.withUnsafeMutableBufferPointer { sb in
                    let v = SendableBuffer(vb)
                    let e = SendableBuffer(eb)
                    let s = SendableBuffer(sb)
                    DispatchQueue.concurrentPerform(iterations: starts.count) { i in
                        let r = minimizeLBFGS(f, from: starts[i], options: options)
                        v.buffer[i] = r.value.isFinite ? r.value : .infinity
                        e.buffer[i] = r.x
                        s.buffer[i] = r.status
                    }
                }
            }
        }
        var best = 0
        for i in values.indices where values[i] < values[best] { best = i }
        return T2AccuracyFit(
            law: T2AccuracyObjective.law(ends[best]),
            objective: values[best],
            problems: groups.reduce(0) { $0 + $1.problems.count },
            models: groups.map(\.name),
            status: statuses[best],
            theta: ends[best]
        )
    }

    /// Bootstrap over models (whole models resampled with replacement), warm-started from `full`.
    public static func bootstrap(
        _ full: T2AccuracyFit,
        groups: [CountGroup],
        replicates: Int,
        seed: UInt64,
        tick: (@Sendable () -> Void)? = nil
    ) -> [T2AccuracyLaw] {
        Bootstrap.replicates(replicates, seed: seed) { _, rng in
            let count = Bootstrap.multiplicities(groups.count, using: &rng)
            defer { tick?() }
            return try? fit(groups, modelWeights: count, warmStart: full.theta).law
        }
    }
}

/// Held-out check shared by both T² forms: fit on the models with N below the largest N,
/// predict the mean pass@k of the largest-N models at k = powers of 2 and 10 up to their smallest n.
public struct T2HeldOut: Sendable, Codable, Equatable {
    /// Which models were held out.
    public var heldOutModels: [String]
    public var split: String
    /// Mean absolute error of predicted vs measured mean pass@k over the held-out (model, k) points.
    public var meanAbsoluteError: Double
    /// Largest absolute error.
    public var maxAbsoluteError: Double
    public var points: Int

    enum CodingKeys: String, CodingKey {
        case heldOutModels = "held_out_models"
        case split
        case meanAbsoluteError = "mean_abs_error"
        case maxAbsoluteError = "max_abs_error"
        case points
    }

    /// Splits groups by N: the held-out ones are those at the largest N.
    public static func split(_ groups: [CountGroup]) -> (fit: [CountGroup], heldOut: [CountGroup]) {
        let largest = groups.compactMap(\.params).max() ?? 0
        return (groups.filter { ($0.params ?? 0) < largest }, groups.filter { ($0.params ?? 0) >= largest })
    }

    /// Scores `predict(N, D, k)` against the held-out groups' measured mean pass@k.
    public static func evaluate(heldOut: [CountGroup], predict: (Double, Double, Double) -> Double) throws -> T2HeldOut
    {
        var errors: [Double] = []
        for g in heldOut {
            for k in PassAtK.defaultKs(upTo: g.minimumSamples) {
                let measured = try PassAtK.mean(g, k: k)
                errors.append(abs(predict(g.params ?? 0, g.tokens ?? 0, Double(k)) - measured))
            }
        }
        let largest = heldOut.compactMap(\.params).max() ?? 0
        return T2HeldOut(
            heldOutModels: heldOut.map(\.name),
            split: "fit on models with N < \(largest); held out the \(heldOut.count) models with N = \(largest)",
            meanAbsoluteError: errors.isEmpty ? .nan : errors.reduce(0, +) / Double(errors.count),
            maxAbsoluteError: errors.max() ?? .nan,
            points: errors.count
        )
    }
}
