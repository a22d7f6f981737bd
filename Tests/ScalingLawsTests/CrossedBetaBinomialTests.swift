import Foundation
import Optimization
import RealModule
import T2TestSupport
import Tabular
import Testing

@testable import ScalingLaws

@Suite("Crossed problem × model beta-binomial")
struct CrossedBetaBinomialTests {
    /// Three groups with different n per row (up to 1e6: the Stirling branches), a problem missing
    /// from group 2, and counts from 0 to 40.
    static func smallGroups() -> [[ProblemCount]] {
        var rng = SeededGenerator(seed: 21)
        return (0..<3).map { g in
            (0..<12).compactMap { i -> ProblemCount? in
                if g == 2 && (i == 3 || i == 7) { return nil }
                let n = g == 1 && i % 3 == 0 ? 1_000_000 : [50, 200, 100][g]
                let c = i % 4 == 0 ? 0 : min(n, Int.random(in: 0...8, using: &rng) * Int.random(in: 0...5, using: &rng))
                return ProblemCount(problem: "p\(i)", samples: n, correct: c)
            }
        }
    }

    /// θ = (ln a, ln b_0, ln b_1, ln b_2, ln α).
    static let theta = [Double.log(0.7), Double.log(300), Double.log(2e4), Double.log(50), Double.log(0.45)]

    @Test("the tabulated likelihood equals the cell-by-cell quadrature, and the 121-node grid the integral")
    func likelihood() {
        let groups = Self.smallGroups()
        let objective = CrossedObjective(groups: groups)
        let a = Double.exp(Self.theta[0])
        let b = (1...3).map { Double.exp(Self.theta[$0]) }
        let alpha = Double.exp(Self.theta[4])
        let ids = (0..<12).map { "p\($0)" }
        // Σ_j ln BB(c_ij | n_ij, a, b_j e^{−u}) of problem `id` at u.
        func cells(_ id: String, _ u: Double) -> Double {
            var s = 0.0
            for (j, problems) in groups.enumerated() {
                for p in problems where p.problem == id {
                    s += BetaBinomial.logLikelihood(
                        samples: p.samples,
                        correct: p.correct,
                        a: a,
                        b: b[j] * Double.exp(-u)
                    )
                }
            }
            return s
        }
        let lw = CrossedBetaBinomial.logWeights(problemShape: alpha).logWeights
        var direct = 0.0
        var integral = 0.0
        for id in ids {
            direct += Special.logSumExp(
                (0..<CrossedBetaBinomial.nodeCount).map { lw[$0] + cells(id, CrossedBetaBinomial.nodes[$0]) }
            )
            // The Gamma density of e^u in u, exp(α u − e^u)/Γ(α), on a fine grid past both ends.
            let h = 0.01
            let fine = stride(from: -70.0, through: 12.0, by: h).map { u in
                Double.log(h) + alpha * u - Double.exp(u) - Double.logGamma(alpha) + cells(id, u)
            }
            integral += Special.logSumExp(fine)
        }
        let value = -objective.value(at: Self.theta)
        #expect(abs(value - direct) < 1e-9 * abs(direct))
        // The 0.4 step and the cut at −40 cost ~4e-3 nats over these 12 problems (the fit is the
        // maximum-likelihood estimate of the discretised prior; this is how far it is from the
        // continuous one).
        #expect(abs(value - integral) < 0.01, "grid \(value) vs integral \(integral)")
    }

    @Test("analytic gradient matches central finite differences (with problem weights 0, 1, 2)")
    func gradient() {
        let groups = Self.smallGroups()
        let alignment = ProblemAlignment(groups)
        let weights = alignment.index.map { $0.map { Double($0 % 3) } }
        let objective = CrossedObjective(groups: groups, weights: weights)
        var g = [Double](repeating: 0, count: Self.theta.count)
        _ = Self.theta.withUnsafeBufferPointer { x in
            g.withUnsafeMutableBufferPointer { objective.valueAndGradient(at: x, gradient: $0) }
        }
        for j in Self.theta.indices {
            var xp = Self.theta
            var xm = Self.theta
            xp[j] += 1e-6
            xm[j] -= 1e-6
            let numeric = (objective.value(at: xp) - objective.value(at: xm)) / 2e-6
            #expect(abs(numeric - g[j]) < 1e-5 * max(1, abs(g[j])), "∂/∂θ\(j): analytic \(g[j]), numeric \(numeric)")
        }
    }

    @Test("the marginal distribution of one group is a probability distribution over c")
    func marginal() {
        let d = SuccessDistribution(family: .crossed, a: 0.7, b: 40, problemShape: 0.45)
        var total = 0.0
        for c in 0...30 { total += Foundation.exp(d.logLikelihood(samples: 30, correct: c)) }
        #expect(abs(total - 1) < 1e-10)
        #expect(d.passAtK(1) > 0 && d.passAtK(1) < d.passAtK(100) && d.passAtK(100) < d.passAtK(10_000))
        #expect(abs(d.passAtK(1) - d.mean) < 1e-12)
    }

