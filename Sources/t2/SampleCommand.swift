import ArgumentParser
import Foundation
import LoadTesting
import NIOCore

/// `t2 sample`: repeated-sampling evaluation against a server, writing per-problem counts that
/// `t2 passk` and `t2 fit` read.
struct SampleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Draw K samples per problem from a server, check the answers, write problem,samples,correct counts.",
        discussion: """
            Sends K separate streamed requests per problem (llama.cpp rejects n > 1), each with its \
            own seed, checks each answer (final number, exact match) and writes counts to --out as \
            samples finish: problem,samples,correct,generated_tokens,mean_generated_tokens (plus \
            model,params,tokens when --label/--params/--train-tokens are given). Every finished \
            sample is also logged to OUT.samples.jsonl; running the same command again resumes \
            and sends only the samples not yet done.

            Datasets: arithmetic[:N] (seeded multi-step integer problems, N = 50 by default) or a \
            JSONL file with one {"id", "prompt", "answer"} per line.

            Example:
              t2 sample --url http://127.0.0.1:8080 --model m --dataset arithmetic:50 --samples 8 --out counts.csv
              t2 passk counts.csv
            """
    )

    @Option(help: "Base URL of the server, e.g. http://127.0.0.1:8080.")
    var url: String

    @Option(help: "Model name sent in every request.")
    var model: String

    @Option(
        help: ArgumentHelp(
            "arithmetic[:N] or a JSONL file of {\"id\",\"prompt\",\"answer\"}.",
            valueName: "arithmetic[:N]|file.jsonl"
        )
    )
    var dataset: String

    @Option(help: "Samples per problem (K).")
    var samples: Int

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

    @Option(help: "Counts CSV to write (and resume from).")
    var out: String

    @Option(help: "Value of the `model` column in the counts (grouping for t2 passk / t2 fit).")
    var label: String?

    @Option(help: "Value of the `params` column: the model's parameter count N.")
    var params: Double?

    @Option(name: .customLong("train-tokens"), help: "Value of the `tokens` column: the model's training tokens D.")
    var trainTokens: Double?

    @Option(help: ArgumentHelp("A request fails when no bytes arrive for this long.", valueName: "seconds"))
    var timeout: Double = 120

    init() {}

    /// The problems named by `--dataset`.
    func loadProblems() throws -> [Problem] {
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
        return try ArithmeticDataset.load(jsonl: dataset)
    }

    func validate() throws {
        if samples < 1 { throw ValidationError("--samples must be at least 1") }
        if concurrency < 1 { throw ValidationError("--concurrency must be at least 1") }
        if maxTokens < 1 { throw ValidationError("--max-tokens must be at least 1") }
        if temperature < 0 { throw ValidationError("--temperature cannot be negative") }
        guard OpenAIEndpoint(rawValue: endpoint) != nil else {
            throw ValidationError("--endpoint must be chat or completions")
        }
        do { _ = try ServerAddress(url: url) } catch { throw ValidationError(error.localizedDescription) }
        if dataset.hasPrefix("arithmetic:") { _ = try loadProblems() }
    }

    func run() async throws {
        let problems = try loadProblems()
        let settings = GenerationSettings(
            model: model,
            endpoint: OpenAIEndpoint(rawValue: endpoint)!,
            maxTokens: maxTokens,
            temperature: temperature
        )
        let options = SamplingOptions(
            samplesPerProblem: samples,
            concurrency: concurrency,
            settings: settings,
            seed: seed,
            modelLabel: label,
            params: params,
            trainingTokens: trainTokens
        )
        let client = StreamingClient(
            address: try ServerAddress(url: url),
            timeouts: RequestTimeouts(stall: .nanoseconds(Int64(timeout * 1e9)), total: .seconds(3600))
        )
        let run = SamplingRun(client: client, problems: problems, options: options, outputPath: out)
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
        let total = summary.problems * samples
        var lines = [
            "\(summary.problems) problems × \(samples) samples: \(summary.samplesDone)/\(total) done (\(summary.samplesResumed) from an earlier run), \(summary.correct) correct",
            "pass@1 ≈ \(summary.samplesDone > 0 ? Format.percent(Double(summary.correct) / Double(summary.samplesDone)) : "-"); mean generated tokens per sample \(summary.samplesDone > 0 ? Format.significant(Double(summary.generatedTokens) / Double(summary.samplesDone), 3) : "-")",
            "counts: \(out)  (per-sample log: \(run.logPath))",
        ]
        if summary.samplesFailed > 0 {
            lines.append(
                "failed requests (not counted; re-run to retry): "
                    + summary.failures.sorted { $0.key < $1.key }.map {
                        "\($0.key) \($0.value) (\(summary.failureExamples[$0.key] ?? ""))"
                    }.joined(separator: "; ")
            )
        }
        Console.output(lines.joined(separator: "\n"))
        if summary.interrupted {
            Console.warn("interrupted: \(out) holds the samples that finished; run the same command again to resume")
            throw ExitCode(130)
        }
        if summary.samplesDone < total {
            throw ExitCode.failure
        }
    }
}
