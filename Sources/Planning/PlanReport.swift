import Foundation
import RealModule
import ScalingLaws

/// Everything `t2 plan` asks of the planner: the law, the budget, and how far to trust the law.
/// ``PlanReport/make(_:)`` and ``PlanSweepReport/make(_:amounts:)`` answer it.
public struct PlanRequest: Sendable {
    /// The law, as a law file (the built-in law is one too: ``BuiltInPlanLaw``).
    public var law: LawFile
    /// Where the law came from: a path, or `built-in`.
    public var lawSource: String
    /// A one-line description of the law for reports (the built-in law's; nil for files).
    public var lawDescription: String?
    /// What the fit could not see, in words (the built-in law's data; shown beside extrapolations).
    public var lawCaveat: String?
    /// The budget (for a target or a sweep, its main amount is replaced).
    public var budget: PlanBudget
    /// Dollar prices (dollar budgets only).
    public var pricing: DollarPricing?
    /// The inverse problem's target: the cheapest plan reaching it.
    public var target: PlanTarget?
    /// The smallest model considered.
    public var minParams: Double = 1e6
    /// The most samples per query considered.
    public var maxSamples: Double = 1e4
    /// The training tokens available, repeats counted (nil: unlimited).
    public var maxTrainTokens: Double?
    /// Unique training tokens U: repetition priced by Muennighoff et al. 2023 (nil: all fresh).
    public var uniqueTokens: Double?
    /// The search range is the law's fitted range widened by this factor in N, D and D/N.
    public var rangeFactor: Double = PlanRequest.defaultRangeFactor
    /// Search everywhere the planner's own bounds allow, not only in the widened fitted range.
    public var allowExtrapolation = false
    /// Coverage of the intervals.
    public var confidence = 0.9
    /// Replicates used for intervals at most (nil: all the law file has). Targets re-solve the
    /// inverse problem per replicate, so they are given fewer by default in the command.
    public var maxReplicates: Int?

    /// The default widening of the fitted range: 4× in N, in D and in D/N.
    public static let defaultRangeFactor = 4.0

    /// A request for `budget` under `law`.
    public init(law: LawFile, lawSource: String, budget: PlanBudget) {
        self.law = law
        self.lawSource = lawSource
        self.budget = budget
    }

    /// The planner with the request's bounds and data repetition (no search range).
    public func planner() throws -> Planner {
        var planner = Planner(law: try PlanningLaw(file: law, source: lawSource))
        planner.minParams = minParams
        planner.maxSamples = maxSamples
        if let maxTrainTokens { planner.maxTokens = maxTrainTokens }
        planner.uniqueTokens = uniqueTokens
        return planner
    }

    /// The search range: the law's fitted range widened by ``rangeFactor`` (nil without one).
    public var searchRange: FittedRange? { law.fittedRange?.widened(by: rangeFactor) }

    /// The law's bootstrap replicates as laws (at most ``maxReplicates``; unreadable ones left out).
    public var replicateLaws: [ScalingLaw] {
        let all = law.bootstrap ?? []
        let used = maxReplicates.map { Array(all.prefix(max(0, $0))) } ?? all
        return used.compactMap { try? ScalingLaw(LawFile(form: law.form, parameters: $0), source: lawSource) }
    }
}

/// The law as a plan report names it.
public struct PlanLawSummary: Sendable, Codable, Equatable {
    /// `chinchilla`, `t2-loss` or `t2-accuracy`.
    public var form: String
    /// A path, or `built-in`.
    public var source: String
    /// A one-line description (the built-in law's).
    public var description: String?
    /// The parameters planned with.
    public var parameters: [String: Double]
    /// N, D and D/N of the data it was fitted on.
    public var fittedRange: FittedRange?
    /// Its error on held-out data.
    public var heldOut: HeldOutSummary?
    /// Bootstrap replicates the law file carries.
    public var replicates: Int

