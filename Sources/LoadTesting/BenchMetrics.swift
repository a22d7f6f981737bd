import Foundation
import Histogram
import Tabular

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

    enum CodingKeys: String, CodingKey {
        case ttft = "ttft_s"
        case itl = "itl_s"
        case e2e = "e2e_s"
    }

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

    enum CodingKeys: String, CodingKey {
        case requests
        case meanDecodeMsPerToken = "mean_decode_ms_per_token"
        case clientMeanTPOTMs = "client_mean_tpot_ms"
        case meanPromptMs = "mean_prompt_ms"
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

    enum CodingKeys: String, CodingKey {
        case load
        case deployment
        case fits
        case concurrency
        case ttftMs = "ttft_ms"
        case itlMs = "itl_ms"
        case outputTokenThroughput = "output_token_throughput"
        case usdPerMillionOutputTokens = "usd_per_million_output_tokens"
        case usdPerMillionInputTokens = "usd_per_million_input_tokens"
    }

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
