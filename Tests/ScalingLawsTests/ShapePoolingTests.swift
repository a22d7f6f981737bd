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
    /// (ln a_0, ln a_1, ln a_2, ln b_0, ln b_1, ln b_2, ln α, μ, β).
    static let theta = [
        Double.log(0.5), Double.log(0.9), Double.log(1.4), Double.log(300), Double.log(2e4), Double.log(50),
        Double.log(0.45), Double.log(0.8), 0.3,
    ]

    static func gradient(_ objective: CrossedObjective, _ x: [Double]) -> [Double] {
        var g = [Double](repeating: 0, count: x.count)
        _ = x.withUnsafeBufferPointer { xb in
            g.withUnsafeMutableBufferPointer { objective.valueAndGradient(at: xb, gradient: $0) }
        }
        return g
    }

    @Test(
        "gradient and Louis-identity Hessian match central differences (shared shape, per-group shapes without and with the strength slope, weights 0, 1, 2)",
        arguments: [(0.0, nil), (0.7, nil), (0.7, 1.3)] as [(Double, Double?)]
    )
    func derivatives(spread: Double, slope: Double?) throws {
        let groups = CrossedBetaBinomialTests.smallGroups()
        let alignment = ProblemAlignment(groups)
        let weights = alignment.index.map { $0.map { Double($0 % 3) } }
        let objective =
            spread == 0
            ? CrossedObjective(groups: groups, weights: weights)
            : CrossedObjective(groups: groups, weights: weights, shape: .perGroup(spread: spread, slope: slope))
        if slope != nil {
            // The covariate is the groups' standardised strength: mean 0, standard deviation 1.
            let x = objective.shapeCovariate
            #expect(abs(x.reduce(0, +)) < 1e-12 && abs(x.reduce(0) { $0 + $1 * $1 } / Double(x.count) - 1) < 1e-12)
        }
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

    /// Simulates the crossed model with one shape per group: e^{u_i} ~ Gamma(α),
    /// p_ij ~ Beta(a_j, b_j e^{−u_i}), c_ij ~ Binomial(n, p_ij). Returns the counts and the exact
    /// pass@k of each group over its problems' true p.
    static func simulate(
        shapes: [Double],
        levels: [Double],
        alpha: Double,
        problems: Int,
        samples: Int,
        k: Double,
        seed: UInt64
    ) -> (groups: [CountGroup], truth: [Double]) {
        var rng = SeededGenerator(seed: seed)
        var counts = [[ProblemCount]](repeating: [], count: shapes.count)
        var truth = [Double](repeating: 0, count: shapes.count)
        for i in 0..<problems {
            let effect = Simulation.gamma(alpha, &rng)
            for j in shapes.indices {
                let p = Simulation.beta(shapes[j], levels[j] / effect, &rng)
                truth[j] += -Foundation.expm1(k * Foundation.log1p(-min(p, 1 - 1e-16))) / Double(problems)
                counts[j].append(
                    ProblemCount(problem: "q\(i)", samples: samples, correct: Simulation.binomial(samples, p, &rng))
                )
            }
        }
        return (counts.enumerated().map { CountGroup(name: "m\($0)", problems: $1) }, truth)
    }

    /// Levels b_j that give each group the mean success m_j: E[p] ≈ a_j·E[e^u]/b_j = a_j·α/b_j.
    static func levels(shapes: [Double], alpha: Double, means: [Double]) -> [Double] {
        zip(shapes, means).map { $0 * alpha / $1 }
    }

    @Test(
        "the marginal likelihood picks a small spread and no slope when the groups share one shape, and explains differing shapes by a large spread or the slope on strength"
    )
    func spreadChoice() throws {
        // A light problem tail (α = 3) so that each group's own shape a_j sets its left tail.
        let means = [0.003, 0.005, 0.01, 0.02, 0.03, 0.05, 0.07, 0.1]
        let sameShapes = [Double](repeating: 0.8, count: 8)
        let differentShapes = [0.15, 0.25, 0.4, 0.7, 1.2, 2, 3.5, 6]
        let shared = Self.simulate(
            shapes: sameShapes,
            levels: Self.levels(shapes: sameShapes, alpha: 3, means: means),
            alpha: 3,
            problems: 200,
            samples: 500,
            k: 1e4,
            seed: 11
        )
        let differ = Self.simulate(
            shapes: differentShapes,
            levels: Self.levels(shapes: differentShapes, alpha: 3, means: means),
            alpha: 3,
            problems: 200,
            samples: 500,
            k: 1e4,
            seed: 11
        )
        let a = CrossedShapePooling.fit(groups: shared.groups.map(\.problems))
        let b = CrossedShapePooling.fit(groups: differ.groups.map(\.problems))
        #expect(
            a.prior.spread <= 0.5 && a.prior.slopeProbability < 0.5,
            "shared shape: τ = \(a.prior.spread), \(a.prior.logMarginal), P(slope) \(a.prior.slopeProbability)"
        )
        // These shapes rise with the groups' means, so the slope takes up what a spread would.
        #expect(
            b.prior.spread >= 1 || (b.prior.slopeProbability > 0.9 && b.prior.slope > 0),
            "differing shapes: τ = \(b.prior.spread), \(b.prior.logMarginal), β \(b.prior.slope)"
        )
        // With differing shapes the fitted a_j follow the truth: Kendall's τ of the order ≥ 0.7.
        let fitted = b.fit.distributions.map(\.a)
        var concordant = 0
        var pairs = 0
        for i in fitted.indices {
            for j in (i + 1)..<fitted.count {
                pairs += 1
                concordant += fitted[i] < fitted[j] ? 1 : -1
            }
        }
        #expect(Double(concordant) / Double(pairs) >= 0.7, "fitted shapes \(fitted)")
    }

    @Test("data simulated with model-dependent shapes: pass@10⁴ from 100 samples, error and 90% interval coverage")
    func simulatedForecasts() throws {
        let k = 10_000.0
        var errors: [Double] = []
        var sharedErrors: [Double] = []
        var inside = 0
        var total = 0
        var widths: [Double] = []
        for seed in UInt64(1)...4 {
            let shapes = [0.12, 0.2, 0.35, 0.6, 1.0, 1.7, 3.0, 5.0]
            let sim = Self.simulate(
                shapes: shapes,
                levels: Self.levels(
                    shapes: shapes,
                    alpha: 0.6,
                    means: [0.002, 0.003, 0.005, 0.01, 0.02, 0.04, 0.07, 0.1]
                ),
                alpha: 0.6,
                problems: 128,
                samples: 100,
                k: k,
                seed: 100 + seed
            )
            let report = try PasskAnalysis.run(
                groups: sim.groups,
                ks: nil,
                forecastKs: [Int(k)],
                bootstrap: 200,
                seed: seed
            )
            let shared = try PasskAnalysis.run(
                groups: sim.groups,
                ks: nil,
                forecastKs: [Int(k)],
                family: .fixed(.crossed),
                bootstrap: 0,
                seed: seed
            )
            for (j, g) in report.groups.enumerated() {
                guard let f = g.forecast["10000"], let interval = f.interval else { continue }
                let truth = sim.truth[j]
                errors.append(abs(f.estimate - truth))
                sharedErrors.append(abs((shared.groups[j].forecast["10000"]?.estimate ?? .nan) - truth))
                total += 1
                if interval[0] <= truth && truth <= interval[1] { inside += 1 }
                widths.append(interval[1] - interval[0])
            }
        }
        let mae = errors.reduce(0, +) / Double(errors.count)
        let sharedMAE = sharedErrors.reduce(0, +) / Double(sharedErrors.count)
        let coverage = Double(inside) / Double(total)
        let width = widths.reduce(0, +) / Double(widths.count)
        // Measured: MAE 0.036 (one shared shape: 0.128), coverage 0.94, mean width 0.19 over 32 model-draws.
        #expect(total >= 28)
        #expect(mae < 0.05, "MAE \(mae), shared \(sharedMAE), coverage \(coverage), width \(width)")
        #expect(mae < sharedMAE, "pooled \(mae) vs one shared shape \(sharedMAE)")
        #expect(coverage >= 0.75, "coverage \(coverage) over \(total)")
        #expect(width < 0.35, "mean width \(width)")
    }

    @Test(
        "Newton's returned state is its optimum's: the Hessian from it equals the Hessian recomputed at x̂, bit for bit"
    )
    func newtonState() throws {
        let groups = CrossedBetaBinomialTests.smallGroups()
        let objective = CrossedObjective(groups: groups, shape: .perGroup(spread: 0.7, slope: 1))
        let start = CrossedShapePooling.expand(shared: CrossedBetaBinomialTests.theta, groups: groups.count)
        let (r, state) = CrossedShapePooling.newton(objective, from: start, options: CrossedShapePooling.options)
        #expect(r.status.isConverged && r.value < objective.value(at: start))
        let kept = try #require(state)
        #expect(objective.hessian(kept) == objective.hessian(at: r.x))
        var g = [Double](repeating: 0, count: r.x.count)
        let value = r.x.withUnsafeBufferPointer { xb in
            g.withUnsafeMutableBufferPointer { objective.valueAndGradient(kept, at: xb, gradient: $0) }
        }
        #expect(value == r.value && value == objective.value(at: r.x))
    }

    @Test(
        "the independent-problems alternative: its analytic Hessian (trigamma differences) matches central differences of its gradient",
        arguments: [0.25, 2.0]
    )
    func independentHessian(spread: Double) throws {
        let model = IndependentPooling(groups: CrossedBetaBinomialTests.smallGroups())
        let objective = IndependentPooling.Objective(model: model, spread: spread)
        // (ln a_0, ln a_1, ln a_2, ln b_0, ln b_1, ln b_2, μ); group 1 has n = 10⁶ on some problems.
        let x = [
            Double.log(0.5), Double.log(0.9), Double.log(1.4), Double.log(300), Double.log(2e4), Double.log(50), -0.2,
        ]
        func gradient(_ x: [Double]) -> [Double] {
            var g = [Double](repeating: 0, count: x.count)
            _ = x.withUnsafeBufferPointer { xb in
                g.withUnsafeMutableBufferPointer { objective.valueAndGradient(at: xb, gradient: $0) }
            }
            return g
        }
        let h = IndependentPooling.hessian(objective, at: x)
        for j in x.indices {
            var xp = x
            var xm = x
            xp[j] += 1e-5
            xm[j] -= 1e-5
            let (gp, gm) = (gradient(xp), gradient(xm))
            for i in x.indices {
                let numeric = (gp[i] - gm[i]) / 2e-5
                #expect(
                    abs(numeric - h[i][j]) < 1e-5 * max(1, abs(h[i][j])),
                    "∂²/∂θ\(i)∂θ\(j): analytic \(h[i][j]), numeric \(numeric)"
                )
                #expect(h[i][j] == h[j][i])
            }
        }
    }

    /// Groups whose shapes a_j follow `shapes`, with mean success rising from 0.002 to 0.1.
    static func trend(_ shapes: [Double], seed: UInt64) -> (groups: [CountGroup], truth: [Double]) {
        let means = [0.002, 0.003, 0.005, 0.01, 0.02, 0.04, 0.07, 0.1]
        return simulate(
            shapes: shapes,
            levels: levels(shapes: shapes, alpha: 0.6, means: means),
            alpha: 0.6,
            problems: 128,
            samples: 100,
            k: 1e4,
            seed: seed
        )
    }

    @Test(
        "the slope on strength: taken (β of the right sign) when the shapes trend with strength, declined by the Occam factor when all groups share one shape"
    )
    func slopeChoice() throws {
        let rising = [0.12, 0.2, 0.35, 0.6, 1.0, 1.7, 3.0, 5.0]
        for seed in UInt64(1)...3 {
            let up = CrossedShapePooling.fit(groups: Self.trend(rising, seed: seed).groups.map(\.problems)).prior
            #expect(up.slopeProbability > 0.9 && up.slope > 0 && up.slopeScale == 1, "rising: \(up)")
            let down = CrossedShapePooling.fit(groups: Self.trend(rising.reversed(), seed: seed).groups.map(\.problems))
                .prior
            #expect(down.slopeProbability > 0.9 && down.slope < 0, "falling: \(down)")
            let same = CrossedShapePooling.fit(
                groups: Self.trend([Double](repeating: 0.6, count: 8), seed: seed).groups.map(\.problems)
            ).prior
            #expect(same.slopeProbability < 0.5 && same.slopeScale == nil && same.slope == 0, "one shape: \(same)")
            // Two groups: a line through two shapes is two free shapes, which the spread covers.
            let two = CrossedShapePooling.fit(groups: Self.trend(rising, seed: seed).groups.prefix(2).map(\.problems))
            #expect(two.prior.slopeProbability == 0 && two.candidates.allSatisfy { $0.slope == nil })
            #expect(!two.prior.slopeTried && up.slopeTried)
        }
    }

    /// Twin data sets whose counts agree but whose truth does not: 25% of the problems are dead
    /// (p = 0 for every model) in one and merely hard (p = 10⁻⁴, pass@10⁴ = 0.63 each) in the
    /// other; every other count is the same draw. Returns both, with the exact pass@10⁴.
    static func twins(
        seed: UInt64
    ) -> (dead: [CountGroup], hard: [CountGroup], truthDead: [Double], truthHard: [Double]) {
        let shapes = [Double](repeating: 0.6, count: 8)
        let means = [0.002, 0.003, 0.005, 0.01, 0.02, 0.04, 0.07, 0.1]
        let levels = Self.levels(shapes: shapes, alpha: 0.6, means: means)
        var rng = SeededGenerator(seed: seed)
        var hardRng = SeededGenerator(seed: seed &+ 1_000_003)
        let problems = 128
        var dead = [[ProblemCount]](repeating: [], count: shapes.count)
        var hard = dead
        var truthDead = [Double](repeating: 0, count: shapes.count)
        var truthHard = truthDead
        let hardPass = -Foundation.expm1(1e4 * Foundation.log1p(-1e-4))
        for i in 0..<problems {
            let isDead = rng.nextUniform() < 0.25
            let effect = Simulation.gamma(0.6, &rng)
            for j in shapes.indices {
                let p = Simulation.beta(shapes[j], levels[j] / effect, &rng)
                let c = Simulation.binomial(100, p, &rng)
                let alive = -Foundation.expm1(1e4 * Foundation.log1p(-min(p, 1 - 1e-16)))
                truthDead[j] += (isDead ? 0 : alive) / Double(problems)
                truthHard[j] += (isDead ? hardPass : alive) / Double(problems)
                dead[j].append(ProblemCount(problem: "q\(i)", samples: 100, correct: isDead ? 0 : c))
                hard[j].append(
                    ProblemCount(
                        problem: "q\(i)",
                        samples: 100,
                        correct: isDead ? Simulation.binomial(100, 1e-4, &hardRng) : c
                    )
                )
            }
        }
        func groups(_ g: [[ProblemCount]]) -> [CountGroup] {
            g.enumerated().map { CountGroup(name: "m\($0)", problems: $1) }
        }
        return (groups(dead), groups(hard), truthDead, truthHard)
    }

    @Test(
        "past the counts' horizon the counts cannot tell dead problems from hard ones: twins with equal counts and truths 0.1 apart get the same forecast, marked and noted"
    )
    func countsHorizonTwins() throws {
        for seed in UInt64(1)...2 {
            let t = Self.twins(seed: seed)
            func forecasts(_ groups: [CountGroup]) throws -> (values: [String: Double], report: PasskReport) {
                let r = try PasskAnalysis.run(groups: groups, ks: nil, forecastKs: [10_000], bootstrap: 0, seed: 0)
                var values: [String: Double] = [:]
                for g in r.groups { if let f = g.forecast["10000"] { values[g.group] = f.estimate } }
                return (values, r)
            }
            let (dead, deadReport) = try forecasts(t.dead)
            let (hard, _) = try forecasts(t.hard)
            let scored = dead.keys.filter { hard[$0] != nil }.sorted()
            #expect(scored.count >= 6, "groups forecast in both: \(scored)")
            var forecastGap = 0.0
            var truthGap = 0.0
            for name in scored {
                let j = Int(name.dropFirst())!
                forecastGap += abs(dead[name]! - hard[name]!) / Double(scored.count)
                truthGap += (t.truthHard[j] - t.truthDead[j]) / Double(scored.count)
            }
            #expect(truthGap > 0.1, "truths differ by \(truthGap)")
            #expect(forecastGap < truthGap / 3, "forecasts differ by \(forecastGap), truths by \(truthGap)")
            for g in deadReport.groups { if let f = g.forecast["10000"] { #expect(f.beyondCounts == 1) } }
            #expect(
                deadReport.notes.contains {
                    $0.hasPrefix("pass@10000 is past the counts' horizon for \(dead.count) of")
                }
            )
        }
    }

    @Test("the posterior draws are seeded: the same seed gives the same intervals, another seed other ones")
    func seededDraws() throws {
        let sim = Self.simulate(
            shapes: [0.3, 0.6, 1.2],
            levels: [60, 30, 15],
            alpha: 0.6,
            problems: 60,
            samples: 100,
            k: 1e4,
            seed: 5
        )
        func interval(_ seed: UInt64) throws -> [Double] {
            let r = try PasskAnalysis.run(groups: sim.groups, ks: nil, forecastKs: [10_000], bootstrap: 60, seed: seed)
            return r.groups.flatMap { $0.forecast["10000"]?.interval ?? [] }
        }
        let first = try interval(1)
        #expect(first.count == 6)
        #expect(try interval(1) == first)
        #expect(try interval(2) != first)
    }
}

