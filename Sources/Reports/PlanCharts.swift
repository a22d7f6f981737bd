import Foundation
import Planning
import Plotting
import ScalingLaws

/// `t2 plan` results: what is read from the JSON (tolerantly) and the charts drawn from it.
///
/// Read: `law {form, parameters, source, fitted_range?}`, `budget {mode, train_flops,
/// inference_flops_per_token, flops, usd, queries, tokens_per_sample, prompt_tokens}`, `plan` and
/// `chinchilla` (params, tokens, samples, samples_continuous, predicted {pass_at_k, task_loss},
/// serving {loss_penalty}, boundaries, in_fitted_range?), `intervals` (top level or in `plan`),
/// `sweep: [{budget, plan, chinchilla}]`.
enum PlanCharts {
    struct PlanPoint {
        var params: Double
        var tokens: Double
        var samples: Double
        var samplesContinuous: Double?
        var passAtK: Double?
        var taskLoss: Double?
        var lossPenalty: Double
        var boundaries: [String]
        var inFittedRange: Bool?
        var serving: String?
        var trainUSD: Double?
        var inferenceUSD: Double?
        var usdPerMillionOutputTokens: Double?
        var trainFLOPs: Double?
        var inferenceFLOPs: Double?

        init?(_ d: JSONDocument?) {
            guard let d, let n = d["params"]?.double, let t = d["tokens"]?.double else { return nil }
            params = n
            tokens = t
            samples = d["samples"]?.double ?? 1
            samplesContinuous = d["samples_continuous"]?.double
            passAtK = d["predicted"]?["pass_at_k"]?.double
            taskLoss = d["predicted"]?["task_loss"]?.double
            lossPenalty = d["serving"]?["loss_penalty"]?.double ?? 0
            boundaries = d["boundaries"]?.array?.compactMap(\.string) ?? []
            inFittedRange = d["in_fitted_range"]?.bool
            if let s = d["serving"], let hw = s["hardware"]?.string {
                let gpus = s["gpus"]?.int ?? 1
                serving =
                    (gpus > 1 ? "\(gpus)× " : "") + hw + " " + (s["quant"]?.string ?? "") + " "
                    + (s["engine"]?.string ?? "")
            }
            trainUSD = d["train_usd"]?.double
            inferenceUSD = d["inference_usd"]?.double
            usdPerMillionOutputTokens = d["usd_per_million_output_tokens"]?.double
            trainFLOPs = d["train_flops"]?.double
            inferenceFLOPs = d["inference_flops"]?.double
        }

        var tokensPerParam: Double { tokens / params }
        /// The number the plan maximises, as shown: pass@k if the law predicts it, else task loss.
        var metric: Double? { passAtK ?? taskLoss }
    }

    struct Budget {
        var mode: String
        var trainFLOPs: Double?
        var inferenceFLOPsPerToken: Double?
        var flops: Double?
        var usd: Double?
        var queries: Double?
        var tokensPerSample: Double?
        var promptTokens: Double?

        init(_ d: JSONDocument?) {
            mode = d?["mode"]?.string ?? "separate"
            trainFLOPs = d?["train_flops"]?.double
            inferenceFLOPsPerToken = d?["inference_flops_per_token"]?.double ?? d?["inference_flops"]?.double
            flops = d?["flops"]?.double
            usd = d?["usd"]?.double
            queries = d?["queries"]?.double
            tokensPerSample = d?["tokens_per_sample"]?.double
            promptTokens = d?["prompt_tokens"]?.double
        }

        /// The amount a sweep varies: training FLOPs, lifetime FLOPs or dollars.
        var amount: Double? {
            switch mode {
            case "dollars": return usd
            case "lifetime": return flops
            default: return trainFLOPs
            }
        }

        var amountAxis: Axis {
            switch mode {
            case "dollars": return Axis("budget ($)", scale: .log, format: .usd)
            case "lifetime": return Axis("lifetime budget C (FLOPs)", scale: .log, format: .scientific)
            default: return Axis("training budget C_train (FLOPs)", scale: .log, format: .scientific)
            }
        }

