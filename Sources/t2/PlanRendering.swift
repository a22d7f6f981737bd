import Foundation
import Planning
import ScalingLaws
import Tabular

/// Renders a ``PlanReport`` as the table `t2 plan` prints, or plans as CSV.
enum PlanRendering {
    /// "N 14.0M–12.0B, D 2.00M–300B".
    static func rangeText(_ r: FittedRange) -> String {
        "N \(Format.count(r.params.lowerBound))–\(Format.count(r.params.upperBound)), D \(Format.count(r.tokens.lowerBound))–\(Format.count(r.tokens.upperBound)), D/N \(Format.significant(r.tokensPerParam.lowerBound, 3))–\(Format.significant(r.tokensPerParam.upperBound, 3))"
    }

    /// The one line naming the law, the data it was fitted on and its held-out error.
    static func lawLine(_ law: PlanLawSummary) -> String {
        var text = "t2 plan — law: \(law.description ?? law.source) (\(law.form))"
        if let r = law.fittedRange {
            text +=
                "; fitted on N \(Format.count(r.params.lowerBound))–\(Format.count(r.params.upperBound)), D \(Format.count(r.tokens.lowerBound))–\(Format.count(r.tokens.upperBound))"
        } else {
            text += "; fitted range unknown"
        }
        if let h = law.heldOut {
            switch h.metric {
            case "mean_abs_pass_at_k_error": text += "; held-out |Δ pass@k| \(Format.significant(h.value, 2))"
            case "mean_abs_relative_loss_error": text += "; held-out |Δ loss| \(Format.percent(h.value, 2))"
            default: text += "; held-out \(h.metric) \(Format.significant(h.value, 3))"
            }
        } else {
            text += "; no held-out check"
        }
        return text
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

    static func costText(_ b: PlanBudget, _ v: Double) -> String {
        if case .dollars = b { return "$" + Format.count(v) }
        return Format.scientific(v) + " FLOPs"
    }

    static func servingText(_ s: ServingOption?) -> String {
        guard let s else { return "-" }
        return "\(s.gpus > 1 ? "\(s.gpus)× " : "")\(s.hardware) \(s.quant) \(s.engine)"
    }

    static func targetText(_ t: PlanTargetRecord) -> String {
        t.kind == "accuracy" ? "pass@k ≥ \(Format.percent(t.value))" : "task loss ≤ \(Format.fixed(t.value, 4))"
    }

    static func interval(_ v: [Double]?, _ f: (Double) -> String) -> String {
        guard let v, v.count == 2, v[0].isFinite, v[1].isFinite else { return "" }
        let a = f(v[0])
        let b = f(v[1])
        return a == b ? a : "\(a)–\(b)"
    }

    static func yesNo(_ b: Bool?) -> String { b.map { $0 ? "yes" : "no" } ?? "-" }

    /// "4" for 4, "2.5" for 2.5.
    static func factor(_ f: Double) -> String {
        f == f.rounded() && f < 1e6 ? String(Int(f)) : Format.significant(f, 3)
    }

    static func table(_ report: PlanReport, isDefault: Bool) -> String {
        let p = report.plan
        let ch = report.chinchilla
        let budget = report.plannedBudget
        let u = report.unconstrainedDiffers == true ? report.unconstrained : nil
        var lines: [String] = [lawLine(report.law)]
        lines.append("Budget: \(describe(budget, isDefault: isDefault))")
        if let target = report.target {
            lines.append(
                "Target: \(targetText(target)) — the cheapest budget reaching it is \(costText(budget, budget.amount))"
            )
        }
        if let range = report.search.range {
            lines.append(
                "Search: within \(factor(report.search.rangeFactor))× of the fitted range (\(rangeText(range))); --allow-extrapolation lifts it"
            )
        } else if report.search.allowExtrapolation {
            lines.append("Search: unconstrained (--allow-extrapolation)")
        }
        if let uTokens = report.search.uniqueTokens {
            lines.append(
                "Data: \(Format.count(uTokens)) unique tokens; repeats priced by Muennighoff et al. 2023 (effective data D′)"
            )
        }
        lines.append("")
        let k = p.samples == 1 ? "one sample per query" : "k = \(p.samples) samples per query"
        lines.append(
            "Plan:       train a \(Format.count(p.params))-parameter model on \(Format.count(p.tokens)) tokens (\(Format.significant(p.tokensPerParam, 3)) tokens/param), \(k): \(metricText(p))"
        )
        if let iv = p.intervals {
            lines.append(
                "            \(Format.percent(iv.confidence, 0)) intervals over \(iv.replicates) replicates of the law: N \(interval(iv.params, Format.count)), D \(interval(iv.tokens, Format.count)), k \(interval(iv.k) { String(Int($0.rounded())) }), \(iv.metricKind == "pass_at_k" ? "pass@k" : "loss") \(interval(iv.metric, iv.metricKind == "pass_at_k" ? { Format.percent($0, 1) } : { Format.fixed($0, 4) }))"
            )
        }
        if let u {
            lines.append(
                "Unconstrained: \(Format.count(u.params)) on \(Format.count(u.tokens)) tokens (\(Format.significant(u.tokensPerParam, 3)) tokens/param), k = \(u.samples): \(metricText(u))\(report.target != nil ? " for \(costText(budget, u.totalCost))" : "") — outside the fitted range, not recommended"
            )
        }
        lines.append(
            "Chinchilla: train \(Format.count(ch.params)) on \(Format.count(ch.tokens)) tokens (\(Format.significant(ch.tokensPerParam, 3)) tokens/param), k = \(ch.samples): \(metricText(ch))\(ch.inFittedRange == false ? " (outside the fitted range: extrapolated)" : "")"
        )
        if let target = report.target, target.saving == nil {
            lines.append(
                "Saving:     no Chinchilla-shaped model with k = 1 reaches the target at any budget; above, Chinchilla's plan for the same budget"
            )
        } else if let target = report.target, let saving = target.saving {
            lines.append(
                "Saving:     the plan costs \(Format.percent(saving)) less than the Chinchilla-shaped model reaching the same target (\(costText(budget, ch.totalCost - p.totalCost)) saved)"
            )
        } else if let a = p.predicted.passAtK, let b = ch.predicted.passAtK {
            let ratio = b > 0 ? " (\(Format.significant(a / b, 3))×)" : ""
            let size =
                ch.params >= p.params
                ? "a model \(Format.significant(ch.params / p.params, 3))× smaller"
                : "a model \(Format.significant(p.params / ch.params, 3))× larger"
            lines.append(
                "Gap:        \(a >= b ? "+" : "")\(Format.fixed((a - b) * 100, 2)) points of pass@k\(ratio) for the same budget, with \(size)"
            )
        } else {
            let gain = report.gap.taskLossGain
            lines.append(
                "Gap:        loss \(Format.fixed(abs(gain), 4)) \(gain >= 0 ? "lower" : "higher") than Chinchilla's for the same budget"
                    + (gain < 0 ? " (a bound decided the plan; see the notes)" : "")
            )
        }
        lines.append("")
        var columns: [(String, TextTable.Alignment)] = [("", .left), ("plan", .right)]
        if let iv = p.intervals { columns.append(("\(Format.percent(iv.confidence, 0)) interval", .right)) }
        if u != nil { columns.append(("unconstrained", .right)) }
        columns.append(("chinchilla", .right))
        var t = TextTable(columns)
        let iv = p.intervals
        func row(_ label: String, _ plan: String, _ ivText: String, _ other: (Plan) -> String) {
            var cells = [label, plan]
            if iv != nil { cells.append(ivText) }
            if let u { cells.append(other(u)) }
            cells.append(other(ch))
            t.append(cells)
        }
        row("params N", Format.count(p.params), interval(iv?.params, Format.count)) { Format.count($0.params) }
        row("tokens D", Format.count(p.tokens), interval(iv?.tokens, Format.count)) { Format.count($0.tokens) }
        row(
            "tokens/param D/N",
            Format.significant(p.tokensPerParam, 3),
            interval(iv?.tokensPerParam) { Format.significant($0, 3) }
        ) { Format.significant($0.tokensPerParam, 3) }
        row(
            "samples k",
            "\(p.samples)" + (p.samplesContinuous.map { " (k* = \(Format.significant($0, 3)))" } ?? ""),
            interval(iv?.k) { String(Int($0.rounded())) }
        ) { "\($0.samples)" }
        if p.predicted.passAtK != nil {
            row(
                "pass@k",
                Format.percent(p.predicted.passAtK!, 2),
                iv?.metricKind == "pass_at_k" ? interval(iv?.metric) { Format.percent($0, 2) } : ""
            ) { Format.percent($0.predicted.passAtK ?? .nan, 2) }
        }
        row(
            "task loss",
            Format.fixed(p.predicted.taskLoss, 4),
            iv?.metricKind == "task_loss" ? interval(iv?.metric) { Format.fixed($0, 4) } : ""
        ) { Format.fixed($0.predicted.taskLoss, 4) }
        row("law's L̂(N, D)", Format.fixed(p.predicted.pretrainingLoss, 4), "") {
            Format.fixed($0.predicted.pretrainingLoss, 4)
        }
        if p.uniqueTokens != nil {
            row("epochs D/U", Format.significant(p.epochs ?? .nan, 3), "") { Format.significant($0.epochs ?? .nan, 3) }
            row("effective data D′", Format.count(p.effectiveTokens ?? .nan), "") {
                Format.count($0.effectiveTokens ?? .nan)
            }
        }
        row("train FLOPs", Format.scientific(p.trainFLOPs), "") { Format.scientific($0.trainFLOPs) }
        if case .separate = budget {
            row("inference FLOPs/query token", Format.scientific(p.inferenceFLOPs), "") {
                Format.scientific($0.inferenceFLOPs)
            }
        } else {
            row("inference FLOPs", Format.scientific(p.inferenceFLOPs), "") { Format.scientific($0.inferenceFLOPs) }
            row("FLOPs per query", Format.scientific(p.flopsPerQuery ?? 0), "") {
                Format.scientific($0.flopsPerQuery ?? 0)
            }
        }
        if p.trainUSD != nil {
            row("train $", "$" + Format.count(p.trainUSD!), "") { "$" + Format.count($0.trainUSD ?? 0) }
            row("inference $", "$" + Format.count(p.inferenceUSD!), "") { "$" + Format.count($0.inferenceUSD ?? 0) }
            row("$ per query", "$" + Format.significant(p.usdPerQuery!, 3), "") {
                "$" + Format.significant($0.usdPerQuery ?? 0, 3)
            }
            row("$ per M output tokens", "$" + Format.significant(p.usdPerMillionOutputTokens!, 3), "") {
                "$" + Format.significant($0.usdPerMillionOutputTokens ?? 0, 3)
            }
            row("serving", servingText(p.serving), "") { servingText($0.serving) }
        }
        if report.target != nil || p.trainUSD != nil {
            row("total cost", costText(budget, p.totalCost), interval(iv?.cost) { costText(budget, $0) }) {
                costText(budget, $0.totalCost)
            }
        }
        if report.law.fittedRange != nil {
            row(
                "within \(factor(report.search.rangeFactor))× of fitted range",
                yesNo(p.inFittedRange),
                ""
            ) { yesNo($0.inFittedRange) }
        }
        lines.append(t.render())
        var notes = p.boundaries.map { "plan: \($0.explanation)" }
        notes += ch.boundaries.filter { $0 == .overInferenceBudget || $0 == .mostTokens }.map {
            "chinchilla: \($0.explanation)"
        }
        notes += report.notes
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
            lines.append("     t2 plan --help   (dollars, targets, sweeps, data limits, your own law)")
        }
        return lines.joined(separator: "\n")
    }

