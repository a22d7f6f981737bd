import ArgumentParser
import Foundation
import Planning
import ScalingLaws
import Tabular

/// `t2 plan`: the Train-to-Test optimiser. Parses, calls ``Planner``, renders.
struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract:
            "Choose model size N, training tokens D and samples per query k for a budget — beside Chinchilla's answer.",
        discussion: """
            Repeated sampling makes every query cost k × 2N FLOPs per token, so when a model will \
            be used, a smaller model trained far longer and sampled k times can beat the \
            Chinchilla-optimal one (~20 tokens per parameter). t2 plan finds that optimum under a \
            scaling law and prints it next to Chinchilla's plan for the same budget.

            With no arguments: the built-in T² law (pass@k on GSM8K, fitted on 81 Pythia \
            checkpoints) at the T² paper's validation budget, --train-flops 2.56e19 \
            --inference-flops 2e9.

            Budgets (pick one):
              --train-flops C --inference-flops Ci     separate, as the T² paper: 6ND ≤ C, 2Nk ≤ Ci per query token
              --budget-flops C --queries Q --tokens-per-sample T
                                                       one lifetime budget (Sardana et al.): 6ND + 2NkTQ ≤ C
              --budget-usd X --queries Q --tokens-per-sample T --hardware H --quant Q
                                                       dollars: training at $/GPU-hour and MFU, serving priced
                                                       by the cost model; 'any' lets t2 choose hardware/quant
            Inverse: --target-accuracy A or --target-loss L (with a mode's other options) finds the \
            cheapest plan reaching it. --sweep C1:C2:n prints the optimal path over n budgets.

            Examples:
              t2 plan
              t2 plan --train-flops 1e23 --inference-flops 0 --law chinchilla.json
              t2 plan --budget-flops 1e22 --queries 1e9 --tokens-per-sample 256
              t2 plan --budget-usd 1e6 --queries 1e8 --tokens-per-sample 256 --hardware any --quant any
              t2 plan --target-accuracy 0.3 --queries 1e9 --tokens-per-sample 256
              t2 plan --sweep 1e18:1e24:25 --inference-flops 2e9 --format csv
            """
    )

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Law JSON written by `t2 fit --out` (forms chinchilla, t2-loss, t2-accuracy). Default: the built-in T² law.",
            valueName: "file"
        )
    )
    var law: String?

    @Option(
        name: .customLong("train-flops"),
        help: ArgumentHelp("Separate budgets: training FLOPs C_train (6·N·D ≤ C_train).", valueName: "C")
    )
    var trainFLOPs: Double?

    @Option(
        name: .customLong("inference-flops"),
        help: ArgumentHelp(
            "Separate budgets: inference FLOPs per query token C_inf (2·N·k ≤ C_inf); 0 leaves inference out.",
            valueName: "C"
        )
    )
    var inferenceFLOPs: Double?

    @Option(
        name: .customLong("budget-flops"),
        help: ArgumentHelp("Lifetime budget in FLOPs: 6·N·D + 2·N·k·T·Q ≤ C.", valueName: "C")
    )
    var budgetFLOPs: Double?

    @Option(
        name: .customLong("budget-usd"),
        help: ArgumentHelp("Lifetime budget in dollars: training plus serving Q queries.", valueName: "X")
    )
    var budgetUSD: Double?

    @Option(
        name: .long,
        help: ArgumentHelp("Queries served over the model's life (0: inference ignored).", valueName: "Q")
    )
    var queries: Double?

    @Option(name: .customLong("tokens-per-sample"), help: ArgumentHelp("Generated tokens per sample.", valueName: "T"))
    var tokensPerSample: Double?

    @Option(
        name: .customLong("prompt-tokens"),
        help: ArgumentHelp("Dollars: prompt tokens per query, prefilled once per query (default 0).", valueName: "P")
    )
    var promptTokens: Double = 0

    @Option(
        name: .long,
        help: ArgumentHelp("Dollars: serving hardware (catalog name, comma list, or 'any').", valueName: "name")
    )
    var hardware: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Dollars: weight quantization (e.g. bf16, fp8, q4_k_m; comma list, or 'any').",
            valueName: "name"
        )
    )
    var quant: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Dollars: serving engine (default: the cost model's default for the hardware).",
            valueName: "name"
        )
    )
    var engine: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Dollars: calibration JSON from `t2 calibrate`, so serving costs come from your measurements (default: the built-in calibration).",
            valueName: "file"
        )
    )
    var calibration: String?

    @Option(
        name: .customLong("train-hardware"),
        help: ArgumentHelp("Dollars: training GPU (default h100-sxm).", valueName: "name")
    )
    var trainHardware: String = "h100-sxm"

    @Option(
        name: .customLong("train-mfu"),
        help: ArgumentHelp("Dollars: achieved model-FLOPs utilisation in training (default 0.4).", valueName: "U")
    )
    var trainMFU: Double = 0.4

    @Option(
        name: .customLong("train-usd-per-hour"),
        help: ArgumentHelp(
            "Dollars: training $/GPU-hour (default: the catalog price of --train-hardware).",
            valueName: "P"
        )
    )
    var trainUSDPerHour: Double?

    @Option(
        name: .customLong("target-accuracy"),
        help: ArgumentHelp("Inverse: the cheapest plan whose pass@k reaches A (a fraction, e.g. 0.3).", valueName: "A")
    )
    var targetAccuracy: Double?

    @Option(
        name: .customLong("target-loss"),
        help: ArgumentHelp("Inverse: the cheapest plan whose task loss reaches L.", valueName: "L")
    )
    var targetLoss: Double?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Optimal path over n log-spaced budgets from C1 to C2 (the mode's main budget).",
            valueName: "C1:C2:n"
        )
    )
    var sweep: String?

    @Option(
        name: .customLong("min-params"),
        help: ArgumentHelp("Smallest model considered (default 1e6 parameters).", valueName: "N")
    )
    var minParams: Double = 1e6

    @Option(
        name: .customLong("max-samples"),
        help: ArgumentHelp(
            "Most samples per query considered with one budget (default 1e4, the range the built-in law is fitted on).",
            valueName: "k"
        )
    )
    var maxSamples: Double = 1e4

    @Option(
        name: .customLong("max-train-tokens"),
        help: ArgumentHelp(
            "The training data you have, in tokens seen (repeats included: up to ~4 epochs cost little, Muennighoff et al. 2023). D never exceeds it; where it binds the plan says so. Default: unlimited.",
            valueName: "D"
        )
    )
    var maxTrainTokens: Double?

    @OptionGroup var output: OutputOptions

    init() {}

    /// The T² paper's validation budget (Roberts et al. 2026, as reported by secondary sources):
    /// C_train = 2.56e19 FLOPs, C_inf = 2e9 FLOPs per query token.
    static let defaultBudget = PlanBudget.separate(trainFLOPs: 2.56e19, inferenceFLOPs: 2e9)

    func validate() throws {
        let modes = [trainFLOPs != nil, budgetFLOPs != nil, budgetUSD != nil].filter { $0 }.count
        if modes > 1 {
            throw ValidationError(
                "Give one budget: --train-flops (with --inference-flops), --budget-flops or --budget-usd."
            )
        }
        if targetAccuracy != nil, targetLoss != nil {
            throw ValidationError("Give one target: --target-accuracy or --target-loss.")
        }
        if calibration != nil, budgetUSD == nil {
            throw ValidationError("--calibration prices serving in dollars: it needs --budget-usd.")
        }
        if targetAccuracy != nil || targetLoss != nil, sweep != nil {
            throw ValidationError("--sweep varies the budget; it cannot be combined with a target.")
        }
        if targetAccuracy != nil || targetLoss != nil, modes > 0 {
            throw ValidationError(
                "A target finds the budget: drop --train-flops/--budget-flops/--budget-usd (keep --inference-flops, or --queries and --tokens-per-sample)."
            )
        }
        if let a = targetAccuracy, !(a > 0 && a < 1) {
            throw ValidationError("--target-accuracy is a fraction in (0, 1), e.g. 0.3 for 30%; got \(a).")
        }
        if trainFLOPs != nil, inferenceFLOPs == nil {
            throw ValidationError(
                "--train-flops needs --inference-flops (FLOPs per query token; 0 leaves inference out)."
            )
        }
        if budgetFLOPs != nil || budgetUSD != nil, queries == nil || tokensPerSample == nil {
            throw ValidationError(
                "A lifetime budget needs --queries Q and --tokens-per-sample T (use --queries 0 to leave inference out)."
            )
        }
        if inferenceFLOPs != nil, budgetFLOPs != nil || budgetUSD != nil || queries != nil {
            throw ValidationError(
                "--inference-flops belongs to separate budgets (--train-flops); lifetime budgets use --queries and --tokens-per-sample."
            )
        }
        if !(maxSamples >= 1 && maxSamples.isFinite) { throw ValidationError("--max-samples must be a number ≥ 1.") }
        if !(minParams > 0 && minParams.isFinite) { throw ValidationError("--min-params must be a positive number.") }
        if let d = maxTrainTokens, !(d > 0 && d.isFinite) {
            throw ValidationError("--max-train-tokens must be a positive number of tokens, e.g. 15e12.")
        }
        if let d = maxTrainTokens, d < minParams {
            throw ValidationError(
                "--max-train-tokens \(Format.scientific(d, 2)) cannot train even the smallest model considered (--min-params \(Format.scientific(minParams, 2)), at least 1 token per parameter): give the tokens you have, e.g. 15e12, or lower --min-params."
            )
        }
        if !(trainMFU > 0 && trainMFU <= 1) {
            throw ValidationError("--train-mfu is a fraction in (0, 1], e.g. 0.4; got \(trainMFU).")
        }
        if let s = sweep { _ = try Self.parseSweep(s) }
    }

    func run() throws {
        let text = try render()
        Console.output(text)
        if let path = output.out {
            try AtomicFile.write(text + "\n", to: path)
        }
    }

    /// The command's output text (what `run` prints).
    func render() throws -> String {
        let (planLaw, lawSource, lawFile) = try loadLaw()
        var planner = Planner(law: planLaw)
        planner.minParams = minParams
        planner.maxSamples = maxSamples
        if let maxTrainTokens { planner.maxTokens = maxTrainTokens }
        let budget = try resolveBudget()
        let pricing = try dollarPricing(for: budget)
        var context = PlanReport.Context(
            lawForm: planLaw.law.form,
            lawSource: lawSource,
            lawParameters: planLaw.law.parameters
        )
        if law == nil { context.fittedRange = (14e6...12e9, 2e6...300e9) }  // Pythia checkpoints in the GSM8K fixture

        if let sweep {
            let amounts = try Self.parseSweep(sweep)
            let path = try planner.sweep(budget, amounts: amounts, pricing: pricing)
            return try PlanReport.sweep(context: context, template: budget, path: path, format: output.format)
        }
        if targetAccuracy != nil || targetLoss != nil {
            let target: PlanTarget = targetAccuracy.map { .accuracy($0) } ?? .loss(targetLoss!)
            let result = try planner.cheapest(reaching: target, budget: budget, pricing: pricing)
            return try PlanReport.single(
                context: context,
                comparison: result.result,
                target: result,
                intervals: nil,
                isDefault: false,
                format: output.format
            )
        }
        let comparison = try planner.plan(budget, pricing: pricing)
        var intervals: PlanIntervals?
        if let replicates = lawFile?.bootstrap, !replicates.isEmpty {
            intervals = planner.intervals(
                replicates: replicates,
                form: planLaw.law.form,
                budget: budget,
                pricing: pricing
            )
        }
        let isDefault =
            law == nil && trainFLOPs == nil && budgetFLOPs == nil && budgetUSD == nil && inferenceFLOPs == nil
            && queries == nil
        return try PlanReport.single(
            context: context,
            comparison: comparison,
            target: nil,
            intervals: intervals,
            isDefault: isDefault,
            format: output.format
        )
    }

    // MARK: - Inputs

    private func loadLaw() throws -> (PlanningLaw, String, LawFile?) {
        if let path = law {
            let file = try LawFile.read(from: path)
            return (try PlanningLaw(file: file, source: path), path, file)
        }
        let builtIn = try BuiltInPlanLaw.law
        return (try PlanningLaw(builtIn.law), builtIn.description, nil)
    }

    private func resolveBudget() throws -> PlanBudget {
        let amountPlaceholder = 1.0
        if let x = budgetUSD {
            return .dollars(usd: x, queries: queries!, tokensPerSample: tokensPerSample!, promptTokens: promptTokens)
        }
        if let c = budgetFLOPs { return .lifetime(flops: c, queries: queries!, tokensPerSample: tokensPerSample!) }
        if let c = trainFLOPs { return .separate(trainFLOPs: c, inferenceFLOPs: inferenceFLOPs!) }
        // targets and sweeps: the mode follows from the other options
        if hardware != nil || quant != nil {
            guard let q = queries, let t = tokensPerSample else {
                throw ValidationError("Dollars need --queries Q and --tokens-per-sample T.")
            }
            return .dollars(usd: amountPlaceholder, queries: q, tokensPerSample: t, promptTokens: promptTokens)
        }
        if let q = queries {
            guard let t = tokensPerSample else { throw ValidationError("--queries needs --tokens-per-sample T.") }
            return .lifetime(flops: amountPlaceholder, queries: q, tokensPerSample: t)
        }
        if let ci = inferenceFLOPs { return .separate(trainFLOPs: amountPlaceholder, inferenceFLOPs: ci) }
        if sweep != nil || targetAccuracy != nil || targetLoss != nil {
            if case let .separate(_, ci) = Self.defaultBudget {
                return .separate(trainFLOPs: amountPlaceholder, inferenceFLOPs: ci)
            }
        }
        return Self.defaultBudget
    }

    private func dollarPricing(for budget: PlanBudget) throws -> DollarPricing? {
        guard case let .dollars(_, _, t, p) = budget else { return nil }
        return try CostModelPlanPricing.make(
            hardware: hardware ?? "any",
            quant: quant ?? "any",
            engine: engine,
            tokensPerSample: t,
            promptTokens: p,
            trainHardware: trainHardware,
            trainMFU: trainMFU,
            trainUSDPerHour: trainUSDPerHour,
            minParams: minParams,
            costModel: try CostCommand.loadModel(
                catalog: nil,
                calibration: calibration,
                localHardware: CostCommand.usesLocal(hardware, [])
            )
        )
    }

    static func parseSweep(_ text: String) throws -> [Double] {
        let parts = text.split(separator: ":").map(String.init)
        guard parts.count == 3, let a = Double(parts[0]), let b = Double(parts[1]), let n = Int(parts[2]) else {
            throw ValidationError("--sweep is C1:C2:n, e.g. 1e18:1e24:25; got '\(text)'.")
        }
        guard a > 0, b > a, a.isFinite, b.isFinite, n >= 2, n <= 100_000 else {
            throw ValidationError("--sweep needs 0 < C1 < C2 and 2 ≤ n ≤ 100000; got '\(text)'.")
        }
        return (0..<n).map { i in
            Foundation.exp(Foundation.log(a) + Double(i) / Double(n - 1) * (Foundation.log(b) - Foundation.log(a)))
        }
    }
}

