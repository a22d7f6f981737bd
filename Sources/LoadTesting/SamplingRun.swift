import Foundation
import Optimization
import Tabular

/// One finished sample, as logged (one JSON line each) beside the counts file.
public struct SampleResult: Sendable, Equatable, Codable {
    public var problem: String
    public var sample: Int
    public var seed: UInt64
    public var correct: Bool
    public var generatedTokens: Int
    public var extracted: String?

    public init(problem: String, sample: Int, seed: UInt64, correct: Bool, generatedTokens: Int, extracted: String?) {
        self.problem = problem
        self.sample = sample
        self.seed = seed
        self.correct = correct
        self.generatedTokens = generatedTokens
        self.extracted = extracted
    }

    enum CodingKeys: String, CodingKey {
        case problem
        case sample
        case seed
        case correct
        case extracted
        case generatedTokens = "generated_tokens"
    }
}

/// How many samples each problem gets.
public enum SampleAllocation: Sendable, Equatable {
    /// `samples` per problem.
    case uniform(samples: Int)
    /// Adaptive (``AdaptiveAllocator``): at least `minimum` per problem, then samples go where they
    /// most narrow the interval of the dataset's pass@`targetK`, until its width is at most
    /// `precision` or `budget` samples (in total, earlier runs included) are spent.
    case adaptive(AdaptiveSettings)
}

/// Options of a repeated-sampling run.
public struct SamplingOptions: Sendable {
    public var allocation: SampleAllocation
    public var concurrency: Int
    public var settings: GenerationSettings
    public var seed: UInt64
    /// This process's shard of the problems (problem i belongs to shard i mod n).
    public var shard: Shard?
    /// Written into every row when given (the `counts` format's grouping columns).
    public var modelLabel: String?
    public var params: Double?
    public var trainingTokens: Double?

    public init(
        samplesPerProblem: Int,
        concurrency: Int,
        settings: GenerationSettings,
        seed: UInt64,
        shard: Shard? = nil,
        modelLabel: String? = nil,
        params: Double? = nil,
        trainingTokens: Double? = nil
    ) {
        self.init(
            allocation: .uniform(samples: samplesPerProblem),
            concurrency: concurrency,
            settings: settings,
            seed: seed,
            shard: shard,
            modelLabel: modelLabel,
            params: params,
            trainingTokens: trainingTokens
        )
    }

    public init(
        allocation: SampleAllocation,
        concurrency: Int,
        settings: GenerationSettings,
        seed: UInt64,
        shard: Shard? = nil,
        modelLabel: String? = nil,
        params: Double? = nil,
        trainingTokens: Double? = nil
    ) {
        self.allocation = allocation
        self.concurrency = concurrency
        self.settings = settings
        self.seed = seed
        self.shard = shard
        self.modelLabel = modelLabel
        self.params = params
        self.trainingTokens = trainingTokens
    }

    /// The most samples one problem can get (the sample indices counted).
    public var samplesCap: Int {
        switch allocation {
        case .uniform(let k): return k
        case .adaptive(let a): return a.maxPerProblem
        }
    }

    /// The seed of sample `j` of problem `i` (its index in the whole dataset of `problems`):
    /// `(seed·1000003 + j·problems + i) mod 2³¹` — distinct for every (i, j) while
    /// j·problems + i < 2³¹, reproducible for a given `--seed`, and independent of how many samples
    /// are asked for, so a run that grows never reuses a seed.
    public func sampleSeed(problem i: Int, sample j: Int, problems: Int) -> UInt64 {
        (seed &* 1_000_003 &+ UInt64(j) &* UInt64(max(1, problems)) &+ UInt64(i)) & 0x7FFF_FFFF
    }
}

/// The outcome of a sampling run.
public struct SamplingSummary: Sendable {
    /// Problems in this run (this shard's, when sharded).
    public var problems: Int
    /// Samples in the counts (earlier runs included).
    public var samplesDone: Int
    /// Samples the counts should hold when the run is complete (for adaptive runs, the budget).
    public var samplesTarget: Int
    public var samplesResumed: Int
    /// Samples in the log beyond `--samples` (kept in the log, left out of the counts).
    public var samplesBeyondRequest: Int
    public var samplesFailed: Int
    public var correct: Int
    public var generatedTokens: Int
    public var failures: [String: Int]
    public var failureExamples: [String: String]
    public var interrupted: Bool
    /// Adaptive runs: the pass@k interval at the target k when the run stopped, and why it stopped.
    public var adaptive: AdaptiveStatus?
}

