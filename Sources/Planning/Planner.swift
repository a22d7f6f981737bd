import Foundation
import Optimization
import RealModule
import ScalingLaws

/// The Train-to-Test optimiser: the (N, D, k) — and in dollars the serving option — that minimise a
/// law's task loss (maximise pass@k) under a budget, beside Chinchilla's answer for the same budget.
///
/// Algorithms (see `docs/planning.md`):
/// - **Separate budgets** (6ND ≤ C_train, 2Nk ≤ C_inf): D = C_train/(6N) and k = C_inf/(2N) leave
///   one variable, u = ln N ∈ [ln N_min, ln min(C_inf/2, √(C_train/6))]. For chinchilla and t2-loss the
///   task loss is A·e^{−αu} + B'·e^{βu} + G'·e^{γu} (B' = B·(C_train/6)^{−β}, G' = G·(C_inf/2)^{−γ}),
///   whose derivative is increasing, so the optimum is the unique root of the derivative (Brent),
///   or a boundary where the derivative does not change sign. For t2-accuracy: a 32-point grid in u,
///   then Brent's minimiser around the best point.
/// - **One budget** (FLOPs or dollars: t·6ND + f(N) + k·s(N) ≤ X): the budget binds, so D follows
///   from (N, k); the optimiser nests Brent over ln k ∈ [0, ln k_max(N)] inside a grid + Brent over ln N.
/// - **Integer k**: from the continuous optimum k*, re-optimise N with k fixed at ⌊k*⌋ and ⌈k*⌉ and
///   keep the better, so the reported plan is the best integer plan, not a rounded one.
public struct Planner: Sendable {
    /// The law to optimise.
    public var law: PlanningLaw
    /// The smallest model considered (parameters). Below it a budget is "too small to train anything".
    public var minParams: Double = 1e6
    /// The largest model considered (parameters).
    public var maxParams: Double = 1e13
    /// The fewest training tokens per parameter considered (D ≥ this·N).
    public var minTokensPerParam: Double = 1
    /// The most samples per query considered in the one-budget modes. Laws are fitted on finite k
    /// (the Pythia GSM8K counts go to ~10⁴ samples per problem); beyond it pass@k is extrapolation.
    public var maxSamples: Double = 1e4
    /// The most training tokens available (D ≤ this; tokens seen, repeats included — Muennighoff
    /// et al. 2023 find up to ~4 epochs of repeated data nearly as good as unique data). Where it
    /// binds, the plan trains on all of it and spends the rest of the budget on N or k, or leaves
    /// it unspent (``PlanBoundary/mostTokens``). Default: unlimited.
    public var maxTokens: Double = .infinity
    /// The most training tokens per parameter considered (D ≤ this·N); where it binds, D stays at
    /// this·N and the plan says so (``PlanBoundary/mostTokensPerParam``). Default: unlimited. Set
    /// by ``constrained(to:)`` from a law's fitted range.
    public var maxTokensPerParam: Double = .infinity
    /// The fewest training tokens considered (D ≥ this). Default 0. Set by ``constrained(to:)``.
    public var minTokens: Double = 0
    /// Grid points over ln N before Brent refines.
    public var gridPoints: Int = 32

    /// The law whose compute-optimal allocation defines "Chinchilla's plan". For a chinchilla-form
    /// law it is the law itself. For the T² forms it is Epoch AI's refit of Hoffmann et al.
    /// (`ChinchillaLaw.epochRefit`, ~20 tokens per parameter): their L̂(N, D) is fitted to task
    /// outcomes, not language-model loss, so its own compute-optimal frontier is not what the
    /// field (or the T² paper's Chinchilla-optimal checkpoints) calls Chinchilla-optimal.
    public var chinchillaAllocation: ChinchillaLaw

    public init(law: PlanningLaw) {
        self.law = law
        if case let .chinchilla(l) = law.law { chinchillaAllocation = l } else { chinchillaAllocation = .epochRefit }
    }

    /// The planner with its search box shrunk to `range` (N, D and D/N within the range's bounds,
    /// and within this planner's own bounds).
    public func constrained(to range: FittedRange) -> Planner {
        var p = self
        p.minParams = max(minParams, range.params.lowerBound)
        p.maxParams = min(maxParams, range.params.upperBound)
        p.minTokensPerParam = max(minTokensPerParam, range.tokensPerParam.lowerBound)
        p.maxTokensPerParam = min(maxTokensPerParam, range.tokensPerParam.upperBound)
        p.minTokens = max(minTokens, range.tokens.lowerBound)
        p.maxTokens = min(maxTokens, range.tokens.upperBound)
        return p
    }

    /// Unique training tokens: repeated data priced by Muennighoff et al. 2023 (`DataRepetition`),
    /// with the compute-optimal model size for U tokens taken from ``chinchillaAllocation``.
    /// Nil (the default): every token is fresh.
    public var uniqueTokens: Double? {
        get { law.repetition?.uniqueTokens }
        set {
            law.repetition = newValue.map { DataRepetition(uniqueTokens: $0, allocation: chinchillaAllocation) }
        }
    }

    /// The most tokens D a model of `n` parameters may train on.
    @inline(__always)
    func tokenCap(_ n: Double) -> Double { min(maxTokens, maxTokensPerParam * n) }

    /// The fewest tokens D a model of `n` parameters may train on.
    @inline(__always)
    func tokenFloor(_ n: Double) -> Double { max(minTokensPerParam * n, minTokens) }