    /// Simulates the model: e^{u_i} ~ Gamma(α), p_ij ~ Beta(a, b_j e^{−u_i}), c_ij ~ Binomial(n_j, p_ij).
    static func simulate(
        a: Double,
        b: [Double],
        alpha: Double,
        problems: Int,
        samples: [Int],
        seed: UInt64
    ) -> [[ProblemCount]] {
        var rng = SeededGenerator(seed: seed)
        var groups = [[ProblemCount]](repeating: [], count: b.count)
        for i in 0..<problems {
            let effect = Simulation.gamma(alpha, &rng)
            for j in b.indices {
                let p = Simulation.beta(a, b[j] / effect, &rng)
                groups[j].append(
                    ProblemCount(
                        problem: "q\(i)",
                        samples: samples[j],
                        correct: Simulation.binomial(samples[j], p, &rng)
                    )
                )
            }
        }
        return groups
    }

    @Test("maximum likelihood recovers a, α and the levels b_j from simulated data", arguments: [UInt64(1), 2, 3])
    func recovery(seed: UInt64) throws {
        let a = 0.8
        let alpha = 0.5
        let b = [30.0, 100, 300, 1000, 3000]
        let groups = Self.simulate(
            a: a,
            b: b,
            alpha: alpha,
            problems: 300,
            samples: [100, 200, 200, 400, 400],
            seed: seed
        )
        let fit = SuccessDistributionFitter.fit(.crossed, groups: groups, standardErrors: true)
        let d = fit.distributions
        // The truth is no better than the optimum, and each estimate is within 3 standard errors
        // (observed information) on the log scale the fit works in. The b_j move together with a
        // and α (the mean success is ≈ a·α/b_j), so their errors are wide: 0.25–0.35 in ln b_j.
        let truth = [Foundation.log(a)] + b.map { Foundation.log($0) } + [Foundation.log(alpha)]
        #expect(fit.negLogLikelihood <= CrossedObjective(groups: groups).value(at: truth))
        #expect(abs(Foundation.log(d[0].a / a)) < 0.35, "a = \(d[0].a)")
        #expect(abs(Foundation.log(d[0].problemShape! / alpha)) < 0.2, "α = \(d[0].problemShape!)")
        for j in b.indices {
            let se = try #require(fit.standardErrors[j])
            #expect(abs(Foundation.log(d[j].b / b[j])) < 3 * se["b"]! / d[j].b, "b_\(j) = \(d[j].b) ± \(se["b"]!)")
            #expect(abs(d[j].a - a) < 3 * se["a"]! && abs(d[j].problemShape! - alpha) < 3 * se["problem_shape"]!)
        }
    }

    @Test("folds hold out a problem from every group at once; no shared ids, no crossed candidate")
    func foldsAndCandidacy() {
        let groups = Self.smallGroups()
        let folds = SuccessDistributionFitter.foldAssignment(groups: groups, folds: 5, seed: 3)
        var foldOf: [String: Int] = [:]
        for (g, problems) in groups.enumerated() {
            for (r, p) in problems.enumerated() {
                if let f = foldOf[p.problem] { #expect(f == folds[g][r]) } else { foldOf[p.problem] = folds[g][r] }
            }
        }
        #expect(Set(foldOf.values).count == 5)
        #expect(SuccessFamily.crossed.isCandidate(for: groups))
        let disjoint = [
            [ProblemCount(problem: "x", samples: 10, correct: 1)],
            [ProblemCount(problem: "y", samples: 10, correct: 2)],
        ]
        #expect(!SuccessFamily.crossed.isCandidate(for: disjoint))
        #expect(!SuccessFamily.crossed.isCandidate(for: [groups[0]]))
        #expect(!SuccessDistributionFitter.select(groups: disjoint).scores.contains { $0.family == .crossed })
        #expect(throws: CountsError.self) {
            try PasskAnalysis.run(
                groups: disjoint.enumerated().map { CountGroup(name: "m\($0)", problems: $1) },
                ks: nil,
                forecastKs: [100],
                family: .fixed(.crossed),
                bootstrap: 0,
                seed: 0
            )
        }
    }
}

/// The acceptance experiment of scripts/passk-forecast-experiment, in Swift: 100 samples per
/// problem drawn without replacement from the Pythia GSM8K counts, pass@10,000 forecast from the
/// draw and compared with the unbiased estimate on the full counts.
@Suite("Crossed family on a 100-sample draw of the Pythia fixture")
struct CrossedForecastExperimentTests {
    static let k = 10_000.0

    /// Models with ≥ 100 problems sampled ≥ 10,000 times, restricted to those problems.
    static func fullCounts() throws -> [CountGroup] {
        let groups = try CountsReader.read(CSVTable(contentsOf: Fixtures.path("pythia_gsm8k_counts.csv")))
        return groups.map { g in
            var h = g
            h.problems = g.problems.filter { $0.samples >= 10_000 }
            return h
        }.filter { $0.problems.count >= 100 }
    }

