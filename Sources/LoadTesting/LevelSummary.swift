import Foundation

/// Mean and percentiles of one latency metric, in milliseconds.
///
/// Percentiles come from an HdrHistogram (microsecond resolution, 3 significant digits); the
/// count, mean, minimum and maximum are exact.
public struct LatencyStats: Codable, Sendable, Equatable {
    public var count: Int
    public var meanMs: Double
    public var p50Ms: Double
    public var p90Ms: Double
    public var p95Ms: Double
    public var p99Ms: Double
    public var p999Ms: Double
    public var minMs: Double
    public var maxMs: Double

    public init(
        count: Int,
        meanMs: Double,
        p50Ms: Double,
        p90Ms: Double,
        p95Ms: Double,
        p99Ms: Double,
        p999Ms: Double,
        minMs: Double,
        maxMs: Double
    ) {
        self.count = count
        self.meanMs = meanMs
        self.p50Ms = p50Ms
        self.p90Ms = p90Ms
        self.p95Ms = p95Ms
        self.p99Ms = p99Ms
        self.p999Ms = p999Ms
        self.minMs = minMs
        self.maxMs = maxMs
    }

    /// Statistics of `seconds`; nil when empty.
    public init?(seconds values: [Double]) {
        var h = LatencyHistogram()
        for v in values { h.record(seconds: v) }
        guard let stats = h.stats else { return nil }
        self = stats
    }

    enum CodingKeys: String, CodingKey {
        case count
        case meanMs = "mean_ms"
        case p50Ms = "p50_ms"
        case p90Ms = "p90_ms"
        case p95Ms = "p95_ms"
        case p99Ms = "p99_ms"
        case p999Ms = "p999_ms"
        case minMs = "min_ms"
        case maxMs = "max_ms"
    }
}

/// Wall-clock (Unix) time for monotonic timestamps, anchored once per process, so that shards
/// measured on different machines can be put on one time line when they are merged.
enum WallClock {
    static let anchor: (mono: UInt64, unix: Double) = (MonotonicClock.now(), Date().timeIntervalSince1970)

    static func unixSeconds(_ mono: UInt64) -> Double {
        anchor.unix + (Double(mono) - Double(anchor.mono)) / 1e9
    }
}

/// The exact, mergeable state of one load level: counts, sums and latency histograms, updated
/// request by request as they finish (nothing per request is kept, so a level of any length takes
/// constant memory), and added together across shards by `t2 bench merge`.
public struct LevelTotals: Codable, Sendable {
    /// Finished requests (successes and failures; requests cancelled by Ctrl-C are left out).
    public var requests = 0
    public var succeeded = 0
    /// Failures by kind, with one example message per kind.
    public var errors: [String: Int] = [:]
    public var errorExamples: [String: String] = [:]
    /// Token counts of successful requests (server usage, else stream events).
    public var inputTokens = 0
    public var outputTokens = 0
    /// Successful requests whose stream carried no usage (their output tokens are stream events).
    public var requestsWithoutUsage = 0
    /// Prompt tokens the server took from its cache (usage.prompt_tokens_details.cached_tokens or
    /// llama.cpp's timings.cache_n), and the requests that reported it.
    public var cachedPromptTokens = 0
    public var requestsReportingCache = 0
    /// Successful requests meeting every objective (counted when the level has objectives).
    public var goodRequests = 0
    /// First request start (Unix seconds) and the window to the last request end (seconds).
    public var startedAt: Double?
    public var windowSeconds: Double = 0
    /// Σ end-to-end latency over all finished requests (for Little's law), seconds.
    public var e2eSumSeconds = 0.0
    /// Σ (start − due) over open-loop requests, seconds, and how many.
    public var clientQueueSumSeconds = 0.0
    public var clientQueueCount = 0
    /// Client CPU time (user + system, whole process) during the level.
    public var clientCPUSeconds = 0.0
    /// Latency distributions of successful requests.
    public var ttft = LatencyHistogram()
    public var itl = LatencyHistogram()
    public var tpot = LatencyHistogram()
    public var e2e = LatencyHistogram()
    /// Requests whose final chunk carried llama.cpp `timings` with ≥ 2 tokens and a client TPOT.
    public var serverTimedRequests = 0
    public var serverDecodeMsPerTokenSum = 0.0
    public var serverTimedClientTPOTMsSum = 0.0
    public var serverPromptMsSum = 0.0
    public var serverPromptCount = 0
    /// Per endpoint (`--url a,b,c`), keyed by URL, when there are several.
    public var endpoints: [String: LevelTotals]?
    /// Repeated-sampling workloads: the queries.
    public var queries: QueryTotals?
    /// Multi-turn workloads: per turn.
    public var turns: [TurnTotals]?