extension ShapePoolingTests {
    @Test("progress: no stage reports more done than its total, and the τ grid ends at its total")
    func progressCounts() throws {
        let groups = try CountsReader.read(CSVTable(contentsOf: Fixtures.path("pythia_math_counts.csv")))
        let seen = Locked<[PasskProgress]>([])
        _ = try PasskAnalysis.run(
            groups: Array(groups.prefix(3)),
            ks: [1, 10],
            forecastKs: [1000],
            bootstrap: 20,
            seed: 0
        ) { p in seen.withLock { $0.append(p) } }
        let reports = seen.withLock { $0 }
        let over = reports.filter { $0.completed > $0.total }
        #expect(over.isEmpty, "\(over)")
        let grid = reports.filter { $0.stage.hasPrefix("fitting shapes") }
        #expect(!grid.isEmpty && grid.map(\.completed).max() == grid.first?.total)
        #expect(reports.contains { $0.stage.hasPrefix("intervals") })
    }
}

/// The backtest of scripts/passk-backtest on the two real data sets, in Swift with its own seeded
/// draws: 100 samples per problem drawn without replacement from the full counts, pass@10,000
/// forecast by the default family and compared with the unbiased estimate on the full counts.
@Suite("Default family backtested on real repeated-sampling data")
struct DefaultFamilyBacktestTests {
    /// Groups with ≥ 100 problems sampled ≥ 10,000 times (only those problems) of a fixture.
    static func full(_ name: String) throws -> [CountGroup] {
        try CountsReader.read(CSVTable(contentsOf: Fixtures.path(name))).map { g in
            var h = g
            h.problems = g.problems.filter { $0.samples >= 10_000 }
            return h
        }.filter { $0.problems.count >= 100 }
    }

