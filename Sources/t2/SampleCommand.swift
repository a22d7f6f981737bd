import ArgumentParser
import Foundation
import LoadTesting
import NIOCore
import Tabular

/// `t2 sample`: repeated-sampling evaluation against a server, writing per-problem counts that
/// `t2 passk` and `t2 fit` read; `t2 sample merge` combines shards' counts.
struct SampleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Draw K samples per problem from a server, check the answers, write problem,samples,correct counts.",
        discussion: """
            Sends K separate streamed requests per problem (llama.cpp rejects n > 1), each with its \
            own seed, checks each answer (--checker) and writes counts to --out as samples finish: \
            problem,samples,correct,generated_tokens,mean_generated_tokens (plus model,params,tokens \
            when --label/--params/--train-tokens are given). Every finished sample is also logged \
            to OUT.samples.jsonl, whose first line records the run's settings; running the same \
            command again resumes and sends only the samples not yet done (a different --model, \
            --temperature, --max-tokens, --seed, --dataset or --checker is refused). A second \
            process on the same --out is refused while the first runs.

            Datasets: arithmetic[:N] (seeded multi-step integer problems, N = 50 by default) or a \
            JSONL file: {"id", "prompt", "answer"} per line (optionally "choices": [...]), \
            HumanEval ({"task_id", "prompt", "test", "entry_point"}) or MBPP ({"task_id", "text", \
            "test_list"}).

            Adaptive allocation (--adaptive --budget B --target-k K --precision W): every problem \
            gets --min-samples first, then samples go where they most narrow the interval of the \
            dataset's pass@K, until it is narrower than W or B samples are spent (docs/bench.md).

            Shards: --shard i/n (or --shards n with JOB_COMPLETION_INDEX, as a Kubernetes Indexed \
            Job sets it) samples the problems whose index is i mod n; t2 sample merge puts the \
            shards' counts together.

            Examples:
              t2 sample --url http://127.0.0.1:8080 --model m --dataset arithmetic:50 --samples 8 --out counts.csv
              t2 sample --url … --model m --dataset humaneval.jsonl --checker code --samples 10 --out he.csv
              t2 sample --url … --model m --dataset arithmetic:200 --adaptive --budget 4000 \\
                        --target-k 100 --precision 0.05 --out counts.csv
              t2 passk counts.csv
            """,
        subcommands: [SampleMergeCommand.self, SampleSimulateCommand.self]
    )

    @Option(help: "Base URL of the server, e.g. http://127.0.0.1:8080 (required).")
    var url: String?

    @Option(help: "Model name sent in every request (required).")
    var model: String?

    @Option(
        help: ArgumentHelp(
            "arithmetic[:N] or a JSONL file of problems (required).",
            valueName: "arithmetic[:N]|file.jsonl"
        )
    )
    var dataset: String?

    @Option(help: "Samples per problem (K; required unless --adaptive).")
    var samples: Int?

    @Option(
        help: ArgumentHelp(
            "How answers are judged: \(CheckerChoice.names).",
            valueName: "name"
        )
    )
    var checker: String = "final-number"

    @Option(
        name: .customLong("code-timeout"),
        help: ArgumentHelp("--checker code: seconds each candidate may run.", valueName: "seconds")
    )
    var codeTimeout: Double = 10

    @Option(name: .customLong("code-memory-mb"), help: "--checker code: memory limit per candidate, MB.")
    var codeMemoryMB: Int = 1024

    @Option(help: "Requests in flight at once.")
    var concurrency: Int = 1

    @Option(help: "Sampling temperature (> 0 so that samples differ).")
    var temperature: Double = 0.8

    @Option(name: .customLong("max-tokens"), help: "max_tokens of every request.")
    var maxTokens: Int = 96

    @Option(help: "Seed: the arithmetic problems and the per-sample seeds.")
    var seed: UInt64 = 0

    @Option(help: "API: chat or completions.")
    var endpoint: String = "chat"

    @Option(help: "Counts CSV to write (and resume from; required). With merge: the merged counts.")
    var out: String?

    @Option(help: "Value of the `model` column in the counts (grouping for t2 passk / t2 fit).")
    var label: String?

    @Option(help: "Value of the `params` column: the model's parameter count N.")
    var params: Double?

    @Option(name: .customLong("train-tokens"), help: "Value of the `tokens` column: the model's training tokens D.")
    var trainTokens: Double?

    @Option(help: ArgumentHelp("A request fails when no bytes arrive for this long.", valueName: "seconds"))
    var timeout: Double = 120

    @Option(help: ArgumentHelp("Sample only shard i of n of the problems (problem index mod n).", valueName: "i/n"))
    var shard: String?

    @Option(help: ArgumentHelp("Shards in all; this one's index comes from JOB_COMPLETION_INDEX.", valueName: "n"))
    var shards: Int?

    @Flag(help: "Adaptive allocation instead of K samples per problem (needs --budget, --target-k, --precision).")
    var adaptive = false

    @Option(help: "--adaptive: total samples to spend at most (earlier runs included).")
    var budget: Int?

    @Option(name: .customLong("target-k"), help: "--adaptive: the k of the pass@k whose interval should be narrow.")
    var targetK: Int?

    @Option(help: "--adaptive: stop when the pass@k interval is at most this wide (e.g. 0.05 = 5 points).")
    var precision: Double?

    @Option(name: .customLong("min-samples"), help: "--adaptive: samples every problem gets first.")
    var minSamples: Int = 4

    init() {}

    /// The problems named by `--dataset`.
    func loadProblems() throws -> [Problem] {
        guard let dataset else { throw ValidationError("--dataset is required (arithmetic[:N] or a JSONL file)") }
        if dataset == "arithmetic" || dataset.hasPrefix("arithmetic:") {
            var count = 50
            if dataset.hasPrefix("arithmetic:") {
                guard let n = Int(dataset.dropFirst("arithmetic:".count)), n >= 1, n <= 1_000_000 else {
                    throw ValidationError(
                        "--dataset arithmetic:N needs a whole number N in 1…1000000 (example: arithmetic:50)"
                    )
                }
                count = n
            }
            return ArithmeticDataset.generate(count: count, seed: seed)
        }
        return try ProblemSet.load(jsonl: dataset)
    }

    /// This process's shard, from --shard or --shards and JOB_COMPLETION_INDEX.
    func shardValue(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Shard? {
        do {
            if let shard {
                if shards != nil { throw ValidationError("give --shard i/n or --shards n, not both") }
                return try Shard.parse(shard)
            }
            if let shards { return try Shard.fromEnvironment(count: shards, environment: environment) }
        } catch let error as LoadTestingError {
            throw ValidationError(error.localizedDescription)
        }
        return nil
    }

    func allocation(problems: Int) throws -> SampleAllocation {
        if adaptive {
            guard let budget, let targetK, let precision else {
                throw ValidationError(
                    "--adaptive needs --budget (total samples), --target-k and --precision (example: --adaptive --budget 4000 --target-k 100 --precision 0.05)"
                )
            }
            if samples != nil { throw ValidationError("--samples and --adaptive exclude each other; use --budget") }
            guard budget >= 1, budget <= Limits.maxTotalSamples else {
                throw ValidationError("--budget must be a whole number in 1…\(Limits.maxTotalSamples)")
            }
            guard targetK >= 1, targetK <= 1_000_000_000 else {
                throw ValidationError("--target-k must be a whole number in 1…1000000000")
            }
            guard precision.isFinite, precision > 0, precision < 1 else {
                throw ValidationError("--precision must be an interval width in (0, 1), e.g. 0.05")
            }
            guard minSamples >= 1, minSamples <= Limits.maxSamplesPerProblem else {
                throw ValidationError("--min-samples must be a whole number in 1…\(Limits.maxSamplesPerProblem)")
            }
            let perProblem = min(Limits.maxSamplesPerProblem, Limits.maxTotalSamples / max(1, problems))
            return .adaptive(
                AdaptiveSettings(
                    budget: budget,
                    targetK: targetK,
                    precision: precision,
                    minimum: minSamples,
                    maxPerProblem: min(budget, perProblem)
                )
            )
        }
        guard let samples else { throw ValidationError("--samples is required (or --adaptive with --budget)") }
        guard samples >= 1, samples <= Limits.maxSamplesPerProblem else {
            throw ValidationError("--samples must be a whole number in 1…\(Limits.maxSamplesPerProblem)")
        }
        guard problems <= Limits.maxTotalSamples / samples else {
            throw ValidationError(
                "\(problems) problems × \(samples) samples is more than \(Limits.maxTotalSamples) samples, the most one run draws (per-sample seeds are 31-bit); split the dataset or use --shard"
            )
        }
        if budget != nil || targetK != nil || precision != nil {
            throw ValidationError("--budget, --target-k and --precision go with --adaptive")
        }
        return .uniform(samples: samples)
    }

    func makeChecker() throws -> any AnswerChecker {
        guard codeTimeout.isFinite, codeTimeout > 0, codeTimeout <= 3600 else {
            throw ValidationError("--code-timeout must be a number of seconds in (0, 3600]")
        }
        guard codeMemoryMB >= 16, codeMemoryMB <= 1 << 20 else {
            throw ValidationError("--code-memory-mb must be a whole number in 16…1048576")
        }
        do {
            return try CheckerChoice.parse(
                checker,
                codeTimeoutSeconds: codeTimeout,
                codeMemoryBytes: codeMemoryMB << 20
            )
        } catch let error as LoadTestingError {
            throw ValidationError(error.localizedDescription)
        }
    }

    func validate() throws {
        // `t2 sample merge …` parses this command first with none of its options.
        if url == nil && model == nil && dataset == nil && samples == nil { return }
        if concurrency < 1 || concurrency > Limits.maxConcurrency {
            throw ValidationError("--concurrency must be a whole number in 1…\(Limits.maxConcurrency)")
        }
        if maxTokens < 1 || maxTokens > Limits.maxOutputTokens {
            throw ValidationError("--max-tokens must be a whole number in 1…\(Limits.maxOutputTokens)")
        }
        if let message = Limits.checkTemperature(temperature) { throw ValidationError(message) }
        if let message = Limits.checkSeconds(timeout, flag: "--timeout", maximum: Limits.maxTimeoutSeconds) {
            throw ValidationError(message)
        }
        guard OpenAIEndpoint(rawValue: endpoint) != nil else {
            throw ValidationError("--endpoint must be chat or completions")
        }
        if let url {
            do { _ = try ServerAddress(url: url) } catch { throw ValidationError(error.localizedDescription) }
        }
        if let dataset, dataset.hasPrefix("arithmetic") {
            _ = try allocation(problems: try loadProblems().count)
        } else if samples != nil || adaptive {
            _ = try allocation(problems: 1)
        }
        if let params, !(params.isFinite && params > 0) { throw ValidationError("--params must be a positive number") }
        if let trainTokens, !(trainTokens.isFinite && trainTokens > 0) {
            throw ValidationError("--train-tokens must be a positive number")
        }
        _ = try makeChecker()
        _ = try shardValue()
    }

    func run() async throws {
        guard let url else { throw ValidationError("--url is required (e.g. --url http://127.0.0.1:8080)") }
        guard let model else { throw ValidationError("--model is required") }
        guard let out else { throw ValidationError("--out is required: the counts CSV to write") }
        let problems = try loadProblems()
        let settings = GenerationSettings(
            model: model,
            endpoint: OpenAIEndpoint(rawValue: endpoint)!,
            maxTokens: maxTokens,
            temperature: temperature
        )
        let options = SamplingOptions(
            allocation: try allocation(problems: problems.count),
            concurrency: concurrency,
            settings: settings,
            seed: seed,
            shard: try shardValue(),
            modelLabel: label,
            params: params,
            trainingTokens: trainTokens
        )
        let client = StreamingClient(
            address: try ServerAddress(url: url),
            timeouts: RequestTimeouts(stall: .nanoseconds(Int64(timeout * 1e9)), total: .seconds(86_400 * 12))
        )
        let run = SamplingRun(
            client: client,
            problems: problems,
            options: options,
            checker: try makeChecker(),
            outputPath: out
        )
        let showProgress = Console.stderrIsTerminal
        let work = Task { () throws -> SamplingSummary in
            try await run.run { done, total in
                if showProgress { FileHandle.standardError.write(Data("\rsamples \(done)/\(total)".utf8)) }
            }
        }
        let interrupts = InterruptHandler { work.cancel() }
        let result = await work.result
        interrupts.stop()
        await client.shutdown()
        if showProgress { FileHandle.standardError.write(Data("\n".utf8)) }
        let summary = try result.get()
        Console.output(Self.render(summary, out: out, logPath: run.logPath))
        if summary.interrupted {
            Console.warn("interrupted: \(out) holds the samples that finished; run the same command again to resume")
            throw ExitCode(130)
        }
        if summary.adaptive == nil && summary.samplesDone < summary.samplesTarget {
            throw ExitCode.failure
        }
        if summary.adaptive != nil && summary.samplesFailed > 0 && summary.samplesDone == 0 {
            throw ExitCode.failure
        }
    }

    static func render(_ summary: SamplingSummary, out: String, logPath: String) -> String {
        var lines = [
            "\(summary.problems) problems: \(summary.samplesDone)/\(summary.samplesTarget) samples (\(summary.samplesResumed) from an earlier run), \(summary.correct) correct",
            "pass@1 ≈ \(summary.samplesDone > 0 ? Format.percent(Double(summary.correct) / Double(summary.samplesDone)) : "-"); mean generated tokens per sample \(summary.samplesDone > 0 ? Format.significant(Double(summary.generatedTokens) / Double(summary.samplesDone), 3) : "-")",
        ]
        if let a = summary.adaptive {
            lines.append(
                "adaptive: pass@\(a.targetK) ≈ \(Format.percent(a.estimate)) [\(Format.percent(a.low)), \(Format.percent(a.high))] (width \(Format.percent(a.width))) after \(a.rounds) rounds; stopped: \(a.stopReason)"
            )
        }
        if summary.samplesBeyondRequest > 0 {
            lines.append(
                "the log holds \(summary.samplesBeyondRequest) samples beyond --samples; they stay in the log and are left out of the counts"
            )
        }
        lines.append("counts: \(out)  (per-sample log: \(logPath))")
        if summary.samplesFailed > 0 {
            lines.append(
                "failed requests (not counted; re-run to retry): "
                    + summary.failures.sorted { $0.key < $1.key }.map {
                        "\($0.key) \($0.value) (\(summary.failureExamples[$0.key] ?? ""))"
                    }.joined(separator: "; ")
            )
        }
        return lines.joined(separator: "\n")
    }
}