/// K streamed requests per problem (llama.cpp rejects `n > 1`), each with its own seed;
/// per-problem counts written to a CSV as samples finish, resumable.
///
/// Files: `OUT` (the counts: `problem,samples,correct,generated_tokens,mean_generated_tokens` and
/// `model,params,tokens` when given) is rewritten atomically, at most every half second and at the
/// end, so it is always complete and valid; `OUT.samples.jsonl` is the per-sample log: a settings
/// line, then one line per finished sample (problem, sample index, seed, correct, tokens,
/// extracted answer). One writer task owns both files; the log is locked for the run, so a second
/// process on the same `OUT` is refused. A new run with the same `OUT` reads the log and sends only
/// the samples not yet in it; different settings (model, temperature, max tokens, seed, dataset,
/// checker, shard) are refused. Failed requests are not samples: they are reported and retried by
/// the next run.
public struct SamplingRun: Sendable {
    public let client: StreamingClient
    /// The whole dataset (the run takes its shard's share).
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

    /// The settings recorded in the log.
    public var settings: SampleRunSettings {
        SampleRunSettings(
            model: options.settings.model,
            endpoint: options.settings.endpoint.rawValue,
            temperature: options.settings.temperature,
            maxTokens: options.settings.maxTokens,
            seed: options.seed,
            dataset: SampleRunSettings.fingerprint(problems),
            problems: problems.count,
            checker: checker.name,
            shard: options.shard?.description
        )
    }

    /// The indices (in the whole dataset) of this run's problems.
    public var problemIndices: [Int] {
        guard let shard = options.shard else { return Array(problems.indices) }
        return problems.indices.filter { shard.owns($0) }
    }