    enum CodingKeys: String, CodingKey {
        case form
        case source
        case description
        case parameters
        case fittedRange = "fitted_range"
        case heldOut = "held_out"
        case replicates
    }
}

/// A budget as a plan report writes it.
public struct PlanBudgetRecord: Sendable, Codable, Equatable {
    /// `separate`, `lifetime` or `dollars`.
    public var mode: String
    public var trainFLOPs: Double?
    public var inferenceFLOPs: Double?
    public var flops: Double?
    public var usd: Double?
    public var queries: Double?
    public var tokensPerSample: Double?
    public var promptTokens: Double?

    /// The record of `budget`.
    public init(_ b: PlanBudget) {
        mode = b.mode
        switch b {
        case let .separate(c, ci):
            trainFLOPs = c
            inferenceFLOPs = ci
        case let .lifetime(c, q, t):
            flops = c
            queries = q
            tokensPerSample = t
        case let .dollars(x, q, t, p):
            usd = x
            queries = q
            tokensPerSample = t
            promptTokens = p
        }
    }

    enum CodingKeys: String, CodingKey {
        case mode
        case trainFLOPs = "train_flops"
        case inferenceFLOPs = "inference_flops_per_token"
        case flops
        case usd
        case queries
        case tokensPerSample = "tokens_per_sample"
        case promptTokens = "prompt_tokens"
    }
}

/// How the plan was searched for.
public struct PlanSearchRecord: Sendable, Codable, Equatable {
    /// The factor the fitted range was widened by.
    public var rangeFactor: Double
    /// Whether the search ignored the range (`--allow-extrapolation`).
    public var allowExtrapolation: Bool
    /// The range searched (the fitted range widened); nil when the law has none or the search
    /// was not limited.
    public var range: FittedRange?
    /// Whether the plan had to leave the range because no plan in it fits the budget or reaches
    /// the target.
    public var rangeInfeasible: Bool
    public var minParams: Double
    public var maxSamples: Double
    public var maxTrainTokens: Double?
    public var uniqueTokens: Double?

    enum CodingKeys: String, CodingKey {
        case rangeFactor = "range_factor"
        case allowExtrapolation = "allow_extrapolation"
        case range
        case rangeInfeasible = "range_infeasible"
        case minParams = "min_params"
        case maxSamples = "max_samples"
        case maxTrainTokens = "max_train_tokens"
        case uniqueTokens = "unique_tokens"
    }
}

/// The plan against Chinchilla's.
public struct PlanGap: Sendable, Codable, Equatable {
    /// Chinchilla's task loss minus the plan's (> 0: the plan is better).
    public var taskLossGain: Double
    /// The plan's pass@k minus Chinchilla's (T² laws).
    public var passAtKGain: Double?
    /// N / N_Chinchilla.
    public var paramsRatio: Double
    /// (D/N) / (D/N)_Chinchilla.
    public var tokensPerParamRatio: Double

    /// The gap of a comparison.
    public init(_ plan: Plan, _ chinchilla: Plan) {
        taskLossGain = chinchilla.predicted.taskLoss - plan.predicted.taskLoss
        passAtKGain = plan.predicted.passAtK.flatMap { p in chinchilla.predicted.passAtK.map { p - $0 } }
        paramsRatio = plan.params / chinchilla.params
        tokensPerParamRatio = plan.tokensPerParam / chinchilla.tokensPerParam
    }

    enum CodingKeys: String, CodingKey {
        case taskLossGain = "task_loss_gain"
        case passAtKGain = "pass_at_k_gain"
        case paramsRatio = "params_ratio"
        case tokensPerParamRatio = "tokens_per_param_ratio"
    }
}

/// The inverse problem's target and how the plan compares with Chinchilla reaching it.
public struct PlanTargetRecord: Sendable, Codable, Equatable {
    /// `accuracy` or `loss`.
    public var kind: String
    public var value: Double
    /// 1 − cost/cost_Chinchilla (nil when no Chinchilla-shaped model reaches the target).
    public var saving: Double?
    public var chinchillaReachesTarget: Bool

