import Foundation
import Optimization

/// Settings of adaptive sample allocation (`t2 sample --adaptive`).
public struct AdaptiveSettings: Sendable, Equatable {
    /// Total samples, earlier runs included.
    public var budget: Int
    /// The k whose pass@k interval should be narrow.
    public var targetK: Int
    /// Stop when the interval's full width is at most this (a fraction: 0.02 = 2 points).
    public var precision: Double
    /// The interval's coverage (0.9: the 5th to 95th percentile).
    public var confidence: Double
    /// Samples every problem gets first, before any is favoured.
    public var minimum: Int
    /// The most samples one problem can get.
    public var maxPerProblem: Int
    /// Samples handed out per round (nil: a quarter of the problems, at least 16 and at least a
    /// tenth of the samples spent so far, so the number of rounds grows with the log of the budget).
    public var roundSize: Int?

    /// The size of the next round.
    public func roundSize(problems: Int, spent: Int) -> Int {
        roundSize ?? max(16, problems / 4, spent / 10)
    }

    public init(
        budget: Int,
        targetK: Int,
        precision: Double,
        confidence: Double = 0.9,
        minimum: Int = 4,
        maxPerProblem: Int? = nil,
        roundSize: Int? = nil
    ) {
        self.budget = budget
        self.targetK = targetK
        self.precision = precision
        self.confidence = confidence
        self.minimum = minimum
        self.maxPerProblem = maxPerProblem ?? min(budget, Limits.maxSamplesPerProblem)
        self.roundSize = roundSize
    }
}

/// Where an adaptive run stands: the dataset's pass@k at the target k with its interval.
public struct AdaptiveStatus: Sendable, Equatable, Codable {
    public var targetK: Int
    public var estimate: Double
    public var low: Double
    public var high: Double
    public var samples: Int
    public var rounds: Int
    /// `precision reached`, `budget spent`, `every problem at its cap`, or `running`.
    public var stopReason: String

    public var width: Double { high - low }

    enum CodingKeys: String, CodingKey {
        case targetK = "target_k"
        case estimate
        case low
        case high
        case samples
        case rounds
        case stopReason = "stop_reason"
    }
}

/// Adaptive allocation of samples for a pass@k forecast at a target k.
///
/// **Model.** Each problem's success probability pᵢ is drawn from a Beta(a, b) prior. Given nᵢ
/// samples with cᵢ correct, pᵢ ~ Beta(a + cᵢ, b + nᵢ − cᵢ) and problem i's pass@k is
/// 1 − (1 − pᵢ)^k, with posterior mean 1 − B(α, β + k)/B(α, β) and variance
/// B(α, β + 2k)/B(α, β) − (B(α, β + k)/B(α, β))². The dataset's pass@k is the mean over problems.
///
/// **Interval.** The prior's (a, b) are not known, and with few samples per problem the answer at
/// large k depends on them. So the interval integrates over them: on a 20 × 20 grid of log a in
/// [−6, 3] and log b in [−3, 9], each point is weighted by its posterior (the beta-binomial
/// marginal likelihood of all counts × weak N(0, 3²) priors on log a and log b); for each point
/// the dataset's pass@k is normal with the sum of the problems' posterior variances over P²; the
/// interval is the quantiles of that mixture, clipped to [0, 1]. Its coverage is measured on
/// synthetic counts with known truth and on the Pythia GSM8K counts (docs/bench.md).
///
/// **Allocation.** A problem is *settled* when the posterior standard deviation of its pass@k
/// (integrated over the grid like the interval) is below a fifth of what the target width allows
/// one problem on average. Solved-often problems (pass@k ≈ 1 whatever pᵢ) settle after a few
/// samples; problems with no success yet stay open until enough failures pin their pass@k near 0.
/// Each round levels the open problems' sample counts upward (fewest first); when every problem is
/// settled but the interval is still too wide (the prior itself is uncertain), all problems share
/// the round. The run stops when the interval is narrower than `precision` or the budget is spent.
///
/// **Unbiasedness.** The counts written are the samples drawn, nᵢ and cᵢ per problem. Because
/// which problem is sampled next depends only on outcomes already seen, the likelihood of the
/// counts is the same as for a fixed allocation, so likelihood fits (`t2 passk`'s beta-binomial
/// families) stay valid; per-problem c/n under a data-dependent n has a small sequential bias.
public struct AdaptiveAllocator: Sendable {
    public var settings: AdaptiveSettings
    public private(set) var prior: (a: Double, b: Double) = (0.5, 2)