    /// Runs the missing samples. `progress` is called after every finished sample with
    /// (done, target). Cancelling the task stops it; what finished stays in both files.
    public func run(progress: (@Sendable (Int, Int) -> Void)? = nil) async throws -> SamplingSummary {
        if FileManager.default.fileExists(atPath: outputPath) && !FileManager.default.fileExists(atPath: logPath) {
            throw LoadTestingError.resumeMismatch("\(outputPath) exists but its sample log \(logPath) does not")
        }
        let log = try SampleLog(path: logPath, settings: settings)
        let mine = problemIndices
        let position = Dictionary(uniqueKeysWithValues: mine.enumerated().map { (problems[$1].id, $0) })
        let cap = options.samplesCap

        // What earlier runs finished: the first record of each (problem, sample), in file order.
        var tally = SampleTally(problems: mine.count)
        var done = [Set<Int>](repeating: [], count: mine.count)
        var beyond = 0
        for r in log.previous {
            guard let k = position[r.problem] else {
                throw LoadTestingError.resumeMismatch(
                    "\(logPath) has samples of problem '\(r.problem)', which is not in this run's problems"
                )
            }
            guard r.sample >= 0, !done[k].contains(r.sample) else { continue }
            done[k].insert(r.sample)
            if r.sample < cap { tally.add(k, r) } else { beyond += 1 }
        }
        let resumed = tally.samples

        let scheduler: any SampleScheduler
        var target: Int
        switch options.allocation {
        case .uniform(let k):
            scheduler = UniformScheduler(problems: mine.count, samples: k, done: done)
            target = mine.count * k
        case .adaptive(let a):
            let adaptive = AdaptiveScheduler(settings: a, tally: tally, done: done)
            scheduler = adaptive
            target = a.budget
        }

        let writer = SampleWriter(
            log: log,
            countsPath: outputPath,
            problems: mine.map { problems[$0] },
            options: options,
            tally: tally
        )
        try writer.writeCounts()

        let failures = Locked(FailureTally())
        let outcomes = AsyncStream<(Int, SampleResult)>.makeStream()
        let total = target
        let writerTask = Task { () throws -> Void in
            for await (k, result) in outcomes.stream {
                try writer.record(k, result)
                progress?(writer.samples, total)
            }
            try writer.writeCounts()
        }
        let settings = options.settings
        let seedProblems = problems.count
        let checker = self.checker
        let client = self.client
        let problemList = problems
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<max(1, options.concurrency) {
                group.addTask {
                    while !Task.isCancelled {
                        guard let (k, j) = await scheduler.next() else { break }
                        let i = mine[k]
                        let problem = problemList[i]
                        let seed = options.sampleSeed(problem: i, sample: j, problems: seedProblems)
                        var request = StreamingRequest(
                            path: settings.endpoint.path,
                            body: settings.body(prompt: problem.prompt, seed: seed)
                        )
                        request.collectText = true
                        let record = await client.send(request, index: k)
                        if let failure = record.failure {
                            await scheduler.abandoned(problem: k, sample: j)
                            if failure.kind == .cancelled { break }
                            failures.withLock { $0.add(failure) }
                            // A server that fails every request should not be hammered: the
                            // run stops once failures outnumber successes by far.
                            if failures.withLock({ $0.count }) > 50 + 4 * writer.samples { break }
                            continue
                        }
                        let text = record.text ?? ""
                        let verdict = await checker.check(text, problem: problem)
                        let result = SampleResult(
                            problem: problem.id,
                            sample: j,
                            seed: seed,
                            correct: verdict.correct,
                            generatedTokens: record.outputTokens,
                            extracted: verdict.extracted
                        )
                        await scheduler.finished(problem: k, sample: j, correct: verdict.correct)
                        outcomes.continuation.yield((k, result))
                        if writer.failed { break }
                    }
                }
            }
        }
        outcomes.continuation.finish()
        let interrupted = Task.isCancelled
        try await writerTask.value
        let f = failures.withLock { $0 }
        return SamplingSummary(
            problems: mine.count,
            samplesDone: writer.samples,
            samplesTarget: target,
            samplesResumed: resumed,
            samplesBeyondRequest: beyond,
            samplesFailed: f.count,
            correct: writer.correct,
            generatedTokens: writer.tokens,
            failures: f.kinds,
            failureExamples: f.examples,
            interrupted: interrupted,
            adaptive: await scheduler.status()
        )
    }
}

/// Failed requests by kind, with one example message each.
struct FailureTally: Sendable {
    var count = 0
    var kinds: [String: Int] = [:]
    var examples: [String: String] = [:]

    mutating func add(_ failure: RequestFailure) {
        count += 1
        kinds[failure.label, default: 0] += 1
        if examples[failure.label] == nil { examples[failure.label] = failure.message }
    }
}

/// Per-problem sample counts (n, c, generated tokens), indexed by the run's problem position.
public struct SampleTally: Sendable, Equatable {
    public var n: [Int]
    public var c: [Int]
    public var tokens: [Int]

    public init(problems: Int) {
        n = Array(repeating: 0, count: problems)
        c = Array(repeating: 0, count: problems)
        tokens = Array(repeating: 0, count: problems)
    }

    mutating func add(_ k: Int, _ r: SampleResult) {
        n[k] += 1
        c[k] += r.correct ? 1 : 0
        tokens[k] += r.generatedTokens
    }

    public var samples: Int { n.reduce(0, +) }
}

/// The one writer of a run's files: appends each sample to the log, keeps the counts, and
/// rewrites the counts CSV atomically at most every half second (and at the end).
final class SampleWriter: @unchecked Sendable {
    // Touched only by the writer task (record, writeCounts) except the atomics read for progress.
    private let log: SampleLog
    private let countsPath: String
    private let problems: [Problem]
    private let options: SamplingOptions
    private var tally: SampleTally
    private var lastWrite: UInt64 = 0
    private let state = Locked((samples: 0, correct: 0, tokens: 0, failed: false))