    enum CodingKeys: String, CodingKey {
        case kind
        case value
        case saving
        case chinchillaReachesTarget = "chinchilla_reaches_target"
    }
}

/// What `t2 plan --format json` prints (schema `t2.plan/1`, docs/json.md): the recommended plan
/// (with intervals, range check and data repetition), the unconstrained optimum beside it,
/// Chinchilla's plan for the same budget, and notes in plain words.
public struct PlanReport: Sendable, Codable {
    /// `t2.plan/1`.
    public var schema = PlanReport.schemaVersion
    public var law: PlanLawSummary
    /// The budget planned for (for a target: the cheapest budget reaching it).
    public var budget: PlanBudgetRecord
    public var search: PlanSearchRecord
    /// The recommended plan: inside the search range unless none fits or extrapolation is allowed.
    public var plan: Plan
    /// The optimum with the range lifted, when the search was limited to the range.
    public var unconstrained: Plan?
    /// Whether the unconstrained optimum differs from the plan (N or D by more than 1%, or k).
    public var unconstrainedDiffers: Bool?
    /// Chinchilla's plan for the same budget (for a target: the cheapest Chinchilla-shaped model
    /// reaching it, when one does).
    public var chinchilla: Plan
    public var gap: PlanGap
    public var target: PlanTargetRecord?
    /// Caveats and findings in plain words (range, extrapolation, bounds hit, intervals).
    public var notes: [String]
    /// Wall-clock seconds spent planning (intervals included).
    public var seconds: Double?

    /// The schema string.
    public static let schemaVersion = "t2.plan/1"

    /// The budget as planned.
    public var plannedBudget: PlanBudget

    enum CodingKeys: String, CodingKey {
        case schema
        case law
        case budget
        case search
        case plan
        case unconstrained
        case unconstrainedDiffers = "unconstrained_differs"
        case chinchilla
        case gap
        case target
        case notes
        case seconds
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        schema = try c.decode(String.self, forKey: .schema)
        law = try c.decode(PlanLawSummary.self, forKey: .law)
        budget = try c.decode(PlanBudgetRecord.self, forKey: .budget)
        search = try c.decode(PlanSearchRecord.self, forKey: .search)
        plan = try c.decode(Plan.self, forKey: .plan)
        unconstrained = try c.decodeIfPresent(Plan.self, forKey: .unconstrained)
        unconstrainedDiffers = try c.decodeIfPresent(Bool.self, forKey: .unconstrainedDiffers)
        chinchilla = try c.decode(Plan.self, forKey: .chinchilla)
        gap = try c.decode(PlanGap.self, forKey: .gap)
        target = try c.decodeIfPresent(PlanTargetRecord.self, forKey: .target)
        notes = try c.decode([String].self, forKey: .notes)
        seconds = try c.decodeIfPresent(Double.self, forKey: .seconds)
        plannedBudget = PlanBudgetRecord.budgetOf(budget)
    }

