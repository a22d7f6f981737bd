import Dispatch
import Foundation
import Optimization
import RealModule

/// The Huber objective of Hoffmann et al. (2022) Approach 3, in the log-space parameterisation
/// θ = (a, b, e, α, β) with A = eᵃ, B = eᵇ, E = eᵉ:
///
///     Σᵢ Huber_δ( LSE(a − α·ln Nᵢ, b − β·ln Dᵢ, e) − ln Lᵢ )
///
/// where LSE is log-sum-exp and Huber_δ(r) = r²/2 for |r| ≤ δ, δ·(|r| − δ/2) otherwise. The sum
/// (not the mean) is what Hoffmann et al. and Epoch AI minimise; the gradient is analytic.
public struct ChinchillaHuberObjective: DifferentiableObjective, Sendable {
    /// ln N for each run.
    public let logParams: [Double]
    /// ln D for each run.
    public let logTokens: [Double]
    /// ln L for each run.
    public let logLoss: [Double]
    /// Huber δ.
    public let delta: Double

    public init(runs: [Run], delta: Double) {
        logParams = runs.map { Double.log($0.params) }
        logTokens = runs.map { Double.log($0.tokens) }
        logLoss = runs.map { Double.log($0.loss) }
        self.delta = delta
    }

    /// Index of each parameter in θ.
    public enum Index { public static let a = 0, b = 1, e = 2, alpha = 3, beta = 4 }

    public func valueAndGradient(at x: UnsafeBufferPointer<Double>, gradient g: UnsafeMutableBufferPointer<Double>) -> Double {
        let a = x[0], b = x[1], e = x[2], alpha = x[3], beta = x[4]
        var value = 0.0
        var ga = 0.0, gb = 0.0, ge = 0.0, galpha = 0.0, gbeta = 0.0
        let delta = self.delta
        let halfDelta = 0.5 * delta
        logParams.withUnsafeBufferPointer { lnN in
            logTokens.withUnsafeBufferPointer { lnD in
                logLoss.withUnsafeBufferPointer { lnL in
                    for i in 0..<lnN.count {
                        let u1 = a - alpha * lnN[i]
                        let u2 = b - beta * lnD[i]
                        let m = max(u1, max(u2, e))
                        let t1 = Double.exp(u1 - m)
                        let t2 = Double.exp(u2 - m)
                        let t3 = Double.exp(e - m)
                        let s = t1 + t2 + t3
                        let r = m + Double.log(s) - lnL[i]
                        let psi: Double
                        if abs(r) <= delta {
                            value += 0.5 * r * r
                            psi = r
                        } else {
                            value += delta * (abs(r) - halfDelta)
                            psi = r > 0 ? delta : -delta
                        }
                        let w = psi / s
                        let w1 = w * t1
                        let w2 = w * t2
                        ga += w1
                        galpha -= w1 * lnN[i]
                        gb += w2
                        gbeta -= w2 * lnD[i]
                        ge += w * t3
                    }
                }
            }
        }
        g[0] = ga
        g[1] = gb
        g[2] = ge
        g[3] = galpha
        g[4] = gbeta
        return value
    }

    /// The law for a point θ.
    public static func law(_ theta: [Double]) -> ChinchillaLaw {
        ChinchillaLaw(E: Double.exp(theta[2]), A: Double.exp(theta[0]), B: Double.exp(theta[1]), alpha: theta[3], beta: theta[4])
    }

    /// θ for a law.
    public static func theta(_ law: ChinchillaLaw) -> [Double] {
        [Double.log(law.A), Double.log(law.B), Double.log(law.E), law.alpha, law.beta]
    }
}

/// Options for ``ChinchillaFitter``.
public struct ChinchillaFitOptions: Sendable, Equatable {
    /// Huber δ on log-loss residuals (Hoffmann et al. and Epoch: 1e-3).
    public var huberDelta: Double = 1e-3
    /// Starting points θ = (a, b, e, α, β); default: the 4,500-point grid of Hoffmann et al.
    public var starts: [[Double]] = ChinchillaFitter.hoffmannGrid
    /// L-BFGS settings for each start.
    public var optimizer = LBFGSOptions(memory: 10, gradientTolerance: 1e-12, functionTolerance: 1e-12, maxIterations: 500, maxEvaluations: 2_000)
    /// Threads to use (default: all cores).
    public var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    public init() {}
}

/// The result of a multi-start fit.
public struct ChinchillaFit: Sendable {
    /// The best law found.
    public var law: ChinchillaLaw
    /// Huber objective at the best law.
    public var objective: Double
    /// Number of runs fitted.
    public var points: Int
    /// Optimizer status of the best start (after polishing).
    public var status: ConvergenceStatus
    /// Number of starts run.
    public var starts: Int
    /// Starts that converged.
    public var convergedStarts: Int
    /// Starts whose objective is within 1e-6 (relative) of the best.
    public var startsAtOptimum: Int
    /// The objective of every start, in start order (for diagnostics and bootstrap seeding).
    public var startObjectives: [Double]
    /// The end point θ of every start.
    public var startEndpoints: [[Double]]
}

