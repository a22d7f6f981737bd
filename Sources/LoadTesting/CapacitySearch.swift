import Foundation

/// What a capacity search found (`t2 bench --sweep` or `--max-goodput`).
public struct CapacityResult: Codable, Sendable, Equatable {
    /// `sweep` or `max-goodput`.
    public var mode: String
    /// Why the search stopped.
    public var stopReason: String
    /// Load levels run (trials).
    public var trials: Int
    /// Wall time of the search, seconds.
    public var elapsedSeconds: Double
    /// Sweep: the knee, the smallest load reaching 90% of the highest output-token throughput seen
    /// (index into the report's levels, and its load).
    public var kneeLevel: Int?
    public var kneeLoad: String?
    /// Max goodput: the highest rate (requests/s) whose SLO attainment met the target, the level
    /// that measured it, and the lowest rate that failed (the bisection's other end).
    public var capacityRate: Double?
    public var capacityLevel: Int?
    public var lowestFailingRate: Double?
    /// Max goodput: the share of requests (percent) that must meet every objective.
    public var percentile: Double?
    public var slo: ServiceLevelObjectives?
    /// At the knee or the capacity: measured throughput and cost.
    public var requestThroughput: Double?
    public var outputTokenThroughput: Double?
    public var goodput: Double?
    public var usdPerMillionOutputTokens: Double?
    public var usdPerMillionTotalTokens: Double?

    public init(mode: String, stopReason: String, trials: Int, elapsedSeconds: Double) {
        self.mode = mode
        self.stopReason = stopReason
        self.trials = trials
        self.elapsedSeconds = elapsedSeconds
    }

    enum CodingKeys: String, CodingKey {
        case mode
        case stopReason = "stop_reason"
        case trials
        case elapsedSeconds = "elapsed_s"
        case kneeLevel = "knee_level"
        case kneeLoad = "knee_load"
        case capacityRate = "capacity_rate"
        case capacityLevel = "capacity_level"
        case lowestFailingRate = "lowest_failing_rate"
        case percentile
        case slo
        case requestThroughput = "request_throughput"
        case outputTokenThroughput = "output_token_throughput"
        case goodput
        case usdPerMillionOutputTokens = "usd_per_million_output_tokens"
        case usdPerMillionTotalTokens = "usd_per_million_total_tokens"
    }

    mutating func describe(_ level: LevelSummary) {
        requestThroughput = level.requestThroughput
        outputTokenThroughput = level.outputTokenThroughput
        goodput = level.goodput
        usdPerMillionOutputTokens = level.usdPerMillionOutputTokens
        usdPerMillionTotalTokens = level.usdPerMillionTotalTokens
    }
}

/// Capacity searches over load levels. Each takes `run`, which measures one level and returns
/// its summary (nil when the run was interrupted), so the same search drives a real server, a
/// simulated one in tests, or several shards.
public enum CapacitySearch {
    /// Sweep settings.
    public struct SweepSettings: Sendable, Equatable {
        /// The first level (a concurrency or a rate); each next one is `factor` times larger.
        public var start: LoadPattern
        public var factor: Double
        public var maxLevels: Int
        /// Saturated when output-token throughput rises by less than this fraction over the best so far.
        public var minimumGain: Double
        /// Saturated when more than this fraction of a level's requests fail.
        public var maximumErrorRate: Double
        /// Saturated when median end-to-end latency exceeds this multiple of the first level's.
        public var maximumLatencyGrowth: Double
        /// Stop starting levels after this many seconds (nil: no limit).
        public var maxSeconds: Double?

        public init(
            start: LoadPattern,
            factor: Double = 2,
            maxLevels: Int = 10,
            minimumGain: Double = 0.1,
            maximumErrorRate: Double = 0.1,
            maximumLatencyGrowth: Double = 20,
            maxSeconds: Double? = nil
        ) {
            self.start = start
            self.factor = factor
            self.maxLevels = maxLevels
            self.minimumGain = minimumGain
            self.maximumErrorRate = maximumErrorRate
            self.maximumLatencyGrowth = maximumLatencyGrowth
            self.maxSeconds = maxSeconds
        }
    }