    /// "1 token per parameter" (or "5e+05 tokens" when a token floor binds) for messages.
    func tokenFloorText(_ n: Double) -> String {
        minTokens > minTokensPerParam * n
            ? "\(PlanError.scientific(minTokens)) tokens"
            : "\(PlanError.scientific(minTokensPerParam)) token per parameter"
    }

    /// Fills in the data-repetition fields of a plan (when ``uniqueTokens`` is set).
    func annotate(_ plan: inout Plan) {
        guard let r = law.repetition else { return }
        plan.uniqueTokens = r.uniqueTokens
        plan.epochs = r.epochs(tokens: plan.tokens)
        plan.effectiveTokens = r.effectiveTokens(plan.tokens)
        plan.effectiveParams = r.effectiveParams(plan.params)
    }

    // MARK: - Public entry points

    /// The optimal plan for `budget`, beside the Chinchilla plan. Dollar budgets need `pricing`.
    public func plan(_ budget: PlanBudget, pricing: DollarPricing? = nil) throws -> PlanComparison {
        let plan = try optimalPlan(budget, pricing: pricing)
        return PlanComparison(budget: budget, plan: plan, chinchilla: chinchillaOnly(budget, pricing: pricing) ?? plan)
    }

    /// The optimal plan for `budget` alone (no Chinchilla comparison).
    public func optimalPlan(_ budget: PlanBudget, pricing: DollarPricing? = nil) throws -> Plan {
        try budget.validate()
        switch budget {
        case let .separate(cTrain, cInf):
            var plan = try solveSeparate(cTrain: cTrain, cInf: cInf)
            annotate(&plan)
            return plan
        case .lifetime, .dollars:
            let problems = try lifetimeProblems(budget, pricing: pricing)
            var best: Plan?
            var firstError: (any Error)?
            for problem in problems {
                do {
                    let candidate = try solveLifetime(problem)
                    if best == nil || candidate.predicted.taskLoss < best!.predicted.taskLoss { best = candidate }
                } catch { if firstError == nil { firstError = error } }
            }
            guard var plan = best else {
                throw minimumBudgetError(problems, budget: budget) ?? firstError
                    ?? PlanError.invalidBudget("no plan fits the budget")
            }
            annotate(&plan)
            return plan
        }
    }

    /// Plans for each amount in `amounts`, the rest of `budget` fixed (the optimal path over budgets).
    public func sweep(_ budget: PlanBudget, amounts: [Double], pricing: DollarPricing? = nil) throws -> [PlanComparison]
    {
        try amounts.map { try plan(budget.with(amount: $0), pricing: pricing) }
    }

    /// The cheapest plan reaching `target`: the smallest main amount of `budget` (C_train, C or X)
    /// whose optimal plan reaches it, beside the cheapest Chinchilla-shaped model (k = 1 in the
    /// one-budget modes) that reaches it, with both costs.
    public func cheapest(
        reaching target: PlanTarget,
        budget: PlanBudget,
        pricing: DollarPricing? = nil
    ) throws -> TargetComparison {
        let amount = try cheapestAmount(reaching: target, budget: budget, pricing: pricing)
        return try targetResult(target, amount: amount, budget: budget, pricing: pricing)
    }

    /// The cheapest plan reaching `target`, without the Chinchilla comparison.
    public func cheapestPlan(
        reaching target: PlanTarget,
        budget: PlanBudget,
        pricing: DollarPricing? = nil
    ) throws
        -> Plan
    {
        let amount = try cheapestAmount(reaching: target, budget: budget, pricing: pricing)
        return try optimalPlan(budget.with(amount: amount), pricing: pricing)
    }

    /// The smallest main amount of `budget` whose optimal plan reaches `target`.
    func cheapestAmount(reaching target: PlanTarget, budget: PlanBudget, pricing: DollarPricing?) throws -> Double {
        try validate(target)
        let tau = target.taskLoss
        let cap: Double = {
            if case .dollars = budget { return 1e15 }
            return 1e40
        }()
        let unit = budgetUnit(budget)
        func best(_ amount: Double) throws -> Plan { try optimalPlan(budget.with(amount: amount), pricing: pricing) }

        // Lower end: the smallest feasible budget.
        var lo = budget.amount
        do { _ = try best(lo) } catch let PlanError.budgetTooSmall(_, minimum, _) { lo = minimum * (1 + 1e-9) }
        if try best(lo).predicted.taskLoss <= tau {
            // already reached at the smallest feasible budget: search below it only if that one was given
            lo = try lowestFeasible(budget, pricing: pricing, from: lo)
            if try best(lo).predicted.taskLoss <= tau { return lo }
        }
        var hi = lo
        var reached = false
        while hi < cap {
            hi = min(cap, hi * 10)
            if try best(hi).predicted.taskLoss <= tau {
                reached = true
                break
            }
        }
        guard reached else {
            let atCap = try best(cap)
            let bestText =
                atCap.predicted.passAtK.map {
                    "the best pass@k at \(PlanError.scientific(cap)) \(unit) is \(String(format: "%.4g", $0))"
                }
                ?? "the lowest loss at \(PlanError.scientific(cap)) \(unit) is \(String(format: "%.4g", atCap.predicted.taskLoss))"
            throw PlanError.unreachableTarget(
                target: target.description,
                best: bestText,
                hint: nearestTargetHint(target, atCap)
            )
        }
        // Bisection-safe Brent on ln(amount): f decreases in the budget.
        let root = try findRoot(in: Double.log(lo)...Double.log(hi), tolerance: 1e-10) { lnX in
            ((try? best(Double.exp(lnX)).predicted.taskLoss) ?? .infinity) - tau
        }
        var amount = Double.exp(root)
        for _ in 0..<8 where (try best(amount).predicted.taskLoss) > tau { amount *= 1 + 1e-9 }
        return amount
    }

