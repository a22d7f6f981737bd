// swift-tools-version: 6.2
//
// t2 — train-to-test compute planning. See README.md and docs/ARCHITECTURE.md.
//
// Dependencies point one way: the math targets (Optimization, ScalingLaws, InferenceCost,
// Planning) import no CLI, HTTP or server stack; only LoadTesting imports SwiftNIO; only the t2
// executable imports ArgumentParser. Every module a target imports is declared here
// (MemberImportVisibility makes the compiler hold us to it).

import Foundation
import PackageDescription

/// `scripts/test` (and so CI) sets `T2_WARNINGS_AS_ERRORS=1`: every warning in our own targets fails
/// the build there, while a newer compiler's new warnings never break a user's `swift run`.
let warningsAsErrors = ProcessInfo.processInfo.environment["T2_WARNINGS_AS_ERRORS"] != nil

let swiftSettings: [SwiftSetting] =
    [
        // https://github.com/apple/swift-evolution/blob/main/proposals/0335-existential-any.md
        .enableUpcomingFeature("ExistentialAny"),
        // https://github.com/apple/swift-evolution/blob/main/proposals/0444-member-import-visibility.md
        .enableUpcomingFeature("MemberImportVisibility"),
    ] + (warningsAsErrors ? [.treatAllWarnings(as: .error)] : [])

let numerics = Target.Dependency.product(name: "RealModule", package: "swift-numerics")

let package = Package(
    name: "t2",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "t2", targets: ["t2"]),
        .library(name: "Optimization", targets: ["Optimization"]),
        .library(name: "Tabular", targets: ["Tabular"]),
        .library(name: "ScalingLaws", targets: ["ScalingLaws"]),
        .library(name: "InferenceCost", targets: ["InferenceCost"]),
        .library(name: "Planning", targets: ["Planning"]),
        .library(name: "LoadTesting", targets: ["LoadTesting"]),
        .library(name: "Plotting", targets: ["Plotting"]),
        .library(name: "Reports", targets: ["Reports"]),
        // For the libFuzzer targets in Fuzz/ (scripts/fuzz); not an API for users.
        .library(name: "FuzzEntryPoints", targets: ["FuzzEntryPoints"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.1.1"),
        .package(url: "https://github.com/yaslab/CSV.swift", from: "2.5.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        // t2 serve's HTTP server; no traits (no swift-configuration, no full-Foundation extras).
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0", traits: []),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // Numerical kernels: L-BFGS with a strong-Wolfe line search, root finding, special
        // functions, seeded random numbers, the parallel map and the bootstrap.
        .target(name: "Optimization", dependencies: [numerics], swiftSettings: swiftSettings),
        // The fits' vector inner loops in C: one binary carries an AVX2 + FMA build of each kernel
        // beside the portable one and picks at run time (Swift has no per-function target flags).
        .target(name: "FitKernels"),
        // CSV in (errors that name file, row and column) and out (RFC 4180), atomic file writes,
        // input files and pipes, SHA-256 for data provenance.
        .target(
            name: "Tabular",
            dependencies: [.product(name: "CSV", package: "CSV.swift")],
            swiftSettings: swiftSettings
        ),
        // Law forms (Chinchilla, T² loss, T² accuracy), fitting, bootstrap, pass@k.
        .target(
            name: "ScalingLaws",
            dependencies: ["Optimization", "Tabular", "FitKernels", numerics],
            swiftSettings: swiftSettings
        ),
        // Hardware / model / quantization / engine catalogs and the roofline cost model.
        .target(
            name: "InferenceCost",
            dependencies: ["Optimization", "Tabular", numerics],
            swiftSettings: swiftSettings
        ),
        // The T² joint optimizer over (N, D, k) and, in dollars, hardware and quantization.
        .target(
            name: "Planning",
            dependencies: ["Optimization", "ScalingLaws", "InferenceCost", numerics],
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
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            swiftSettings: swiftSettings
        ),
        // SVG charts in pure Swift: axes (linear, log), lines, points, error bars, bands, bars,
        // annotations, legends; deterministic output. No dependencies.
        .target(name: "Plotting", swiftSettings: swiftSettings),
        // t2's results (their JSON, read leniently) turned into charts, tables and self-contained
        // HTML pages: what `t2 report` writes and `t2 serve` shows.
        .target(
            name: "Reports",
            dependencies: ["Plotting", "Tabular", "ScalingLaws", "Planning"],
            swiftSettings: swiftSettings
        ),
        // t2 serve: the web app (pages, forms, uploads, the JSON API) on Hummingbird. It runs t2's
        // commands through a `CommandRunner` that the executable provides, so that every answer is
        // what the command line prints.
        .target(
            name: "Serving",
            dependencies: [
                "Plotting", "Reports",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The command-line tool: one file per subcommand (parse, call one library entry point,
        // render) and Support/ for output formats and tables. Nothing in it is public.
        .executableTarget(
            name: "t2",
            dependencies: [
                "Optimization", "Tabular", "ScalingLaws", "InferenceCost", "Planning", "LoadTesting", "Plotting",
                "Reports", "Serving",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),

        // One entry per parser that reads user input, driven by the libFuzzer targets in Fuzz/ and
        // replayed over their corpora and crash regressions by FuzzRegressionTests.
        .target(
            name: "FuzzEntryPoints",
            dependencies: ["Tabular", "ScalingLaws", "InferenceCost", "LoadTesting"],
            swiftSettings: swiftSettings
        ),

        // Shared by the test targets: fixtures, scratch directories, running the built t2, the
        // real llama.cpp server's address.
        .target(name: "T2TestSupport", path: "Tests/T2TestSupport", swiftSettings: swiftSettings),
        .testTarget(
            name: "OptimizationTests",
            dependencies: ["Optimization", numerics],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TabularTests",
            dependencies: ["Tabular", "T2TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ScalingLawsTests",
            dependencies: ["ScalingLaws", "Optimization", "Tabular", "T2TestSupport", numerics],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "InferenceCostTests",
            dependencies: ["InferenceCost", "Optimization", "Tabular", "T2TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PlanningTests",
            dependencies: ["Planning", "ScalingLaws", "InferenceCost", "T2TestSupport", numerics],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LoadTestingTests",
            dependencies: [
                "LoadTesting", "Optimization", "Tabular", "T2TestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PlottingTests",
            dependencies: ["Plotting", "Reports", "Serving", "Tabular", "T2TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FuzzRegressionTests",
            dependencies: ["FuzzEntryPoints", "T2TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "t2Tests",
            dependencies: [
                "t2", "Optimization", "Tabular", "ScalingLaws", "InferenceCost", "Planning", "LoadTesting",
                "Plotting", "Reports", "T2TestSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            // Text snapshots of --help and table renderings, read by path (re-record with T2_RECORD_SNAPSHOTS=1).
            exclude: ["Snapshots"],
            swiftSettings: swiftSettings
        ),
    ]
)
