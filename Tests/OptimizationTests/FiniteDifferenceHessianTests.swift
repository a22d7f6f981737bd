import Optimization
import Testing

@Suite("finite-difference Hessian")
struct FiniteDifferenceHessianTests {
    @Test("Rosenbrock's Hessian at (1, 1) and at (−1.2, 1): [[1200x² − 400y + 2, −400x], [−400x, 200]]")
    func rosenbrock() {
        let f = ClosureObjective { x, g in
            let a = 1 - x[0]
            let b = x[1] - x[0] * x[0]
            g[0] = -2 * a - 400 * x[0] * b
            g[1] = 200 * b
            return a * a + 100 * b * b
        }
        for (x, y) in [(1.0, 1.0), (-1.2, 1.0)] {
            let h = finiteDifferenceHessian(f, at: [x, y])
            let exact = [[1200 * x * x - 400 * y + 2, -400 * x], [-400 * x, 200]]
            for i in 0..<2 {
                for j in 0..<2 {
                    #expect(
                        abs(h[i][j] - exact[i][j]) <= 1e-5 * max(1, abs(exact[i][j])),
                        "H[\(i)][\(j)] at (\(x), \(y))"
                    )
                }
            }
            #expect(h[0][1] == h[1][0], "symmetrised")
        }
    }

    @Test("a quadratic's Hessian is its matrix, whatever the point")
    func quadratic() {
        // f = ½ xᵀAx with A symmetric positive definite; ∇f = Ax.
        let a: [[Double]] = [[4, 1, 0.5], [1, 3, -0.25], [0.5, -0.25, 2]]
        let f = ClosureObjective { x, g in
            var value = 0.0
            for i in 0..<3 {
                g[i] = (0..<3).reduce(0) { $0 + a[i][$1] * x[$1] }
                value += 0.5 * x[i] * g[i]
            }
            return value
        }
        let h = finiteDifferenceHessian(f, at: [1e3, -2, 0.1])
        for i in 0..<3 {
            for j in 0..<3 { #expect(abs(h[i][j] - a[i][j]) < 1e-6, "H[\(i)][\(j)]") }
        }
    }
}