    // Process-local monotonic bounds of the window (not encoded).
    private var monoStart: UInt64?
    private var monoEnd: UInt64?

    public init() {}

    enum CodingKeys: String, CodingKey {
        case requests
        case succeeded
        case errors
        case errorExamples = "error_examples"
        case inputTokens = "input_tokens"
        case outputTokens = "output_tokens"
        case requestsWithoutUsage = "requests_without_usage"
        case cachedPromptTokens = "cached_prompt_tokens"
        case requestsReportingCache = "requests_reporting_cache"
        case goodRequests = "good_requests"
        case startedAt = "started_at"
        case windowSeconds = "window_s"
        case e2eSumSeconds = "e2e_sum_s"
        case clientQueueSumSeconds = "client_queue_sum_s"
        case clientQueueCount = "client_queue_count"
        case clientCPUSeconds = "client_cpu_s"
        case ttft
        case itl
        case tpot
        case e2e
        case serverTimedRequests = "server_timed_requests"
        case serverDecodeMsPerTokenSum = "server_decode_ms_per_token_sum"
        case serverTimedClientTPOTMsSum = "server_timed_client_tpot_ms_sum"
        case serverPromptMsSum = "server_prompt_ms_sum"
        case serverPromptCount = "server_prompt_count"
        case endpoints
        case queries
        case turns
    }

    public var failed: Int { requests - succeeded }

    /// Adds a finished query (repeated sampling).
    public mutating func addQuery(_ records: [RequestRecord], k: Int, mode: SampleMode) {
        if queries == nil { queries = QueryTotals(k: k, mode: mode) }
        queries!.add(records)
    }

    /// Adds one finished request. `slo` decides whether it is good; `openLoop` whether its client
    /// queue time counts; `endpoint` files it under that URL too.
    public mutating func add(
        _ r: RequestRecord,
        slo: ServiceLevelObjectives?,
        openLoop: Bool,
        endpoint: String? = nil
    ) {
        if let endpoint {
            var e = endpoints?[endpoint] ?? LevelTotals()
            e.add(r, slo: slo, openLoop: openLoop)
            if endpoints == nil { endpoints = [:] }
            endpoints![endpoint] = e
        }
        requests += 1
        monoStart = min(monoStart ?? r.startNanos, r.startNanos)
        monoEnd = max(monoEnd ?? r.endNanos, r.endNanos)
        startedAt = WallClock.unixSeconds(monoStart!)
        windowSeconds = monoEnd! > monoStart! ? Double(monoEnd! - monoStart!) / 1e9 : 0
        e2eSumSeconds += r.e2eSeconds
        if openLoop {
            clientQueueSumSeconds += Double(r.startNanos &- min(r.scheduledNanos, r.startNanos)) / 1e9
            clientQueueCount += 1
        }
        if let turn = r.turn {
            if turns == nil { turns = [] }
            while turns!.count <= turn { turns!.append(TurnTotals()) }
            turns![turn].add(r)
        }
        if let f = r.failure {
            errors[f.label, default: 0] += 1
            if errorExamples[f.label] == nil { errorExamples[f.label] = f.message }
            return
        }
        succeeded += 1
        inputTokens += r.promptTokens ?? 0
        outputTokens += r.outputTokens
        if r.completionTokens == nil { requestsWithoutUsage += 1 }
        if let cached = r.cachedPromptTokens {
            cachedPromptTokens += cached
            requestsReportingCache += 1
        }
        if let slo, !slo.isEmpty, slo.isMet(by: r) { goodRequests += 1 }
        if let t = r.ttftSeconds { ttft.record(seconds: t) }
        for gap in r.interTokenGapsSeconds { itl.record(seconds: gap) }
        if let t = r.tpotSeconds { tpot.record(seconds: t) }
        e2e.record(seconds: r.e2eSeconds)
        if let s = r.serverTimings, let n = s.predictedTokens, n > 1, let ms = s.predictedMilliseconds,
            let clientTPOT = r.tpotSeconds
        {
            serverTimedRequests += 1
            serverDecodeMsPerTokenSum += ms / Double(n)
            serverTimedClientTPOTMsSum += clientTPOT * 1000
            if let p = s.promptMilliseconds {
                serverPromptMsSum += p
                serverPromptCount += 1
            }
        }
    }