    // MARK: - Separate budgets

    /// u = ln N bounds for the separate mode, or the budget error.
    private func separateBounds(
        cTrain: Double,
        cInf: Double,
        samples: Double?
    ) throws -> (lo: Double, hi: Double, cap: PlanBoundary) {
        let minTrain = 6 * minParams * tokenFloor(minParams)
        guard cTrain >= minTrain else {
            throw PlanError.budgetTooSmall(
                what:
                    "a training budget of \(PlanError.scientific(cTrain)) FLOPs cannot train even a \(PlanError.scientific(minParams))-parameter model on \(tokenFloorText(minParams))",
                minimum: minTrain,
                unit: "training FLOPs (--train-flops)"
            )
        }
        if cInf > 0, cInf < 2 * minParams {
            throw PlanError.budgetTooSmall(
                what:
                    "an inference budget of \(PlanError.scientific(cInf)) FLOPs per query token cannot run even one sample of a \(PlanError.scientific(minParams))-parameter model (2N FLOPs per token); use 0 to leave inference out",
                minimum: 2 * minParams,
                unit: "FLOPs per query token (--inference-flops)"
            )
        }
        var hi = Double.log(maxParams)
        var cap = PlanBoundary.largestModel
        // D = C_train/(6N) ≥ max(r_min·N, D_min)
        var tokensCap = 0.5 * Double.log(cTrain / (6 * minTokensPerParam))
        if minTokens > 0 { tokensCap = min(tokensCap, Double.log(cTrain / (6 * minTokens))) }
        if tokensCap < hi {
            hi = tokensCap
            cap = .fewestTokens
        }
        if cInf > 0 {
            let k = samples ?? 1
            let infCap = Double.log(cInf / (2 * k))
            if infCap < hi {
                hi = infCap
                cap = .singleSample
            }
        }
        return (Double.log(minParams), max(hi, Double.log(minParams)), cap)
    }

    /// (A, α, B, β, G, γ) for the laws whose task loss is a sum of power laws.
    private var powerTerms: (A: Double, alpha: Double, B: Double, beta: Double, G: Double, gamma: Double)? {
        guard law.repetition == nil else { return nil }
        switch law.law {
        case let .chinchilla(l): return (l.A, l.alpha, l.B, l.beta, 0, 0)
        case let .t2Loss(l): return (l.A, l.alpha, l.B, l.beta, l.G, l.gamma)
        case .t2Accuracy: return nil
        }
    }

    /// Minimises the separate-mode task loss over u ∈ [lo, hi]; `samples` fixes k, nil lets k = C_inf/(2N).
    private func separateOptimum(
        cTrain: Double,
        cInf: Double,
        samples: Double?,
        lo: Double,
        hi: Double
    ) throws -> Double {
        if let t = powerTerms {
            let bPrime = t.B * Double.pow(cTrain / 6, -t.beta)
            let gPrime = (samples == nil && cInf > 0 && law.hasSamplesTerm) ? t.G * Double.pow(cInf / 2, -t.gamma) : 0
            // D = min(D_max, r_max·N, C_train/(6N)) and k = min(k_max, C_inf/(2N)), constant below
            // u_k = ln(C_inf/(2·k_max)).
            let uSamples = Double.log(cInf / (2 * maxSamples))
            let bRatio = t.B * Double.pow(maxTokensPerParam, -t.beta)
            // d/du of A e^{−αu} + B·D(u)^{−β} + G'·e^{γu}: each piece increases in u, and as u
            // grows D moves from r_max·N to D_max to C_train/(6N) (some may be absent) and k from
            // k_max to C_inf/(2N), each switch a step up in the slope (− → 0 → +); so the slope is
            // non-decreasing and its sign change is the optimum.
            func slope(_ u: Double) -> Double {
                let n = Double.exp(u)
                let fromBudget = cTrain / (6 * n)
                let fromRatio = maxTokensPerParam * n
                let data: Double
                if maxTokens <= min(fromRatio, fromBudget) {
                    data = 0
                } else if fromRatio <= fromBudget {
                    data = -t.beta * bRatio * Double.exp(-t.beta * u)
                } else {
                    data = t.beta * bPrime * Double.exp(t.beta * u)
                }
                let sampling = u > uSamples ? t.gamma * gPrime * Double.exp(t.gamma * u) : 0
                return -t.alpha * t.A * Double.exp(-t.alpha * u) + data + sampling
            }
            if hi <= lo { return lo }
            if slope(lo) >= 0 { return lo }
            if slope(hi) <= 0 { return hi }
            return try findRoot(in: lo...hi, tolerance: 1e-13, slope)
        }
        return gridBrent(lo: lo, hi: hi) { u in
            let n = Double.exp(u)
            let k = samples ?? (cInf > 0 ? min(maxSamples, max(1, cInf / (2 * n))) : 1)
            return law.taskLoss(params: n, tokens: separateTokens(cTrain: cTrain, params: n), samples: k)
        }
    }

