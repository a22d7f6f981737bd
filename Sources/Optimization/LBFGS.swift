/// Limited-memory BFGS (Nocedal & Wright, *Numerical Optimization*, 2nd ed., Algorithm 7.4 and 7.5)
/// with a strong-Wolfe line search (Algorithms 3.5 and 3.6, cubic interpolation in `zoom`).
///
/// The implementation allocates its work arrays once per call, so the per-iteration cost is the
/// objective evaluation plus O(m·n) vector work. It is written for the small, dense problems of
/// scaling-law fitting (n ≤ a few dozen parameters) where many thousands of starts are run.

/// A smooth objective with an analytic gradient.
///
/// Conformers write the gradient into `gradient` (same count as `x`) and return the value.
/// Returning a non-finite value tells the line search that the point is outside the domain; it
/// then backtracks.
public protocol DifferentiableObjective {
    /// Evaluates the objective and its gradient at `x`.
    /// - Parameters:
    ///   - x: the point, `dimension` values.
    ///   - gradient: receives ∂f/∂x, `dimension` values.
    /// - Returns: f(x).
    func valueAndGradient(at x: UnsafeBufferPointer<Double>, gradient: UnsafeMutableBufferPointer<Double>) -> Double
}

/// A ``DifferentiableObjective`` made from a closure, for tests and one-off problems.
public struct ClosureObjective: DifferentiableObjective, Sendable {
    public let body: @Sendable (UnsafeBufferPointer<Double>, UnsafeMutableBufferPointer<Double>) -> Double

    /// Wraps `body`, which must write the gradient and return the value.
    public init(_ body: @escaping @Sendable (UnsafeBufferPointer<Double>, UnsafeMutableBufferPointer<Double>) -> Double) {
        self.body = body
    }

    public func valueAndGradient(at x: UnsafeBufferPointer<Double>, gradient: UnsafeMutableBufferPointer<Double>) -> Double {
        body(x, gradient)
    }
}

/// Why a minimization stopped.
public enum ConvergenceStatus: String, Sendable, Codable, Equatable {
    /// ‖∇f‖∞ fell below ``LBFGSOptions/gradientTolerance``.
    case gradientTolerance = "converged (gradient)"
    /// The relative decrease of f fell below ``LBFGSOptions/functionTolerance`` (scipy's `ftol` rule).
    case functionTolerance = "converged (function)"
    /// ``LBFGSOptions/maxIterations`` or ``LBFGSOptions/maxEvaluations`` was reached.
    case iterationLimit = "iteration limit"
    /// No step satisfying the strong Wolfe conditions was found (usually: at the optimum to
    /// machine precision, or the objective is not smooth there).
    case lineSearchFailed = "line search failed"
    /// The starting point has a non-finite value or gradient.
    case nonFiniteStart = "non-finite start"

    /// Whether the result can be trusted as a local minimum.
    public var isConverged: Bool {
        self == .gradientTolerance || self == .functionTolerance
    }
}

/// Stopping rules and memory for ``minimizeLBFGS(_:from:options:)``.
public struct LBFGSOptions: Sendable, Equatable {
    /// Number of correction pairs kept (m). 10 is the common default (scipy, PyTorch use 10/100).
    public var memory: Int = 10
    /// Stop when ‖∇f‖∞ ≤ this.
    public var gradientTolerance: Double = 1e-10
    /// Stop when (f_k − f_{k+1}) / max(|f_k|, |f_{k+1}|, 1) ≤ this (scipy L-BFGS-B's `ftol` rule;
    /// scipy's default is 2.22e-9 = 1e7·ε, ours is tighter because fits here are cheap).
    public var functionTolerance: Double = 1e-13
    /// Maximum number of iterations.
    public var maxIterations: Int = 1000
    /// Maximum number of objective evaluations, line searches included.
    public var maxEvaluations: Int = 5000

    public init(
        memory: Int = 10, gradientTolerance: Double = 1e-10,
        functionTolerance: Double = 1e-13, maxIterations: Int = 1000,
        maxEvaluations: Int = 5000
    ) {
        self.memory = memory
        self.gradientTolerance = gradientTolerance
        self.functionTolerance = functionTolerance
        self.maxIterations = maxIterations
        self.maxEvaluations = maxEvaluations
    }
}