    public init(settings: AdaptiveSettings) { self.settings = settings }

    /// Refits the prior to the counts (warm-started from the current one).
    public mutating func fitPrior(n: [Int], c: [Int]) {
        let used = n.indices.filter { n[$0] > 0 }
        guard !used.isEmpty else { return }
        let nn = used.map { Double(n[$0]) }
        let cc = used.map { Double(c[$0]) }
        let objective = ClosureObjective { x, g in
            let a = Foundation.exp(x[0])
            let b = Foundation.exp(x[1])
            var value = 0.0
            var ga = 0.0
            var gb = 0.0
            let dab = Special.digamma(a + b)
            let da = Special.digamma(a)
            let db = Special.digamma(b)
            let lb = Special.logBeta(a, b)
            for k in 0..<nn.count {
                let f = nn[k] - cc[k]
                value -= Special.logBeta(a + cc[k], b + f) - lb
                let dabn = Special.digamma(a + b + nn[k])
                ga -= Special.digamma(a + cc[k]) - dabn - da + dab
                gb -= Special.digamma(b + f) - dabn - db + dab
            }
            // Weak N(0, 3²) priors on log a, log b.
            value += 0.5 * (x[0] * x[0] + x[1] * x[1]) / 9
            g[0] = ga * a + x[0] / 9
            g[1] = gb * b + x[1] / 9
            return value
        }
        let start = [Foundation.log(prior.a), Foundation.log(prior.b)]
        let result = minimizeLBFGS(objective, from: start, options: LBFGSOptions(maxIterations: 200))
        if result.value.isFinite, result.x.allSatisfy({ $0.isFinite && abs($0) < 30 }) {
            prior = (Foundation.exp(result.x[0]), Foundation.exp(result.x[1]))
        }
    }

    /// Posterior mean and variance of 1 − (1 − p)^k for p ~ Beta(α, β).
    static func passAtK(alpha: Double, beta: Double, k: Double) -> (mean: Double, variance: Double) {
        let lb = Special.logBeta(alpha, beta)
        let m1 = Foundation.exp(Special.logBeta(alpha, beta + k) - lb)
        let m2 = Foundation.exp(Special.logBeta(alpha, beta + 2 * k) - lb)
        return (1 - m1, max(0, m2 - m1 * m1))
    }

    /// The grid of hyperparameters (log a, log b) the interval integrates over.
    static let grid: [(la: Double, lb: Double)] = {
        var g: [(Double, Double)] = []
        for i in 0..<20 {
            for j in 0..<20 {
                g.append((-6 + 9 * Double(i) / 19, -3 + 12 * Double(j) / 19))
            }
        }
        return g
    }()

    /// Posterior weights of the grid's hyperparameters given the counts (marginal beta-binomial
    /// likelihood × the N(0, 3²) priors on log a and log b), normalized; zero weights dropped.
    static func hyperWeights(n: [Int], c: [Int]) -> [(a: Double, b: Double, w: Double)] {
        var logs: [Double] = []
        for (la, lb) in grid {
            let a = Foundation.exp(la)
            let b = Foundation.exp(lb)
            let lbab = Special.logBeta(a, b)
            var l = -0.5 * (la * la + lb * lb) / 9
            for i in n.indices where n[i] > 0 {
                l += Special.logBeta(a + Double(c[i]), b + Double(n[i] - c[i])) - lbab
            }
            logs.append(l)
        }
        let top = logs.max() ?? 0
        var out: [(Double, Double, Double)] = []
        var total = 0.0
        for (k, (la, lb)) in grid.enumerated() {
            let w = Foundation.exp(logs[k] - top)
            if w > 1e-9 {
                out.append((Foundation.exp(la), Foundation.exp(lb), w))
                total += w
            }
        }
        return out.map { ($0.0, $0.1, $0.2 / total) }
    }

