import Foundation
import Planning
import Plotting
import ScalingLaws
import Tabular

/// `t2 fit` results (Chinchilla form, T² forms) and law files: read tolerantly, charted.
///
/// Read (Chinchilla form): `parameters {E, A, B, alpha, beta}`, `allocations[] {flops, params,
/// tokens, tokens_per_param, loss, params_interval, tokens_per_param_interval}`, `dropped[]`,
/// `held_out {filter, mean_abs_relative_error, runs[] {line, params, tokens, loss, predicted}}`,
/// `excluded {runs}`, `data {path, sha256}`, `group`, and `runs[] {params, tokens, loss}` or
/// `replicates` when the document carries them. The observed runs come from `runs`, else from the
/// data file named in `data.path` (read again, columns params, tokens, loss, flops), else only the
/// held-out and dropped runs are drawn, and a note says so.
enum FitCharts {
    struct Run {
        var params: Double
        var tokens: Double
        var loss: Double
        var flops: Double?
        var line: Int?
        var compute: Double { flops ?? 6 * params * tokens }
    }

    static func law(_ d: JSONDocument?) -> ChinchillaLaw? {
        guard let p = d?.members else { return nil }
        var values: [String: Double] = [:]
        for (k, v) in p { if let x = v.double { values[k] = x } }
        guard let e = values["E"], let a = values["A"], let b = values["B"], let alpha = values["alpha"] else {
            return nil
        }
        return ChinchillaLaw(E: e, A: a, B: b, alpha: alpha, beta: values["beta"] ?? alpha)
    }

    static func runs(_ d: JSONDocument?) -> [Run] {
        (d?.array ?? []).compactMap { r in
            guard let n = r["params"]?.double, let t = r["tokens"]?.double, let l = r["loss"]?.double else {
                return nil
            }
            return Run(params: n, tokens: t, loss: l, flops: r["flops"]?.double, line: r["line"]?.int)
        }
    }

    /// The fit's runs read again from its data file (nil when it cannot be found or read).
    static func runsFromData(_ doc: JSONDocument, source: String) -> (runs: [Run], path: String)? {
        guard let path = doc["data"]?["path"]?.string else { return nil }
        var candidates = [path]
        if !path.hasPrefix("/") {
            candidates.append(
                URL(fileURLWithPath: source).deletingLastPathComponent().appendingPathComponent(path).path
            )
        }
        for candidate in candidates {
            guard FileManager.default.isReadableFile(atPath: candidate),
                let table = try? CSVTable(contentsOf: candidate)
            else { continue }
            guard let pi = table.columnIndex("params"), let ti = table.columnIndex("tokens") else { return nil }
            guard let li = table.columnIndex("loss") ?? table.header.firstIndex(where: { $0.hasSuffix("loss") }) else {
                return nil
            }
            let fi = table.columnIndex("flops")
            // A grouped fit: keep the rows whose value in some column is the group's name.
            var groupColumn: Int? = nil
            if let group = doc["group"]?.string {
                groupColumn = table.header.indices.first { c in table.rows.contains { $0[c] == group } }
                if groupColumn == nil { return nil }
            }
            var out: [Run] = []
            for (i, row) in table.rows.enumerated() {
                if let gc = groupColumn, row[gc] != doc["group"]?.string { continue }
                guard let n = Double(row[pi]), let t = Double(row[ti]), let l = Double(row[li]) else { continue }
                out.append(
                    Run(
                        params: n,
                        tokens: t,
                        loss: l,
                        flops: fi.flatMap { Double(row[$0]) },
                        line: table.line(ofRow: i)
                    )
                )
            }
            return (out, candidate)
        }
        return nil
    }

    static func sections(_ input: ReportInput, id: String) throws -> [ReportSection] {
        if let groups = input.document["groups"]?.array {
            return try groups.enumerated().map { i, g in
                try section(ReportInput(source: input.source, document: g), id: "\(id)-\(i + 1)")
            }
        }
        return [try section(input, id: id)]
    }

