import Foundation
import Optimization
import Tabular

/// A distribution of lengths in tokens (prompt lengths, `max_tokens`), sampled per request from
/// the run's seed.
public enum LengthDistribution: Sendable, Equatable, CustomStringConvertible {
    case fixed(Int)
    /// Uniform on lo…hi (inclusive).
    case uniform(Int, Int)
    /// Normal, rounded and clamped to min…max.
    case normal(mean: Double, sd: Double, min: Int, max: Int)
    /// Log-normal with the given median and σ of the log, rounded and clamped to min…max.
    case lognormal(median: Double, sigma: Double, min: Int, max: Int)

    public var description: String {
        switch self {
        case .fixed(let n): return "\(n)"
        case .uniform(let a, let b): return "uniform(\(a), \(b))"
        case .normal(let m, let s, let lo, let hi): return "normal(mean \(Self.g(m)), sd \(Self.g(s)), \(lo)…\(hi))"
        case .lognormal(let m, let s, let lo, let hi):
            return "log-normal(median \(Self.g(m)), σ \(Self.g(s)), \(lo)…\(hi))"
        }
    }

    static func g(_ v: Double) -> String { v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : String(v) }

    /// The largest value it can take.
    public var maximum: Int {
        switch self {
        case .fixed(let n): return n
        case .uniform(_, let b): return b
        case .normal(_, _, _, let hi), .lognormal(_, _, _, let hi): return hi
        }
    }

    /// One length.
    public func sample(_ rng: inout SeededGenerator) -> Int {
        switch self {
        case .fixed(let n): return n
        case .uniform(let a, let b): return a + Int(rng.next() % UInt64(b - a + 1))
        case .normal(let mean, let sd, let lo, let hi):
            let v = (mean + sd * rng.nextNormal()).rounded()
            return Int(Swift.min(Double(hi), Swift.max(Double(lo), v)))
        case .lognormal(let median, let sigma, let lo, let hi):
            let v = (median * Foundation.exp(sigma * rng.nextNormal())).rounded()
            return Int(Swift.min(Double(hi), Swift.max(Double(lo), v.isFinite ? v : Double(hi))))
        }
    }

    /// Parses `N`, `fixed:N`, `uniform:LO,HI`, `normal:MEAN,SD[,MIN,MAX]` or
    /// `lognormal:MEDIAN,SIGMA[,MIN,MAX]`; every length must be in 1…`limit`.
    public static func parse(_ text: String, flag: String, limit: Int) throws -> LengthDistribution {
        func fail(_ why: String) -> LoadTestingError {
            .invalidArgument(
                "\(flag): '\(text)' \(why) (examples: \(flag) 128, uniform:64,256, normal:128,32, lognormal:128,0.5,16,1024; lengths in 1…\(limit))"
            )
        }
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        let (kind, rest): (String, String) = {
            guard let colon = t.firstIndex(of: ":") else { return ("fixed", t) }
            return (String(t[..<colon]), String(t[t.index(after: colon)...]))
        }()
        let numbers = rest.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard !numbers.isEmpty, numbers.allSatisfy({ $0 != nil && $0!.isFinite }) else {
            throw fail("has a value that is not a number")
        }
        let v = numbers.map { $0! }
        func length(_ x: Double) throws -> Int {
            guard x == x.rounded(), x >= 1, x <= Double(limit) else { throw fail("has a length outside 1…\(limit)") }
            return Int(x)
        }
        switch kind {
        case "fixed":
            guard v.count == 1 else { throw fail("is one length") }
            return .fixed(try length(v[0]))
        case "uniform":
            guard v.count == 2 else { throw fail("needs LO,HI") }
            let (a, b) = (try length(v[0]), try length(v[1]))
            guard a <= b else { throw fail("has LO above HI") }
            return .uniform(a, b)
        case "normal", "lognormal":
            guard v.count == 2 || v.count == 4 else { throw fail("needs two or four numbers") }
            let lo = v.count == 4 ? try length(v[2]) : 1
            let hi = v.count == 4 ? try length(v[3]) : limit
            guard lo <= hi else { throw fail("has MIN above MAX") }
            guard v[0] > 0, v[0] <= Double(limit) else { throw fail("has a centre outside (0, \(limit)]") }
            guard v[1] >= 0, v[1] <= (kind == "normal" ? Double(limit) : 10) else {
                throw fail("has a spread out of range")
            }
            return kind == "normal"
                ? .normal(mean: v[0], sd: v[1], min: lo, max: hi)
                : .lognormal(median: v[0], sigma: v[1], min: lo, max: hi)
        default:
            throw fail("is not a known distribution")
        }
    }
}

/// What one user turn sends.
public struct PromptItem: Sendable, Equatable {
    public var text: String
    /// `max_tokens` for this item (nil: the run's setting).
    public var maxTokens: Int?

    public init(text: String, maxTokens: Int? = nil) {
        self.text = text
        self.maxTokens = maxTokens
    }
}