    /// D under separate budgets: the training budget's C_train/(6N), at most ``maxTokens``.
    @inline(__always)
    private func separateTokens(cTrain: Double, params n: Double) -> Double { min(tokenCap(n), cTrain / (6 * n)) }

    private func solveSeparate(cTrain: Double, cInf: Double) throws -> Plan {
        let continuousK = law.hasSamplesTerm && cInf > 0
        let bounds = try separateBounds(cTrain: cTrain, cInf: cInf, samples: nil)
        let u = try separateOptimum(
            cTrain: cTrain,
            cInf: cInf,
            samples: continuousK ? nil : 1,
            lo: bounds.lo,
            hi: bounds.hi
        )
        var bestU = u
        var bestK = 1
        var kCont: Double? = nil
        var boundaries: [PlanBoundary] = []
        if !law.hasSamplesTerm { boundaries.append(.noSamplesTerm) }
        if cInf == 0 { boundaries.append(.inferenceNotBudgeted) }
        if continuousK {
            let k = min(maxSamples, cInf / (2 * Double.exp(u)))
            kCont = k
            if k >= maxSamples * (1 - 1e-9) { boundaries.append(.mostSamples) }
            var bestScore = Double.infinity
            for kInt in integerNeighbours(k) {
                guard let b = try? separateBounds(cTrain: cTrain, cInf: cInf, samples: Double(kInt)) else { continue }
                let ui = try separateOptimum(cTrain: cTrain, cInf: cInf, samples: Double(kInt), lo: b.lo, hi: b.hi)
                let n = Double.exp(ui)
                let s = law.taskLoss(
                    params: n,
                    tokens: separateTokens(cTrain: cTrain, params: n),
                    samples: Double(kInt)
                )
                if s < bestScore {
                    bestScore = s
                    bestU = ui
                    bestK = kInt
                }
            }
        }
        // Boundaries are read off the continuous optimum: with k fixed at an integer the inference
        // budget always binds (N = C_inf/(2k)), which is not a boundary of the trade-off.
        if abs(u - bounds.lo) < 1e-7 { boundaries.append(.smallestModel) }
        if abs(u - bounds.hi) < 1e-7, bounds.hi > bounds.lo { appendOnce(&boundaries, bounds.cap) }
        let n = Double.exp(bestU)
        let d = separateTokens(cTrain: cTrain, params: n)
        if d >= maxTokens * (1 - 1e-9) { boundaries.append(.mostTokens) }
        if d >= maxTokensPerParam * n * (1 - 1e-9) { boundaries.append(.mostTokensPerParam) }
        return Plan(
            params: n,
            tokens: d,
            samples: bestK,
            samplesContinuous: kCont,
            predicted: law.predict(params: n, tokens: d, samples: Double(bestK)),
            trainFLOPs: 6 * n * d,
            inferenceFLOPs: 2 * n * Double(bestK),
            flopsPerQuery: nil,
            totalCost: 6 * n * d,
            boundaries: boundaries
        )
    }

    /// Chinchilla under separate budgets: N, D compute-optimal for C_train; k = the samples the
    /// inference budget affords that model, ⌊C_inf/(2N)⌋ ≥ 1 (as the T² paper evaluates its
    /// Chinchilla-optimal baselines); `over_inference_budget` when even one sample is over it.
    private func chinchillaSeparate(cTrain: Double, cInf: Double) -> Plan {
        var alloc = chinchillaAllocation.computeOptimal(flops: cTrain)
        var k = 1
        var boundaries: [PlanBoundary] = []
        if alloc.tokens > maxTokens, maxTokens.isFinite {
            // Data-constrained: all the data, and the rest of the budget in parameters.
            let n = cTrain / (6 * maxTokens)
            alloc = Allocation(
                flops: cTrain,
                params: n,
                tokens: maxTokens,
                loss: chinchillaAllocation.loss(params: n, tokens: maxTokens)
            )
            boundaries.append(.mostTokens)
        }
        if !law.hasSamplesTerm { boundaries.append(.noSamplesTerm) }
        if cInf > 0 {
            let afford = cInf / (2 * alloc.params)
            if afford < 1 { boundaries.append(.overInferenceBudget) }
            if law.hasSamplesTerm {
                k = max(1, Int(min(afford, maxSamples, 1e9).rounded(.down)))
                if afford > maxSamples { boundaries.append(.mostSamples) }
            }
        } else {
            boundaries.append(.inferenceNotBudgeted)
        }
        return Plan(
            params: alloc.params,
            tokens: alloc.tokens,
            samples: k,
            samplesContinuous: nil,
            predicted: law.predict(params: alloc.params, tokens: alloc.tokens, samples: Double(k)),
            trainFLOPs: cTrain,
            inferenceFLOPs: 2 * alloc.params * Double(k),
            flopsPerQuery: nil,
            totalCost: cTrain,
            boundaries: boundaries
        )
    }

    // MARK: - One budget (FLOPs or dollars)

    /// t·6ND + Q·P·v(N) + k·Q·T·u(N) ≤ X on one serving curve (u = v = 2N FLOPs, t = 1 in FLOPs).
    struct LifetimeProblem {
        var budget: Double
        var trainUnit: Double
        var queries: Double
        var tokensPerSample: Double
        var promptTokens: Double
        var curve: ServingCurve?
        var serving: (any InferencePricing)?
        var maxParams: Double
        var shift: Double

