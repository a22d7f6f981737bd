// swift-tools-version: 6.2
//
// Micro-benchmarks (ordo-one/package-benchmark), kept out of the main package so that the
// benchmark harness never enters t2's dependency graph.
//
//   cd Benchmarks && swift package benchmark            # all
//   cd Benchmarks && swift package benchmark --target FitBenchmarks
//   cd Benchmarks && swift package benchmark --target ReportBenchmarks
import PackageDescription

let package = Package(
    name: "t2-benchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "t2", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "FitBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "ScalingLaws", package: "t2"),
                .product(name: "Optimization", package: "t2"),
            ],
            path: "Benchmarks/FitBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "CostBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "InferenceCost", package: "t2"),
            ],
            path: "Benchmarks/CostBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "PlanBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Planning", package: "t2"),
                .product(name: "ScalingLaws", package: "t2"),
                .product(name: "InferenceCost", package: "t2"),
            ],
            path: "Benchmarks/PlanBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "ReportBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Reports", package: "t2"),
                .product(name: "Planning", package: "t2"),
                .product(name: "ScalingLaws", package: "t2"),
                .product(name: "Tabular", package: "t2"),
            ],
            path: "Benchmarks/ReportBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
