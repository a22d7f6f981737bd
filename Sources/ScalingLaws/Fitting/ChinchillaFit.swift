import Dispatch
import FitKernels
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

    // The same data padded to a multiple of 4 for the vector kernels; padding lanes have weight 0.
    let blocks: [Block]
    // Structure-of-arrays copies for the C kernel (FitKernels).
    let paddedLogParams: [Double]
    let paddedLogTokens: [Double]
    let paddedLogLoss: [Double]
    let paddedWeight: [Double]

    struct Block: Sendable {
        var lnN: SIMD4<Double>
        var lnD: SIMD4<Double>
        var lnL: SIMD4<Double>
        var weight: SIMD4<Double>
    }

    public init(runs: [Run], delta: Double) {
        logParams = runs.map { Double.log($0.params) }
        logTokens = runs.map { Double.log($0.tokens) }
        logLoss = runs.map { Double.log($0.loss) }
        self.delta = delta
        var blocks: [Block] = []
        var i = 0
        while i < runs.count {
            var block = Block(lnN: .zero, lnD: .zero, lnL: .zero, weight: .zero)
            for lane in 0..<4 {
                let j = min(i + lane, runs.count - 1)
                block.lnN[lane] = logParams[j]
                block.lnD[lane] = logTokens[j]
                block.lnL[lane] = logLoss[j]
                block.weight[lane] = i + lane < runs.count ? 1 : 0
            }
            blocks.append(block)
            i += 4
        }
        self.blocks = blocks
        paddedLogParams = blocks.flatMap { [$0.lnN[0], $0.lnN[1], $0.lnN[2], $0.lnN[3]] }
        paddedLogTokens = blocks.flatMap { [$0.lnD[0], $0.lnD[1], $0.lnD[2], $0.lnD[3]] }
        paddedLogLoss = blocks.flatMap { [$0.lnL[0], $0.lnL[1], $0.lnL[2], $0.lnL[3]] }
        paddedWeight = blocks.flatMap { [$0.weight[0], $0.weight[1], $0.weight[2], $0.weight[3]] }
    }

    /// Which kernel evaluates the objective on this CPU ("avx2+fma" or "portable").
    public static var kernel: String { t2_fit_kernels_isa() == 2 ? "avx2+fma" : "portable" }

    /// Index of each parameter in θ.
    public enum Index { public static let a = 0, b = 1, e = 2, alpha = 3, beta = 4 }

    /// The objective and its gradient: the C kernel (AVX2 + FMA where the CPU has them), or,
    /// when a line-search probe pushes an exponent outside ±700, ``swiftValueAndGradient(at:gradient:)``.
    public func valueAndGradient(
        at x: UnsafeBufferPointer<Double>,
        gradient g: UnsafeMutableBufferPointer<Double>
    ) -> Double {
        kernelValueAndGradient(at: x, gradient: g, portable: false)
    }

    /// The C kernel; `portable` forces the baseline build even where AVX2 + FMA are available.
    public func kernelValueAndGradient(
        at x: UnsafeBufferPointer<Double>,
        gradient g: UnsafeMutableBufferPointer<Double>,
        portable: Bool
    ) -> Double {
        let kernel = portable ? t2_chinchilla_huber_portable : t2_chinchilla_huber
        var value = 0.0
        let status = paddedLogParams.withUnsafeBufferPointer { n in
            paddedLogTokens.withUnsafeBufferPointer { d in
                paddedLogLoss.withUnsafeBufferPointer { l in
                    paddedWeight.withUnsafeBufferPointer { w in
                        kernel(
                            n.baseAddress,
                            d.baseAddress,
                            l.baseAddress,
                            w.baseAddress,
                            n.count,
                            x.baseAddress,
                            delta,
                            g.baseAddress,
                            &value
                        )
                    }
                }
            }
        }
        return status == 0 ? value : swiftValueAndGradient(at: x, gradient: g)
    }

    /// The same objective in Swift SIMD code, with a max-shifted scalar path for extreme
    /// parameters; the reference the C kernel is tested against.
    public func swiftValueAndGradient(
        at x: UnsafeBufferPointer<Double>,
        gradient g: UnsafeMutableBufferPointer<Double>
    ) -> Double {
        typealias V = SIMD4<Double>
        let a = x[0]
        let b = x[1]
        let e = x[2]
        let alpha = x[3]
        let beta = x[4]
        let delta = V(repeating: self.delta)
        let halfDelta = 0.5 * delta
        let bigE = Double.exp(min(e, 700))
        var value = V.zero
        var ga = V.zero
        var gb = V.zero
        var ge = V.zero
        var galpha = V.zero
        var gbeta = V.zero
        var scalarValue = 0.0
        var scalarGradient = (0.0, 0.0, 0.0, 0.0, 0.0)
        blocks.withUnsafeBufferPointer { blocks in
            for block in blocks {
                let u1 = a - alpha * block.lnN
                let u2 = b - beta * block.lnD
                guard e <= 700, e >= -700, SIMDMath.inFastRange(exp: u1), SIMDMath.inFastRange(exp: u2) else {
                    // Extreme parameters (line-search probes): the max-shifted scalar form.
                    for lane in 0..<4 where block.weight[lane] > 0 {
                        let (v, d) = Self.scalarTerm(u1[lane], u2[lane], e, block.lnL[lane], self.delta)
                        scalarValue += v
                        scalarGradient.0 += d.t1
                        scalarGradient.1 += d.t2
                        scalarGradient.2 += d.t3
                        scalarGradient.3 -= d.t1 * block.lnN[lane]
                        scalarGradient.4 -= d.t2 * block.lnD[lane]
                    }
                    continue
                }
                let t1 = SIMDMath.exp(u1)
                let t2 = SIMDMath.exp(u2)
                let s = t1 + t2 + bigE
                let r = SIMDMath.log(s) - block.lnL
                let absR = r.replacing(with: -r, where: r .< 0)
                let inside = absR .<= delta
                var huber = delta * (absR - halfDelta)
                huber.replace(with: 0.5 * r * r, where: inside)
                // ψ = clamp(r, −δ, δ) by masks: pointwiseMin/Max are out-of-line, branchy scalar
                // code (IEEE NaN rules) and cost a third of the evaluation.
                var psi = r
                psi.replace(with: delta, where: r .> delta)
                psi.replace(with: -delta, where: r .< -delta)
                value += block.weight * huber
                let w = block.weight * psi / s
                let w1 = w * t1
                let w2 = w * t2
                ga += w1
                galpha -= w1 * block.lnN
                gb += w2
                gbeta -= w2 * block.lnD
                ge += w * bigE
            }
        }
        g[0] = ga.sum() + scalarGradient.0
        g[1] = gb.sum() + scalarGradient.1
        g[2] = ge.sum() + scalarGradient.2
        g[3] = galpha.sum() + scalarGradient.3
        g[4] = gbeta.sum() + scalarGradient.4
        return value.sum() + scalarValue
    }

    /// One run's Huber term and its ∂/∂(u₁, u₂, e) by the max-shifted log-sum-exp.
    static func scalarTerm(
        _ u1: Double,
        _ u2: Double,
        _ e: Double,
        _ lnL: Double,
        _ delta: Double
    ) -> (Double, (t1: Double, t2: Double, t3: Double)) {
        let m = max(u1, max(u2, e))
        let t1 = Double.exp(u1 - m)
        let t2 = Double.exp(u2 - m)
        let t3 = Double.exp(e - m)
        let s = t1 + t2 + t3
        let r = m + Double.log(s) - lnL
        let value: Double
        let psi: Double
        if abs(r) <= delta {
            value = 0.5 * r * r
            psi = r
        } else {
            value = delta * (abs(r) - 0.5 * delta)
            psi = r > 0 ? delta : -delta
        }
        let w = psi / s
        return (value, (w * t1, w * t2, w * t3))
    }

    /// The law for a point θ.
    public static func law(_ theta: [Double]) -> ChinchillaLaw {
        ChinchillaLaw(
            E: Double.exp(theta[2]),
            A: Double.exp(theta[0]),
            B: Double.exp(theta[1]),
            alpha: theta[3],
            beta: theta[4]
        )
    }

    /// θ for a law.
    public static func theta(_ law: ChinchillaLaw) -> [Double] {
        [Double.log(law.A), Double.log(law.B), Double.log(law.E), law.alpha, law.beta]
    }
}

