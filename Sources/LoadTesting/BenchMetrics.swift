import Foundation
import Histogram

/// Mean and percentiles of one latency metric, in milliseconds.
///
/// Percentiles come from an HdrHistogram (microsecond resolution, 3 significant digits, values up
/// to one hour); the mean, minimum and maximum are exact.
public struct LatencyStats: Codable, Sendable, Equatable {
    public var count: Int
    public var meanMs: Double
    public var p50Ms: Double
    public var p90Ms: Double
    public var p99Ms: Double
    public var minMs: Double
    public var maxMs: Double

    /// Statistics of `seconds`; nil when empty.
    public init?(seconds values: [Double]) {
        guard !values.isEmpty else { return nil }
        var histogram = Histogram<UInt64>(
            lowestDiscernibleValue: 1,
            highestTrackableValue: 3_600_000_000,
            numberOfSignificantValueDigits: .three
        )
        histogram.autoResize = true
        var sum = 0.0
        for v in values {
            sum += v
            _ = histogram.record(UInt64(max(0, (v * 1e6).rounded())))
        }
        func ms(_ p: Double) -> Double { Double(histogram.valueAtPercentile(p)) / 1000 }
        count = values.count
        meanMs = sum / Double(values.count) * 1000
        p50Ms = ms(50)
        p90Ms = ms(90)
        p99Ms = ms(99)
        minMs = (values.min() ?? 0) * 1000
        maxMs = (values.max() ?? 0) * 1000
    }
}

/// Service-level objectives for goodput: a request is good when it succeeded and meets every
/// objective that is set.
public struct ServiceLevelObjectives: Codable, Sendable, Equatable {
    /// Time to first token, seconds.
    public var ttft: Double?
    /// Mean inter-token latency of the request ((last − first token) / (tokens − 1)), seconds.
    public var itl: Double?
    /// End-to-end latency, seconds.
    public var e2e: Double?

    public init(ttft: Double? = nil, itl: Double? = nil, e2e: Double? = nil) {
        self.ttft = ttft
        self.itl = itl
        self.e2e = e2e
    }

    public var isEmpty: Bool { ttft == nil && itl == nil && e2e == nil }

    /// Parses `ttft=500ms,itl=50ms,e2e=2s` (units ms, s or us; a bare number is milliseconds).
    public static func parse(_ text: String) throws -> ServiceLevelObjectives {
        var slo = ServiceLevelObjectives()
        for part in text.split(separator: ",") {
            let kv = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard kv.count == 2 else {
                throw LoadTestingError.invalidArgument(
                    "--slo: '\(part)' is not NAME=VALUE (example: ttft=500ms,itl=50ms)"
                )
            }
            guard let seconds = parseDuration(kv[1]), seconds > 0 else {
                throw LoadTestingError.invalidArgument(
                    "--slo: '\(kv[1])' is not a positive duration (examples: 500ms, 0.5s, 800us)"
                )
            }
            switch kv[0].lowercased() {
            case "ttft": slo.ttft = seconds
            case "itl", "tpot": slo.itl = seconds
            case "e2e", "e2el", "latency": slo.e2e = seconds
            default:
                throw LoadTestingError.invalidArgument(
                    "--slo: unknown objective '\(kv[0])'; use ttft, itl (or tpot) and e2e"
                )
            }
        }
        return slo
    }

    /// "500ms" → 0.5, "2s" → 2, "800us" → 0.0008, "250" → 0.25 (milliseconds by default).
    public static func parseDuration(_ text: String) -> Double? {
        let t = text.lowercased()
        for (suffix, scale) in [("ms", 1e-3), ("us", 1e-6), ("µs", 1e-6), ("s", 1.0)] where t.hasSuffix(suffix) {
            return Double(t.dropLast(suffix.count)).map { $0 * scale }
        }
        return Double(t).map { $0 * 1e-3 }
    }

