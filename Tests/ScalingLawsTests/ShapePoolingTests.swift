import Foundation
import Optimization
import RealModule
import T2TestSupport
import Tabular
import Testing

@testable import ScalingLaws

/// The crossed family with per-group shapes a_j under a normal prior (`crossed-pooled-shape-beta-binomial`).
@Suite("Crossed family with partially pooled shapes")
struct ShapePoolingTests {
    /// θ in the per-group layout for `CrossedBetaBinomialTests.smallGroups()`:
    /// (ln a_0, ln a_1, ln a_2, ln b_0, ln b_1, ln b_2, ln α, μ).
    static let theta = [
        Double.log(0.5), Double.log(0.9), Double.log(1.4), Double.log(300), Double.log(2e4), Double.log(50),
        Double.log(0.45), Double.log(0.8),
    ]

    static func gradient(_ objective: CrossedObjective, _ x: [Double]) -> [Double] {
        var g = [Double](repeating: 0, count: x.count)
        _ = x.withUnsafeBufferPointer { xb in
            g.withUnsafeMutableBufferPointer { objective.valueAndGradient(at: xb, gradient: $0) }
        }
        return g
    }

    @Test(
        "gradient and Louis-identity Hessian match central differences (shared and per-group shapes, weights 0, 1, 2)",
        arguments: [0.0, 0.7]
    )
    func derivatives(spread: Double) throws {
        let groups = CrossedBetaBinomialTests.smallGroups()
        let alignment = ProblemAlignment(groups)
        let weights = alignment.index.map { $0.map { Double($0 % 3) } }
        let objective =
            spread == 0
            ? CrossedObjective(groups: groups, weights: weights)
            : CrossedObjective(groups: groups, weights: weights, shape: .perGroup(spread: spread))
        let x = spread == 0 ? CrossedBetaBinomialTests.theta : Self.theta
        let g = Self.gradient(objective, x)
        for j in x.indices {
            var xp = x
            var xm = x
            xp[j] += 1e-6
            xm[j] -= 1e-6
            let numeric = (objective.value(at: xp) - objective.value(at: xm)) / 2e-6
            #expect(abs(numeric - g[j]) < 1e-5 * max(1, abs(g[j])), "∂/∂θ\(j): analytic \(g[j]), numeric \(numeric)")
        }
        let h = try #require(objective.hessian(at: x))
        for j in x.indices {
            var xp = x
            var xm = x
            xp[j] += 1e-5
            xm[j] -= 1e-5
            let gp = Self.gradient(objective, xp)
            let gm = Self.gradient(objective, xm)
            for i in x.indices {
                let numeric = (gp[i] - gm[i]) / 2e-5
                #expect(
                    abs(numeric - h[i][j]) < 1e-4 * max(1, abs(h[i][j])),
                    "∂²/∂θ\(i)∂θ\(j): analytic \(h[i][j]), numeric \(numeric)"
                )
            }
        }
    }
}
