#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Monotonic time in nanoseconds (CLOCK_MONOTONIC); every timestamp of a run uses it.
public enum MonotonicClock {
    @inline(__always)
    public static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }
}

/// Why a request did not count as a success. Every failure is recorded per request; none stops
/// the run.
public enum RequestErrorKind: String, Codable, Sendable, CaseIterable {
    /// The TCP connection could not be opened (refused, unreachable, connect timeout).
    case connect
    /// The server answered with a non-2xx status (429, 500, …); the label carries the status.
    case httpStatus = "http_status"
    /// The connection closed before the response ended (server crash, dropped connection).
    case connectionDropped = "connection_dropped"
    /// Bytes that are not a valid HTTP response, or an SSE `data:` payload that is not JSON.
    case malformedStream = "malformed_stream"
    /// A 200 stream that carried an error: `{"error": …}` data, `event: error`, or an `error:` line.
    case streamError = "stream_error"
    /// No bytes for the stall timeout, or the request exceeded its overall timeout.
    case timeout
    /// A 2xx stream that ended without any non-empty content, reasoning or text token.
    case noTokens = "no_tokens"
    /// An SSE line, or one event's data, longer than the parser's bound (8 MiB): the stream is
    /// abandoned rather than buffered without limit.
    case oversizedEvent = "oversized_event"
    /// Stopped by the user (Ctrl-C) before it finished; excluded from the results.
    case cancelled
}

/// One failed request: the kind, the HTTP status when there was one, and a message a person can
/// act on.
public struct RequestFailure: Sendable, Equatable, Codable {
    public var kind: RequestErrorKind
    public var status: Int?
    public var message: String

    public init(kind: RequestErrorKind, status: Int? = nil, message: String) {
        self.kind = kind
        self.status = status
        self.message = message
    }

    /// The key errors are counted under: the kind, or `http_<status>` for status failures.
    public var label: String {
        if kind == .httpStatus, let status { return "http_\(status)" }
        return kind.rawValue
    }
}

/// Timings a llama.cpp-style server reports itself on the final chunk (`timings`), for
/// cross-checking client-side measurements.
public struct ServerTimings: Sendable, Equatable, Codable {
    /// Prompt tokens evaluated (not taken from the cache) and the time it took.
    public var promptTokens: Int?
    public var promptMilliseconds: Double?
    /// Tokens generated and the decode time.
    public var predictedTokens: Int?
    public var predictedMilliseconds: Double?
    /// Prompt tokens taken from the cache (llama.cpp `cache_n`).
    public var cachedTokens: Int?

    enum CodingKeys: String, CodingKey {
        case promptTokens = "prompt_n"
        case promptMilliseconds = "prompt_ms"
        case predictedTokens = "predicted_n"
        case predictedMilliseconds = "predicted_ms"
        case cachedTokens = "cache_n"
    }
}

/// Everything measured about one streamed request. Times are `MonotonicClock` nanoseconds, taken
/// when the bytes came off the socket (before any parsing).
public struct RequestRecord: Sendable {
    /// The request's number in its load level (warm-up requests are not recorded).
    public var index: Int
    /// When the request was due (open-loop schedules) and when it was handed to the connection.
    public var scheduledNanos: UInt64
    public var startNanos: UInt64
    /// Arrival of the response head.
    public var headersNanos: UInt64?
    /// Arrival of each event that carried a non-empty content, reasoning or text token.
    public var tokenEventNanos: [UInt64] = []
    /// End of the stream: `[DONE]`, or the end of the body when the server sent no `[DONE]`.
    public var endNanos: UInt64
    /// Server-reported `usage` (absent when the server sent none).
    public var promptTokens: Int?
    public var completionTokens: Int?
    public var serverTimings: ServerTimings?
    public var status: Int?
    public var finishReason: String?
    public var failure: RequestFailure?
    /// The generated content (only when the request asked to collect it).
    public var text: String?
    /// Prompt tokens the server served from its cache: `usage.prompt_tokens_details.cached_tokens`
    /// (OpenAI, vLLM) or `timings.cache_n` (llama.cpp).
    public var cachedPromptTokens: Int?
    /// Which endpoint served it (index into the run's URLs).
    public var endpoint: Int = 0
    /// Multi-turn workloads: the turn of the conversation (0-based).
    public var turn: Int?
    /// Choices asked for (`n`); 1 for an ordinary request.
    public var choices: Int = 1
    /// Distinct choices that carried a token (a server that ignores `n` sends one).
    public var choicesSeen: Int = 0

    public init(index: Int, scheduledNanos: UInt64, startNanos: UInt64, endNanos: UInt64) {
        self.index = index
        self.scheduledNanos = scheduledNanos
        self.startNanos = startNanos
        self.endNanos = endNanos
    }

    public var succeeded: Bool { failure == nil }
    public var firstTokenNanos: UInt64? { tokenEventNanos.first }
    public var lastTokenNanos: UInt64? { tokenEventNanos.last }

    /// Time to first token: request start → first non-empty content/reasoning/text event.
    public var ttftSeconds: Double? { firstTokenNanos.map { Double($0 &- startNanos) / 1e9 } }
    /// End-to-end latency: request start → end of stream.
    public var e2eSeconds: Double { Double(endNanos &- startNanos) / 1e9 }
    /// Output tokens: server `usage.completion_tokens`, else the number of token events.
    public var outputTokens: Int { completionTokens ?? tokenEventNanos.count }
    /// Time per output token after the first (vLLM's TPOT): (last token − first token) / (tokens − 1).
    public var tpotSeconds: Double? {
        guard let first = firstTokenNanos, let last = lastTokenNanos, outputTokens > 1 else { return nil }
        return Double(last &- first) / 1e9 / Double(outputTokens - 1)
    }
    /// Gaps between consecutive token events (the inter-token latency distribution).
    public var interTokenGapsSeconds: [Double] {
        guard tokenEventNanos.count > 1 else { return [] }
        return (1..<tokenEventNanos.count).map { Double(tokenEventNanos[$0] &- tokenEventNanos[$0 - 1]) / 1e9 }
    }
}
