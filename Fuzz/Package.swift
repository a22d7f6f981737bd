// swift-tools-version: 6.2
//
// libFuzzer targets, one per parser that reads user input. Not part of the main build (a fuzz
// target has no main of its own: libFuzzer provides it). Run them with `scripts/fuzz`; every crash
// input found is kept under Fuzz/Regressions/<target>/ and replayed by the main package's
// FuzzRegressionTests in every test run.

import PackageDescription

let fuzzTargets: [(target: String, name: String)] = [
    ("FuzzRunsCSV", "runs-csv"),
    ("FuzzCountsCSV", "counts-csv"),
    ("FuzzMeasurementsCSV", "measurements-csv"),
    ("FuzzCatalogJSON", "catalog-json"),
    ("FuzzLawJSON", "law-json"),
    ("FuzzJSONValue", "json-value"),
    ("FuzzSSEStream", "sse-stream"),
]

let package = Package(
    name: "t2-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "t2", path: "..")],
    targets: [
        // libFuzzer's driver entry (LLVMFuzzerRunDriver), declared for Swift.
        .target(name: "FuzzDriver")
    ]
        + fuzzTargets.map { entry in
            .executableTarget(
                name: entry.target,
                dependencies: ["FuzzDriver", .product(name: "FuzzEntryPoints", package: "t2")]
            )
        }
)