// MARK: - Rendering

/// Renders plans as tables for people, JSON or CSV for scripts.
enum PlanReport {
    struct Context {
        var lawForm: String
        var lawSource: String
        var lawParameters: [String: Double]
        /// The (N, D) box the law was fitted on, when known (the built-in law's Pythia checkpoints).
        var fittedRange: (params: ClosedRange<Double>, tokens: ClosedRange<Double>)? = nil
    }

    // JSON documents

    struct LawJSON: Encodable {
        var form: String
        var source: String
        var parameters: [String: Double]
    }

    struct BudgetJSON: Encodable {
        var mode: String
        var trainFLOPs: Double?
        var inferenceFLOPs: Double?
        var flops: Double?
        var usd: Double?
        var queries: Double?
        var tokensPerSample: Double?
        var promptTokens: Double?

        init(_ b: PlanBudget) {
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

    struct GapJSON: Encodable {
        var taskLossGain: Double
        var passAtKGain: Double?
        var paramsRatio: Double
        var tokensPerParamRatio: Double
        enum CodingKeys: String, CodingKey {
            case taskLossGain = "task_loss_gain"
            case passAtKGain = "pass_at_k_gain"
            case paramsRatio = "params_ratio"
            case tokensPerParamRatio = "tokens_per_param_ratio"
        }
    }

    struct TargetJSON: Encodable {
        var kind: String
        var value: Double
        var saving: Double?
        var chinchillaReachesTarget: Bool
        enum CodingKeys: String, CodingKey {
            case kind
            case value
            case saving
            case chinchillaReachesTarget = "chinchilla_reaches_target"
        }
    }

    struct SingleJSON: Encodable {
        var law: LawJSON
        var budget: BudgetJSON
        var plan: Plan
        var chinchilla: Plan
        var gap: GapJSON
        var target: TargetJSON?
        var intervals: PlanIntervals?
    }

    struct SweepJSON: Encodable {
        struct Point: Encodable {
            var budget: BudgetJSON
            var plan: Plan
            var chinchilla: Plan
        }
        var law: LawJSON
        var sweep: [Point]
    }

    static func gap(_ c: PlanComparison) -> GapJSON {
        GapJSON(
            taskLossGain: c.taskLossGain,
            passAtKGain: c.plan.predicted.passAtK.flatMap { p in c.chinchilla.predicted.passAtK.map { p - $0 } },
            paramsRatio: c.plan.params / c.chinchilla.params,
            tokensPerParamRatio: c.plan.tokensPerParam / c.chinchilla.tokensPerParam
        )
    }

    static func lawJSON(_ context: Context) -> LawJSON {
        LawJSON(form: context.lawForm, source: context.lawSource, parameters: context.lawParameters)
    }

    // Single plan

    static func single(
        context: Context,
        comparison c: PlanComparison,
        target: TargetComparison?,
        intervals: PlanIntervals?,
        isDefault: Bool,
        format: OutputFormat
    ) throws -> String {
        switch format {
        case .json:
            let t = target.map { t -> TargetJSON in
                switch t.target {
                case let .accuracy(a):
                    return TargetJSON(
                        kind: "accuracy",
                        value: a,
                        saving: t.saving,
                        chinchillaReachesTarget: t.chinchillaReachesTarget
                    )
                case let .loss(l):
                    return TargetJSON(
                        kind: "loss",
                        value: l,
                        saving: t.saving,
                        chinchillaReachesTarget: t.chinchillaReachesTarget
                    )
                }
            }
            return try JSONOutput.encode(
                SingleJSON(
                    law: lawJSON(context),
                    budget: BudgetJSON(c.budget),
                    plan: c.plan,
                    chinchilla: c.chinchilla,
                    gap: gap(c),
                    target: t,
                    intervals: intervals
                )
            )
        case .csv:
            return csv(context: context, [c])
        case .table:
            return table(context: context, c, target: target, intervals: intervals, isDefault: isDefault)
        }
    }

    static func describe(_ b: PlanBudget, isDefault: Bool) -> String {
        switch b {
        case let .separate(c, ci):
            let inf =
                ci > 0
                ? "inference \(Format.scientific(ci)) FLOPs per query token (2·N·k ≤ C_inf)" : "inference not budgeted"
            return "separate — training \(Format.scientific(c)) FLOPs (6·N·D ≤ C_train); \(inf)"
                + (isDefault
                    ? "\n        (the T² paper's validation budget; change it with --train-flops/--inference-flops)"
                    : "")
        case let .lifetime(c, q, t):
            return
                "lifetime — \(Format.scientific(c)) FLOPs for training plus \(Format.count(q)) queries × k samples × \(Format.count(t)) tokens (6·N·D + 2·N·k·T·Q ≤ C)"
        case let .dollars(x, q, t, p):
            return
                "dollars — $\(Format.count(x)) for training plus \(Format.count(q)) queries × k samples × \(Format.count(t)) tokens"
                + (p > 0 ? " + \(Format.count(p)) prompt tokens" : "")
        }
    }

    static func metricText(_ p: Plan) -> String {
        if let a = p.predicted.passAtK { return "pass@\(p.samples) = \(Format.percent(a, a < 0.001 ? 3 : 1))" }
        return "loss = \(Format.fixed(p.predicted.taskLoss, 4))"
    }

    static func table(
        context: Context,
        _ c: PlanComparison,
        target: TargetComparison?,
        intervals: PlanIntervals?,
        isDefault: Bool
    ) -> String {
        let p = c.plan
        let ch = c.chinchilla
        var lines: [String] = []
        lines.append("t2 plan — law: \(context.lawSource) (\(context.lawForm))")
        lines.append("Budget: \(describe(c.budget, isDefault: isDefault))")
        if let target {
            lines.append(
                "Target: \(targetText(target.target)) — the cheapest budget reaching it is \(amountText(c.budget))"
            )
        }
        lines.append("")
        let k = p.samples == 1 ? "one sample per query" : "k = \(p.samples) samples per query"
        lines.append(
            "Plan:       train a \(Format.count(p.params))-parameter model on \(Format.count(p.tokens)) tokens (\(Format.significant(p.tokensPerParam, 3)) tokens/param), \(k): \(metricText(p))"
        )
        lines.append(
            "Chinchilla: train \(Format.count(ch.params)) on \(Format.count(ch.tokens)) tokens (\(Format.significant(ch.tokensPerParam, 3)) tokens/param), k = \(ch.samples): \(metricText(ch))"
        )
        if let target, target.saving == nil {
            lines.append(
                "Saving:     no Chinchilla-shaped model with k = 1 reaches the target at any budget; above, Chinchilla's plan for the same budget"
            )
        } else if let target, let saving = target.saving {
            lines.append(
                "Saving:     the plan costs \(Format.percent(saving)) less than the Chinchilla-shaped model reaching the same target (\(costText(c.budget, ch.totalCost - p.totalCost)) saved)"
            )
        } else if let a = p.predicted.passAtK, let b = ch.predicted.passAtK {
            let ratio = b > 0 ? " (\(Format.significant(a / b, 3))×)" : ""
            lines.append(
                "Gap:        \(a >= b ? "+" : "")\(Format.fixed((a - b) * 100, 2)) points of pass@k\(ratio) for the same budget, with a model \(Format.significant(ch.params / p.params, 3))× smaller"
            )
        } else {
            lines.append(
                "Gap:        loss \(Format.fixed(c.taskLossGain, 4)) lower than Chinchilla's for the same budget"
            )
        }
        lines.append("")
        var t = TextTable([("", .left), ("plan", .right), ("chinchilla", .right)])
        t.append(["params N", Format.count(p.params), Format.count(ch.params)])
        t.append(["tokens D", Format.count(p.tokens), Format.count(ch.tokens)])
        t.append([
            "tokens/param D/N", Format.significant(p.tokensPerParam, 3), Format.significant(ch.tokensPerParam, 3),
        ])
        t.append([
            "samples k", "\(p.samples)" + (p.samplesContinuous.map { " (k* = \(Format.significant($0, 3)))" } ?? ""),
            "\(ch.samples)",
        ])
        if p.predicted.passAtK != nil {
            t.append(["pass@k", Format.percent(p.predicted.passAtK!, 2), Format.percent(ch.predicted.passAtK!, 2)])
        }
        t.append(["task loss", Format.fixed(p.predicted.taskLoss, 4), Format.fixed(ch.predicted.taskLoss, 4)])
        t.append([
            "law's L̂(N, D)", Format.fixed(p.predicted.pretrainingLoss, 4),
            Format.fixed(ch.predicted.pretrainingLoss, 4),
        ])
        t.append(["train FLOPs", Format.scientific(p.trainFLOPs), Format.scientific(ch.trainFLOPs)])
        if case .separate = c.budget {
            t.append([
                "inference FLOPs/query token", Format.scientific(p.inferenceFLOPs),
                Format.scientific(ch.inferenceFLOPs),
            ])
        } else {
            t.append(["inference FLOPs", Format.scientific(p.inferenceFLOPs), Format.scientific(ch.inferenceFLOPs)])
            t.append([
                "FLOPs per query", Format.scientific(p.flopsPerQuery ?? 0), Format.scientific(ch.flopsPerQuery ?? 0),
            ])
        }
        if p.trainUSD != nil {
            t.append(["train $", "$" + Format.count(p.trainUSD!), "$" + Format.count(ch.trainUSD ?? 0)])
            t.append(["inference $", "$" + Format.count(p.inferenceUSD!), "$" + Format.count(ch.inferenceUSD ?? 0)])
            t.append([
                "$ per query", "$" + Format.significant(p.usdPerQuery!, 3),
                "$" + Format.significant(ch.usdPerQuery ?? 0, 3),
            ])
            t.append([
                "$ per M output tokens", "$" + Format.significant(p.usdPerMillionOutputTokens!, 3),
                "$" + Format.significant(ch.usdPerMillionOutputTokens ?? 0, 3),
            ])
            t.append(["serving", servingText(p.serving), servingText(ch.serving)])
        }
        if target != nil {
            t.append(["total cost", costText(c.budget, p.totalCost), costText(c.budget, ch.totalCost)])
        }
        lines.append(t.render())
        if let iv = intervals {
            lines.append("")
            lines.append(
                "\(Format.percent(iv.level, 0)) intervals over \(iv.replicates) bootstrap replicates\(iv.skipped > 0 ? " (\(iv.skipped) skipped)" : ""):"
            )
            lines.append(
                "  N \(Format.count(iv.params.lower))–\(Format.count(iv.params.upper)), D \(Format.count(iv.tokens.lower))–\(Format.count(iv.tokens.upper)), D/N \(Format.significant(iv.tokensPerParam.lower, 3))–\(Format.significant(iv.tokensPerParam.upper, 3)), k \(Int(iv.samples.lower))–\(Int(iv.samples.upper))"
            )
        }
        var notes =
            p.boundaries.map { "plan: \($0.explanation)" }
            + ch.boundaries.filter { $0 == .overInferenceBudget || $0 == .mostTokens }.map {
                "chinchilla: \($0.explanation)"
            }
        if let range = context.fittedRange, !range.params.contains(p.params) || !range.tokens.contains(p.tokens) {
            notes.append(
                "the plan (N = \(Format.count(p.params)), D = \(Format.count(p.tokens))) lies outside the data the law was fitted on (N \(Format.count(range.params.lowerBound))–\(Format.count(range.params.upperBound)), D up to \(Format.count(range.tokens.upperBound))): an extrapolation"
            )
        }
        if !notes.isEmpty {
            lines.append("")
            lines += notes.map { "Note: \($0)" }
        }
        if isDefault {
            lines.append("")
            lines.append(
                "Chinchilla's plan ignores inference (k = 1 when choosing N, D); it is then given the samples its budget affords."
            )
            lines.append(
                "Try: t2 plan --budget-flops 1e22 --queries 1e9 --tokens-per-sample 256   (one lifetime budget)"
            )
            lines.append("     t2 plan --help   (dollars, targets, sweeps, your own law)")
        }
        return lines.joined(separator: "\n")
    }

    static func targetText(_ t: PlanTarget) -> String {
        switch t {
        case let .accuracy(a): return "pass@k ≥ \(Format.percent(a))"
        case let .loss(l): return "task loss ≤ \(Format.fixed(l, 4))"
        }
    }

    static func amountText(_ b: PlanBudget) -> String { costText(b, b.amount) }

    static func costText(_ b: PlanBudget, _ v: Double) -> String {
        if case .dollars = b { return "$" + Format.count(v) }
        return Format.scientific(v) + " FLOPs"
    }

    static func servingText(_ s: ServingOption?) -> String {
        guard let s else { return "-" }
        return "\(s.gpus > 1 ? "\(s.gpus)× " : "")\(s.hardware) \(s.quant) \(s.engine)"
    }

    // Sweeps

    static func sweep(
        context: Context,
        template: PlanBudget,
        path: [PlanComparison],
        format: OutputFormat
    ) throws -> String {
        switch format {
        case .json:
            return try JSONOutput.encode(
                SweepJSON(
                    law: lawJSON(context),
                    sweep: path.map { .init(budget: BudgetJSON($0.budget), plan: $0.plan, chinchilla: $0.chinchilla) }
                )
            )
        case .csv:
            return csv(context: context, path)
        case .table:
            var t = TextTable([
                ("budget", .right), ("N", .right), ("D", .right), ("D/N", .right), ("k", .right), ("metric", .right),
                ("chin. N", .right), ("chin. D/N", .right), ("chin. k", .right), ("chin. metric", .right),
            ])
            for c in path {
                t.append([
                    amountText(c.budget), Format.count(c.plan.params), Format.count(c.plan.tokens),
                    Format.significant(c.plan.tokensPerParam, 3),
                    "\(c.plan.samples)", metricText(c.plan), Format.count(c.chinchilla.params),
                    Format.significant(c.chinchilla.tokensPerParam, 3),
                    "\(c.chinchilla.samples)", metricText(c.chinchilla),
                ])
            }
            return "t2 plan --sweep — law: \(context.lawSource) (\(context.lawForm)); budget: \(template.mode)\n"
                + t.render()
        }
    }

    static func csv(context: Context, _ path: [PlanComparison]) -> String {
        var rows = [
            "budget_mode,budget,params,tokens,tokens_per_param,samples,pass_at_k,task_loss,train_flops,inference_flops,total_cost,usd_per_million_output_tokens,hardware,quant,chinchilla_params,chinchilla_tokens,chinchilla_tokens_per_param,chinchilla_samples,chinchilla_pass_at_k,chinchilla_task_loss"
        ]
        func num(_ v: Double?) -> String { v.map { String($0) } ?? "" }
        for c in path {
            let p = c.plan
            let ch = c.chinchilla
            rows.append(
                [
                    c.budget.mode, num(c.budget.amount), num(p.params), num(p.tokens), num(p.tokensPerParam),
                    "\(p.samples)",
                    num(p.predicted.passAtK), num(p.predicted.taskLoss), num(p.trainFLOPs), num(p.inferenceFLOPs),
                    num(p.totalCost),
                    num(p.usdPerMillionOutputTokens), p.serving?.hardware ?? "", p.serving?.quant ?? "",
                    num(ch.params), num(ch.tokens), num(ch.tokensPerParam), "\(ch.samples)", num(ch.predicted.passAtK),
                    num(ch.predicted.taskLoss),
                ].joined(separator: ",")
            )
        }
        return rows.joined(separator: "\n")
    }
}
