import Foundation
import InferenceCost
import T2TestSupport
import Tabular
import Testing

@Suite("Catalog")
struct CatalogTests {
    let catalog = Catalog.builtIn

    @Test("every device, model, format and engine the issue and the measurements name is in the catalog")
    func coverage() throws {
        let hardware = [
            "h100-sxm", "h100-pcie", "h200", "b200", "a100-sxm-80gb", "a100-pcie-80gb", "l40s", "a40", "rtx-3060-12gb",
            "rtx-3090", "rtx-4080", "rtx-4090", "rtx-6000-ada", "rtx-a6000", "mi300x", "m1-pro-14c-16gb",
            "m1-max-32c-64gb",
            "m1-ultra-48c-64gb", "m2-max-30c-32gb", "m2-ultra-76c-192gb", "m3-pro-18c-36gb", "m3-max-40c-64gb",
            "m4-pro-20c-24gb", "m4-max-40c-48gb",
        ]
        for name in hardware { _ = try catalog.hardware(named: name) }
        for name in [
            "llama-2-7b", "llama-2-70b", "llama-3-8b", "llama-3-70b", "llama-3.1-8b", "llama-3.3-70b", "mixtral-8x7b",
        ] {
            _ = try catalog.model(named: name)
        }
        for name in ["f16", "bf16", "fp8", "int8", "q8_0", "q6_k", "q5_k_m", "q4_k_m", "q4_0", "int4-awq", "fp4"] {
            _ = try catalog.quantization(named: name)
        }
        for name in ["llama.cpp", "tensorrt-llm", "vllm"] { _ = try catalog.engine(named: name) }
        let rows = try Measurement.read(contentsOf: Fixtures.measurements)
        for row in rows {
            _ = try catalog.hardware(named: row.hardware)
            _ = try catalog.model(named: row.model)
            _ = try catalog.quantization(named: row.quant)
            _ = try catalog.engine(named: row.engine)
        }
    }

