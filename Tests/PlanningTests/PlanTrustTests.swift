import Foundation
import InferenceCost
import Optimization
import Planning
import ScalingLaws
import Testing

@Suite("Data repetition (Muennighoff et al. 2023)")
struct DataRepetitionTests {
    /// The parametric fit in the datablations README (github.com/huggingface/datablations, "Parametric
    /// Fit"): a, b, e = ln A, ln B, ln E; α = β; R_D* and R_N* — and its two published losses.
    static let datablations = ChinchillaLaw(
        E: Foundation.exp(0.6254804),
        A: Foundation.exp(6.255414),
        B: Foundation.exp(7.3049974),
        alpha: 0.3526596,
        beta: 0.3526596
    )

    static func loss(_ n: Double, _ d: Double, unique u: Double) -> Double {
        let r = DataRepetition(uniqueTokens: u, allocation: datablations)
        return datablations.loss(params: r.effectiveParams(n), tokens: r.effectiveTokens(d))
    }

    @Test("reproduces the two published losses of Figure 1 (right) to 1e-12")
    func publishedValues() {
        #expect(DataRepetition.tokensDecayC4 == 15.387756 && DataRepetition.paramsDecayC4 == 5.309743)
        #expect(abs(Self.loss(6.34e9, 242e9, unique: 25e9) - 2.2256440889984477) < 1e-12)
        #expect(abs(Self.loss(8.67e9, 178e9, unique: 25e9) - 2.2269634075087867) < 1e-12)
        // "This one is better": more epochs on a smaller model wins at the same compute.
        #expect(Self.loss(6.34e9, 242e9, unique: 25e9) < Self.loss(8.67e9, 178e9, unique: 25e9))
    }

    @Test("one epoch is fresh data; repeats are worth less and saturate at U·(1 + R_D*)")
    func shape() {
        let r = DataRepetition(uniqueTokens: 1e12, allocation: nil)
        #expect(r.effectiveTokens(5e11) == 5e11)
        #expect(r.effectiveTokens(1e12) == 1e12)
        // four epochs are worth 3.73 epochs of fresh data (the paper: "negligible" loss change up to ~4)
        #expect(abs(r.effectiveTokens(4e12) / 1e12 - 3.7256) < 1e-3)
        var previous = 0.0
        for epochs in [1.0, 2, 4, 8, 16, 64, 1_000, 1e6] {
            let d = r.effectiveTokens(epochs * 1e12)
            #expect(epochs > 64 ? d >= previous : d > previous)
            #expect(d <= epochs * 1e12 * (1 + 1e-12))
            previous = d
        }
        #expect(abs(previous / (1e12 * (1 + DataRepetition.tokensDecayC4)) - 1) < 1e-9)
        // no parameter discount without an allocation law, or below N_opt(U)
        #expect(r.effectiveParams(1e15) == 1e15)
        let withLaw = DataRepetition(uniqueTokens: 25e9, allocation: Self.datablations)
        #expect(withLaw.effectiveParams(1e9) == 1e9)
        #expect(withLaw.effectiveParams(1e11) < 1e11)
    }
}

@Suite("Planner: search range, monotonicity and intervals")
struct PlanTrustTests {
    static func builtIn() throws -> PlanRequest {
        PlanRequest(
            law: BuiltInPlanLaw.file,
            lawSource: "built-in",
            budget: .separate(trainFLOPs: 2.56e19, inferenceFLOPs: 2e9)
        )
    }

    static let budgets: [PlanBudget] = [
        .separate(trainFLOPs: 2.56e19, inferenceFLOPs: 2e9),
        .separate(trainFLOPs: 1e22, inferenceFLOPs: 3e10),
        .lifetime(flops: 1e22, queries: 1e9, tokensPerSample: 256),
        .lifetime(flops: 1e24, queries: 1e10, tokensPerSample: 256),
    ]