    /// The load `factor^step` times `start`.
    static func scaled(_ start: LoadPattern, _ factor: Double, _ step: Int) -> LoadPattern {
        let m = Foundation.pow(factor, Double(step))
        switch start {
        case .concurrency(let n):
            // Whole numbers that always grow: 1, 2, 4, … (or 1, 2, 3, 5, … for factor 1.5).
            var c = n
            for _ in 0..<step { c = max(c + 1, Int((Double(c) * factor).rounded())) }
            return .concurrency(min(c, Limits.maxConcurrency))
        case .rate(var r):
            r.rate *= m
            r.endRate = r.endRate.map { $0 * m }
            return .rate(r)
        }
    }

    /// Runs levels from `settings.start` upward by `factor` until the server saturates —
    /// throughput stops rising (gain below `minimumGain`), errors exceed `maximumErrorRate`,
    /// median latency grows past `maximumLatencyGrowth` times the first level's, or an open-loop
    /// level achieves less than 90% of its offered rate — or `maxLevels` / `maxSeconds` is
    /// reached. The knee is the smallest load reaching 90% of the highest output-token
    /// throughput seen.
    public static func sweep(
        _ settings: SweepSettings,
        run: (LoadPattern) async -> LevelSummary?
    ) async -> (levels: [LevelSummary], result: CapacityResult) {
        let start = MonotonicClock.now()
        var levels: [LevelSummary] = []
        var stop = "reached --max-levels"
        var best = 0.0
        var firstLatency: Double? = nil
        for step in 0..<max(1, settings.maxLevels) {
            if let limit = settings.maxSeconds, Double(MonotonicClock.now() - start) / 1e9 >= limit {
                stop = "time limit (\(Int(limit)) s)"
                break
            }
            let pattern = scaled(settings.start, settings.factor, step)
            if step > 0, pattern == scaled(settings.start, settings.factor, step - 1) {
                stop = "reached the largest load"
                break
            }
            guard let level = await run(pattern) else {
                stop = "interrupted"
                break
            }
            levels.append(level)
            let throughput = level.outputTokenThroughput
            let errorRate = level.requests > 0 ? Double(level.failed) / Double(level.requests) : 1
            let latency = level.e2e?.p50Ms
            if firstLatency == nil { firstLatency = latency }
            if errorRate > settings.maximumErrorRate {
                stop = "errors: \(Int((errorRate * 100).rounded()))% of requests failed at \(level.load)"
                break
            }
            if let first = firstLatency, let latency, first > 0, latency > settings.maximumLatencyGrowth * first {
                stop =
                    "latency exploded: median E2E \(Int(latency)) ms at \(level.load), \(Int(latency / first))× the first level's"
                break
            }
            if let rate = level.rate, level.durationSeconds > 0,
                Double(level.requests) / level.durationSeconds < 0.9 * rate
            {
                stop =
                    "saturated: \(level.load) achieved \(String(format: "%.3g", Double(level.requests) / level.durationSeconds)) req/s"
                break
            }
            if step > 0, throughput < best * (1 + settings.minimumGain) {
                stop =
                    "throughput stopped rising (\(String(format: "%+.1f", (throughput / max(best, 1e-300) - 1) * 100))% at \(level.load))"
                best = max(best, throughput)
                break
            }
            best = max(best, throughput)
        }
        var result = CapacityResult(
            mode: "sweep",
            stopReason: stop,
            trials: levels.count,
            elapsedSeconds: Double(MonotonicClock.now() - start) / 1e9
        )
        let peak = levels.map(\.outputTokenThroughput).max() ?? 0
        if peak > 0, let knee = levels.firstIndex(where: { $0.outputTokenThroughput >= 0.9 * peak }) {
            result.kneeLevel = knee
            result.kneeLoad = levels[knee].load
            result.describe(levels[knee])
        }
        return (levels, result)
    }

