import Foundation
import Optimization
import Tabular

/// One evaluation problem: an id, the prompt sent, and the exact expected answer.
public struct Problem: Sendable, Equatable, Codable {
    public var id: String
    public var prompt: String
    public var answer: String

    public init(id: String, prompt: String, answer: String) {
        self.id = id
        self.prompt = prompt
        self.answer = answer
    }
}

/// Seeded multi-step integer arithmetic with exact answers (no licence questions, deterministic,
/// any size).
///
/// Problem i has 2 or 3 operations on small integers, e.g. `(7 + 5) * 3 - 4`, evaluated left to
/// right with the parentheses shown, so the answer is unambiguous. Operands are small so that a
/// 135M-parameter model solves some of them: repeated sampling then shows pass@k rising with k.
public enum ArithmeticDataset {
    /// `count` problems from `seed`; the same seed gives the same problems.
    public static func generate(count: Int, seed: UInt64) -> [Problem] {
        (0..<count).map { problem(index: $0, seed: seed) }
    }

    /// Problem `index` of the set made from `seed`.
    public static func problem(index: Int, seed: UInt64) -> Problem {
        var rng = SeededGenerator(seed: seed, stream: index)
        func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(rng.next() % UInt64(range.count)) }
        let steps = int(2...3)
        var value = int(1...9)
        var expression = "\(value)"
        for step in 0..<steps {
            let op = int(0...2)
            switch op {
            case 0:
                let b = int(1...9)
                value += b
                expression += " + \(b)"
            case 1:
                let b = int(1...9)
                value -= b
                expression += " - \(b)"
            default:
                let b = int(2...4)
                value *= b
                expression = step == 0 ? "\(expression) * \(b)" : "(\(expression)) * \(b)"
            }
        }
        let prompt = "Calculate \(expression). Give the final answer as a single integer after 'Answer:'."
        return Problem(id: "arith-\(seed)-\(index)", prompt: prompt, answer: String(value))
    }

    /// Reads a JSONL dataset: one `{"id": …, "prompt": …, "answer": …}` object per line (`id` and
    /// `answer` may be strings or numbers).
    public static func load(jsonl path: String) throws -> [Problem] {
        var problems: [Problem] = []
        var seen = Set<String>()
        for (line, value) in try JSONLines.read(path) {
            func field(_ name: String) throws -> String {
                switch value[name] {
                case .string(let s)?: return s
                case .number(let d)?: return d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : String(d)
                default:
                    throw LoadTestingError.invalidFile(
                        path,
                        line: line,
                        reason: "missing string field \"\(name)\" (each line needs id, prompt and answer)"
                    )
                }
            }
            let problem = Problem(id: try field("id"), prompt: try field("prompt"), answer: try field("answer"))
            guard seen.insert(problem.id).inserted else {
                throw LoadTestingError.invalidFile(path, line: line, reason: "duplicate id '\(problem.id)'")
            }
            problems.append(problem)
        }
        guard !problems.isEmpty else {
            throw LoadTestingError.invalidFile(path, line: nil, reason: "no problems in the file")
        }
        return problems
    }
}

/// Decides whether a generated response answers a problem. Pluggable: `t2 sample` uses
/// `FinalNumberChecker`; other tasks can bring their own.
public protocol AnswerChecker: Sendable {
    /// The answer extracted from `response`, if any (recorded per sample).
    func extract(from response: String) -> String?
    /// Whether `response` is a correct answer to a problem whose reference answer is `answer`.
    func isCorrect(response: String, answer: String) -> Bool
}

/// Final-number extraction and exact match (GSM8K-style "flexible" extraction).
///
/// The extracted answer is the number after the last `Answer:` or `####` marker when there is
/// one, else the last number in the text; thousands separators are removed and a trailing `.0…`
/// is dropped. Correct when it equals the reference answer normalized the same way.
public struct FinalNumberChecker: AnswerChecker {
    public init() {}