        @inline(__always) func perOutputToken(_ lnN: Double) -> Double {
            curve.map { $0.output.value(lnN: lnN) } ?? 2 * Double.exp(lnN)
        }
        @inline(__always) func perInputToken(_ lnN: Double) -> Double {
            curve.map { $0.input.value(lnN: lnN) } ?? 2 * Double.exp(lnN)
        }
        /// s(N): the cost of one more sample per query, over all queries.
        @inline(__always) func sampleCost(_ lnN: Double) -> Double {
            queries * tokensPerSample == 0 ? 0 : queries * tokensPerSample * perOutputToken(lnN)
        }
        /// f(N): prompts, once per query.
        @inline(__always) func fixedCost(_ lnN: Double) -> Double {
            queries * promptTokens == 0 ? 0 : queries * promptTokens * perInputToken(lnN)
        }
    }

    private func lifetimeProblems(_ budget: PlanBudget, pricing: DollarPricing?) throws -> [LifetimeProblem] {
        switch budget {
        case let .lifetime(c, q, t):
            return [
                LifetimeProblem(
                    budget: c,
                    trainUnit: 1,
                    queries: q,
                    tokensPerSample: t,
                    promptTokens: 0,
                    curve: nil,
                    serving: nil,
                    maxParams: maxParams,
                    shift: 0
                )
            ]
        case let .dollars(x, q, t, p):
            guard let pricing else {
                throw PlanError.noServingOption(
                    "a dollar budget needs hardware and quantization prices (--hardware, --quant)"
                )
            }
            return pricing.curves.map {
                LifetimeProblem(
                    budget: x,
                    trainUnit: pricing.training.usdPerFLOP,
                    queries: q,
                    tokensPerSample: t,
                    promptTokens: p,
                    curve: $0,
                    serving: pricing.serving,
                    maxParams: min(maxParams, $0.maxParams),
                    shift: $0.shift
                )
            }
        case .separate:
            return []
        }
    }

    /// D for (N, k) when the budget binds.
    @inline(__always)
    private func tokens(_ p: LifetimeProblem, lnN: Double, k: Double) -> Double {
        let n = Double.exp(lnN)
        return min(tokenCap(n), (p.budget - p.fixedCost(lnN) - k * p.sampleCost(lnN)) / (6 * p.trainUnit * n))
    }

    /// The largest ln N whose plan with k samples keeps D ≥ minTokensPerParam·N; nil when even the smallest model does not fit.
    private func upperLnN(_ p: LifetimeProblem, k: Double) -> (u: Double, cap: PlanBoundary)? {
        let lo = Double.log(minParams)
        func slack(_ u: Double) -> Double {
            let n = Double.exp(u)
            return p.budget - p.fixedCost(u) - k * p.sampleCost(u) - 6 * p.trainUnit * n * tokenFloor(n)
        }
        guard slack(lo) >= 0 else { return nil }
        let hi = Double.log(p.maxParams)
        let capReason: PlanBoundary = p.curve != nil && p.maxParams < maxParams ? .largestServableModel : .largestModel
        if slack(hi) >= 0 { return (hi, capReason) }
        let root = (try? findRoot(in: lo...hi, tolerance: 1e-12, slack)) ?? lo
        return (slack(root) >= 0 ? root : max(lo, root - 1e-12), .fewestTokens)
    }

    /// The cheapest budget amount that trains and serves the smallest model with k = 1.
    private func minimumAmount(_ p: LifetimeProblem) -> Double {
        let u = Double.log(minParams)
        return p.fixedCost(u) + p.sampleCost(u) + 6 * p.trainUnit * minParams * tokenFloor(minParams)
    }

    private func minimumBudgetError(_ problems: [LifetimeProblem], budget: PlanBudget) -> PlanError? {
        guard let minimum = problems.map(minimumAmount).min(), minimum > budget.amount else { return nil }
        let unit = budgetUnit(budget)
        return .budgetTooSmall(
            what:
                "a budget of \(PlanError.scientific(budget.amount)) \(unit) cannot train and serve even a \(PlanError.scientific(minParams))-parameter model (\(tokenFloorText(minParams)), one sample per query)",
            minimum: minimum,
            unit: unit
        )
    }

    /// Best task loss and k for a fixed N (k continuous in [1, k_max(N)]).
    @inline(__always)
    private func profile(_ p: LifetimeProblem, lnN u: Double) -> (score: Double, k: Double) {
        let n = Double.exp(u)
        let s = p.sampleCost(u)
        let rest = p.budget - p.fixedCost(u) - 6 * p.trainUnit * n * tokenFloor(n)
        guard law.hasSamplesTerm, s > 0 else {
            let d = tokens(p, lnN: u, k: 1)
            return (d > 0 ? law.taskLoss(params: n, tokens: d, samples: 1, shift: p.shift) : .infinity, 1)
        }
        let kMax = min(maxSamples, rest / s)
        guard kMax > 1 else {
            let d = tokens(p, lnN: u, k: 1)
            return (d > 0 ? law.taskLoss(params: n, tokens: d, samples: 1, shift: p.shift) : .infinity, 1)
        }
        let fixed = p.fixedCost(u)
        let scale = 6 * p.trainUnit * n
        let cap = tokenCap(n)
        // w = 1 + ln k keeps Brent's relative tolerance meaningful at k = 1.
        let r = minimizeScalar(in: 1...(1 + Double.log(kMax)), tolerance: 1e-7) { w in
            let k = Double.exp(w - 1)
            let d = min(cap, (p.budget - fixed - k * s) / scale)
            return d > 0 ? law.taskLoss(params: n, tokens: d, samples: k, shift: p.shift) : .infinity
        }
        let k1 = law.taskLoss(
            params: n,
            tokens: min(cap, (p.budget - fixed - s) / scale),
            samples: 1,
            shift: p.shift
        )
        return k1 <= r.value ? (k1, 1) : (r.value, Double.exp(r.x - 1))
    }