    /// Max-goodput settings.
    public struct GoodputSettings: Sendable, Equatable {
        public var slo: ServiceLevelObjectives
        /// The share of requests (percent) that must meet every objective for a rate to pass.
        public var percentile: Double
        /// The first rate tried, and the arrival process and concurrency cap of every trial.
        public var start: RateLoad
        /// Stop when (failing − passing) / failing is at most this.
        public var tolerance: Double
        public var maxTrials: Int
        public var maxSeconds: Double?
        /// No rate below this is tried.
        public var minimumRate: Double

        public init(
            slo: ServiceLevelObjectives,
            percentile: Double = 90,
            start: RateLoad,
            tolerance: Double = 0.1,
            maxTrials: Int = 12,
            maxSeconds: Double? = nil,
            minimumRate: Double = 0.01
        ) {
            self.slo = slo
            self.percentile = percentile
            self.start = start
            self.tolerance = tolerance
            self.maxTrials = maxTrials
            self.maxSeconds = maxSeconds
            self.minimumRate = minimumRate
        }
    }

    /// Whether a level meets the objectives at the percentile: at least `percentile`% of its
    /// finished requests succeeded and met every objective (DistServe's SLO attainment).
    public static func passes(_ level: LevelSummary, percentile: Double) -> Bool {
        guard level.requests > 0, let attainment = level.sloAttainment else { return false }
        return attainment * 100 >= percentile - 1e-9
    }

    /// Finds the highest request rate whose SLO attainment reaches `percentile`: doubles the rate
    /// from `start` until a trial fails (halves it until one passes, when the first fails), then
    /// bisects between the highest passing and the lowest failing rate until they are within
    /// `tolerance` of each other, `maxTrials` levels have run, or `maxSeconds` have passed.
    public static func maxGoodput(
        _ settings: GoodputSettings,
        run: (LoadPattern) async -> LevelSummary?
    ) async -> (levels: [LevelSummary], result: CapacityResult) {
        let start = MonotonicClock.now()
        var levels: [LevelSummary] = []
        var passing: (rate: Double, level: Int)? = nil
        var failing: Double? = nil
        var rate = settings.start.rate
        var stop = "reached --max-trials"
        func elapsed() -> Double { Double(MonotonicClock.now() - start) / 1e9 }
        while levels.count < max(1, settings.maxTrials) {
            if let limit = settings.maxSeconds, elapsed() >= limit {
                stop = "time limit (\(Int(limit)) s)"
                break
            }
            var load = settings.start
            load.rate = rate
            load.endRate = nil
            load.rampSeconds = nil
            guard let level = await run(.rate(load)) else {
                stop = "interrupted"
                break
            }
            levels.append(level)
            if passes(level, percentile: settings.percentile) {
                if passing.map({ rate > $0.rate }) ?? true { passing = (rate, levels.count - 1) }
            } else {
                failing = min(failing ?? rate, rate)
            }
            // Next rate.
            switch (passing, failing) {
            case (nil, let f?):
                if f / 2 < settings.minimumRate {
                    stop = "no rate down to \(settings.minimumRate) req/s meets the objectives"
                    rate = 0
                } else {
                    rate = f / 2
                }
            case (let p?, nil):
                rate = p.rate * 2
            case (let p?, let f?):
                if (f - p.rate) / f <= settings.tolerance {
                    stop = "bracket within \(Int((settings.tolerance * 100).rounded()))%"
                    rate = 0
                } else {
                    rate = (p.rate + f) / 2
                }
            case (nil, nil):
                rate *= 2
            }
            if rate == 0 { break }
        }
        if passing == nil, let lowest = failing, !stop.hasPrefix("no rate") {
            stop = "no rate down to \(String(format: "%.3g", lowest)) req/s met the objectives (\(stop))"
        }
        var result = CapacityResult(
            mode: "max-goodput",
            stopReason: stop,
            trials: levels.count,
            elapsedSeconds: elapsed()
        )
        result.percentile = settings.percentile
        result.slo = settings.slo
        if let p = passing {
            result.capacityRate = p.rate
            result.capacityLevel = p.level
            result.describe(levels[p.level])
        }
        result.lowestFailingRate = failing
        return (levels, result)
    }
}