    func isMet(by record: RequestRecord) -> Bool {
        guard record.succeeded else { return false }
        if let ttft, (record.ttftSeconds ?? .infinity) > ttft { return false }
        if let itl, let tpot = record.tpotSeconds, tpot > itl { return false }
        if let e2e, record.e2eSeconds > e2e { return false }
        return true
    }
}

/// What the server reported about its own work (llama.cpp `timings`), beside the client's view.
public struct ServerTimingSummary: Codable, Sendable, Equatable {
    /// Requests whose final chunk carried `timings`.
    public var requests: Int
    /// Server decode time per generated token after the first, mean over requests, ms
    /// (predicted_ms / predicted_n).
    public var meanDecodeMsPerToken: Double
    /// Client TPOT mean over the same requests, ms.
    public var clientMeanTPOTMs: Double
    /// Server prompt-evaluation time, mean, ms.
    public var meanPromptMs: Double?
}

/// The measured figures of one load level (definitions in docs/bench.md).
public struct LevelSummary: Codable, Sendable {
    public var load: String
    public var concurrency: Int?
    public var rate: Double?
    public var poisson: Bool?

    /// Requests that finished (successes + failures) and how they ended.
    public var requests: Int
    public var succeeded: Int
    public var failed: Int
    /// Failures counted by kind (`http_429`, `connection_dropped`, `stream_error`, …).
    public var errors: [String: Int]
    /// One message per error kind, for the person reading the report.
    public var errorExamples: [String: String]

    /// Measurement window: first request start → last request end, seconds.
    public var durationSeconds: Double
    /// Successful requests per second over the window.
    public var requestThroughput: Double
    /// Output tokens of successful requests per second over the window.
    public var outputTokenThroughput: Double
    /// Input + output tokens of successful requests per second.
    public var totalTokenThroughput: Double
    /// Requests per second that met every `--slo` objective (nil without objectives).
    public var goodput: Double?
    public var goodRequests: Int?
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
    /// Mean time-averaged requests in flight (Little's law: Σ e2e / window).
    public var achievedConcurrency: Double
    /// Open loop: mean delay between an arrival's due time and its send, ms.
    public var meanClientQueueMs: Double?

    /// Measured cost from `--usd-per-hour`: price / (tokens per second × 3600) × 10⁶.
    public var usdPerHour: Double?
    public var usdPerMillionOutputTokens: Double?
    public var usdPerMillionTotalTokens: Double?

    /// The client's own CPU use during the level.
    public var clientCPUSeconds: Double
    public var clientCPUMicrosecondsPerRequest: Double?

    public var serverTimings: ServerTimingSummary?
    public var interrupted: Bool