    public func extract(from response: String) -> String? {
        let lower = response.lowercased()
        var marker: Range<String.Index>? = nil
        for word in ["answer:", "####", "answer is"] {
            if let r = lower.range(of: word, options: .backwards), marker.map({ r.lowerBound > $0.lowerBound }) ?? true
            {
                marker = r
            }
        }
        if let marker, let n = Self.numbers(in: String(lower[marker.upperBound...])).first { return n }
        return Self.numbers(in: lower).last
    }

    public func isCorrect(response: String, answer: String) -> Bool {
        guard let got = extract(from: response), let want = Self.numbers(in: answer).last else { return false }
        return got == want
    }

    /// Integers and decimals in `text`, normalized: "1,234" → "1234", "-5" → "-5", "7.0" → "7".
    static func numbers(in text: String) -> [String] {
        var result: [String] = []
        let chars = Array(text.unicodeScalars)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            let startsNumber = c.properties.numericType != nil && ("0"..."9").contains(c)
            if startsNumber {
                var j = i
                var s = ""
                if i > 0 && chars[i - 1] == "-" && (i < 2 || !CharacterSet.alphanumerics.contains(chars[i - 2])) {
                    s = "-"
                }
                while j < chars.count {
                    let d = chars[j]
                    if ("0"..."9").contains(d) {
                        s.unicodeScalars.append(d)
                        j += 1
                        continue
                    }
                    if d == ",", j + 3 < chars.count, (1...3).allSatisfy({ ("0"..."9").contains(chars[j + $0]) }),
                        j + 4 >= chars.count || !("0"..."9").contains(chars[j + 4])
                    {
                        j += 1
                        continue
                    }
                    if d == ".", j + 1 < chars.count, ("0"..."9").contains(chars[j + 1]) {
                        s.unicodeScalars.append(d)
                        j += 1
                        continue
                    }
                    break
                }
                if s.contains(".") {
                    while s.hasSuffix("0") { s.removeLast() }
                    if s.hasSuffix(".") { s.removeLast() }
                }
                if s == "-0" { s = "0" }
                result.append(s)
                i = j
            } else {
                i += 1
            }
        }
        return result
    }
}

/// One finished sample, as logged (one JSON line each) beside the counts file.
public struct SampleResult: Sendable, Equatable, Codable {
    public var problem: String
    public var sample: Int
    public var seed: UInt64
    public var correct: Bool
    public var generatedTokens: Int
    public var extracted: String?

    enum CodingKeys: String, CodingKey {
        case problem, sample, seed, correct, extracted
        case generatedTokens = "generated_tokens"
    }
}

/// Options of a repeated-sampling run.
public struct SamplingOptions: Sendable {
    public var samplesPerProblem: Int
    public var concurrency: Int
    public var settings: GenerationSettings
    public var seed: UInt64
    /// Written into every row when given (the `counts` format's grouping columns).
    public var modelLabel: String?
    public var params: Double?
    public var trainingTokens: Double?

    public init(
        samplesPerProblem: Int,
        concurrency: Int,
        settings: GenerationSettings,
        seed: UInt64,
        modelLabel: String? = nil,
        params: Double? = nil,
        trainingTokens: Double? = nil
    ) {
        self.samplesPerProblem = samplesPerProblem
        self.concurrency = concurrency
        self.settings = settings
        self.seed = seed
        self.modelLabel = modelLabel
        self.params = params
        self.trainingTokens = trainingTokens
    }

    /// The seed of sample `j` of problem `i`: distinct for every sample of a problem (and across
    /// problems), reproducible for a given `--seed`.
    public func sampleSeed(problem i: Int, sample j: Int) -> UInt64 {
        (seed &* 1_000_003 &+ UInt64(i) &* UInt64(samplesPerProblem) &+ UInt64(j)) & 0x7FFF_FFFF
    }
}

/// The outcome of a sampling run.
public struct SamplingSummary: Sendable {
    public var problems: Int
    public var samplesDone: Int
    public var samplesResumed: Int
    public var samplesFailed: Int
    public var correct: Int
    public var generatedTokens: Int
    public var failures: [String: Int]
    public var failureExamples: [String: String]
    public var interrupted: Bool
}