    /// Adds another level's totals (another shard of the same level): counts and sums add,
    /// histograms merge bucket by bucket, the window runs from the earliest start to the latest end.
    public mutating func merge(_ o: LevelTotals) {
        if let s = o.startedAt {
            if let mine = startedAt {
                let end = max(mine + windowSeconds, s + o.windowSeconds)
                startedAt = min(mine, s)
                windowSeconds = end - startedAt!
            } else {
                startedAt = s
                windowSeconds = o.windowSeconds
            }
        }
        monoStart = nil
        monoEnd = nil
        requests += o.requests
        succeeded += o.succeeded
        errors.merge(o.errors, uniquingKeysWith: +)
        errorExamples.merge(o.errorExamples) { a, _ in a }
        inputTokens += o.inputTokens
        outputTokens += o.outputTokens
        requestsWithoutUsage += o.requestsWithoutUsage
        cachedPromptTokens += o.cachedPromptTokens
        requestsReportingCache += o.requestsReportingCache
        goodRequests += o.goodRequests
        e2eSumSeconds += o.e2eSumSeconds
        clientQueueSumSeconds += o.clientQueueSumSeconds
        clientQueueCount += o.clientQueueCount
        clientCPUSeconds += o.clientCPUSeconds
        ttft.add(o.ttft)
        itl.add(o.itl)
        tpot.add(o.tpot)
        e2e.add(o.e2e)
        serverTimedRequests += o.serverTimedRequests
        serverDecodeMsPerTokenSum += o.serverDecodeMsPerTokenSum
        serverTimedClientTPOTMsSum += o.serverTimedClientTPOTMsSum
        serverPromptMsSum += o.serverPromptMsSum
        serverPromptCount += o.serverPromptCount
        if let q = o.queries {
            if queries == nil { queries = QueryTotals(k: q.k, mode: SampleMode(rawValue: q.mode) ?? .separate) }
            queries!.merge(q)
        }
        if let other = o.turns {
            if turns == nil { turns = [] }
            while turns!.count < other.count { turns!.append(TurnTotals()) }
            for (k, t) in other.enumerated() { turns![k].merge(t) }
        }
        if let other = o.endpoints {
            var mine = endpoints ?? [:]
            for (url, t) in other {
                var e = mine[url] ?? LevelTotals()
                e.merge(t)
                mine[url] = e
            }
            endpoints = mine
        }
    }
}

/// The measured figures of one load level (definitions in docs/bench.md), derived from its
/// ``LevelTotals``, which the summary carries for merging.
public struct LevelSummary: Codable, Sendable {
    /// The load asked for (the whole run's, also in a shard's report).
    public var load: String
    public var concurrency: Int?
    public var rate: Double?
    /// `constant`, `poisson` or `gamma` for open-loop levels.
    public var arrivals: String?
    public var burstiness: Double?
    public var endRate: Double?
    public var rampSeconds: Double?
    public var maxConcurrency: Int?

    public var requests: Int
    public var succeeded: Int
    public var failed: Int
    public var errors: [String: Int]
    public var errorExamples: [String: String]

