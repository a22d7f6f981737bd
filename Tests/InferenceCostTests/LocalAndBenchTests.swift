import Foundation
import InferenceCost
import T2TestSupport
import Tabular
import Testing

@Suite("--hardware local, CPUs and bench reports")
struct LocalAndBenchTests {
    static let x86 = """
        processor\t: 0
        vendor_id\t: AuthenticAMD
        model name\t: AMD EPYC 9654 96-Core Processor
        cpu MHz\t\t: 2400.000
        physical id\t: 0
        siblings\t: 4
        cpu cores\t: 2
        flags\t\t: fpu sse2 avx2 fma avx512f avx512_vnni

        processor\t: 1
        vendor_id\t: AuthenticAMD
        physical id\t: 0
        processor\t: 2
        processor\t: 3
        """

    static let arm = """
        processor\t: 0
        BogoMIPS\t: 108.00
        Features\t: fp asimd evtstrm aes crc32 asimddp
        CPU implementer\t: 0x41
        processor\t: 1
        processor\t: 2
        processor\t: 3
        """

    @Test("/proc/cpuinfo and /proc/meminfo: model, physical cores, memory, and the vector rates the ISA gives")
    func describe() {
        let amd = LocalHardware.describe(cpuinfo: Self.x86, meminfo: "MemTotal:       16384000 kB\n")
        #expect(amd.cpuModel == "AMD EPYC 9654 96-Core Processor")
        #expect(amd.threads == 4 && amd.cores == 2)
        #expect(amd.memoryBytes == 16_384_000 * 1024)
        #expect(amd.clockGHz == 2.4)
        #expect(amd.fp32FlopsPerCycle == 32 && amd.int8PerFP32 == 4)  // Zen 4: AVX-512 on 256-bit pipes, VNNI
        let pi = LocalHardware.describe(cpuinfo: Self.arm, meminfo: "MemTotal: 8000000 kB")
        #expect(pi.architecture == "arm64" && pi.cores == 4)
        #expect(pi.fp32FlopsPerCycle == 16 && pi.int8PerFP32 == 4)
        let h = LocalHardware.hardware(amd, bandwidthGBps: 40)
        #expect(h.name == "local" && h.hardwareClass == "cpu" && h.problems().isEmpty)
        #expect(abs(h.peakTFLOPS["vector"]! - 2 * 2.4 * 32 / 1000) < 1e-3)
        #expect(h.usdPerHour != nil && h.priceSource?.contains("edit") == true)
    }

    @Test("the bandwidth probe is bounded and measures something")
    func probe() {
        let clock = ContinuousClock()
        var gbps = 0.0
        let elapsed = clock.measure { gbps = LocalHardware.probeBandwidth(bytes: 16 << 20, seconds: 0.2, threads: 2) }
        #expect(gbps > 0.1 && gbps.isFinite)
        #expect(elapsed < .seconds(10))
    }

