import Optimization
import RealModule
import Testing

@Suite("L-BFGS")
struct LBFGSTests {
    /// The Rosenbrock function f(x, y) = (1 − x)² + 100(y − x²)², minimum 0 at (1, 1).
    static let rosenbrock = ClosureObjective { x, g in
        let a = 1 - x[0]
        let b = x[1] - x[0] * x[0]
        g[0] = -2 * a - 400 * x[0] * b
        g[1] = 200 * b
        return a * a + 100 * b * b
    }

    @Test("finds the Rosenbrock minimum from the classic start (−1.2, 1)")
    func rosenbrock() {
        let result = minimizeLBFGS(Self.rosenbrock, from: [-1.2, 1])
        #expect(result.status.isConverged)
        #expect(abs(result.x[0] - 1) < 1e-6)
        #expect(abs(result.x[1] - 1) < 1e-6)
        #expect(result.value < 1e-12)
        // A strong-Wolfe L-BFGS solves this in a few dozen iterations (Nocedal & Wright report ~35).
        #expect(result.iterations < 100)
    }

    @Test("solves ill-conditioned quadratics in many dimensions", arguments: [2, 10, 50])
    func quadratic(dimension: Int) {
        // f = Σ cᵢ (xᵢ − i)², condition number 1e4.
        let objective = ClosureObjective { x, g in
            var f = 0.0
            for i in 0..<x.count {
                let c = Double.pow(1e4, Double(i) / Double(max(x.count - 1, 1)))
                let r = x[i] - Double(i)
                f += c * r * r
                g[i] = 2 * c * r
            }
            return f
        }
        let result = minimizeLBFGS(objective, from: Array(repeating: 0, count: dimension))
        #expect(result.status.isConverged)
        for i in 0..<dimension { #expect(abs(result.x[i] - Double(i)) < 1e-5) }
    }

    @Test("a large sum at its minimum stops as converged to machine precision, not as a failure")
    func machinePrecision() {
        // f = 1e6 + Σ (xᵢ − 1)²·(1 + i): an offset as large as a likelihood sum's. With no
        // tolerance to stop it, the run ends when no step can lower f in floating point.
        let objective = ClosureObjective { x, g in
            var f = 1e6
            for i in 0..<x.count {
                let r = x[i] - 1
                f += r * r * Double(1 + i)
                g[i] = 2 * r * Double(1 + i)
            }
            return f
        }
        // (A negative function tolerance never stops the run: only the line search can.)
        let options = LBFGSOptions(
            memory: 10,
            gradientTolerance: 0,
            functionTolerance: -1,
            maxIterations: 1_000,
            maxEvaluations: 10_000
        )
        let result = minimizeLBFGS(objective, from: [5, -3, 2, 0.5], options: options)
        #expect(result.status == .machinePrecision || result.status == .gradientTolerance, "\(result.status)")
        #expect(result.status.isConverged)
        for x in result.x { #expect(abs(x - 1) < 1e-4) }
        // A wrong gradient is still a failure: the predicted decrease stays large.
        let wrong = ClosureObjective { x, g in
            g[0] = -2 * (x[0] - 1)  // the sign is wrong
            return 1e6 + (x[0] - 1) * (x[0] - 1)
        }
        let failed = minimizeLBFGS(wrong, from: [3], options: options)
        #expect(!failed.status.isConverged, "\(failed.status)")
    }

    @Test("reports a non-finite start instead of trapping")
    func nonFiniteStart() {
        let objective = ClosureObjective { x, g in
            g[0] = .nan
            return Double.log(x[0])
        }
        let result = minimizeLBFGS(objective, from: [-1])
        #expect(result.status == .nonFiniteStart)
    }

    @Test("backtracks out of a domain where the objective is not finite")
    func domain() {
        // f(x) = x − ln x, minimum at 1; undefined for x ≤ 0. From x = 5 the first step overshoots.
        let objective = ClosureObjective { x, g in
            g[0] = 1 - 1 / x[0]
            return x[0] > 0 ? x[0] - Double.log(x[0]) : .nan
        }
        let result = minimizeLBFGS(objective, from: [5])
        #expect(result.status.isConverged)
        #expect(abs(result.x[0] - 1) < 1e-6)
    }

    @Test("the solver can be reused across starts with identical results")
    func reuse() {
        var solver = LBFGSSolver(dimension: 2)
        let first = solver.minimize(Self.rosenbrock, from: [-1.2, 1], options: LBFGSOptions())
        _ = solver.minimize(Self.rosenbrock, from: [3, -2], options: LBFGSOptions())
        let again = solver.minimize(Self.rosenbrock, from: [-1.2, 1], options: LBFGSOptions())
        #expect(first == again)
    }
}

@Suite("Special functions")
struct SpecialFunctionTests {
    @Test("digamma matches published values")
    func digamma() {
        // ψ(1) = −γ, ψ(1/2) = −γ − 2 ln 2, ψ(10) = 2.251752589066721 (A&S Table 6.1).
        let eulerGamma = 0.5772156649015329
        #expect(abs(Special.digamma(1) + eulerGamma) < 1e-12)
        #expect(abs(Special.digamma(0.5) - (-eulerGamma - 2 * Double.log(2))) < 1e-12)
        #expect(abs(Special.digamma(10) - 2.251752589066721) < 1e-12)
        #expect(abs(Special.digamma(1e6) - 13.815510057964274) < 1e-12)
    }

    @Test("log-beta is stable for huge arguments")
    func logBeta() {
        // ln B(1, n) = −ln n exactly.
        for n in [1.0, 10, 1e3, 1e6, 3.7e6] {
            #expect(abs(Special.logBeta(1, n) + Double.log(n)) < 1e-9 * max(1, Double.log(n)))
        }
    }

    @Test("log-sum-exp does not overflow")
    func logSumExp() {
        #expect(abs(Special.logSumExp([1000, 1000]) - (1000 + Double.log(2))) < 1e-12)
        #expect(abs(Special.logSumExp([-1000, -1000.0]) - (-1000 + Double.log(2))) < 1e-12)
        #expect(Special.logSumExp([Double]()) == -.infinity)
        #expect(abs(Special.logAddExp(0, 0) - Double.log(2)) < 1e-15)
    }

    @Test("sigmoid and log1mexp are accurate at the extremes")
    func extremes() {
        #expect(Special.sigmoid(-700) > 0)
        #expect(Special.sigmoid(800) == 1)
        #expect(abs(Special.sigmoid(0) - 0.5) < 1e-16)
        #expect(abs(Special.log1mexp(-1e-20) - Double.log(1e-20)) < 1e-12)
        #expect(abs(Special.log1mexp(-50) + Double.exp(-50)) < 1e-30)
    }
}

@Suite("Root finding and scalar minimization")
struct RootFindingTests {
    @Test("Brent finds roots to tolerance")
    func brent() throws {
        let root = try findRoot(in: 0...2) { $0 * $0 - 2 }
        #expect(abs(root - 2.0.squareRoot()) < 1e-12)
        let cosRoot = try findRoot(in: 0...3) { Double.cos($0) }
        #expect(abs(cosRoot - Double.pi / 2) < 1e-12)
    }

    @Test("an interval that does not bracket a root is an error, not a trap")
    func notBracketed() {
        #expect(throws: SolverError.self) { try findRoot(in: 0...1) { $0 * $0 + 1 } }
    }

    @Test("Brent minimization finds an interior minimum")
    func minimize() {
        let (x, value) = minimizeScalar(in: 0...5) { ($0 - 2.5) * ($0 - 2.5) + 1 }
        #expect(abs(x - 2.5) < 1e-6)
        #expect(abs(value - 1) < 1e-12)
    }
}

@Suite("Seeded generator")
struct SeededGeneratorTests {
    @Test("the same seed gives the same stream; different seeds differ")
    func reproducible() {
        var a = SeededGenerator(seed: 42)
        var b = SeededGenerator(seed: 42)
        var c = SeededGenerator(seed: 43)
        let sa = (0..<100).map { _ in a.next() }
        let sb = (0..<100).map { _ in b.next() }
        let sc = (0..<100).map { _ in c.next() }
        #expect(sa == sb)
        #expect(sa != sc)
    }

    @Test("uniforms lie in [0, 1) with mean near 1/2; normals have mean 0 and variance 1")
    func moments() {
        var rng = SeededGenerator(seed: 7)
        let n = 200_000
        var sum = 0.0
        var normalSum = 0.0
        var normalSquares = 0.0
        for _ in 0..<n {
            let u = rng.nextUniform()
            #expect(u >= 0 && u < 1)
            sum += u
            let z = rng.nextNormal()
            normalSum += z
            normalSquares += z * z
        }
        #expect(abs(sum / Double(n) - 0.5) < 0.005)
        #expect(abs(normalSum / Double(n)) < 0.01)
        #expect(abs(normalSquares / Double(n) - 1) < 0.02)
    }
}
