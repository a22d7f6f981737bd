import Foundation
import NIOCore
import Optimization
import T2TestSupport
import Testing

@testable import LoadTesting

@Suite("latency histograms merge exactly")
struct HistogramTests {
    @Test("JSON round trip keeps every bucket; two halves merged equal the whole")
    func mergeAndRoundTrip() throws {
        var rng = SeededGenerator(seed: 7)
        let values = (0..<5000).map { _ in 0.001 + 0.2 * rng.nextUniform() * rng.nextUniform() }
        var whole = LatencyHistogram()
        var a = LatencyHistogram()
        var b = LatencyHistogram()
        for (i, v) in values.enumerated() {
            whole.record(seconds: v)
            if i % 3 == 0 { a.record(seconds: v) } else { b.record(seconds: v) }
        }
        var merged = a
        merged.add(b)
        #expect(merged.count == whole.count)
        #expect(abs(merged.sumSeconds - whole.sumSeconds) < 1e-9)
        #expect(merged.minSeconds == whole.minSeconds && merged.maxSeconds == whole.maxSeconds)
        for p in [1.0, 50, 90, 95, 99, 99.9, 100] {
            #expect(merged.percentileSeconds(p) == whole.percentileSeconds(p), "p\(p)")
        }
        let data = try JSONEncoder().encode(whole)
        let decoded = try JSONDecoder().decode(LatencyHistogram.self, from: data)
        #expect(decoded == whole)
        for p in [50.0, 99.0] { #expect(decoded.percentileSeconds(p) == whole.percentileSeconds(p)) }
        // Percentiles are within 0.1% of the exact order statistics.
        let sorted = values.sorted()
        let exact = sorted[Int((0.99 * Double(sorted.count)).rounded(.up)) - 1]
        #expect(abs(whole.percentileSeconds(99) - exact) / exact < 2e-3)
        // A corrupt file is refused.
        let bad = Data(#"{"count":3,"sum_s":1,"min_s":0,"max_s":1,"buckets_us":[[5,1]]}"#.utf8)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(LatencyHistogram.self, from: bad) }
    }
}

@Suite("arrival processes, ramps and lengths")
struct ArrivalTests {
    @Test("gamma gaps have mean 1 and coefficient of variation 1/√burstiness; Poisson has CV 1")
    func gamma() {
        for (process, cv) in [
            (ArrivalProcess.poisson, 1.0), (.gamma(burstiness: 0.25), 2.0), (.gamma(burstiness: 4), 0.5),
        ] {
            var rng = SeededGenerator(seed: 3)
            let load = RateLoad(rate: 1, arrivals: process)
            // The unit-rate gaps drive every open loop: check their first two moments.
            var times: [Double] = []
            var lambda = 0.0
            for _ in 0..<100_000 {
                lambda += process.unitGap(&rng)
                times.append(load.time(ofArrivals: lambda))
            }
            let gaps = zip(times.dropFirst(), times).map { $0 - $1 }
            let mean = gaps.reduce(0, +) / Double(gaps.count)
            let sd = (gaps.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(gaps.count)).squareRoot()
            #expect(abs(mean - 1) < 0.02, "\(process): mean \(mean)")
            #expect(abs(sd / mean - cv) < 0.05 * cv, "\(process): CV \(sd / mean)")
        }
    }

    @Test("a ramp's arrival times invert its expected arrivals")
    func ramp() {
        let load = RateLoad(rate: 2, arrivals: .constant, endRate: 20, rampSeconds: 10)
        #expect(abs(load.expectedArrivals(by: 10) - 110) < 1e-9)  // (2 + 20) / 2 × 10
        #expect(abs(load.expectedArrivals(by: 12) - 150) < 1e-9)
        for t in stride(from: 0.0, through: 15, by: 0.37) {
            #expect(abs(load.time(ofArrivals: load.expectedArrivals(by: t)) - t) < 1e-9, "t = \(t)")
        }
        let down = RateLoad(rate: 10, arrivals: .poisson, endRate: 0, rampSeconds: 5)
        #expect(abs(down.time(ofArrivals: down.expectedArrivals(by: 3)) - 3) < 1e-9)
    }

    @Test("length distributions parse, stay in bounds and are seeded")
    func lengths() throws {
        #expect(try LengthDistribution.parse("128", flag: "--x", limit: 1000) == .fixed(128))
        #expect(try LengthDistribution.parse("uniform:64,256", flag: "--x", limit: 1000) == .uniform(64, 256))
        let logn = try LengthDistribution.parse("lognormal:100,1,16,400", flag: "--x", limit: 1000)
        var rng = SeededGenerator(seed: 1)
        let draws = (0..<20_000).map { _ in logn.sample(&rng) }
        #expect(draws.allSatisfy { (16...400).contains($0) })
        let median = draws.sorted()[draws.count / 2]
        #expect(abs(median - 100) <= 4, "median \(median)")
        let normal = try LengthDistribution.parse("normal:50,10", flag: "--x", limit: 1000)
        let n = (0..<20_000).map { _ in normal.sample(&rng) }
        #expect(abs(Double(n.reduce(0, +)) / Double(n.count) - 50) < 0.5)
        for bad in ["0", "uniform:9,3", "normal:1", "lognormal:100,nan", "weird:3", "2000", "1.5"] {
            #expect(throws: LoadTestingError.self, "\(bad)") {
                try LengthDistribution.parse(bad, flag: "--x", limit: 1000)
            }
        }
    }

    @Test("shared prefixes: prompts of a group start with the same words, groups differ, suffixes differ")
    func sharedPrefix() {
        let s = SyntheticPrompts(input: .fixed(58), sharedPrefix: 30, prefixGroups: 2, seed: 5)
        let words = (0..<4).map { s.item(index: $0).text.split(separator: " ") }
        #expect(words.allSatisfy { $0.count == 50 })
        #expect(words[0].prefix(30) == words[2].prefix(30))
        #expect(words[1].prefix(30) == words[3].prefix(30))
        #expect(words[0].prefix(30) != words[1].prefix(30))
        #expect(words[0].suffix(20) != words[2].suffix(20))
    }

    @Test("ShareGPT files: first human turn, recorded answer lengths, errors")
    func shareGPT() throws {
        let dir = try ScratchDirectory("t2-sharegpt")
        let path = try dir.write(
            "sg.json",
            """
            [{"id": "a", "conversations": [{"from": "human", "value": "Hello there"}, {"from": "gpt", "value": "\(String(repeating: "x", count: 40))"}, {"from": "human", "value": "More?"}]},
             {"id": "b", "conversations": [{"from": "gpt", "value": "no human turn"}]},
             {"id": "c", "messages": [{"role": "user", "content": "Hi"}]}]
            """
        )
        let source = try PromptSource.load(shareGPT: path, recordedOutputLengths: true)
        #expect(source.item(index: 0, turn: 0) == PromptItem(text: "Hello there", maxTokens: 10))
        #expect(source.item(index: 0, turn: 1).text == "More?")
        #expect(source.turns(of: 0) == 2)
        #expect(source.item(index: 1, turn: 0).text == "Hi")
        #expect(source.description.contains("2 conversations"))
        let empty = try dir.write("e.json", "[{\"conversations\": []}]")
        #expect(throws: LoadTestingError.self) { try PromptSource.load(shareGPT: empty, recordedOutputLengths: false) }
        let notArray = try dir.write("n.json", "{\"a\": 1}")
        #expect(throws: LoadTestingError.self) {
            try PromptSource.load(shareGPT: notArray, recordedOutputLengths: false)
        }
        // JSONL prompts with a byte-order mark.
        let bom = try dir.write("p.jsonl", "\u{FEFF}{\"prompt\": \"a\"}\n{\"prompt\": \"b\", \"max_tokens\": 7}\n")
        let prompts = try PromptSource.load(jsonl: bom)
        #expect(prompts.item(index: 1, turn: 0) == PromptItem(text: "b", maxTokens: 7))
    }
}