/// K separate streamed requests per problem (llama.cpp rejects `n > 1`), each with its own seed;
/// per-problem counts written to a CSV as samples finish, resumable.
///
/// Files: `OUT` (the counts: `problem,samples,correct,generated_tokens,mean_generated_tokens` and
/// `model,params,tokens` when given) is rewritten atomically after every finished sample, so it is
/// always complete and valid; `OUT.samples.jsonl` logs each finished sample (problem, sample
/// index, seed, correct, tokens, extracted answer). A new run with the same `OUT` reads the log
/// and sends only the samples not yet in it. Failed requests are not samples: they are reported
/// and retried by the next run.
public struct SamplingRun: Sendable {
    public let client: StreamingClient
    public let problems: [Problem]
    public let options: SamplingOptions
    public let checker: any AnswerChecker
    public let outputPath: String

    public init(
        client: StreamingClient,
        problems: [Problem],
        options: SamplingOptions,
        checker: any AnswerChecker = FinalNumberChecker(),
        outputPath: String
    ) {
        self.client = client
        self.problems = problems
        self.options = options
        self.checker = checker
        self.outputPath = outputPath
    }

    public var logPath: String { outputPath + ".samples.jsonl" }

    /// Reads the samples already logged (a torn last line from a crash is dropped).
    public func loadLog() throws -> [SampleResult] {
        guard FileManager.default.fileExists(atPath: logPath) else {
            if FileManager.default.fileExists(atPath: outputPath) {
                throw LoadTestingError.resumeMismatch("\(outputPath) exists but its sample log \(logPath) does not")
            }
            return []
        }
        guard let data = FileManager.default.contents(atPath: logPath) else { return [] }
        var results: [SampleResult] = []
        let decoder = JSONDecoder()
        let ids = Set(problems.map(\.id))
        for line in data.split(separator: 10) where !line.isEmpty {
            guard let r = try? decoder.decode(SampleResult.self, from: Data(line)) else { continue }
            guard ids.contains(r.problem) else {
                throw LoadTestingError.resumeMismatch(
                    "\(logPath) has samples of problem '\(r.problem)', which is not in this dataset (different --dataset or --seed?)"
                )
            }
            if r.sample < options.samplesPerProblem { results.append(r) }
        }
        return results
    }