    /// Measurement window: first request start → last request end, seconds.
    public var durationSeconds: Double
    /// Unix time of the first request start.
    public var startedAt: Double?
    public var requestThroughput: Double
    public var outputTokenThroughput: Double
    public var totalTokenThroughput: Double
    /// Requests per second that met every objective (nil without objectives).
    public var goodput: Double?
    public var goodRequests: Int?
    /// Good requests / finished requests (failures count as not good), nil without objectives.
    public var sloAttainment: Double?
    public var slo: ServiceLevelObjectives?

    public var ttft: LatencyStats?
    public var itl: LatencyStats?
    public var tpot: LatencyStats?
    public var e2e: LatencyStats?

    public var inputTokens: Int
    public var outputTokens: Int
    /// Where the token counts came from: "server usage", or a fallback that says so.
    public var tokenCountSource: String
    public var requestsWithoutUsage: Int
    /// Prompt tokens served from the server's prefix cache, when it reports them.
    public var cachedPromptTokens: Int?
    /// Time-averaged requests in flight (Little's law: Σ e2e / window).
    public var achievedConcurrency: Double
    /// Open loop: mean delay between an arrival's due time and its send, ms.
    public var meanClientQueueMs: Double?

    public var usdPerHour: Double?
    public var usdPerMillionOutputTokens: Double?
    public var usdPerMillionTotalTokens: Double?

    public var clientCPUSeconds: Double
    public var clientCPUMicrosecondsPerRequest: Double?

    public var serverTimings: ServerTimingSummary?
    public var interrupted: Bool
    /// Per endpoint, with several `--url`s (each a summary of its own requests).
    public var endpoints: [EndpointSummary]?
    /// Repeated sampling as a workload: per-query figures.
    public var queries: QuerySummary?
    /// Multi-turn workloads: per-turn figures (the history grows each turn).
    public var turns: [TurnSummary]?
    /// The exact state the figures come from (histograms, sums), for `t2 bench merge`.
    public var totals: LevelTotals

    enum CodingKeys: String, CodingKey {
        case load
        case concurrency
        case rate
        case arrivals
        case burstiness
        case endRate = "end_rate"
        case rampSeconds = "ramp_s"
        case maxConcurrency = "max_concurrency"
        case requests
        case succeeded
        case failed
        case errors
        case errorExamples = "error_examples"
        case durationSeconds = "duration_s"
        case startedAt = "started_at"
        case requestThroughput = "request_throughput"
        case outputTokenThroughput = "output_token_throughput"
        case totalTokenThroughput = "total_token_throughput"
        case goodput
        case goodRequests = "good_requests"
        case sloAttainment = "slo_attainment"
        case slo
        case ttft
        case itl
        case tpot
        case e2e
        case inputTokens = "input_tokens"
        case outputTokens = "output_tokens"
        case tokenCountSource = "token_count_source"
        case requestsWithoutUsage = "requests_without_usage"
        case cachedPromptTokens = "cached_prompt_tokens"
        case achievedConcurrency = "achieved_concurrency"
        case meanClientQueueMs = "mean_client_queue_ms"
        case usdPerHour = "usd_per_hour"
        case usdPerMillionOutputTokens = "usd_per_million_output_tokens"
        case usdPerMillionTotalTokens = "usd_per_million_total_tokens"
        case clientCPUSeconds = "client_cpu_s"
        case clientCPUMicrosecondsPerRequest = "client_cpu_us_per_request"
        case serverTimings = "server_timings"
        case interrupted
        case endpoints
        case queries
        case turns
        case totals
    }

