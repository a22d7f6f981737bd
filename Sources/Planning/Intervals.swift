import Foundation
import Optimization
import ScalingLaws

/// Percentile intervals on the optimal plan across bootstrap replicates of the law.
public struct PlanIntervals: Sendable, Equatable, Codable {
    /// A [lower, upper] interval.
    public struct Interval: Sendable, Equatable, Codable {
        public var lower: Double
        public var upper: Double
    }
    /// Coverage, e.g. 0.95 for the 2.5th–97.5th percentiles.
    public var level: Double
    public var params: Interval
    public var tokens: Interval
    public var tokensPerParam: Interval
    public var samples: Interval
    /// Replicates planned.
    public var replicates: Int
    /// Replicates skipped because they could not be planned with (e.g. a rising accuracy link).
    public var skipped: Int

    enum CodingKeys: String, CodingKey {
        case level, params, tokens
        case tokensPerParam = "tokens_per_param"
        case samples, replicates, skipped
    }
}

extension Planner {
    /// Re-plans `budget` under each bootstrap replicate (law parameters from `t2 fit --bootstrap`)
    /// and returns percentile intervals on N, D, D/N and k. Nil when no replicate can be planned.
    public func intervals(
        replicates: [[String: Double]],
        form: String,
        budget: PlanBudget,
        pricing: DollarPricing? = nil,
        level: Double = 0.95
    ) -> PlanIntervals? {
        var n: [Double] = []
        var d: [Double] = []
        var r: [Double] = []
        var k: [Double] = []
        var skipped = 0
        for parameters in replicates {
            do {
                let law = try PlanningLaw(
                    file: LawFile(form: form, parameters: parameters),
                    source: "bootstrap replicate"
                )
                var planner = self
                planner.law = law
                let p = try planner.plan(budget, pricing: pricing).plan
                n.append(p.params)
                d.append(p.tokens)
                r.append(p.tokensPerParam)
                k.append(Double(p.samples))
            } catch {
                skipped += 1
            }
        }
        guard !n.isEmpty else { return nil }
        let lo = (1 - level) / 2
        let hi = 1 - lo
        func interval(_ values: [Double]) -> PlanIntervals.Interval {
            let v = values.sorted()
            return PlanIntervals.Interval(lower: Bootstrap.quantile(v, lo), upper: Bootstrap.quantile(v, hi))
        }
        return PlanIntervals(
            level: level,
            params: interval(n),
            tokens: interval(d),
            tokensPerParam: interval(r),
            samples: interval(k),
            replicates: n.count,
            skipped: skipped
        )
    }
}