    /// Summarizes a level's records.
    public init(_ result: LevelResult, slo: ServiceLevelObjectives?, usdPerHour: Double?) {
        let records = result.records
        switch result.pattern {
        case .concurrency(let n): concurrency = n
        case .rate(let r, let p):
            rate = r
            poisson = p
        }
        load = result.pattern.description
        requests = records.count
        let ok = records.filter(\.succeeded)
        succeeded = ok.count
        failed = records.count - ok.count
        var errors: [String: Int] = [:]
        var examples: [String: String] = [:]
        for r in records {
            if let f = r.failure {
                errors[f.label, default: 0] += 1
                if examples[f.label] == nil { examples[f.label] = f.message }
            }
        }
        self.errors = errors
        self.errorExamples = examples

        let start = records.map(\.startNanos).min() ?? 0
        let end = records.map(\.endNanos).max() ?? 0
        durationSeconds = end > start ? Double(end - start) / 1e9 : 0
        let window = durationSeconds > 0 ? durationSeconds : .nan

        inputTokens = ok.reduce(0) { $0 + ($1.promptTokens ?? 0) }
        outputTokens = ok.reduce(0) { $0 + $1.outputTokens }
        requestsWithoutUsage = ok.filter { $0.completionTokens == nil }.count
        if ok.isEmpty {
            tokenCountSource = "none (no successful request)"
        } else if requestsWithoutUsage == 0 {
            tokenCountSource = "server usage"
        } else if requestsWithoutUsage == ok.count {
            tokenCountSource =
                "stream events (the server sent no usage; one event counted as one token, input tokens unknown)"
        } else {
            tokenCountSource = "server usage, stream events for \(requestsWithoutUsage) requests without usage"
        }
        requestThroughput = durationSeconds > 0 ? Double(ok.count) / window : 0
        outputTokenThroughput = durationSeconds > 0 ? Double(outputTokens) / window : 0
        totalTokenThroughput = durationSeconds > 0 ? Double(inputTokens + outputTokens) / window : 0
        achievedConcurrency = durationSeconds > 0 ? records.reduce(0) { $0 + $1.e2eSeconds } / window : 0
        if case .rate = result.pattern, !records.isEmpty {
            meanClientQueueMs =
                records.reduce(0) { $0 + Double($1.startNanos &- min($1.scheduledNanos, $1.startNanos)) }
                / Double(records.count) / 1e6
        }

        if let slo, !slo.isEmpty {
            self.slo = slo
            let good = ok.filter { slo.isMet(by: $0) }.count
            goodRequests = good
            goodput = durationSeconds > 0 ? Double(good) / window : 0
        }

        ttft = LatencyStats(seconds: ok.compactMap(\.ttftSeconds))
        itl = LatencyStats(seconds: ok.flatMap(\.interTokenGapsSeconds))
        tpot = LatencyStats(seconds: ok.compactMap(\.tpotSeconds))
        e2e = LatencyStats(seconds: ok.map(\.e2eSeconds))

        if let usdPerHour, usdPerHour > 0, outputTokenThroughput > 0 {
            self.usdPerHour = usdPerHour
            usdPerMillionOutputTokens = usdPerHour / (outputTokenThroughput * 3600) * 1e6
            if totalTokenThroughput > 0 { usdPerMillionTotalTokens = usdPerHour / (totalTokenThroughput * 3600) * 1e6 }
        }

        clientCPUSeconds = result.clientCPUSeconds
        clientCPUMicrosecondsPerRequest = records.isEmpty ? nil : result.clientCPUSeconds / Double(records.count) * 1e6

        let timed = ok.filter {
            ($0.serverTimings?.predictedTokens ?? 0) > 1 && $0.serverTimings?.predictedMilliseconds != nil
                && $0.tpotSeconds != nil
        }
        if !timed.isEmpty {
            let decode = timed.map {
                $0.serverTimings!.predictedMilliseconds! / Double($0.serverTimings!.predictedTokens!)
            }
            let prompt = timed.compactMap { $0.serverTimings?.promptMilliseconds }
            serverTimings = ServerTimingSummary(
                requests: timed.count,
                meanDecodeMsPerToken: decode.reduce(0, +) / Double(decode.count),
                clientMeanTPOTMs: timed.map { $0.tpotSeconds! * 1000 }.reduce(0, +) / Double(timed.count),
                meanPromptMs: prompt.isEmpty ? nil : prompt.reduce(0, +) / Double(prompt.count)
            )
        }
        interrupted = result.interrupted
    }
}

/// A whole `t2 bench` run: what was asked and one summary per load level.
public struct BenchReport: Codable, Sendable {
    public var schema = "t2.bench/1"
    public var url: String
    public var model: String
    public var endpoint: String
    public var inputTokens: Int?
    public var outputTokens: Int
    public var seed: UInt64
    public var warmupRequests: Int
    public var levels: [LevelSummary]
    /// True when the run was stopped (Ctrl-C) or is still running (incremental snapshot).
    public var complete: Bool
    public var interrupted: Bool
    /// t2 cost-model predictions for the same load levels, when `--hardware` asked for them.
    public var predictions: [CostPrediction]?