/// The outcome of a minimization.
public struct MinimizationResult: Sendable, Equatable {
    /// The best point found.
    public var x: [Double]
    /// f at ``x``.
    public var value: Double
    /// ‖∇f(x)‖∞.
    public var gradientNorm: Double
    /// Iterations taken.
    public var iterations: Int
    /// Objective evaluations, line searches included.
    public var evaluations: Int
    /// Why it stopped.
    public var status: ConvergenceStatus

    public init(x: [Double], value: Double, gradientNorm: Double, iterations: Int, evaluations: Int, status: ConvergenceStatus) {
        self.x = x
        self.value = value
        self.gradientNorm = gradientNorm
        self.iterations = iterations
        self.evaluations = evaluations
        self.status = status
    }
}

/// Minimizes `objective` from `start` with L-BFGS and a strong-Wolfe line search.
///
/// - Parameters:
///   - objective: the function and its analytic gradient.
///   - start: the starting point.
///   - options: memory and stopping rules.
/// - Returns: the best point found and why the search stopped. It never traps: a non-finite
///   start is reported as ``ConvergenceStatus/nonFiniteStart``.
/// - Complexity: O(maxIterations · (m·n + cost of one evaluation)).
public func minimizeLBFGS<F: DifferentiableObjective>(
    _ objective: F, from start: [Double], options: LBFGSOptions = LBFGSOptions()
) -> MinimizationResult {
    var solver = LBFGSSolver(dimension: start.count, memory: options.memory)
    return solver.minimize(objective, from: start, options: options)
}

/// Reusable L-BFGS work space: keep one per thread and call ``minimize(_:from:options:)`` many
/// times to avoid re-allocating for every start of a multi-start fit.
public struct LBFGSSolver {
    let n: Int
    let m: Int
    var s: [Double]  // m × n, ring buffer of x_{k+1} − x_k
    var y: [Double]  // m × n, ring buffer of g_{k+1} − g_k
    var rho: [Double]
    var alphaBuffer: [Double]
    var x: [Double]
    var g: [Double]
    var d: [Double]
    var xTrial: [Double]
    var gTrial: [Double]

    /// Creates a work space for problems of `dimension` variables keeping `memory` pairs.
    public init(dimension: Int, memory: Int = 10) {
        n = dimension
        m = max(1, memory)
        s = Array(repeating: 0, count: m * n)
        y = Array(repeating: 0, count: m * n)
        rho = Array(repeating: 0, count: m)
        alphaBuffer = Array(repeating: 0, count: m)
        x = Array(repeating: 0, count: n)
        g = Array(repeating: 0, count: n)
        d = Array(repeating: 0, count: n)
        xTrial = Array(repeating: 0, count: n)
        gTrial = Array(repeating: 0, count: n)
    }

