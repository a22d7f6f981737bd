import Foundation
import Tabular

/// A whole `t2 bench` run (`t2.bench/1`): what was asked and one summary per load level, plus the
/// capacity found by `--sweep` or `--max-goodput`.
public struct BenchReport: Codable, Sendable {
    public var schema = "t2.bench/1"
    /// A random id per process: `t2 bench merge` refuses the same run twice.
    public var runID: String
    /// The endpoint(s), comma-separated when there are several.
    public var url: String
    public var model: String
    public var endpoint: String
    /// What was sent: prompt source, lengths and where the token counts come from.
    public var workload: String?
    public var inputTokens: Int?
    public var outputTokens: Int
    public var seed: UInt64
    public var warmupRequests: Int
    /// This process's shard (`--shard i/n`), when the run was split.
    public var shard: Shard?
    /// A merged report: the shards it was made from, by index (`t2 bench merge`).
    public var shardsMerged: [Int]?
    public var levels: [LevelSummary]
    /// False while the run is still going (incremental snapshot).
    public var complete: Bool
    /// True when the run was stopped (Ctrl-C).
    public var interrupted: Bool
    /// t2 cost-model predictions for the same load levels, when `--hardware` asked for them.
    public var predictions: [CostPrediction]?
    /// The capacity search (`--sweep`, `--max-goodput`), when there was one.
    public var capacity: CapacityResult?
    /// Things the reader should know (merges, fallbacks).
    public var notes: [String]?

    enum CodingKeys: String, CodingKey {
        case schema
        case runID = "run_id"
        case url
        case model
        case endpoint
        case workload
        case inputTokens = "input_tokens"
        case outputTokens = "output_tokens"
        case seed
        case warmupRequests = "warmup_requests"
        case shard
        case shardsMerged = "shards_merged"
        case levels
        case complete
        case interrupted
        case predictions
        case capacity
        case notes
    }

    public init(
        url: String,
        model: String,
        endpoint: String,
        inputTokens: Int?,
        outputTokens: Int,
        seed: UInt64,
        warmupRequests: Int,
        levels: [LevelSummary],
        complete: Bool,
        interrupted: Bool,
        predictions: [CostPrediction]? = nil,
        runID: String = UUID().uuidString.lowercased(),
        workload: String? = nil,
        shard: Shard? = nil,
        capacity: CapacityResult? = nil
    ) {
        self.runID = runID
        self.url = url
        self.model = model
        self.endpoint = endpoint
        self.workload = workload
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.seed = seed
        self.warmupRequests = warmupRequests
        self.shard = shard
        self.levels = levels
        self.complete = complete
        self.interrupted = interrupted
        self.predictions = predictions
        self.capacity = capacity
    }

    /// The CSV header and one row per level (the file written by `--format csv`).
    public static let csvHeader = [
        "model", "load", "concurrency", "rate", "requests", "succeeded", "failed", "errors", "duration_s",
        "request_throughput", "output_token_throughput", "total_token_throughput", "goodput", "slo_attainment",
        "ttft_mean_ms", "ttft_p50_ms", "ttft_p90_ms", "ttft_p99_ms",
        "itl_mean_ms", "itl_p50_ms", "itl_p90_ms", "itl_p99_ms",
        "tpot_mean_ms", "tpot_p50_ms", "tpot_p90_ms", "tpot_p99_ms",
        "e2e_mean_ms", "e2e_p50_ms", "e2e_p90_ms", "e2e_p99_ms",
        "input_tokens", "output_tokens", "token_count_source",
        "usd_per_million_output_tokens", "usd_per_million_total_tokens", "client_cpu_us_per_request", "interrupted",
    ]

    /// The CSV document (RFC 4180 through `Tabular.CSVWriter`, so a model name, load or error
    /// text with a comma or a quote stays one field).
    public func csv() -> String {
        func f(_ v: Double?) -> String { v.map { String(format: "%.6g", $0) } ?? "" }
        var csv = CSVWriter(header: Self.csvHeader)
        for l in levels {
            let errors = l.errors.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ";")
            var row: [String] = [
                model, l.load, l.concurrency.map(String.init) ?? "", f(l.rate), "\(l.requests)", "\(l.succeeded)",
                "\(l.failed)", errors, f(l.durationSeconds),
                f(l.requestThroughput), f(l.outputTokenThroughput), f(l.totalTokenThroughput), f(l.goodput),
                f(l.sloAttainment),
            ]
            for s in [l.ttft, l.itl, l.tpot, l.e2e] { row += [f(s?.meanMs), f(s?.p50Ms), f(s?.p90Ms), f(s?.p99Ms)] }
            row += [
                "\(l.inputTokens)", "\(l.outputTokens)", l.tokenCountSource, f(l.usdPerMillionOutputTokens),
                f(l.usdPerMillionTotalTokens), f(l.clientCPUMicrosecondsPerRequest), l.interrupted ? "true" : "false",
            ]
            csv.append(row)
        }
        return csv.text
    }

    /// The message for a run in which no request succeeded (the run then exits 1, so CI notices),
    /// with the error kinds by frequency and one example of each; nil when something succeeded.
    public var allFailedMessage: String? {
        let requests = levels.reduce(0) { $0 + $1.requests }
        guard levels.allSatisfy({ $0.succeeded == 0 }) else { return nil }
        guard requests > 0 else { return "no request finished" }
        var errors: [String: Int] = [:]
        var examples: [String: String] = [:]
        for level in levels {
            errors.merge(level.errors, uniquingKeysWith: +)
            examples.merge(level.errorExamples) { a, _ in a }
        }
        let kinds = errors.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .map { "\($0.key) \($0.value) (\(examples[$0.key] ?? ""))" }
        return "every request failed (\(requests) requests): " + kinds.joined(separator: "; ")
    }
}

