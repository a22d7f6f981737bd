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
    public init(_ body: @escaping @Sendable (UnsafeBufferPointer<Double>, UnsafeMutableBufferPointer<Double>) -> Double)
    {
        self.body = body
    }

    public func valueAndGradient(
        at x: UnsafeBufferPointer<Double>,
        gradient: UnsafeMutableBufferPointer<Double>
    ) -> Double {
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
    /// The line search found no decrease, and the decrease the quasi-Newton step predicts,
    /// −∇fᵀd, is below 1e-10·max(1, |f|): f is at its minimum to the precision it can be
    /// computed in (typical of large likelihood sums, and of Huber objectives at their kinks).
    case machinePrecision = "converged (machine precision)"
    /// No step satisfying the strong Wolfe conditions was found while the predicted decrease was
    /// still significant (the objective is not smooth there, or its gradient is wrong).
    case lineSearchFailed = "line search failed"
    /// The starting point has a non-finite value or gradient.
    case nonFiniteStart = "non-finite start"

    /// Whether the result can be trusted as a local minimum.
    public var isConverged: Bool {
        self == .gradientTolerance || self == .functionTolerance || self == .machinePrecision
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
        memory: Int = 10,
        gradientTolerance: Double = 1e-10,
        functionTolerance: Double = 1e-13,
        maxIterations: Int = 1000,
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

    public init(
        x: [Double],
        value: Double,
        gradientNorm: Double,
        iterations: Int,
        evaluations: Int,
        status: ConvergenceStatus
    ) {
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
    _ objective: F,
    from start: [Double],
    options: LBFGSOptions = LBFGSOptions()
) -> MinimizationResult {
    var solver = LBFGSSolver(dimension: start.count, memory: options.memory)
    return solver.minimize(objective, from: start, options: options)
}

/// Reusable L-BFGS driver. It keeps no heap state: each call works in one stack-allocated
/// buffer, so a multi-start fit can call ``minimize(_:from:options:)`` thousands of times per
/// thread without allocating (except for the returned point).
public struct LBFGSSolver {
    let n: Int
    let m: Int

    /// Creates a driver for problems of `dimension` variables keeping `memory` pairs.
    public init(dimension: Int, memory: Int = 10) {
        n = dimension
        m = max(1, memory)
    }

    /// Runs L-BFGS from `start`; see ``minimizeLBFGS(_:from:options:)``.
    public mutating func minimize<F: DifferentiableObjective>(
        _ objective: F,
        from start: [Double],
        options: LBFGSOptions
    ) -> MinimizationResult {
        precondition(start.count == n, "start has \(start.count) values, the solver \(n)")
        let m = max(1, options.memory)
        let n = self.n
        let size = 2 * m * n + 2 * m + 5 * n
        return withUnsafeTemporaryAllocation(of: Double.self, capacity: size) { buffer in
            buffer.initialize(repeating: 0)
            let base = buffer.baseAddress!
            let w = Workspace(
                n: n,
                m: m,
                s: base,
                y: base + m * n,
                rho: base + 2 * m * n,
                alpha: base + 2 * m * n + m,
                x: base + 2 * m * n + 2 * m,
                g: base + 2 * m * n + 2 * m + n,
                d: base + 2 * m * n + 2 * m + 2 * n,
                xTrial: base + 2 * m * n + 2 * m + 3 * n,
                gTrial: base + 2 * m * n + 2 * m + 4 * n
            )
            for i in 0..<n { w.x[i] = start[i] }
            return w.run(objective, start: start, options: options)
        }
    }
}

/// The L-BFGS state over raw pointers into one buffer (no bounds or uniqueness checks in the
/// inner loops; every index is < n or < m·n by construction).
struct Workspace {
    let n: Int
    let m: Int
    let s: UnsafeMutablePointer<Double>  // m × n ring buffer of x_{k+1} − x_k
    let y: UnsafeMutablePointer<Double>  // m × n ring buffer of g_{k+1} − g_k
    let rho: UnsafeMutablePointer<Double>
    let alpha: UnsafeMutablePointer<Double>
    let x: UnsafeMutablePointer<Double>
    let g: UnsafeMutablePointer<Double>
    let d: UnsafeMutablePointer<Double>
    let xTrial: UnsafeMutablePointer<Double>
    let gTrial: UnsafeMutablePointer<Double>

    func run<F: DifferentiableObjective>(_ objective: F, start: [Double], options: LBFGSOptions) -> MinimizationResult {
        var evaluations = 1
        var f = evaluate(objective, x, g)
        var gnorm = maxAbs(g)
        if !f.isFinite || !gnorm.isFinite {
            return MinimizationResult(
                x: start,
                value: f,
                gradientNorm: gnorm,
                iterations: 0,
                evaluations: 1,
                status: .nonFiniteStart
            )
        }
        if gnorm <= options.gradientTolerance {
            return MinimizationResult(
                x: point(x),
                value: f,
                gradientNorm: gnorm,
                iterations: 0,
                evaluations: 1,
                status: .gradientTolerance
            )
        }
        var stored = 0
        var head = 0  // the next slot to write
        var iteration = 0
        var status = ConvergenceStatus.iterationLimit
        var gamma = 1.0

        while iteration < options.maxIterations && evaluations < options.maxEvaluations {
            iteration += 1
            // Two-loop recursion: d = −H·g.
            for i in 0..<n { d[i] = -g[i] }
            var slot = head
            for _ in 0..<stored {
                slot = slot == 0 ? m - 1 : slot - 1
                let a = rho[slot] * dot(s + slot * n, d)
                alpha[slot] = a
                axpy(-a, y + slot * n, d)
            }
            for i in 0..<n { d[i] *= gamma }
            slot = (head - stored + m) % m
            for _ in 0..<stored {
                let b = rho[slot] * dot(y + slot * n, d)
                axpy(alpha[slot] - b, s + slot * n, d)
                slot = slot == m - 1 ? 0 : slot + 1
            }
            var dg = dot(d, g)
            if !(dg < 0) {
                // Not a descent direction (stale curvature pairs): restart on −g.
                stored = 0
                gamma = 1.0
                for i in 0..<n { d[i] = -g[i] }
                dg = dot(d, g)
            }
            // First step of a fresh history: scale so that ‖step‖∞ ≤ 1 (as PyTorch does).
            let initialStep = stored == 0 ? min(1.0, 1.0 / max(maxAbs(d), 1e-300)) : 1.0
            guard
                let fNew = strongWolfe(
                    objective,
                    f0: f,
                    dg0: dg,
                    initialStep: initialStep,
                    evaluations: &evaluations,
                    maxEvaluations: options.maxEvaluations
                )
            else {
                status =
                    -dg <= 1e-10 * max(1, abs(f)) && evaluations < options.maxEvaluations
                    ? .machinePrecision : .lineSearchFailed
                break
            }
            // Accept the step and store the correction pair.
            var ys = 0.0
            var yy = 0.0
            let sRow = s + head * n
            let yRow = y + head * n
            for i in 0..<n {
                let si = xTrial[i] - x[i]
                let yi = gTrial[i] - g[i]
                sRow[i] = si
                yRow[i] = yi
                ys += yi * si
                yy += yi * yi
                x[i] = xTrial[i]
                g[i] = gTrial[i]
            }
            let fPrevious = f
            f = fNew
            gnorm = maxAbs(g)
            if ys > 1e-12 * yy && ys > 0 {
                rho[head] = 1 / ys
                gamma = ys / yy
                head = head == m - 1 ? 0 : head + 1
                stored = min(stored + 1, m)
            }
            if gnorm <= options.gradientTolerance {
                status = .gradientTolerance
                break
            }
            if (fPrevious - f) <= options.functionTolerance * max(abs(fPrevious), abs(f), 1) {
                status = .functionTolerance
                break
            }
        }
        return MinimizationResult(
            x: point(x),
            value: f,
            gradientNorm: gnorm,
            iterations: iteration,
            evaluations: evaluations,
            status: status
        )
    }

    // MARK: - Line search

    /// Strong-Wolfe line search along `d` (Nocedal & Wright Alg. 3.5, c1 = 1e-4, c2 = 0.9). On
    /// success the accepted point and gradient are in `xTrial`, `gTrial`, and f there is returned.
    func strongWolfe<F: DifferentiableObjective>(
        _ objective: F,
        f0: Double,
        dg0: Double,
        initialStep: Double,
        evaluations: inout Int,
        maxEvaluations: Int
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
                return zoom(
                    objective,
                    f0: f0,
                    dg0: dg0,
                    lo: tPrev,
                    fLo: fPrev,
                    dgLo: dgPrev,
                    hi: t,
                    fHi: ft,
                    dgHi: dgt,
                    evaluations: &evaluations,
                    maxEvaluations: maxEvaluations
                )
            }
            if abs(dgt) <= -c2 * dg0 { return ft }
            if dgt >= 0 {
                return zoom(
                    objective,
                    f0: f0,
                    dg0: dg0,
                    lo: t,
                    fLo: ft,
                    dgLo: dgt,
                    hi: tPrev,
                    fHi: fPrev,
                    dgHi: dgPrev,
                    evaluations: &evaluations,
                    maxEvaluations: maxEvaluations
                )
            }
            // Extrapolate with the cubic minimizer, safeguarded to [t + 0.01(t − tPrev), 10t].
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

    /// Nocedal & Wright Alg. 3.6 with safeguarded cubic interpolation.
    func zoom<F: DifferentiableObjective>(
        _ objective: F,
        f0: Double,
        dg0: Double,
        lo loIn: Double,
        fLo fLoIn: Double,
        dgLo dgLoIn: Double,
        hi hiIn: Double,
        fHi fHiIn: Double,
        dgHi dgHiIn: Double,
        evaluations: inout Int,
        maxEvaluations: Int
    ) -> Double? {
        let c1 = 1e-4
        let c2 = 0.9
        var lo = loIn
        var fLo = fLoIn
        var dgLo = dgLoIn
        var hi = hiIn
        var fHi = fHiIn
        var dgHi = dgHiIn
        var bestT = lo
        var bestF = fLo
        for _ in 0..<30 {
            if evaluations >= maxEvaluations { break }
            let a = min(lo, hi)
            let b = max(lo, hi)
            let width = b - a
            if width < 1e-14 * max(1, b) { break }
            var t = cubicMinimizer(lo, fLo, dgLo, hi, fHi, dgHi) ?? (a + b) / 2
            if !(t > a + 0.1 * width && t < b - 0.1 * width) { t = (a + b) / 2 }
            let (ft, dgt) = trial(objective, step: t)
            evaluations += 1
            if !ft.isFinite || !dgt.isFinite || ft > f0 + c1 * t * dg0 || ft >= fLo {
                hi = t
                fHi = ft.isFinite ? ft : .infinity
                dgHi = dgt.isFinite ? dgt : 0
            } else {
                if abs(dgt) <= -c2 * dg0 { return ft }
                if dgt * (hi - lo) >= 0 {
                    hi = lo
                    fHi = fLo
                    dgHi = dgLo
                }
                lo = t
                fLo = ft
                dgLo = dgt
                if ft < bestF {
                    bestF = ft
                    bestT = t
                }
            }
        }
        // The interval collapsed: accept the best point with sufficient decrease, if any.
        if bestT > 0 && bestF < f0 {
            let (ft, _) = trial(objective, step: bestT)
            evaluations += 1
            if ft.isFinite && ft < f0 { return ft }
        }
        return nil
    }

    /// Evaluates at x + t·d into `xTrial`/`gTrial`; returns (f, ∇f·d).
    @inline(__always)
    func trial<F: DifferentiableObjective>(_ objective: F, step t: Double) -> (Double, Double) {
        for i in 0..<n { xTrial[i] = x[i] + t * d[i] }
        let f = evaluate(objective, xTrial, gTrial)
        return (f, dot(gTrial, d))
    }

    // MARK: - Small kernels

    @inline(__always)
    func evaluate<F: DifferentiableObjective>(
        _ objective: F,
        _ point: UnsafeMutablePointer<Double>,
        _ gradient: UnsafeMutablePointer<Double>
    ) -> Double {
        objective.valueAndGradient(
            at: UnsafeBufferPointer(start: point, count: n),
            gradient: UnsafeMutableBufferPointer(start: gradient, count: n)
        )
    }

    @inline(__always)
    func dot(_ a: UnsafeMutablePointer<Double>, _ b: UnsafeMutablePointer<Double>) -> Double {
        var sum = 0.0
        for i in 0..<n { sum += a[i] * b[i] }
        return sum
    }

    @inline(__always)
    func axpy(_ a: Double, _ v: UnsafeMutablePointer<Double>, _ out: UnsafeMutablePointer<Double>) {
        for i in 0..<n { out[i] += a * v[i] }
    }

    @inline(__always)
    func maxAbs(_ v: UnsafeMutablePointer<Double>) -> Double {
        var r = 0.0
        for i in 0..<n {
            if !v[i].isFinite { return .infinity }
            r = max(r, abs(v[i]))
        }
        return r
    }

    func point(_ v: UnsafeMutablePointer<Double>) -> [Double] {
        Array(UnsafeBufferPointer(start: v, count: n))
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