        var text: String {
            switch mode {
            case "dollars":
                return
                    "\(Text.usd(usd)) for training and serving \(Text.count(queries)) queries × k samples × \(Text.count(tokensPerSample)) tokens"
            case "lifetime":
                return
                    "\(Text.sci(flops)) FLOPs for training and \(Text.count(queries)) queries × k samples × \(Text.count(tokensPerSample)) tokens (6·N·D + 2·N·k·T·Q ≤ C)"
            default:
                let inf =
                    (inferenceFLOPsPerToken ?? 0) > 0
                    ? "inference \(Text.sci(inferenceFLOPsPerToken)) FLOPs per query token (2·N·k ≤ C_inf)"
                    : "inference not budgeted"
                return "training \(Text.sci(trainFLOPs)) FLOPs (6·N·D ≤ C_train); \(inf)"
            }
        }
    }

    struct Law {
        var form: String
        var parameters: [String: Double]
        var source: String
        /// The (N, D) box the law was fitted on, when the document carries it.
        var fittedParams: (Double, Double)?
        var fittedTokens: (Double, Double)?

        init(_ d: JSONDocument?) {
            form = d?["form"]?.string ?? "?"
            var p: [String: Double] = [:]
            for (k, v) in d?["parameters"]?.members ?? [] { if let x = v.double { p[k] = x } }
            parameters = p
            source = d?["source"]?.string ?? ""
            let range = d?["fitted_range"] ?? d?["fit_range"]
            fittedParams = (range?["params"] ?? range?["n"])?.interval
            fittedTokens = (range?["tokens"] ?? range?["d"])?.interval
        }

        /// The law as the planner evaluates it (nil: a form this version does not know).
        var planningLaw: PlanningLaw? {
            try? PlanningLaw(file: LawFile(form: form, parameters: parameters), source: source)
        }
    }

    // MARK: - One plan

    static func section(_ input: ReportInput, id: String) throws -> ReportSection {
        let doc = input.document
        guard let plan = PlanPoint(doc["plan"]) else {
            throw ReportError.missingField(file: input.source, kind: "t2 plan", field: "plan")
        }
        let chinchilla = PlanPoint(doc["chinchilla"])
        let law = Law(doc["law"])
        let budget = Budget(doc["budget"])
        var notes: [String] = []
        var charts: [AnyChart] = []

        if let c = samplesChart(id: id, law: law, budget: budget, plan: plan, chinchilla: chinchilla, notes: &notes) {
            charts.append(.xy(c))
        }
        charts.append(
            .xy(regionChart(id: id, law: law, budget: budget, plan: plan, chinchilla: chinchilla, notes: &notes))
        )
        notes.append(
            "The plan against the budget (N*, D*/N*, k* and the metric over a range of budgets) is drawn from a sweep: add the JSON of `t2 plan --sweep C1:C2:n …` with the same flags."
        )
        for b in plan.boundaries { notes.append("plan: bound \(b.replacingOccurrences(of: "_", with: " "))") }

        var summary = [
            "Plan: train \(Text.count(plan.params)) parameters on \(Text.count(plan.tokens)) tokens (\(NumberFormat.number.label(plan.tokensPerParam)) tokens/param), k = \(Int(plan.samples)) samples per query: \(metricText(plan))."
        ]
        if let c = chinchilla {
            summary.append(
                "Chinchilla: \(Text.count(c.params)) on \(Text.count(c.tokens)) tokens (\(NumberFormat.number.label(c.tokensPerParam)) tokens/param), k = \(Int(c.samples)): \(metricText(c))."
            )
        }
        return ReportSection(
            id: id,
            heading: "Plan — \(law.form) law, \(budget.mode) budget",
            source: input.source + (law.source.isEmpty ? "" : " · law: \(law.source)"),
            summary: summary,
            facts: factsTable(doc: doc, plan: plan, chinchilla: chinchilla, budget: budget),
            charts: charts,
            notes: notes
        )
    }

    static func metricText(_ p: PlanPoint) -> String {
        if let a = p.passAtK { return "pass@\(Int(p.samples)) = \(Text.percent(a, a < 0.001 ? 3 : 1))" }
        return "loss \(Text.fixed(p.taskLoss, 4))"
    }

