// Micro-benchmarks of the Chinchilla fit: one objective evaluation (240 runs), one L-BFGS start,
// and the full 4,500-start fit. Run: cd Benchmarks && swift package benchmark --target FitBenchmarks
import Benchmark
import Foundation
import Optimization
import ScalingLaws

/// The 240 runs of Epoch AI's Chinchilla data without its 5 highest losses, from the test fixture.
func epochRuns() -> [Run] {
    let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(
            "Tests/Fixtures/chinchilla_epoch.csv"
        ).path
    let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    var runs: [Run] = []
    for line in text.split(separator: "\n").dropFirst() {
        let cells = line.split(separator: ",").compactMap { Double($0) }
        if cells.count == 4 { runs.append(Run(params: cells[0], tokens: cells[1], loss: cells[3])) }
    }
    return Array(runs.sorted { $0.loss > $1.loss }.dropFirst(5))
}

let benchmarks: @Sendable () -> Void = {
    let runs = epochRuns()
    let objective = ChinchillaHuberObjective(runs: runs, delta: 1e-3)
    Benchmark(
        "Huber objective + gradient, 240 runs",
        configuration: .init(metrics: [.wallClock, .cpuTotal], scalingFactor: .kilo)
    ) { benchmark in
        var g = [Double](repeating: 0, count: 5)
        let x = [6.0, 7.6, 0.6, 0.35, 0.37]
        for _ in benchmark.scaledIterations {
            let value = x.withUnsafeBufferPointer { xp in
                g.withUnsafeMutableBufferPointer { objective.valueAndGradient(at: xp, gradient: $0) }
            }
            blackHole(value)
        }
    }
    Benchmark("One L-BFGS start (grid point 2000)", configuration: .init(metrics: [.wallClock, .cpuTotal])) {
        benchmark in
        let start = ChinchillaFitter.hoffmannGrid[2_000]
        for _ in benchmark.scaledIterations {
            blackHole(minimizeLBFGS(objective, from: start, options: ChinchillaFitOptions().optimizer))
        }
    }
    Benchmark(
        "Full 4,500-start fit, all cores",
        configuration: .init(metrics: [.wallClock, .cpuTotal], maxDuration: .seconds(20), maxIterations: 5)
    ) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(ChinchillaFitter.fit(runs))
        }
    }
}