    @Test("the local entry is cached as an editable catalog file and read back")
    func cache() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.file("t2/local-hardware.json")
        let (first, created) = try LocalHardware.load(path: path, probeSeconds: 0.2)
        #expect(created && first.name == "local")
        var catalog = Catalog()
        try catalog.merge(contentsOf: path)  // a plain catalog file
        #expect(try catalog.hardware(named: "local") == first)
        // the user's edit wins on the next run
        var text = try String(contentsOfFile: path, encoding: .utf8)
        text = text.replacingOccurrences(
            of: #""bandwidthGBps" : [0-9.e+]+"#,
            with: #""bandwidthGBps" : 12.5"#,
            options: .regularExpression
        )
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let (second, again) = try LocalHardware.load(path: path)
        #expect(!again && second.bandwidthGBps == 12.5)
        #expect(
            LocalHardware.defaultPath(environment: ["T2_LOCAL_HARDWARE": "/x/y.json", "HOME": "/h"]) == "/x/y.json"
        )
        #expect(
            LocalHardware.defaultPath(environment: ["XDG_CACHE_HOME": "/c", "HOME": "/h"])
                == "/c/t2/local-hardware.json"
        )
    }

    @Test("llama.cpp on a CPU: int8 dot products for prefill, memory-bound decode")
    func cpuPricing() throws {
        let model = CostModel()
        let e = try model.estimate(
            try model.deployment(model: "llama-3.1-8b", quant: "q4_k_m", hardware: "ryzen-9-7950x", inputTokens: 512)
        )
        #expect(e.engine == "llama.cpp" && e.computePrecision == "int8")
        #expect(e.decodeBound == "memory")
        // decode cannot beat bandwidth / weight bytes
        #expect(try #require(e.decodeTokensPerSecond) < 83.2 / e.weightsGB)
        let server = try model.estimate(
            try model.deployment(
                model: "llama-3.1-8b",
                quant: "q4_k_m",
                hardware: "ryzen-9-7950x",
                engine: "llama-cpp-python",
                concurrency: .fixed(4)
            )
        )
        // one request at a time: four clients queue, throughput stays at one stream's
        #expect(server.batch == 1 && server.maxConcurrency == 1)
    }

    @Test("published llama.cpp CPU measurements: the uncalibrated model's error is reported")
    func cpuMeasurements() throws {
        let rows = try Measurement.read(contentsOf: Fixtures.path("cpu_measurements.csv"))
        #expect(rows.count >= 20)
        let report = CostModel().validate(rows)
        #expect(report.unpriceable == 0)
        // No CPU row is in the built-in calibration: these are the catalog defaults' errors
        // (docs/cost-model.md, 'CPUs').
        #expect(Calibration.builtIn.parameters.keys.allSatisfy { !$0.contains("/cpu/") })
        #expect(try #require(report.medianAbsPctError["all"]) <= 60)
    }

    static let bench = """
        {"schema": "t2.bench/1", "model": "smollm2-135m", "url": "http://127.0.0.1:1", "endpoint": "chat",
         "outputTokens": 64, "seed": 0, "warmupRequests": 0, "complete": true, "interrupted": false,
         "levels": [
          {"load": "concurrency 1", "concurrency": 1, "requests": 10, "succeeded": 10, "failed": 0,
           "inputTokens": 1280, "outputTokens": 640, "outputTokenThroughput": 120.5,
           "ttft": {"count": 10, "meanMs": 40, "p50Ms": 40}, "itl": {"count": 630, "meanMs": 8, "p50Ms": 8}},
          {"load": "concurrency 2", "concurrency": 2, "requests": 10, "succeeded": 10, "failed": 0,
           "inputTokens": 1280, "outputTokens": 640, "outputTokenThroughput": 121,
           "ttft": {"count": 10, "meanMs": 300}, "itl": {"count": 630, "meanMs": 8.1}},
          {"load": "rate 5/s", "rate": 5, "requests": 10, "succeeded": 10, "inputTokens": 1, "outputTokens": 1},
          {"load": "concurrency 4", "concurrency": 4, "requests": 10, "succeeded": 0, "failed": 10,
           "inputTokens": 0, "outputTokens": 0, "outputTokenThroughput": 0}
         ]}
        """

    @Test("a bench report becomes calibrate rows: TTFT, ITL, throughput per level, decode and prefill at concurrency 1")
    func benchRows() throws {
        let labels = BenchMeasurements.Labels(hardware: "ryzen-9-7950x", engine: "llama-cpp-python", quant: "q4_1")
        let rows = try BenchMeasurements.measurements(
            fromBenchJSON: Data(Self.bench.utf8),
            source: "bench.json",
            labels: labels
        )
        #expect(
            rows.map(\.id) == [
                "c1-ttft_ms", "c1-itl_ms", "c1-output_tokens_per_s", "c1-decode_tokens_per_s",
                "c1-prefill_tokens_per_s",
                "c2-ttft_ms", "c2-itl_ms", "c2-output_tokens_per_s",
            ]
        )
        let decode = try #require(rows.first { $0.metric == .decodeTokensPerSecond })
        #expect(decode.value == 1000 / 8 && decode.inputTokens == 128 && decode.outputTokens == 64)
        let prefill = try #require(rows.first { $0.metric == .prefillTokensPerSecond })
        #expect(prefill.value == 128 / 0.040)
        #expect(rows.allSatisfy { $0.model == "smollm2-135m" && $0.hardware == "ryzen-9-7950x" })
        // snake_case keys read the same
        let snake = Self.bench.replacingOccurrences(of: "outputTokenThroughput", with: "output_token_throughput")
            .replacingOccurrences(of: "meanMs", with: "mean_ms").replacingOccurrences(
                of: "inputTokens",
                with: "input_tokens"
            )
        let again = try BenchMeasurements.measurements(fromBenchJSON: Data(snake.utf8), source: "b", labels: labels)
        #expect(again == rows)
        // and they round-trip through the calibrate CSV
        let scratch = try ScratchDirectory()
        let path = try scratch.write("m.csv", BenchMeasurements.csv(rows, source: "bench.json"))
        let read = try Measurement.read(contentsOf: path)
        #expect(read.map(\.id) == rows.map(\.id) && read.map(\.value) == rows.map(\.value))
        // not a bench report
        #expect(throws: TabularError.self) {
            try BenchMeasurements.measurements(
                fromBenchJSON: Data(#"{"schema": "t2.plan/1"}"#.utf8),
                source: "p",
                labels: labels
            )
        }
    }

    @Test("calibrate refuses a prior weight or Huber δ it cannot use, naming it, before any work")
    func badOptions() throws {
        let rows = try Measurement.read(contentsOf: Fixtures.measurements)
        for (options, name) in [
            (CalibrationOptions(priorWeight: -1), "prior weight"),
            (CalibrationOptions(priorWeight: .nan), "prior weight"),
            (CalibrationOptions(priorWeight: .infinity), "prior weight"),
            (CalibrationOptions(huberDelta: 0), "Huber"),
            (CalibrationOptions(huberDelta: .nan), "Huber"),
        ] {
            do {
                _ = try CostModel().calibrate(rows, options: options)
                Issue.record("accepted \(options)")
            } catch {
                #expect(error.localizedDescription.contains(name), "\(error.localizedDescription)")
            }
        }
    }

    @Test("calibrate groups repeated deployments: k copies of every row with k× the prior give the same fit")
    func grouping() throws {
        let rows = try Measurement.read(contentsOf: Fixtures.measurements)
        let once = try CostModel().calibrate(rows)
        var copies: [InferenceCost.Measurement] = []
        for k in 0..<5 {
            for var row in rows {
                row.id += "-\(k)"
                copies.append(row)
            }
        }
        let five = try CostModel().calibrate(copies, options: CalibrationOptions(priorWeight: 0.05))
        for (key, value) in once.parameters {
            let other = try #require(five.parameters[key])
            #expect(abs(other - value) <= 1e-3 * abs(value) + 1e-6, "\(key): \(value) vs \(other)")
        }
        #expect(five.data?.used == copies.count)
    }
}