    private func solveLifetime(_ p: LifetimeProblem) throws -> Plan {
        guard let top = upperLnN(p, k: 1) else {
            throw PlanError.budgetTooSmall(
                what: "the budget cannot train and serve the smallest model",
                minimum: minimumAmount(p),
                unit: ""
            )
        }
        let lo = Double.log(minParams)
        let uCont = gridBrent(lo: lo, hi: top.u) { profile(p, lnN: $0).score }
        let kCont = profile(p, lnN: uCont).k
        let samplesFree = law.hasSamplesTerm && p.sampleCost(uCont) > 0

        var bestU = uCont
        var bestK = 1
        var bestScore = Double.infinity
        var bestCap = top
        for kInt in samplesFree ? integerNeighbours(kCont).filter({ Double($0) <= maxSamples }) : [1] {
            guard let ub = upperLnN(p, k: Double(kInt)) else { continue }
            let u = gridBrent(lo: lo, hi: ub.u) { u in
                let d = tokens(p, lnN: u, k: Double(kInt))
                return d > 0
                    ? law.taskLoss(params: Double.exp(u), tokens: d, samples: Double(kInt), shift: p.shift) : .infinity
            }
            let s = law.taskLoss(
                params: Double.exp(u),
                tokens: tokens(p, lnN: u, k: Double(kInt)),
                samples: Double(kInt),
                shift: p.shift
            )
            if s < bestScore {
                bestScore = s
                bestU = u
                bestK = kInt
                bestCap = ub
            }
        }
        var boundaries: [PlanBoundary] = []
        if !law.hasSamplesTerm { boundaries.append(.noSamplesTerm) }
        if p.queries * p.tokensPerSample == 0 { boundaries.append(.inferenceNotBudgeted) }
        if samplesFree, kCont <= 1 + 1e-6 { boundaries.append(.singleSample) }
        if samplesFree, kCont >= maxSamples * (1 - 1e-6) { boundaries.append(.mostSamples) }
        if abs(bestU - lo) < 1e-7 { boundaries.append(.smallestModel) }
        if abs(bestU - bestCap.u) < 1e-7 { appendOnce(&boundaries, bestCap.cap) }
        let bestD = tokens(p, lnN: bestU, k: Double(bestK))
        if bestD >= maxTokens * (1 - 1e-9) { boundaries.append(.mostTokens) }
        if bestD >= maxTokensPerParam * Double.exp(bestU) * (1 - 1e-9) { boundaries.append(.mostTokensPerParam) }
        return finish(
            p,
            params: Double.exp(bestU),
            samples: bestK,
            samplesContinuous: samplesFree ? kCont : nil,
            boundaries: boundaries
        )
    }

    /// Builds the reported plan, repricing a dollar plan exactly on its best candidate option and
    /// re-deriving D from the budget so that the budget holds exactly.
    private func finish(
        _ p: LifetimeProblem,
        params n: Double,
        samples k: Int,
        samplesContinuous: Double?,
        boundaries: [PlanBoundary]
    ) -> Plan {
        let q = p.queries
        let t = p.tokensPerSample
        let pr = p.promptTokens
        let inferenceFLOPs = 2 * n * (Double(k) * t + pr) * q
        guard let curve = p.curve, let pricing = p.serving else {
            let d = tokens(p, lnN: Double.log(n), k: Double(k))
            var plan = Plan(
                params: n,
                tokens: d,
                samples: k,
                samplesContinuous: samplesContinuous,
                predicted: law.predict(params: n, tokens: d, samples: Double(k), shift: p.shift),
                trainFLOPs: 6 * n * d,
                inferenceFLOPs: inferenceFLOPs,
                flopsPerQuery: 2 * n * (Double(k) * t + pr),
                totalCost: 6 * n * d + inferenceFLOPs,
                boundaries: boundaries
            )
            plan.totalCost = p.trainUnit * plan.trainFLOPs + q * Double(k) * t * p.perOutputToken(Double.log(n))
            return plan
        }
        // exact repricing among the curve's candidates
        var choice: (ServingOption, ServingPrice)?
        for option in curve.candidates {
            guard let price = pricing.price(params: n, option: option) else { continue }
            let perQuery = Double(k) * t * price.usdPerOutputToken + pr * price.usdPerInputToken
            if choice == nil || perQuery < Double(k) * t * choice!.1.usdPerOutputToken + pr * choice!.1.usdPerInputToken
            {
                choice = (option, price)
            }
        }
        let usdOut = choice?.1.usdPerOutputToken ?? p.perOutputToken(Double.log(n))
        let usdIn = choice?.1.usdPerInputToken ?? p.perInputToken(Double.log(n))
        let perQuery = Double(k) * t * usdOut + pr * usdIn
        let inferenceUSD = q * perQuery
        var d = min(tokenCap(n), (p.budget - inferenceUSD) / (6 * p.trainUnit * n))
        if !(d > 0) { d = tokens(p, lnN: Double.log(n), k: Double(k)) }
        let shift = choice?.0.lossPenalty ?? p.shift
        var plan = Plan(
            params: n,
            tokens: d,
            samples: k,
            samplesContinuous: samplesContinuous,
            predicted: law.predict(params: n, tokens: d, samples: Double(k), shift: shift),
            trainFLOPs: 6 * n * d,
            inferenceFLOPs: inferenceFLOPs,
            flopsPerQuery: 2 * n * (Double(k) * t + pr),
            totalCost: p.trainUnit * 6 * n * d + inferenceUSD,
            boundaries: boundaries
        )
        plan.trainUSD = p.trainUnit * 6 * n * d
        plan.inferenceUSD = inferenceUSD
        plan.usdPerQuery = perQuery
        plan.usdPerMillionOutputTokens = usdOut * 1e6
        plan.usdPerMillionInputTokens = usdIn * 1e6
        plan.serving = choice?.0 ?? curve.candidates.first
        return plan
    }

