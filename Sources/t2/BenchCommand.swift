import ArgumentParser
import Dispatch
import Foundation
import InferenceCost
import LoadTesting
import NIOCore
import Optimization
import Tabular

/// `t2 bench`: load-tests an OpenAI-compatible server and reports latency, throughput, goodput and
/// measured cost per token; `t2 bench merge` combines shards' reports.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Load-test an OpenAI-compatible server: TTFT, ITL, TPOT, latency, throughput, goodput, $/M tokens.",
        discussion: """
            Streams requests (stream_options.include_usage) at each load level and reports, per \
            level: TTFT, ITL, TPOT and end-to-end latency (mean, p50/p90/p95/p99/p99.9), request and \
            token throughput, goodput and SLO attainment under --slo, errors by kind, and $/M \
            tokens from --usd-per-hour. Metric definitions: docs/bench.md.

            Load: --concurrency n,n,… (closed loop) or --rate R,… (open loop; constant R, \
            poisson:R, gamma:R with --burstiness B, a ramp A..B over --ramp-seconds or --duration; \
            --max-concurrency caps requests in flight). Capacity: --sweep climbs from the first \
            level until throughput stops rising and reports the knee; --max-goodput --slo … finds \
            the highest rate whose SLO attainment reaches --slo-percentile.

            Workloads: synthetic prompts (--input-tokens and --output-tokens take a length or a \
            distribution: 128, uniform:64,256, normal:128,32, lognormal:128,0.5,16,1024), \
            --shared-prefix P (prefix caching), --prompts FILE.jsonl, --sharegpt FILE.json \
            (--output-tokens dataset: the recorded answers' lengths), --turns T (multi-turn \
            conversations), --samples-per-query K (repeated sampling: --sample-mode n or separate).

            Scale out: --url a,b,c balances over endpoints (--balance); --shard i/n or --shards n \
            (index from JOB_COMPLETION_INDEX, as a Kubernetes Indexed Job sets it) runs one part \
            of every level; t2 bench merge puts the parts together exactly.

            Examples:
              t2 bench --url http://127.0.0.1:8080 --model m --concurrency 1,4,16 --requests 200
              t2 bench --url http://127.0.0.1:8080 --model m --rate poisson:20 --duration 60 \\
                       --slo ttft=500ms,itl=50ms --usd-per-hour 2.5 --out results.json
              t2 bench --url … --model m --max-goodput --slo ttft=1s,itl=100ms --duration 30 --usd-per-hour 2.5
              t2 bench merge shard-*.json --out merged.json

            Results in --out are rewritten (atomically) as requests finish; Ctrl-C stops the run \
            and leaves a complete, valid file of what finished. Exit status 1 when no request \
            succeeded or --out cannot be written.
            """,
        subcommands: [BenchMergeCommand.self]
    )

    @Option(
        help: ArgumentHelp(
            "Base URL of the server (required), e.g. http://127.0.0.1:8080 (a trailing /v1 is accepted); several comma-separated endpoints of one model are balanced.",
            valueName: "url[,url…]"
        )
    )
    var url: String?

    @Option(help: "Model name sent in every request (required).")
    var model: String?

    @Option(help: "API: chat (/v1/chat/completions) or completions (/v1/completions).")
    var endpoint: String = "chat"

    @Option(help: ArgumentHelp("With several --url: round-robin or least-outstanding.", valueName: "policy"))
    var balance: String = "round-robin"

    @Option(
        help: ArgumentHelp(
            "Closed-loop load levels: comma-separated numbers of concurrent streams.",
            valueName: "n,n,…"
        )
    )
    var concurrency: String?

    @Option(
        help: ArgumentHelp(
            "Open-loop load levels, requests/s: R (evenly spaced), poisson:R, gamma:R, or a ramp A..B; comma-separated for several.",
            valueName: "R|poisson:R|gamma:R|A..B"
        )
    )
    var rate: String?

    @Option(help: "gamma:R arrivals: the gamma shape (vLLM's --burstiness; 1 = Poisson, < 1 burstier).")
    var burstiness: Double?

    @Option(
        name: .customLong("ramp-seconds"),
        help: ArgumentHelp("A ramp A..B rises linearly over this long (default: --duration).", valueName: "seconds")
    )
    var rampSeconds: Double?

    @Option(name: .customLong("max-concurrency"), help: "Open loop: at most this many requests in flight.")
    var maxConcurrency: Int?

    @Option(
        help:
            "Work items per level: requests (conversations with --turns, queries with --samples-per-query); default 100 when --duration is not given."
    )
    var requests: Int?

    @Option(help: ArgumentHelp("Seconds per level: no new request starts after this.", valueName: "seconds"))
    var duration: Double?

    @Option(help: "Warm-up requests before each level, not measured.")
    var warmup: Int = 0

    @Option(
        name: .customLong("input-tokens"),
        help: ArgumentHelp(
            "Synthetic prompt length in tokens: N or a distribution (uniform:LO,HI, normal:MEAN,SD[,MIN,MAX], lognormal:MEDIAN,SIGMA[,MIN,MAX]).",
            valueName: "length"
        )
    )
    var inputTokens: String = "128"

    @Option(
        name: .customLong("output-tokens"),
        help: ArgumentHelp(
            "max_tokens: N, a distribution as for --input-tokens, or 'dataset' (--sharegpt's recorded answer lengths).",
            valueName: "length"
        )
    )
    var outputTokens: String = "128"

    @Flag(
        name: .customLong("ignore-eos"),
        help: "Send ignore_eos=true so every output has exactly max_tokens tokens (llama.cpp, vLLM)."
    )
    var ignoreEOS = false

    @Option(
        help: ArgumentHelp(
            "Prompts from a JSONL file, one {\"prompt\": \"…\"} per line (optional \"max_tokens\"), used round-robin.",
            valueName: "file.jsonl"
        )
    )
    var prompts: String?

    @Option(
        help: ArgumentHelp(
            "Prompts from a ShareGPT JSON file: each conversation's first human turn (with --turns, its human turns in order).",
            valueName: "file.json"
        )
    )
    var sharegpt: String?

    @Option(
        name: .customLong("shared-prefix"),
        help:
            "Synthetic prompts start with a prefix of this many tokens shared by their group (measures prefix caching)."
    )
    var sharedPrefix: Int = 0

    @Option(
        name: .customLong("prefix-groups"),
        help: "With --shared-prefix: prompts are in this many groups, each with its own prefix."
    )
    var prefixGroups: Int = 1

    @Option(
        help:
            "Multi-turn conversations of this many turns: each request sends the history so far plus the next user message."
    )
    var turns: Int?

    @Option(
        name: .customLong("samples-per-query"),
        help: "Repeated sampling as a workload: each query is k completions of one prompt."
    )
    var samplesPerQuery: Int?

    @Option(
        name: .customLong("sample-mode"),
        help: ArgumentHelp(
            "With --samples-per-query: n (one request with n = k) or separate (k requests).",
            valueName: "n|separate"
        )
    )
    var sampleMode: String = "separate"

    @Option(
        help: ArgumentHelp("Objectives for goodput, e.g. ttft=500ms,itl=50ms,e2e=2s.", valueName: "name=duration,…")
    )
    var slo: String?

    @Option(
        name: .customLong("slo-percentile"),
        help: "--max-goodput: the percent of requests that must meet every objective (SLO attainment)."
    )
    var sloPercentile: Double = 90

    @Flag(
        help:
            "Climb from the first --concurrency or --rate level (×--sweep-factor each step) until the server saturates; report the knee."
    )
    var sweep = false

    @Option(name: .customLong("sweep-factor"), help: "--sweep: each level is this many times the previous one.")
    var sweepFactor: Double = 2

    @Option(name: .customLong("max-levels"), help: "--sweep: at most this many levels.")
    var maxLevels: Int = 10

    @Flag(
        name: .customLong("max-goodput"),
        help: "Find the highest request rate whose SLO attainment reaches --slo-percentile (bisection; needs --slo)."
    )
    var maxGoodput = false

    @Option(
        name: .customLong("search-tolerance"),
        help: "--max-goodput: stop when the bracket is this narrow (relative)."
    )
    var searchTolerance: Double = 0.1

    @Option(name: .customLong("max-trials"), help: "--max-goodput: at most this many trials (levels).")
    var maxTrials: Int = 12

    @Option(
        name: .customLong("max-time"),
        help: ArgumentHelp("--sweep / --max-goodput: start no level after this many seconds.", valueName: "seconds")
    )
    var maxTime: Double?

    @Option(name: .customLong("usd-per-hour"), help: "Price of the serving hardware per hour, for measured $/M tokens.")
    var usdPerHour: Double?

    @Option(
        help: ArgumentHelp(
            "Hardware from the t2 cost catalog (see t2 cost --list hardware), or local for this machine: print t2's prediction for each level beside the measurement, and label --measurements-out rows.",
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

    @Option(
        help: ArgumentHelp(
            "Calibration file from t2 calibrate: the --hardware prediction uses the calibrated cost model.",
            valueName: "file"
        )
    )
    var calibration: String?

    @Option(
        name: .customLong("measurements-out"),
        help: ArgumentHelp(
            "Also write each level as rows of t2 calibrate's measurements CSV (ttft_ms, itl_ms, output_tokens_per_s; decode/prefill tokens/s at concurrency 1), labelled with --hardware, --gpus, --engine, --cost-model/--model, --quant.",
            valueName: "file.csv"
        )
    )
    var measurementsOut: String?

    @Option(help: "Sampling temperature.")
    var temperature: Double = 0

    @Option(help: "Seed: prompts, arrivals and per-request seeds.")
    var seed: UInt64 = 0

    @Option(
        help: ArgumentHelp("A request fails as a timeout when no bytes arrive for this long.", valueName: "seconds")
    )
    var timeout: Double = 60

    @Option(help: "Client network threads (1 handles thousands of requests per second).")
    var threads: Int = 1

    @Option(help: ArgumentHelp("Run only shard i of n of every level (work item index mod n).", valueName: "i/n"))
    var shard: String?

    @Option(help: ArgumentHelp("Shards in all; this one's index comes from JOB_COMPLETION_INDEX.", valueName: "n"))
    var shards: Int?

    @OptionGroup var output: OutputOptions

    init() {}

    // MARK: parsing

    /// The arrival process of open-loop levels written without a prefix.
    func arrivals(_ prefix: String) throws -> ArrivalProcess {
        switch prefix {
        case "", "constant": return burstiness.map { .gamma(burstiness: $0) } ?? .constant
        case "poisson": return burstiness.map { $0 == 1 ? .poisson : .gamma(burstiness: $0) } ?? .poisson
        case "gamma": return .gamma(burstiness: burstiness ?? 1)
        default:
            throw ValidationError("--rate: unknown arrival process '\(prefix)'; use constant, poisson or gamma")
        }
    }

    /// The load levels asked for, in order.
    func loadPatterns() throws -> [LoadPattern] {
        var patterns: [LoadPattern] = []
        if let concurrency {
            for part in concurrency.split(separator: ",") {
                guard let n = Int(part.trimmingCharacters(in: .whitespaces)), n >= 1, n <= Limits.maxConcurrency else {
                    throw ValidationError(
                        "--concurrency: '\(part)' is not a whole number in 1…\(Limits.maxConcurrency) (example: --concurrency 1,4,16)"
                    )
                }
                patterns.append(.concurrency(n))
            }
        }
        if let rate {
            for part in rate.split(separator: ",") {
                var text = part.trimmingCharacters(in: .whitespaces).lowercased()
                var prefix = ""
                if let colon = text.firstIndex(of: ":") {
                    prefix = String(text[..<colon])
                    text = String(text[text.index(after: colon)...])
                }
                let process = try arrivals(prefix)
                let bounds = text.components(separatedBy: "..")
                let values = bounds.map { Double($0) }
                guard (1...2).contains(values.count), values.allSatisfy({ $0 != nil && $0!.isFinite && $0! >= 0 }),
                    values.last!! > 0, values.last!! <= 1e7
                else {
                    throw ValidationError(
                        "--rate: '\(part)' is not a positive rate up to 1e7/s (examples: --rate 20, --rate poisson:20, --rate gamma:20 --burstiness 0.5, --rate 1..20 --duration 60)"
                    )
                }
                var load = RateLoad(rate: values[0]!, arrivals: process, maxConcurrency: maxConcurrency)
                if values.count == 2 {
                    guard let ramp = rampSeconds ?? duration else {
                        throw ValidationError(
                            "--rate \(part): a ramp needs --ramp-seconds or --duration (how long it rises)"
                        )
                    }
                    guard values[0]! > 0 || values[1]! > 0 else {
                        throw ValidationError("--rate \(part): the ramp is all zero")
                    }
                    load.endRate = values[1]!
                    load.rampSeconds = ramp
                } else if values[0]! <= 0 {
                    throw ValidationError("--rate: '\(part)' must be positive")
                }
                patterns.append(.rate(load))
            }
        }
        return patterns.isEmpty ? [.concurrency(1)] : patterns
    }

    /// The URLs of `--url`.
    func addresses() throws -> [ServerAddress] {
        guard let url else { throw ValidationError("--url is required (e.g. --url http://127.0.0.1:8080)") }
        var list: [ServerAddress] = []
        for part in url.split(separator: ",") {
            do { list.append(try ServerAddress(url: String(part))) } catch {
                throw ValidationError(error.localizedDescription)
            }
        }
        guard !list.isEmpty else { throw ValidationError("--url is empty") }
        return list
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

    func lengths(_ text: String, flag: String, limit: Int) throws -> LengthDistribution {
        do { return try LengthDistribution.parse(text, flag: flag, limit: limit) } catch {
            throw ValidationError(error.localizedDescription)
        }
    }

    /// The prompt source and the `max_tokens` every request gets when the source does not say.
    func promptSource() throws -> (PromptSource, maxTokens: Int) {
        let sources = [prompts != nil, sharegpt != nil].filter { $0 }.count
        if sources > 1 { throw ValidationError("give --prompts or --sharegpt, not both") }
        let datasetLengths = outputTokens.lowercased() == "dataset"
        if datasetLengths && sharegpt == nil {
            throw ValidationError("--output-tokens dataset takes the recorded answer lengths of --sharegpt")
        }
        let output =
            datasetLengths
            ? .fixed(256) : try lengths(outputTokens, flag: "--output-tokens", limit: Limits.maxOutputTokens)
        let fixedOutput: Int? = { if case .fixed(let n) = output { return n } else { return nil } }()
        if let prompts {
            if sharedPrefix > 0 {
                throw ValidationError("--shared-prefix builds synthetic prompts; it does not apply to --prompts")
            }
            let source = try PromptSource.load(jsonl: prompts)
            return (source, fixedOutput ?? output.maximum)
        }
        if let sharegpt {
            if sharedPrefix > 0 {
                throw ValidationError("--shared-prefix builds synthetic prompts; it does not apply to --sharegpt")
            }
            let source = try PromptSource.load(shareGPT: sharegpt, recordedOutputLengths: datasetLengths)
            return (source, fixedOutput ?? 256)
        }
        let input = try lengths(inputTokens, flag: "--input-tokens", limit: Limits.maxInputTokens)
        let synthetic = SyntheticPrompts(
            input: input,
            output: fixedOutput == nil ? output : nil,
            sharedPrefix: sharedPrefix,
            prefixGroups: prefixGroups,
            seed: seed
        )
        return (.synthetic(synthetic), fixedOutput ?? output.maximum)
    }

    func workloadShape() throws -> WorkloadShape {
        if turns != nil && samplesPerQuery != nil {
            throw ValidationError("--turns and --samples-per-query are different workloads; give one")
        }
        if let turns {
            guard turns >= 1, turns <= 1000 else { throw ValidationError("--turns must be a whole number in 1…1000") }
            guard endpoint == "chat" else {
                throw ValidationError("--turns needs --endpoint chat (a conversation is chat messages)")
            }
            return .conversation(turns: turns)
        }
        if let samplesPerQuery {
            guard samplesPerQuery >= 1, samplesPerQuery <= 1024 else {
                throw ValidationError("--samples-per-query must be a whole number in 1…1024")
            }
            guard let mode = SampleMode(rawValue: sampleMode) else {
                throw ValidationError("--sample-mode must be n or separate")
            }
            return .samples(k: samplesPerQuery, mode: mode)
        }
        return .single
    }

    func schedule(objectives: ServiceLevelObjectives?) throws -> BenchSchedule {
        let patterns = try loadPatterns()
        if sweep && maxGoodput { throw ValidationError("--sweep and --max-goodput are different searches; give one") }
        if let maxTime,
            let message = Limits.checkSeconds(maxTime, flag: "--max-time", maximum: Limits.maxDurationSeconds)
        {
            throw ValidationError(message)
        }
        if sweep {
            guard patterns.count == 1 else {
                throw ValidationError(
                    "--sweep starts from one level: give one --concurrency or --rate value (e.g. --sweep --concurrency 1)"
                )
            }
            guard sweepFactor.isFinite, sweepFactor > 1, sweepFactor <= 100 else {
                throw ValidationError("--sweep-factor must be a number in (1, 100]")
            }
            guard maxLevels >= 1, maxLevels <= 100 else { throw ValidationError("--max-levels must be in 1…100") }
            return .sweep(
                CapacitySearch.SweepSettings(
                    start: patterns[0],
                    factor: sweepFactor,
                    maxLevels: maxLevels,
                    maxSeconds: maxTime
                )
            )
        }
        if maxGoodput {
            guard let objectives, !objectives.isEmpty else {
                throw ValidationError("--max-goodput needs --slo (e.g. --slo ttft=1s,itl=100ms)")
            }
            guard sloPercentile.isFinite, sloPercentile > 0, sloPercentile <= 100 else {
                throw ValidationError("--slo-percentile must be a percentage in (0, 100]")
            }
            guard searchTolerance.isFinite, searchTolerance > 0, searchTolerance < 1 else {
                throw ValidationError("--search-tolerance must be a fraction in (0, 1)")
            }
            guard maxTrials >= 1, maxTrials <= 100 else { throw ValidationError("--max-trials must be in 1…100") }
            var start = RateLoad(rate: 1, arrivals: .poisson, maxConcurrency: maxConcurrency)
            if rate != nil {
                guard patterns.count == 1, let r = patterns[0].rateLoad else {
                    throw ValidationError("--max-goodput starts from one --rate value (or 1 req/s without --rate)")
                }
                start = r
            } else if concurrency != nil {
                throw ValidationError(
                    "--max-goodput searches over request rates; give a starting --rate, not --concurrency"
                )
            }
            return .maxGoodput(
                CapacitySearch.GoodputSettings(
                    slo: objectives,
                    percentile: sloPercentile,
                    start: start,
                    tolerance: searchTolerance,
                    maxTrials: maxTrials,
                    maxSeconds: maxTime
                )
            )
        }
        return .levels(patterns)
    }

    func validate() throws {
        // `t2 bench merge …` parses this command first with none of its options.
        if url == nil && model == nil { return }
        _ = try addresses()
        if model == nil { throw ValidationError("--model is required") }
        guard OpenAIEndpoint(rawValue: endpoint) != nil else {
            throw ValidationError("--endpoint must be chat or completions")
        }
        guard BalancePolicy(rawValue: balance) != nil else {
            throw ValidationError("--balance must be round-robin or least-outstanding")
        }
        if let requests, requests < 1 || requests > 1_000_000_000 {
            throw ValidationError("--requests must be a whole number in 1…1000000000")
        }
        if let duration,
            let message = Limits.checkSeconds(duration, flag: "--duration", maximum: Limits.maxDurationSeconds)
        {
            throw ValidationError(message)
        }
        if let rampSeconds,
            let message = Limits.checkSeconds(rampSeconds, flag: "--ramp-seconds", maximum: Limits.maxDurationSeconds)
        {
            throw ValidationError(message)
        }
        if let burstiness, !(burstiness.isFinite && burstiness > 0 && burstiness <= 1000) {
            throw ValidationError("--burstiness must be a gamma shape in (0, 1000] (1 = Poisson, 0.5 = burstier)")
        }
        if let maxConcurrency, maxConcurrency < 1 || maxConcurrency > Limits.maxConcurrency {
            throw ValidationError("--max-concurrency must be a whole number in 1…\(Limits.maxConcurrency)")
        }
        if warmup < 0 || warmup > 1_000_000 { throw ValidationError("--warmup must be a whole number in 0…1000000") }
        if sharedPrefix < 0 || sharedPrefix > Limits.maxInputTokens {
            throw ValidationError("--shared-prefix must be a number of tokens in 0…\(Limits.maxInputTokens)")
        }
        if prefixGroups < 1 || prefixGroups > 1_000_000 {
            throw ValidationError("--prefix-groups must be in 1…1000000")
        }
        if prompts == nil && sharegpt == nil {
            _ = try lengths(inputTokens, flag: "--input-tokens", limit: Limits.maxInputTokens)
        }
        if outputTokens.lowercased() != "dataset" {
            _ = try lengths(outputTokens, flag: "--output-tokens", limit: Limits.maxOutputTokens)
        }
        if let usdPerHour, !(usdPerHour > 0 && usdPerHour.isFinite) {
            throw ValidationError("--usd-per-hour must be a positive, finite price (for example --usd-per-hour 2.5)")
        }
        if let message = Limits.checkSeconds(timeout, flag: "--timeout", maximum: Limits.maxTimeoutSeconds) {
            throw ValidationError(message)
        }
        if let message = Limits.checkTemperature(temperature) { throw ValidationError(message) }
        if threads < 1 || threads > Limits.maxThreads {
            throw ValidationError("--threads must be a whole number in 1…\(Limits.maxThreads)")
        }
        if gpus < 1 || gpus > 4096 { throw ValidationError("--gpus must be a whole number in 1…4096") }
        if measurementsOut != nil && hardware == nil {
            throw ValidationError(
                "--measurements-out labels its rows with --hardware (and --gpus, --engine, --quant): give --hardware"
            )
        }
        if calibration != nil && hardware == nil {
            throw ValidationError("--calibration calibrates the --hardware prediction: give --hardware")
        }
        let objectives: ServiceLevelObjectives?
        do { objectives = try slo.map(ServiceLevelObjectives.parse) } catch {
            throw ValidationError(error.localizedDescription)
        }
        _ = try schedule(objectives: objectives)
        _ = try workloadShape()
        if let shard = try shardValue() {
            for case .concurrency(let c) in try loadPatterns() where c < shard.count {
                throw ValidationError(
                    "--concurrency \(c) over \(shard.count) shards leaves some shards without a stream; give at least one stream per shard (the concurrency is the whole run's)"
                )
            }
        }
    }

    // MARK: running

    func run() async throws {
        let addresses = try addresses()
        guard let model else { throw ValidationError("--model is required") }
        let objectives = try slo.map(ServiceLevelObjectives.parse)
        let schedule = try schedule(objectives: objectives)
        let (source, maxTokens) = try promptSource()
        let workload = try workloadShape()
        let shardValue = try shardValue()
        let settings = GenerationSettings(
            model: model,
            endpoint: OpenAIEndpoint(rawValue: endpoint)!,
            maxTokens: maxTokens,
            temperature: temperature,
            ignoreEOS: ignoreEOS
        )
        let predictor = try costPredictor()
        let stop = StopCondition(requests: requests ?? (duration == nil ? 100 : nil), durationSeconds: duration)
        let timeouts = RequestTimeouts(stall: .nanoseconds(Int64(timeout * 1e9)), total: .seconds(86_400 * 12))
        let pool = EndpointPool(
            clients: addresses.map { StreamingClient(address: $0, timeouts: timeouts, eventLoopThreads: threads) },
            policy: BalancePolicy(rawValue: balance)!
        )
        var runner = LoadRunner(pool: pool, settings: settings, prompts: source, seed: seed)
        runner.workload = workload
        runner.shard = shardValue
        runner.slo = objectives
        var description = workload == .single ? source.description : "\(workload) of \(source.description)"
        description += "; token counts from the server's usage (stream events when it sends none)"
        let benchmark = Benchmark(
            runner: runner,
            schedule: schedule,
            stop: stop,
            warmup: warmup,
            usdPerHour: usdPerHour,
            description: BenchDescription(
                model: model,
                endpoint: settings.endpoint,
                workload: description,
                inputTokens: prompts == nil && sharegpt == nil ? Int(inputTokens) : nil,
                outputTokens: maxTokens,
                seed: seed,
                warmupRequests: warmup,
                shard: shardValue
            ),
            onLevel: { summary in
                Console.note(
                    "\(summary.load): \(summary.succeeded) ok, \(summary.failed) failed, \(Format.significant(summary.requestThroughput, 3)) req/s, \(Format.significant(summary.outputTokenThroughput, 3)) output tok/s"
                )
            }
        )

        let format = output.format
        let outPath = output.out
        let measurementsPath = measurementsOut
        let labels = measurementLabels(predictor: predictor)
        let makeReport: @Sendable (Bool, Bool) -> BenchReport = { complete, interrupted in
            var report = benchmark.snapshot(complete: complete, interrupted: interrupted)
            if let predictor { report.predictions = report.levels.map { predictor.predict($0) } }
            return report
        }
        let write: @Sendable (BenchReport) throws -> Void = { report in
            if let outPath {
                try AtomicFile.write(format == .csv ? report.csv() : try JSONOutput.encode(report) + "\n", to: outPath)
            }
            if let measurementsPath, let labels {
                // The report's own JSON through t2 calibrate's reader: one conversion, one set of rules.
                let source = "t2 bench \(report.url)"
                let rows = try BenchMeasurements.measurements(
                    fromBenchJSON: Data(try JSONOutput.encode(report).utf8),
                    source: source,
                    labels: labels
                )
                try AtomicFile.write(BenchMeasurements.csv(rows, source: source), to: measurementsPath)
            }
        }
        let warned = Locked(false)
        let writeSnapshot: @Sendable () -> Void = {
            do { try write(makeReport(false, false)) } catch {
                let first = warned.withLock { w -> Bool in
                    defer { w = true }
                    return !w
                }
                if first { Console.warn(error.localizedDescription) }
            }
        }
        // An --out that cannot be written fails the run before any request is sent.
        try write(makeReport(false, false))

        let work = Task { await benchmark.run() }
        let snapshots = Task {
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: 1_000_000_000)
                if Task.isCancelled { break }
                writeSnapshot()
            }
        }
        let interrupts = InterruptHandler { work.cancel() }
        let finished = await work.value
        snapshots.cancel()
        _ = await snapshots.value
        interrupts.stop()
        await pool.shutdown()

        var report = finished
        if let predictor { report.predictions = report.levels.map { predictor.predict($0) } }
        let finalWrite = Result { try write(report) }
        switch format {
        case .json: Console.output(try JSONOutput.encode(report))
        case .csv: Console.output(String(report.csv().dropLast()))
        case .table: Console.output(Self.renderTable(report))
        }
        if report.interrupted {
            Console.warn("interrupted: the results cover the requests that finished")
            throw ExitCode(130)
        }
        try finalWrite.get()
        if let failure = report.allFailedMessage {
            Console.warn(failure, label: "error")
            throw ExitCode.failure
        }
    }

    /// The labels of `--measurements-out` rows.
    func measurementLabels(predictor: BenchCostPredictor?) -> BenchMeasurements.Labels? {
        guard let hardware else { return nil }
        return BenchMeasurements.Labels(
            hardware: hardware,
            gpus: gpus,
            engine: engine ?? predictor?.deployment.engine.name ?? "",
            model: costModel ?? model ?? "",
            quant: quant
        )
    }

    /// The t2 cost model for `--hardware` (nil without it). Names are checked before any request
    /// is sent, so a typo fails at once with the nearest catalog names.
    func costPredictor() throws -> BenchCostPredictor? {
        guard let hardware else {
            if costModel != nil { throw ValidationError("--cost-model needs --hardware (the device to price it on)") }
            return nil
        }
        let costModelValue = try CostCommand.loadModel(
            catalog: catalog,
            calibration: calibration,
            localHardware: hardware.lowercased() == LocalHardware.name
        )
        let name = costModel ?? model ?? ""
        let architecture: ModelArchitecture
        do { architecture = try costModelValue.catalog.model(named: name) } catch {
            throw ValidationError(
                "\(error.localizedDescription)\n--hardware prices a catalog model: pass --cost-model NAME (t2 cost --list models) when the server's model name '\(model ?? "")' is not one"
            )
        }
        let fixedInput = Int(inputTokens) ?? 128
        let fixedOutput = Int(outputTokens) ?? 128
        // One check deployment resolves every name and the load's values.
        let deployment = try costModelValue.deployment(
            model: architecture,
            quant: quant,
            hardware: hardware,
            engine: engine,
            gpus: gpus,
            inputTokens: fixedInput,
            outputTokens: fixedOutput,
            usdPerHour: usdPerHour
        )
        _ = try costModelValue.estimate(deployment)
        return BenchCostPredictor(model: costModelValue, deployment: deployment, calibrated: calibration != nil)
    }

    // MARK: rendering

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
        var header = "\(report.url)  model \(report.model)  \(report.endpoint)  max_tokens \(report.outputTokens)"
        if let shard = report.shard { header += "  shard \(shard)" }
        if let merged = report.shardsMerged {
            header += "  merged shards \(merged.map(String.init).joined(separator: ","))"
        }
        if report.interrupted { header += "  (interrupted)" }
        var lines = [header]
        if let workload = report.workload { lines.append("workload: \(workload)") }
        lines += ["", table.render(), "", "latencies in ms; definitions in docs/bench.md"]
        for l in report.levels {
            // Without the server's usage the prompt's tokens are not counted: say so, not "in 0".
            let inputCount =
                l.requestsWithoutUsage > 0 && l.requestsWithoutUsage == l.succeeded ? "unknown" : "\(l.inputTokens)"
            var notes: [String] = ["tokens: \(l.tokenCountSource); in \(inputCount), out \(l.outputTokens)"]
            if !l.errors.isEmpty {
                notes.append(
                    "errors: "
                        + l.errors.sorted { $0.key < $1.key }.map {
                            "\($0.key) \($0.value) (\(l.errorExamples[$0.key] ?? ""))"
                        }.joined(separator: "; ")
                )
            }
            if let a = l.sloAttainment { notes.append("SLO attainment \(Format.percent(a))") }
            if let cached = l.cachedPromptTokens { notes.append("prompt tokens from the server's cache \(cached)") }
            if let s = l.serverTimings {
                notes.append(
                    "server timings (\(s.requests) requests): decode \(Format.significant(s.meanDecodeMsPerToken, 3)) ms/token vs client TPOT \(Format.significant(s.clientMeanTPOTMs, 3)) ms"
                )
            }
            if let u = l.usdPerMillionTotalTokens { notes.append("$/M total tokens \(Format.significant(u, 3))") }
            if let q = l.meanClientQueueMs { notes.append("client queue \(Format.significant(q, 3)) ms mean") }
            if let rate = l.rate, l.endRate == nil, l.requests > 0,
                Double(l.requests) / max(l.durationSeconds, 1e-9) < 0.95 * rate
            {
                notes.append(
                    "achieved \(Format.significant(Double(l.requests) / l.durationSeconds, 3)) of \(Format.significant(rate, 3)) req/s: the server (or the client) could not keep up"
                )
            }
            if let cpu = l.clientCPUMicrosecondsPerRequest {
                notes.append("client CPU \(Format.significant(cpu, 3)) µs/request")
            }
            lines.append("\(l.load): " + notes.joined(separator: " · "))
            if let q = l.queries {
                var text =
                    "  queries of \(q.k) samples (\(q.mode)): \(q.complete)/\(q.queries) complete, \(Format.significant(q.queryThroughput, 3))/s; time to all \(q.k) answers mean \(ms(q.latency?.meanMs)) ms, p99 \(ms(q.latency?.p99Ms)) ms; first token \(ms(q.firstToken?.meanMs)) ms"
                if let i = q.meanInputTokens, let o = q.meanOutputTokens {
                    text += "; tokens per query in \(Format.significant(i, 3)), out \(Format.significant(o, 3))"
                }
                text +=
                    "; prefill saved \(q.prefillTokensSaved.map(String.init) ?? "unknown (the server reports no cached tokens)")"
                lines.append(text)
                if q.shortQueries > 0 {
                    lines.append(
                        "  \(q.shortQueries) queries came back with fewer than \(q.k) choices: the server ignores n; use --sample-mode separate"
                    )
                }
            }
            if let turns = l.turns {
                lines.append(
                    "  per turn (input tokens, TTFT ms): "
                        + turns.map {
                            "\($0.turn + 1): \($0.meanInputTokens.map { Format.significant($0, 3) } ?? "-"), \(ms($0.ttft?.meanMs))"
                        }.joined(separator: " · ")
                )
            }
            if let endpoints = l.endpoints {
                for e in endpoints {
                    lines.append(
                        "  \(e.url): \(e.succeeded) ok, \(e.failed) failed, \(Format.significant(e.requestThroughput, 3)) req/s, TTFT mean \(ms(e.ttft?.meanMs)) ms, E2E mean \(ms(e.e2e?.meanMs)) ms"
                    )
                }
            }
        }
        if let c = report.capacity { lines += ["", renderCapacity(c, report: report)] }
        if let notes = report.notes { lines += notes.map { "note: \($0)" } }
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

    static func renderCapacity(_ c: CapacityResult, report: BenchReport) -> String {
        var lines: [String] = []
        let money =
            c.usdPerMillionOutputTokens.map { ", $\(Format.significant($0, 3)) per million output tokens" } ?? ""
        switch c.mode {
        case "sweep":
            if let knee = c.kneeLoad {
                lines.append(
                    "sweep: knee at \(knee) — \(Format.significant(c.outputTokenThroughput ?? 0, 3)) output tok/s, \(Format.significant(c.requestThroughput ?? 0, 3)) req/s\(money)"
                )
            } else {
                lines.append("sweep: no level produced tokens")
            }
        default:
            let objectives =
                c.slo.map { slo in
                    [
                        slo.ttft.map { "TTFT ≤ \(ms($0 * 1000)) ms" }, slo.itl.map { "ITL ≤ \(ms($0 * 1000)) ms" },
                        slo.e2e.map { "E2E ≤ \(ms($0 * 1000)) ms" },
                    ]
                    .compactMap { $0 }.joined(separator: ", ")
                } ?? ""
            if let rate = c.capacityRate {
                lines.append(
                    "max goodput: \(Format.significant(rate, 3)) req/s meets \(objectives) for \(Format.significant(c.percentile ?? 0, 3))% of requests — goodput \(Format.significant(c.goodput ?? 0, 3)) req/s, \(Format.significant(c.outputTokenThroughput ?? 0, 3)) output tok/s\(money)"
                )
                if let fail = c.lowestFailingRate {
                    lines.append("  (\(Format.significant(fail, 3)) req/s did not; the capacity lies between)")
                }
            } else {
                lines.append(
                    "max goodput: no rate tried met \(objectives) for \(Format.significant(c.percentile ?? 0, 3))% of requests"
                )
            }
        }
        lines.append("  \(c.trials) trials in \(Format.significant(c.elapsedSeconds, 3)) s; stopped: \(c.stopReason)")
        return lines.joined(separator: "\n")
    }
}