/// The Chinchilla objective with one exponent for N and D (α = β = η), the form of Gadre et al.
/// (2024, `powlaw_ours` in mlfoundations/scaling): L = E + A/N^η + B/D^η. θ = (a, b, e, η); the
/// gradient is ∂/∂α + ∂/∂β of ``ChinchillaHuberObjective`` at (a, b, e, η, η).
public struct SharedExponentObjective: DifferentiableObjective, Sendable {
    /// The five-parameter objective it restricts.
    public let full: ChinchillaHuberObjective

    public init(_ full: ChinchillaHuberObjective) { self.full = full }

    public func valueAndGradient(
        at x: UnsafeBufferPointer<Double>,
        gradient g: UnsafeMutableBufferPointer<Double>
    ) -> Double {
        withUnsafeTemporaryAllocation(of: Double.self, capacity: 10) { buffer in
            let theta = UnsafeMutableBufferPointer(rebasing: buffer[0..<5])
            let full = UnsafeMutableBufferPointer(rebasing: buffer[5..<10])
            theta[0] = x[0]
            theta[1] = x[1]
            theta[2] = x[2]
            theta[3] = x[3]
            theta[4] = x[3]
            let value = self.full.valueAndGradient(at: UnsafeBufferPointer(theta), gradient: full)
            g[0] = full[0]
            g[1] = full[1]
            g[2] = full[2]
            g[3] = full[3] + full[4]
            return value
        }
    }

