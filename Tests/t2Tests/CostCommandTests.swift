import ArgumentParser
import Foundation
import T2TestSupport
import Testing

@testable import t2

/// Paths of the fixtures in `Tests/Fixtures`.
private enum CostFixtures {
    static let measurements = Fixtures.measurements

    static func temporaryFile(_ name: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("t2-cost-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.appendingPathComponent(name).path
    }

    static func json(_ path: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }
}

@Suite("t2 cost and t2 calibrate")
struct CostCommandTests {
    @Test("the MacBook question through the CLI: fits on 64 GB with a decode speed, not on 48 GB")
    func macBook() throws {
        let out = try CostFixtures.temporaryFile("mac.json")
        let command = try CostCommand.parse([
            "--model", "llama-3-70b", "--quant", "q4_k_m", "--hardware", "m3-max-40c-64gb",
            "--format", "json", "--out", out,
        ])
        try command.run()
        let json = try CostFixtures.json(out)
        #expect(json["fits"] as? Bool == true)
        let decode = try #require(json["decodeTokensPerSecond"] as? Double)
        #expect(decode > 3 && decode < 15)

        let out48 = try CostFixtures.temporaryFile("mac48.json")
        let small = try CostCommand.parse([
            "--model", "llama-3-70b", "--quant", "q4_k_m", "--hardware", "m4-max-40c-48gb",
            "--format", "json", "--out", out48,
        ])
        try small.run()
        let json48 = try CostFixtures.json(out48)
        #expect(json48["fits"] as? Bool == false)
        #expect(json48["decodeTokensPerSecond"] == nil)
    }

    @Test("--validate --format json has rows[] with id, predicted, measured, error_pct and medians per metric and all")
    func validateJSON() throws {
        let out = try CostFixtures.temporaryFile("validate.json")
        let command = try CostCommand.parse(["--validate", CostFixtures.measurements, "--format", "json", "--out", out])
        try command.run()
        let json = try CostFixtures.json(out)
        let rows = try #require(json["rows"] as? [[String: Any]])
        #expect(rows.count == 79)
        for row in rows {
            #expect(row["id"] is String)
            let predicted = try #require(row["predicted"] as? Double)
            let measured = try #require(row["measured"] as? Double)
            let error = try #require(row["error_pct"] as? Double)
            #expect(abs(error - (predicted - measured) / measured * 100) < 1e-9)
        }
        let medians = try #require(json["median_abs_pct_error"] as? [String: Double])
        #expect(
            Set(medians.keys) == [
                "all", "decode_tokens_per_s", "prefill_tokens_per_s", "output_tokens_per_s", "ttft_ms", "itl_ms",
            ]
        )
        #expect(try #require(medians["all"]) <= 15)
    }

    @Test("calibrate on half a, validate on half b, through the CLI")
    func calibrateAndValidate() throws {
        let calibration = try CostFixtures.temporaryFile("cal.json")
        let calibrate = try CalibrateCommand.parse([
            CostFixtures.measurements, "--split", "hardware", "--half", "a", "--out", calibration,
        ])
        try calibrate.run()
        let cal = try CostFixtures.json(calibration)
        let parameters = try #require(cal["parameters"] as? [String: Double])
        #expect(!parameters.isEmpty)
        let out = try CostFixtures.temporaryFile("v.json")
        let validate = try CostCommand.parse([
            "--validate", CostFixtures.measurements, "--calibration", calibration,
            "--split", "hardware", "--half", "b", "--format", "json", "--out", out,
        ])
        try validate.run()
        let report = try CostFixtures.json(out)
        let rows = try #require(report["rows"] as? [[String: Any]])
        #expect(rows.count > 10 && rows.count < 79)
        let medians = try #require(report["median_abs_pct_error"] as? [String: Double])
        #expect(try #require(medians["all"]) <= 25)
    }

