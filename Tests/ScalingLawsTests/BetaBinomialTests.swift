import Foundation
import Optimization
import Testing

@testable import ScalingLaws

@Suite("Beta-binomial and success distributions")
struct BetaBinomialTests {
    @Test(
        "t2-anchors §13 Beta pass@k table",
        arguments: [
            (0.5, 3.0, [0.142857, 0.534682, 0.836071, 0.947525]),
            (0.35, 3.5, [0.090909, 0.391573, 0.703925, 0.866442]),
            (1.0, 1.0, [0.500000, 0.909091, 0.990099, 0.999001]),
            (2.0, 5.0, [0.285714, 0.875000, 0.997305, 0.999970]),
        ]
    )
    func betaTable(a: Double, b: Double, expected: [Double]) {
        for (k, e) in zip([1.0, 10, 100, 1000], expected) {
            #expect(abs(BetaBinomial.passAtK(a: a, b: b, k: k) - e) < 1e-6)
        }
        // pass@1 is the Beta mean; the large-k failure rate follows Γ(a+b)/Γ(b)·k^−a.
        #expect(abs(BetaBinomial.passAtK(a: a, b: b, k: 1) - a / (a + b)) < 1e-14)
    }

    @Test("asymptote for (0.5, 3) at k = 1000")
    func asymptote() {
        let failure = BetaBinomial.failureAtK(a: 0.5, b: 3, k: 1000)
        let asym = Foundation.exp(Foundation.lgamma(3.5) - Foundation.lgamma(3)) * Foundation.pow(1000, -0.5)
        #expect(abs(failure - 0.05247) < 1e-5)
        #expect(abs(asym - 0.05255) < 1e-5)
    }

    @Test("likelihood is a probability distribution and stable for n in the millions")
    func likelihoodSums() {
        var total = 0.0
        for c in 0...50 { total += Foundation.exp(BetaBinomial.logLikelihood(samples: 50, correct: c, a: 0.4, b: 7)) }
        #expect(abs(total - 1) < 1e-12)
        let ll = BetaBinomial.logLikelihood(samples: 3_000_000, correct: 17, a: 0.3, b: 2000)
        #expect(ll.isFinite && ll < 0)
    }

    @Test(
        "analytic gradient matches finite differences",
        arguments: SuccessFamily.allCases.filter { !$0.sharesProblemEffects }
    )
    func gradient(family: SuccessFamily) {
        var rng = SeededGenerator(seed: 11)
        let groups = (0..<2).map { g in
            (0..<40).map { i in
                ProblemCount(
                    problem: "\(i)",
                    samples: 200 + 1000 * g,
                    correct: Int.random(in: 0...3, using: &rng) * Int.random(in: 0...5, using: &rng)
                )
            }
        }
        let f = SuccessObjective(family: family, groups: groups)
        let d = family.dimension(groups: 2)
        let x = (0..<d).map { i in [-0.7, 3.1, -1.2, 4.0, 0.3, -0.4][i % 6] }
        var g = [Double](repeating: 0, count: d)
        func value(_ p: [Double]) -> Double {
            var scratch = [Double](repeating: 0, count: d)
            return p.withUnsafeBufferPointer { pb in
                scratch.withUnsafeMutableBufferPointer { f.valueAndGradient(at: pb, gradient: $0) }
            }
        }
        _ = x.withUnsafeBufferPointer { xb in
            g.withUnsafeMutableBufferPointer { f.valueAndGradient(at: xb, gradient: $0) }
        }
        // h = 1e-5: ln Γ near n = 1200 is ~7000, so the value carries ~1e-11 of rounding, which
        // h = 1e-6 would amplify to ~2e-5 in the quotient (truncation error is ~1e-10 here).
        for j in 0..<d {
            var xp = x
            var xm = x
            xp[j] += 1e-5
            xm[j] -= 1e-5
            let numeric = (value(xp) - value(xm)) / 2e-5
            #expect(abs(numeric - g[j]) < 1e-5 * max(1, abs(g[j])))
        }
    }