    @Test("Apple GPUs get 70–78% of unified memory; discrete GPUs more; CPUs 70–95%")
    func usableMemory() {
        for h in catalog.hardware {
            if h.hardwareClass == "apple" {
                #expect(h.usableMemoryFraction >= 0.70 && h.usableMemoryFraction <= 0.78, "\(h.name)")
            } else if h.isCPU {
                // the operating system and other processes keep part of a CPU machine's memory
                #expect(h.usableMemoryFraction >= 0.7 && h.usableMemoryFraction <= 0.95, "\(h.name)")
            } else {
                #expect(h.usableMemoryFraction > 0.78 && h.usableMemoryFraction <= 1, "\(h.name)")
            }
            if h.usdPerHour != nil { #expect(h.priceSource != nil, "\(h.name) has a price without a source") }
        }
    }

    @Test("bits per weight follow the GGUF block sizes (8 · bytes / weights)")
    func bitsPerWeight() throws {
        let blocks: [(String, Double)] = [
            ("q4_0", 8.0 * 18 / 32), ("q8_0", 8.0 * 34 / 32), ("q6_k", 8.0 * 210 / 256),
            ("q4_k_m", 8.0 * 144 / 256), ("q5_k_m", 8.0 * 176 / 256),
        ]
        for (name, bpw) in blocks {
            let q = try catalog.quantization(named: name)
            #expect(abs((q.blockBitsPerWeight ?? 0) - bpw) < 1e-9, "\(name)")
            // the whole-file average is the block rate plus up to ~0.4 bits of higher-precision tensors
            #expect(q.bitsPerWeight >= bpw && q.bitsPerWeight <= bpw + 0.45, "\(name)")
        }
    }

    @Test("catalog parameter counts agree with the architectures within 2%")
    func parameterCounts() {
        for m in catalog.models where !m.isMixtureOfExperts {
            let relative = abs(m.shapeParams - m.totalParams) / m.totalParams
            #expect(relative < 0.02, "\(m.name): shape \(m.shapeParams) vs catalog \(m.totalParams)")
        }
    }

    @Test("a MoE model reads and computes with fewer parameters than it stores")
    func mixtureOfExperts() throws {
        let m = try catalog.model(named: "mixtral-8x7b")
        let shape = ModelShape(m)
        #expect(m.isMixtureOfExperts)
        #expect(shape.activeParams < shape.params / 3)
        #expect(shape.expertParams > 0 && shape.expertParams < shape.params)
    }

    @Test("the Llama shape reproduces N and the real Llama widths", arguments: [1e8, 1e9, 8.03e9, 7e10, 4e11, 3e12])
    func llamaShaped(params: Double) {
        let m = ModelArchitecture.llamaShaped(params: params)
        #expect(abs(m.shapeParams - params) / params < 1e-6)
        #expect(m.layers > 0 && m.hidden > 0)
        if params == 8.03e9 { #expect(abs(m.hidden - 4096) / 4096 < 0.05) }
        // Llama-3-70B is deeper than the 128 aspect ratio (8192/80 = 102): within 10%
        if params == 7e10 { #expect(abs(m.hidden - 8192) / 8192 < 0.10) }
    }

    @Test("unknown names suggest the nearest ones")
    func suggestions() {
        #expect(throws: CostModelError.self) { try catalog.hardware(named: "h100-sxn") }
        do {
            _ = try catalog.hardware(named: "h100-sxn")
        } catch let CostModelError.unknownName(kind, name, suggestions) {
            #expect(kind == "hardware" && name == "h100-sxn")
            #expect(suggestions.first == "h100-sxm")
        } catch { Issue.record("wrong error \(error)") }
        do {
            _ = try catalog.quantization(named: "q4km")
        } catch let error as CostModelError {
            #expect(error.localizedDescription.contains("q4_k_m"))
        } catch { Issue.record("wrong error \(error)") }
    }

    @Test("a user catalog adds and replaces entries")
    func merge() throws {
        let scratch = try ScratchDirectory()
        let dir = scratch.path
        let path = dir + "/mine.json"
        try """
        {"hardware": [{"name": "my-gpu", "class": "nvidia-gddr", "memoryGB": 32, "bandwidthGBps": 1792,
                       "peakTFLOPS": {"vector": 100, "fp16": 400}, "usableMemoryFraction": 0.95, "usdPerHour": 0.5,
                       "priceSource": "test"},
                      {"name": "h100-sxm", "class": "nvidia-hbm", "memoryGB": 80, "bandwidthGBps": 3350,
                       "peakTFLOPS": {"fp16": 989}, "usableMemoryFraction": 0.95, "usdPerHour": 9.99, "priceSource": "test"}]}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        let merged = try Catalog.builtIn(mergedWith: path)
        #expect(try merged.hardware(named: "my-gpu").bandwidthGBps == 1792)
        #expect(try merged.hardware(named: "h100-sxm").usdPerHour == 9.99)
        #expect(merged.hardware.count == Catalog.builtIn.hardware.count + 1)
        #expect(try merged.model(named: "llama-3-8b").layers == 32)
    }

    @Test(
        "malformed catalog files give errors that name the file and the entry",
        arguments: [
            (#"{"hardware": [{"name": "x"}]}"#, "hardware[0]", "missing key"),
            (
                #"{"hardware": [{"name": "x", "class": "apple", "memoryGB": -4, "bandwidthGBps": 100, "peakTFLOPS": {"fp16": 1}, "usableMemoryFraction": 0.7}]}"#,
                "hardware[0] 'x'", "memoryGB"
            ),
            (
                #"{"hardware": [{"name": "x", "class": "apple", "memoryGB": 4, "bandwidthGBps": 100, "peakTFLOPS": {"fp16": 1}, "usableMemoryFraction": 1.7}]}"#,
                "hardware[0] 'x'", "usableMemoryFraction"
            ),
            (
                #"{"quantizations": [{"name": "q", "bitsPerWeight": 4, "family": "nope", "computePrecision": "fp16"}]}"#,
                "quantizations", "family 'nope'"
            ),
            (
                #"{"models": [{"name": "m", "layers": 2, "hidden": 8, "heads": 2, "kvHeads": 4, "headDim": 4, "ffn": 8, "vocab": 8}]}"#,
                "models[0] 'm'", "kvHeads"
            ),
            (#"{"models": "#, nil, "not valid JSON"),
            (
                #"{"engines": [{"name": "e", "multiGPU": "warp", "maxBatch": 1, "memoryFraction": 1, "memoryOverheadGB": 0, "defaultKVCache": "f16", "profiles": {}}]}"#,
                "engines[0]", "invalid value"
            ),
        ] as [(String, String?, String)]
    )
    func malformed(json: String, entry: String?, problem: String) throws {
        let scratch = try ScratchDirectory()
        let dir = scratch.path
        let path = dir + "/bad.json"
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        do {
            _ = try Catalog.builtIn(mergedWith: path)
            Issue.record("accepted a malformed catalog: \(json)")
        } catch let error as CatalogError {
            #expect(error.source == path)
            if let entry { #expect(error.entry?.hasPrefix(entry) == true, "entry \(String(describing: error.entry))") }
            #expect(error.localizedDescription.contains(problem), "\(error.localizedDescription)")
        }
    }

    @Test("a missing catalog file is a clear error")
    func missingFile() {
        #expect(throws: CatalogError.self) { try Catalog.builtIn(mergedWith: "/nonexistent/catalog.json") }
    }
}

@Suite("Roofline")
struct RooflineTests {
    let model = CostModel()

    func estimate(
        _ m: String,
        _ q: String,
        _ h: String,
        engine: String? = nil,
        gpus: Int = 1,
        concurrency: Concurrency = .fixed(1),
        input: Int = 1024,
        output: Int = 256
    ) throws -> CostEstimate {
        try model.estimate(
            try model.deployment(
                model: m,
                quant: q,
                hardware: h,
                engine: engine,
                gpus: gpus,
                concurrency: concurrency,
                inputTokens: input,
                outputTokens: output
            )
        )
    }

    @Test("the MacBook question: 70B q4_k_m fits 64 GB, not 48 GB")
    func macBook() throws {
        let fits = try estimate("llama-3-70b", "q4_k_m", "m3-max-40c-64gb")
        #expect(fits.fits)
        // XiongjieDai README (V-5.11, not in the calibration data): 7.65 tok/s tg512 on this machine.
        let decode = try #require(fits.decodeTokensPerSecond)
        #expect(decode > 7.65 * 0.7 && decode < 7.65 * 1.3)
        let small = try estimate("llama-3-70b", "q4_k_m", "m4-max-40c-48gb")
        #expect(!small.fits)
        #expect(small.decodeTokensPerSecond == nil)
        #expect(small.memoryNeededPerGPUGB > small.memoryUsablePerGPUGB)
    }

    @Test("batch-1 decode never beats the bandwidth roofline BW / weight bytes")
    func bandwidthBound() throws {
        for h in ["h100-sxm", "rtx-4090", "m2-ultra-76c-192gb", "a100-sxm-80gb"] {
            for q in ["f16", "q8_0", "q4_k_m"] {
                let e = try estimate("llama-3-8b", q, h)
                let hardware = try model.catalog.hardware(named: h)
                // ≥ 90% of the weights are read each step
                let bound = hardware.bandwidthGBps * 1e9 / (e.weightsGB * 1e9 * 0.9)
                #expect(try #require(e.decodeTokensPerSecond) < bound, "\(h) \(q)")
            }
        }
    }

    @Test("fewer bits per weight decode faster; more bandwidth decodes faster")
    func monotone() throws {
        let f16 = try estimate("llama-3-8b", "f16", "h200", engine: "vllm")
        let fp8 = try estimate("llama-3-8b", "fp8", "h200", engine: "vllm")
        // half the bytes: faster, but less than 2× because of the fixed per-step overhead
        let ratio = try #require(fp8.decodeTokensPerSecond) / #require(f16.decodeTokensPerSecond)
        #expect(ratio > 1.2 && ratio < 2)
        let h100 = try estimate("llama-3-8b", "fp8", "h100-sxm", engine: "vllm")
        let h200 = try estimate("llama-3-8b", "fp8", "h200", engine: "vllm")
        #expect(try #require(h200.decodeTokensPerSecond) > #require(h100.decodeTokensPerSecond))
    }

    @Test("max concurrency is what the KV memory allows, and batching raises throughput, not per-user speed")
    func concurrency() throws {
        let one = try estimate("llama-3.1-8b", "fp8", "h100-sxm", engine: "vllm")
        let max = try estimate("llama-3.1-8b", "fp8", "h100-sxm", engine: "vllm", concurrency: .max)
        #expect(max.batch == max.maxConcurrency && max.maxConcurrency > 16)
        #expect(try #require(max.outputTokensPerSecond) > #require(one.outputTokensPerSecond) * 10)
        #expect(try #require(max.decodeTokensPerSecond) < #require(one.decodeTokensPerSecond))
        #expect(try #require(max.usdPerMillionOutputTokens) < #require(one.usdPerMillionOutputTokens) / 10)
        // KV budget check: maxConcurrency × (I + O/2) tokens × bytes/token ≤ usable memory.
        let kv = Double(max.maxConcurrency) * (1024 + 128) * max.kvCacheMBPerToken * 1e6
        #expect(kv + max.weightsGB * 1e9 <= max.memoryUsablePerGPUGB * 1e9)
    }

    @Test("more clients than slots wait for a slot: TTFT grows, throughput does not")
    func queueing() throws {
        let max = try estimate(
            "llama-3.3-70b",
            "fp8",
            "h100-sxm",
            engine: "tensorrt-llm",
            gpus: 2,
            concurrency: .max,
            input: 5000,
            output: 500
        )
        let over = try estimate(
            "llama-3.3-70b",
            "fp8",
            "h100-sxm",
            engine: "tensorrt-llm",
            gpus: 2,
            concurrency: .fixed(max.maxConcurrency * 2),
            input: 5000,
            output: 500
        )
        #expect(try #require(over.ttftMs) > #require(max.ttftMs) * 2)
        #expect(abs(try #require(over.outputTokensPerSecond) / #require(max.outputTokensPerSecond) - 1) < 1e-9)
    }

    @Test("llama.cpp's layer split adds memory but no decode speed; tensor parallel speeds decode up")
    func multiGPU() throws {
        let one = try estimate("llama-3-8b", "f16", "rtx-4090", engine: "llama.cpp")
        let two = try estimate("llama-3-8b", "f16", "rtx-4090", engine: "llama.cpp", gpus: 2)
        #expect(abs(try #require(two.decodeTokensPerSecond) / #require(one.decodeTokensPerSecond) - 1) < 0.01)
        #expect(two.memoryNeededPerGPUGB < one.memoryNeededPerGPUGB * 0.6)
        let tp1 = try estimate("llama-3-70b", "fp8", "h100-sxm", engine: "vllm")
        let tp2 = try estimate("llama-3-70b", "fp8", "h100-sxm", engine: "vllm", gpus: 2)
        let speedup = try #require(tp2.decodeTokensPerSecond) / #require(tp1.decodeTokensPerSecond)
        #expect(speedup > 1.4 && speedup < 2.0)  // all-reduces keep it under 2×
    }

    @Test("$/M tokens is $/hour ÷ (tokens/s × 3600) × 10⁶, and J/token is W ÷ tokens/s")
    func pricing() throws {
        let e = try estimate("llama-3.1-8b", "fp8", "h100-sxm", engine: "tensorrt-llm", concurrency: .max)
        let price = try #require(e.usdPerHour)
        let out = try #require(e.outputTokensPerSecond)
        #expect(abs(try #require(e.usdPerMillionOutputTokens) - price / (out * 3600) * 1e6) < 1e-9)
        #expect(abs(try #require(e.joulesPerOutputToken) - 700 / out) < 1e-9)
        #expect(abs(try #require(e.flopsPerDollar) - 1979e12 * 3600 / price) / (1979e12 * 3600 / price) < 1e-12)
        let mine = try model.estimate(
            try model.deployment(
                model: "llama-3.1-8b",
                quant: "fp8",
                hardware: "h100-sxm",
                engine: "tensorrt-llm",
                concurrency: .max,
                usdPerHour: 2 * price
            )
        )
        #expect(abs(try #require(mine.usdPerMillionOutputTokens) / #require(e.usdPerMillionOutputTokens) - 2) < 1e-9)
    }

    @Test("impossible values are refused with the value's name")
    func impossible() throws {
        let cases: [(Int, Int, Int, Concurrency, Double?, String)] = [
            (0, 10, 10, .fixed(1), nil, "gpus"), (1, -1, 10, .fixed(1), nil, "input-tokens"),
            (1, 10, -5, .fixed(1), nil, "output-tokens"), (1, 0, 0, .fixed(1), nil, "input-tokens + output-tokens"),
            (1, 10, 10, .fixed(0), nil, "concurrency"), (1, 10, 10, .fixed(1), -2, "usd-per-hour"),
        ]
        for (gpus, input, output, concurrency, price, name) in cases {
            let d = try model.deployment(
                model: "llama-3-8b",
                quant: "f16",
                hardware: "h100-sxm",
                gpus: gpus,
                concurrency: concurrency,
                inputTokens: input,
                outputTokens: output,
                usdPerHour: price
            )
            do {
                _ = try model.estimate(d)
                Issue.record("accepted \(name)")
            } catch let CostModelError.invalidValue(got, _, _) {
                #expect(got == name)
            }
        }
        #expect(throws: CostModelError.self) {
            try model.estimate(
                try model.deployment(
                    model: "llama-3-8b",
                    quant: "f16",
                    hardware: "m3-max-40c-64gb",
                    engine: "tensorrt-llm"
                )
            )
        }
    }

    @Test("the planner's pricer agrees with estimate() for a Llama-shaped model")
    func pricer() throws {
        let pricer = try model.pricer(quant: "fp8", hardware: "h100-sxm", engine: "vllm")
        let quick = pricer.price(params: 8e9, concurrency: .max, inputTokens: 1000, outputTokens: 500)
        let full = try model.estimate(
            try model.deployment(
                model: .llamaShaped(params: 8e9),
                quant: "fp8",
                hardware: "h100-sxm",
                engine: "vllm",
                concurrency: .max,
                inputTokens: 1000,
                outputTokens: 500
            )
        )
        #expect(quick.fits == full.fits)
        #expect(abs(quick.outputTokensPerSecond / (try #require(full.outputTokensPerSecond)) - 1) < 1e-12)
        #expect(abs(quick.usdPerMillionOutputTokens / (try #require(full.usdPerMillionOutputTokens)) - 1) < 1e-12)
        // cost per token grows with N
        var previous = 0.0
        for n in [1e9, 3e9, 1e10, 3e10, 7e10] {
            let c = pricer.price(params: n, concurrency: .max, inputTokens: 1000, outputTokens: 500)
            #expect(c.usdPerMillionOutputTokens > previous)
            previous = c.usdPerMillionOutputTokens
        }
        #expect(!pricer.price(params: 2e11).fits)  // 200B at FP8 does not fit one 80 GB GPU
    }
}

@Suite("Validation and calibration on the published measurements")
struct ValidationTests {
    @Test("the built-in calibration meets the acceptance: median |error| ≤ 15% overall, ≤ 20% per metric")
    func acceptance() throws {
        let rows = try Measurement.read(contentsOf: Fixtures.measurements)
        #expect(rows.count == 79)
        let report = CostModel().validate(rows)
        #expect(report.unpriceable == 0)
        let all = try #require(report.medianAbsPctError["all"])
        #expect(all <= 15)
        for metric in Metric.allCases where !metric.isImage {
            let value = try #require(report.medianAbsPctError[metric.rawValue], "\(metric)")
            #expect(value <= 20, "\(metric.rawValue): \(value)%")
        }
    }

    @Test("the catalog defaults alone are already within 25% (the calibration refines, it does not rescue)")
    func defaultsAreReasonable() throws {
        let rows = try Measurement.read(contentsOf: Fixtures.measurements)
        let report = CostModel(calibration: .defaults).validate(rows)
        #expect(try #require(report.medianAbsPctError["all"]) <= 25)
    }

    @Test(
        "calibrating on one half generalises to the other half (rows and devices, both ways)",
        arguments: MeasurementSplit.allCases
    )
    func generalisation(split: MeasurementSplit) throws {
        let rows = try Measurement.read(contentsOf: Fixtures.measurements)
        let (a, b) = split.halves(of: rows, seed: 1)
        #expect(!a.isEmpty && !b.isEmpty && a.count + b.count == rows.count)
        if split == .hardware {
            #expect(Set(a.map(\.hardware)).isDisjoint(with: b.map(\.hardware)))
        }
        for (train, test) in [(a, b), (b, a)] {
            let calibration = try CostModel().calibrate(train)
            let report = CostModel(calibration: calibration).validate(test)
            #expect(try #require(report.medianAbsPctError["all"]) <= 20, "\(split) held-out median")
        }
    }

    @Test(
        "refitting each fixture reproduces its part of the built-in calibration",
        arguments: ["inference_measurements.csv", "image_measurements.csv"]
    )
    func builtInIsCurrent(fixture: String) throws {
        let rows = try Measurement.read(contentsOf: Fixtures.path(fixture))
        // As `t2 calibrate` fits by default: the prior weight chosen by leaving each device out.
        let fitted = try CostModel().calibrateChoosingPriorWeight(rows)
        #expect(fitted.priorWeight?.method == .crossValidated)
        let builtIn = Calibration.builtIn
        let images = fixture.hasPrefix("image")
        let part = builtIn.parameters.filter { key, _ in
            (key.hasPrefix("diffusers/") || key.hasPrefix("tensorrt-diffusion/")) == images
        }
        #expect(Set(fitted.parameters.keys) == Set(part.keys))
        for (key, value) in part {
            let refit = try #require(fitted.parameters[key])
            #expect(abs(refit - value) <= 0.02 * abs(value) + 1e-6, "\(key): built-in \(value), refit \(refit)")
        }
    }

    @Test("unknown names are reported as unpriceable rows, never dropped")
    func unpriceable() throws {
        let text = """
            id,source,hardware,gpus,engine,model,quant,concurrency,input_tokens,output_tokens,metric,value
            ok,x,rtx-4090,1,llama.cpp,llama-3-8b,f16,1,0,128,decode_tokens_per_s,54
            bad,x,rtx-9090,1,llama.cpp,llama-3-8b,f16,1,0,128,decode_tokens_per_s,54
            """
        let rows = try Measurement.parse(try CSVTable(string: text, source: "inline.csv"))
        let report = CostModel().validate(rows)
        #expect(report.rows.count == 2)
        #expect(report.unpriceable == 1)
        let bad = try #require(report.rows.first { $0.id == "bad" })
        #expect(bad.status == "unpriceable" && bad.predicted == nil)
        #expect(bad.reason?.contains("rtx-9090") == true && bad.reason?.contains("rtx-") == true)
        #expect(report.counts["all"] == 1)
    }

    @Test(
        "bad measurement cells name the line and column",
        arguments: [("concurrency", "lots"), ("metric", "tokens"), ("gpus", "0"), ("value", "-3")]
    )
    func badCells(column: String, value: String) throws {
        var cells = [
            "a", "x", "rtx-4090", "1", "llama.cpp", "llama-3-8b", "f16", "1", "0", "128", "decode_tokens_per_s", "54",
        ]
        let header = [
            "id", "source", "hardware", "gpus", "engine", "model", "quant", "concurrency", "input_tokens",
            "output_tokens", "metric", "value",
        ]
        cells[header.firstIndex(of: column)!] = value
        let text = header.joined(separator: ",") + "\n" + cells.joined(separator: ",")
        do {
            _ = try Measurement.parse(try CSVTable(string: text, source: "m.csv"))
            Issue.record("accepted \(column)=\(value)")
        } catch let error as TabularError {
            #expect(error.line == 2 && error.column == column)
        }
    }

    @Test("a calibration file with a typo'd key is refused")
    func calibrationTypo() throws {
        let bad = Calibration(parameters: ["llama.cpp/apple/memEf": 0.8])
        #expect(throws: CatalogError.self) { try bad.check(against: CostModel(), source: "cal.json") }
        let good = Calibration(parameters: ["llama.cpp/apple/memEff": 0.8])
        try good.check(against: CostModel(), source: "cal.json")
    }
}

/// A sweep over the whole catalog: every deployment evaluates without a trap, and a plausible
/// share fits. Its speed is measured in Benchmarks/CostBenchmarks, not here.
@Suite("Catalog sweep")
struct CatalogSweepTests {
    @Test("a sweep of 10⁵ deployments (hardware × models × quants × concurrency) evaluates every one")
    func sweep() throws {
        let model = CostModel()
        let shapes = model.catalog.models.map(ModelShape.init)
        var setups: [ResolvedSetup] = []
        for hardware in model.catalog.hardware {
            for quant in model.catalog.quantizations {
                guard let engine = model.catalog.defaultEngine(for: hardware, quant: quant) else { continue }
                setups.append(try model.resolve(quant: quant, hardware: hardware, engine: engine, gpus: 1).0)
            }
        }
        let loads: [Concurrency] = [.fixed(1), .fixed(8), .fixed(64), .max]
        #expect(setups.count * shapes.count * loads.count >= 30_000)
        var evaluated = 0
        var fitting = 0
        while evaluated < 100_000 {
            for setup in setups {
                for shape in shapes {
                    for load in loads where evaluated < 100_000 {
                        let r = Roofline.evaluate(
                            shape,
                            setup,
                            concurrency: load,
                            inputTokens: 1024,
                            outputTokens: 256
                        )
                        if r.fits && r.outputTokensPerSecond > 0 { fitting += 1 }
                        evaluated += 1
                    }
                }
            }
        }
        #expect(evaluated == 100_000)
        #expect(fitting > 10_000 && fitting < 100_000)  // some fit, some (405B on a 16 GB Mac) do not
    }
}
