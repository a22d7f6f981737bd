import Benchmark
import InferenceCost

/// The planner's inner loop: every built-in hardware × model × quantization × concurrency
/// (10⁵ deployments per iteration), names resolved once, then pure roofline arithmetic.
struct Sweep {
    let shapes: [ModelShape]
    let setups: [ResolvedSetup]
    let loads: [Concurrency] = [.fixed(1), .fixed(8), .fixed(64), .max]
    let count: Int

    init(target: Int) throws {
        let model = CostModel()
        shapes = model.catalog.models.map(ModelShape.init)
        var setups: [ResolvedSetup] = []
        for hardware in model.catalog.hardware {
            for quant in model.catalog.quantizations {
                guard let engine = model.catalog.defaultEngine(for: hardware, quant: quant) else { continue }
                setups.append(try model.resolve(quant: quant, hardware: hardware, engine: engine, gpus: 1).0)
            }
        }
        self.setups = setups
        count = target
    }

    /// Prices `count` deployments cycling through the grid; returns a checksum so that nothing is optimised away.
    func run() -> Double {
        var total = 0.0
        var i = 0
        outer: while true {
            for setup in setups {
                for shape in shapes {
                    for load in loads {
                        let r = Roofline.evaluate(shape, setup, concurrency: load, inputTokens: 1024, outputTokens: 256)
                        total += r.fits ? r.outputTokensPerSecond : 0
                        i += 1
                        if i == count { break outer }
                    }
                }
            }
        }
        return total
    }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark(
        "sweep 100k deployments (hardware × models × quants × concurrency)",
        configuration: .init(
            metrics: [.wallClock, .mallocCountTotal, .throughput],
            maxDuration: .seconds(5),
            maxIterations: 50
        )
    ) { benchmark in
        let sweep = try Sweep(target: 100_000)
        benchmark.startMeasurement()
        blackHole(sweep.run())
    }

    Benchmark(
        "price a Llama-shaped model (planner fast path), 100k sizes",
        configuration: .init(metrics: [.wallClock, .mallocCountTotal], maxDuration: .seconds(5), maxIterations: 50)
    ) { benchmark in
        let pricer = try CostModel().pricer(quant: "fp8", hardware: "h100-sxm", engine: "vllm")
        benchmark.startMeasurement()
        var total = 0.0
        for i in 0..<100_000 {
            let params = 1e8 * Double(1 + i % 4000)
            total +=
                pricer.price(params: params, concurrency: .max, inputTokens: 1000, outputTokens: 500)
                .usdPerMillionOutputTokens
        }
        blackHole(total)
    }

    Benchmark(
        "estimate() one named deployment (full path)",
        configuration: .init(metrics: [.wallClock, .mallocCountTotal], maxDuration: .seconds(5), maxIterations: 10_000)
    ) { benchmark in
        let model = CostModel()
        let deployment = try model.deployment(model: "llama-3-70b", quant: "q4_k_m", hardware: "m3-max-40c-64gb")
        benchmark.startMeasurement()
        blackHole(try model.estimate(deployment))
    }
}