    /// The summary of a level's totals.
    public init(
        pattern: LoadPattern,
        totals t: LevelTotals,
        slo: ServiceLevelObjectives?,
        usdPerHour: Double?,
        interrupted: Bool
    ) {
        load = pattern.description
        switch pattern {
        case .concurrency(let n): concurrency = n
        case .rate(let r):
            rate = r.rate
            arrivals = r.arrivals.name
            if case .gamma(let b) = r.arrivals { burstiness = b }
            endRate = r.endRate
            rampSeconds = r.rampSeconds
            maxConcurrency = r.maxConcurrency
        }
        totals = t
        requests = t.requests
        succeeded = t.succeeded
        failed = t.failed
        errors = t.errors
        errorExamples = t.errorExamples
        durationSeconds = t.windowSeconds
        startedAt = t.startedAt
        let window = t.windowSeconds
        requestThroughput = window > 0 ? Double(t.succeeded) / window : 0
        outputTokenThroughput = window > 0 ? Double(t.outputTokens) / window : 0
        totalTokenThroughput = window > 0 ? Double(t.inputTokens + t.outputTokens) / window : 0
        achievedConcurrency = window > 0 ? t.e2eSumSeconds / window : 0
        if pattern.rateLoad != nil, t.clientQueueCount > 0 {
            meanClientQueueMs = t.clientQueueSumSeconds / Double(t.clientQueueCount) * 1000
        }
        if let slo, !slo.isEmpty {
            self.slo = slo
            goodRequests = t.goodRequests
            goodput = window > 0 ? Double(t.goodRequests) / window : 0
            sloAttainment = t.requests > 0 ? Double(t.goodRequests) / Double(t.requests) : nil
        }
        ttft = t.ttft.stats
        itl = t.itl.stats
        tpot = t.tpot.stats
        e2e = t.e2e.stats
        inputTokens = t.inputTokens
        outputTokens = t.outputTokens
        requestsWithoutUsage = t.requestsWithoutUsage
        cachedPromptTokens = t.requestsReportingCache > 0 ? t.cachedPromptTokens : nil
        if t.succeeded == 0 {
            tokenCountSource = "none (no successful request)"
        } else if t.requestsWithoutUsage == 0 {
            tokenCountSource = "server usage"
        } else if t.requestsWithoutUsage == t.succeeded {
            tokenCountSource =
                "stream events (the server sent no usage; one event counted as one token, input tokens unknown)"
        } else {
            tokenCountSource = "server usage, stream events for \(t.requestsWithoutUsage) requests without usage"
        }
        self.usdPerHour = usdPerHour
        if let usdPerHour, usdPerHour > 0, outputTokenThroughput > 0 {
            usdPerMillionOutputTokens = usdPerHour / (outputTokenThroughput * 3600) * 1e6
            if totalTokenThroughput > 0 { usdPerMillionTotalTokens = usdPerHour / (totalTokenThroughput * 3600) * 1e6 }
        }
        clientCPUSeconds = t.clientCPUSeconds
        clientCPUMicrosecondsPerRequest = t.requests > 0 ? t.clientCPUSeconds / Double(t.requests) * 1e6 : nil
        if t.serverTimedRequests > 0 {
            let n = Double(t.serverTimedRequests)
            serverTimings = ServerTimingSummary(
                requests: t.serverTimedRequests,
                meanDecodeMsPerToken: t.serverDecodeMsPerTokenSum / n,
                clientMeanTPOTMs: t.serverTimedClientTPOTMsSum / n,
                meanPromptMs: t.serverPromptCount > 0 ? t.serverPromptMsSum / Double(t.serverPromptCount) : nil
            )
        }
        self.interrupted = interrupted
        if let e = t.endpoints, e.count > 1 {
            endpoints = e.sorted { $0.key < $1.key }.map { EndpointSummary(url: $0.key, totals: $0.value) }
        }
        if let q = t.queries { queries = QuerySummary(q, windowSeconds: window) }
        if let turns = t.turns {
            self.turns = turns.enumerated().map { TurnSummary(turn: $0.offset, totals: $0.element) }
        }
    }

    /// Summarizes a level's records (the records are added to fresh totals).
    public init(_ result: LevelResult, slo: ServiceLevelObjectives?, usdPerHour: Double?) {
        var totals = result.totals
        if !result.records.isEmpty {
            // Recomputed from the records with these objectives.
            totals = LevelTotals()
            for r in result.records { totals.add(r, slo: slo, openLoop: result.pattern.rateLoad != nil) }
            totals.clientCPUSeconds = result.clientCPUSeconds
        }
        self.init(
            pattern: result.pattern,
            totals: totals,
            slo: slo,
            usdPerHour: usdPerHour,
            interrupted: result.interrupted
        )
    }
}