    @Test("--compare shows relative differences")
    func compare() throws {
        let out = try CostFixtures.temporaryFile("cmp.json")
        let command = try CostCommand.parse([
            "--model", "llama-3.1-8b", "--quant", "fp8", "--hardware", "h100-sxm", "--engine", "tensorrt-llm",
            "--concurrency", "max", "--compare", "hardware=h200", "--format", "json", "--out", out,
        ])
        try command.run()
        let json = try CostFixtures.json(out)
        let compared = try #require(json["compared"] as? [[String: Any]])
        let relative = try #require(compared.first?["relative"] as? [String: Double])
        // H200: more bandwidth and memory (a bigger batch), same FLOPs: more tokens per GPU.
        #expect(try #require(relative["outputTokensPerSecondPerGPU"]) > 0)
        let base = try #require(json["base"] as? [String: Any])
        #expect(base["hardware"] as? String == "h100-sxm")
    }

    @Test("--list prints every catalog", arguments: CatalogList.allCases)
    func list(kind: CatalogList) throws {
        let command = try CostCommand.parse(["--list", kind.rawValue])
        try command.run()
    }

    @Test(
        "bad arguments are ValidationErrors with the option's name",
        arguments: [
            (["--model", "llama-3-8b", "--quant", "f16", "--hardware", "h100-sxm", "--gpus", "0"], "--gpus"),
            (
                ["--model", "llama-3-8b", "--quant", "f16", "--hardware", "h100-sxm", "--input-tokens", "-5"],
                "--input-tokens"
            ),
            (
                ["--model", "llama-3-8b", "--quant", "f16", "--hardware", "h100-sxm", "--output-tokens", "-1"],
                "--output-tokens"
            ),
            (
                ["--model", "llama-3-8b", "--quant", "f16", "--hardware", "h100-sxm", "--usd-per-hour", "0"],
                "--usd-per-hour"
            ),
            (["--model", "llama-3-8b", "--quant", "f16"], "--hardware"),
            (["--quant", "f16", "--hardware", "h100-sxm"], "--model"),
            (
                ["--model", "llama-3-8b", "--quant", "f16", "--hardware", "h100-sxm", "--compare", "hardwre=h200"],
                "hardwre"
            ),
            (["--model", "llama-3-8b", "--params", "7e9", "--quant", "f16", "--hardware", "h100-sxm"], "--params"),
        ]
    )
    func badArguments(arguments: [String], mentions: String) {
        do {
            _ = try CostCommand.parse(arguments)
            Issue.record("accepted \(arguments)")
        } catch {
            #expect(CostCommand.message(for: error).contains(mentions), "\(CostCommand.message(for: error))")
        }
    }

    @Test("bad concurrency is refused at parse time")
    func badConcurrency() {
        #expect(throws: (any Error).self) {
            try CostCommand.parse([
                "--model", "llama-3-8b", "--quant", "f16", "--hardware", "h100-sxm", "--concurrency", "-3",
            ])
        }
    }

    @Test("an unknown hardware name fails with the nearest names")
    func unknownName() throws {
        let command = try CostCommand.parse(["--model", "llama-3-8b", "--quant", "f16", "--hardware", "rtx-4909"])
        do {
            try command.run()
            Issue.record("priced unknown hardware")
        } catch {
            #expect(error.localizedDescription.contains("rtx-4090"))
        }
    }

    @Test("a malformed --catalog file fails before anything is priced")
    func malformedCatalog() throws {
        let path = try CostFixtures.temporaryFile("bad.json")
        try #"{"hardware": [{"name": "x", "class": "apple"}]}"#.write(toFile: path, atomically: true, encoding: .utf8)
        let command = try CostCommand.parse([
            "--model", "llama-3-8b", "--quant", "f16", "--hardware", "x", "--catalog", path,
        ])
        do {
            try command.run()
            Issue.record("accepted a malformed catalog")
        } catch {
            #expect(error.localizedDescription.contains(path) && error.localizedDescription.contains("missing key"))
        }
    }
}
