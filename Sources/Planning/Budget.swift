import Foundation

/// What the plan may spend. FLOP accounting follows Kaplan et al. (2020): training costs 6 FLOPs and
/// inference 2 FLOPs per parameter per token.
public enum PlanBudget: Sendable, Equatable {
    /// T² as the paper reports it (Roberts et al. 2026): 6·N·D ≤ C_train and 2·N·k ≤ C_inf, with
    /// C_inf an inference allowance per query token. `inferenceFLOPs = 0` leaves inference
    /// unbudgeted (k = 1, the Chinchilla problem).
    case separate(trainFLOPs: Double, inferenceFLOPs: Double)
    /// One lifetime budget (Sardana et al. 2023): 6·N·D + 2·N·k·T·Q ≤ C for Q queries of k samples
    /// of T tokens each.
    case lifetime(flops: Double, queries: Double, tokensPerSample: Double)
    /// One budget in dollars: training at `TrainingPricing.usdPerFLOP` plus Q·(k·T·$/output token +
    /// P·$/input token) of serving on the chosen ``ServingOption``.
    case dollars(usd: Double, queries: Double, tokensPerSample: Double, promptTokens: Double)

    /// The mode's name in reports: `separate`, `lifetime` or `dollars`.
    public var mode: String {
        switch self {
        case .separate: return "separate"
        case .lifetime: return "lifetime"
        case .dollars: return "dollars"
        }
    }

    /// The budget's main amount (C_train, C or X): what `--sweep` varies and the inverse problem minimises.
    public var amount: Double {
        switch self {
        case let .separate(c, _): return c
        case let .lifetime(c, _, _): return c
        case let .dollars(x, _, _, _): return x
        }
    }

    /// The same budget with its main amount replaced.
    public func with(amount: Double) -> PlanBudget {
        switch self {
        case let .separate(_, inf): return .separate(trainFLOPs: amount, inferenceFLOPs: inf)
        case let .lifetime(_, q, t): return .lifetime(flops: amount, queries: q, tokensPerSample: t)
        case let .dollars(_, q, t, p): return .dollars(usd: amount, queries: q, tokensPerSample: t, promptTokens: p)
        }
    }

    /// Whether inference is part of the budget at all (C_inf > 0, or Q·T > 0).
    public var budgetsInference: Bool {
        switch self {
        case let .separate(_, inf): return inf > 0
        case let .lifetime(_, q, t): return q * t > 0
        case let .dollars(_, q, t, _): return q * t > 0
        }
    }

    /// Throws ``PlanError/invalidBudget(_:)`` for negative, zero or non-finite amounts.
    public func validate() throws {
        func check(_ v: Double, _ name: String, positive: Bool) throws {
            guard v.isFinite, positive ? v > 0 : v >= 0 else {
                throw PlanError.invalidBudget("\(name) is \(v); it must be a finite number \(positive ? "> 0" : "≥ 0")")
            }
        }
        switch self {
        case let .separate(c, inf):
            try check(c, "the training budget C_train", positive: true)
            try check(inf, "the inference budget C_inf", positive: false)
        case let .lifetime(c, q, t):
            try check(c, "the lifetime budget C", positive: true)
            try check(q, "the number of queries Q", positive: false)
            try check(t, "the tokens per sample T", positive: false)
        case let .dollars(x, q, t, p):
            try check(x, "the dollar budget", positive: true)
            try check(q, "the number of queries Q", positive: false)
            try check(t, "the tokens per sample T", positive: false)
            try check(p, "the prompt tokens per query", positive: false)
        }
    }
}

/// Errors from planning, each with what to do instead.
public enum PlanError: Error, LocalizedError, Equatable, Sendable {
    /// The law's form or parameters cannot be optimised.
    case unplannableLaw(form: String, reason: String)
    /// A budget amount is not a usable number.
    case invalidBudget(String)
    /// The budget cannot train (or serve) even the smallest model; `minimum` is the nearest feasible amount.
    case budgetTooSmall(what: String, minimum: Double, unit: String)
    /// The target metric is out of reach; `best` is the best the law reaches under the given limit.
    case unreachableTarget(target: String, best: String, hint: String)
    /// No serving option can serve even the smallest model.
    case noServingOption(String)
    /// A target was asked of a law that cannot predict it.
    case targetNotPredicted(String)

    public var errorDescription: String? {
        switch self {
        case let .unplannableLaw(form, reason):
            return
                "cannot plan with this \(form) law: \(reason). t2 plan needs a law of quality over model size N and training tokens D: chinchilla, t2-loss or t2-accuracy (write one with `t2 fit --form t2-accuracy COUNTS.csv --out law.json`)."
        case let .invalidBudget(message):
            return "invalid budget: \(message)."
        case let .budgetTooSmall(what, minimum, unit):
            return
                "\(what). The smallest feasible budget is \(Self.scientific(minimum)) \(unit); raise it to at least that."
        case let .unreachableTarget(target, best, hint):
            return "the target \(target) is out of reach: \(best). \(hint)"
        case let .noServingOption(message):
            return "no serving option: \(message)."
        case let .targetNotPredicted(message):
            return message
        }
    }

    static func scientific(_ v: Double) -> String { String(format: "%.3g", v) }
}
