import Foundation

/// Why a plan sits where it does when a constraint, not the law's trade-off, decided it.
public enum PlanBoundary: String, Sendable, Codable, CaseIterable {
    /// The law has no test-time term (Chinchilla), so more samples never help: k = 1.
    case noSamplesTerm = "no_samples_term"
    /// Inference is not part of the budget (C_inf = 0 or Q·T = 0), so k = 1 and N, D are Chinchilla's.
    case inferenceNotBudgeted = "inference_not_budgeted"
    /// The optimum wants fewer than one sample per query: k = 1 is binding.
    case singleSample = "single_sample"
    /// N is the largest model the serving hardware's memory holds.
    case largestServableModel = "largest_servable_model"
    /// N is the smallest model the planner considers (`Planner.minParams`).
    case smallestModel = "smallest_model"
    /// N is the largest model the planner considers (`Planner.maxParams`).
    case largestModel = "largest_model"
    /// D is down to `Planner.minTokensPerParam` tokens per parameter.
    case fewestTokens = "fewest_tokens"
    /// k is at `Planner.maxSamples`, the edge of the range the laws are fitted on.
    case mostSamples = "most_samples"
    /// (Chinchilla plan) one sample of this model already costs more than the inference budget.
    case overInferenceBudget = "over_inference_budget"
    /// D is the most training tokens available (`Planner.maxTokens`, `--max-train-tokens`); the
    /// budget may not be spent in full.
    case mostTokens = "most_tokens"
    /// D is at the most tokens per parameter considered (the search range's D/N bound).
    case mostTokensPerParam = "most_tokens_per_param"
    /// The plan sits on an edge of the search range (the law's fitted range widened by the
    /// stated factor): the law would go further; the unconstrained optimum is reported beside it.
    case fittedRangeEdge = "fitted_range_edge"

    /// A sentence for the report.
    public var explanation: String {
        switch self {
        case .noSamplesTerm: return "the law has no samples term, so k = 1"
        case .inferenceNotBudgeted: return "inference is not in the budget, so k = 1 (the Chinchilla problem)"
        case .singleSample:
            return "k = 1 is binding: the budget affords no more than one sample per query at the optimum"
        case .largestServableModel: return "N is the largest model the serving hardware's memory holds"
        case .smallestModel: return "N is the smallest model considered; the law would go smaller"
        case .largestModel:
            return
                "N is at the largest model the planner considers (1e13 parameters): the law's optimum lies beyond it, so this plan can score worse than an unbounded one such as Chinchilla's"
        case .fewestTokens: return "D is down to the minimum tokens per parameter"
        case .mostSamples: return "k is at the most samples considered (--max-samples); beyond it the law extrapolates"
        case .overInferenceBudget: return "one sample of this model costs more than the inference budget allows"
        case .mostTokens:
            return
                "D is all the training data available (--max-train-tokens): more data would lower the loss; the rest of the budget goes to N and k as far as they help"
        case .mostTokensPerParam: return "D/N is at the most tokens per parameter considered"
        case .fittedRangeEdge:
            return
                "the plan sits on the edge of the search range (the law's fitted range widened by the stated factor); the law would go further, into data it was not fitted on (see the unconstrained optimum; --allow-extrapolation searches there)"
        }
    }
}

/// One plan: what to train, how to sample, what it costs and what the law predicts.
public struct Plan: Sendable, Equatable, Codable {
    /// Parameters N.
    public var params: Double
    /// Training tokens D.
    public var tokens: Double
    /// Samples per query k (integer ≥ 1).
    public var samples: Int
    /// The continuous optimum of k before rounding (nil when k is fixed at 1 by the problem).
    public var samplesContinuous: Double?
    /// The law's prediction at (N, D, k).
    public var predicted: Prediction
    /// Training FLOPs 6·N·D.
    public var trainFLOPs: Double
    /// Inference FLOPs: 2·N·k per query token in the separate mode; 2·N·(k·T + P)·Q over the lifetime otherwise.
    public var inferenceFLOPs: Double
    /// FLOPs per query, 2·N·(k·T + P) (nil in the separate mode, which has no T).
    public var flopsPerQuery: Double?
    /// Training dollars (dollar mode).
    public var trainUSD: Double?
    /// Inference dollars over the lifetime (dollar mode).
    public var inferenceUSD: Double?
    /// Dollars per query: k·T·$/output token + P·$/input token (dollar mode).
    public var usdPerQuery: Double?
    /// Dollars per million output tokens on the chosen serving option (dollar mode).
    public var usdPerMillionOutputTokens: Double?
    /// Dollars per million input tokens on the chosen serving option (dollar mode).
    public var usdPerMillionInputTokens: Double?
    /// Total spend in the budget's unit (FLOPs or dollars; in the separate mode the training FLOPs).
    public var totalCost: Double
    /// The serving option (dollar mode).
    public var serving: ServingOption?
    /// Constraints that decided the plan.
    public var boundaries: [PlanBoundary]
    /// Unique training tokens U, when the plan prices repeated data (`--unique-tokens`).
    public var uniqueTokens: Double?
    /// Epochs over the unique data, D/U.
    public var epochs: Double?
    /// The data the law is evaluated at, D′ (Muennighoff et al. 2023; D′ = D for one epoch or less).
    public var effectiveTokens: Double?
    /// The parameters the law is evaluated at, N′ (below N only for models larger than U tokens
    /// can use, N > N_opt(U)).
    public var effectiveParams: Double?
    /// Whether (N, D) lies inside the search range: the law's fitted range widened by the stated
    /// factor (nil when the law carries no fitted range).
    public var inFittedRange: Bool?
    /// Bootstrap intervals of the plan over the law's replicates (the recommended plan only).
    public var intervals: PlanIntervals?