    static func factsTable(doc: JSONDocument, plan: PlanPoint, chinchilla: PlanPoint?, budget: Budget) -> DataTable {
        let c = chinchilla
        var rows: [[String]] = [
            ["budget", budget.text, ""],
            ["params N", Text.count(plan.params), Text.count(c?.params)],
            ["tokens D", Text.count(plan.tokens), Text.count(c?.tokens)],
            ["tokens/param D/N", NumberFormat.number.label(plan.tokensPerParam), Text.number(c?.tokensPerParam)],
            ["samples k", String(Int(plan.samples)), c.map { String(Int($0.samples)) } ?? "–"],
        ]
        if plan.passAtK != nil {
            rows.append(["pass@k", Text.percent(plan.passAtK, 2), Text.percent(c?.passAtK, 2)])
        }
        rows.append(["task loss", Text.fixed(plan.taskLoss, 4), Text.fixed(c?.taskLoss, 4)])
        if plan.trainFLOPs != nil { rows.append(["train FLOPs", Text.sci(plan.trainFLOPs), Text.sci(c?.trainFLOPs)]) }
        if plan.inferenceFLOPs != nil {
            rows.append(["inference FLOPs", Text.sci(plan.inferenceFLOPs), Text.sci(c?.inferenceFLOPs)])
        }
        if plan.trainUSD != nil {
            rows.append(["train $", Text.usd(plan.trainUSD), Text.usd(c?.trainUSD)])
            rows.append(["inference $", Text.usd(plan.inferenceUSD), Text.usd(c?.inferenceUSD)])
            rows.append([
                "$ per M output tokens", Text.usd(plan.usdPerMillionOutputTokens),
                Text.usd(c?.usdPerMillionOutputTokens),
            ])
            rows.append(["serving", plan.serving ?? "–", c?.serving ?? "–"])
        }
        if let f = plan.inFittedRange {
            rows.append(["inside the law's fitted range", f ? "yes" : "no — extrapolated", ""])
        }
        let iv = doc["intervals"] ?? doc["plan"]?["intervals"]
        if let iv, iv != .null {
            let level = iv["level"]?.double ?? iv["confidence"]?.double
            let label = level.map { Text.percent($0, 0) + " interval" } ?? "interval"
            for (key, name, fmt) in [
                ("params", "N", NumberFormat.count), ("tokens", "D", .count), ("tokens_per_param", "D/N", .number),
                ("samples", "k", .number),
            ] {
                if let (lo, hi) = iv[key]?.interval {
                    rows.append(["\(label) \(name)", "[\(fmt.label(lo)), \(fmt.label(hi))]", ""])
                }
            }
        }
        return DataTable(columns: ["", "plan", "Chinchilla"], rows: rows)
    }

    /// pass@k (or task loss) against k at the plan's (N, D) and at Chinchilla's, k* marked.
    static func samplesChart(
        id: String,
        law: Law,
        budget: Budget,
        plan: PlanPoint,
        chinchilla: PlanPoint?,
        notes: inout [String]
    ) -> Chart? {
        guard let planning = law.planningLaw else {
            notes.append("No metric-against-k chart: the '\(law.form)' law is not one this version can evaluate.")
            return nil
        }
        guard planning.hasSamplesTerm else {
            notes.append("No metric-against-k chart: a \(law.form) law has no samples term (k = 1 is optimal).")
            return nil
        }
        let kMax = Swift.max(1e4, (plan.samples * 20).rounded())
        let ks = (0...60).map { Foundation.pow(10, Double($0) / 60 * Foundation.log10(kMax)) }
        let accuracy = planning.predictsAccuracy
        func curve(_ p: PlanPoint) -> [DataPoint] {
            ks.map { k in
                let pr = planning.predict(params: p.params, tokens: p.tokens, samples: k, shift: p.lossPenalty)
                return DataPoint(k, accuracy ? (pr.passAtK ?? .nan) : pr.taskLoss)
            }
        }
        var series = [
            Series(
                "plan: N = \(Text.count(plan.params)), D = \(Text.count(plan.tokens))",
                .line(.solid),
                curve(plan),
                color: Palette.blue
            )
        ]
        var annotations = [
            Annotation(
                .point(x: plan.samples, y: plan.metric ?? .nan, .circle),
                label: "plan k = \(Int(plan.samples))",
                color: Palette.blue
            )
        ]
        if let c = chinchilla {
            series.append(
                Series(
                    "Chinchilla: N = \(Text.count(c.params)), D = \(Text.count(c.tokens))",
                    .line(.dashed),
                    curve(c),
                    color: Palette.vermillion
                )
            )
            annotations.append(
                Annotation(
                    .point(x: c.samples, y: c.metric ?? .nan, .square),
                    label: "Chinchilla k = \(Int(c.samples))",
                    color: Palette.vermillion
                )
            )
        }
        if budget.mode == "separate", let ci = budget.inferenceFLOPsPerToken, ci > 0 {
            let kAfford = ci / (2 * plan.params)
            annotations.append(
                Annotation(
                    .verticalLine(x: kAfford),
                    label: "C_inf affords k ≤ \(NumberFormat.number.label(kAfford)) at the plan's N",
                    color: Palette.black
                )
            )
        }
        let rows = [1.0, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096, 10_000, plan.samples]
            .filter { $0 <= kMax }
            .sorted().reduce(into: [Double]()) { if $0.last != $1 { $0.append($1) } }
            .map { k -> [String] in
                var row = [NumberFormat.number.label(k)]
                for p in [plan] + (chinchilla.map { [$0] } ?? []) {
                    let pr = planning.predict(params: p.params, tokens: p.tokens, samples: k, shift: p.lossPenalty)
                    row.append(accuracy ? Text.percent(pr.passAtK, 2) : Text.fixed(pr.taskLoss, 4))
                }
                return row
            }
        return Chart(
            id: id + "-metric-vs-k",
            title: accuracy ? "pass@k against samples per query k" : "Task loss against samples per query k",
            subtitle:
                "The law's prediction at the plan's (N, D) and at Chinchilla's; the marked points are the k each plan uses.",
            x: Axis("samples per query k", scale: .log, format: .count),
            y: accuracy
                ? Axis("pass@k (law)", format: .percent, min: 0) : Axis("task loss (law)", format: .number),
            series: series,
            annotations: annotations,
            table: DataTable(
                columns: ["k", "plan" + (accuracy ? " pass@k" : " loss")]
                    + (chinchilla != nil ? ["Chinchilla" + (accuracy ? " pass@k" : " loss")] : []),
                rows: rows
            )
        )
    }

