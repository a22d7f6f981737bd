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
}