    static func sweepTable(_ report: PlanSweepReport, template: PlanBudget) -> String {
        var t = TextTable([
            ("budget", .right), ("N", .right), ("D", .right), ("D/N", .right), ("k", .right), ("metric", .right),
            ("in range", .right), ("chin. N", .right), ("chin. D/N", .right), ("chin. k", .right),
            ("chin. metric", .right),
        ])
        for point in report.sweep {
            let b = PlanBudgetRecord.budgetOf(point.budget)
            t.append([
                costText(b, b.amount), Format.count(point.plan.params), Format.count(point.plan.tokens),
                Format.significant(point.plan.tokensPerParam, 3), "\(point.plan.samples)", metricText(point.plan),
                yesNo(point.plan.inFittedRange), Format.count(point.chinchilla.params),
                Format.significant(point.chinchilla.tokensPerParam, 3), "\(point.chinchilla.samples)",
                metricText(point.chinchilla),
            ])
        }
        var lines = [lawLine(report.law) + "; budget: \(template.mode)"]
        if let range = report.search.range {
            lines.append(
                "Search: within \(factor(report.search.rangeFactor))× of the fitted range (\(rangeText(range)))"
            )
        }
        lines.append(t.render())
        return lines.joined(separator: "\n")
    }

    /// Plans as CSV (RFC 4180 through ``Tabular/CSVWriter``): one row per budget.
    static func csv(_ rows: [(PlanBudgetRecord, Plan, Plan)]) -> String {
        var writer = CSVWriter(header: [
            "budget_mode", "budget", "params", "tokens", "tokens_per_param", "samples", "pass_at_k", "task_loss",
            "train_flops", "inference_flops", "total_cost", "usd_per_million_output_tokens", "hardware", "quant",
            "in_fitted_range", "params_low", "params_high", "tokens_low", "tokens_high", "k_low", "k_high",
            "metric_low", "metric_high", "unique_tokens", "epochs", "effective_tokens", "chinchilla_params",
            "chinchilla_tokens", "chinchilla_tokens_per_param", "chinchilla_samples", "chinchilla_pass_at_k",
            "chinchilla_task_loss",
        ])
        func num(_ v: Double?) -> String { v.map { String($0) } ?? "" }
        for (record, p, ch) in rows {
            let b = PlanBudgetRecord.budgetOf(record)
            let iv = p.intervals
            writer.append([
                b.mode, num(b.amount), num(p.params), num(p.tokens), num(p.tokensPerParam), "\(p.samples)",
                num(p.predicted.passAtK), num(p.predicted.taskLoss), num(p.trainFLOPs), num(p.inferenceFLOPs),
                num(p.totalCost), num(p.usdPerMillionOutputTokens), p.serving?.hardware ?? "", p.serving?.quant ?? "",
                p.inFittedRange.map { $0 ? "true" : "false" } ?? "", num(iv?.params[0]), num(iv?.params[1]),
                num(iv?.tokens[0]), num(iv?.tokens[1]), num(iv?.k[0]), num(iv?.k[1]), num(iv?.metric[0]),
                num(iv?.metric[1]), num(p.uniqueTokens), num(p.epochs), num(p.effectiveTokens), num(ch.params),
                num(ch.tokens), num(ch.tokensPerParam), "\(ch.samples)", num(ch.predicted.passAtK),
                num(ch.predicted.taskLoss),
            ])
        }
        var text = writer.text
        if text.hasSuffix("\n") { text.removeLast() }
        return text
    }
}