    /// The feasible (N, D/N) region of the budget, with the plan, Chinchilla's point and the law's
    /// fitted range (when known), so that extrapolation shows.
    static func regionChart(
        id: String,
        law: Law,
        budget: Budget,
        plan: PlanPoint,
        chinchilla: PlanPoint?,
        notes: inout [String]
    ) -> Chart {
        var series: [Series] = []
        let nLo = Swift.min(plan.params, chinchilla?.params ?? plan.params, law.fittedParams?.0 ?? .infinity) / 30
        let nHi = Swift.max(plan.params, chinchilla?.params ?? plan.params, law.fittedParams?.1 ?? 0) * 30
        let ns = (0...80).map { Foundation.exp(Foundation.log(nLo) + Double($0) / 80 * Foundation.log(nHi / nLo)) }
        // The budget's edge: D/N at which the budget is spent in full with k = 1.
        var edge: [DataPoint] = []
        var edgeName = ""
        switch budget.mode {
        case "separate":
            if let c = budget.trainFLOPs {
                let nMax = (budget.inferenceFLOPsPerToken ?? 0) > 0 ? budget.inferenceFLOPsPerToken! / 2 : .infinity
                edge = ns.filter { $0 <= nMax }.map { DataPoint($0, c / (6 * $0 * $0)) }
                edgeName = "budget edge: 6·N·D = C_train" + (nMax.isFinite ? ", N ≤ C_inf/2 (k ≥ 1)" : "")
            }
        case "lifetime":
            if let c = budget.flops, let q = budget.queries, let t = budget.tokensPerSample {
                edge = ns.compactMap { n in
                    let left = c - 2 * n * t * q
                    return left > 0 ? DataPoint(n, left / (6 * n * n)) : nil
                }
                edgeName = "budget edge: 6·N·D + 2·N·T·Q = C (k = 1)"
            }
        default:
            notes.append(
                "The dollar budget's edge depends on the serving option; the chart shows the plans and the law's range only."
            )
        }
        if edge.count >= 2 {
            // The feasible region lies under the edge: close the polygon along the chart's floor.
            let floor =
                Swift.min(edge.map(\.y).min() ?? 1, plan.tokensPerParam, chinchilla?.tokensPerParam ?? .infinity)
                / 1e3
            let region = edge + [DataPoint(edge.last!.x, floor), DataPoint(edge.first!.x, floor)]
            series.append(Series("feasible (N, D/N) with k ≥ 1", .region, region, color: 5))
            series.append(Series(edgeName, .line(.solid), edge, color: 5))
        }
        if let (p0, p1) = law.fittedParams, let (t0, t1) = law.fittedTokens, p0 > 0, t0 > 0 {
            series.append(
                Series(
                    "the law's fitted range",
                    .region,
                    [
                        DataPoint(p0, t0 / p0), DataPoint(p1, t0 / p1), DataPoint(p1, t1 / p1),
                        DataPoint(p0, t1 / p0),
                    ],
                    color: 2
                )
            )
        } else {
            notes.append(
                "The law's fitted range is not drawn: this plan JSON does not carry it (law.fitted_range)."
            )
        }
        var annotations = [
            Annotation(
                .point(x: plan.params, y: plan.tokensPerParam, .circle),
                label: "plan" + (plan.inFittedRange == false ? " (extrapolated)" : ""),
                color: Palette.blue
            )
        ]
        if let c = chinchilla {
            annotations.append(
                Annotation(
                    .point(x: c.params, y: c.tokensPerParam, .square),
                    label: "Chinchilla",
                    color: Palette.vermillion
                )
            )
        }
        // Keep the view around the points of interest, not the far corners of the budget edge.
        let ys =
            [plan.tokensPerParam, chinchilla?.tokensPerParam ?? plan.tokensPerParam]
            + (law.fittedParams != nil && law.fittedTokens != nil
                ? [law.fittedTokens!.0 / law.fittedParams!.1, law.fittedTokens!.1 / law.fittedParams!.0] : [])
        let yLo = (ys.min() ?? 1) / 20
        let yHi = (ys.max() ?? 1) * 20
        var table = [
            ["plan", Text.count(plan.params), NumberFormat.number.label(plan.tokensPerParam), Text.count(plan.tokens)]
        ]
        if let c = chinchilla {
            table.append([
                "Chinchilla", Text.count(c.params), NumberFormat.number.label(c.tokensPerParam), Text.count(c.tokens),
            ])
        }
        if let (p0, p1) = law.fittedParams, let (t0, t1) = law.fittedTokens {
            table.append([
                "fitted range", "\(Text.count(p0))–\(Text.count(p1))", "", "\(Text.count(t0))–\(Text.count(t1))",
            ])
        }
        return Chart(
            id: id + "-region",
            title: "Where the plan sits: model size N against tokens per parameter D/N",
            subtitle: "Shaded: the (N, D/N) the budget affords with at least one sample per query"
                + (law.fittedParams != nil ? "; dashed box: the runs the law was fitted on." : "."),
            x: Axis("parameters N", scale: .log, format: .count, min: nLo, max: nHi),
            y: Axis(
                "tokens per parameter D/N",
                scale: .log,
                format: .count,
                min: Scale.oneTwoFive(below: yLo),
                max: Scale.oneTwoFive(above: yHi)
            ),
            series: series,
            annotations: annotations,
            table: DataTable(columns: ["", "N", "D/N", "D"], rows: table)
        )
    }