    static func section(_ input: ReportInput, id: String) throws -> ReportSection {
        let doc = input.document
        guard let law = law(doc["parameters"]) else {
            throw ReportError.missingField(file: input.source, kind: "t2 fit", field: "parameters")
        }
        var notes: [String] = doc["diagnostics"]?.array?.compactMap(\.string) ?? []
        let heldOut = runs(doc["held_out"]?["runs"])
        let dropped = runs(doc["dropped"])
        let heldLines = Set(heldOut.compactMap(\.line))
        let droppedLines = Set(dropped.compactMap(\.line))
        let excludedLines = Set(doc["excluded"]?["runs"]?.array?.compactMap(\.int) ?? [])
        var used = runs(doc["runs"])
        var excluded: [Run] = []
        if used.isEmpty {
            if let (all, path) = runsFromData(doc, source: input.source) {
                for r in all {
                    guard let line = r.line else { continue }
                    if heldLines.contains(line) || droppedLines.contains(line) { continue }
                    if excludedLines.contains(line) { excluded.append(r) } else { used.append(r) }
                }
                notes.append("Observed runs read from \(path) (the fit's data file).")
            } else {
                notes.append(
                    "The fitted runs are not drawn: this fit JSON does not carry them and its data file (\(doc["data"]?["path"]?.string ?? "unknown")) could not be read from here; held-out and dropped runs are."
                )
            }
        }
        let allocations:
            [(c: Double, n: Double, r: Double, loss: Double, nIv: (Double, Double)?, rIv: (Double, Double)?)] =
                (doc["allocations"]?.array ?? []).compactMap { a in
                    guard let c = a["flops"]?.double, let n = a["params"]?.double, let r = a["tokens_per_param"]?.double
                    else { return nil }
                    return (
                        c, n, r, a["loss"]?.double ?? .nan, a["params_interval"]?.interval,
                        a["tokens_per_param_interval"]?.interval
                    )
                }
        let computes = (used + heldOut + dropped + excluded).map(\.compute) + allocations.map(\.c)
        let cLo = computes.filter { $0 > 0 }.min() ?? 1e18
        let cHi = computes.max() ?? 1e24
        let frontierCs = (0...48).map {
            Foundation.exp(Foundation.log(cLo) + Double($0) / 48 * Foundation.log(cHi / cLo))
        }
        let frontier = frontierCs.map { law.computeOptimal(flops: $0) }

        var charts: [AnyChart] = []
        // 1. Loss against compute.
        var series: [Series] = [
            Series("runs fitted", .points(.circle), used.map { DataPoint($0.compute, $0.loss) }, color: Palette.blue),
            Series(
                "held out",
                .points(.triangle),
                heldOut.map { DataPoint($0.compute, $0.loss) },
                color: Palette.vermillion
            ),
            Series("dropped (highest loss)", .points(.cross), dropped.map { DataPoint($0.compute, $0.loss) }, color: 6),
            Series("excluded by --where", .points(.square), excluded.map { DataPoint($0.compute, $0.loss) }, color: 5),
            Series(
                "compute-optimal frontier L*(C)",
                .line(.solid),
                frontier.map { DataPoint($0.flops, $0.loss) },
                color: 2
            ),
        ]
        charts.append(
            .xy(
                Chart(
                    id: id + "-loss-vs-compute",
                    title: "Loss against training compute",
                    subtitle: "Observed final losses and the fitted law's compute-optimal frontier (C = 6·N·D).",
                    x: Axis("training compute C (FLOPs)", scale: .log, format: .scientific),
                    y: Axis("loss", scale: .log, format: .number),
                    series: series
                )
            )
        )
        // 2. IsoFLOP profiles.
        let decades = isoBudgets(lo: cLo, hi: cHi)
        let nAll = (used + heldOut).map(\.params) + allocations.map(\.n)
        let nLo = (nAll.min() ?? 1e7) / 3
        let nHi = (nAll.max() ?? 1e11) * 3
        series = []
        var minima: [DataPoint] = []
        for (j, c) in decades.enumerated() {
            let pts = (0...60).compactMap { i -> DataPoint? in
                let n = Foundation.exp(Foundation.log(nLo) + Double(i) / 60 * Foundation.log(nHi / nLo))
                let d = c / (6 * n)
                guard d >= 1 else { return nil }
                return DataPoint(n, law.loss(params: n, tokens: d))
            }
            series.append(
                Series("C = \(NumberFormat.scientific.label(c))", .line(.solid), pts, color: j + 1 == 6 ? 7 : j + 1)
            )
            let opt = law.computeOptimal(flops: c)
            minima.append(DataPoint(opt.params, opt.loss))
        }
        series.append(Series("compute-optimal N per budget", .points(.diamond), minima, color: 6))
        series.append(Series("runs", .points(.circle), used.map { DataPoint($0.params, $0.loss) }, color: Palette.blue))
        charts.append(
            .xy(
                Chart(
                    id: id + "-isoflop",
                    title: "IsoFLOP profiles of the fitted law",
                    subtitle:
                        "Loss L(N, C/6N) against model size at fixed compute; its minimum is the compute-optimal N.",
                    x: Axis("parameters N", scale: .log, format: .count, min: nLo, max: nHi),
                    y: Axis("loss", scale: .log, format: .number),
                    series: series,
                    table: DataTable(
                        columns: ["budget C (FLOPs)", "optimal N", "optimal D", "D/N", "loss"],
                        rows: decades.map { c in
                            let a = law.computeOptimal(flops: c)
                            return [
                                NumberFormat.scientific.label(c), Text.count(a.params), Text.count(a.tokens),
                                NumberFormat.number.label(a.tokensPerParam), Text.fixed(a.loss, 4),
                            ]
                        }
                    )
                )
            )
        )
        // 3. The compute-optimal allocation with its bootstrap intervals.
        let hasIntervals = allocations.contains { $0.nIv != nil }
        series = [
            Series(
                "N*(C), fitted law",
                .line(.solid),
                frontier.map { DataPoint($0.flops, $0.params) },
                color: Palette.blue
            )
        ]
        if hasIntervals {
            series.append(
                Series(
                    "bootstrap interval",
                    .band,
                    allocations.map { DataPoint($0.c, $0.n, low: $0.nIv?.0, high: $0.nIv?.1) },
                    color: Palette.blue
                )
            )
        }
        series.append(
            Series(
                "budgets reported",
                .errorBars(.circle),
                allocations.map { DataPoint($0.c, $0.n, low: $0.nIv?.0, high: $0.nIv?.1) },
                color: Palette.blue
            )
        )
        let confidence = doc["intervals"]?["confidence"]?.double
        charts.append(
            .xy(
                Chart(
                    id: id + "-frontier",
                    title: "Compute-optimal model size against compute",
                    subtitle: hasIntervals
                        ? "With the \(confidence.map { Text.percent($0, 0) } ?? "") bootstrap interval at the reported budgets."
                        : "No bootstrap in this fit (t2 fit --bootstrap B adds intervals).",
                    x: Axis("training compute C (FLOPs)", scale: .log, format: .scientific),
                    y: Axis("parameters N*", scale: .log, format: .count),
                    series: series,
                    table: DataTable(
                        columns: ["budget C", "N*", "interval", "D*/N*", "interval", "loss"],
                        rows: allocations.map { a in
                            [
                                NumberFormat.scientific.label(a.c), Text.count(a.n),
                                a.nIv.map { "[\(Text.count($0.0)), \(Text.count($0.1))]" } ?? "",
                                NumberFormat.number.label(a.r),
                                a.rIv.map { "[\(NumberFormat.number.label($0.0)), \(NumberFormat.number.label($0.1))]" }
                                    ?? "",
                                Text.fixed(a.loss, 4),
                            ]
                        }
                    )
                )
            )
        )
        // 4. Residuals.
        func residual(_ r: Run) -> DataPoint {
            let predicted = law.loss(params: r.params, tokens: r.tokens)
            return DataPoint(r.compute, (r.loss - predicted) / predicted)
        }
        charts.append(
            .xy(
                Chart(
                    id: id + "-residuals",
                    title: "Residuals: (observed − fitted) / fitted loss",
                    x: Axis("training compute C (FLOPs)", scale: .log, format: .scientific),
                    y: Axis("relative residual", format: .percent),
                    series: [
                        Series("runs fitted", .points(.circle), used.map(residual), color: Palette.blue),
                        Series("held out", .points(.triangle), heldOut.map(residual), color: Palette.vermillion),
                        Series("dropped", .points(.cross), dropped.map(residual), color: 6),
                    ],
                    annotations: [Annotation(.horizontalLine(y: 0), label: "", color: 6)]
                )
            )
        )

        var facts: [[String]] = []
        let iv = doc["intervals"]?["parameters"]
        for (key, label) in [("E", "E"), ("A", "A"), ("B", "B"), ("alpha", "α"), ("beta", "β")] {
            guard let v = doc["parameters"]?[key]?.double else { continue }
            let interval = iv?[key]?.interval.map {
                "[\(NumberFormat.number.label($0.0)), \(NumberFormat.number.label($0.1))]"
            }
            facts.append([label, Text.number(v), interval ?? ""])
        }
        if let h = doc["held_out"], let e = h["mean_abs_relative_error"]?.double {
            notes.insert(
                "Held out \(heldOut.count) runs (\(h["filter"]?.string ?? "")): mean |relative error| \(Text.percent(e, 2)).",
                at: 0
            )
        }
        let group = doc["group"]?.string
        return ReportSection(
            id: id,
            heading: "Fit — Chinchilla law" + (group.map { " [\($0)]" } ?? ""),
            source: input.source,
            summary: [
                "L(N, D) = E + A/N^α + B/D^β fitted to \(doc["points"]?.int.map(String.init) ?? "?") runs: E = \(Text.number(law.E)), A = \(Text.number(law.A)), B = \(Text.number(law.B)), α = \(Text.fixed(law.alpha, 4)), β = \(Text.fixed(law.beta, 4)) (\(doc["status"]?.string ?? ""))."
            ],
            facts: DataTable(
                columns: ["parameter", "value", confidence.map { Text.percent($0, 0) + " interval" } ?? "interval"],
                rows: facts
            ),
            charts: charts,
            notes: notes
        )
    }