    /// Plans `request`: the recommended plan (inside the search range unless
    /// `allowExtrapolation`, or unless nothing there fits), the unconstrained optimum, Chinchilla's
    /// plan, intervals from the law's replicates and notes.
    public static func make(_ request: PlanRequest) throws -> PlanReport {
        let started = Date()
        let free = try request.planner()
        let range = request.searchRange
        let limited = !request.allowExtrapolation && range != nil
        var notes: [String] = []

        // The unconstrained optimum and Chinchilla's plan (Chinchilla is never range-limited).
        let freeComparison: PlanComparison
        var targetComparison: TargetComparison?
        if let target = request.target {
            let t = try free.cheapest(reaching: target, budget: request.budget, pricing: request.pricing)
            targetComparison = t
            freeComparison = t.result
        } else {
            freeComparison = try free.plan(request.budget, pricing: request.pricing)
        }
        var plan = freeComparison.plan
        var planner = free
        var budget = freeComparison.budget
        var unconstrained: Plan?
        var rangeInfeasible = false
        if limited, let range {
            let inRange = free.constrained(to: range)
            do {
                var constrainedPlan: Plan
                if let target = request.target {
                    let amount = try inRange.cheapestAmount(
                        reaching: target,
                        budget: request.budget,
                        pricing: request.pricing
                    )
                    budget = request.budget.with(amount: amount)
                    constrainedPlan = try inRange.optimalPlan(budget, pricing: request.pricing)
                } else {
                    constrainedPlan = try inRange.optimalPlan(request.budget, pricing: request.pricing)
                }
                markRangeEdges(&constrainedPlan, range: range, free: free)
                unconstrained = plan
                plan = constrainedPlan
                planner = inRange
            } catch {
                rangeInfeasible = true
                notes.append(
                    request.target == nil
                        ? "no plan inside the search range (the law's fitted range widened \(fmt(request.rangeFactor))×) fits this budget (\(error.localizedDescription)); the plan below is the unconstrained optimum and extrapolates the law"
                        : "no plan inside the search range (the law's fitted range widened \(fmt(request.rangeFactor))×) reaches the target; the plan below is the unconstrained optimum and extrapolates the law"
                )
            }
        }
        var chinchilla = freeComparison.chinchilla
        if let t = targetComparison, !t.chinchillaReachesTarget, unconstrained != nil {
            // Chinchilla's plan for the budget the recommended plan needs.
            chinchilla = try free.plan(budget, pricing: request.pricing).chinchilla
        }
        if let range {
            plan.inFittedRange = range.contains(params: plan.params, tokens: plan.tokens)
            if var u = unconstrained {
                u.inFittedRange = range.contains(params: u.params, tokens: u.tokens)
                unconstrained = u
            }
            chinchilla.inFittedRange = range.contains(params: chinchilla.params, tokens: chinchilla.tokens)
        }

        // Intervals over the law's replicates, planned exactly as the point plan was.
        let replicates = request.replicateLaws
        if !replicates.isEmpty {
            plan.intervals = planner.intervals(
                around: plan,
                replicates: replicates,
                budget: request.budget,
                target: request.target,
                pricing: plan.serving.flatMap { request.pricing?.restricted(to: $0) } ?? request.pricing,
                confidence: request.confidence
            )
            if plan.intervals == nil {
                notes.append("the law's \(replicates.count) bootstrap replicates could not be planned: no intervals")
            }
        } else {
            notes.append(
                "no intervals: the law file carries no bootstrap replicates (refit with `t2 fit --bootstrap 200 --out law.json`)"
            )
        }

        let differs = unconstrained.map { u in
            abs(u.params / plan.params - 1) > 0.01 || abs(u.tokens / plan.tokens - 1) > 0.01
                || u.samples != plan.samples
        }
        notes += rangeNotes(request, plan: plan, unconstrained: unconstrained, differs: differs, chinchilla: chinchilla)
        if range == nil {
            notes.append(
                "the law file records no fitted range, so the search could not be kept inside the data it was fitted on; refit with this version of t2 (`t2 fit … --out law.json`) to get one"
            )
        }

        var report = PlanReport(
            law: PlanLawSummary(
                form: request.law.form,
                source: request.lawSource,
                description: request.lawDescription,
                parameters: request.law.parameters,
                fittedRange: request.law.fittedRange,
                heldOut: request.law.heldOut,
                replicates: request.law.bootstrap?.count ?? 0
            ),
            budget: PlanBudgetRecord(budget),
            search: PlanSearchRecord(
                rangeFactor: request.rangeFactor,
                allowExtrapolation: request.allowExtrapolation,
                range: limited ? range : nil,
                rangeInfeasible: rangeInfeasible,
                minParams: request.minParams,
                maxSamples: request.maxSamples,
                maxTrainTokens: request.maxTrainTokens,
                uniqueTokens: request.uniqueTokens
            ),
            plan: plan,
            unconstrained: unconstrained,
            unconstrainedDiffers: differs,
            chinchilla: chinchilla,
            gap: PlanGap(plan, chinchilla),
            target: targetComparison.map { t in
                switch t.target {
                case let .accuracy(a):
                    return PlanTargetRecord(
                        kind: "accuracy",
                        value: a,
                        saving: t.chinchillaReachesTarget ? 1 - plan.totalCost / chinchilla.totalCost : nil,
                        chinchillaReachesTarget: t.chinchillaReachesTarget
                    )
                case let .loss(l):
                    return PlanTargetRecord(
                        kind: "loss",
                        value: l,
                        saving: t.chinchillaReachesTarget ? 1 - plan.totalCost / chinchilla.totalCost : nil,
                        chinchillaReachesTarget: t.chinchillaReachesTarget
                    )
                }
            },
            notes: notes,
            plannedBudget: budget
        )
        report.seconds = Date().timeIntervalSince(started)
        return report
    }