/// `t2 bench merge A.json B.json … --out M.json`: shards' reports as one.
struct BenchMergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Combine the JSON reports of t2 bench shards into one report.",
        discussion: """
            Each level's counts and sums are added and its latency histograms merged bucket by \
            bucket (HdrHistogram), so the merged percentiles are those of all requests; \
            throughputs and $/M tokens are recomputed over the merged window (earliest start to \
            latest end, by the shards' wall clocks). The same shard or run twice, and reports of \
            different models, loads or objectives are refused. --out and --format go before \
            'merge' or after the files.

            Example:
              t2 bench merge shard-0.json shard-1.json shard-2.json --out merged.json
            """
    )

    @ParentCommand var parent: BenchCommand

    @Argument(help: ArgumentHelp("Reports written by t2 bench --format json --out.", valueName: "report.json"))
    var files: [String]

    func validate() throws {
        if files.isEmpty { throw ValidationError("give the reports to merge") }
    }

    func run() throws {
        var reports: [(path: String, report: BenchReport)] = []
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "inf",
            negativeInfinity: "-inf",
            nan: "nan"
        )
        for path in files {
            let data = try InputFile.read(path)
            do {
                reports.append((path, try decoder.decode(BenchReport.self, from: data)))
            } catch {
                throw TabularError(
                    file: path,
                    problem: "is not a t2 bench JSON report (\(error))",
                    hint: "Merge the files written by t2 bench --format json --out"
                )
            }
        }
        let merged = try BenchMerge.merge(reports)
        let format = parent.output.format
        if let out = parent.output.out {
            try AtomicFile.write(format == .csv ? merged.csv() : try JSONOutput.encode(merged) + "\n", to: out)
        }
        switch format {
        case .json: Console.output(try JSONOutput.encode(merged))
        case .csv: Console.output(String(merged.csv().dropLast()))
        case .table: Console.output(BenchCommand.renderTable(merged))
        }
    }
}

/// Prices each measured level with the t2 cost model (InferenceCost) for `t2 bench --hardware`.
struct BenchCostPredictor: Sendable {
    let model: CostModel
    let deployment: Deployment
    var calibrated = false

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
            "\(d.model.name) \(d.quant.name) on \(d.hardware.name) (\(d.engine.name)\(d.gpus > 1 ? ", \(d.gpus) devices" : "")\(calibrated ? ", calibrated" : ""))"
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
