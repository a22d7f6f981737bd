import ArgumentParser
import Foundation
import InferenceCost
import T2TestSupport
import Tabular
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
        #expect(json["schema"] as? String == "t2.cost/1")
        let decode = try #require(json["decode_tokens_per_s"] as? Double)
        #expect(decode > 3 && decode < 15)

        let out48 = try CostFixtures.temporaryFile("mac48.json")
        let small = try CostCommand.parse([
            "--model", "llama-3-70b", "--quant", "q4_k_m", "--hardware", "m4-max-40c-48gb",
            "--format", "json", "--out", out48,
        ])
        try small.run()
        let json48 = try CostFixtures.json(out48)
        #expect(json48["fits"] as? Bool == false)
        #expect(json48["decode_tokens_per_s"] == nil)
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

    @Test("--prior-weight: a stronger prior keeps the fitted parameters nearer the catalog defaults")
    func priorWeight() throws {
        // Image rows on half the devices: few rows per parameter, where the prior matters.
        func distance(_ weight: String) throws -> Double {
            let out = try CostFixtures.temporaryFile("cal-\(weight).json")
            try CalibrateCommand.parse([
                Fixtures.path("image_measurements.csv"), "--split", "hardware", "--half", "a",
                "--prior-weight", weight, "--format", "json", "--out", out,
            ]).run()
            let parameters = try #require(try CostFixtures.json(out)["parameters"] as? [String: Double])
            #expect(!parameters.isEmpty)
            let model = CostModel()
            return try parameters.map { key, value in
                let d = try #require(model.defaultParameter(key), "no default for \(key)")
                return abs(Foundation.log(value / d))
            }.reduce(0, +)
        }
        let weak = try distance("0.01")
        let strong = try distance("100")
        #expect(strong < 0.2 * weak, "Σ|ln(fitted/default)|: \(strong) with λ = 100, \(weak) with λ = 0.01")
        let images = Fixtures.path("image_measurements.csv")
        #expect(try CalibrateCommand.parse([images]).priorWeight == .auto)
        #expect(try CalibrateCommand.parse([images, "--prior-weight", "AUTO"]).priorWeight == .auto)
        for bad in ["-1", "nan", "inf", "automatic"] {
            do {
                _ = try CalibrateCommand.parse([Fixtures.path("image_measurements.csv"), "--prior-weight", bad])
                Issue.record("--prior-weight \(bad) was accepted")
            } catch {
                #expect(CalibrateCommand.message(for: error).contains("--prior-weight"))
            }
        }
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
        #expect(json["schema"] as? String == "t2.cost-compare/1")
        let compared = try #require(json["compared"] as? [[String: Any]])
        let ratios = try #require(compared.first?["ratios"] as? [String: Double])
        // H200: more bandwidth and memory (a bigger batch), same FLOPs: more tokens per GPU.
        #expect(try #require(ratios["throughput_per_gpu_ratio"]) > 1)
        #expect(ratios["pct_cheaper_per_million_tokens"] != nil && ratios["units_per_dollar_ratio"] != nil)
        let base = try #require(json["baseline"] as? [String: Any])
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

@Suite("t2 cost: images, CSV, bad input, scale")
struct CostCommandImageAndInputTests {
    func runJSON(_ arguments: [String]) throws -> [String: Any] {
        let scratch = try ScratchDirectory()
        let out = scratch.file("out.json")
        try CostCommand.parse(arguments + ["--format", "json", "--out", out]).run()
        return try CostFixtures.json(out)
    }

    @Test("t2 cost --model flux-1-dev --hardware h100-sxm --resolution 1024x1024 --steps 28: per-image JSON")
    func image() throws {
        let json = try runJSON([
            "--model", "flux-1-dev", "--hardware", "h100-sxm", "--resolution", "1024x1024", "--steps", "28",
        ])
        #expect(json["schema"] as? String == "t2.cost/1" && json["modality"] as? String == "image")
        for key in [
            "seconds_per_image", "images_per_s_per_gpu", "usd_per_image", "usd_per_million_image_tokens",
            "image_tokens_per_image", "joules_per_image",
        ] {
            #expect((json[key] as? Double ?? 0) > 0, "\(key)")
        }
        #expect(json["image_tokens_per_image"] as? Double == 4096)
        #expect(json["step_bound"] as? String == "compute")
    }

    @Test("--compare for images: the schnell variant vs dev, with the ratios")
    func compareImages() throws {
        let json = try runJSON([
            "--model", "flux-1-dev", "--hardware", "h100-sxm", "--compare", "model=flux-1-schnell,steps=4",
        ])
        let compared = try #require(json["compared"] as? [[String: Any]])
        let ratios = try #require(compared.first?["ratios"] as? [String: Double])
        #expect(try #require(ratios["pct_cheaper_per_image"]) > 70)
        #expect(try #require(ratios["throughput_per_gpu_ratio"]) > 4)
        #expect((compared.first?["summary"] as? String)?.contains("images per dollar") == true)
    }

    @Test("image flags on a language model, and token flags on an image model, are refused")
    func wrongFlags() throws {
        let text = try CostCommand.parse([
            "--model", "llama-3-8b", "--quant", "f16", "--hardware", "h100-sxm", "--steps", "4",
        ])
        #expect(throws: (any Error).self) { try text.run() }
        let image = try CostCommand.parse(["--model", "sdxl", "--hardware", "h100-sxm", "--input-tokens", "100"])
        #expect(throws: (any Error).self) { try image.run() }
    }

    @Test("--format csv quotes names (RFC 4180) instead of turning quotes into apostrophes")
    func csvQuoting() throws {
        let scratch = try ScratchDirectory()
        let catalog = try scratch.write(
            "c.json",
            #"{"models": [{"name": "my \"big\", model", "layers": 32, "hidden": 4096, "heads": 32, "kvHeads": 8, "headDim": 128, "ffn": 14336, "vocab": 128256}]}"#
        )
        let out = scratch.file("e.csv")
        try CostCommand.parse([
            "--model", #"my "big", model"#, "--quant", "q4_k_m", "--hardware", "rtx-4090", "--catalog", catalog,
            "--format", "csv", "--out", out,
        ]).run()
        let table = try CSVTable(contentsOf: out)
        #expect(table.header == ["quantity", "value"])
        let model = try #require(table.rows.first { $0[0] == "model" })
        #expect(model[1].hasPrefix(#"my "big", model ("#))
    }

    @Test("--list, --compare and --validate honour --format csv, and the CSV parses back", arguments: [0, 1, 2])
    func csvEverywhere(which: Int) throws {
        let scratch = try ScratchDirectory()
        let out = scratch.file("o.csv")
        let arguments: [[String]] = [
            ["--list", "hardware"],
            ["--model", "llama-3.1-8b", "--quant", "fp8", "--hardware", "h100-sxm", "--compare", "hardware=h200"],
            ["--validate", Fixtures.measurements],
        ]
        try CostCommand.parse(arguments[which] + ["--format", "csv", "--out", out]).run()
        let text = try #require(scratch.read("o.csv"))
        #expect(!text.hasPrefix("{"))
        let table = try CSVTable(string: String(text.split(separator: "\n\n").first ?? ""), source: out)
        #expect(table.count > 1)
        if which == 0 { #expect(table.rows.contains { $0[0] == "epyc-9654" }) }
        if which == 2 { #expect(table.header.contains("error_pct") && table.count == 79) }
    }

    @Test("calibrate --format csv prints the parameters as CSV")
    func calibrateCSV() throws {
        let scratch = try ScratchDirectory()
        let out = scratch.file("c.csv")
        try CalibrateCommand.parse([Fixtures.measurements, "--format", "csv", "--out", out]).run()
        let table = try CSVTable(contentsOf: out)
        #expect(table.header == ["parameter", "fitted", "default"])
        #expect(table.rows.contains { $0[0] == "overlap" })
    }

    @Test(
        "huge or contradictory flags are usage errors, not crashes",
        arguments: [
            (
                [
                    "--model", "llama-3-8b", "--quant", "f16", "--hardware", "h100-sxm", "--input-tokens",
                    "4611686018427387904", "--output-tokens", "4611686018427387904",
                ], "--input-tokens"
            ),
            (
                [
                    "--model", "llama-3-8b", "--quant", "f16", "--hardware", "h100-sxm", "--compare",
                    "input-tokens=9223372036854775807",
                ], "input-tokens=9223372036854775807"
            ),
            (
                ["--model", "llama-3-8b", "--quant", "f16", "--hardware", "h100-sxm", "--concurrency", "99999999999"],
                "--concurrency"
            ),
            (["--model", "sdxl", "--hardware", "h100-sxm", "--steps", "0"], "--steps"),
            (["--model", "sdxl", "--hardware", "h100-sxm", "--tokens-per-image", "nan"], "--tokens-per-image"),
            (["--validate", "x.csv", "--half", "a"], "--half needs --split"),
        ]
    )
    func usageErrors(arguments: [String], mentions: String) {
        do {
            _ = try CostCommand.parse(arguments)
            Issue.record("accepted \(arguments)")
        } catch {
            #expect(CostCommand.message(for: error).contains(mentions), "\(CostCommand.message(for: error))")
            #expect(CostCommand.exitCode(for: error).rawValue == 64)
        }
        #expect(throws: (any Error).self) { try CalibrateCommand.parse([Fixtures.measurements, "--half", "b"]) }
    }

    @Test("--validate on a header-only file fails (exit 1) instead of printing an empty table")
    func headerOnly() throws {
        let scratch = try ScratchDirectory()
        let path = try scratch.write(
            "h.csv",
            "id,hardware,gpus,engine,model,quant,concurrency,input_tokens,output_tokens,metric,value\n"
        )
        let command = try CostCommand.parse(["--validate", path])
        do {
            try command.run()
            Issue.record("validated a header-only file")
        } catch {
            #expect(error.localizedDescription.contains("no measurement rows"))
            #expect(CostCommand.exitCode(for: error).rawValue == 1)
        }
    }

    @Test(
        "a calibration file with an efficiency of 0 or 5 is refused before anything prints",
        arguments: [
            #"{"parameters": {"vllm/nvidia-hbm/computeEff": 0}}"#, #"{"parameters": {"vllm/nvidia-hbm/memEff": 5}}"#,
        ]
    )
    func badCalibration(json: String) throws {
        let scratch = try ScratchDirectory()
        let path = try scratch.write("cal.json", json)
        let command = try CostCommand.parse([
            "--model", "llama-3-8b", "--quant", "fp8", "--hardware", "h100-sxm", "--calibration", path,
        ])
        #expect(throws: CatalogError.self) { try command.run() }
    }

    @Test("--validate streams: a file of 7,900 rows validates with the same medians as its 79 distinct rows")
    func streaming() throws {
        let scratch = try ScratchDirectory()
        let original = try String(contentsOfFile: Fixtures.measurements, encoding: .utf8)
        var lines = original.split(whereSeparator: \.isNewline).map(String.init)
        let header = lines.removeFirst()
        var big = header + "\n"
        for k in 0..<100 {
            for line in lines { big += "r\(k)-" + line + "\n" }
        }
        let path = try scratch.write("big.csv", big)
        let out = scratch.file("v.csv")
        try CostCommand.parse(["--validate", path, "--format", "csv", "--out", out]).run()
        let table = try CSVTable(contentsOf: out)
        #expect(table.count == 100 * 79)
        let small = CostModel().validate(try InferenceCost.Measurement.read(contentsOf: Fixtures.measurements))
        let json = scratch.file("v.json")
        try CostCommand.parse(["--validate", path, "--format", "json", "--out", json]).run()
        let medians = try #require(try CostFixtures.json(json)["median_abs_pct_error"] as? [String: Double])
        #expect(abs(try #require(medians["all"]) - small.medianAbsPctError["all"]!) < 1e-9)
    }

    @Test("t2 plan --calibration: a calibration that makes serving dearer moves the dollar plan")
    func planCalibration() throws {
        #expect(throws: (any Error).self) { try PlanCommand.parse(["--calibration", "x.json"]) }
        let scratch = try ScratchDirectory()
        let slow = try scratch.write(
            "slow.json",
            #"{"parameters": {"vllm/nvidia-hbm/memEff": 0.05, "vllm/nvidia-hbm/computeEff": 0.05}}"#
        )
        let base = [
            "--budget-usd", "1e6", "--queries", "1e9", "--tokens-per-sample", "256", "--hardware", "h100-sxm",
            "--quant", "fp8", "--engine", "vllm", "--format", "json",
        ]
        let a = scratch.file("a.json")
        let b = scratch.file("b.json")
        try PlanCommand.parse(base + ["--out", a]).run()
        try PlanCommand.parse(base + ["--calibration", slow, "--out", b]).run()
        let plain = try #require(scratch.read("a.json"))
        let calibrated = try #require(scratch.read("b.json"))
        #expect(plain != calibrated)
    }
}