/// One endpoint's share of a level (`--url a,b,c`).
public struct EndpointSummary: Codable, Sendable {
    public var url: String
    public var requests: Int
    public var succeeded: Int
    public var failed: Int
    public var errors: [String: Int]
    public var requestThroughput: Double
    public var outputTokenThroughput: Double
    public var ttft: LatencyStats?
    public var tpot: LatencyStats?
    public var e2e: LatencyStats?

    init(url: String, totals t: LevelTotals) {
        self.url = url
        requests = t.requests
        succeeded = t.succeeded
        failed = t.failed
        errors = t.errors
        requestThroughput = t.windowSeconds > 0 ? Double(t.succeeded) / t.windowSeconds : 0
        outputTokenThroughput = t.windowSeconds > 0 ? Double(t.outputTokens) / t.windowSeconds : 0
        ttft = t.ttft.stats
        tpot = t.tpot.stats
        e2e = t.e2e.stats
    }

    enum CodingKeys: String, CodingKey {
        case url
        case requests
        case succeeded
        case failed
        case errors
        case requestThroughput = "request_throughput"
        case outputTokenThroughput = "output_token_throughput"
        case ttft
        case tpot
        case e2e
    }
}

/// Repeated sampling as a workload: the queries of a level (each k completions of one prompt).
public struct QueryTotals: Codable, Sendable {
    public var k: Int
    /// `n` (one request with n = k) or `separate` (k requests).
    public var mode: String
    /// Queries finished, and those whose k samples all succeeded.
    public var queries = 0
    public var complete = 0
    /// Time to all k answers of complete queries: first request start → last stream end.
    public var latency = LatencyHistogram()
    /// Time to the first token of any of the k answers.
    public var firstToken = LatencyHistogram()
    /// Tokens of complete queries (server usage).
    public var inputTokens = 0
    public var outputTokens = 0
    /// Prompt tokens the server did not have to prefill again, over complete queries: with n = k
    /// the prompt is prefilled once instead of k times ((k − 1) × prompt tokens); with k requests,
    /// the prompt tokens the server reports it took from its prefix cache. Nil when unknown (k
    /// requests to a server that does not report cached tokens).
    public var prefillTokensSaved: Int?
    /// n = k queries whose stream carried fewer than k choices (the server ignored `n`).
    public var shortQueries = 0

    public init(k: Int, mode: SampleMode) {
        self.k = k
        self.mode = mode.rawValue
    }

    enum CodingKeys: String, CodingKey {
        case k
        case mode
        case queries
        case complete
        case latency
        case firstToken = "first_token"
        case inputTokens = "input_tokens"
        case outputTokens = "output_tokens"
        case prefillTokensSaved = "prefill_tokens_saved"
        case shortQueries = "short_queries"
    }

    /// Adds one query from its requests' records.
    public mutating func add(_ records: [RequestRecord]) {
        queries += 1
        guard !records.isEmpty, records.allSatisfy(\.succeeded) else { return }
        if mode == SampleMode.separate.rawValue, records.count < k { return }
        if mode == SampleMode.n.rawValue, records[0].choicesSeen < k {
            shortQueries += 1
            return
        }
        complete += 1
        let start = records.map(\.startNanos).min()!
        let end = records.map(\.endNanos).max()!
        latency.record(seconds: Double(end &- start) / 1e9)
        if let first = records.compactMap(\.firstTokenNanos).min() {
            firstToken.record(seconds: Double(first &- start) / 1e9)
        }
        let prompt = records.reduce(0) { $0 + ($1.promptTokens ?? 0) }
        inputTokens += prompt
        outputTokens += records.reduce(0) { $0 + $1.outputTokens }
        if mode == SampleMode.n.rawValue {
            prefillTokensSaved = (prefillTokensSaved ?? 0) + (k - 1) * prompt
        } else if records.allSatisfy({ $0.cachedPromptTokens != nil }) {
            prefillTokensSaved = (prefillTokensSaved ?? 0) + records.reduce(0) { $0 + $1.cachedPromptTokens! }
        }
    }

