import Foundation
import Optimization
import ScalingLaws

/// Percentile intervals of a plan over bootstrap replicates of its law (JSON `plan.intervals`).
///
/// Each replicate law is planned with the same budget, search range and options as the point
/// plan: `params`, `tokens`, `tokens_per_param`, `k` and `cost` are the intervals of the
/// replicates' own optimal plans (for a target, of the cheapest plan reaching it), so they show
/// how far the recommendation itself moves with the law's uncertainty. `metric` is the interval of
/// what the replicate laws predict for the recommended plan (pass@k, or the task loss for a
/// chinchilla law): how sure the law is about what that plan will score. In dollars the replicates
/// keep the quantization the plan chose (``DollarPricing/restricted(to:)``); hardware stays free.
public struct PlanIntervals: Sendable, Equatable, Codable {
    /// Two-sided coverage of every interval, e.g. 0.9 for the 5th–95th percentiles.
    public var confidence: Double
    /// Replicates planned.
    public var replicates: Int
    /// Replicates that could not be planned (an unplannable law, or no plan in the search range).
    public var skipped: Int
    /// N* as `[low, high]`.
    public var params: [Double]
    /// D* as `[low, high]`.
    public var tokens: [Double]
    /// D*/N* as `[low, high]`.
    public var tokensPerParam: [Double]
    /// k* (integer samples per query) as `[low, high]`.
    public var k: [Double]
    /// The replicate laws' prediction for the recommended plan, `[low, high]`.
    public var metric: [Double]
    /// What `metric` is: `pass_at_k` or `task_loss`.
    public var metricKind: String
    /// The replicates' plans' total cost in the budget's unit (FLOPs or dollars), `[low, high]`.
    public var cost: [Double]

    public init(
        confidence: Double,
        replicates: Int,
        skipped: Int,
        params: [Double],
        tokens: [Double],
        tokensPerParam: [Double],
        k: [Double],
        metric: [Double],
        metricKind: String,
        cost: [Double]
    ) {
        self.confidence = confidence
        self.replicates = replicates
        self.skipped = skipped
        self.params = params
        self.tokens = tokens
        self.tokensPerParam = tokensPerParam
        self.k = k
        self.metric = metric
        self.metricKind = metricKind
        self.cost = cost
    }

    enum CodingKeys: String, CodingKey {
        case confidence
        case replicates
        case skipped
        case params
        case tokens
        case tokensPerParam = "tokens_per_param"
        case k
        case metric
        case metricKind = "metric_kind"
        case cost
    }
}

extension Planner {
    /// This planner with `law` in place of its own (same bounds, range, data repetition and
    /// options); the Chinchilla allocation follows a chinchilla-form law.
    public func replacingLaw(_ law: ScalingLaw) throws -> Planner {
        var p = self
        var planning = try PlanningLaw(law)
        if case let .chinchilla(l) = law { p.chinchillaAllocation = l }
        if let r = self.law.repetition {
            planning.repetition = DataRepetition(
                uniqueTokens: r.uniqueTokens,
                allocation: p.chinchillaAllocation,
                tokensDecay: r.tokensDecay,
                paramsDecay: r.paramsDecay
            )
        }
        p.law = planning
        return p
    }

    /// Re-plans under each replicate law (in parallel) and returns percentile intervals at
    /// `confidence` around `point`, the plan made with the fitted law; nil when fewer than two
    /// replicates can be planned. With a `target` each replicate finds its own cheapest plan.
    public func intervals(
        around point: Plan,
        replicates: [ScalingLaw],
        budget: PlanBudget,
        target: PlanTarget? = nil,
        pricing: DollarPricing? = nil,
        confidence: Double = 0.9
    ) -> PlanIntervals? {
        let shift = point.serving?.lossPenalty ?? 0
        let results: [(plan: Plan, metric: Double)?] = Parallel.map(replicates.count, block: 4) { i in
            guard let planner = try? self.replacingLaw(replicates[i]) else { return nil }
            let plan: Plan?
            if let target {
                plan = try? planner.cheapestPlan(reaching: target, budget: budget, pricing: pricing)
            } else {
                plan = try? planner.optimalPlan(budget, pricing: pricing)
            }
            guard let plan else { return nil }
            let predicted = planner.law.predict(
                params: point.params,
                tokens: point.tokens,
                samples: Double(point.samples),
                shift: shift
            )
            return (plan, predicted.passAtK ?? predicted.taskLoss)
        }
        let planned = results.compactMap { $0 }
        guard planned.count >= 2 else { return nil }
        func interval(_ values: [Double]) -> [Double] {
            guard let r = Bootstrap.percentileInterval(values, confidence: confidence) else { return [.nan, .nan] }
            return [r.lowerBound, r.upperBound]
        }
        return PlanIntervals(
            confidence: confidence,
            replicates: planned.count,
            skipped: replicates.count - planned.count,
            params: interval(planned.map(\.plan.params)),
            tokens: interval(planned.map(\.plan.tokens)),
            tokensPerParam: interval(planned.map(\.plan.tokensPerParam)),
            k: interval(planned.map { Double($0.plan.samples) }),
            metric: interval(planned.map(\.metric)),
            metricKind: law.predictsAccuracy ? "pass_at_k" : "task_loss",
            cost: interval(planned.map(\.plan.totalCost))
        )
    }
}
