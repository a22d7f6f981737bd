import Foundation
import InferenceCost
import T2TestSupport
import Testing

/// The loop of docs/cost-model.md ("From measurement to a calibrated dollar plan") against the
/// real llama.cpp server: bench at concurrency 1, 2, 4 → calibrate on 1–2 → predict 4 → plan.
@Suite(
    "measure → calibrate → price → plan on this machine (real llama.cpp server)",
    .enabled(if: RealServer.enabled, Comment(rawValue: RealServer.skipReason)),
    .serialized
)
struct CostFlowRealServerTests {
    @Test(
        "the held-out concurrency is predicted by the calibration of the others, and the dollar plan moves",
        .timeLimit(.minutes(10))
    )
    func flow() throws {
        let url = try RealServer.requireURL()
        let scratch = try ScratchDirectory()
        let environment = ["T2_LOCAL_HARDWARE": scratch.file("local-hardware.json")]
        let bench = scratch.file("bench.json")
        let run = try T2Binary.run(
            [
                "bench", "--url", url, "--model", RealServer.model, "--concurrency", "1,2,4", "--requests", "6",
                "--warmup", "1", "--input-tokens", "32", "--output-tokens", "16", "--format", "json", "--out", bench,
            ],
            environment: environment
        )
        #expect(run.status == 0, "\(run.stderr)")
        let labels = [
            "--hardware", "local", "--engine", "llama-cpp-python", "--model", "smollm2-135m", "--quant", "q4_1",
        ]
        let calibration = scratch.file("cal.json")
        let calibrate = try T2Binary.run(
            ["calibrate", bench] + labels + ["--concurrency", "1,2", "--format", "json", "--out", calibration],
            environment: environment
        )
        #expect(calibrate.status == 0, "\(calibrate.stderr)")
        let fitted = try Calibration.read(contentsOf: calibration)
        #expect(fitted.parameters.keys.contains("llama-cpp-python/cpu/stepOverheadMs"))

        // in sample (concurrency 1 and 2): the calibration fits the measurements better than the defaults
        let data = try Data(contentsOf: URL(fileURLWithPath: bench))
        let rows = try BenchMeasurements.measurements(
            fromBenchJSON: data,
            source: bench,
            labels: BenchMeasurements.Labels(
                hardware: "local",
                engine: "llama-cpp-python",
                model: "smollm2-135m",
                quant: "q4_1"
            )
        )
        var catalog = Catalog.builtIn
        try catalog.merge(contentsOf: environment["T2_LOCAL_HARDWARE"]!)
        let calibrated = CostModel(catalog: catalog, calibration: fitted)
        let uncalibrated = CostModel(catalog: catalog)
        let inSample = rows.filter { $0.concurrency != .fixed(4) }
        let fit = try #require(calibrated.validate(inSample).medianAbsPctError["all"])
        let defaults = try #require(uncalibrated.validate(inSample).medianAbsPctError["all"])
        print("flow: concurrency 1-2 median |error| \(fit)% calibrated, \(defaults)% with the catalog defaults")
        #expect(fit < defaults, "in-sample median |error| \(fit)% calibrated, \(defaults)% with defaults")

        // held out: the concurrency-4 rows, predicted by the calibration of 1 and 2
        let heldOut = rows.filter { $0.concurrency == .fixed(4) }
        #expect(heldOut.count == 3)
        let report = calibrated.validate(heldOut)
        let error = try #require(report.medianAbsPctError["all"])
        let before = try #require(uncalibrated.validate(heldOut).medianAbsPctError["all"])
        print("flow: concurrency-4 median |error| \(error)% calibrated on 1-2, \(before)% uncalibrated")
        for row in report.rows {
            print("flow: \(row.id) measured \(row.measured) predicted \(row.predicted ?? .nan)")
            // The target is 25%: docs/cost-model.md reports the figure and why this shared,
            // oversubscribed machine misses it (a token takes 4-8x longer at concurrency 1 than
            // with requests queued). The bound only catches a broken loop: the throughput and the
            // inter-token latency that price a token within 5x (TTFT, which also carries the
            // queue's ramp-up over a few requests, is reported, not bounded).
            guard row.metric != Metric.ttftMs.rawValue else { continue }
            let ratio = (row.predicted ?? .infinity) / row.measured
            #expect(
                ratio > 0.2 && ratio < 5,
                "\(row.id): measured \(row.measured), predicted \(row.predicted ?? .nan)"
            )
        }

        // the same prediction through the CLI
        let cost = try T2Binary.run(
            [
                "cost", "--model", "smollm2-135m", "--quant", "q4_1", "--hardware", "local", "--engine",
                "llama-cpp-python", "--concurrency", "4", "--input-tokens", "64", "--output-tokens", "32",
                "--calibration", calibration, "--format", "json",
            ],
            environment: environment
        )
        #expect(cost.status == 0, "\(cost.stderr)")
        let estimate = try #require(try JSONSerialization.jsonObject(with: Data(cost.stdout.utf8)) as? [String: Any])
        #expect((estimate["output_tokens_per_s"] as? Double ?? 0) > 0)

        // the measured cost moves the dollar plan
        let plan = [
            "plan", "--budget-usd", "2000", "--queries", "1e6", "--tokens-per-sample", "64", "--hardware", "local",
            "--quant", "q4_1", "--engine", "llama-cpp-python", "--format", "json",
        ]
        let plain = try T2Binary.run(plan, environment: environment)
        let measured = try T2Binary.run(plan + ["--calibration", calibration], environment: environment)
        #expect(plain.status == 0 && measured.status == 0, "\(plain.stderr)\(measured.stderr)")
        #expect(plain.stdout != measured.stdout)
    }
}