    /// The dataset's pass@k at the target k with its interval, from counts.
    ///
    /// The interval integrates over the prior's hyperparameters (a 20 × 20 grid of log a in
    /// [−6, 3] and log b in [−3, 9], weighted by their posterior), not just the fitted ones, so a
    /// thin or oddly shaped sample widens it: for each hyperparameter value the dataset's pass@k
    /// is normal with the sum of the problems' posterior variances, and the interval is the
    /// quantiles of that mixture.
    public func status(n: [Int], c: [Int], rounds: Int, stopReason: String) -> AdaptiveStatus {
        let k = Double(settings.targetK)
        let p = Double(max(1, n.count))
        var components: [(w: Double, mean: Double, sd: Double)] = []
        for h in Self.hyperWeights(n: n, c: c) {
            var mean = 0.0
            var variance = 0.0
            for i in n.indices {
                let (m, v) = Self.passAtK(alpha: h.a + Double(c[i]), beta: h.b + Double(n[i] - c[i]), k: k)
                mean += m
                variance += v
            }
            components.append((h.w, mean / p, variance.squareRoot() / p))
        }
        let estimate = components.reduce(0) { $0 + $1.w * $1.mean }
        let tail = (1 - settings.confidence) / 2
        func cdf(_ x: Double) -> Double {
            components.reduce(0) { acc, c in
                acc + c.w
                    * (c.sd > 0
                        ? 0.5 * Foundation.erfc(-(x - c.mean) / (c.sd * 2.0.squareRoot())) : (x >= c.mean ? 1 : 0))
            }
        }
        func quantile(_ q: Double) -> Double {
            var lo = -1.0
            var hi = 2.0
            for _ in 0..<60 {
                let mid = (lo + hi) / 2
                if cdf(mid) < q { lo = mid } else { hi = mid }
            }
            return (lo + hi) / 2
        }
        return AdaptiveStatus(
            targetK: settings.targetK,
            estimate: estimate,
            low: max(0, quantile(tail)),
            high: min(1, quantile(1 - tail)),
            samples: n.reduce(0, +),
            rounds: rounds,
            stopReason: stopReason
        )
    }

    /// The standard normal quantile (bisection on erfc; 1e-12 accurate).
    static func normalQuantile(_ q: Double) -> Double {
        var lo = -40.0
        var hi = 40.0
        for _ in 0..<100 {
            let mid = (lo + hi) / 2
            if 0.5 * Foundation.erfc(-mid / 2.0.squareRoot()) < q { lo = mid } else { hi = mid }
        }
        return (lo + hi) / 2
    }

    /// Which problems' pass@k is settled: its posterior standard deviation — integrated over the
    /// prior's hyperparameters, like the interval — is below a fifth of what the target width
    /// allows each of the P problems on average (the dataset's variance is the mean of theirs
    /// over P, so the width W at normal quantile z allows each an average variance of
    /// P·(W / 2z)²).
    func settled(n: [Int], c: [Int]) -> [Bool] {
        let k = Double(settings.targetK)
        let z = Self.normalQuantile(0.5 + settings.confidence / 2)
        let allowed = Double(n.count) * (settings.precision / (2 * z)) * (settings.precision / (2 * z))
        let weights = Self.hyperWeights(n: n, c: c)
        return n.indices.map { i in
            var first = 0.0
            var second = 0.0
            for h in weights {
                let (m, v) = Self.passAtK(alpha: h.a + Double(c[i]), beta: h.b + Double(n[i] - c[i]), k: k)
                first += h.w * m
                second += h.w * (v + m * m)
            }
            return second - first * first < allowed / 25
        }
    }

    /// How many more samples each problem gets in the next round: `size` samples spread evenly
    /// over the problems whose pass@k is not yet settled (fewest samples first), none beyond
    /// `cap[i]`. A problem solved often (pass@k ≈ 1 whatever its exact p) or failed so often that
    /// its pass@k is known to be ≈ 0 stops; the hard, uncertain ones share the rest. When every
    /// problem is settled but the interval is still too wide (the prior itself is uncertain), the
    /// samples go to all problems evenly.
    public func allocate(n: [Int], c: [Int], size: Int, cap: [Int]) -> [Int] {
        let done = settled(n: n, c: c)
        var open = n.indices.filter { n[$0] < cap[$0] && !done[$0] }
        if open.isEmpty { open = n.indices.filter { n[$0] < cap[$0] } }
        var extra = Array(repeating: 0, count: n.count)
        guard !open.isEmpty else { return extra }
        var left = size
        // Level the open problems' sample counts upward, lowest first.
        while left > 0 {
            let low = open.map { n[$0] + extra[$0] }.min()!
            var progressed = false
            for i in open where n[i] + extra[i] == low && n[i] + extra[i] < cap[i] && left > 0 {
                extra[i] += 1
                left -= 1
                progressed = true
            }
            if !progressed { break }
        }
        return extra
    }
}

