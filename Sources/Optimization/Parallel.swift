import Dispatch
import Foundation
import Synchronization

/// Work spread over all cores with results that do not depend on the number of threads.
///
/// Every parallel loop in t2 goes through here: items are handed to workers in small blocks (a
/// fit's cost can vary tenfold from one start to the next, so a static split would idle a core)
/// and each result is written to its own index.
public enum Parallel {
    /// The number of worker threads used when none is given: the active processor count.
    public static var defaultThreads: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// `body(i)` for every `i` in `0..<count`, on up to `threads` threads, in index order.
    public static func map<T: Sendable>(
        _ count: Int,
        threads: Int? = nil,
        block: Int = 1,
        _ body: @Sendable (Int) -> T
    ) -> [T] {
        guard count > 0 else { return [] }
        let workers = max(1, min(threads ?? defaultThreads, count))
        if workers == 1 { return (0..<count).map(body) }
        let results = Mutex<[Int: T]>([:])
        let next = Atomic<Int>(0)
        let blockSize = max(1, block)
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            var local: [(Int, T)] = []
            while true {
                let start = next.wrappingAdd(blockSize, ordering: .relaxed).oldValue
                if start >= count { break }
                for i in start..<min(start + blockSize, count) { local.append((i, body(i))) }
            }
            results.withLock { all in for (i, value) in local { all[i] = value } }
        }
        return results.withLock { all in (0..<count).map { all[$0]! } }
    }
}

/// The bootstrap, done one way everywhere: replicate `r` draws from its own seeded stream
/// (`SeededGenerator(seed:stream: r)`), so replicates are the same whatever the thread count,
/// and resampling is expressed as multiplicity weights over the units being resampled (runs,
/// problems, models) — a unit drawn twice counts twice.
public enum Bootstrap {
    /// How many times each of `n` units is drawn when `n` draws are made with replacement.
    public static func multiplicities(_ n: Int, using rng: inout SeededGenerator) -> [Double] {
        var weights = [Double](repeating: 0, count: n)
        guard n > 0 else { return weights }
        for _ in 0..<n { weights[Int.random(in: 0..<n, using: &rng)] += 1 }
        return weights
    }

    /// `replicates` bootstrap replicates in parallel: `body(r, &rng)` with `rng` seeded for
    /// replicate `r`; a replicate that returns nil (a refit that failed) is dropped.
    public static func replicates<T: Sendable>(
        _ replicates: Int,
        seed: UInt64,
        threads: Int? = nil,
        _ body: @Sendable (Int, inout SeededGenerator) -> T?
    ) -> [T] {
        Parallel.map(replicates, threads: threads) { r in
            var rng = SeededGenerator(seed: seed, stream: r)
            return body(r, &rng)
        }.compactMap { $0 }
    }

    /// The `q`-quantile (0…1) of `sorted` by linear interpolation between order statistics
    /// (type 7, as numpy's default); NaN for an empty array.
    public static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        let position = q * Double(sorted.count - 1)
        let low = Int(position.rounded(.down))
        let high = min(low + 1, sorted.count - 1)
        return sorted[low] + (position - Double(low)) * (sorted[high] - sorted[low])
    }

    /// The central `confidence` percentile interval of the finite `values`; nil when fewer than
    /// two are finite.
    public static func percentileInterval(_ values: [Double], confidence: Double) -> ClosedRange<Double>? {
        let sorted = values.filter(\.isFinite).sorted()
        guard sorted.count >= 2 else { return nil }
        let tail = (1 - confidence) / 2
        return quantile(sorted, tail)...quantile(sorted, 1 - tail)
    }
}