@Suite("shards, merges, endpoints and workloads against a local server", .timeLimit(.minutes(2)))
struct ScaleOutTests {
    static let timeouts = RequestTimeouts(stall: .seconds(5), total: .seconds(30), connect: .seconds(2))

    func runner(_ urls: [String], policy: BalancePolicy = .roundRobin, maxTokens: Int = 3) throws -> LoadRunner {
        let pool = EndpointPool(
            clients: try urls.map { StreamingClient(address: try ServerAddress(url: $0), timeouts: Self.timeouts) },
            policy: policy
        )
        var r = LoadRunner(
            pool: pool,
            settings: GenerationSettings(model: "m", maxTokens: maxTokens),
            prompts: .synthetic(inputTokens: 12, seed: 4),
            seed: 4
        )
        r.keepRecords = true
        return r
    }

    func report(_ level: LevelSummary, shard: Shard?) -> BenchReport {
        BenchReport(
            url: "http://x",
            model: "m",
            endpoint: "chat",
            inputTokens: 12,
            outputTokens: 3,
            seed: 4,
            warmupRequests: 0,
            levels: [level],
            complete: true,
            interrupted: false,
            shard: shard
        )
    }

    @Test(
        "n shards send exactly the unsplit level's requests, and their merged report has its counts",
        arguments: [LoadPattern.concurrency(3), .rate(400, poisson: true), .rate(300, poisson: false)]
    )
    func shardsEqualWhole(pattern: LoadPattern) async throws {
        let server = try await FaultServer(tokens: 3)
        let stop = StopCondition(requests: 11)
        var whole = try runner([server.url(.ok)])
        whole.slo = ServiceLevelObjectives(e2e: 10)
        let single = await whole.run(pattern, stop: stop)
        await whole.pool.shutdown()
        let unsplitBodies = server.requestBodies.withLock { b -> [String] in
            defer { b.removeAll() }
            return b.sorted()
        }
        var parts: [(path: String, report: BenchReport)] = []
        for i in 0..<3 {
            var r = try runner([server.url(.ok)])
            r.shard = Shard(index: i, count: 3)
            r.slo = whole.slo
            let result = await r.run(pattern, stop: stop)
            await r.pool.shutdown()
            let level = LevelSummary(
                pattern: pattern,
                totals: result.totals,
                slo: r.slo,
                usdPerHour: 2,
                interrupted: false
            )
            parts.append(("shard-\(i).json", report(level, shard: Shard(index: i, count: 3))))
        }
        let shardBodies = server.requestBodies.withLock { $0.sorted() }
        await server.stop()
        #expect(unsplitBodies.count == 11)
        #expect(shardBodies == unsplitBodies)

        let merged = try BenchMerge.merge(parts)
        let level = merged.levels[0]
        let reference = LevelSummary(
            pattern: pattern,
            totals: single.totals,
            slo: whole.slo,
            usdPerHour: 2,
            interrupted: false
        )
        #expect(level.requests == reference.requests && level.succeeded == 11)
        #expect(level.outputTokens == reference.outputTokens && level.inputTokens == reference.inputTokens)
        #expect(level.goodRequests == 11)
        #expect(level.ttft?.count == 11 && level.itl?.count == reference.itl?.count)
        #expect(merged.shardsMerged == [0, 1, 2])
        #expect(level.usdPerMillionOutputTokens != nil)
        // The merged report round-trips through JSON and merges no further with itself.
        let data = try JSONEncoder().encode(merged)
        let back = try JSONDecoder().decode(BenchReport.self, from: data)
        #expect(back.levels[0].totals.ttft == level.totals.ttft)
        #expect(throws: LoadTestingError.self) { try BenchMerge.merge(parts + [parts[1]]) }
        #expect(throws: LoadTestingError.self) { try BenchMerge.merge([parts[0], ("copy.json", parts[0].report)]) }
        var other = parts[2]
        other.report.runID = "other"
        other.report.shard = Shard(index: 2, count: 4)
        #expect(throws: LoadTestingError.self) { try BenchMerge.merge([parts[0], other]) }
        let partial = try BenchMerge.merge(Array(parts.prefix(2)))
        #expect(partial.notes?.first?.contains("shards 2 of 3 are missing") == true)
    }