    /// Chinchilla under one budget: the compute-optimal (N, D) of the law's pretraining part whose
    /// training plus k = 1 inference fits the budget exactly, t·C_t + f(N_opt(C_t)) + s(N_opt(C_t)) = X.
    private func chinchillaLifetime(_ p: LifetimeProblem) throws -> Plan {
        let pre = chinchillaAllocation
        let a = pre.beta / (pre.alpha + pre.beta)
        let g = pre.allocationCoefficient
        func lnParams(_ lnC: Double) -> Double { Double.log(g) + a * (lnC - Double.log(6)) }
        func excess(_ lnC: Double) -> Double {
            let u = lnParams(lnC)
            return p.trainUnit * Double.exp(lnC) + p.fixedCost(u) + p.sampleCost(u) - p.budget
        }
        // C_t at which N_opt reaches the largest model considered / servable
        let lnCCap = (Double.log(p.maxParams) - Double.log(g)) / a + Double.log(6)
        var hi = min(Double.log(p.budget / p.trainUnit), lnCCap)
        var boundaries: [PlanBoundary] = law.hasSamplesTerm ? [] : [.noSamplesTerm]
        if p.queries * p.tokensPerSample == 0 { boundaries.append(.inferenceNotBudgeted) }
        if excess(hi) > 0 {
            let lo = Double.log(6 * minParams * tokenFloor(minParams))
            guard excess(lo) < 0 else { throw PlanError.invalidBudget("no Chinchilla plan fits") }
            hi = try findRoot(in: lo...hi, tolerance: 1e-12, excess)
        } else if hi == lnCCap, lnCCap < Double.log(p.budget / p.trainUnit) {
            boundaries.append(p.curve != nil ? .largestServableModel : .largestModel)
        }
        let n = Double.exp(lnParams(hi))
        var plan = finish(p, params: n, samples: 1, samplesContinuous: nil, boundaries: boundaries)
        // keep Chinchilla's shape (finish re-derives D from the whole budget), within the data cap
        let d = min(tokenCap(n), Double.exp(hi) / (6 * n))
        if d >= maxTokens * (1 - 1e-9) { appendOnce(&plan.boundaries, .mostTokens) }
        plan.tokens = d
        plan.trainFLOPs = 6 * n * d
        plan.predicted = law.predict(params: n, tokens: d, samples: 1, shift: plan.serving?.lossPenalty ?? p.shift)
        if let inf = plan.inferenceUSD {
            plan.trainUSD = p.trainUnit * plan.trainFLOPs
            plan.totalCost = plan.trainUSD! + inf
        } else {
            plan.totalCost = plan.trainFLOPs + plan.inferenceFLOPs
        }
        return plan
    }

    // MARK: - Inverse problem helpers

    private func validate(_ target: PlanTarget) throws {
        switch target {
        case let .accuracy(a):
            guard law.predictsAccuracy else {
                throw PlanError.targetNotPredicted(
                    "a chinchilla law predicts loss, not accuracy: use --target-loss, or a t2-loss/t2-accuracy law (--law)"
                )
            }
            guard a > 0, a < 1 else {
                throw PlanError.unreachableTarget(
                    target: target.description,
                    best: "pass@k is a fraction in (0, 1)",
                    hint: "Give e.g. --target-accuracy 0.5 for 50%."
                )
            }
        case let .loss(l):
            guard l.isFinite, l > 0 else {
                throw PlanError.unreachableTarget(
                    target: target.description,
                    best: "a loss must be a positive number",
                    hint: "Give e.g. --target-loss 2.1."
                )
            }
            if let t = powerTerms, l <= law.pretraining.E {
                let floor = law.pretraining.E
                _ = t
                throw PlanError.unreachableTarget(
                    target: target.description,
                    best: "the law's irreducible loss is E = \(String(format: "%.4g", floor)), which no model reaches",
                    hint:
                        "The nearest reachable targets are just above E, e.g. --target-loss \(String(format: "%.4g", floor + 0.05))."
                )
            }
        }
    }