/// The adaptive scheduler of a sampling run: rounds of allocation, each handed out to the
/// workers, the next computed when the round's samples are back.
final class AdaptiveScheduler: SampleScheduler, @unchecked Sendable {
    private struct State {
        var allocator: AdaptiveAllocator
        var n: [Int]
        var c: [Int]
        var done: [Set<Int>]
        /// Next sample index to try per problem.
        var cursor: [Int]
        var queue: [Int] = []
        var inFlight = 0
        var rounds = 0
        var stopped: String? = nil
        var waiters: [CheckedContinuation<(Int, Int)?, Never>] = []
    }
    private let state: Locked<State>
    private let settings: AdaptiveSettings

    init(settings: AdaptiveSettings, tally: SampleTally, done: [Set<Int>]) {
        self.settings = settings
        var allocator = AdaptiveAllocator(settings: settings)
        allocator.fitPrior(n: tally.n, c: tally.c)
        state = Locked(
            State(
                allocator: allocator,
                n: tally.n,
                c: tally.c,
                done: done,
                cursor: Array(repeating: 0, count: tally.n.count)
            )
        )
    }

    /// Plans the next round into `s.queue`, or sets `s.stopped`.
    private func plan(_ s: inout State) {
        let total = s.n.reduce(0, +)
        let caps = s.n.indices.map { _ in settings.maxPerProblem }
        if total >= settings.budget {
            s.stopped = "budget spent"
            return
        }
        var extra: [Int]
        let below = s.n.indices.filter { s.n[$0] < min(settings.minimum, caps[$0]) }
        if !below.isEmpty {
            // First every problem gets the minimum.
            extra = Array(repeating: 0, count: s.n.count)
            for i in below { extra[i] = min(settings.minimum, caps[i]) - s.n[i] }
        } else {
            s.allocator.fitPrior(n: s.n, c: s.c)
            let status = s.allocator.status(n: s.n, c: s.c, rounds: s.rounds, stopReason: "running")
            if status.width <= settings.precision {
                s.stopped = "precision reached"
                return
            }
            let size = settings.roundSize(problems: s.n.count, spent: total)
            extra = s.allocator.allocate(n: s.n, c: s.c, size: min(size, settings.budget - total), cap: caps)
        }
        // Never beyond the budget.
        var left = settings.budget - total
        for i in extra.indices where extra[i] > 0 {
            let take = min(extra[i], left)
            left -= take
            for _ in 0..<take { s.queue.append(i) }
        }
        if s.queue.isEmpty {
            s.stopped = "every problem at its cap"
        } else {
            s.rounds += 1
        }
    }

    /// The next unused sample index of problem i.
    private func take(_ i: Int, _ s: inout State) -> Int {
        while s.done[i].contains(s.cursor[i]) { s.cursor[i] += 1 }
        defer { s.cursor[i] += 1 }
        return s.cursor[i]
    }

    func next() async -> (Int, Int)? {
        await withCheckedContinuation { continuation in
            state.withLock { s in
                if s.stopped != nil {
                    continuation.resume(returning: nil)
                    return
                }
                if s.queue.isEmpty && s.inFlight == 0 { plan(&s) }
                if let i = s.queue.popLast() {
                    s.inFlight += 1
                    continuation.resume(returning: (i, take(i, &s)))
                } else if s.stopped != nil {
                    continuation.resume(returning: nil)
                } else {
                    s.waiters.append(continuation)  // the round's last samples are in flight
                }
            }
        }
    }

    private func settle(_ s: inout State) {
        s.inFlight -= 1
        guard s.queue.isEmpty, s.inFlight == 0, !s.waiters.isEmpty else { return }
        plan(&s)
        while !s.waiters.isEmpty {
            let w = s.waiters.removeLast()
            if let i = s.queue.popLast() {
                s.inFlight += 1
                w.resume(returning: (i, take(i, &s)))
            } else {
                w.resume(returning: nil)
            }
        }
    }

    func finished(problem: Int, sample: Int, correct: Bool) async {
        state.withLock { s in
            s.n[problem] += 1
            s.c[problem] += correct ? 1 : 0
            s.done[problem].insert(sample)
            settle(&s)
        }
    }

