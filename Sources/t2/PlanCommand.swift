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
              --train-flops C --inference-flops Ci
                  separate, as the T² paper: 6ND ≤ C and 2Nk ≤ Ci per query token
              --budget-flops C --queries Q --tokens-per-sample T
                  one lifetime budget (Sardana et al.): 6ND + 2NkTQ ≤ C
              --budget-usd X --queries Q --tokens-per-sample T --hardware H --quant Q
                  dollars: training at $/GPU-hour and MFU, serving priced by the cost model;
                  'any' lets t2 choose hardware and quantization
            Inverse: --target-accuracy A or --target-loss L (with a mode's other options) finds the \
            cheapest plan reaching it. --sweep C1:C2:n prints the optimal path over n budgets.

            Trust: the plan stays within --range-factor (4×) of the N, D and D/N the law was \
            fitted on, and the unconstrained optimum is printed beside it when they differ \
            (--allow-extrapolation searches everywhere). Intervals come from the law's bootstrap \
            replicates (the built-in law carries 200; `t2 fit --bootstrap 200 --out law.json` \
            writes them). --unique-tokens prices repeated data (Muennighoff et al. 2023).

            Examples:
              t2 plan
              t2 plan --train-flops 1e23 --inference-flops 0 --law chinchilla.json
              t2 plan --budget-flops 1e22 --queries 1e9 --tokens-per-sample 256
              t2 plan --budget-usd 1e6 --queries 1e8 --tokens-per-sample 256 --hardware any --quant any
              t2 plan --target-accuracy 0.3 --queries 1e9 --tokens-per-sample 256
              t2 plan --sweep 1e18:1e24:25 --inference-flops 2e9 --format csv
              t2 plan --budget-flops 1e24 --queries 1e10 --tokens-per-sample 256 --unique-tokens 1e12
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
        help: ArgumentHelp("Dollars: prompt tokens per query, prefilled once per query.", valueName: "P")
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
        help: ArgumentHelp("Dollars: training GPU (catalog name).", valueName: "name")
    )
    var trainHardware: String = "h100-sxm"

    @Option(
        name: .customLong("train-mfu"),
        help: ArgumentHelp("Dollars: achieved model-FLOPs utilisation in training, a fraction.", valueName: "U")
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
        help: ArgumentHelp("Smallest model considered, in parameters.", valueName: "N")
    )
    var minParams: Double = 1e6

    @Option(
        name: .customLong("max-samples"),
        help: ArgumentHelp(
            "Most samples per query considered (1e4 is about the range the built-in law is fitted on); k never exceeds it.",
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

    @Option(
        name: .customLong("unique-tokens"),
        help: ArgumentHelp(
            "The unique training tokens you have, U. Training on D > U repeats data, and repeated tokens are worth less: the law is evaluated at the effective data D′ = U + U·R*·(1 − e^(−(D/U − 1)/R*)), R* = 15.4 (Muennighoff et al. 2023). Default: none (every token fresh). E.g. 15e12.",
            valueName: "U"
        )
    )
    var uniqueTokens: Double?

    @Option(
        name: .customLong("range-factor"),
        help: ArgumentHelp(
            "How far beyond the law's fitted range (the N, D and D/N of the runs it was fitted on) the plan may go: the search stays within the range widened by this factor in each.",
            valueName: "F"
        )
    )
    var rangeFactor: Double = PlanRequest.defaultRangeFactor

    @Flag(
        name: .customLong("allow-extrapolation"),
        help:
            "Search everywhere, not only within --range-factor of the law's fitted range (the plan then says how far outside it lies)."
    )
    var allowExtrapolation = false

    @Option(
        help: ArgumentHelp(
            "Coverage of the intervals from the law's bootstrap replicates, a fraction.",
            valueName: "C"
        )
    )
    var confidence: Double = 0.9

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
        try validateNumbers()
        if sweep != nil, modes > 0 {
            throw ValidationError(
                "--sweep varies the budget itself (from C1 to C2); drop --train-flops/--budget-flops/--budget-usd and keep the mode's other options (--inference-flops, or --queries and --tokens-per-sample)."
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
        if !(maxSamples >= 1 && maxSamples <= 1e9) {
            throw ValidationError("--max-samples must be a number from 1 to 1e9, e.g. 1e4; got \(maxSamples).")
        }
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

    /// Checks that every number given is finite and in a range the planner can use.
    func validateNumbers() throws {
        func check(_ value: Double?, _ flag: String, min: Double, max: Double, example: String) throws {
            guard let value else { return }
            guard value.isFinite, value >= min, value <= max else {
                throw ValidationError(
                    "\(flag) must be a number from \(Format.scientific(min, 2)) to \(Format.scientific(max, 2)), e.g. \(flag) \(example); got \(value)."
                )
            }
        }
        try check(trainFLOPs, "--train-flops", min: 1, max: 1e40, example: "1e22")
        try check(inferenceFLOPs, "--inference-flops", min: 0, max: 1e40, example: "2e9")
        try check(budgetFLOPs, "--budget-flops", min: 1, max: 1e40, example: "1e22")
        try check(budgetUSD, "--budget-usd", min: 1e-6, max: 1e15, example: "1e6")
        try check(queries, "--queries", min: 0, max: 1e18, example: "1e9")
        try check(tokensPerSample, "--tokens-per-sample", min: 0, max: 1e9, example: "256")
        try check(promptTokens, "--prompt-tokens", min: 0, max: 1e9, example: "512")
        try check(minParams, "--min-params", min: 1, max: 1e13, example: "1e6")
        try check(uniqueTokens, "--unique-tokens", min: 1, max: 1e18, example: "15e12")
        try check(rangeFactor, "--range-factor", min: 1, max: 1e6, example: "4")
        try check(trainUSDPerHour, "--train-usd-per-hour", min: 1e-9, max: 1e9, example: "2.5")
        try check(targetLoss, "--target-loss", min: 1e-12, max: 1e6, example: "2.1")
        if !(confidence > 0 && confidence < 1) {
            throw ValidationError("--confidence is a fraction in (0, 1), e.g. 0.9; got \(confidence).")
        }
        if budgetUSD != nil || hardware != nil || quant != nil, let t = tokensPerSample, t < 1 {
            throw ValidationError("Dollars need --tokens-per-sample ≥ 1 (tokens generated per sample); got \(t).")
        }
    }

    func run() throws {
        let text = try render()
        Console.output(text)
        if let path = output.out {
            try AtomicFile.write(text + "\n", to: path)
        }
    }

    /// The request the command makes of the planner.
    func request() throws -> PlanRequest {
        let budget = try resolveBudget()
        var request: PlanRequest
        if let path = law {
            request = PlanRequest(law: try LawFile.read(from: path), lawSource: path, budget: budget)
        } else {
            request = PlanRequest(law: BuiltInPlanLaw.file, lawSource: "built-in", budget: budget)
            request.lawDescription = BuiltInPlanLaw.description
            request.lawCaveat = BuiltInPlanLaw.caveat
        }
        request.pricing = try dollarPricing(for: budget)
        request.minParams = minParams
        request.maxSamples = maxSamples
        request.maxTrainTokens = maxTrainTokens
        request.uniqueTokens = uniqueTokens
        request.rangeFactor = rangeFactor
        request.allowExtrapolation = allowExtrapolation
        request.confidence = confidence
        if targetAccuracy != nil || targetLoss != nil {
            request.target = targetAccuracy.map { .accuracy($0) } ?? .loss(targetLoss!)
            // Each replicate re-solves the inverse problem: 100 replicates keep it interactive.
            request.maxReplicates = 100
        }
        return request
    }

    /// The command's output text (what `run` prints).
    func render() throws -> String {
        let request = try request()
        if let sweep {
            let report = try PlanSweepReport.make(request, amounts: try Self.parseSweep(sweep))
            switch output.format {
            case .json: return try JSONOutput.encode(report)
            case .csv: return PlanRendering.csv(report.sweep.map { ($0.budget, $0.plan, $0.chinchilla) })
            case .table: return PlanRendering.sweepTable(report, template: request.budget)
            }
        }
        let report = try PlanReport.make(request)
        let isDefault =
            law == nil && trainFLOPs == nil && budgetFLOPs == nil && budgetUSD == nil && inferenceFLOPs == nil
            && queries == nil && targetAccuracy == nil && targetLoss == nil
        switch output.format {
        case .json: return try JSONOutput.encode(report)
        case .csv: return PlanRendering.csv([(report.budget, report.plan, report.chinchilla)])
        case .table: return PlanRendering.table(report, isDefault: isDefault)
        }
    }

    // MARK: - Inputs

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