    /// D / N.
    public var tokensPerParam: Double { tokens / params }

    public init(
        params: Double,
        tokens: Double,
        samples: Int,
        samplesContinuous: Double?,
        predicted: Prediction,
        trainFLOPs: Double,
        inferenceFLOPs: Double,
        flopsPerQuery: Double?,
        totalCost: Double,
        boundaries: [PlanBoundary]
    ) {
        self.params = params
        self.tokens = tokens
        self.samples = samples
        self.samplesContinuous = samplesContinuous
        self.predicted = predicted
        self.trainFLOPs = trainFLOPs
        self.inferenceFLOPs = inferenceFLOPs
        self.flopsPerQuery = flopsPerQuery
        self.totalCost = totalCost
        self.boundaries = boundaries
    }

    enum CodingKeys: String, CodingKey {
        case params, tokens
        case tokensPerParam = "tokens_per_param"
        case samples
        case samplesContinuous = "samples_continuous"
        case predicted
        case trainFLOPs = "train_flops"
        case inferenceFLOPs = "inference_flops"
        case flopsPerQuery = "flops_per_query"
        case trainUSD = "train_usd"
        case inferenceUSD = "inference_usd"
        case usdPerQuery = "usd_per_query"
        case usdPerMillionOutputTokens = "usd_per_million_output_tokens"
        case usdPerMillionInputTokens = "usd_per_million_input_tokens"
        case totalCost = "total_cost"
        case serving, boundaries
        case uniqueTokens = "unique_tokens"
        case epochs
        case effectiveTokens = "effective_tokens"
        case effectiveParams = "effective_params"
        case inFittedRange = "in_fitted_range"
        case intervals
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(params, forKey: .params)
        try c.encode(tokens, forKey: .tokens)
        try c.encode(tokensPerParam, forKey: .tokensPerParam)
        try c.encode(samples, forKey: .samples)
        try c.encodeIfPresent(samplesContinuous, forKey: .samplesContinuous)
        try c.encode(predicted, forKey: .predicted)
        try c.encode(trainFLOPs, forKey: .trainFLOPs)
        try c.encode(inferenceFLOPs, forKey: .inferenceFLOPs)
        try c.encodeIfPresent(flopsPerQuery, forKey: .flopsPerQuery)
        try c.encodeIfPresent(trainUSD, forKey: .trainUSD)
        try c.encodeIfPresent(inferenceUSD, forKey: .inferenceUSD)
        try c.encodeIfPresent(usdPerQuery, forKey: .usdPerQuery)
        try c.encodeIfPresent(usdPerMillionOutputTokens, forKey: .usdPerMillionOutputTokens)
        try c.encodeIfPresent(usdPerMillionInputTokens, forKey: .usdPerMillionInputTokens)
        try c.encode(totalCost, forKey: .totalCost)
        try c.encodeIfPresent(serving, forKey: .serving)
        try c.encode(boundaries, forKey: .boundaries)
        try c.encodeIfPresent(uniqueTokens, forKey: .uniqueTokens)
        try c.encodeIfPresent(epochs, forKey: .epochs)
        try c.encodeIfPresent(effectiveTokens, forKey: .effectiveTokens)
        try c.encodeIfPresent(effectiveParams, forKey: .effectiveParams)
        try c.encodeIfPresent(inFittedRange, forKey: .inFittedRange)
        try c.encodeIfPresent(intervals, forKey: .intervals)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        params = try c.decode(Double.self, forKey: .params)
        tokens = try c.decode(Double.self, forKey: .tokens)
        samples = try c.decode(Int.self, forKey: .samples)
        samplesContinuous = try c.decodeIfPresent(Double.self, forKey: .samplesContinuous)
        predicted = try c.decode(Prediction.self, forKey: .predicted)
        trainFLOPs = try c.decode(Double.self, forKey: .trainFLOPs)
        inferenceFLOPs = try c.decode(Double.self, forKey: .inferenceFLOPs)
        flopsPerQuery = try c.decodeIfPresent(Double.self, forKey: .flopsPerQuery)
        trainUSD = try c.decodeIfPresent(Double.self, forKey: .trainUSD)
        inferenceUSD = try c.decodeIfPresent(Double.self, forKey: .inferenceUSD)
        usdPerQuery = try c.decodeIfPresent(Double.self, forKey: .usdPerQuery)
        usdPerMillionOutputTokens = try c.decodeIfPresent(Double.self, forKey: .usdPerMillionOutputTokens)
        usdPerMillionInputTokens = try c.decodeIfPresent(Double.self, forKey: .usdPerMillionInputTokens)
        totalCost = try c.decode(Double.self, forKey: .totalCost)
        serving = try c.decodeIfPresent(ServingOption.self, forKey: .serving)
        boundaries = try c.decode([PlanBoundary].self, forKey: .boundaries)
        uniqueTokens = try c.decodeIfPresent(Double.self, forKey: .uniqueTokens)
        epochs = try c.decodeIfPresent(Double.self, forKey: .epochs)
        effectiveTokens = try c.decodeIfPresent(Double.self, forKey: .effectiveTokens)
        effectiveParams = try c.decodeIfPresent(Double.self, forKey: .effectiveParams)
        inFittedRange = try c.decodeIfPresent(Bool.self, forKey: .inFittedRange)
        intervals = try c.decodeIfPresent(PlanIntervals.self, forKey: .intervals)
    }
}