    private func nearestTargetHint(_ target: PlanTarget, _ atCap: Plan) -> String {
        switch target {
        case .accuracy:
            return
                "The nearest reachable target is --target-accuracy \(String(format: "%.4g", (atCap.predicted.passAtK ?? 0) * 0.999))."
        case .loss:
            return
                "The nearest reachable target is --target-loss \(String(format: "%.4g", atCap.predicted.taskLoss * 1.001))."
        }
    }

    private func lowestFeasible(_ budget: PlanBudget, pricing: DollarPricing?, from amount: Double) throws -> Double {
        // Probe a tiny amount to learn the minimum feasible budget from the error.
        do { _ = try plan(budget.with(amount: 1e-300), pricing: pricing) } catch let PlanError.budgetTooSmall(
            _,
            minimum,
            _
        ) {
            return min(amount, minimum * (1 + 1e-9))
        }
        return amount
    }

    private func targetResult(
        _ target: PlanTarget,
        amount: Double,
        budget: PlanBudget,
        pricing: DollarPricing?
    ) throws -> TargetComparison {
        let found = try plan(budget.with(amount: amount), pricing: pricing)
        if let chin = try chinchillaReaching(target.taskLoss, budget: budget, pricing: pricing) {
            return TargetComparison(
                target: target,
                result: PlanComparison(budget: found.budget, plan: found.plan, chinchilla: chin),
                chinchillaReachesTarget: true
            )
        }
        // Chinchilla's shape with k = 1 never reaches the target: compare at the plan's budget instead.
        return TargetComparison(target: target, result: found, chinchillaReachesTarget: false)
    }

    /// Chinchilla's plan alone for a budget (no T² optimisation).
    private func chinchillaOnly(_ budget: PlanBudget, pricing: DollarPricing?) -> Plan? {
        guard var plan = chinchillaUnannotated(budget, pricing: pricing) else { return nil }
        annotate(&plan)
        return plan
    }

    private func chinchillaUnannotated(_ budget: PlanBudget, pricing: DollarPricing?) -> Plan? {
        switch budget {
        case let .separate(c, ci):
            return chinchillaSeparate(cTrain: c, cInf: ci)
        case .lifetime, .dollars:
            guard let problems = try? lifetimeProblems(budget, pricing: pricing) else { return nil }
            var best: Plan?
            for problem in problems {
                if let c = try? chinchillaLifetime(problem),
                    best == nil || c.predicted.taskLoss < best!.predicted.taskLoss
                {
                    best = c
                }
            }
            return best
        }
    }

    /// The smallest budget amount whose Chinchilla plan reaches `tau` (log-spaced scan, then
    /// bisection), or nil when no budget up to the cap does.
    private func chinchillaReaching(_ tau: Double, budget: PlanBudget, pricing: DollarPricing?) throws -> Plan? {
        func chin(_ x: Double) -> Plan? { chinchillaOnly(budget.with(amount: x), pricing: pricing) }
        var lo = try lowestFeasible(budget, pricing: pricing, from: budget.amount)
        let cap: Double = {
            if case .dollars = budget { return 1e15 }
            return 1e40
        }()
        var hi = lo
        while hi < cap {
            hi *= 1.5
            if let c = chin(hi), c.predicted.taskLoss <= tau { break }
            lo = hi
        }
        guard let atHi = chin(hi), atHi.predicted.taskLoss <= tau else { return nil }
        var a = lo
        var b = hi
        for _ in 0..<80 {
            let m = (a * b).squareRoot()
            if let c = chin(m), c.predicted.taskLoss <= tau { b = m } else { a = m }
            if b / a - 1 < 1e-12 { break }
        }
        return chin(b) ?? atHi
    }

    // MARK: - Small helpers

    private func budgetUnit(_ budget: PlanBudget) -> String {
        switch budget {
        case .separate: return "training FLOPs"
        case .lifetime: return "FLOPs"
        case .dollars: return "USD"
        }
    }

    /// ⌊k⌋ and ⌈k⌉, at least 1, deduplicated.
    private func integerNeighbours(_ k: Double) -> [Int] {
        let f = max(1, Int(min(k, 1e9).rounded(.down)))
        let c = max(1, Int(min(k, 1e9).rounded(.up)))
        return f == c ? [f] : [f, c]
    }

    private func appendOnce(_ list: inout [PlanBoundary], _ b: PlanBoundary) {
        if !list.contains(b) { list.append(b) }
    }

    /// Grid of `gridPoints` in [lo, hi], then Brent's minimiser between the best point's neighbours.
    private func gridBrent(lo: Double, hi: Double, _ f: (Double) -> Double) -> Double {
        guard hi > lo + 1e-12 else { return lo }
        let m = max(3, gridPoints)
        let step = (hi - lo) / Double(m - 1)
        var bestI = 0
        var bestV = Double.infinity
        for i in 0..<m {
            let v = f(lo + Double(i) * step)
            if v < bestV {
                bestV = v
                bestI = i
            }
        }
        let a = lo + Double(max(0, bestI - 1)) * step
        let b = lo + Double(min(m - 1, bestI + 1)) * step
        let r = minimizeScalar(in: a...b, tolerance: 1e-11, f)
        // Brent never evaluates the interval's ends; keep a better end point (boundary optimum).
        let ends = [(a, f(a)), (b, f(b))]
        var best = (r.x, r.value)
        for e in ends where e.1 < best.1 { best = e }
        return best.0
    }
}