    /// (a, b, e, α, β) → (a, b, e, (α + β)/2).
    public static func reduce(_ theta: [Double]) -> [Double] {
        [theta[0], theta[1], theta[2], 0.5 * (theta[3] + theta[4])]
    }
    /// (a, b, e, η) → (a, b, e, η, η).
    public static func expand(_ x: [Double]) -> [Double] { [x[0], x[1], x[2], x[3], x[3]] }
}

/// What the fitter minimises: the five-parameter objective, or its shared-exponent restriction.
/// Points handed in and out are always five-parameter θ = (a, b, e, α, β).
struct ChinchillaProblem: Sendable {
    let full: ChinchillaHuberObjective
    let sharedExponent: Bool

    init(runs: [Run], options: ChinchillaFitOptions) {
        full = ChinchillaHuberObjective(runs: runs, delta: options.huberDelta)
        sharedExponent = options.sharedExponent
    }

    /// Free parameters: 5, or 4 with α = β.
    var dimension: Int { sharedExponent ? 4 : 5 }

    /// The starts in the problem's own coordinates, duplicates removed (the 4,500-point grid
    /// gives 1,620 distinct shared-exponent starts, η = (α + β)/2).
    static func starts(_ starts: [[Double]], sharedExponent: Bool) -> [[Double]] {
        guard sharedExponent else { return starts }
        var seen = Set<[Double]>()
        return starts.map(SharedExponentObjective.reduce).filter { seen.insert($0).inserted }
    }

    /// Minimises from `start` (five-parameter θ when `reduced` is false); the result's x is a
    /// five-parameter θ.
    func minimize(
        from start: [Double],
        reduced: Bool = false,
        solver: inout LBFGSSolver,
        options: LBFGSOptions
    ) -> MinimizationResult {
        guard sharedExponent else { return solver.minimize(full, from: start, options: options) }
        var result = solver.minimize(
            SharedExponentObjective(full),
            from: reduced ? start : SharedExponentObjective.reduce(start),
            options: options
        )
        result.x = SharedExponentObjective.expand(result.x)
        return result
    }
}

/// Options for ``ChinchillaFitter``.
public struct ChinchillaFitOptions: Sendable, Equatable {
    /// Huber δ on log-loss residuals (Hoffmann et al. and Epoch: 1e-3).
    public var huberDelta: Double = 1e-3
    /// Starting points θ = (a, b, e, α, β); default: the 4,500-point grid of Hoffmann et al.
    public var starts: [[Double]] = ChinchillaFitter.hoffmannGrid
    /// L-BFGS settings for each start: scipy L-BFGS-B's defaults (ftol = 2.22e-9 on the relative
    /// decrease, gtol = 1e-5), the rule Epoch AI's reference fit runs with. The best endpoints are
    /// then polished with ``polish``.
    public var optimizer = LBFGSOptions(
        memory: 10,
        gradientTolerance: 1e-5,
        functionTolerance: 2.220446049250313e-9,
        maxIterations: 15_000,
        maxEvaluations: 15_000
    )
    /// Settings for polishing the best endpoints to machine precision.
    public var polish = LBFGSOptions(
        memory: 10,
        gradientTolerance: 1e-14,
        functionTolerance: 0,
        maxIterations: 2_000,
        maxEvaluations: 10_000
    )
    /// How many of the best distinct endpoints to polish.
    public var polishCount = 8
    /// Threads to use (default: all cores).
    public var threads: Int = ProcessInfo.processInfo.activeProcessorCount
    /// The most runs the multi-start sweep runs on; above it the starts run on an even
    /// subsample and the best endpoints are refined on all runs (default 1,024; 0: always all).
    public var sweepRuns: Int = 1_024
    /// Fit one exponent for N and D (α = β), as Gadre et al. (2024) do: four free parameters.
    /// Their law extrapolates over-trained runs better when the data constrain α and β poorly
    /// apart (docs/fit.md).
    public var sharedExponent = false