    @Test("round-robin spreads requests evenly; least-outstanding avoids the slow endpoint")
    func endpoints() async throws {
        let server = try await FaultServer(tokens: 20, delay: .milliseconds(10))
        var rr = try runner([server.url(.ok), server.url(.answer)])
        let even = await rr.run(.concurrency(2), stop: StopCondition(requests: 10))
        #expect(Dictionary(grouping: even.records, by: \.endpoint).mapValues(\.count) == [0: 5, 1: 5])
        let level = LevelSummary(
            pattern: .concurrency(2),
            totals: even.totals,
            slo: nil,
            usdPerHour: nil,
            interrupted: false
        )
        #expect(level.endpoints?.map(\.requests) == [5, 5])
        await rr.pool.shutdown()
        rr = try runner([server.url(.slow), server.url(.ok)], policy: .leastOutstanding)
        let balanced = await rr.run(.concurrency(3), stop: StopCondition(requests: 30))
        let counts = Dictionary(grouping: balanced.records, by: \.endpoint).mapValues(\.count)
        #expect((counts[1] ?? 0) > 2 * (counts[0] ?? 0), "\(counts)")
        await rr.pool.shutdown()
        await server.stop()
    }

    @Test("multi-turn conversations send the growing history; per-turn figures")
    func conversations() async throws {
        let server = try await FaultServer()
        var r = try runner([server.url(.answer)])
        r.workload = .conversation(turns: 3)
        let result = await r.run(.concurrency(2), stop: StopCondition(requests: 4))
        await r.pool.shutdown()
        await server.stop()
        #expect(result.records.count == 12)
        let bodies = try server.requestBodies.withLock { $0 }.map { try JSONValue.parse($0) }
        let lengths = bodies.compactMap { body -> Int? in
            if case .array(let m)? = body["messages"] { return m.count }
            return nil
        }
        #expect(lengths.sorted() == [1, 1, 1, 1, 3, 3, 3, 3, 5, 5, 5, 5])
        let third = try #require(
            bodies.first { body in
                if case .array(let m)? = body["messages"] { return m.count == 5 }
                return false
            }
        )
        #expect(third["messages"]?[1]?["role"]?.stringValue == "assistant")
        #expect(third["messages"]?[1]?["content"]?.stringValue == "The result is 5. Answer: 5")
        let level = LevelSummary(
            pattern: .concurrency(2),
            totals: result.totals,
            slo: nil,
            usdPerHour: nil,
            interrupted: false
        )
        #expect(level.turns?.map(\.requests) == [4, 4, 4])
    }

    @Test("repeated sampling as a workload: k requests or one with n = k; time to all k answers; prefill saved")
    func samples() async throws {
        let server = try await FaultServer(tokens: 4)
        var separate = try runner([server.url(.ok)])
        separate.workload = .samples(k: 3, mode: .separate)
        let a = await separate.run(.concurrency(1), stop: StopCondition(requests: 2))
        await separate.pool.shutdown()
        let seeds = try server.requestBodies.withLock { b -> [Int] in
            defer { b.removeAll() }
            return try b.map { try #require(JSONValue.parse($0)["seed"]?.intValue) }
        }
        #expect(seeds.count == 6 && Set(seeds).count == 6)
        let qa = try #require(a.totals.queries)
        #expect(qa.queries == 2 && qa.complete == 2 && qa.latency.count == 2)
        #expect(qa.outputTokens == 24)
        #expect(qa.prefillTokensSaved == nil)  // this server reports no cached tokens

        var n = try runner([server.url(.ok)])
        n.workload = .samples(k: 3, mode: .n)
        let b = await n.run(.concurrency(1), stop: StopCondition(requests: 2))
        await n.pool.shutdown()
        await server.stop()
        let bodies = try server.requestBodies.withLock { $0 }.map { try JSONValue.parse($0) }
        #expect(bodies.count == 2 && bodies.allSatisfy { $0["n"]?.intValue == 3 })
        let qb = try #require(b.totals.queries)
        #expect(qb.complete == 2 && qb.shortQueries == 0)
        #expect(b.records.allSatisfy { $0.choicesSeen == 3 && $0.tokenEventNanos.count == 12 })
        #expect(qb.prefillTokensSaved == 2 * 2 * 7)  // (k − 1) × 7 prompt tokens, per query
        #expect(qb.outputTokens == 24)
    }
}

