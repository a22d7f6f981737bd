// swift-tools-version: 6.2
//
// t2 — train-to-test compute planning. See README.md and docs/ARCHITECTURE.md.
//
// Dependencies point one way: the math targets (Optimization, ScalingLaws, InferenceCost,
// Planning) import no CLI, HTTP or server stack; only LoadTesting imports AsyncHTTPClient/NIO;
// only T2Commands imports ArgumentParser.

import Foundation
import PackageDescription

/// `scripts/test` (and so CI) sets `T2_WARNINGS_AS_ERRORS=1`: every warning in our own targets fails
/// the build there, while a newer compiler's new warnings never break a user's `swift run`.
let warningsAsErrors = ProcessInfo.processInfo.environment["T2_WARNINGS_AS_ERRORS"] != nil

let swiftSettings: [SwiftSetting] =
    [.enableUpcomingFeature("ExistentialAny")]
    + (warningsAsErrors ? [.treatAllWarnings(as: .error)] : [])

let package = Package(
    name: "t2",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "t2", targets: ["t2"]),
        .library(name: "Optimization", targets: ["Optimization"]),
        .library(name: "ScalingLaws", targets: ["ScalingLaws"]),
        .library(name: "InferenceCost", targets: ["InferenceCost"]),
        .library(name: "Planning", targets: ["Planning"]),
        .library(name: "LoadTesting", targets: ["LoadTesting"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.1.1"),
        .package(url: "https://github.com/yaslab/CSV.swift", from: "2.5.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
    ],
    targets: [
        // Numerical kernels: L-BFGS with a strong-Wolfe line search, root finding, special
        // functions, seeded random numbers. Depends on nothing but swift-numerics.
        .target(
            name: "Optimization",
            dependencies: [.product(name: "RealModule", package: "swift-numerics")],
            swiftSettings: swiftSettings
        ),
        // The fits' vector inner loops in C: one binary carries an AVX2 + FMA build of each kernel
        // beside the portable one and picks at run time (Swift has no per-function target flags).
        .target(name: "FitKernels"),
        // CSV input with errors that name file, row and column.
        .target(
            name: "Tabular",
            dependencies: [.product(name: "CSV", package: "CSV.swift")],
            swiftSettings: swiftSettings
        ),
        // Law forms (Chinchilla, T² loss, T² accuracy), fitting, bootstrap, pass@k.
        .target(
            name: "ScalingLaws",
            dependencies: ["Optimization", "Tabular", "FitKernels"],
            swiftSettings: swiftSettings
        ),
        // Hardware / model / quantization / engine catalogs and the roofline cost model.
        .target(
            name: "InferenceCost",
            dependencies: ["Optimization", "Tabular"],
            swiftSettings: swiftSettings
        ),
        // The T² joint optimizer over (N, D, k) and, in dollars, hardware and quantization.
        .target(
            name: "Planning",
            dependencies: ["Optimization", "ScalingLaws", "InferenceCost"],
            swiftSettings: swiftSettings
        ),
        // OpenAI-compatible load generation and repeated sampling.
        .target(
            name: "LoadTesting",
            // A lean NIO HTTP/1.1 client rather than AsyncHTTPClient: per-request overhead is the
            // load generator's ceiling (docs/bench.md, scripts/compare-client-ceiling).
            dependencies: [
                "Tabular", "Optimization",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            swiftSettings: swiftSettings
        ),
        // One file per subcommand: parse, call a library, render.
        .target(
            name: "T2Commands",
            dependencies: [
                "Optimization", "Tabular", "ScalingLaws", "InferenceCost", "Planning", "LoadTesting",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(name: "t2", dependencies: ["T2Commands"], swiftSettings: swiftSettings),

        .testTarget(
            name: "OptimizationTests",
            dependencies: ["Optimization"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ScalingLawsTests",
            dependencies: ["ScalingLaws", "Tabular"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "InferenceCostTests",
            dependencies: ["InferenceCost", "Tabular"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PlanningTests",
            dependencies: ["Planning", "ScalingLaws", "InferenceCost"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LoadTestingTests",
            dependencies: [
                "LoadTesting", "Tabular",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "T2CommandsTests",
            dependencies: ["T2Commands", "ScalingLaws", "Tabular"],
            swiftSettings: swiftSettings
        ),
    ]
)