/// Synthetic prompts: seeded random common words (about one token each for BPE tokenizers),
/// different for every request so prompt caches do not flatter the server, optionally after a
/// shared prefix (which a prefix cache can serve).
public struct SyntheticPrompts: Sendable, Equatable {
    /// Prompt length in (approximate) tokens.
    public var input: LengthDistribution
    /// `max_tokens` per request (nil: the run's `--output-tokens`).
    public var output: LengthDistribution?
    /// Tokens of prefix shared by the prompts of a group (0: none).
    public var sharedPrefix: Int
    /// Groups of prompts sharing one prefix (request i is in group i mod groups).
    public var prefixGroups: Int
    public var seed: UInt64

    public init(
        input: LengthDistribution,
        output: LengthDistribution? = nil,
        sharedPrefix: Int = 0,
        prefixGroups: Int = 1,
        seed: UInt64
    ) {
        self.input = input
        self.output = output
        self.sharedPrefix = sharedPrefix
        self.prefixGroups = max(1, prefixGroups)
        self.seed = seed
    }

    static let words = """
        the of and to in is that for it as was with be by on not he this are or his from at which but have an \
        they you were her she there been one all we their has would when if so no what up out more time can \
        said about into them some could him than only new other people then its also two first like may over \
        after any most work use way well many year even back good very through long little just where much \
        water make world day house right place small found still found never under while last might great old \
        number part sound line city tree river stone light paper music story field garden window table
        """.split(separator: " ").map(String.init)

    static func text(words count: Int, _ rng: inout SeededGenerator) -> String {
        var out: [String] = []
        out.reserveCapacity(count)
        for _ in 0..<count { out.append(words[Int(rng.next() % UInt64(words.count))]) }
        return out.joined(separator: " ")
    }

    /// The prompt of turn `turn` of work item `index` (turn 0 for single requests).
    public func item(index: Int, turn: Int = 0) -> PromptItem {
        var rng = SeededGenerator(seed: seed &+ UInt64(turn) &* 0x9E37_79B9, stream: index)
        let tokens = input.sample(&rng)
        let maxTokens = output.map { $0.sample(&rng) }
        // Leave room for the chat template's tokens.
        let total = max(1, tokens - 8)
        var text = ""
        var unique = total
        if sharedPrefix > 0 && turn == 0 {
            var prefixRNG = SeededGenerator(seed: seed ^ 0x5AE0_F1C5, stream: index % prefixGroups)
            let p = min(sharedPrefix, total)
            text = Self.text(words: p, &prefixRNG)
            unique = total - p
        }
        if unique > 0 { text += (text.isEmpty ? "" : " ") + Self.text(words: unique, &rng) }
        return PromptItem(text: text, maxTokens: maxTokens)
    }
}

/// Where prompts come from for a load test.
public struct PromptSource: Sendable {
    enum Kind: Sendable {
        case synthetic(SyntheticPrompts)
        case items([PromptItem])
        /// ShareGPT conversations: the human turns, each with the recorded answer's length.
        case conversations([[PromptItem]])
    }
    let kind: Kind
    /// How the prompts were made, for the report.
    public let description: String

    init(kind: Kind, description: String) {
        self.kind = kind
        self.description = description
    }

    /// Synthetic prompts of about `inputTokens` tokens.
    public static func synthetic(inputTokens: Int, seed: UInt64) -> PromptSource {
        synthetic(SyntheticPrompts(input: .fixed(inputTokens), seed: seed))
    }

    /// Synthetic prompts with length distributions and an optional shared prefix.
    public static func synthetic(_ s: SyntheticPrompts) -> PromptSource {
        var d = "synthetic prompts of seeded random words, input ≈ \(s.input) tokens"
        if s.sharedPrefix > 0 {
            d += ", the first \(s.sharedPrefix) shared within \(s.prefixGroups) group\(s.prefixGroups == 1 ? "" : "s")"
        }
        if let o = s.output { d += ", max_tokens \(o)" }
        return PromptSource(kind: .synthetic(s), description: d)
    }

    /// Prompts used round-robin.
    public static func list(_ prompts: [String]) -> PromptSource {
        PromptSource(
            kind: .items(prompts.map { PromptItem(text: $0) }),
            description: "\(prompts.count) prompts from a file"
        )
    }

    /// The prompt for request `index` (turn 0).
    public func prompt(index: Int) -> String { item(index: index, turn: 0).text }

    /// The user message of turn `turn` of work item `index`.
    public func item(index: Int, turn: Int) -> PromptItem {
        switch kind {
        case .synthetic(let s): return s.item(index: index, turn: turn)
        case .items(let items): return items[index % items.count]
        case .conversations(let list):
            let c = list[index % list.count]
            return c[min(turn, c.count - 1)]
        }
    }

    /// Turns available for work item `index` (nil: as many as asked).
    public func turns(of index: Int) -> Int? {
        if case .conversations(let list) = kind { return list[index % list.count].count }
        return nil
    }