@Suite("capacity search on a simulated server with known capacity")
struct CapacitySearchTests {
    /// A level at `pattern` of an M/M/1 server with service rate μ: a request's time in the
    /// system is exponential with rate μ − λ, so P(E2E ≤ s) = 1 − e^{−(μ−λ)s}; above μ nothing
    /// meets the objective.
    static func level(_ pattern: LoadPattern, mu: Double, slo: Double, requests: Int = 1000) -> LevelSummary {
        var t = LevelTotals()
        let lambda = pattern.rateLoad?.rate ?? Double(pattern.concurrency ?? 1)
        t.requests = requests
        t.succeeded = requests
        let attainment = lambda < mu ? 1 - Foundation.exp(-(mu - lambda) * slo) : 0
        t.goodRequests = Int((attainment * Double(requests)).rounded(.down))
        t.startedAt = 0
        t.windowSeconds = Double(requests) / min(lambda, mu)
        t.outputTokens = requests * 10
        for _ in 0..<requests { t.e2e.record(seconds: lambda < mu ? 1 / (mu - lambda) : 100) }
        return LevelSummary(
            pattern: pattern,
            totals: t,
            slo: ServiceLevelObjectives(e2e: slo),
            usdPerHour: 3.6,
            interrupted: false
        )
    }

