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
/// **Model.** Each problem's success probability pᵢ is drawn from a Beta(a, b) fitted to all the
/// problems' counts by maximum marginal (beta-binomial) likelihood — the empirical-Bayes prior,
/// with a weak N(0, 3²) prior on log a and log b so that a dataset with no success yet still has
/// a proper fit. Given nᵢ samples with cᵢ correct, pᵢ ~ Beta(a + cᵢ, b + nᵢ − cᵢ) and problem i's
/// pass@k is 1 − (1 − pᵢ)^k, with posterior mean 1 − B(α, β + k)/B(α, β) and variance
/// B(α, β + 2k)/B(α, β) − (B(α, β + k)/B(α, β))². The dataset's pass@k is the mean over
/// problems; its interval is the mean ± z·√(Σ varᵢ)/P (normal approximation), clipped to [0, 1].
///
/// **Allocation.** One more sample of problem i is expected to lower varᵢ by
/// Δᵢ = varᵢ − E_y[varᵢ | y] (y the sample's outcome, predicted from the posterior; by the law
/// of total variance Δᵢ is the variance of the posterior mean over y, never negative). Each
/// round hands out samples greedily by Δᵢ, updating the chosen problem with the predicted
/// outcome's fractional count so a round spreads over problems. At large k, pass@k is decided by
/// the hard problems, so problems with no success yet and a wide posterior near zero get most of
/// the samples, and problems solved often (pass@k ≈ 1 whatever pᵢ) stop early. After each round
/// the prior is refitted and the run stops when the interval is narrower than `precision`, or the
/// budget is spent.
///
/// **Unbiasedness.** The counts written are the samples drawn, nᵢ and cᵢ per problem. Because
/// which problem is sampled next depends only on outcomes already seen, the likelihood of the
/// counts is the same as for a fixed allocation, so likelihood fits (`t2 passk`'s beta-binomial
/// families) stay valid; per-problem c/n under a data-dependent n has a small sequential bias
/// (docs/bench.md reports it on the Pythia counts).
public struct AdaptiveAllocator: Sendable {
    public var settings: AdaptiveSettings
    public private(set) var prior: (a: Double, b: Double) = (0.5, 2)

    public init(settings: AdaptiveSettings) { self.settings = settings }

    var z: Double {
        // Two-sided normal quantile for the confidence (Acklam-free: a short table is enough).
        let c = settings.confidence
        if c >= 0.99 { return 2.5758 }
        if c >= 0.95 { return 1.9600 }
        if c >= 0.9 { return 1.6449 }
        if c >= 0.8 { return 1.2816 }
        return 1.0
    }

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

    /// The dataset's pass@k at the target k with its interval, from counts.
    public func status(n: [Int], c: [Int], rounds: Int, stopReason: String) -> AdaptiveStatus {
        let k = Double(settings.targetK)
        var mean = 0.0
        var variance = 0.0
        for i in n.indices {
            let (m, v) = Self.passAtK(
                alpha: prior.a + Double(c[i]),
                beta: prior.b + Double(n[i] - c[i]),
                k: k
            )
            mean += m
            variance += v
        }
        let p = Double(max(1, n.count))
        mean /= p
        let half = z * variance.squareRoot() / p
        return AdaptiveStatus(
            targetK: settings.targetK,
            estimate: mean,
            low: max(0, mean - half),
            high: min(1, mean + half),
            samples: n.reduce(0, +),
            rounds: rounds,
            stopReason: stopReason
        )
    }

    /// Expected reduction of problem i's pass@k variance from one more sample.
    static func gain(alpha: Double, beta: Double, k: Double) -> Double {
        let now = passAtK(alpha: alpha, beta: beta, k: k).variance
        let q = alpha / (alpha + beta)
        let success = passAtK(alpha: alpha + 1, beta: beta, k: k).variance
        let failure = passAtK(alpha: alpha, beta: beta + 1, k: k).variance
        return max(0, now - (q * success + (1 - q) * failure))
    }

    /// How many more samples each problem gets in the next round: `size` samples, greedily by
    /// expected variance reduction, none beyond `cap[i]`.
    public func allocate(n: [Int], c: [Int], size: Int, cap: [Int]) -> [Int] {
        let k = Double(settings.targetK)
        var alpha = n.indices.map { prior.a + Double(c[$0]) }
        var beta = n.indices.map { prior.b + Double(n[$0] - c[$0]) }
        var extra = Array(repeating: 0, count: n.count)
        var gains = n.indices.map { n[$0] < cap[$0] ? Self.gain(alpha: alpha[$0], beta: beta[$0], k: k) : -1 }
        for _ in 0..<size {
            guard let best = gains.indices.max(by: { gains[$0] < gains[$1] }), gains[best] >= 0 else { break }
            extra[best] += 1
            let q = alpha[best] / (alpha[best] + beta[best])
            alpha[best] += q
            beta[best] += 1 - q
            gains[best] =
                n[best] + extra[best] < cap[best] ? Self.gain(alpha: alpha[best], beta: beta[best], k: k) : -1
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

    /// A simulated server: problem i answers from its recorded n and c, without replacement.
    struct Server {
        var left: [(n: Int, c: Int)]
        var rng: SeededGenerator

        mutating func draw(_ i: Int) -> Bool {
            let (n, c) = left[i]
            guard n > 0 else { return false }
            let correct = Double(rng.next() % UInt64(n)) < Double(c)
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
        seed: UInt64
    ) -> [Point] {
        var server = Server(left: counts, rng: SeededGenerator(seed: seed))
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
        }
        return points
    }

    /// Adaptive allocation until `settings.precision` or `settings.budget`: one point per round.
    public static func adaptive(counts: [(n: Int, c: Int)], settings: AdaptiveSettings, seed: UInt64) -> [Point] {
        var server = Server(left: counts, rng: SeededGenerator(seed: seed))
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
            if s.width <= settings.precision || spent >= settings.budget { break }
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