    /// Runs L-BFGS from `start`; see ``minimizeLBFGS(_:from:options:)``.
    public mutating func minimize<F: DifferentiableObjective>(
        _ objective: F, from start: [Double], options: LBFGSOptions
    ) -> MinimizationResult {
        precondition(start.count == n, "start has \(start.count) values, the solver \(n)")
        precondition(options.memory == m || options.memory <= m, "solver memory is smaller than options.memory")
        for i in 0..<n { x[i] = start[i] }
        var evaluations = 1
        var f = evaluate(objective, at: x, gradient: &g)
        var gnorm = maxAbs(g)
        if !f.isFinite || !gnorm.isFinite {
            return MinimizationResult(x: start, value: f, gradientNorm: gnorm, iterations: 0, evaluations: 1, status: .nonFiniteStart)
        }
        if gnorm <= options.gradientTolerance {
            return MinimizationResult(x: x, value: f, gradientNorm: gnorm, iterations: 0, evaluations: 1, status: .gradientTolerance)
        }
        var stored = 0
        var head = 0  // index of the next slot to write
        var iteration = 0
        var status = ConvergenceStatus.iterationLimit
        var gamma = 1.0

        while iteration < options.maxIterations && evaluations < options.maxEvaluations {
            iteration += 1
            // Two-loop recursion: d = −H·g.
            for i in 0..<n { d[i] = -g[i] }
            var k = stored
            var slot = head
            while k > 0 {
                slot = (slot - 1 + m) % m
                let a = rho[slot] * dot(s, slot, d)
                alphaBuffer[slot] = a
                axpy(-a, y, slot, &d)
                k -= 1
            }
            for i in 0..<n { d[i] *= gamma }
            k = stored
            slot = (head - stored + m) % m
            while k > 0 {
                let b = rho[slot] * dot(y, slot, d)
                axpy(alphaBuffer[slot] - b, s, slot, &d)
                slot = (slot + 1) % m
                k -= 1
            }
            var dg = 0.0
            for i in 0..<n { dg += d[i] * g[i] }
            if !(dg < 0) {
                // Not a descent direction (curvature information went stale): restart on −g.
                stored = 0
                gamma = 1.0
                for i in 0..<n { d[i] = -g[i] }
                dg = 0
                for i in 0..<n { dg += d[i] * g[i] }
            }
            // First step of the first iteration: scale so that ‖step‖∞ ≤ 1 (as PyTorch does).
            var initialStep = 1.0
            if stored == 0 && iteration == 1 {
                initialStep = min(1.0, 1.0 / max(maxAbs(d), 1e-300))
            }
            let search = strongWolfe(
                objective, f0: f, dg0: dg, initialStep: initialStep,
                evaluations: &evaluations, maxEvaluations: options.maxEvaluations)
            guard let step = search else {
                status = .lineSearchFailed
                break
            }
            // Accept: x ← xTrial, g ← gTrial; store the pair.
            var ys = 0.0
            var yy = 0.0
            let base = head * n
            for i in 0..<n {
                let si = xTrial[i] - x[i]
                let yi = gTrial[i] - g[i]
                s[base + i] = si
                y[base + i] = yi
                ys += yi * si
                yy += yi * yi
                x[i] = xTrial[i]
                g[i] = gTrial[i]
            }
            let fPrevious = f
            f = step
            gnorm = maxAbs(g)
            if ys > 1e-12 * yy && ys > 0 {
                rho[head] = 1 / ys
                gamma = ys / yy
                head = (head + 1) % m
                stored = min(stored + 1, m)
            }
            if gnorm <= options.gradientTolerance {
                status = .gradientTolerance
                break
            }
            let scale = max(abs(fPrevious), abs(f), 1)
            if (fPrevious - f) <= options.functionTolerance * scale {
                status = .functionTolerance
                break
            }
        }
        return MinimizationResult(
            x: x, value: f, gradientNorm: gnorm, iterations: iteration, evaluations: evaluations, status: status)
    }

    // MARK: - Line search

    /// Strong-Wolfe line search along `d` from `x` (Nocedal & Wright Alg. 3.5, c1 = 1e-4, c2 = 0.9).
    /// On success the accepted point and gradient are in `xTrial`, `gTrial`, and the value is returned.
    mutating func strongWolfe<F: DifferentiableObjective>(
        _ objective: F, f0: Double, dg0: Double, initialStep: Double,
        evaluations: inout Int, maxEvaluations: Int
    ) -> Double? {
        let c1 = 1e-4
        let c2 = 0.9
        var tPrev = 0.0
        var fPrev = f0
        var dgPrev = dg0
        var t = initialStep
        var i = 0
        while evaluations < maxEvaluations && i < 50 {
            i += 1
            let (ft, dgt) = trial(objective, step: t)
            evaluations += 1
            if !ft.isFinite || !dgt.isFinite {
                // Outside the domain: backtrack toward the last good point.
                t = tPrev + 0.1 * (t - tPrev)
                if abs(t - tPrev) < 1e-20 { return nil }
                continue
            }
            if ft > f0 + c1 * t * dg0 || (i > 1 && ft >= fPrev) {
                return zoom(objective, f0: f0, dg0: dg0, lo: tPrev, fLo: fPrev, dgLo: dgPrev, hi: t, fHi: ft, dgHi: dgt,
                            evaluations: &evaluations, maxEvaluations: maxEvaluations)
            }
            if abs(dgt) <= -c2 * dg0 { return ft }
            if dgt >= 0 {
                return zoom(objective, f0: f0, dg0: dg0, lo: t, fLo: ft, dgLo: dgt, hi: tPrev, fHi: fPrev, dgHi: dgPrev,
                            evaluations: &evaluations, maxEvaluations: maxEvaluations)
            }
            // Extrapolate: cubic minimizer in [t + 0.01·(t−tPrev)... t·10], safeguarded.
            let tNext = cubicMinimizer(tPrev, fPrev, dgPrev, t, ft, dgt)
            let lower = t + 0.01 * (t - tPrev)
            let upper = t * 10
            tPrev = t
            fPrev = ft
            dgPrev = dgt
            t = tNext.map { min(max($0, lower), upper) } ?? upper
        }
        return nil
    }