    init(
        law: PlanLawSummary,
        budget: PlanBudgetRecord,
        search: PlanSearchRecord,
        plan: Plan,
        unconstrained: Plan?,
        unconstrainedDiffers: Bool?,
        chinchilla: Plan,
        gap: PlanGap,
        target: PlanTargetRecord?,
        notes: [String],
        plannedBudget: PlanBudget
    ) {
        self.law = law
        self.budget = budget
        self.search = search
        self.plan = plan
        self.unconstrained = unconstrained
        self.unconstrainedDiffers = unconstrainedDiffers
        self.chinchilla = chinchilla
        self.gap = gap
        self.target = target
        self.notes = notes
        self.plannedBudget = plannedBudget
    }

    /// Replaces the bounds that only the search range imposed with ``PlanBoundary/fittedRangeEdge``.
    static func markRangeEdges(_ plan: inout Plan, range: FittedRange, free: Planner) {
        func at(_ x: Double, _ bound: Double) -> Bool { abs(x / bound - 1) < 1e-6 }
        let r = plan.tokensPerParam
        let onEdge =
            at(plan.params, range.params.lowerBound) || at(plan.params, range.params.upperBound)
            || at(plan.tokens, range.tokens.lowerBound) || at(plan.tokens, range.tokens.upperBound)
            || at(r, range.tokensPerParam.lowerBound) || at(r, range.tokensPerParam.upperBound)
        guard onEdge else { return }
        plan.boundaries.removeAll { b in
            switch b {
            case .smallestModel: return free.minParams < range.params.lowerBound
            case .largestModel: return free.maxParams > range.params.upperBound
            case .mostTokens: return free.maxTokens > range.tokens.upperBound
            case .mostTokensPerParam: return true
            case .fewestTokens: return true
            default: return false
            }
        }
        if !plan.boundaries.contains(.fittedRangeEdge) { plan.boundaries.append(.fittedRangeEdge) }
    }

    /// The range notes: where the plan, the unconstrained optimum and Chinchilla's plan lie
    /// against the data the law was fitted on.
    static func rangeNotes(
        _ request: PlanRequest,
        plan: Plan,
        unconstrained: Plan?,
        differs: Bool?,
        chinchilla: Plan
    ) -> [String] {
        guard let fitted = request.law.fittedRange else { return [] }
        var notes: [String] = []
        let factor = fmt(request.rangeFactor)
        if let u = unconstrained, differs == true {
            notes.append(
                "the unconstrained optimum (N = \(count(u.params)), D = \(count(u.tokens)), D/N = \(fmt(u.tokensPerParam)), k = \(u.samples)\(u.predicted.passAtK.map { ", pass@k = \(pct($0))" } ?? "")) lies \(fmt(fitted.excess(params: u.params, tokens: u.tokens)))× outside the data the law was fitted on; the plan stays within \(factor)× of it. Trust the unconstrained optimum only after fitting runs near it (--allow-extrapolation plans there)"
            )
        } else if unconstrained != nil {
            notes.append("the unconstrained optimum is the same plan: the search range did not bind")
        }
        if plan.inFittedRange == false {
            notes.append(
                "the plan (N = \(count(plan.params)), D = \(count(plan.tokens))) lies \(fmt(fitted.excess(params: plan.params, tokens: plan.tokens)))× outside the data the law was fitted on: an extrapolation"
            )
        }
        let chinchillaExcess = fitted.excess(params: chinchilla.params, tokens: chinchilla.tokens)
        if chinchillaExcess > 1 {
            var text =
                "Chinchilla's plan (N = \(count(chinchilla.params)), D = \(count(chinchilla.tokens))) lies \(fmt(chinchillaExcess))× outside the law's fitted range, so its \(chinchilla.predicted.passAtK.map { "pass@\(chinchilla.samples) = \(pct($0))" } ?? "loss") is the law's extrapolation, not a measurement"
            if let caveat = request.lawCaveat { text += ". \(caveat)" }
            notes.append(text)
        }
        return notes
    }