    @Test("max goodput brackets the rate where 90% of requests meet the objective")
    func bisection() async throws {
        let mu = 10.0
        let slo = 1.0
        let truth = mu - Foundation.log(10) / slo  // attainment = 0.9 at λ = μ − ln 10 / s
        let settings = CapacitySearch.GoodputSettings(
            slo: ServiceLevelObjectives(e2e: slo),
            percentile: 90,
            start: RateLoad(rate: 1, arrivals: .poisson),
            tolerance: 0.02,
            maxTrials: 20
        )
        let (levels, result) = await CapacitySearch.maxGoodput(settings) { Self.level($0, mu: mu, slo: slo) }
        let capacity = try #require(result.capacityRate)
        let failing = try #require(result.lowestFailingRate)
        #expect(capacity <= truth && truth <= failing, "\(capacity) ≤ \(truth) ≤ \(failing)")
        #expect((failing - capacity) / failing <= 0.02)
        #expect(result.trials == levels.count && result.trials <= 20)
        #expect(result.stopReason.contains("bracket"))
        #expect(result.usdPerMillionOutputTokens != nil)
        // A first rate that fails is halved until one passes.
        let high = CapacitySearch.GoodputSettings(
            slo: ServiceLevelObjectives(e2e: slo),
            start: RateLoad(rate: 50, arrivals: .poisson),
            tolerance: 0.05
        )
        let (_, down) = await CapacitySearch.maxGoodput(high) { Self.level($0, mu: mu, slo: slo) }
        #expect(try #require(down.capacityRate) <= truth)
        // Nothing passes: said so, bounded.
        let (none, never) = await CapacitySearch.maxGoodput(high) { Self.level($0, mu: 0.001, slo: slo) }
        #expect(never.capacityRate == nil && never.stopReason.contains("no rate") && none.count <= 13)
    }

    @Test("the sweep stops when throughput stops rising and reports the knee")
    func sweep() async {
        // Throughput = min(c, 8) × 100 tokens/s: the knee is c = 8, saturation shows at 16.
        let (levels, result) = await CapacitySearch.sweep(
            CapacitySearch.SweepSettings(start: .concurrency(1), factor: 2, maxLevels: 10)
        ) { pattern in
            let c = Double(pattern.concurrency!)
            var t = LevelTotals()
            t.requests = 100
            t.succeeded = 100
            t.startedAt = 0
            t.windowSeconds = 10
            t.outputTokens = Int(min(c, 8) * 1000)
            for _ in 0..<100 { t.e2e.record(seconds: c <= 8 ? 1 : c / 8) }
            return LevelSummary(pattern: pattern, totals: t, slo: nil, usdPerHour: 1, interrupted: false)
        }
        #expect(levels.map { $0.concurrency! } == [1, 2, 4, 8, 16])
        #expect(result.kneeLoad == "concurrency=8")
        #expect(result.stopReason.contains("throughput stopped rising"))
        // Errors stop a sweep too.
        let (errLevels, errResult) = await CapacitySearch.sweep(
            CapacitySearch.SweepSettings(start: .concurrency(1))
        ) { pattern in
            var t = LevelTotals()
            t.requests = 10
            t.succeeded = pattern.concurrency! >= 4 ? 5 : 10
            t.startedAt = 0
            t.windowSeconds = 1
            t.outputTokens = t.succeeded * pattern.concurrency! * 10
            return LevelSummary(pattern: pattern, totals: t, slo: nil, usdPerHour: nil, interrupted: false)
        }
        #expect(errLevels.count == 3 && errResult.stopReason.hasPrefix("errors"))
    }
}