    /// Up to five round budgets (powers of ten) across the runs' compute.
    static func isoBudgets(lo: Double, hi: Double) -> [Double] {
        let a = Int(Foundation.floor(Foundation.log10(lo)))
        let b = Int(Foundation.ceil(Foundation.log10(hi)))
        var decades = Array(a...Swift.max(a, b))
        while decades.count > 5 { decades = stride(from: 0, to: decades.count, by: 2).map { decades[$0] } }
        return decades.map { Foundation.pow(10, Double($0)) }
    }

    // MARK: - T² forms

    static func t2Section(_ input: ReportInput, id: String) throws -> ReportSection {
        let doc = input.document
        guard let lawDoc = doc["law"], let form = lawDoc["form"]?.string else {
            throw ReportError.missingField(file: input.source, kind: "t2 fit --form", field: "law")
        }
        var parameters: [String: Double] = [:]
        for (k, v) in lawDoc["parameters"]?.members ?? [] { if let x = v.double { parameters[k] = x } }
        var notes = lawDoc["notes"]?.array?.compactMap(\.string) ?? []
        let held = doc["held_out"]
        let heldModels = Set(held?["held_out_models"]?.array?.compactMap(\.string) ?? [])
        var charts: [AnyChart] = []
        if let planning = try? PlanningLaw(file: LawFile(form: form, parameters: parameters), source: input.source),
            let path = lawDoc["data"]?["path"]?.string,
            let table = try? CSVTable(contentsOf: path),
            let groups = try? CountsReader.read(table)
        {
            var fitted: [DataPoint] = []
            var heldOut: [DataPoint] = []
            var rows: [[String]] = []
            for g in groups where g.params != nil && g.tokens != nil {
                for k in PassAtK.defaultKs(upTo: g.minimumSamples) {
                    guard let measured = try? PassAtK.mean(g, k: k) else { continue }
                    let predicted =
                        planning.predict(params: g.params!, tokens: g.tokens!, samples: Double(k)).passAtK ?? .nan
                    let p = DataPoint(predicted, measured)
                    if heldModels.contains(g.name) { heldOut.append(p) } else { fitted.append(p) }
                    rows.append([g.name, String(k), Text.percent(measured, 2), Text.percent(predicted, 2)])
                }
            }
            let all = (fitted + heldOut).flatMap { [$0.x, $0.y] }.filter { $0 > 0 }
            let lo = Scale.oneTwoFive(below: Swift.max(1e-5, all.min() ?? 1e-4))
            charts.append(
                .xy(
                    Chart(
                        id: id + "-measured-vs-predicted",
                        title: "Measured against predicted pass@k",
                        subtitle: "One point per model and k (powers of 2 and 10); on the diagonal the law is exact.",
                        x: Axis("predicted pass@k (\(form))", scale: .log, format: .percent, min: lo, max: 1),
                        y: Axis("measured pass@k (unbiased)", scale: .log, format: .percent, min: lo, max: 1),
                        series: [
                            Series("y = x", .line(.dotted), [DataPoint(lo, lo), DataPoint(1, 1)], color: 6),
                            Series("models fitted", .points(.circle), fitted, color: Palette.blue),
                            Series("held out (largest N)", .points(.triangle), heldOut, color: Palette.vermillion),
                        ],
                        table: DataTable(columns: ["model", "k", "measured", "predicted"], rows: rows)
                    )
                )
            )
            notes.append("Measured pass@k read from \(path) (the fit's counts file).")
        } else {
            notes.append(
                "The measured-against-predicted chart needs the fit's counts file, which could not be read from here."
            )
        }
        let facts = DataTable(
            columns: ["parameter", "value"],
            rows: parameters.keys.sorted().map { [$0, Text.number(parameters[$0])] }
                + [
                    ["held-out mean |Δ pass@k|", Text.percent(held?["mean_absolute_error"]?.double, 2)],
                    ["held-out max |Δ pass@k|", Text.percent(held?["max_absolute_error"]?.double, 2)],
                ]
        )
        if let split = held?["split"]?.string { notes.insert("Held out: \(split).", at: 0) }
        return ReportSection(
            id: id,
            heading: "Fit — \(form) law",
            source: input.source,
            summary: [
                "\(form) law fitted to \(lawDoc["points"]?.int.map(String.init) ?? "?") points (\(lawDoc["status"]?.string ?? ""))."
            ],
            facts: facts,
            charts: charts,
            notes: notes
        )
    }