    /// MAE at k = 10⁴ of the default family, of the one-shape crossed family and of the default's
    /// prior without the slope on strength, and the default interval's hits, over `seeds` draws.
    static func backtest(
        _ name: String,
        seeds: ClosedRange<UInt64>
    ) throws -> (
        mae: Double, sharedMAE: Double, noSlopeMAE: Double, inside: Int, total: Int
    ) {
        let full = try full(name)
        var errors: [Double] = []
        var shared: [Double] = []
        var noSlope: [Double] = []
        var inside = 0
        for seed in seeds {
            var rng = SeededGenerator(seed: seed)
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
            let report = try PasskAnalysis.run(
                groups: draw,
                ks: [1, 10, 100],
                forecastKs: [10_000],
                bootstrap: 200,
                seed: seed
            )
            let crossed = try PasskAnalysis.run(
                groups: draw,
                ks: [1, 10, 100],
                forecastKs: [10_000],
                family: .fixed(.crossed),
                bootstrap: 0,
                seed: seed
            )
            let fitted = draw.filter { $0.problems.contains { $0.correct > 0 } }
            let plain = CrossedShapePooling.fit(groups: fitted.map(\.problems), slopes: [nil]).fit
            let plainForecasts = SuccessDistributionFitter.forecasts(plain, groups: fitted.map(\.problems), ks: [1e4])
            let withoutSlope = Dictionary(uniqueKeysWithValues: zip(fitted.map(\.name), plainForecasts.map { $0[0] }))
            for (j, g) in report.groups.enumerated() {
                guard let f = g.forecast["10000"], let interval = f.interval else { continue }
                let truth = try PassAtK.mean(full[j], k: 10_000)
                errors.append(abs(f.estimate - truth))
                shared.append(abs((crossed.groups[j].forecast["10000"]?.estimate ?? .nan) - truth))
                noSlope.append(abs((withoutSlope[g.group] ?? .nan) - truth))
                if interval[0] <= truth && truth <= interval[1] { inside += 1 }
            }
        }
        func mean(_ e: [Double]) -> Double { e.reduce(0, +) / Double(e.count) }
        return (mean(errors), mean(shared), mean(noSlope), inside, errors.count)
    }