    /// Runs the missing samples. `progress` is called after every finished sample with
    /// (done, total). Cancelling the task stops it; what finished stays in both files.
    public func run(progress: (@Sendable (Int, Int) -> Void)? = nil) async throws -> SamplingSummary {
        let previous = try loadLog()
        var done = Set(previous.map { "\($0.problem)#\($0.sample)" })
        // Rewrite the log without any torn line, then append to it.
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var logText = ""
        var unique: [SampleResult] = []
        for r in previous where done.contains("\(r.problem)#\(r.sample)") {
            done.remove("\(r.problem)#\(r.sample)")
            unique.append(r)
            logText += String(decoding: try encoder.encode(r), as: UTF8.self) + "\n"
        }
        try AtomicFile.write(logText, to: logPath)
        let doneKeys = Set(unique.map { "\($0.problem)#\($0.sample)" })

        var work: [(Int, Int)] = []
        for (i, p) in problems.enumerated() {
            for j in 0..<options.samplesPerProblem where !doneKeys.contains("\(p.id)#\(j)") { work.append((i, j)) }
        }
        let state = Locked(SamplingState(results: unique))
        try writeCounts(unique)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        try log.seekToEnd()
        defer { try? log.close() }
        let next = Locked(0)
        let total = problems.count * options.samplesPerProblem
        let resumed = unique.count
        let workList = work
        let writeError = Locked<(any Error)?>(nil)

        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<max(1, min(options.concurrency, max(1, workList.count))) {
                group.addTask {
                    while !Task.isCancelled {
                        let k = next.withLock { n -> Int? in
                            guard n < workList.count else { return nil }
                            n += 1
                            return n - 1
                        }
                        guard let k else { break }
                        let (i, j) = workList[k]
                        let problem = problems[i]
                        let seed = options.sampleSeed(problem: i, sample: j)
                        var request = StreamingRequest(
                            path: options.settings.endpoint.path,
                            body: options.settings.body(prompt: problem.prompt, seed: seed)
                        )
                        request.collectText = true
                        let record = await client.send(request, index: k)
                        if let failure = record.failure {
                            if failure.kind == .cancelled { break }
                            state.withLock { s in
                                s.failed += 1
                                s.failures[failure.label, default: 0] += 1
                                if s.failureExamples[failure.label] == nil {
                                    s.failureExamples[failure.label] = failure.message
                                }
                            }
                            continue
                        }
                        let text = record.text ?? ""
                        let result = SampleResult(
                            problem: problem.id,
                            sample: j,
                            seed: seed,
                            correct: checker.isCorrect(response: text, answer: problem.answer),
                            generatedTokens: record.outputTokens,
                            extracted: checker.extract(from: text)
                        )
                        let lineEncoder = JSONEncoder()
                        lineEncoder.outputFormatting = [.sortedKeys]
                        let line =
                            (try? lineEncoder.encode(result)).map { String(decoding: $0, as: UTF8.self) + "\n" } ?? ""
                        let snapshot = state.withLock { s -> [SampleResult] in
                            s.results.append(result)
                            s.new += 1
                            log.write(Data(line.utf8))
                            return s.results
                        }
                        do { try writeCounts(snapshot) } catch { writeError.withLock { $0 = error } }
                        progress?(snapshot.count, total)
                    }
                }
            }
        }
        if let error = writeError.withLock({ $0 }) { throw error }
        let final = state.withLock { $0 }
        try writeCounts(final.results)
        return SamplingSummary(
            problems: problems.count,
            samplesDone: final.results.count,
            samplesResumed: resumed,
            samplesFailed: final.failed,
            correct: final.results.filter(\.correct).count,
            generatedTokens: final.results.reduce(0) { $0 + $1.generatedTokens },
            failures: final.failures,
            failureExamples: final.failureExamples,
            interrupted: Task.isCancelled
        )
    }

    /// Writes the counts CSV (atomically) from the finished samples, one row per problem in
    /// dataset order; problems with no finished sample yet are left out.
    func writeCounts(_ results: [SampleResult]) throws {
        var byProblem: [String: (n: Int, c: Int, t: Int)] = [:]
        for r in results {
            var e = byProblem[r.problem] ?? (0, 0, 0)
            e.n += 1
            e.c += r.correct ? 1 : 0
            e.t += r.generatedTokens
            byProblem[r.problem] = e
        }
        try AtomicFile.write(Self.countsCSV(problems: problems, counts: byProblem, options: options), to: outputPath)
    }

    static func countsCSV(
        problems: [Problem],
        counts: [String: (n: Int, c: Int, t: Int)],
        options: SamplingOptions
    ) -> String {
        func q(_ s: String) -> String {
            s.contains(",") || s.contains("\"") || s.contains("\n")
                ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        }
        func num(_ d: Double) -> String { d == d.rounded() && abs(d) < 1e18 ? String(Int64(d)) : String(d) }
        var header = ["problem", "samples", "correct", "generated_tokens", "mean_generated_tokens"]
        if options.modelLabel != nil { header.append("model") }
        if options.params != nil { header.append("params") }
        if options.trainingTokens != nil { header.append("tokens") }
        var lines = [header.joined(separator: ",")]
        for p in problems {
            guard let e = counts[p.id] else { continue }
            var row = [
                q(p.id), String(e.n), String(e.c), String(e.t), String(format: "%.2f", Double(e.t) / Double(e.n)),
            ]
            if let m = options.modelLabel { row.append(q(m)) }
            if let n = options.params { row.append(num(n)) }
            if let d = options.trainingTokens { row.append(num(d)) }
            lines.append(row.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

struct SamplingState: Sendable {
    var results: [SampleResult]
    var new = 0
    var failed = 0
    var failures: [String: Int] = [:]
    var failureExamples: [String: String] = [:]
}
