import Foundation
import Optimization

/// How open-loop arrivals are spaced.
public enum ArrivalProcess: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// Evenly spaced: one arrival every 1/rate seconds.
    case constant
    /// Poisson: exponential gaps with mean 1/rate.
    case poisson
    /// Gamma-distributed gaps with mean 1/rate and shape `burstiness` (vLLM's `--burstiness`):
    /// 1 is Poisson; below 1 arrivals come in bursts (coefficient of variation 1/√burstiness);
    /// above 1 they are more even than Poisson.
    case gamma(burstiness: Double)

    public var description: String {
        switch self {
        case .constant: return "constant"
        case .poisson: return "poisson"
        case .gamma(let b): return "gamma(burstiness \(b))"
        }
    }

    /// The name written in reports: `constant`, `poisson` or `gamma`.
    public var name: String {
        switch self {
        case .constant: return "constant"
        case .poisson: return "poisson"
        case .gamma: return "gamma"
        }
    }

    /// One gap of a unit-rate process (mean 1).
    func unitGap(_ rng: inout SeededGenerator) -> Double {
        switch self {
        case .constant: return 1
        case .poisson: return -Foundation.log(1 - rng.nextUniform())
        case .gamma(let shape): return Self.gamma(shape: shape, &rng) / shape
        }
    }

    /// A Gamma(shape, 1) variate (Marsaglia & Tsang 2000; shape < 1 by the boost
    /// Gamma(shape) = Gamma(shape + 1)·U^(1/shape)).
    static func gamma(shape: Double, _ rng: inout SeededGenerator) -> Double {
        if shape < 1 {
            let u = max(rng.nextUniform(), .leastNonzeroMagnitude)
            return gamma(shape: shape + 1, &rng) * Foundation.pow(u, 1 / shape)
        }
        let d = shape - 1.0 / 3
        let c = 1 / (9 * d).squareRoot()
        while true {
            var x: Double
            var v: Double
            repeat {
                x = rng.nextNormal()
                v = 1 + c * x
            } while v <= 0
            v = v * v * v
            let u = rng.nextUniform()
            if u < 1 - 0.0331 * x * x * x * x { return d * v }
            if Foundation.log(max(u, .leastNonzeroMagnitude)) < 0.5 * x * x + d * (1 - v + Foundation.log(v)) {
                return d * v
            }
        }
    }
}

/// An open-loop load: arrivals at a rate (optionally ramping linearly), spaced by an arrival
/// process, optionally capped in concurrency.
public struct RateLoad: Sendable, Equatable, Hashable {
    /// Requests per second (at the start of a ramp).
    public var rate: Double
    /// The rate at the end of a ramp (nil: no ramp).
    public var endRate: Double?
    /// Length of the ramp, seconds (the rate stays at `endRate` after it).
    public var rampSeconds: Double?
    public var arrivals: ArrivalProcess
    /// At most this many requests in flight; arrivals beyond it wait (visible as client queue time).
    public var maxConcurrency: Int?

    public init(
        rate: Double,
        arrivals: ArrivalProcess = .constant,
        endRate: Double? = nil,
        rampSeconds: Double? = nil,
        maxConcurrency: Int? = nil
    ) {
        self.rate = rate
        self.arrivals = arrivals
        self.endRate = endRate
        self.rampSeconds = rampSeconds
        self.maxConcurrency = maxConcurrency
    }

    /// The expected number of arrivals by time t (seconds): Λ(t) = ∫₀ᵗ λ(s) ds.
    public func expectedArrivals(by t: Double) -> Double {
        guard let end = endRate, let ramp = rampSeconds, ramp > 0 else { return rate * t }
        let s = min(t, ramp)
        let ramped = rate * s + (end - rate) * s * s / (2 * ramp)
        return ramped + (t > ramp ? end * (t - ramp) : 0)
    }

    /// The time (seconds) at which Λ(t) = `arrivals`: the inverse of ``expectedArrivals(by:)``, so
    /// arrivals of a unit-rate process map to arrivals of this (possibly ramping) rate.
    public func time(ofArrivals arrivals: Double) -> Double {
        guard let end = endRate, let ramp = rampSeconds, ramp > 0 else { return arrivals / rate }
        let atRampEnd = (rate + end) / 2 * ramp
        if arrivals >= atRampEnd { return ramp + (arrivals - atRampEnd) / end }
        let a = (end - rate) / (2 * ramp)
        if abs(a) < 1e-15 { return arrivals / rate }
        // a t² + rate t − arrivals = 0, the root in [0, ramp] (stable form).
        let disc = max(0, rate * rate + 4 * a * arrivals)
        return 2 * arrivals / (rate + disc.squareRoot())
    }
}

extension Shard {
    /// Shard `shard`'s part of `total` (parts differ by at most one and add up to `total`).
    public static func split(_ total: Int, _ shard: Shard) -> Int {
        total / shard.count + (shard.index < total % shard.count ? 1 : 0)
    }
}

/// How requests are issued during one load level.
public enum LoadPattern: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// Closed loop: `n` workers, each sending its next request as soon as the previous one ends.
    case concurrency(Int)
    /// Open loop: arrivals at a rate, whatever the server's speed.
    case rate(RateLoad)

    /// Open loop at `rate`, evenly spaced or Poisson.
    public static func rate(_ rate: Double, poisson: Bool) -> LoadPattern {
        .rate(RateLoad(rate: rate, arrivals: poisson ? .poisson : .constant))
    }

    public var description: String {
        switch self {
        case .concurrency(let n): return "concurrency=\(n)"
        case .rate(let r):
            var s = "rate=\(Self.number(r.rate))"
            if let end = r.endRate, let ramp = r.rampSeconds {
                s += "→\(Self.number(end))/s over \(Self.number(ramp))s"
            } else {
                s += "/s"
            }
            switch r.arrivals {
            case .constant: break
            case .poisson: s += " poisson"
            case .gamma(let b): s += " gamma(\(Self.number(b)))"
            }
            if let cap = r.maxConcurrency { s += " max-concurrency=\(cap)" }
            return s
        }
    }

    static func number(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(format: "%.1f", v) : String(v)
    }

    /// The closed-loop concurrency, if this is a closed loop.
    public var concurrency: Int? {
        if case .concurrency(let n) = self { return n }
        return nil
    }

    /// The open-loop load, if this is an open loop.
    public var rateLoad: RateLoad? {
        if case .rate(let r) = self { return r }
        return nil
    }
}

/// When a load level stops issuing requests (in-flight requests then finish, bounded by the
/// request timeouts). At least one of the two must be set.
public struct StopCondition: Sendable, Equatable {
    /// Work items (requests, conversations or queries) in the whole level, over all shards.
    public var requests: Int?
    public var durationSeconds: Double?

    public init(requests: Int? = nil, durationSeconds: Double? = nil) {
        self.requests = requests
        self.durationSeconds = durationSeconds
    }
}