    /// Reads a JSONL file with one `{"prompt": "..."}` object per line (blank lines skipped; an
    /// optional `"max_tokens"` per line).
    public static func load(jsonl path: String) throws -> PromptSource {
        var items: [PromptItem] = []
        for (line, value) in try JSONLines.read(path) {
            guard let prompt = value["prompt"]?.stringValue else {
                throw LoadTestingError.invalidFile(
                    path,
                    line: line,
                    reason: "each line needs a string field \"prompt\""
                )
            }
            let max = value["max_tokens"]?.intValue
            if let max, max < 1 || max > Limits.maxOutputTokens {
                throw LoadTestingError.invalidFile(
                    path,
                    line: line,
                    reason: "max_tokens must be in 1…\(Limits.maxOutputTokens)"
                )
            }
            items.append(PromptItem(text: prompt, maxTokens: max))
        }
        guard !items.isEmpty else {
            throw LoadTestingError.invalidFile(path, line: nil, reason: "no prompts in the file")
        }
        return PromptSource(kind: .items(items), description: "\(items.count) prompts from \(path), used round-robin")
    }

    /// Reads a ShareGPT-format JSON file: an array of `{"conversations": [{"from": "human",
    /// "value": …}, {"from": "gpt", "value": …}, …]}` (also `"role"`/`"content"` and
    /// `user`/`assistant`). Each conversation's human turns are the prompts, in order (turn 0 is the
    /// first human turn). With `recordedOutputLengths`, a turn's `max_tokens` is the length of the
    /// recorded answer that follows it, estimated as characters / 4 (the client has no tokenizer;
    /// the counts reported are the server's usage). Conversations without a human turn are skipped.
    public static func load(shareGPT path: String, recordedOutputLengths: Bool) throws -> PromptSource {
        let data = try InputFileBridge.read(path)
        let json: JSONValue
        do { json = try JSONValue.parse(data) } catch {
            throw LoadTestingError.invalidFile(path, line: nil, reason: "is not valid JSON (\(error))")
        }
        guard case .array(let entries) = json else {
            throw LoadTestingError.invalidFile(
                path,
                line: nil,
                reason: "is not a ShareGPT file: expected a JSON array of conversations"
            )
        }
        var conversations: [[PromptItem]] = []
        for entry in entries {
            guard case .array(let turns)? = entry["conversations"] ?? entry["messages"] else { continue }
            var items: [PromptItem] = []
            for (k, turn) in turns.enumerated() {
                let role = (turn["from"] ?? turn["role"])?.stringValue ?? ""
                guard role == "human" || role == "user", let text = (turn["value"] ?? turn["content"])?.stringValue,
                    !text.isEmpty
                else { continue }
                var item = PromptItem(text: text)
                if recordedOutputLengths, k + 1 < turns.count,
                    let answer = (turns[k + 1]["value"] ?? turns[k + 1]["content"])?.stringValue
                {
                    item.maxTokens = min(Limits.maxOutputTokens, max(1, (answer.count + 3) / 4))
                }
                items.append(item)
            }
            if !items.isEmpty { conversations.append(items) }
        }
        guard !conversations.isEmpty else {
            throw LoadTestingError.invalidFile(path, line: nil, reason: "has no conversation with a human turn")
        }
        var d = "ShareGPT: \(conversations.count) conversations from \(path), first human turn as the prompt"
        if recordedOutputLengths { d += ", max_tokens from the recorded answer's length (characters / 4, an estimate)" }
        return PromptSource(kind: .conversations(conversations), description: d)
    }
}

/// Reading whole input files through Tabular, with LoadTesting's errors.
enum InputFileBridge {
    static func read(_ path: String) throws -> [UInt8] {
        do {
            var data = try InputFile.read(path)
            if data.starts(with: [0xEF, 0xBB, 0xBF]) { data.removeFirst(3) }
            return [UInt8](data)
        } catch let error as TabularError {
            throw LoadTestingError.invalidFile(
                path,
                line: nil,
                reason: error.problem + (error.hint.map { ". \($0)" } ?? "")
            )
        }
    }
}

/// What one unit of work is.
public enum WorkloadShape: Sendable, Equatable, CustomStringConvertible {
    /// One request.
    case single
    /// A multi-turn conversation: `turns` requests in sequence, each sending the whole history
    /// (earlier user messages and the server's answers) plus the next user message.
    case conversation(turns: Int)
    /// Repeated sampling: a query is `k` completions of one prompt, as one request with `n = k`
    /// (`.n`) or as `k` requests sent together (`.separate`, distinct seeds).
    case samples(k: Int, mode: SampleMode)

    public var description: String {
        switch self {
        case .single: return "single requests"
        case .conversation(let t): return "conversations of \(t) turns"
        case .samples(let k, let mode):
            return "queries of \(k) samples (\(mode == .n ? "one request with n = \(k)" : "\(k) requests"))"
        }
    }
}

/// How the k samples of a query are requested.
public enum SampleMode: String, Sendable, Equatable, CaseIterable {
    /// One request with `n = k` (vLLM, SGLang, OpenAI; llama.cpp rejects it).
    case n
    /// `k` requests with distinct seeds, sent together.
    case separate
}