    /// MAE at k = 10,000 of `family` over the models with a correct sample in the draw.
    static func meanAbsoluteErrors(seed: UInt64, families: [SuccessFamily]) throws -> [SuccessFamily: Double] {
        let full = try fullCounts()
        var rng = SeededGenerator(seed: seed)
        let draw = full.map { g in
            g.problems.map { p in
                ProblemCount(
                    problem: p.problem,
                    samples: 100,
                    correct: Simulation.hypergeometric(draw: 100, samples: p.samples, correct: p.correct, &rng)
                )
            }
        }
        let kept = draw.indices.filter { draw[$0].contains { $0.correct > 0 } }
        let truth = try kept.map { try PassAtK.mean(full[$0], k: Int(k)) }
        var result: [SuccessFamily: Double] = [:]
        for family in families {
            let problems = kept.map { draw[$0] }
            let fit = SuccessDistributionFitter.fit(family, groups: problems)
            let forecast = SuccessDistributionFitter.forecasts(fit, groups: problems, ks: [k]).map { $0[0] }
            result[family] = zip(forecast, truth).map { abs($0 - $1) }.reduce(0, +) / Double(kept.count)
        }
        return result
    }

    @Test("crossed beats shared-shape at k = 10,000 on average over 12 draws")
    func beatsSharedShape() throws {
        var gaps: [Double] = []
        for seed in UInt64(0)..<12 {
            let mae = try Self.meanAbsoluteErrors(seed: seed, families: [.crossed, .sharedShape])
            gaps.append(try #require(mae[.sharedShape]) - (try #require(mae[.crossed])))
        }
        // Over 24 such draws the crossed family's MAE is 0.025 below shared-shape's on average
        // (per draw from −0.04 to +0.13; it wins 17 of 24), seeds 0–11: 0.025 and 9 of 12; with
        // numpy's draws in scripts/passk-forecast-experiment, 0.029 over seeds 0–9. Require 0.01
        // on average and a majority of wins.
        let mean = gaps.reduce(0, +) / Double(gaps.count)
        #expect(mean > 0.01, "mean MAE gap \(mean): \(gaps)")
        #expect(gaps.filter { $0 > 0 }.count >= 7, "\(gaps)")
    }
}

@Suite("Level pooling (--pool-levels) on a 100-sample draw of the Pythia fixture")
struct LevelPoolingTests {
    @Test("a fitted model's level curve peaks at its fitted level; zero-count models get prior-driven forecasts")
    func pooledLevels() throws {
        let k = CrossedForecastExperimentTests.k
        let full = try CrossedForecastExperimentTests.fullCounts()
        var rng = SeededGenerator(seed: 0)
        let draw = full.map { g -> CountGroup in
            var h = g
            h.problems = g.problems.map { p in
                ProblemCount(
                    problem: p.problem,
                    samples: 100,
                    correct: Simulation.hypergeometric(draw: 100, samples: p.samples, correct: p.correct, &rng)
                )
            }
            return h
        }
        let fitted = draw.map { !$0.allZero }
        let fit = SuccessDistributionFitter.fit(.crossed, groups: draw.filter { !$0.allZero }.map(\.problems))
        let (grid, curves, forecastCurves) = LevelPooling.levelCurves(groups: draw, fitted: fitted, fit: fit, ks: [k])
        // ℓ_j(v) is the crossed likelihood as a function of ln b_j with the rest fixed: its grid
        // maximum is the fitted ln b_j to within the 0.1 grid step.
        var f = 0
        for j in draw.indices where fitted[j] {
            let peak = grid[curves[j].indices.max { curves[j][$0] < curves[j][$1] }!]
            #expect(abs(peak - fit.x[1 + f]) <= 0.1 + 1e-9, "\(draw[j].name): peak \(peak), fitted \(fit.x[1 + f])")
            f += 1
        }
        // No correct sample: the curve only rises with b (rarer success), to 0 at the top.
        for j in draw.indices where !fitted[j] {
            #expect(zip(curves[j], curves[j].dropFirst()).allSatisfy { $1 >= $0 - 1e-9 })
            #expect(abs(curves[j].last!) < 1e-3)
        }
        let pooled = LevelPooling.pool(groups: draw, grid: grid, curves: curves, forecastCurves: forecastCurves)
        #expect(pooled.prior.spread > 0 && pooled.prior.covariates.first == "constant")
        #expect(pooled.prior.leaveOneOut.count == 3)
        var errors: [Double] = []
        for j in draw.indices where !fitted[j] {
            let forecast = try #require(pooled.forecasts[j]?.first)
            #expect(
                0 <= forecast.low && forecast.low <= forecast.estimate && forecast.estimate <= forecast.high
                    && forecast.high <= 1
            )
            errors.append(abs(forecast.estimate - (try PassAtK.mean(full[j], k: Int(k)))))
        }
        // scripts/passk-forecast-experiment: 0.046 over seeds 0–2 for the zero-count models (0.049
        // when they are forecast as 0, 0.045 and 0.046 over seeds 0–9).
        #expect(errors.reduce(0, +) / Double(errors.count) < 0.08)
        #expect(pooled.forecasts.enumerated().allSatisfy { ($1 == nil) == fitted[$0] })
    }
}
