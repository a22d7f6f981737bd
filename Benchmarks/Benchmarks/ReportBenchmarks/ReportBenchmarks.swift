// t2 report's speed: the whole HTML report (81 pass@k charts with their tables) for the Pythia
// GSM8K passk result (issue 12: "under a second"), and the plan page's two charts.
//
//   cd Benchmarks && swift package benchmark --target ReportBenchmarks
//
// The passk result is computed once in the setup (as `t2 passk Tests/Fixtures/pythia_gsm8k_counts.csv
// --format json` does: the same library call and JSON encoding), so only the report is timed.
import Benchmark
import Foundation
import Planning
import Reports
import ScalingLaws
import Tabular

/// The JSON t2's commands print: sorted keys, pretty, non-finite numbers as strings.
private func encode<T: Encodable>(_ value: T) throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(
        positiveInfinity: "inf",
        negativeInfinity: "-inf",
        nan: "nan"
    )
    return try encoder.encode(value)
}

private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Tests/Fixtures").path

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .mallocCountTotal],
        maxDuration: .seconds(10),
        maxIterations: 30
    )

    var passkJSON = Data()
    Benchmark(
        "report: the whole Pythia GSM8K passk result (81 groups) to HTML",
        configuration: .init(
            setup: {
                let table = try CSVTable(contentsOf: fixtures + "/pythia_gsm8k_counts.csv")
                let groups = try CountsReader.read(table)
                let report = try PasskAnalysis.run(
                    groups: groups,
                    ks: nil,
                    forecastKs: [],
                    family: .recommended,
                    bootstrap: 200,
                    seed: 0
                )
                passkJSON = try encode(report)
            }
        )
    ) { benchmark in
        for _ in benchmark.scaledIterations {
            let input = try ReportInput(source: "pythia_gsm8k_passk.json", data: passkJSON)
            let html = try ReportBuilder.page([input], generator: "t2 benchmark").html()
            blackHole(html)
        }
    }

    Benchmark("report: one plan (metric against k, feasible region) to HTML") { benchmark in
        let law = try PlanningLaw(.t2Accuracy(T2AccuracyLaw.pythiaGSM8K))
        let comparison = try Planner(law: law).plan(.separate(trainFLOPs: 2.56e19, inferenceFLOPs: 2e9))
        let doc = """
            {"law": {"form": "t2-accuracy", "parameters": \(String(decoding: try encode(law.law.parameters), as: UTF8.self))},
             "budget": {"mode": "separate", "train_flops": 2.56e19, "inference_flops_per_token": 2e9},
             "plan": \(String(decoding: try encode(comparison.plan), as: UTF8.self)),
             "chinchilla": \(String(decoding: try encode(comparison.chinchilla), as: UTF8.self))}
            """
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let input = try ReportInput(source: "plan.json", data: Data(doc.utf8))
            blackHole(try ReportBuilder.page([input], generator: "t2 benchmark").html())
        }
    }
}
