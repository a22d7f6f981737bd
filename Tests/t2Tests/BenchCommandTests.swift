import ArgumentParser
import Foundation
import InferenceCost
import LoadTesting
import T2TestSupport
import Tabular
import Testing

@testable import t2

@Suite("t2 bench arguments and rendering")
struct BenchCommandTests {
    func parse(_ args: [String]) throws -> BenchCommand {
        try BenchCommand.parse(["--url", "http://127.0.0.1:8080", "--model", "m"] + args)
    }

    @Test("load levels: gamma arrivals with burstiness, ramps, a concurrency cap")
    func openLoopShapes() throws {
        let gamma = try parse(["--rate", "gamma:8", "--burstiness", "0.5", "--max-concurrency", "4"]).loadPatterns()
        #expect(gamma == [.rate(RateLoad(rate: 8, arrivals: .gamma(burstiness: 0.5), maxConcurrency: 4))])
        let ramp = try parse(["--rate", "poisson:1..20", "--duration", "60"]).loadPatterns()
        #expect(ramp == [.rate(RateLoad(rate: 1, arrivals: .poisson, endRate: 20, rampSeconds: 60))])
        #expect(ramp[0].description == "rate=1.0→20.0/s over 60.0s poisson")
        #expect(try parse(["--shard", "1/3", "--concurrency", "3"]).shardValue() == Shard(index: 1, count: 3))
        #expect(throws: (any Error).self) { try parse(["--shard", "1/3"]) }
        // --shards n takes the index from JOB_COMPLETION_INDEX, as a Kubernetes Indexed Job sets it.
        #expect(
            try Shard.fromEnvironment(count: 4, environment: ["JOB_COMPLETION_INDEX": "2"]) == Shard(index: 2, count: 4)
        )
        #expect(throws: LoadTestingError.self) { try Shard.fromEnvironment(count: 4, environment: [:]) }
        #expect(throws: LoadTestingError.self) {
            try Shard.fromEnvironment(count: 4, environment: ["JOB_COMPLETION_INDEX": "4"])
        }
    }

    @Test("load levels: concurrency list, constant and Poisson rates; default concurrency 1")
    func levels() throws {
        #expect(try parse([]).loadPatterns() == [.concurrency(1)])
        #expect(
            try parse(["--concurrency", "1,4,16"]).loadPatterns() == [
                .concurrency(1), .concurrency(4), .concurrency(16),
            ]
        )
        #expect(
            try parse(["--rate", "poisson:2.5,10"]).loadPatterns() == [
                .rate(2.5, poisson: true), .rate(10, poisson: false),
            ]
        )
    }

    @Test(
        "bad arguments are rejected with a message that says what to type",
        arguments: [
            ["--concurrency", "0"], ["--concurrency", "a,b"], ["--rate", "poisson:-1"], ["--endpoint", "embeddings"],
            ["--slo", "ttft=soon"], ["--requests", "0"], ["--usd-per-hour", "-2"], ["--output-tokens", "0"],
            ["--gpus", "0"],
            // Issue 15: values that used to crash or allocate gigabytes are refused up front.
            ["--timeout", "inf"], ["--timeout", "1e10"], ["--duration", "inf"], ["--duration", "1e11"],
            ["--temperature", "nan"], ["--usd-per-hour", "inf"], ["--input-tokens", "1000000000"],
            ["--input-tokens", "uniform:5,1"], ["--output-tokens", "normal:nan,3"], ["--threads", "100000"],
            ["--rate", "1..5"], ["--rate", "gamma:5", "--burstiness", "0"], ["--max-goodput"],
            ["--sweep", "--concurrency", "1,2"], ["--measurements-out", "m.csv"], ["--turns", "0"],
            ["--samples-per-query", "2", "--sample-mode", "x"], ["--shard", "3/3"], ["--url", "http://a:1,https://b"],
        ]
    )
    func rejects(args: [String]) {
        #expect(throws: (any Error).self) { try parse(args) }
    }

    @Test("--hardware resolves catalog names before any request, and says what to do when they are unknown")
    func predictorNames() throws {
        #expect(try parse([]).costPredictor() == nil)
        let predictor = try #require(
            try parse(["--hardware", "rtx-4090", "--cost-model", "llama-3.1-8b", "--quant", "q4_k_m"]).costPredictor()
        )
        #expect(predictor.deployment.model.name == "llama-3.1-8b")
        // The server's model name is used when the catalog knows it.
        #expect(
            try BenchCommand.parse(["--url", "http://127.0.0.1:1", "--model", "smollm2", "--hardware", "rtx-4090"])
                .costPredictor() != nil
        )
        for args in [
            ["--hardware", "rtx-4090"], ["--hardware", "rtx-9999", "--cost-model", "llama-3.1-8b"],
            ["--hardware", "rtx-4090", "--cost-model", "llama-3.1-8b", "--quant", "q9"],
            ["--cost-model", "llama-3.1-8b"],
        ] {
            #expect(throws: (any Error).self, "\(args)") { try parse(args).costPredictor() }
        }
        do {
            _ = try parse(["--hardware", "rtx-4090"]).costPredictor()
        } catch {
            #expect("\(error)".contains("--cost-model"), "\(error)")
        }
    }

    @Test("predictions render beside the measured figures")
    func predictionTable() throws {
        var r = RequestRecord(index: 0, scheduledNanos: 0, startNanos: 0, endNanos: 300_000_000)
        r.tokenEventNanos = [100_000_000, 200_000_000]
        r.completionTokens = 2
        r.promptTokens = 5
        let level = LevelSummary(
            LevelResult(pattern: .concurrency(2), records: [r], clientCPUSeconds: 0.001, interrupted: false),
            slo: nil,
            usdPerHour: 2
        )
        let predictor = try #require(
            try parse(["--hardware", "rtx-4090", "--cost-model", "llama-3.1-8b", "--quant", "q4_k_m"]).costPredictor()
        )
        let prediction = predictor.predict(level)
        #expect(prediction.concurrency == 2 && prediction.fits)
        #expect((prediction.itlMs ?? 0) > 0 && (prediction.ttftMs ?? 0) > 0)
        let report = BenchReport(
            url: "http://127.0.0.1:1",
            model: "m",
            endpoint: "chat",
            inputTokens: 8,
            outputTokens: 2,
            seed: 0,
            warmupRequests: 0,
            levels: [level],
            complete: true,
            interrupted: false,
            predictions: [prediction]
        )
        let text = BenchCommand.renderTable(report)
        #expect(text.contains("t2 cost prediction for llama-3.1-8b q4_k_m on rtx-4090"), "\(text)")
    }

    @Test("the root command knows bench and sample")
    func registered() throws {
        let names = T2Command.configuration.subcommands.map { $0.configuration.commandName }
        #expect(names.contains("bench") && names.contains("sample"))
        let url = try ServerAddress(url: "http://127.0.0.1:1")
        #expect(url.port == 1)
    }

    @Test("the table shows every metric column and the notes")
    func table() {
        var r = RequestRecord(index: 0, scheduledNanos: 0, startNanos: 0, endNanos: 300_000_000)
        r.tokenEventNanos = [100_000_000, 200_000_000]
        r.completionTokens = 2
        r.promptTokens = 5
        var bad = RequestRecord(index: 1, scheduledNanos: 0, startNanos: 0, endNanos: 1)
        bad.failure = RequestFailure(kind: .httpStatus, status: 429, message: "HTTP 429: slow down")
        let level = LevelSummary(
            LevelResult(pattern: .concurrency(4), records: [r, bad], clientCPUSeconds: 0.001, interrupted: false),
            slo: ServiceLevelObjectives(ttft: 0.5),
            usdPerHour: 2
        )
        let report = BenchReport(
            url: "http://127.0.0.1:1",
            model: "m",
            endpoint: "chat",
            inputTokens: 8,
            outputTokens: 2,
            seed: 0,
            warmupRequests: 0,
            levels: [level],
            complete: true,
            interrupted: false
        )
        let text = BenchCommand.renderTable(report)
        for column in ["TTFT mean", "ITL mean", "TPOT mean", "E2E mean", "req/s", "out tok/s", "goodput/s", "$/M out"] {
            #expect(text.contains(column), "\(column)")
        }
        #expect(text.contains("concurrency=4"))
        #expect(text.contains("http_429 1 (HTTP 429: slow down)"))
        #expect(text.contains("tokens: server usage"))
    }

    @Test("a run in which every request failed exits 1 and names the error kinds")
    func allFailedExitsOne() throws {
        let dir = try ScratchDirectory("t2-bench")
        // Port 9 (discard) on the loopback: nothing listens, every connection is refused.
        let result = try T2Binary.run([
            "bench", "--url", "http://127.0.0.1:9", "--model", "m", "--requests", "3", "--timeout", "2",
            "--out", dir.file("r.json"),
        ])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains("every request failed (3 requests): connect 3"), "\(result.stderr)")
        // The results file is still written, complete.
        let json = try JSONValue.parse(Array(try #require(dir.read("r.json")).utf8))
        #expect(json["complete"] == .bool(true))
        #expect(json["schema"]?.stringValue == "t2.bench/1")
    }

    @Test("an --out that cannot be written fails before any request is sent")
    func unwritableOut() throws {
        let dir = try ScratchDirectory("t2-bench")
        let start = Date()
        let result = try T2Binary.run([
            "bench", "--url", "http://127.0.0.1:9", "--model", "m", "--requests", "1000", "--out",
            dir.file("missing/r.json"),
        ])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains("does not exist"), "\(result.stderr)")
        #expect(Date().timeIntervalSince(start) < 20)
        // A directory as --out is refused the same way.
        let asDirectory = try T2Binary.run(["bench", "--url", "http://127.0.0.1:9", "--model", "m", "--out", dir.path])
        #expect(asDirectory.status == 1 && asDirectory.stderr.contains("is a directory"), "\(asDirectory.stderr)")
    }

    @Test("a usage error found when the command runs names the subcommand's usage, not the root's")
    func runTimeUsageError() throws {
        for (args, usage) in [
            (["bench"], "Usage: t2 bench "), (["sample", "--model", "m"], "Usage: t2 sample "),
        ] {
            let result = try T2Binary.run(args)
            #expect(result.status == 64, "\(args): \(result.stderr)")
            #expect(result.stderr.contains("Error: --url is required"), "\(args): \(result.stderr)")
            #expect(result.stderr.contains(usage), "\(args): \(result.stderr)")
            #expect(result.stderr.contains("See 't2 \(args[0]) --help'"), "\(result.stderr)")
            #expect(!result.stderr.contains("Usage: t2 <subcommand>"), "\(args): \(result.stderr)")
        }
    }

    @Test("bad values exit 64 with a message that says what to type")
    func usageErrors() throws {
        for (args, words) in [
            (["--timeout", "inf"], "--timeout"), (["--duration", "1e11"], "--duration"),
            (["--temperature", "nan"], "temperature"), (["--input-tokens", "1000000000"], "--input-tokens"),
        ] {
            let result = try T2Binary.run(["bench", "--url", "http://127.0.0.1:9", "--model", "m"] + args)
            #expect(result.status == 64, "\(args): \(result.stderr)")
            #expect(result.stderr.contains(words), "\(args): \(result.stderr)")
        }
    }

    @Test("the CSV keeps a model name with a comma and quotes in one field")
    func csvQuoting() throws {
        var r = RequestRecord(index: 0, scheduledNanos: 0, startNanos: 0, endNanos: 300_000_000)
        r.tokenEventNanos = [100_000_000, 200_000_000]
        r.completionTokens = 2
        let level = LevelSummary(
            LevelResult(pattern: .concurrency(1), records: [r], clientCPUSeconds: 0, interrupted: false),
            slo: nil,
            usdPerHour: nil
        )
        let report = BenchReport(
            url: "http://127.0.0.1:1",
            model: "llama, \"8b\"",
            endpoint: "chat",
            inputTokens: 8,
            outputTokens: 2,
            seed: 0,
            warmupRequests: 0,
            levels: [level],
            complete: true,
            interrupted: false
        )
        let table = try CSVTable(string: report.csv(), source: "bench.csv")
        #expect(table.header == BenchReport.csvHeader)
        #expect(table.text(row: 0, column: 0) == "llama, \"8b\"")
        #expect(table.text(row: 0, column: 1) == "concurrency=1")
    }

    /// A two-level report (concurrency 1 and 2) with known figures.
    static func twoLevelReport() -> BenchReport {
        func level(_ c: Int, tokens: Int) -> LevelSummary {
            var records: [RequestRecord] = []
            for i in 0..<4 {
                let start = UInt64(i) * 1_000_000_000
                var r = RequestRecord(index: i, scheduledNanos: start, startNanos: start, endNanos: start + 900_000_000)
                r.tokenEventNanos = (0..<tokens).map { start + 100_000_000 + UInt64($0) * 20_000_000 * UInt64(c) }
                r.completionTokens = tokens
                r.promptTokens = 50
                records.append(r)
            }
            return LevelSummary(
                LevelResult(pattern: .concurrency(c), records: records, clientCPUSeconds: 0, interrupted: false),
                slo: nil,
                usdPerHour: nil
            )
        }
        return BenchReport(
            url: "http://127.0.0.1:1",
            model: "m",
            endpoint: "chat",
            inputTokens: 50,
            outputTokens: 16,
            seed: 0,
            warmupRequests: 0,
            levels: [level(1, tokens: 16), level(2, tokens: 16)],
            complete: true,
            interrupted: false
        )
    }

    @Test("--measurements-out rows are t2 calibrate's schema, labelled, with decode and prefill at concurrency 1")
    func measurementsOut() throws {
        let labels = BenchMeasurements.Labels(
            hardware: "rtx-4090",
            gpus: 1,
            engine: "llama.cpp",
            model: "llama-3.1-8b, \"base\"",
            quant: "q4_k_m"
        )
        let dir = try ScratchDirectory("t2-measurements")
        let source = "t2 bench http://127.0.0.1:1"
        let measured = try BenchMeasurements.measurements(
            fromBenchJSON: Data(try JSONOutput.encode(Self.twoLevelReport()).utf8),
            source: source,
            labels: labels
        )
        let path = try dir.write("m.csv", BenchMeasurements.csv(measured, source: source))
        let rows = try Measurement.read(contentsOf: path)
        let byMetric = Dictionary(grouping: rows, by: { "\($0.metric.rawValue)@\($0.concurrency)" })
        #expect(
            Set(byMetric.keys) == [
                "ttft_ms@1", "itl_ms@1", "output_tokens_per_s@1", "decode_tokens_per_s@1", "prefill_tokens_per_s@1",
                "ttft_ms@2", "itl_ms@2", "output_tokens_per_s@2",
            ]
        )
        let itl1 = try #require(byMetric["itl_ms@1"]?.first)
        #expect(abs(itl1.value - 20) < 0.01)  // TPOT: 20 ms per token at concurrency 1
        #expect(abs(try #require(byMetric["decode_tokens_per_s@1"]?.first).value - 50) < 0.05)
        #expect(abs(try #require(byMetric["itl_ms@2"]?.first).value - 40) < 0.01)
        #expect(abs(try #require(byMetric["ttft_ms@1"]?.first).value - 100) < 0.01)
        #expect(itl1.model == "llama-3.1-8b, \"base\"" && itl1.hardware == "rtx-4090" && itl1.inputTokens == 50)
        #expect(itl1.outputTokens == 16)
    }

    @Test("--calibration: the prediction beside the measurement uses the calibrated cost model")
    func calibratedPrediction() throws {
        let dir = try ScratchDirectory("t2-bench-calibration")
        let calibration = dir.file("cal.json")
        let calibrate = try T2Binary.run(["calibrate", Fixtures.measurements, "--out", calibration])
        #expect(calibrate.status == 0, "\(calibrate.stderr)")
        let plain = try #require(
            try parse(["--hardware", "rtx-4090", "--cost-model", "llama-3.1-8b"]).costPredictor()
        )
        let calibrated = try #require(
            try parse(["--hardware", "rtx-4090", "--cost-model", "llama-3.1-8b", "--calibration", calibration])
                .costPredictor()
        )
        let level = Self.twoLevelReport().levels[0]
        let a = plain.predict(level)
        let b = calibrated.predict(level)
        #expect(b.deployment.contains("calibrated") && !a.deployment.contains("calibrated"))
        #expect(b.itlMs != nil && b.ttftMs != nil)
        #expect(throws: (any Error).self) {
            try parse([
                "--hardware", "rtx-4090", "--cost-model", "llama-3.1-8b", "--calibration", dir.file("none.json"),
            ])
            .costPredictor()
        }
        #expect(throws: (any Error).self) { try parse(["--calibration", calibration]) }
    }

    @Test("the Kubernetes manifests' commands parse (with the shard index the Job would set)")
    func manifests() throws {
        let root = URL(fileURLWithPath: Fixtures.directory).deletingLastPathComponent().deletingLastPathComponent()
        for (file, command) in [("bench-indexed-job.yaml", "bench"), ("sample-indexed-job.yaml", "sample")] {
            let text = try String(
                contentsOf: root.appendingPathComponent("deploy/kubernetes/\(file)"),
                encoding: .utf8
            )
            // The folded `args` block: the lines after `- >-` up to the next key.
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            let start = try #require(lines.firstIndex { $0.trimmingCharacters(in: .whitespaces) == "- >-" })
            let body = lines[(start + 1)...].prefix { $0.hasPrefix("              ") }
            var words = body.joined(separator: " ").split(separator: " ").map(String.init)
            #expect(words.prefix(2) == ["t2", command], "\(file)")
            words = words.dropFirst(2).map { $0.replacingOccurrences(of: "$JOB_COMPLETION_INDEX", with: "0") }
            let shards = try #require(words.firstIndex(of: "--shards"))
            words[shards] = "--shard"
            words[shards + 1] = "0/" + words[shards + 1]
            if command == "bench" {
                #expect(throws: Never.self, "\(file)") { _ = try BenchCommand.parse(words) }
            } else {
                #expect(throws: Never.self, "\(file)") { _ = try SampleCommand.parse(words) }
            }
        }
    }
}