    func abandoned(problem: Int, sample: Int) async {
        state.withLock { s in
            // The sample index stays free for a later run; this run does not retry it.
            settle(&s)
            if s.queue.isEmpty && s.inFlight == 0 && s.waiters.isEmpty && s.stopped == nil {
                // Nothing waits; the next call of next() plans.
            }
        }
    }

    func status() async -> AdaptiveStatus? {
        state.withLock { s in
            s.allocator.fitPrior(n: s.n, c: s.c)
            return s.allocator.status(n: s.n, c: s.c, rounds: s.rounds, stopReason: s.stopped ?? "interrupted")
        }
    }
}

/// Adaptive against uniform allocation on recorded counts, each problem's recorded samples
/// drawn without replacement as a simulated server (`t2 sample simulate`).
public enum AdaptiveSimulation {
    /// One point of a run: samples spent and the interval of pass@k at the target k then.
    public struct Point: Sendable, Equatable {
        public var samples: Int
        public var estimate: Double
        public var low: Double
        public var high: Double
        public var width: Double { high - low }
    }

    /// A simulated server: problem i answers from its recorded n and c, without replacement,
    /// from a random stream of its own — so the j-th sample of problem i is the same whatever
    /// order the problems are sampled in, and uniform and adaptive runs with one seed see the same
    /// samples (common random numbers: their comparison is not blurred by different luck).
    struct Server {
        var left: [(n: Int, c: Int)]
        var rngs: [SeededGenerator]

        init(counts: [(n: Int, c: Int)], seed: UInt64) {
            left = counts
            rngs = counts.indices.map { SeededGenerator(seed: seed, stream: $0) }
        }

        mutating func draw(_ i: Int) -> Bool {
            let (n, c) = left[i]
            guard n > 0 else { return false }
            let correct = rngs[i].next() % UInt64(n) < UInt64(c)
            left[i] = (n - 1, c - (correct ? 1 : 0))
            return correct
        }
    }

    /// The full data's pass@k (the unbiased estimator, mean over problems): the truth the
    /// simulated runs estimate.
    public static func truth(counts: [(n: Int, c: Int)], k: Int) -> Double {
        var total = 0.0
        for (n, c) in counts {
            if n - c < k {
                total += 1
                continue
            }
            var product = 1.0
            for i in (n - c + 1)..<(n + 1) { product *= 1 - Double(k) / Double(i) }
            total += 1 - product
        }
        return total / Double(max(1, counts.count))
    }

    /// Uniform allocation: the interval after K samples per problem, for each K in `steps`.
    public static func uniform(
        counts: [(n: Int, c: Int)],
        steps: [Int],
        targetK: Int,
        confidence: Double = 0.9,
        stopAtWidth: Double? = nil,
        seed: UInt64
    ) -> [Point] {
        var server = Server(counts: counts, seed: seed)
        var n = Array(repeating: 0, count: counts.count)
        var c = Array(repeating: 0, count: counts.count)
        var allocator = AdaptiveAllocator(
            settings: AdaptiveSettings(budget: Int.max / 2, targetK: targetK, precision: 0, confidence: confidence)
        )
        var points: [Point] = []
        for k in steps.sorted() {
            for i in counts.indices {
                while n[i] < min(k, counts[i].n) {
                    n[i] += 1
                    c[i] += server.draw(i) ? 1 : 0
                }
            }
            allocator.fitPrior(n: n, c: c)
            let s = allocator.status(n: n, c: c, rounds: 0, stopReason: "")
            points.append(Point(samples: n.reduce(0, +), estimate: s.estimate, low: s.low, high: s.high))
            if let stopAtWidth, s.width <= stopAtWidth { break }
        }
        return points
    }

    /// Uniform against adaptive allocation on one group's recorded counts, over `seeds` simulated
    /// runs (run in parallel; seed s drives both strategies, so they see the same samples).
    public struct Comparison: Sendable {
        /// The full data's pass@k at the target k (what the runs estimate).
        public var truth: Double
        /// Per seed: uniform allocation's trajectory (K = 1, 1.2, 1.44, … samples per problem,
        /// until the width is reached) and adaptive allocation's (one point per round).
        public var uniform: [[Point]]
        public var adaptive: [[Point]]
        /// The width asked for.
        public var precision: Double

