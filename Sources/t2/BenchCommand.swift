import ArgumentParser
import Dispatch
import Foundation
import InferenceCost
import LoadTesting
import NIOCore
import Optimization
import Tabular

/// `t2 bench`: load-tests an OpenAI-compatible server and reports latency, throughput, goodput and
/// measured cost per token.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Load-test an OpenAI-compatible server: TTFT, ITL, TPOT, latency, throughput, goodput, $/M tokens.",
        discussion: """
            Streams requests (stream_options.include_usage) at each load level and reports, per \
            level: TTFT, ITL, TPOT and end-to-end latency (mean, p50/p90/p99), request and token \
            throughput, goodput under --slo, errors by kind, and $/M tokens from --usd-per-hour. \
            Metric definitions: docs/bench.md.

            Examples:
              t2 bench --url http://127.0.0.1:8080 --model m --concurrency 1,4,16 --requests 200
              t2 bench --url http://127.0.0.1:8080 --model m --rate poisson:20 --duration 60 \\
                       --slo ttft=500ms,itl=50ms --usd-per-hour 2.5 --out results.json

            Results in --out are rewritten (atomically) as requests finish; Ctrl-C stops the run \
            and leaves a complete, valid file of what finished.
            """
    )

    @Option(help: "Base URL of the server, e.g. http://127.0.0.1:8080 (a trailing /v1 is accepted).")
    var url: String

    @Option(help: "Model name sent in every request.")
    var model: String

    @Option(help: "API: chat (/v1/chat/completions) or completions (/v1/completions).")
    var endpoint: String = "chat"

    @Option(
        help: ArgumentHelp(
            "Closed-loop load levels: comma-separated numbers of concurrent streams.",
            valueName: "n,n,…"
        )
    )
    var concurrency: String?

    @Option(
        help: ArgumentHelp(
            "Open-loop load levels: requests per second, evenly spaced (R) or Poisson (poisson:R); comma-separated for several.",
            valueName: "R|poisson:R"
        )
    )
    var rate: String?

    @Option(help: "Requests per level (default 100 when --duration is not given).")
    var requests: Int?

    @Option(help: ArgumentHelp("Seconds per level: no new request starts after this.", valueName: "seconds"))
    var duration: Double?

    @Option(help: "Warm-up requests before each level, not measured.")
    var warmup: Int = 0

    @Option(
        name: .customLong("input-tokens"),
        help: "Approximate prompt length of synthetic prompts, in tokens (ignored with --prompts)."
    )
    var inputTokens: Int = 128

    @Option(name: .customLong("output-tokens"), help: "max_tokens of every request.")
    var outputTokens: Int = 128

    @Flag(
        name: .customLong("ignore-eos"),
        help: "Send ignore_eos=true so every output has exactly --output-tokens tokens (llama.cpp, vLLM)."
    )
    var ignoreEOS = false

    @Option(
        help: ArgumentHelp(
            "Prompts from a JSONL file, one {\"prompt\": \"…\"} per line, used round-robin.",
            valueName: "file.jsonl"
        )
    )
    var prompts: String?

    @Option(
        help: ArgumentHelp("Objectives for goodput, e.g. ttft=500ms,itl=50ms,e2e=2s.", valueName: "name=duration,…")
    )
    var slo: String?

    @Option(name: .customLong("usd-per-hour"), help: "Price of the serving hardware per hour, for measured $/M tokens.")
    var usdPerHour: Double?

    @Option(
        help: ArgumentHelp(
            "Hardware from the t2 cost catalog (see t2 cost --list hardware): print t2's prediction for each level beside the measurement.",
            valueName: "name"
        )
    )
    var hardware: String?

    @Option(
        name: .customLong("cost-model"),
        help: ArgumentHelp(
            "Catalog model to price with --hardware (default: --model, when the catalog knows it; see t2 cost --list models).",
            valueName: "name"
        )
    )
    var costModel: String?

    @Option(help: ArgumentHelp("Weight format for the prediction (see t2 cost --list quants).", valueName: "name"))
    var quant: String = "q4_k_m"

    @Option(
        help: ArgumentHelp(
            "Serving engine for the prediction (default: the catalog's for the hardware and format).",
            valueName: "name"
        )
    )
    var engine: String?

    @Option(help: "Devices serving the model, for the prediction.")
    var gpus: Int = 1

    @Option(
        help: ArgumentHelp("JSON catalog file added to the built-in one (as in t2 cost --catalog).", valueName: "file")
    )
    var catalog: String?

    @Option(help: "Sampling temperature.")
    var temperature: Double = 0

    @Option(help: "Seed: prompts, Poisson arrivals and per-request seeds.")
    var seed: UInt64 = 0

    @Option(
        help: ArgumentHelp("A request fails as a timeout when no bytes arrive for this long.", valueName: "seconds")
    )
    var timeout: Double = 60

    @Option(help: "Client network threads (1 handles thousands of requests per second).")
    var threads: Int = 1

    @OptionGroup var output: OutputOptions

    init() {}

    /// The load levels asked for, in order.
    func loadPatterns() throws -> [LoadPattern] {
        var patterns: [LoadPattern] = []
        if let concurrency {
            for part in concurrency.split(separator: ",") {
                guard let n = Int(part.trimmingCharacters(in: .whitespaces)), n >= 1, n <= 100_000 else {
                    throw ValidationError(
                        "--concurrency: '\(part)' is not a whole number in 1…100000 (example: --concurrency 1,4,16)"
                    )
                }
                patterns.append(.concurrency(n))
            }
        }
        if let rate {
            for part in rate.split(separator: ",") {
                var text = part.trimmingCharacters(in: .whitespaces).lowercased()
                var poisson = false
                if text.hasPrefix("poisson:") {
                    poisson = true
                    text.removeFirst("poisson:".count)
                } else if text.hasPrefix("constant:") {
                    text.removeFirst("constant:".count)
                }
                guard let r = Double(text), r > 0, r.isFinite else {
                    throw ValidationError(
                        "--rate: '\(part)' is not a positive rate (examples: --rate 20, --rate poisson:20)"
                    )
                }
                patterns.append(.rate(r, poisson: poisson))
            }
        }
        return patterns.isEmpty ? [.concurrency(1)] : patterns
    }

    func validate() throws {
        _ = try loadPatterns()
        guard OpenAIEndpoint(rawValue: endpoint) != nil else {
            throw ValidationError("--endpoint must be chat or completions")
        }
        if let requests, requests < 1 { throw ValidationError("--requests must be at least 1") }
        if let duration, !(duration > 0) { throw ValidationError("--duration must be positive") }
        if warmup < 0 { throw ValidationError("--warmup cannot be negative") }
        if outputTokens < 1 { throw ValidationError("--output-tokens must be at least 1") }
        if inputTokens < 1 { throw ValidationError("--input-tokens must be at least 1") }
        if let usdPerHour, !(usdPerHour > 0) { throw ValidationError("--usd-per-hour must be positive") }
        if !(timeout > 0) { throw ValidationError("--timeout must be positive") }
        if gpus < 1 { throw ValidationError("--gpus must be at least 1") }
        if let slo {
            do { _ = try ServiceLevelObjectives.parse(slo) } catch { throw ValidationError(error.localizedDescription) }
        }
        do { _ = try ServerAddress(url: url) } catch { throw ValidationError(error.localizedDescription) }
    }

    func run() async throws {
        let address = try ServerAddress(url: url)
        let patterns = try loadPatterns()
        let objectives = try slo.map(ServiceLevelObjectives.parse)
        let promptSource =
            try prompts.map(PromptSource.load(jsonl:)) ?? .synthetic(inputTokens: inputTokens, seed: seed)
        let settings = GenerationSettings(
            model: model,
            endpoint: OpenAIEndpoint(rawValue: endpoint)!,
            maxTokens: outputTokens,
            temperature: temperature,
            ignoreEOS: ignoreEOS
        )
        let stop = StopCondition(requests: requests ?? (duration == nil ? 100 : nil), durationSeconds: duration)
        let client = StreamingClient(
            address: address,
            timeouts: RequestTimeouts(stall: .nanoseconds(Int64(timeout * 1e9)), total: .seconds(3600)),
            eventLoopThreads: threads
        )
        let runner = LoadRunner(client: client, settings: settings, prompts: promptSource, seed: seed)
        let predictor = try costPredictor()

        let state = BenchRunState()
        let format = output.format
        let outPath = output.out
        let usd = usdPerHour
        let warmupCount = warmup
        let reportedInputTokens = prompts == nil ? inputTokens : nil
        let seedValue = seed
        let makeReport: @Sendable (_ complete: Bool, _ interrupted: Bool) -> BenchReport = { complete, interrupted in
            let (done, current) = state.snapshot()
            var levels = done
            if let current {
                levels.append(
                    LevelSummary(
                        LevelResult(
                            pattern: current.0,
                            records: current.1,
                            clientCPUSeconds: 0,
                            interrupted: interrupted
                        ),
                        slo: objectives,
                        usdPerHour: usd
                    )
                )
            }
            return BenchReport(
                url: address.description,
                model: settings.model,
                endpoint: settings.endpoint.rawValue,
                inputTokens: reportedInputTokens,
                outputTokens: settings.maxTokens,
                seed: seedValue,
                warmupRequests: warmupCount,
                levels: levels,
                complete: complete,
                interrupted: interrupted,
                predictions: predictor.map { p in levels.map { p.predict($0) } }
            )
        }
        let writeOut: @Sendable (BenchReport) -> Void = { report in
            guard let outPath else { return }
            do {
                try AtomicFile.write(format == .csv ? report.csv() : try JSONOutput.encode(report) + "\n", to: outPath)
            } catch {
                Console.warn("could not write \(outPath): \(error.localizedDescription)")
            }
        }

        let work = Task { () -> Bool in
            for pattern in patterns {
                if Task.isCancelled { return true }
                if warmupCount > 0 {
                    let c: Int
                    if case .concurrency(let n) = pattern { c = n } else { c = 1 }
                    await runner.warmUp(count: warmupCount, concurrency: c)
                }
                state.begin(pattern)
                let result = await runner.run(pattern, stop: stop) { record in state.add(record) }
                let summary = LevelSummary(result, slo: objectives, usdPerHour: usd)
                state.finish(summary)
                writeOut(makeReport(false, false))
                Console.note(
                    "\(summary.load): \(summary.succeeded) ok, \(summary.failed) failed, \(Format.significant(summary.requestThroughput, 3)) req/s, \(Format.significant(summary.outputTokenThroughput, 3)) output tok/s"
                )
                if result.interrupted { return true }
            }
            return false
        }
        // Incremental snapshots while levels run.
        let snapshots = Task {
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: 1_000_000_000)
                if Task.isCancelled { break }
                writeOut(makeReport(false, false))
            }
        }
        let interrupts = InterruptHandler { work.cancel() }
        let interrupted = await work.value
        snapshots.cancel()
        _ = await snapshots.value
        interrupts.stop()
        await client.shutdown()

        let report = makeReport(true, interrupted)
        writeOut(report)
        switch format {
        case .json: Console.output(try JSONOutput.encode(report))
        case .csv: Console.output(String(report.csv().dropLast()))
        case .table: Console.output(Self.renderTable(report))
        }
        if interrupted {
            Console.warn("interrupted: the results cover the requests that finished")
            throw ExitCode(130)
        }
    }

    /// The t2 cost model for `--hardware` (nil without it). Names are checked before any request
    /// is sent, so a typo fails at once with the nearest catalog names.
    func costPredictor() throws -> BenchCostPredictor? {
        guard let hardware else {
            if costModel != nil { throw ValidationError("--cost-model needs --hardware (the device to price it on)") }
            return nil
        }
        let costModelValue = try CostCommand.loadModel(catalog: catalog, calibration: nil)
        let name = costModel ?? model
        let architecture: ModelArchitecture
        do { architecture = try costModelValue.catalog.model(named: name) } catch {
            throw ValidationError(
                "\(error.localizedDescription)\n--hardware prices a catalog model: pass --cost-model NAME (t2 cost --list models) when the server's model name '\(model)' is not one"
            )
        }
        // One check deployment resolves every name and the load's values.
        let deployment = try costModelValue.deployment(
            model: architecture,
            quant: quant,
            hardware: hardware,
            engine: engine,
            gpus: gpus,
            inputTokens: inputTokens,
            outputTokens: outputTokens,
            usdPerHour: usdPerHour
        )
        _ = try costModelValue.estimate(deployment)
        return BenchCostPredictor(model: costModelValue, deployment: deployment)
    }

    static func ms(_ v: Double?) -> String { v.map { Format.significant($0, 3) } ?? "-" }

    /// The people-facing table: one row per level, then notes.
    static func renderTable(_ report: BenchReport) -> String {
        var table = TextTable([
            ("load", .left), ("ok", .right), ("err", .right), ("req/s", .right), ("out tok/s", .right),
            ("TTFT mean", .right), ("p50", .right), ("p90", .right), ("p99", .right),
            ("ITL mean", .right), ("p99", .right), ("TPOT mean", .right), ("p99", .right),
            ("E2E mean", .right), ("p99", .right), ("goodput/s", .right), ("$/M out", .right),
        ])
        for l in report.levels {
            table.append([
                l.load, "\(l.succeeded)", "\(l.failed)", Format.significant(l.requestThroughput, 3),
                Format.significant(l.outputTokenThroughput, 3),
                ms(l.ttft?.meanMs), ms(l.ttft?.p50Ms), ms(l.ttft?.p90Ms), ms(l.ttft?.p99Ms),
                ms(l.itl?.meanMs), ms(l.itl?.p99Ms), ms(l.tpot?.meanMs), ms(l.tpot?.p99Ms),
                ms(l.e2e?.meanMs), ms(l.e2e?.p99Ms), l.goodput.map { Format.significant($0, 3) } ?? "-",
                l.usdPerMillionOutputTokens.map { Format.significant($0, 3) } ?? "-",
            ])
        }
        var lines = [
            "\(report.url)  model \(report.model)  \(report.endpoint)  max_tokens \(report.outputTokens)\(report.interrupted ? "  (interrupted)" : "")",
            "", table.render(), "", "latencies in ms; definitions in docs/bench.md",
        ]
        for l in report.levels {
            var notes: [String] = ["tokens: \(l.tokenCountSource); in \(l.inputTokens), out \(l.outputTokens)"]
            if !l.errors.isEmpty {
                notes.append(
                    "errors: "
                        + l.errors.sorted { $0.key < $1.key }.map {
                            "\($0.key) \($0.value) (\(l.errorExamples[$0.key] ?? ""))"
                        }.joined(separator: "; ")
                )
            }
            if let s = l.serverTimings {
                notes.append(
                    "server timings (\(s.requests) requests): decode \(Format.significant(s.meanDecodeMsPerToken, 3)) ms/token vs client TPOT \(Format.significant(s.clientMeanTPOTMs, 3)) ms"
                )
            }
            if let u = l.usdPerMillionTotalTokens { notes.append("$/M total tokens \(Format.significant(u, 3))") }
            if let q = l.meanClientQueueMs { notes.append("client queue \(Format.significant(q, 3)) ms mean") }
            if let rate = l.rate, l.requests > 0, Double(l.requests) / max(l.durationSeconds, 1e-9) < 0.95 * rate {
                notes.append(
                    "achieved \(Format.significant(Double(l.requests) / l.durationSeconds, 3)) of \(Format.significant(rate, 3)) req/s: the server (or the client) could not keep up"
                )
            }
            if let cpu = l.clientCPUMicrosecondsPerRequest {
                notes.append("client CPU \(Format.significant(cpu, 3)) µs/request")
            }
            lines.append("\(l.load): " + notes.joined(separator: " · "))
        }
        if let predictions = report.predictions, let first = predictions.first {
            lines.append("")
            lines.append("t2 cost prediction for \(first.deployment) beside the measurement:")
            var t = TextTable([
                ("load", .left), ("TTFT ms", .right), ("measured", .right), ("ITL ms", .right), ("measured", .right),
                ("out tok/s", .right), ("measured", .right), ("$/M out", .right), ("measured", .right),
            ])
            for (p, l) in zip(predictions, report.levels) {
                let load = p.load == l.load ? l.load : "\(l.load) (as c=\(p.concurrency))"
                if !p.fits {
                    t.append([load, "does not fit", "", "", "", "", "", "", ""])
                    continue
                }
                t.append([
                    load, ms(p.ttftMs), ms(l.ttft?.meanMs), ms(p.itlMs), ms(l.itl?.meanMs),
                    p.outputTokenThroughput.map { Format.significant($0, 3) } ?? "-",
                    Format.significant(l.outputTokenThroughput, 3),
                    p.usdPerMillionOutputTokens.map { Format.significant($0, 3) } ?? "-",
                    l.usdPerMillionOutputTokens.map { Format.significant($0, 3) } ?? "-",
                ])
            }
            lines.append(t.render())
        }
        return lines.joined(separator: "\n")
    }
}