/// Multi-start L-BFGS fitting of ``ChinchillaLaw`` (Hoffmann et al. 2022 Approach 3; Besiroglu et
/// al. 2024's protocol).
public enum ChinchillaFitter {
    /// The initialisation grid of Hoffmann et al.: α, β ∈ {0, 0.5, 1, 1.5, 2}, e ∈ {−1, −0.5, 0,
    /// 0.5, 1}, a, b ∈ {0, 5, 10, 15, 20, 25}: 4,500 starts, θ = (a, b, e, α, β).
    public static let hoffmannGrid: [[Double]] = {
        var grid: [[Double]] = []
        grid.reserveCapacity(4_500)
        let exponents = [0.0, 0.5, 1.0, 1.5, 2.0]
        let es = [-1.0, -0.5, 0.0, 0.5, 1.0]
        let coefficients = [0.0, 5, 10, 15, 20, 25]
        for alpha in exponents {
            for beta in exponents {
                for e in es {
                    for a in coefficients {
                        for b in coefficients {
                            grid.append([a, b, e, alpha, beta])
                        }
                    }
                }
            }
        }
        return grid
    }()

    /// Fits the law to `runs` from every start in `options.starts`, keeps the best objective, and
    /// polishes it with tight tolerances. Deterministic: the result does not depend on threads.
    public static func fit(_ runs: [Run], options: ChinchillaFitOptions = ChinchillaFitOptions()) -> ChinchillaFit {
        let objective = ChinchillaHuberObjective(runs: runs, delta: options.huberDelta)
        let starts = options.starts
        let count = starts.count
        var values = [Double](repeating: .infinity, count: count)
        var endpoints = [[Double]](repeating: [], count: count)
        var statuses = [ConvergenceStatus](repeating: .nonFiniteStart, count: count)
        let threads = max(1, min(options.threads, count))
        let chunk = (count + threads - 1) / max(threads, 1)
        values.withUnsafeMutableBufferPointer { valuesBuffer in
            endpoints.withUnsafeMutableBufferPointer { endpointsBuffer in
                statuses.withUnsafeMutableBufferPointer { statusBuffer in
                    let v = SendableBuffer(valuesBuffer)
                    let p = SendableBuffer(endpointsBuffer)
                    let s = SendableBuffer(statusBuffer)
                    DispatchQueue.concurrentPerform(iterations: threads) { worker in
                        var solver = LBFGSSolver(dimension: 5, memory: options.optimizer.memory)
                        let lower = worker * chunk
                        let upper = min(count, lower + chunk)
                        guard lower < upper else { return }
                        for index in lower..<upper {
                            let result = solver.minimize(objective, from: starts[index], options: options.optimizer)
                            v.buffer[index] = result.value.isFinite ? result.value : .infinity
                            p.buffer[index] = result.x
                            s.buffer[index] = result.status
                        }
                    }
                }
            }
        }
        var best = 0
        for i in 1..<max(count, 1) where values[i] < values[best] { best = i }
        // Polish the best start: restart L-BFGS from its end point with the tightest tolerances.
        var polishOptions = options.optimizer
        polishOptions.functionTolerance = 0
        polishOptions.gradientTolerance = 1e-14
        polishOptions.maxIterations = 2_000
        polishOptions.maxEvaluations = 10_000
        let polished = minimizeLBFGS(objective, from: endpoints[best], options: polishOptions)
        let final = polished.value <= values[best] ? polished : MinimizationResult(
            x: endpoints[best], value: values[best], gradientNorm: .nan, iterations: 0, evaluations: 0, status: statuses[best])
        let tolerance = 1e-6 * max(abs(final.value), 1e-300)
        let atOptimum = values.filter { $0 - final.value <= tolerance }.count
        // A polished point that stops on "line search failed" is at the optimum to machine
        // precision when its gradient is tiny relative to the data term; report it as converged.
        var status = final.status
        if status == .lineSearchFailed || status == .iterationLimit, final.gradientNorm < 1e-9 {
            status = .gradientTolerance
        }
        return ChinchillaFit(
            law: ChinchillaHuberObjective.law(final.x), objective: final.value, points: runs.count,
            status: status, starts: count,
            convergedStarts: statuses.filter(\.isConverged).count, startsAtOptimum: atOptimum,
            startObjectives: values, startEndpoints: endpoints)
    }
}

/// Lets `concurrentPerform` workers write disjoint indices of one buffer.
struct SendableBuffer<Element>: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<Element>
    init(_ buffer: UnsafeMutableBufferPointer<Element>) { self.buffer = buffer }
}