    // MARK: - Sweeps

    static func sweepSection(_ input: ReportInput, id: String) throws -> ReportSection {
        let doc = input.document
        guard let points = doc["sweep"]?.array, !points.isEmpty else {
            throw ReportError.missingField(file: input.source, kind: "t2 plan --sweep", field: "sweep")
        }
        let law = Law(doc["law"])
        var rows: [(budget: Budget, plan: PlanPoint, chinchilla: PlanPoint?)] = []
        for p in points {
            guard let plan = PlanPoint(p["plan"]) else { continue }
            rows.append((Budget(p["budget"]), plan, PlanPoint(p["chinchilla"])))
        }
        guard let first = rows.first else {
            throw ReportError.missingField(file: input.source, kind: "t2 plan --sweep", field: "sweep[].plan")
        }
        let xAxis = first.budget.amountAxis
        func chart(_ suffix: String, _ title: String, _ y: Axis, _ value: (PlanPoint) -> Double?) -> AnyChart {
            .xy(
                Chart(
                    id: id + "-" + suffix,
                    title: title,
                    x: xAxis,
                    y: y,
                    series: [
                        Series(
                            "T² plan",
                            .lineAndPoints(.solid, .circle),
                            rows.map { DataPoint($0.budget.amount ?? .nan, value($0.plan) ?? .nan) },
                            color: Palette.blue
                        ),
                        Series(
                            "Chinchilla",
                            .lineAndPoints(.dashed, .square),
                            rows.map { DataPoint($0.budget.amount ?? .nan, $0.chinchilla.flatMap(value) ?? .nan) },
                            color: Palette.vermillion
                        ),
                    ],
                    table: DataTable(
                        columns: [xAxis.label, "T² plan", "Chinchilla"],
                        rows: rows.map { r in
                            [
                                xAxis.format.label(r.budget.amount ?? .nan),
                                value(r.plan).map { y.format.label($0) } ?? "–",
                                r.chinchilla.flatMap(value).map { y.format.label($0) } ?? "–",
                            ]
                        }
                    ),
                    width: 520,
                    height: 340
                )
            )
        }
        let accuracy = first.plan.passAtK != nil
        var charts = [
            chart("params", "Model size N against the budget", Axis("parameters N", scale: .log, format: .count)) {
                $0.params
            },
            chart(
                "tokens-per-param",
                "Tokens per parameter D/N against the budget",
                Axis("tokens per parameter D/N", scale: .log, format: .count)
            ) { $0.tokensPerParam },
            chart(
                "samples",
                "Samples per query k against the budget",
                Axis("samples per query k", scale: .log, format: .count)
            ) {
                $0.samples
            },
            accuracy
                ? chart("metric", "pass@k against the budget", Axis("pass@k (law)", format: .percent, min: 0)) {
                    $0.passAtK
                }
                : chart("metric", "Task loss against the budget", Axis("task loss (law)")) { $0.taskLoss },
        ]
        charts.append(
            .xy(
                Chart(
                    id: id + "-path",
                    title: "The optimal path in (N, D/N)",
                    subtitle: "Each point is the optimum for one budget of the sweep.",
                    x: Axis("parameters N", scale: .log, format: .count),
                    y: Axis("tokens per parameter D/N", scale: .log, format: .count),
                    series: [
                        Series(
                            "T² plan",
                            .lineAndPoints(.solid, .circle),
                            rows.map { DataPoint($0.plan.params, $0.plan.tokensPerParam) },
                            color: Palette.blue
                        ),
                        Series(
                            "Chinchilla",
                            .lineAndPoints(.dashed, .square),
                            rows.compactMap { r in r.chinchilla.map { DataPoint($0.params, $0.tokensPerParam) } },
                            color: Palette.vermillion
                        ),
                    ],
                    width: 520,
                    height: 340
                )
            )
        )
        let table = DataTable(
            columns: [
                xAxis.label, "N", "D/N", "k", accuracy ? "pass@k" : "loss", "Chinchilla N", "Chinchilla D/N",
                "Chinchilla k",
                "Chinchilla " + (accuracy ? "pass@k" : "loss"),
            ],
            rows: rows.map { r in
                [
                    xAxis.format.label(r.budget.amount ?? .nan), Text.count(r.plan.params),
                    NumberFormat.number.label(r.plan.tokensPerParam), String(Int(r.plan.samples)),
                    accuracy ? Text.percent(r.plan.passAtK, 2) : Text.fixed(r.plan.taskLoss, 4),
                    Text.count(r.chinchilla?.params), Text.number(r.chinchilla?.tokensPerParam),
                    r.chinchilla.map { String(Int($0.samples)) } ?? "–",
                    accuracy ? Text.percent(r.chinchilla?.passAtK, 2) : Text.fixed(r.chinchilla?.taskLoss, 4),
                ]
            }
        )
        return ReportSection(
            id: id,
            heading: "Plan sweep — \(law.form) law, \(first.budget.mode) budget, \(rows.count) budgets",
            source: input.source + (law.source.isEmpty ? "" : " · law: \(law.source)"),
            summary: [
                "From \(xAxis.format.label(rows.first!.budget.amount ?? .nan)) to \(xAxis.format.label(rows.last!.budget.amount ?? .nan)): N* goes from \(Text.count(rows.first!.plan.params)) to \(Text.count(rows.last!.plan.params)), D/N from \(NumberFormat.number.label(rows.first!.plan.tokensPerParam)) to \(NumberFormat.number.label(rows.last!.plan.tokensPerParam)), k from \(Int(rows.first!.plan.samples)) to \(Int(rows.last!.plan.samples))."
            ],
            facts: table,
            charts: charts,
            smallMultiples: true
        )
    }
}
