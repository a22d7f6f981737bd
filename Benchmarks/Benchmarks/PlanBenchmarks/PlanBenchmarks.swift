// t2 plan's speed: the optimal path over 100 dollar budgets with hardware and quantization free
// (issue 5: "finishes in under a second"), and single plans in each budget mode.
//
//   cd Benchmarks && swift package benchmark --target PlanBenchmarks
import Benchmark
import Foundation
import InferenceCost
import Planning
import ScalingLaws

/// 100 log-spaced amounts from `low` to `high`.
private func amounts(_ low: Double, _ high: Double, _ n: Int = 100) -> [Double] {
    (0..<n).map { i in low * pow(high / low, Double(i) / Double(n - 1)) }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .mallocCountTotal],
        maxDuration: .seconds(10),
        maxIterations: 50
    )

    let law = try! PlanningLaw(.t2Accuracy(T2AccuracyLaw.pythiaGSM8K))
    let planner = Planner(law: law)

    Benchmark("dollar sweep: 100 budgets, hardware any × quant any (pricing tables included)") { benchmark in
        for _ in benchmark.scaledIterations {
            let pricing = try CostModelPlanPricing.make(
                hardware: "any",
                quant: "any",
                engine: nil,
                tokensPerSample: 256,
                promptTokens: 0,
                trainHardware: "h100-sxm",
                trainMFU: 0.4,
                trainUSDPerHour: nil,
                minParams: 1e6
            )
            let path = try planner.sweep(
                .dollars(usd: 1, queries: 1e8, tokensPerSample: 256, promptTokens: 0),
                amounts: amounts(1e3, 1e9),
                pricing: pricing
            )
            blackHole(path)
        }
    }

    Benchmark("separate budgets: one plan at the T² validation budget") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try planner.plan(.separate(trainFLOPs: 2.56e19, inferenceFLOPs: 2e9)))
        }
    }

    Benchmark("lifetime budget: one plan (1e22 FLOPs, 1e9 queries × 256 tokens)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try planner.plan(.lifetime(flops: 1e22, queries: 1e9, tokensPerSample: 256)))
        }
    }
}
