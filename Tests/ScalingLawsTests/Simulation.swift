import Foundation
import Optimization

/// Seeded draws for simulation tests (every draw consumes the generator in a fixed order).
enum Simulation {
    /// Gamma(shape, 1) by Marsaglia–Tsang (shape < 1 boosted by U^(1/shape)).
    static func gamma(_ shape: Double, _ rng: inout SeededGenerator) -> Double {
        if shape < 1 { return gamma(shape + 1, &rng) * Foundation.pow(rng.nextUniform(), 1 / shape) }
        let d = shape - 1.0 / 3
        let c = 1 / (9 * d).squareRoot()
        while true {
            let x = rng.nextNormal()
            let v = Foundation.pow(1 + c * x, 3)
            if v <= 0 { continue }
            let u = rng.nextUniform()
            if Foundation.log(u) < 0.5 * x * x + d - d * v + d * Foundation.log(v) { return d * v }
        }
    }

    /// Beta(a, b) as the ratio of gammas.
    static func beta(_ a: Double, _ b: Double, _ rng: inout SeededGenerator) -> Double {
        let x = gamma(a, &rng)
        let y = gamma(b, &rng)
        return x / (x + y)
    }

    /// Binomial(n, p) by n Bernoulli draws.
    static func binomial(_ n: Int, _ p: Double, _ rng: inout SeededGenerator) -> Int {
        var c = 0
        for _ in 0..<n where rng.nextUniform() < p { c += 1 }
        return c
    }

    /// Correct samples among `draw` taken without replacement from `samples` of which `correct`
    /// are correct (hypergeometric, drawn one sample at a time).
    static func hypergeometric(draw: Int, samples: Int, correct: Int, _ rng: inout SeededGenerator) -> Int {
        var left = samples
        var good = correct
        var hits = 0
        for _ in 0..<draw {
            if rng.nextUniform() * Double(left) < Double(good) {
                hits += 1
                good -= 1
            }
            left -= 1
        }
        return hits
    }
}