    public mutating func merge(_ o: QueryTotals) {
        queries += o.queries
        complete += o.complete
        latency.add(o.latency)
        firstToken.add(o.firstToken)
        inputTokens += o.inputTokens
        outputTokens += o.outputTokens
        if let s = o.prefillTokensSaved { prefillTokensSaved = (prefillTokensSaved ?? 0) + s }
        shortQueries += o.shortQueries
    }
}

/// Multi-turn workloads: one turn's requests over all conversations of a level.
public struct TurnTotals: Codable, Sendable {
    public var requests = 0
    public var succeeded = 0
    public var inputTokens = 0
    public var cachedPromptTokens = 0
    public var ttft = LatencyHistogram()

    public init() {}

    enum CodingKeys: String, CodingKey {
        case requests
        case succeeded
        case inputTokens = "input_tokens"
        case cachedPromptTokens = "cached_prompt_tokens"
        case ttft
    }

    mutating func add(_ r: RequestRecord) {
        requests += 1
        guard r.succeeded else { return }
        succeeded += 1
        inputTokens += r.promptTokens ?? 0
        cachedPromptTokens += r.cachedPromptTokens ?? 0
        if let t = r.ttftSeconds { ttft.record(seconds: t) }
    }

    mutating func merge(_ o: TurnTotals) {
        requests += o.requests
        succeeded += o.succeeded
        inputTokens += o.inputTokens
        cachedPromptTokens += o.cachedPromptTokens
        ttft.add(o.ttft)
    }
}

/// Per-query figures of a repeated-sampling workload.
public struct QuerySummary: Codable, Sendable {
    public var k: Int
    public var mode: String
    public var queries: Int
    public var complete: Int
    /// Complete queries per second over the level's window.
    public var queryThroughput: Double
    /// Time to all k answers.
    public var latency: LatencyStats?
    /// Time to the first token of any answer.
    public var firstToken: LatencyStats?
    public var meanInputTokens: Double?
    public var meanOutputTokens: Double?
    public var prefillTokensSaved: Int?
    /// n = k queries answered with fewer than k choices: the server ignores `n`.
    public var shortQueries: Int

    init(_ q: QueryTotals, windowSeconds: Double) {
        k = q.k
        mode = q.mode
        queries = q.queries
        complete = q.complete
        queryThroughput = windowSeconds > 0 ? Double(q.complete) / windowSeconds : 0
        latency = q.latency.stats
        firstToken = q.firstToken.stats
        meanInputTokens = q.complete > 0 ? Double(q.inputTokens) / Double(q.complete) : nil
        meanOutputTokens = q.complete > 0 ? Double(q.outputTokens) / Double(q.complete) : nil
        prefillTokensSaved = q.prefillTokensSaved
        shortQueries = q.shortQueries
    }

    enum CodingKeys: String, CodingKey {
        case shortQueries = "short_queries"
        case k
        case mode
        case queries
        case complete
        case queryThroughput = "query_throughput"
        case latency
        case firstToken = "first_token"
        case meanInputTokens = "mean_input_tokens"
        case meanOutputTokens = "mean_output_tokens"
        case prefillTokensSaved = "prefill_tokens_saved"
    }
}

/// One turn of a multi-turn workload.
public struct TurnSummary: Codable, Sendable {
    public var turn: Int
    public var requests: Int
    public var succeeded: Int
    public var meanInputTokens: Double?
    public var cachedPromptTokens: Int
    public var ttft: LatencyStats?

    init(turn: Int, totals t: TurnTotals) {
        self.turn = turn
        requests = t.requests
        succeeded = t.succeeded
        meanInputTokens = t.succeeded > 0 ? Double(t.inputTokens) / Double(t.succeeded) : nil
        cachedPromptTokens = t.cachedPromptTokens
        ttft = t.ttft.stats
    }

    enum CodingKeys: String, CodingKey {
        case turn
        case requests
        case succeeded
        case meanInputTokens = "mean_input_tokens"
        case cachedPromptTokens = "cached_prompt_tokens"
        case ttft
    }
}