/// `t2 sample merge A.csv B.csv … --out M.csv`: the counts of shards (or of separate runs on
/// different problems or models) in one file.
struct SampleMergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Combine counts CSVs written by t2 sample shards into one counts file.",
        discussion: """
            Rows are concatenated in the order of the files. The files must have the same columns; \
            a problem (of one model, when there is a model column) may appear in only one of them — \
            a duplicate is refused, as it would count samples twice. Writes --out (given before \
            'merge' or after the files) atomically, or prints to standard output.

            Example:
              t2 sample merge shard-0.csv shard-1.csv shard-2.csv --out counts.csv
            """
    )

    @ParentCommand var parent: SampleCommand

    @Argument(help: ArgumentHelp("Counts CSVs written by t2 sample.", valueName: "counts.csv"))
    var files: [String]

    func validate() throws {
        if files.isEmpty { throw ValidationError("give the counts files to merge") }
    }

    func run() throws {
        let merged = try CountsMerge.merge(files)
        if let out = parent.out {
            try AtomicFile.write(merged.text, to: out)
            Console.note("merged \(files.count) files: \(merged.rows) problems, \(merged.samples) samples → \(out)")
        } else {
            print(merged.text, terminator: "")
        }
    }
}

/// `t2 sample simulate`: adaptive against uniform allocation on recorded counts.
struct SampleSimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "How many samples adaptive allocation saves against uniform, on counts you have.",
        discussion: """
            Treats each problem's recorded samples as a simulated server (drawn without \
            replacement) and runs, per group (the model column), uniform allocation (K samples per \
            problem, K on a grid) and adaptive allocation (t2 sample --adaptive) until the 90% \
            interval of the dataset's pass@K is at most --precision wide. Prints the samples each \
            needed, their ratio, and whether the interval held the full data's pass@k. \
            --target-k (default 100), --precision (default 0.05) and --min-samples (default 4) are \
            as for t2 sample --adaptive.

            Example (the Pythia GSM8K counts of the test fixtures):
              t2 sample simulate Tests/Fixtures/pythia_gsm8k_counts.csv --target-k 100 --precision 0.1 --seeds 2
            """
    )

    @Argument(help: ArgumentHelp("Counts CSV (problem,samples,correct[,model]).", valueName: "counts.csv"))
    var counts: String

    /// --target-k, --precision and --min-samples are t2 sample's own options (parsed there).
    @ParentCommand var parent: SampleCommand

    @Option(help: "Simulated runs per group (different seeds).")
    var seeds: Int = 3

    var targetK: Int { parent.targetK ?? 100 }
    var precision: Double { parent.precision ?? 0.05 }
    var minSamples: Int { parent.minSamples }

    @Option(help: "Only these groups (comma-separated model names).")
    var groups: String?

    @Option(help: ArgumentHelp("Write the trajectories (samples, width per round or K) as CSV.", valueName: "file.csv"))
    var trajectories: String?

    func validate() throws {
        if targetK < 1 || targetK > 1_000_000 { throw ValidationError("--target-k must be in 1…1000000") }
        if !(precision.isFinite && precision > 0 && precision < 1) {
            throw ValidationError("--precision must be a width in (0, 1)")
        }
        if seeds < 1 || seeds > 1000 { throw ValidationError("--seeds must be in 1…1000") }
        if minSamples < 1 || minSamples > 1000 { throw ValidationError("--min-samples must be in 1…1000") }
    }

    func run() throws {
        let table = try CSVTable(contentsOf: counts)
        let purpose = "A counts file has columns problem,samples,correct (and model for groups)"
        let nColumn = try table.requireColumn("samples", purpose: purpose)
        let cColumn = try table.requireColumn("correct", purpose: purpose)
        _ = try table.requireColumn("problem", purpose: purpose)
        let model = table.columnIndex("model")
        var order: [String] = []
        var byGroup: [String: [(n: Int, c: Int)]] = [:]
        for r in 0..<table.count {
            let g = model.map { table.text(row: r, column: $0) } ?? "all"
            let n = try table.integer(row: r, column: nColumn, minimum: 1)
            let c = try table.integer(row: r, column: cColumn)
            guard c <= n else {
                throw TabularError(
                    file: counts,
                    line: table.line(ofRow: r),
                    column: "correct",
                    problem: "\(c) > samples \(n)"
                )
            }
            if byGroup[g] == nil { order.append(g) }
            byGroup[g, default: []].append((n, c))
        }
        if let groups {
            let wanted = groups.split(separator: ",").map(String.init)
            for g in wanted where byGroup[g] == nil {
                throw ValidationError("--groups: '\(g)' is not in \(counts)")
            }
            order = order.filter { wanted.contains($0) }
        }
        var out = TextTable([
            ("group", .left), ("pass@k", .right), ("uniform samples", .right), ("adaptive samples", .right),
            ("saving", .right), ("covered u/a", .right),
        ])
        var csv = CSVWriter(header: ["group", "seed", "strategy", "samples", "estimate", "low", "high", "truth"])
        var ratios: [Double] = []
        var coverage = (uniform: 0, adaptive: 0, runs: 0)
        for g in order {
            let result = AdaptiveSimulation.compare(
                counts: byGroup[g]!,
                targetK: targetK,
                precision: precision,
                minimum: minSamples,
                seeds: seeds
            )
            let truth = result.truth
            for (seed, (u, a)) in zip(result.uniform, result.adaptive).enumerated() {
                for (strategy, points) in [("uniform", u), ("adaptive", a)] {
                    for p in points {
                        csv.append([
                            g, "\(seed)", strategy, "\(p.samples)", "\(p.estimate)", "\(p.low)", "\(p.high)",
                            "\(truth)",
                        ])
                    }
                }
            }
            let uniformNeeded = result.uniformNeeded.compactMap { $0 }
            let adaptiveNeeded = result.adaptiveNeeded.compactMap { $0 }
            let covered = result.covered
            let mu = uniformNeeded.isEmpty ? nil : Double(uniformNeeded.reduce(0, +)) / Double(uniformNeeded.count)
            let ma = adaptiveNeeded.isEmpty ? nil : Double(adaptiveNeeded.reduce(0, +)) / Double(adaptiveNeeded.count)
            var saving = "-"
            if let mu, let ma, uniformNeeded.count == seeds, adaptiveNeeded.count == seeds {
                ratios.append(mu / ma)
                saving = "\(Format.significant(mu / ma, 3))×"
                coverage.uniform += covered.uniform
                coverage.adaptive += covered.adaptive
                coverage.runs += seeds
            }
            out.append([
                g, Format.percent(truth), mu.map { Format.count($0) } ?? "not reached",
                ma.map { Format.count($0) } ?? "not reached", saving,
                "\(covered.uniform)/\(seeds) \(covered.adaptive)/\(seeds)",
            ])
        }
        if let trajectories { try AtomicFile.write(csv.text, to: trajectories) }
        var lines = [
            "pass@\(targetK) to a 90% interval \(Format.percent(precision)) wide: samples uniform vs adaptive allocation (\(seeds) simulated runs per group, recorded samples drawn without replacement)",
            "",
            out.render(),
        ]
        if !ratios.isEmpty {
            let sorted = ratios.sorted()
            let geo = Foundation.exp(ratios.map { Foundation.log($0) }.reduce(0, +) / Double(ratios.count))
            lines.append("")
            lines.append(
                "saving over \(ratios.count) groups where both reached the width: geometric mean \(Format.significant(geo, 3))×, median \(Format.significant(sorted[sorted.count / 2], 3))×, range \(Format.significant(sorted.first!, 3))–\(Format.significant(sorted.last!, 3))×; interval held the truth in \(coverage.uniform)/\(coverage.runs) uniform and \(coverage.adaptive)/\(coverage.runs) adaptive runs"
            )
        }
        Console.output(lines.joined(separator: "\n"))
    }
}
