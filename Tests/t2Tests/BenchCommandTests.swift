import ArgumentParser
import InferenceCost
import LoadTesting
import Testing

@testable import t2

@Suite("t2 bench arguments and rendering")
struct BenchCommandTests {
    func parse(_ args: [String]) throws -> BenchCommand {
        try BenchCommand.parse(["--url", "http://127.0.0.1:8080", "--model", "m"] + args)
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
}