    public init(
        url: String,
        model: String,
        endpoint: String,
        inputTokens: Int?,
        outputTokens: Int,
        seed: UInt64,
        warmupRequests: Int,
        levels: [LevelSummary],
        complete: Bool,
        interrupted: Bool,
        predictions: [CostPrediction]? = nil
    ) {
        self.url = url
        self.model = model
        self.endpoint = endpoint
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.seed = seed
        self.warmupRequests = warmupRequests
        self.levels = levels
        self.complete = complete
        self.interrupted = interrupted
        self.predictions = predictions
    }

    /// The CSV header and one row per level (the file written by `--format csv`).
    public static let csvHeader = [
        "load", "concurrency", "rate", "requests", "succeeded", "failed", "errors", "duration_s",
        "request_throughput", "output_token_throughput", "total_token_throughput", "goodput",
        "ttft_mean_ms", "ttft_p50_ms", "ttft_p90_ms", "ttft_p99_ms",
        "itl_mean_ms", "itl_p50_ms", "itl_p90_ms", "itl_p99_ms",
        "tpot_mean_ms", "tpot_p50_ms", "tpot_p90_ms", "tpot_p99_ms",
        "e2e_mean_ms", "e2e_p50_ms", "e2e_p90_ms", "e2e_p99_ms",
        "input_tokens", "output_tokens", "token_count_source",
        "usd_per_million_output_tokens", "usd_per_million_total_tokens", "client_cpu_us_per_request", "interrupted",
    ]

    public func csv() -> String {
        func f(_ v: Double?) -> String { v.map { String(format: "%.6g", $0) } ?? "" }
        func q(_ s: String) -> String {
            s.contains(",") || s.contains("\"") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        }
        var lines = [Self.csvHeader.joined(separator: ",")]
        for l in levels {
            let errors = l.errors.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ";")
            var row: [String] = [
                q(l.load), l.concurrency.map(String.init) ?? "", f(l.rate), "\(l.requests)", "\(l.succeeded)",
                "\(l.failed)", q(errors), f(l.durationSeconds),
                f(l.requestThroughput), f(l.outputTokenThroughput), f(l.totalTokenThroughput), f(l.goodput),
            ]
            for s in [l.ttft, l.itl, l.tpot, l.e2e] { row += [f(s?.meanMs), f(s?.p50Ms), f(s?.p90Ms), f(s?.p99Ms)] }
            row += [
                "\(l.inputTokens)", "\(l.outputTokens)", q(l.tokenCountSource), f(l.usdPerMillionOutputTokens),
                f(l.usdPerMillionTotalTokens), f(l.clientCPUMicrosecondsPerRequest), l.interrupted ? "true" : "false",
            ]
            lines.append(row.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// A t2 cost-model prediction for one load level, printed beside the measurement. The
/// InferenceCost module computes it (in the t2 executable); LoadTesting only carries it into the report.
public struct CostPrediction: Codable, Sendable, Equatable {
    /// The level it predicts ("c=4"); rate levels are predicted at their measured mean concurrency.
    public var load: String
    /// The deployment priced: "model quant on hardware (engine, G GPUs)".
    public var deployment: String
    public var fits: Bool
    public var concurrency: Int
    public var ttftMs: Double?
    public var itlMs: Double?
    public var outputTokenThroughput: Double?
    public var usdPerMillionOutputTokens: Double?
    public var usdPerMillionInputTokens: Double?

    public init(
        load: String,
        deployment: String,
        fits: Bool,
        concurrency: Int,
        ttftMs: Double? = nil,
        itlMs: Double? = nil,
        outputTokenThroughput: Double? = nil,
        usdPerMillionOutputTokens: Double? = nil,
        usdPerMillionInputTokens: Double? = nil
    ) {
        self.load = load
        self.deployment = deployment
        self.fits = fits
        self.concurrency = concurrency
        self.ttftMs = ttftMs
        self.itlMs = itlMs
        self.outputTokenThroughput = outputTokenThroughput
        self.usdPerMillionOutputTokens = usdPerMillionOutputTokens
        self.usdPerMillionInputTokens = usdPerMillionInputTokens
    }
}