/// Levels finished so far and the records of the level running, shared with the snapshot writer.
final class BenchRunState: Sendable {
    private struct State {
        var done: [LevelSummary] = []
        var pattern: LoadPattern?
        var records: [RequestRecord] = []
    }
    private let state = Locked(State())

    func begin(_ pattern: LoadPattern) {
        state.withLock {
            $0.pattern = pattern
            $0.records = []
        }
    }
    func add(_ record: RequestRecord) { state.withLock { $0.records.append(record) } }
    func finish(_ summary: LevelSummary) {
        state.withLock {
            $0.done.append(summary)
            $0.pattern = nil
            $0.records = []
        }
    }
    func snapshot() -> ([LevelSummary], (LoadPattern, [RequestRecord])?) {
        state.withLock { s in (s.done, s.pattern.map { ($0, s.records) }) }
    }
}

/// Prices each measured level with the t2 cost model (InferenceCost) for `t2 bench --hardware`.
struct BenchCostPredictor: Sendable {
    let model: CostModel
    let deployment: Deployment

    /// The prediction for one level: closed-loop levels at their concurrency, open-loop levels at
    /// the mean concurrency they reached (Little's law: request rate × mean end-to-end latency),
    /// with the level's measured mean input and output tokens per request when the server reported them.
    func predict(_ level: LevelSummary) -> CostPrediction {
        var d = deployment
        let concurrency =
            level.concurrency
            ?? max(1, Int((level.requestThroughput * (level.e2e?.meanMs ?? 0) / 1000).rounded()))
        d.concurrency = .fixed(concurrency)
        if level.succeeded > 0 {
            if level.inputTokens > 0 {
                d.inputTokens = max(1, Int((Double(level.inputTokens) / Double(level.succeeded)).rounded()))
            }
            if level.outputTokens > 0 {
                d.outputTokens = max(1, Int((Double(level.outputTokens) / Double(level.succeeded)).rounded()))
            }
        }
        let name =
            "\(d.model.name) \(d.quant.name) on \(d.hardware.name) (\(d.engine.name)\(d.gpus > 1 ? ", \(d.gpus) devices" : ""))"
        guard let e = try? model.estimate(d) else {
            return CostPrediction(load: level.load, deployment: name, fits: false, concurrency: concurrency)
        }
        return CostPrediction(
            load: level.load,
            deployment: name,
            fits: e.fits,
            concurrency: concurrency,
            ttftMs: e.ttftMs,
            itlMs: e.itlMs,
            outputTokenThroughput: e.outputTokensPerSecond,
            usdPerMillionOutputTokens: e.usdPerMillionOutputTokens,
            usdPerMillionInputTokens: e.usdPerMillionInputTokens
        )
    }
}