    public init() {}

    /// Free parameters of the law being fitted (5, or 4 with ``sharedExponent``).
    public var parameterCount: Int { sharedExponent ? 4 : 5 }
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
    /// Starts whose objective is within 0.01% of the best.
    public var startsAtOptimum: Int
    /// The objective of every start, in start order (for diagnostics and bootstrap seeding).
    public var startObjectives: [Double]
    /// The end point θ of every start.
    public var startEndpoints: [[Double]]
    /// Objective evaluations over all starts (line searches included, polishing excluded).
    public var evaluations: Int = 0
    /// Runs the starts were run on (fewer than ``points`` when the sweep used a subsample).
    public var sweepPoints: Int = 0
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
    ///
    /// With more runs than ``ChinchillaFitOptions/sweepRuns``, the starts run on an evenly spread,
    /// deterministic subsample of that many runs (sorted by compute, every k-th), and the best
    /// distinct endpoints are then refined on all runs: the sweep only has to find the basin, and
    /// the cost of a fit grows with the runs only through the refinement.
    /// `progress(phase, done, total)` is called as starts finish (phase `starts`) and as the
    /// subsample's best endpoints are refined on all runs (`refine`), from worker threads.
    public static func fit(
        _ runs: [Run],
        options: ChinchillaFitOptions = ChinchillaFitOptions(),
        progress: (@Sendable (String, Int, Int) -> Void)? = nil
    ) -> ChinchillaFit {
        let problem = ChinchillaProblem(runs: runs, options: options)
        let sweepRuns = subsample(runs, size: options.sweepRuns)
        let sweepProblem =
            sweepRuns.count < runs.count ? ChinchillaProblem(runs: sweepRuns, options: options) : problem
        let starts = ChinchillaProblem.starts(options.starts, sharedExponent: options.sharedExponent)
        let count = starts.count
        var values = [Double](repeating: .infinity, count: count)
        var endpoints = [[Double]](repeating: [], count: count)
        var statuses = [ConvergenceStatus](repeating: .nonFiniteStart, count: count)
        var evaluations = [Int](repeating: 0, count: count)
        let threads = max(1, min(options.threads, count))
        // Work is handed out in small blocks in order (not one contiguous half per thread): the
        // cost of a start varies tenfold across the grid, and a static split leaves a core idle.
        let blockSize = 8
        let blocks = (count + blockSize - 1) / blockSize
        let next = BlockCounter()
        values.withUnsafeMutableBufferPointer { valuesBuffer in
            endpoints.withUnsafeMutableBufferPointer { endpointsBuffer in
                statuses.withUnsafeMutableBufferPointer { statusBuffer in
                    evaluations.withUnsafeMutableBufferPointer { evaluationsBuffer in
                        let v = SendableBuffer(valuesBuffer)
                        let p = SendableBuffer(endpointsBuffer)
                        let s = SendableBuffer(statusBuffer)
                        let e = SendableBuffer(evaluationsBuffer)
                        DispatchQueue.concurrentPerform(iterations: threads) { _ in
                            var solver = LBFGSSolver(dimension: problem.dimension, memory: options.optimizer.memory)
                            while true {
                                let block = next.take()
                                guard block < blocks else { return }
                                for index in (block * blockSize)..<min(count, (block + 1) * blockSize) {
                                    let result = sweepProblem.minimize(
                                        from: starts[index],
                                        reduced: true,
                                        solver: &solver,
                                        options: options.optimizer
                                    )
                                    v.buffer[index] = result.value.isFinite ? result.value : .infinity
                                    p.buffer[index] = result.x
                                    s.buffer[index] = result.status
                                    e.buffer[index] = result.evaluations
                                }
                                progress?("starts", min(count, (block + 1) * blockSize), count)
                            }
                        }
                    }
                }
            }
        }
        // Polish the best distinct endpoints with the tightest tolerances; keep the best result.
        let order = (0..<count).sorted { values[$0] < values[$1] || (values[$0] == values[$1] && $0 < $1) }
        var sweepStatus = statuses[order.first ?? 0]
        let subsampled = sweepRuns.count < runs.count
        var final = MinimizationResult(
            x: endpoints[order.first ?? 0],
            // On a subsample the sweep's objective is not the full data's: every candidate is re-scored.
            value: subsampled ? .infinity : values[order.first ?? 0],
            gradientNorm: .nan,
            iterations: 0,
            evaluations: 0,
            status: statuses[order.first ?? 0]
        )
        // The best distinct endpoints, in order of objective.
        var candidates: [Int] = []
        let limit = subsampled ? min(options.polishCount, 4) : options.polishCount
        for index in order where values[index].isFinite {
            if candidates.count >= limit { break }
            let candidate = endpoints[index]
            if candidates.contains(where: {
                zip(endpoints[$0], candidate).allSatisfy { abs($0 - $1) <= 1e-6 * max(1, abs($0)) }
            }) {
                continue
            }
            candidates.append(index)
        }
        if subsampled {
            // Each endpoint is the subsample's optimum: move it to the full data's with the sweep's
            // rule, then polish; the (expensive, full-data) candidates run in parallel.
            let starts = candidates.map { endpoints[$0] }
            let finished = Locked(0)
            progress?("refine", 0, starts.count)
            let results = Parallel.map(starts.count, threads: options.threads) { i in
                defer {
                    let n = finished.withLock { n in
                        n += 1
                        return n
                    }
                    progress?("refine", n, starts.count)
                }
                var solver = LBFGSSolver(dimension: problem.dimension, memory: options.optimizer.memory)
                let refined = problem.minimize(from: starts[i], solver: &solver, options: options.optimizer)
                let start = refined.value.isFinite ? refined.x : starts[i]
                var polisher = LBFGSSolver(dimension: problem.dimension, memory: options.polish.memory)
                return problem.minimize(from: start, solver: &polisher, options: options.polish)
            }
            for (i, polished) in results.enumerated() where polished.value < final.value {
                final = polished
                sweepStatus = statuses[candidates[i]]
            }
        } else {
            var polisher = LBFGSSolver(dimension: problem.dimension, memory: options.polish.memory)
            for index in candidates {
                let polished = problem.minimize(from: endpoints[index], solver: &polisher, options: options.polish)
                if polished.value < final.value || (polished.value == final.value && final.evaluations == 0) {
                    final = polished
                    sweepStatus = statuses[index]
                }
            }
        }
        // Starts at the optimum: within 0.01% of the best (the sweep's own best on a subsample).
        let reference = subsampled ? (values.min() ?? final.value) : final.value
        let tolerance = 1e-4 * max(abs(reference), 1e-300)
        let atOptimum = values.filter { $0 - reference <= tolerance }.count
        // Polishing runs until no step decreases f (at the Huber kinks: "converged (machine
        // precision)"); if polishing ends otherwise, the start's own status says whether it
        // converged under the sweep's rule.
        let status = final.status.isConverged ? final.status : sweepStatus
        return ChinchillaFit(
            law: ChinchillaHuberObjective.law(final.x),
            objective: final.value,
            points: runs.count,
            status: status,
            starts: count,
            convergedStarts: statuses.filter(\.isConverged).count,
            startsAtOptimum: atOptimum,
            startObjectives: values,
            startEndpoints: endpoints,
            evaluations: evaluations.reduce(0, +),
            sweepPoints: sweepRuns.count
        )
    }

    /// Up to `size` runs spread evenly over `runs` sorted by compute N·D (all runs when there are
    /// no more than `size`); deterministic.
    static func subsample(_ runs: [Run], size: Int) -> [Run] {
        guard size > 0, runs.count > size else { return runs }
        let order = runs.indices.sorted {
            let a = runs[$0].params * runs[$0].tokens
            let b = runs[$1].params * runs[$1].tokens
            return a < b || (a == b && $0 < $1)
        }
        let step = Double(runs.count) / Double(size)
        return (0..<size).map { runs[order[min(runs.count - 1, Int((Double($0) + 0.5) * step))]] }
    }
}

/// Hands out block indices 0, 1, 2, … to worker threads, each exactly once.
final class BlockCounter: Sendable {
    private let value = Locked(0)
    func take() -> Int {
        value.withLock { n in
            defer { n += 1 }
            return n
        }
    }
}

/// Lets `concurrentPerform` workers write disjoint indices of one buffer.
struct SendableBuffer<Element>: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<Element>
    init(_ buffer: UnsafeMutableBufferPointer<Element>) { self.buffer = buffer }
}
