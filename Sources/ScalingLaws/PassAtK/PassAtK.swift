import Foundation
import RealModule

/// The unbiased pass@k estimator of Chen et al. (2021, arXiv 2107.03374):
///
///     pass@k = 1 − C(n − c, k) / C(n, k) = 1 − Π_{i = n−c+1}^{n} (1 − k/i)
///
/// for a problem with n samples of which c are correct. The product form has every factor in
/// [0, 1], so nothing overflows; t2 sums its logarithms (log1p) so that n in the millions stays
/// exact to ~1e-15. Unlike OpenAI's reference code, k > n is an error, never 1.0.
public enum PassAtK {
    /// pass@k for one problem; throws for k ≤ 0 or k > n.
    public static func estimate(samples n: Int, correct c: Int, k: Int) throws -> Double {
        guard k >= 1 else { throw CountsError.invalidK(k: k) }
        guard k <= n else {
            throw CountsError.kExceedsSamples(group: "", problem: "", line: 0, samples: n, k: k)
        }
        return unchecked(samples: n, correct: c, k: k)
    }

    /// pass@k for 1 ≤ k ≤ n (not checked).
    @inlinable
    public static func unchecked(samples n: Int, correct c: Int, k: Int) -> Double {
        if c == 0 { return 0 }
        if n - c < k { return 1 }
        // ln Π (1 − k/i) over i = n−c+1 … n. For very many factors use log-gamma:
        // C(n−c,k)/C(n,k) = Γ(n−c+1)Γ(n−k+1) / (Γ(n−c−k+1)Γ(n+1)).
        let kd = Double(k)
        if c > 100_000 {
            let nd = Double(n)
            let cd = Double(c)
            let logRatio =
                Double.logGamma(nd - cd + 1) + Double.logGamma(nd - kd + 1)
                - Double.logGamma(nd - cd - kd + 1) - Double.logGamma(nd + 1)
            return -Double.expMinusOne(logRatio)
        }
        var logProduct = 0.0
        var i = n - c + 1
        while i <= n {
            logProduct += Double.log(onePlus: -kd / Double(i))
            i += 1
        }
        return -Double.expMinusOne(logProduct)
    }

    /// Mean pass@k over a group's problems; throws naming the first problem with k > n.
    public static func mean(_ group: CountGroup, k: Int) throws -> Double {
        guard k >= 1 else { throw CountsError.invalidK(k: k) }
        guard !group.problems.isEmpty else { throw CountsError.emptyGroup(group: group.name) }
        var sum = 0.0
        for p in group.problems {
            guard k <= p.samples else {
                throw CountsError.kExceedsSamples(
                    group: group.name,
                    problem: p.problem,
                    line: p.line,
                    samples: p.samples,
                    k: k
                )
            }
            sum += unchecked(samples: p.samples, correct: p.correct, k: k)
        }
        return sum / Double(group.problems.count)
    }

    /// The default k: powers of 2 and of 10 up to `maximum` (the smallest n), sorted.
    public static func defaultKs(upTo maximum: Int) -> [Int] {
        var ks = Set<Int>()
        var p = 1
        while p <= maximum {
            ks.insert(p)
            p *= 2
        }
        p = 10
        while p <= maximum {
            ks.insert(p)
            p *= 10
        }
        if maximum >= 1 { ks.insert(1) }
        return ks.sorted()
    }

    /// The largest k whose pass@k a problem's own counts can speak for: n·(1 + ln n) for n samples.
    ///
    /// A problem with no correct sample in n draws has a success rate p anywhere in [0, ~1/n]
    /// (every such p gives the zero count a likelihood above e⁻¹), and over that range its pass@k
    /// runs from 0 to about 1 − e^(−k/n). Pooled over problems, the frequencies of the counts 1, 2, …
    /// extend the reach, as in the unseen-species problem that this one is (problems are the
    /// species, each round of samples a Bernoulli-product draw): Good & Toulmin (1956, Biometrika
    /// 43:45–63) forecast up to 2n, and Orlitsky, Suresh & Wu (2016, "Optimal prediction of the
    /// number of unseen species", PNAS 113:13283–13288) showed that no estimator reaches past
    /// order n·ln n. Past this horizon a forecast is as good as the tail its model assumes.
    public static func countsHorizon(samples n: Int) -> Double {
        guard n > 0 else { return 0 }
        let nd = Double(n)
        return nd * (1 + Double.log(nd))
    }

    /// The fewest samples per problem whose ``countsHorizon(samples:)`` reaches k: what to draw for
    /// pass@k to rest on the counts (k = 10⁴ needs 1,233; k = 1,000 needs 164).
    public static func samplesForHorizon(_ k: Int) -> Int {
        guard k > 1 else { return max(k, 0) }
        // countsHorizon grows with n and is at least n, so the answer lies in 1 … k.
        var (lo, hi) = (1, k)
        while lo < hi {
            let mid = lo + (hi - lo) / 2
            if countsHorizon(samples: mid) >= Double(k) { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }

    /// The share of `group`'s problems for which k lies past their ``countsHorizon(samples:)``.
    public static func shareBeyondHorizon(_ group: CountGroup, k: Int) -> Double {
        guard !group.problems.isEmpty else { return 0 }
        let beyond = group.problems.reduce(0) { $0 + (Double(k) > countsHorizon(samples: $1.samples) ? 1 : 0) }
        return Double(beyond) / Double(group.problems.count)
    }

    /// The note `t2 passk` prints when forecasts reach past the counts' horizon for at least half
    /// of their group's problems: `groups` of the `forecast` groups at `k` (the largest such k),
    /// with `samples` the median samples per problem of the marked groups.
    public static func horizonNote(groups: Int, forecast: Int, k: Int, samples: Int) -> String {
        let horizon = Int(countsHorizon(samples: samples).rounded())
        return """
            pass@\(k) is past the counts' horizon for \(groups) of \(forecast) forecast group(s) (marked *): \
            with n samples per problem no method forecasts pass@k beyond about n(1 + ln n) from the \
            counts alone (n = \(samples): \(horizon); Orlitsky, Suresh & Wu 2016, PNAS 113:13283, the \
            unseen-species bound). There the forecast and its interval hold only as far as the family's \
            tail does: problems no sample solved may be unsolvable (truth lower) or merely hard (truth \
            higher), and the counts cannot tell which (docs/test-time-scaling.md, "The counts' \
            horizon"). pass@\(k) rests on the counts from about \(samplesForHorizon(k)) samples per problem
            """
    }
}