    @Test(
        "MATH (Brown et al. 2024, 7 Pythia models): error within issue 11's 0.06, well below one shape and below the prior without the slope; intervals cover"
    )
    func math() throws {
        let r = try Self.backtest("pythia_math_counts.csv", seeds: 0...2)
        // scripts/passk-backtest (numpy draws, seeds 0-4): 0.044 against 0.116 for one shared shape
        // and 0.072 without the slope; coverage 0.97 at mean width 0.22. These Swift draws: 0.041,
        // one shape 0.095, no slope 0.056, 21 of 21 inside.
        #expect(r.mae < 0.06, "MAE \(r.mae), one shape \(r.sharedMAE), no slope \(r.noSlopeMAE)")
        #expect(r.mae < 0.6 * r.sharedMAE, "MAE \(r.mae), one shape \(r.sharedMAE)")
        #expect(r.mae < 0.85 * r.noSlopeMAE, "MAE \(r.mae), no slope \(r.noSlopeMAE)")
        #expect(Double(r.inside) >= 0.8 * Double(r.total), "\(r.inside) of \(r.total) inside")
    }

    @Test(
        "Pythia GSM8K (40 checkpoints): no worse than one shared shape or than the prior without the slope; intervals cover"
    )
    func gsm8k() throws {
        let r = try Self.backtest("pythia_gsm8k_counts.csv", seeds: 0...5)
        // scripts/passk-backtest (numpy draws, seeds 0-9): 0.086 against 0.086 for one shared shape,
        // draws from 0.056 to 0.143; coverage 0.88 at mean width 0.39 (the slope is declined). These
        // six Swift draws: 0.098, one shape 0.098, no slope 0.098, 84 of 94 inside.
        #expect(r.mae < 0.11, "MAE \(r.mae), one shape \(r.sharedMAE)")
        #expect(r.mae < r.sharedMAE + 0.01, "MAE \(r.mae), one shape \(r.sharedMAE)")
        #expect(r.mae < r.noSlopeMAE + 0.005, "MAE \(r.mae), no slope \(r.noSlopeMAE)")
        #expect(Double(r.inside) >= 0.8 * Double(r.total), "\(r.inside) of \(r.total) inside")
    }
}