    // MARK: - Law files

    static func lawSection(_ input: ReportInput, id: String) throws -> ReportSection {
        let doc = input.document
        let form = doc["form"]?.string ?? "?"
        var parameters: [String: Double] = [:]
        for (k, v) in doc["parameters"]?.members ?? [] { if let x = v.double { parameters[k] = x } }
        var charts: [AnyChart] = []
        var base: ChinchillaLaw? = nil
        if let p = try? PlanningLaw(file: LawFile(form: form, parameters: parameters), source: input.source) {
            base = p.pretraining
        }
        if let base {
            let cs = (0...48).map { Foundation.pow(10, 18 + Double($0) / 48 * 8) }
            var series = [
                Series(
                    "N*(C)",
                    .line(.solid),
                    cs.map { DataPoint($0, base.computeOptimal(flops: $0).params) },
                    color: Palette.blue
                )
            ]
            // Bootstrap replicates in the law file give a percentile band.
            let replicates = (doc["bootstrap"]?.array ?? []).compactMap { law($0) }
            if replicates.count >= 10 {
                let band = cs.map { c -> DataPoint in
                    let ns = replicates.map { $0.computeOptimal(flops: c).params }.filter(\.isFinite).sorted()
                    let lo = ns[Int(0.025 * Double(ns.count - 1))]
                    let hi = ns[Int((0.975 * Double(ns.count - 1)).rounded())]
                    return DataPoint(c, base.computeOptimal(flops: c).params, low: lo, high: hi)
                }
                series.append(
                    Series("95% bootstrap band (\(replicates.count) replicates)", .band, band, color: Palette.blue)
                )
            }
            charts.append(
                .xy(
                    Chart(
                        id: id + "-frontier",
                        title: "Compute-optimal model size of the law's pretraining part",
                        x: Axis("training compute C (FLOPs)", scale: .log, format: .scientific),
                        y: Axis("parameters N*", scale: .log, format: .count),
                        series: series
                    )
                )
            )
        }
        return ReportSection(
            id: id,
            heading: "Law — \(form)",
            source: input.source,
            facts: DataTable(
                columns: ["parameter", "value"],
                rows: parameters.keys.sorted().map { [$0, Text.number(parameters[$0])] }
            ),
            charts: charts,
            notes: doc["notes"]?.array?.compactMap(\.string) ?? []
        )
    }
}