    init(log: SampleLog, countsPath: String, problems: [Problem], options: SamplingOptions, tally: SampleTally) {
        self.log = log
        self.countsPath = countsPath
        self.problems = problems
        self.options = options
        self.tally = tally
        state.withLock {
            $0.samples = tally.samples
            $0.correct = tally.c.reduce(0, +)
            $0.tokens = tally.tokens.reduce(0, +)
        }
    }

    var samples: Int { state.withLock { $0.samples } }
    var correct: Int { state.withLock { $0.correct } }
    var tokens: Int { state.withLock { $0.tokens } }
    var failed: Bool { state.withLock { $0.failed } }

    func record(_ k: Int, _ result: SampleResult) throws {
        do {
            try log.append(result)
        } catch {
            state.withLock { $0.failed = true }
            throw error
        }
        tally.add(k, result)
        state.withLock {
            $0.samples += 1
            $0.correct += result.correct ? 1 : 0
            $0.tokens += result.generatedTokens
        }
        let now = MonotonicClock.now()
        if now &- lastWrite > 500_000_000 {
            try writeCounts()
            lastWrite = now
        }
    }

    func writeCounts() throws {
        do {
            try AtomicFile.write(
                SamplingRun.countsCSV(problems: problems, tally: tally, options: options),
                to: countsPath
            )
        } catch {
            state.withLock { $0.failed = true }
            throw error
        }
    }
}

extension SamplingRun {
    /// The counts CSV (RFC 4180 through `Tabular.CSVWriter`): one row per problem with at least one
    /// sample, in dataset order.
    static func countsCSV(problems: [Problem], tally: SampleTally, options: SamplingOptions) -> String {
        func num(_ d: Double) -> String { d == d.rounded() && abs(d) < 1e18 ? String(Int64(d)) : String(d) }
        var header = ["problem", "samples", "correct", "generated_tokens", "mean_generated_tokens"]
        if options.modelLabel != nil { header.append("model") }
        if options.params != nil { header.append("params") }
        if options.trainingTokens != nil { header.append("tokens") }
        var csv = CSVWriter(header: header)
        for (k, p) in problems.enumerated() where tally.n[k] > 0 {
            var row = [
                p.id, String(tally.n[k]), String(tally.c[k]), String(tally.tokens[k]),
                String(format: "%.2f", Double(tally.tokens[k]) / Double(tally.n[k])),
            ]
            if let m = options.modelLabel { row.append(m) }
            if let n = options.params { row.append(num(n)) }
            if let d = options.trainingTokens { row.append(num(d)) }
            csv.append(row)
        }
        return csv.text
    }
}

/// Hands out (problem, sample) pairs to the workers of a sampling run.
protocol SampleScheduler: Sendable {
    /// The next sample to draw, or nil when there is none left.
    func next() async -> (Int, Int)?
    /// A sample finished and was checked.
    func finished(problem: Int, sample: Int, correct: Bool) async
    /// A sample's request failed; it is not a sample (a later run retries it).
    func abandoned(problem: Int, sample: Int) async
    /// Adaptive runs: where the interval stands.
    func status() async -> AdaptiveStatus?
}

/// `samples` per problem, problem after problem (a prompt's samples in a row let a prefix cache
/// serve them), skipping those an earlier run finished. Nothing is materialized up front, so the
/// number of samples costs no memory.
final class UniformScheduler: SampleScheduler, @unchecked Sendable {
    private let lock = Locked((problem: 0, sample: 0))
    private let problems: Int
    private let samples: Int
    private let done: [Set<Int>]

    init(problems: Int, samples: Int, done: [Set<Int>]) {
        self.problems = problems
        self.samples = samples
        self.done = done
    }

    func next() async -> (Int, Int)? {
        lock.withLock { cursor -> (Int, Int)? in
            while cursor.problem < problems {
                let pair = (cursor.problem, cursor.sample)
                cursor.sample += 1
                if cursor.sample == samples {
                    cursor.sample = 0
                    cursor.problem += 1
                }
                if !done[pair.0].contains(pair.1) { return pair }
            }
            return nil
        }
    }

    func finished(problem: Int, sample: Int, correct: Bool) async {}
    func abandoned(problem: Int, sample: Int) async {}
    func status() async -> AdaptiveStatus? { nil }
}