/// The T² plan beside the Chinchilla-optimal plan for the same budget.
public struct PlanComparison: Sendable, Equatable {
    /// The budget planned for (for the inverse problem: the cheapest budget that reaches the target).
    public var budget: PlanBudget
    /// The optimal plan under the law.
    public var plan: Plan
    /// Chinchilla's answer: N and D on the compute-optimal frontier of the law's pretraining part
    /// (D/N ≈ 20), k = 1 when choosing; see ``Planner`` for how it is given the same budget.
    public var chinchilla: Plan

    public init(budget: PlanBudget, plan: Plan, chinchilla: Plan) {
        self.budget = budget
        self.plan = plan
        self.chinchilla = chinchilla
    }

    /// Task-loss improvement of the plan over Chinchilla's (> 0: the plan is better).
    public var taskLossGain: Double { chinchilla.predicted.taskLoss - plan.predicted.taskLoss }
}

/// What the inverse problem aims for.
public enum PlanTarget: Sendable, Equatable {
    /// pass@k ≥ the value (a fraction in (0, 1)); T² laws only.
    case accuracy(Double)
    /// Task loss ≤ the value (L for chinchilla, L̂ for t2-loss, −ln pass@k for t2-accuracy).
    case loss(Double)

    /// The task-loss threshold.
    public var taskLoss: Double {
        switch self {
        case let .accuracy(a): return -Foundation.log(a)
        case let .loss(l): return l
        }
    }

    /// For messages.
    var description: String {
        switch self {
        case let .accuracy(a): return "pass@k = \(String(format: "%.4g", a))"
        case let .loss(l): return "loss = \(String(format: "%.4g", l))"
        }
    }
}

/// Cost-optimal comparison for the inverse problem: the cheapest plan reaching the target and the
/// Chinchilla-shaped model (k = 1) that reaches it, with both lifetime costs.
public struct TargetComparison: Sendable, Equatable {
    public var target: PlanTarget
    /// The cheapest plan and the Chinchilla plan reaching the same target (when
    /// `chinchillaReachesTarget` is false — Chinchilla's shape at k = 1 never gets there — the
    /// Chinchilla plan for the plan's budget instead).
    public var result: PlanComparison
    /// Whether some Chinchilla-shaped plan reaches the target.
    public var chinchillaReachesTarget: Bool
    /// Fraction of the Chinchilla plan's cost the plan saves, 1 − cost/cost_Chinchilla; nil when
    /// Chinchilla's shape never reaches the target.
    public var saving: Double? {
        chinchillaReachesTarget ? 1 - result.plan.totalCost / result.chinchilla.totalCost : nil
    }

    public init(target: PlanTarget, result: PlanComparison, chinchillaReachesTarget: Bool) {
        self.target = target
        self.result = result
        self.chinchillaReachesTarget = chinchillaReachesTarget
    }
}