    /// Draws p ~ Beta(a, b) by the ratio of gammas (Marsaglia–Tsang), then c ~ Binomial(n, p).
    static func simulate(
        a: Double,
        b: Double,
        problems: Int,
        samples: Int,
        rng: inout SeededGenerator
    ) -> [ProblemCount] {
        (0..<problems).map { i in
            let p = Simulation.beta(a, b, &rng)
            return ProblemCount(problem: "\(i)", samples: samples, correct: Simulation.binomial(samples, p, &rng))
        }
    }

    @Test("MLE recovers Beta parameters across seeds", arguments: [(0.5, 3.0), (0.3, 20.0), (2.0, 5.0)])
    func recovery(a: Double, b: Double) {
        var meanLogA = 0.0
        var meanLogB = 0.0
        var covered = 0
        let seeds = 12
        for seed in 0..<seeds {
            var rng = SeededGenerator(seed: UInt64(seed), stream: 3)
            let problems = Self.simulate(a: a, b: b, problems: 400, samples: 200, rng: &rng)
            let fit = SuccessDistributionFitter.fit(.betaBinomial, groups: [problems], standardErrors: true)
            let d = fit.distributions[0]
            meanLogA += Foundation.log(d.a / a) / Double(seeds)
            meanLogB += Foundation.log(d.b / b) / Double(seeds)
            // Each single fit is within 35% of the truth; its 95% interval covers a in most seeds.
            #expect(abs(Foundation.log(d.a / a)) < 0.35)
            if let se = fit.standardErrors[0]?["a"], abs(d.a - a) <= 1.96 * se { covered += 1 }
        }
        // Averaged over seeds the estimate is unbiased to within 8%.
        #expect(abs(meanLogA) < 0.08)
        #expect(abs(meanLogB) < 0.08)
        #expect(covered >= 9)
    }

    @Test("held-out likelihood picks the zero-inflated family when a third of problems are unsolvable")
    func selectionFindsZeroMass() {
        var rng = SeededGenerator(seed: 5)
        var problems = Self.simulate(a: 1.5, b: 6, problems: 300, samples: 100, rng: &rng)
        for i in 0..<150 { problems[i].correct = 0 }
        let selection = SuccessDistributionFitter.select(
            groups: [problems],
            candidates: [.betaBinomial, .zeroInflated]
        )
        #expect(selection.scores[0].family == .zeroInflated)
        // A zero mass this large wins by far more than the score's noise: the richer family is chosen.
        #expect(selection.chosen == .zeroInflated)
        let fit = SuccessDistributionFitter.fit(.zeroInflated, groups: [problems])
        #expect(abs(fit.distributions[0].zeroMass - 0.5) < 0.08)
    }

    @Test("held-out likelihood keeps the plain beta-binomial when there is no zero mass")
    func selectionKeepsPlain() {
        var rng = SeededGenerator(seed: 6)
        let problems = Self.simulate(a: 1.5, b: 6, problems: 300, samples: 100, rng: &rng)
        let selection = SuccessDistributionFitter.select(
            groups: [problems],
            candidates: [.betaBinomial, .zeroInflated]
        )
        // The extra parameter cannot buy much held-out likelihood: within 2 nats of the best,
        // and within one standard error, so the simpler family is chosen.
        let plain = selection.scores.first { $0.family == .betaBinomial }!
        #expect(selection.scores[0].heldOutLogLikelihood - plain.heldOutLogLikelihood < 2)
        #expect(selection.chosen == .betaBinomial)
    }

    @Test("power-law baseline recovers an exact power law")
    func powerLaw() throws {
        let ks = [1, 2, 4, 8, 16, 32]
        let law = try #require(
            PowerLawBaseline(ks: ks, passAtK: ks.map { Foundation.exp(-3 * Foundation.pow(Double($0), -0.4)) })
        )
        #expect(abs(law.a - 3) < 1e-9 && abs(law.b - 0.4) < 1e-9)
        #expect(PowerLawBaseline(ks: [1, 2], passAtK: [0, 0]) == nil)
    }
}
