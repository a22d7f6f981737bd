import Foundation
import Optimization
import Tabular

/// Which OpenAI-compatible API a run drives.
public enum OpenAIEndpoint: String, Sendable, CaseIterable, Codable {
    /// `POST /v1/chat/completions` with one user message.
    case chat
    /// `POST /v1/completions` with a raw prompt.
    case completions

    public var path: String { self == .chat ? "/v1/chat/completions" : "/v1/completions" }
}

/// The sampling and length settings of one streamed generation request.
public struct GenerationSettings: Sendable, Equatable {
    public var model: String
    public var endpoint: OpenAIEndpoint
    public var maxTokens: Int
    public var temperature: Double
    /// Ask the server to ignore end-of-sequence so outputs have exactly `maxTokens` tokens
    /// (llama.cpp and vLLM honour `ignore_eos`; others ignore the field).
    public var ignoreEOS: Bool

    public init(
        model: String,
        endpoint: OpenAIEndpoint = .chat,
        maxTokens: Int,
        temperature: Double = 0,
        ignoreEOS: Bool = false
    ) {
        self.model = model
        self.endpoint = endpoint
        self.maxTokens = maxTokens
        self.temperature = temperature
        self.ignoreEOS = ignoreEOS
    }

    /// The JSON body for one user message: `stream: true` with `stream_options.include_usage` so
    /// the server reports token counts on a final chunk, and the per-request `seed`.
    public func body(prompt: String, seed: UInt64?) -> [UInt8] {
        body(messages: [ChatMessage(role: "user", content: prompt)], maxTokens: nil, seed: seed)
    }

    /// The JSON body for a conversation (chat; the completions API gets the messages' text
    /// joined), with `max_tokens` (default ``maxTokens``) and `n` choices when n > 1.
    public func body(messages: [ChatMessage], maxTokens: Int?, seed: UInt64?, n: Int = 1) -> [UInt8] {
        var s = "{\"model\":\(JSONValue.quote(model)),"
        switch endpoint {
        case .chat:
            s += "\"messages\":["
            for (k, m) in messages.enumerated() {
                if k > 0 { s += "," }
                s += "{\"role\":\(JSONValue.quote(m.role)),\"content\":\(JSONValue.quote(m.content))}"
            }
            s += "],"
        case .completions:
            s += "\"prompt\":\(JSONValue.quote(messages.map(\.content).joined(separator: "\n\n"))),"
        }
        // A non-finite temperature would make the body invalid JSON; callers validate it, and the
        // library sends null rather than `nan`.
        let t = temperature.isFinite ? "\(temperature)" : "null"
        s += "\"max_tokens\":\(maxTokens ?? self.maxTokens),\"temperature\":\(t),"
        if n > 1 { s += "\"n\":\(n)," }
        if let seed { s += "\"seed\":\(seed)," }
        if ignoreEOS { s += "\"ignore_eos\":true," }
        s += "\"stream\":true,\"stream_options\":{\"include_usage\":true}}"
        return Array(s.utf8)
    }
}

/// One message of a chat conversation.
public struct ChatMessage: Sendable, Equatable {
    public var role: String
    public var content: String

    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }
}

/// Reading JSON Lines files with errors that name the line.
public enum JSONLines {
    /// The parsed objects with their 1-based line numbers; blank lines are skipped.
    /// Reads through `Tabular.InputFile`, so pipes, `/dev/null` and `-` (standard input) work, and
    /// skips a leading UTF-8 byte-order mark.
    public static func read(_ path: String) throws -> [(Int, JSONValue)] {
        var data: Data
        do {
            data = try InputFile.read(path)
        } catch let error as TabularError {
            throw LoadTestingError.invalidFile(
                path,
                line: nil,
                reason: error.problem + (error.hint.map { ". \($0)" } ?? "")
            )
        }
        if data.starts(with: [0xEF, 0xBB, 0xBF]) { data.removeFirst(3) }
        var result: [(Int, JSONValue)] = []
        var lineNumber = 0
        for line in data.split(separator: 10, omittingEmptySubsequences: false) {
            lineNumber += 1
            let trimmed = line.drop(while: { $0 == 32 || $0 == 9 || $0 == 13 })
            if trimmed.isEmpty || trimmed.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 13 }) { continue }
            do {
                result.append((lineNumber, try JSONValue.parse(Array(line))))
            } catch {
                throw LoadTestingError.invalidFile(path, line: lineNumber, reason: "\(error)")
            }
        }
        return result
    }
}

/// Errors of the LoadTesting library, with what to do about them.
public enum LoadTestingError: Error, LocalizedError, Equatable, Sendable {
    case invalidURL(String, reason: String)
    case invalidFile(String, line: Int?, reason: String)
    case invalidArgument(String)
    case resumeMismatch(String)

    public var errorDescription: String? {
        switch self {
        case .invalidURL(let url, let reason):
            return "invalid server URL '\(url)': \(reason). Example: --url http://127.0.0.1:8080"
        case .invalidFile(let path, let line, let reason):
            return "\(path)\(line.map { ":\($0)" } ?? ""): \(reason)"
        case .invalidArgument(let message):
            return message
        case .resumeMismatch(let message):
            return "cannot resume: \(message). Use a new --out file, or delete the old one to start over."
        }
    }
}
