import Foundation
import Optimization

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

    /// The JSON body: `stream: true` with `stream_options.include_usage` so the server reports
    /// token counts on a final chunk, and the per-request `seed`.
    public func body(prompt: String, seed: UInt64?) -> [UInt8] {
        var s = "{\"model\":\(JSONValue.quote(model)),"
        switch endpoint {
        case .chat: s += "\"messages\":[{\"role\":\"user\",\"content\":\(JSONValue.quote(prompt))}],"
        case .completions: s += "\"prompt\":\(JSONValue.quote(prompt)),"
        }
        s += "\"max_tokens\":\(maxTokens),\"temperature\":\(temperature),"
        if let seed { s += "\"seed\":\(seed)," }
        if ignoreEOS { s += "\"ignore_eos\":true," }
        s += "\"stream\":true,\"stream_options\":{\"include_usage\":true}}"
        return Array(s.utf8)
    }
}

/// Where prompts come from for a load test.
public enum PromptSource: Sendable {
    /// Synthetic prompts of about `inputTokens` tokens: seeded random common English words (about
    /// one token each for BPE tokenizers), different for every request so prompt caches do not
    /// flatter the server. The exact count is taken from the server's `usage.prompt_tokens`.
    case synthetic(inputTokens: Int, seed: UInt64)
    /// Prompts read from a file, used round-robin.
    case list([String])

    private static let words = """
        the of and to in is that for it as was with be by on not he this are or his from at which but have an \
        they you were her she there been one all we their has would when if so no what up out more time can \
        said about into them some could him than only new other people then its also two first like may over \
        after any most work use way well many year even back good very through long little just where much \
        water make world day house right place small found still found never under while last might great old \
        number part sound line city tree river stone light paper music story field garden window table
        """.split(separator: " ").map(String.init)

    /// The prompt for request `index`.
    public func prompt(index: Int) -> String {
        switch self {
        case .list(let prompts):
            return prompts[index % prompts.count]
        case .synthetic(let inputTokens, let seed):
            var rng = SeededGenerator(seed: seed, stream: index)
            let count = max(1, inputTokens - 8)  // leave room for the chat template's tokens
            var words: [String] = []
            words.reserveCapacity(count)
            for _ in 0..<count { words.append(Self.words[Int(rng.next() % UInt64(Self.words.count))]) }
            return words.joined(separator: " ")
        }
    }

    /// Reads a JSONL file with one `{"prompt": "..."}` object per line (blank lines skipped).
    public static func load(jsonl path: String) throws -> PromptSource {
        let lines = try JSONLines.read(path)
        var prompts: [String] = []
        for (line, value) in lines {
            guard let prompt = value["prompt"]?.stringValue else {
                throw LoadTestingError.invalidFile(
                    path,
                    line: line,
                    reason: "each line needs a string field \"prompt\""
                )
            }
            prompts.append(prompt)
        }
        guard !prompts.isEmpty else {
            throw LoadTestingError.invalidFile(path, line: nil, reason: "no prompts in the file")
        }
        return .list(prompts)
    }
}

/// Reading JSON Lines files with errors that name the line.
public enum JSONLines {
    /// The parsed objects with their 1-based line numbers; blank lines are skipped.
    public static func read(_ path: String) throws -> [(Int, JSONValue)] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LoadTestingError.invalidFile(path, line: nil, reason: "cannot read the file (does it exist?)")
        }
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