    @Test("more budget is never worse: separate and lifetime, range-limited or not, with and without unique tokens")
    func monotone() throws {
        for template in Self.budgets {
            for limited in [true, false] {
                for unique in [nil, 1e12] as [Double?] {
                    var previous = -Double.infinity
                    for amount in stride(from: 0.0, through: 3, by: 0.5).map({
                        template.amount * Foundation.pow(10, $0)
                    }) {
                        var request = try Self.builtIn()
                        request.budget = template.with(amount: amount)
                        request.allowExtrapolation = !limited
                        request.uniqueTokens = unique
                        request.maxReplicates = 0
                        let plan = try PlanReport.make(request).plan
                        let pass = try #require(plan.predicted.passAtK)
                        #expect(
                            pass >= previous - 1e-9,
                            "\(template.mode) ×\(amount / template.amount) limited \(limited) U \(unique ?? 0): \(pass) < \(previous)"
                        )
                        previous = pass
                    }
                }
            }
        }
    }

    @Test(
        "the plan lies in the widened fitted range unless --allow-extrapolation, and is no better than the unconstrained optimum"
    )
    func range() throws {
        for template in Self.budgets {
            for amount in [1.0, 100, 1e4].map({ template.amount * $0 }) {
                var request = try Self.builtIn()
                request.budget = template.with(amount: amount)
                request.maxReplicates = 0
                let report = try PlanReport.make(request)
                let widened = try #require(request.searchRange)
                if !report.search.rangeInfeasible {
                    #expect(widened.contains(params: report.plan.params, tokens: report.plan.tokens))
                    #expect(report.plan.inFittedRange == true)
                }
                let free = try #require(report.unconstrained)
                #expect(free.predicted.taskLoss <= report.plan.predicted.taskLoss + 1e-9)
                #expect(report.unconstrainedDiffers == !widened.contains(params: free.params, tokens: free.tokens))
                // --allow-extrapolation returns the unconstrained optimum itself
                request.allowExtrapolation = true
                let extrapolated = try PlanReport.make(request)
                #expect(extrapolated.plan.params == free.params && extrapolated.plan.samples == free.samples)
                #expect(extrapolated.unconstrained == nil)
            }
        }
    }

    @Test("a smaller range factor never gives a better plan")
    func rangeFactor() throws {
        var request = try Self.builtIn()
        request.budget = .lifetime(flops: 1e23, queries: 1e9, tokensPerSample: 256)
        request.maxReplicates = 0
        var previous = Double.infinity
        for factor in [1.0, 2, 4, 16, 256] {
            request.rangeFactor = factor
            let loss = try PlanReport.make(request).plan.predicted.taskLoss
            #expect(loss <= previous + 1e-9, "factor \(factor)")
            previous = loss
        }
    }

    @Test(
        "intervals from the built-in law's replicates contain the point estimate",
        arguments: [
            PlanBudget.separate(trainFLOPs: 2.56e19, inferenceFLOPs: 2e9),
            .lifetime(flops: 1e22, queries: 1e9, tokensPerSample: 256),
            .lifetime(flops: 1e24, queries: 1e10, tokensPerSample: 256),
        ]
    )
    func intervalsContainPoint(budget: PlanBudget) throws {
        var request = try Self.builtIn()
        request.budget = budget
        let plan = try PlanReport.make(request).plan
        let iv = try #require(plan.intervals)
        #expect(iv.replicates >= 150, "\(iv.skipped) skipped")
        func contains(_ v: [Double], _ x: Double, _ name: String) {
            #expect(v[0] <= x * (1 + 1e-9) && x <= v[1] * (1 + 1e-9), "\(name) \(x) outside \(v)")
        }
        contains(iv.params, plan.params, "N")
        contains(iv.tokens, plan.tokens, "D")
        contains(iv.k, Double(plan.samples), "k")
        contains(iv.metric, try #require(plan.predicted.passAtK), "pass@k")
        contains(iv.cost, plan.totalCost, "cost")
    }

    @Test("dollars: the intervals include cost, and the built-in law's $1e6 plan stays in range")
    func dollars() throws {
        var request = try Self.builtIn()
        request.budget = .dollars(usd: 1e6, queries: 1e9, tokensPerSample: 256, promptTokens: 0)
        request.pricing = try DollarPricing(
            training: TrainingPricing(hardware: "toy", usdPerGPUHour: 2.5, peakFLOPs: 989e12, mfu: 0.4),
            serving: ToyPricing()
        )
        request.maxReplicates = 50
        let report = try PlanReport.make(request)
        #expect(report.plan.inFittedRange == true)
        let iv = try #require(report.plan.intervals)
        #expect(iv.cost[0] <= report.plan.totalCost * (1 + 1e-6) && report.plan.totalCost <= iv.cost[1] * (1 + 1e-6))
    }
}