        /// Samples uniform allocation needed to reach the width, per seed (nil: not reached).
        public var uniformNeeded: [Int?] { uniform.map { $0.first { $0.width <= precision }?.samples } }
        /// Samples adaptive allocation needed, per seed (nil: not reached).
        public var adaptiveNeeded: [Int?] {
            adaptive.map { run in run.last.flatMap { $0.width <= precision ? $0.samples : nil } }
        }
        /// Runs whose interval, when it reached the width, held the truth: (uniform, adaptive).
        public var covered: (uniform: Int, adaptive: Int) {
            func holds(_ p: Point?) -> Bool { p.map { $0.low <= truth && truth <= $0.high } ?? false }
            return (
                uniform.filter { holds($0.first { $0.width <= precision }) }.count,
                adaptive.filter { run in holds(run.last.flatMap { $0.width <= precision ? $0 : nil }) }.count
            )
        }
    }

    /// Runs uniform and adaptive allocation on `counts` (each problem's recorded samples drawn
    /// without replacement as a simulated server) for seeds 0..<`seeds`, both to a
    /// `precision`-wide interval of pass@`targetK` at `confidence`. Adaptive allocation gets
    /// `minimum` samples per problem first and at most the smallest recorded n per problem; the
    /// budget is all the recorded samples.
    public static func compare(
        counts: [(n: Int, c: Int)],
        targetK: Int,
        precision: Double,
        confidence: Double = 0.9,
        minimum: Int,
        seeds: Int
    ) -> Comparison {
        let maxK = counts.map(\.n).min() ?? 1
        var steps: [Int] = []
        var k = 1.0
        while Int(k) <= maxK {
            if steps.last != Int(k) { steps.append(Int(k)) }
            k *= 1.2
        }
        let settings = AdaptiveSettings(
            budget: counts.reduce(0) { $0 + $1.n },
            targetK: targetK,
            precision: precision,
            confidence: confidence,
            minimum: minimum,
            maxPerProblem: maxK
        )
        let data = counts.map { Pair(n: $0.n, c: $0.c) }
        let steps0 = steps
        let runs = Parallel.map(seeds) { seed -> ([Point], [Point]) in
            let counts = data.map { (n: $0.n, c: $0.c) }
            let u = uniform(
                counts: counts,
                steps: steps0,
                targetK: targetK,
                confidence: confidence,
                stopAtWidth: precision,
                seed: UInt64(seed)
            )
            let a = adaptive(counts: counts, settings: settings, seed: UInt64(seed))
            return (u, a)
        }
        return Comparison(
            truth: truth(counts: counts, k: targetK),
            uniform: runs.map(\.0),
            adaptive: runs.map(\.1),
            precision: precision
        )
    }

    private struct Pair: Sendable {
        var n: Int
        var c: Int
    }

    /// Adaptive allocation until `settings.precision` or `settings.budget`: one point per round.
    public static func adaptive(counts: [(n: Int, c: Int)], settings: AdaptiveSettings, seed: UInt64) -> [Point] {
        var server = Server(counts: counts, seed: seed)
        var n = Array(repeating: 0, count: counts.count)
        var c = Array(repeating: 0, count: counts.count)
        var allocator = AdaptiveAllocator(settings: settings)
        let caps = counts.map { min($0.n, settings.maxPerProblem) }
        for i in counts.indices {
            while n[i] < min(settings.minimum, caps[i]) {
                n[i] += 1
                c[i] += server.draw(i) ? 1 : 0
            }
        }
        var points: [Point] = []
        while true {
            allocator.fitPrior(n: n, c: c)
            let s = allocator.status(n: n, c: c, rounds: points.count, stopReason: "")
            points.append(Point(samples: n.reduce(0, +), estimate: s.estimate, low: s.low, high: s.high))
            let spent = n.reduce(0, +)
            if s.width <= settings.precision || spent >= settings.budget {
                break
            }
            let size = min(settings.roundSize(problems: counts.count, spent: spent), settings.budget - spent)
            let extra = allocator.allocate(n: n, c: c, size: size, cap: caps)
            guard extra.contains(where: { $0 > 0 }) else { break }
            for i in extra.indices {
                for _ in 0..<extra[i] {
                    n[i] += 1
                    c[i] += server.draw(i) ? 1 : 0
                }
            }
        }
        return points
    }
}