    mutating func zoom<F: DifferentiableObjective>(
        _ objective: F, f0: Double, dg0: Double,
        lo loIn: Double, fLo fLoIn: Double, dgLo dgLoIn: Double,
        hi hiIn: Double, fHi fHiIn: Double, dgHi dgHiIn: Double,
        evaluations: inout Int, maxEvaluations: Int
    ) -> Double? {
        let c1 = 1e-4
        let c2 = 0.9
        var lo = loIn, fLo = fLoIn, dgLo = dgLoIn
        var hi = hiIn, fHi = fHiIn, dgHi = dgHiIn
        var bestT = lo
        var bestF = fLo
        for _ in 0..<30 {
            if evaluations >= maxEvaluations { break }
            let a = min(lo, hi)
            let b = max(lo, hi)
            let width = b - a
            if width < 1e-14 * max(1, b) { break }
            // Cubic interpolation, safeguarded to the middle 80% of the interval.
            var t = cubicMinimizer(lo, fLo, dgLo, hi, fHi, dgHi) ?? (a + b) / 2
            if !(t > a + 0.1 * width && t < b - 0.1 * width) { t = (a + b) / 2 }
            let (ft, dgt) = trial(objective, step: t)
            evaluations += 1
            if !ft.isFinite || !dgt.isFinite || ft > f0 + c1 * t * dg0 || ft >= fLo {
                hi = t; fHi = ft.isFinite ? ft : .infinity; dgHi = dgt.isFinite ? dgt : 0
            } else {
                if abs(dgt) <= -c2 * dg0 { return ft }
                if dgt * (hi - lo) >= 0 {
                    hi = lo; fHi = fLo; dgHi = dgLo
                }
                lo = t; fLo = ft; dgLo = dgt
                if ft < bestF { bestF = ft; bestT = t }
            }
        }
        // Interval collapsed: accept the best point with sufficient decrease, if any.
        if bestT > 0 && bestF < f0 {
            let (ft, _) = trial(objective, step: bestT)
            evaluations += 1
            if ft.isFinite && ft < f0 { return ft }
        }
        return nil
    }

    /// Evaluates at x + t·d into `xTrial`/`gTrial`; returns (f, ∇f·d).
    mutating func trial<F: DifferentiableObjective>(_ objective: F, step t: Double) -> (Double, Double) {
        for i in 0..<n { xTrial[i] = x[i] + t * d[i] }
        let f = evaluate(objective, at: xTrial, gradient: &gTrial)
        var dg = 0.0
        for i in 0..<n { dg += gTrial[i] * d[i] }
        return (f, dg)
    }

    // MARK: - Small kernels

    @inline(__always)
    func evaluate<F: DifferentiableObjective>(_ objective: F, at point: [Double], gradient: inout [Double]) -> Double {
        point.withUnsafeBufferPointer { xp in
            gradient.withUnsafeMutableBufferPointer { gp in objective.valueAndGradient(at: xp, gradient: gp) }
        }
    }

    @inline(__always)
    func dot(_ matrix: [Double], _ row: Int, _ v: [Double]) -> Double {
        var sum = 0.0
        let base = row * n
        for i in 0..<n { sum += matrix[base + i] * v[i] }
        return sum
    }

    @inline(__always)
    func axpy(_ a: Double, _ matrix: [Double], _ row: Int, _ v: inout [Double]) {
        let base = row * n
        for i in 0..<n { v[i] += a * matrix[base + i] }
    }

    @inline(__always)
    func maxAbs(_ v: [Double]) -> Double {
        var r = 0.0
        for value in v {
            if !value.isFinite { return .infinity }
            r = max(r, abs(value))
        }
        return r
    }
}

/// The minimizer of the cubic interpolating (a, fa, fa′) and (b, fb, fb′), or nil when the cubic
/// has no real minimizer (Nocedal & Wright eq. 3.59).
@inline(__always)
func cubicMinimizer(_ a: Double, _ fa: Double, _ ga: Double, _ b: Double, _ fb: Double, _ gb: Double) -> Double? {
    guard fa.isFinite, fb.isFinite, ga.isFinite, gb.isFinite, a != b else { return nil }
    let d1 = ga + gb - 3 * (fa - fb) / (a - b)
    let disc = d1 * d1 - ga * gb
    guard disc >= 0 else { return nil }
    let d2 = (b > a ? 1.0 : -1.0) * disc.squareRoot()
    let denom = gb - ga + 2 * d2
    guard denom != 0 else { return nil }
    let t = b - (b - a) * (gb + d2 - d1) / denom
    return t.isFinite ? t : nil
}