    static func fmt(_ x: Double) -> String {
        if x >= 100 { return String(format: "%.0f", x) }
        return String(format: "%.3g", x)
    }

    static func pct(_ x: Double) -> String { String(format: x < 0.001 ? "%.3f%%" : "%.1f%%", x * 100) }

    static func count(_ v: Double) -> String {
        let a = abs(v)
        if a >= 1e12 { return String(format: "%.3gT", v / 1e12) }
        if a >= 1e9 { return String(format: "%.3gB", v / 1e9) }
        if a >= 1e6 { return String(format: "%.3gM", v / 1e6) }
        if a >= 1e3 { return String(format: "%.3gK", v / 1e3) }
        return String(format: "%.3g", v)
    }
}

extension PlanBudgetRecord {
    /// The budget a record describes.
    public static func budgetOf(_ r: PlanBudgetRecord) -> PlanBudget {
        switch r.mode {
        case "lifetime":
            return .lifetime(flops: r.flops ?? 0, queries: r.queries ?? 0, tokensPerSample: r.tokensPerSample ?? 0)
        case "dollars":
            return .dollars(
                usd: r.usd ?? 0,
                queries: r.queries ?? 0,
                tokensPerSample: r.tokensPerSample ?? 0,
                promptTokens: r.promptTokens ?? 0
            )
        default: return .separate(trainFLOPs: r.trainFLOPs ?? 0, inferenceFLOPs: r.inferenceFLOPs ?? 0)
        }
    }
}

/// What `t2 plan --sweep --format json` prints (schema `t2.plan/1`): the optimal path over budgets.
public struct PlanSweepReport: Sendable, Codable {
    /// `t2.plan/1`.
    public var schema = PlanReport.schemaVersion
    public var law: PlanLawSummary
    public var search: PlanSearchRecord
    /// One point per budget, in order.
    public var sweep: [Point]

    /// One budget of a sweep.
    public struct Point: Sendable, Codable {
        public var budget: PlanBudgetRecord
        /// The recommended plan (inside the search range when one fits).
        public var plan: Plan
        /// The unconstrained optimum, when the search was limited and it differs.
        public var unconstrained: Plan?
        public var chinchilla: Plan
    }

    /// Plans each amount in `amounts` (the main amount of `request.budget`); no intervals.
    public static func make(_ request: PlanRequest, amounts: [Double]) throws -> PlanSweepReport {
        var points: [Point] = []
        var first: PlanReport?
        for amount in amounts {
            var r = request
            r.budget = request.budget.with(amount: amount)
            r.maxReplicates = 0
            r.target = nil
            let report = try PlanReport.make(r)
            if first == nil { first = report }
            points.append(
                Point(
                    budget: report.budget,
                    plan: report.plan,
                    unconstrained: report.unconstrainedDiffers == true ? report.unconstrained : nil,
                    chinchilla: report.chinchilla
                )
            )
        }
        guard let first else { throw PlanError.invalidBudget("a sweep needs at least one budget") }
        return PlanSweepReport(law: first.law, search: first.search, sweep: points)
    }
}
