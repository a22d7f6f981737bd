import Foundation
import Optimization
import Planning
import ScalingLaws
import Testing

/// How often the plan's bootstrap intervals contain the truth, on data simulated from known laws:
/// fit each simulated data set, bootstrap the fit, plan every replicate, and check whether the
/// interval holds the true optimum (N*, D*, k*) — the optimum of the law the data came from — and
/// what the true law predicts for the recommended plan. docs/planning.md reports the figures; the
/// test fails when coverage of a nominal 90% interval drops below 70% (with 40 data sets a
/// calibrated interval falls below that with probability < 0.1%).
@Suite("Plan intervals: coverage on simulated data with known truth")
struct IntervalCoverageTests {
    /// Coverage of each quantity, printed for the docs.
    struct Coverage: CustomStringConvertible {
        var hits: [String: Int] = [:]
        var widths: [String: [Double]] = [:]
        var total = 0
        mutating func check(_ name: String, _ interval: [Double], _ truth: Double) {
            if interval[0] <= truth * (1 + 1e-9) && truth <= interval[1] * (1 + 1e-9) { hits[name, default: 0] += 1 }
            widths[name, default: []].append(interval[1] / max(interval[0], 1e-300))
        }
        func rate(_ name: String) -> Double { Double(hits[name] ?? 0) / Double(max(total, 1)) }
        var description: String {
            widths.keys.sorted().map { name in
                let w = widths[name]!.sorted()
                return "\(name) \(hits[name] ?? 0)/\(total) (median high/low \(String(format: "%.3g", w[w.count / 2])))"
            }.joined(separator: ", ")
        }
    }

    @Test("Chinchilla law, lifetime budget: 90% intervals on N*, D* and the loss cover the truth")
    func chinchilla() throws {
        let truth = ChinchillaLaw.epochRefit
        let budget = PlanBudget.lifetime(flops: 1e21, queries: 1e8, tokensPerSample: 1_000)
        let trueOptimum = try Planner(law: PlanningLaw(.chinchilla(truth))).optimalPlan(budget)
        var options = ChinchillaAnalysis.Options()
        // A 64-start grid around the usual exponents keeps 40 fits fast; the bootstrap warm-starts.
        options.fit.starts = ChinchillaFitter.hoffmannGrid.filter {
            [0.0, 10].contains($0[0]) && [0.0, 10].contains($0[1]) && [0.0, 0.5].contains($0[2])
                && [0.5, 1].contains($0[3]) && [0.5, 1].contains($0[4])
        }
        options.fit.threads = 1
        options.bootstrap = 100
        options.budgets = []
        var coverage = Coverage()
        for dataset in 0..<40 {
            var rng = SeededGenerator(seed: 2026, stream: dataset)
            var runs: [Run] = []
            for n in [2e7, 6e7, 2e8, 6e8, 2e9] {
                for ratio in [5.0, 10, 20, 40, 80, 160] {
                    let d = n * ratio
                    runs.append(
                        Run(
                            params: n,
                            tokens: d,
                            loss: truth.loss(params: n, tokens: d) * Foundation.exp(0.01 * rng.nextNormal())
                        )
                    )
                }
            }
            options.seed = UInt64(dataset)
            let analysis = try ChinchillaAnalysis.run(runs, source: "simulated", options: options)
            let planner = Planner(law: try PlanningLaw(.chinchilla(analysis.fit.law)))
            let plan = try planner.optimalPlan(budget)
            let iv = try #require(
                planner.intervals(around: plan, replicates: analysis.replicates.map { .chinchilla($0) }, budget: budget)
            )
            coverage.total += 1
            coverage.check("N*", iv.params, trueOptimum.params)
            coverage.check("D*", iv.tokens, trueOptimum.tokens)
            coverage.check("loss", iv.metric, truth.loss(params: plan.params, tokens: plan.tokens))
        }
        print("coverage (Chinchilla, lifetime 1e21 FLOPs, 90% intervals): \(coverage)")
        for name in ["N*", "D*", "loss"] { #expect(coverage.rate(name) >= 0.7, "\(coverage)") }
    }

    @Test("T² loss law, separate budgets: 90% intervals on N*, D*, k* and pass@k cover the truth")
    func t2Loss() throws {
        let truth = T2LossLaw(E: 0.6, A: 477.8, B: 2143, alpha: 0.3473, beta: 0.3672, G: 1.5, gamma: 0.4)
        let budget = PlanBudget.separate(trainFLOPs: 1e20, inferenceFLOPs: 2e10)
        let trueOptimum = try Planner(law: PlanningLaw(.t2Loss(truth))).optimalPlan(budget)
        var coverage = Coverage()
        for dataset in 0..<24 {
            var rng = SeededGenerator(seed: 77, stream: dataset)
            var points: [T2LossPoint] = []
            var model = 0
            for n in [2e7, 8e7, 3e8, 1e9] {
                for ratio in [10.0, 40, 160] {
                    model += 1
                    // one noise draw per model (its checkpoint), and a little per k
                    let modelNoise = 0.02 * rng.nextNormal()
                    for k in [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024] {
                        let loss = truth.loss(params: n, tokens: n * ratio, samples: Double(k))
                        let noisy = loss * Foundation.exp(modelNoise + 0.005 * rng.nextNormal())
                        points.append(
                            T2LossPoint(
                                group: "m\(model)",
                                params: n,
                                tokens: n * ratio,
                                k: k,
                                passAtK: Foundation.exp(-noisy)
                            )
                        )
                    }
                }
            }
            let fit = try T2LossFitter.fit(points: points)
            let replicates = T2LossFitter.bootstrap(fit, replicates: 100, seed: UInt64(dataset))
            let planner = Planner(law: try PlanningLaw(.t2Loss(fit.law)))
            let plan = try planner.optimalPlan(budget)
            let iv = try #require(
                planner.intervals(around: plan, replicates: replicates.map { .t2Loss($0) }, budget: budget)
            )
            coverage.total += 1
            coverage.check("N*", iv.params, trueOptimum.params)
            coverage.check("D*", iv.tokens, trueOptimum.tokens)
            coverage.check("k*", iv.k, Double(trueOptimum.samples))
            coverage.check(
                "pass@k",
                iv.metric,
                truth.passAtK(params: plan.params, tokens: plan.tokens, samples: Double(plan.samples))
            )
        }
        print("coverage (T² loss law, separate 1e20 / 2e10 FLOPs, 90% intervals): \(coverage)")
        for name in ["N*", "D*", "k*", "pass@k"] { #expect(coverage.rate(name) >= 0.7, "\(coverage)") }
    }
}
