import LoadTesting
import Testing

@Suite("level metrics from records")
struct MetricsTests {
    func record(
        _ i: Int,
        start: Double,
        tokens: [Double],
        end: Double,
        usage: Int?,
        failure: RequestFailure? = nil
    ) -> RequestRecord {
        func ns(_ s: Double) -> UInt64 { UInt64((s * 1e9).rounded()) }
        var r = RequestRecord(index: i, scheduledNanos: ns(start), startNanos: ns(start), endNanos: ns(end))
        r.tokenEventNanos = tokens.map(ns)
        r.completionTokens = usage
        r.promptTokens = usage == nil ? nil : 10
        r.failure = failure
        return r
    }

    @Test("throughput, TTFT, TPOT, ITL, goodput and cost follow their definitions")
    func definitions() throws {
        // Two requests over a 2 s window: 1 + 1 successes, 4 output tokens each.
        let a = record(0, start: 10.0, tokens: [10.1, 10.2, 10.3, 10.4], end: 10.5, usage: 4)
        let b = record(1, start: 10.5, tokens: [11.0, 11.2, 11.4, 11.6], end: 12.0, usage: 4)
        let c = record(
            2,
            start: 11.0,
            tokens: [],
            end: 11.5,
            usage: nil,
            failure: RequestFailure(kind: .httpStatus, status: 429, message: "slow down")
        )
        let result = LevelResult(
            pattern: .concurrency(2),
            records: [a, b, c],
            clientCPUSeconds: 0.003,
            interrupted: false
        )
        let s = LevelSummary(result, slo: ServiceLevelObjectives(ttft: 0.2), usdPerHour: 7.2)
        #expect(s.requests == 3 && s.succeeded == 2 && s.failed == 1)
        #expect(s.errors == ["http_429": 1])
        #expect(abs(s.durationSeconds - 2.0) < 1e-9)
        #expect(abs(s.requestThroughput - 1.0) < 1e-9)
        #expect(abs(s.outputTokenThroughput - 4.0) < 1e-9)
        #expect(abs(s.totalTokenThroughput - 14.0) < 1e-9)
        #expect(abs(s.ttft!.meanMs - 300) < 1e-6)  // (100 + 500) / 2
        #expect(abs(s.tpot!.meanMs - 150) < 1e-6)  // (100 + 200) / 2
        #expect(s.itl!.count == 6)
        #expect(abs(s.itl!.meanMs - 150) < 1e-6)
        #expect(abs(s.e2e!.meanMs - 1000) < 1e-6)  // (500 + 1500) / 2
        #expect(abs(s.ttft!.p50Ms - 100) < 0.1)  // HdrHistogram, 3 significant digits
        #expect(abs(s.ttft!.p99Ms - 500) < 0.5)
        #expect(s.goodRequests == 1)
        #expect(abs(s.goodput! - 0.5) < 1e-9)
        #expect(abs(s.usdPerMillionOutputTokens! - 7.2 / (4 * 3600) * 1e6) < 1e-6)
        #expect(abs(s.usdPerMillionTotalTokens! - 7.2 / (14 * 3600) * 1e6) < 1e-6)
        #expect(abs(s.clientCPUMicrosecondsPerRequest! - 1000) < 1e-6)
        #expect(s.tokenCountSource == "server usage")
        #expect(abs(s.achievedConcurrency - 1.25) < 1e-9)  // (0.5 + 1.5 + 0.5) / 2
    }

    @Test("SLO parsing: units, names and errors")
    func slo() throws {
        let s = try ServiceLevelObjectives.parse("ttft=500ms,itl=50ms,e2e=2s")
        #expect(s.ttft == 0.5 && s.itl == 0.05 && s.e2e == 2)
        #expect(abs(try #require(try ServiceLevelObjectives.parse("tpot=800us").itl) - 0.0008) < 1e-12)
        #expect(try ServiceLevelObjectives.parse("ttft=250").ttft == 0.25)
        #expect(throws: LoadTestingError.self) { try ServiceLevelObjectives.parse("foo=1ms") }
        #expect(throws: LoadTestingError.self) { try ServiceLevelObjectives.parse("ttft=fast") }
    }

    @Test("CSV has one row per level with the header's columns")
    func csv() {
        let a = record(0, start: 0, tokens: [0.1, 0.2], end: 0.3, usage: 2)
        let s = LevelSummary(
            LevelResult(pattern: .rate(5, poisson: true), records: [a], clientCPUSeconds: 0, interrupted: false),
            slo: nil,
            usdPerHour: nil
        )
        let report = BenchReport(
            url: "http://x:1",
            model: "m",
            endpoint: "chat",
            inputTokens: 8,
            outputTokens: 2,
            seed: 0,
            warmupRequests: 0,
            levels: [s, s],
            complete: true,
            interrupted: false
        )
        let lines = report.csv().split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines[0].split(separator: ",").count == BenchReport.csvHeader.count)
        #expect(lines[1].hasPrefix("m,rate=5.0/s poisson,,5,1,1,0,"))
    }

    @Test("server address parsing")
    func address() throws {
        let a = try ServerAddress(url: "http://127.0.0.1:8080/v1/")
        #expect(a.host == "127.0.0.1" && a.port == 8080 && a.basePath == "")
        let b = try ServerAddress(url: "http://localhost/prefix")
        #expect(b.port == 80 && b.basePath == "/prefix")
        #expect(throws: LoadTestingError.self) { try ServerAddress(url: "https://x") }
        #expect(throws: LoadTestingError.self) { try ServerAddress(url: "http://x:99999") }
        #expect(throws: LoadTestingError.self) { try ServerAddress(url: "127.0.0.1:80") }
    }
}