/// Putting the reports of a run's shards together (`t2 bench merge`).
public enum BenchMerge {
    /// Merges shard reports level by level: counts and sums add, latency histograms merge bucket
    /// by bucket (so percentiles are those of all requests), the window runs from the earliest
    /// start to the latest end, throughputs and $/M tokens are recomputed from the merged figures.
    ///
    /// Refused: reports of different models, endpoints, loads, objectives or prices; the same
    /// shard (or the same run) twice; shards of different splits (`i/3` with `j/4`). Reports
    /// without shard information (separate clients) merge when their run ids differ.
    public static func merge(_ reports: [(path: String, report: BenchReport)]) throws -> BenchReport {
        guard let (firstPath, first) = reports.first else {
            throw LoadTestingError.invalidArgument("no reports to merge")
        }
        var seenRuns: [String: String] = [:]
        var seenShards: [Int: String] = [:]
        for (path, r) in reports {
            func refuse(_ what: String) -> LoadTestingError {
                .invalidFile(path, line: nil, reason: "\(what); it cannot be merged with \(firstPath)")
            }
            guard r.schema == first.schema else { throw refuse("has schema \(r.schema), not \(first.schema)") }
            if let earlier = seenRuns[r.runID] {
                throw LoadTestingError.invalidFile(
                    path,
                    line: nil,
                    reason:
                        "is the same run as \(earlier) (run id \(r.runID)); merging it would count its requests twice"
                )
            }
            seenRuns[r.runID] = path
            guard r.model == first.model else { throw refuse("is of model '\(r.model)', not '\(first.model)'") }
            guard r.endpoint == first.endpoint else { throw refuse("used the \(r.endpoint) API") }
            guard r.levels.count == first.levels.count else {
                throw refuse("has \(r.levels.count) load levels, not \(first.levels.count)")
            }
            for (a, b) in zip(r.levels, first.levels) {
                guard a.load == b.load else { throw refuse("has level '\(a.load)' where it has '\(b.load)'") }
                guard a.slo == b.slo else { throw refuse("used other --slo objectives") }
                guard a.usdPerHour == b.usdPerHour else { throw refuse("used another --usd-per-hour") }
            }
            switch (r.shard, first.shard) {
            case (let s?, let f?):
                guard s.count == f.count else {
                    throw refuse("is shard \(s) of a run split \(s.count) ways, not \(f.count)")
                }
                if let earlier = seenShards[s.index] {
                    throw LoadTestingError.invalidFile(
                        path,
                        line: nil,
                        reason: "is shard \(s) again (also \(earlier)); merging it would count its requests twice"
                    )
                }
                seenShards[s.index] = path
            case (nil, nil): break
            default: throw refuse("mixes sharded and unsharded reports")
            }
        }
        var merged = first
        merged.runID = UUID().uuidString.lowercased()
        merged.shard = nil
        merged.predictions = nil
        merged.capacity = nil
        merged.complete = reports.allSatisfy { $0.report.complete }
        merged.interrupted = reports.contains { $0.report.interrupted }
        var urls: [String] = []
        for (_, r) in reports {
            for u in r.url.split(separator: ",").map(String.init) where !urls.contains(u) { urls.append(u) }
        }
        merged.url = urls.joined(separator: ",")
        var notes: [String] = []
        if let count = first.shard?.count {
            merged.shardsMerged = seenShards.keys.sorted()
            let missing = (0..<count).filter { seenShards[$0] == nil }
            if !missing.isEmpty {
                notes.append(
                    "shards \(missing.map(String.init).joined(separator: ", ")) of \(count) are missing: the figures cover \(reports.count) of \(count) shards"
                )
            }
        }
        notes.append(
            "merged from \(reports.count) reports; predictions and capacity searches of the parts are left out"
        )
        merged.notes = notes
        for index in merged.levels.indices {
            var totals = LevelTotals()
            for (_, r) in reports { totals.merge(r.levels[index].totals) }
            let level = first.levels[index]
            merged.levels[index] = LevelSummary(
                pattern: level.pattern,
                totals: totals,
                slo: level.slo,
                usdPerHour: level.usdPerHour,
                interrupted: reports.contains { $0.report.levels[index].interrupted }
            )
            // The stated load is the whole run's.
            merged.levels[index].load = level.load
        }
        return merged
    }
}

extension LevelSummary {
    /// The load pattern the summary describes (enough to re-summarize merged totals).
    var pattern: LoadPattern {
        if let concurrency { return .concurrency(concurrency) }
        let arrivals: ArrivalProcess
        switch self.arrivals {
        case "poisson": arrivals = .poisson
        case "gamma": arrivals = .gamma(burstiness: burstiness ?? 1)
        default: arrivals = .constant
        }
        return .rate(
            RateLoad(
                rate: rate ?? 0,
                arrivals: arrivals,
                endRate: endRate,
                rampSeconds: rampSeconds,
                maxConcurrency: maxConcurrency
            )
        )
    }
}
