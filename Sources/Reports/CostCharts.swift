import Foundation
import Plotting

/// `t2 cost` results (one deployment, `--compare`, `--validate`): read tolerantly, charted.
///
/// Read from each estimate (snake_case or camelCase): model, quant, hardware, engine, gpus,
/// concurrency, batch, fits, weights_gb, memory_needed_per_gpu_gb, memory_usable_per_gpu_gb,
/// ttft_ms, itl_ms, output_tokens_per_s(_per_gpu), decode_tokens_per_s (or the older `_per_second`),
/// usd_per_million_output_tokens, usd_per_million_input_tokens, joules_per_output_token.
/// Comparisons: `baseline` (or the older `base`) and `compared[] {changes, estimate}`. Validation: `rows[] {metric,
/// measured, predicted, hardware, model, quant}`, `median_abs_pct_error {metric: %}`.
enum CostCharts {
    struct Estimate {
        var label: String
        var model: String
        var quant: String
        var hardware: String
        var engine: String
        var gpus: Int
        var batch: Double?
        var fits: Bool
        var weightsGB: Double?
        var neededGB: Double?
        var usableGB: Double?
        var ttftMs: Double?
        var itlMs: Double?
        var throughput: Double?
        var throughputPerGPU: Double?
        var decodePerUser: Double?
        var usdOut: Double?
        var usdIn: Double?
        var joules: Double?

        init(_ d: JSONDocument, label: String) {
            self.label = label
            model = d["model"]?.string ?? (d["params"]?.double).map { Text.count($0) + " params" } ?? "?"
            quant = d["quant"]?.string ?? "?"
            hardware = d["hardware"]?.string ?? "?"
            engine = d["engine"]?.string ?? ""
            gpus = d["gpus"]?.int ?? 1
            batch = d["batch"]?.double ?? d["concurrency"]?.double
            fits = d["fits"]?.bool ?? true
            weightsGB = d["weights_gb"]?.double
            neededGB = d["memory_needed_per_gpu_gb"]?.double
            usableGB = d["memory_usable_per_gpu_gb"]?.double
            ttftMs = d["ttft_ms"]?.double
            itlMs = d["itl_ms"]?.double
            throughput = d["output_tokens_per_s"]?.double ?? d["output_tokens_per_second"]?.double
            throughputPerGPU =
                d["output_tokens_per_s_per_gpu"]?.double ?? d["output_tokens_per_second_per_gpu"]?.double
            decodePerUser = d["decode_tokens_per_s"]?.double ?? d["decode_tokens_per_second"]?.double
            usdOut = d["usd_per_million_output_tokens"]?.double
            usdIn = d["usd_per_million_input_tokens"]?.double
            joules = d["joules_per_output_token"]?.double
        }

        /// The deployment without its load: one series per deployment in load charts.
        var deployment: String {
            "\(model) \(quant) on \(gpus > 1 ? "\(gpus)× " : "")\(hardware)" + (engine.isEmpty ? "" : " (\(engine))")
        }
    }

    static func estimateSection(_ input: ReportInput, id: String) throws -> ReportSection {
        let e = Estimate(input.document, label: "")
        var charts: [AnyChart] = []
        if let m = memoryChart(id: id, [e]) { charts.append(.bars(m)) }
        return ReportSection(
            id: id,
            heading: "Cost — \(e.deployment)",
            source: input.source,
            summary: [summary(e)],
            facts: facts([e]),
            charts: charts,
            notes: [
                "Throughput against concurrency and the latency–throughput front need several loads: add the JSON of `t2 cost … --compare concurrency=4 --compare concurrency=16 …`."
            ]
        )
    }

    static func summary(_ e: Estimate) -> String {
        guard e.fits else {
            return
                "\(e.deployment) does not fit: \(Text.fixed(e.neededGB, 1)) GB needed per device of \(Text.fixed(e.usableGB, 1)) GB usable."
        }
        var s =
            "\(e.deployment): TTFT \(Text.number(e.ttftMs)) ms, ITL \(Text.number(e.itlMs)) ms, \(Text.number(e.throughput)) output tokens/s"
        if let b = e.batch { s += " at concurrency \(NumberFormat.number.label(b))" }
        if let u = e.usdOut { s += ", \(Text.usd(u)) per million output tokens" }
        return s + "."
    }

    static func facts(_ es: [Estimate]) -> DataTable {
        DataTable(
            columns: [
                "deployment", "concurrency", "fits", "memory/device (GB)", "TTFT (ms)", "ITL (ms)", "output tok/s",
                "tok/s per GPU", "$/M output", "$/M input", "J/output token",
            ],
            rows: es.map { e in
                [
                    e.label.isEmpty ? e.deployment : "\(e.label): \(e.deployment)", Text.number(e.batch),
                    e.fits ? "yes" : "no",
                    "\(Text.fixed(e.neededGB, 1)) of \(Text.fixed(e.usableGB, 1))", Text.number(e.ttftMs),
                    Text.number(e.itlMs),
                    Text.number(e.throughput), Text.number(e.throughputPerGPU), Text.usd(e.usdOut), Text.usd(e.usdIn),
                    Text.number(e.joules),
                ]
            }
        )
    }

    /// Weights, KV cache (and the rest of what is needed), and free memory per device, stacked.
    static func memoryChart(id: String, _ es: [Estimate]) -> BarChart? {
        let usable = es.filter { $0.weightsGB != nil && $0.neededGB != nil && $0.usableGB != nil }
        guard !usable.isEmpty else { return nil }
        let names = usable.map { e in
            e.label.isEmpty || e.label.contains(e.deployment)
                ? (e.label.isEmpty ? e.deployment : e.label) : "\(e.label): \(e.deployment)"
        }
        let weights = usable.map { $0.weightsGB! / Double($0.gpus) }
        let kv = usable.map { e in Swift.max(0, e.neededGB! - e.weightsGB! / Double(e.gpus)) }
        let free = usable.map { Swift.max(0, $0.usableGB! - $0.neededGB!) }
        let over = usable.map { Swift.max(0, $0.neededGB! - $0.usableGB!) }
        var bars = [
            BarChart.Bars("weights", weights, color: Palette.blue),
            BarChart.Bars("KV cache and activations", kv, color: 4),
            BarChart.Bars("free", free, color: 2),
        ]
        if over.contains(where: { $0 > 0 }) {
            bars.append(BarChart.Bars("over the usable memory", over, color: Palette.vermillion))
        }
        return BarChart(
            id: id + "-memory",
            title: "Memory per device",
            subtitle: "Weights (per device), KV cache for the load, and what is left of the usable memory.",
            categories: names,
            bars: bars,
            stacked: true,
            value: Axis("GB per device", format: .number),
            categoryLabel: "deployment"
        )
    }

    static func comparisonSection(_ input: ReportInput, id: String) throws -> ReportSection {
        let doc = input.document
        guard let base = doc["baseline"] ?? doc["base"] else {
            throw ReportError.missingField(file: input.source, kind: "t2 cost --compare", field: "base")
        }
        var estimates = [Estimate(base, label: "base")]
        for c in doc["compared"]?.array ?? [] {
            guard let e = c["estimate"] else { continue }
            estimates.append(Estimate(e, label: c["changes"]?.string ?? "compared"))
        }
        return try loadSection(
            estimates,
            id: id,
            heading: "Cost comparison — \(estimates.count) deployments",
            source: input.source
        )
    }

    /// Charts for several estimates: throughput against concurrency and latency against throughput
    /// per deployment (hardware × quantization × engine), $/M tokens, memory.
    static func loadSection(
        _ estimates: [Estimate],
        id: String,
        heading: String,
        source: String?
    ) throws -> ReportSection {
        var order: [String] = []
        var byDeployment: [String: [Estimate]] = [:]
        for e in estimates where e.fits {
            if byDeployment[e.deployment] == nil { order.append(e.deployment) }
            byDeployment[e.deployment, default: []].append(e)
        }
        func sorted(_ d: String) -> [Estimate] { (byDeployment[d] ?? []).sorted { ($0.batch ?? 0) < ($1.batch ?? 0) } }
        var charts: [AnyChart] = []
        charts.append(
            .xy(
                Chart(
                    id: id + "-throughput",
                    title: "Output throughput against concurrency",
                    subtitle: "The cost model's prediction per deployment (all devices together).",
                    x: Axis("concurrent requests", scale: .log, format: .count),
                    y: Axis("output tokens/s", format: .count, includeZero: true),
                    series: order.enumerated().map { i, d in
                        Series(
                            d,
                            .lineAndPoints(.solid, Palette.marker(i)),
                            sorted(d).map { DataPoint($0.batch ?? .nan, $0.throughput ?? .nan) },
                            color: i
                        )
                    }
                )
            )
        )
        charts.append(
            .xy(
                Chart(
                    id: id + "-pareto",
                    title: "Latency against throughput",
                    subtitle:
                        "Each point a load; down and to the right is better. The front is the lower-right envelope.",
                    x: Axis("output tokens/s per GPU", scale: .log, format: .count),
                    y: Axis("inter-token latency (ms)", scale: .log, format: .number),
                    series: order.enumerated().map { i, d in
                        Series(
                            d,
                            .lineAndPoints(.solid, Palette.marker(i)),
                            sorted(d).map {
                                DataPoint(
                                    $0.throughputPerGPU ?? $0.throughput ?? .nan,
                                    $0.itlMs ?? .nan,
                                    label: $0.batch.map { "c=\(NumberFormat.number.label($0))" }
                                )
                            },
                            color: i
                        )
                    }
                )
            )
        )
        let priced = estimates.filter { $0.usdOut != nil && $0.fits }
        let severalLoads = order.contains { sorted($0).count >= 2 }
        if !priced.isEmpty && severalLoads {
            // Price against load: one curve per deployment.
            var series: [Series] = []
            for (i, d) in order.enumerated() {
                let points = sorted(d).filter { $0.usdOut != nil }
                series.append(
                    Series(
                        d + " output",
                        .lineAndPoints(.solid, Palette.marker(i)),
                        points.map { DataPoint($0.batch ?? .nan, $0.usdOut ?? .nan) },
                        color: i
                    )
                )
                series.append(
                    Series(
                        d + " input",
                        .line(.dashed),
                        points.map { DataPoint($0.batch ?? .nan, $0.usdIn ?? .nan) },
                        color: i
                    )
                )
            }
            charts.append(
                .xy(
                    Chart(
                        id: id + "-usd",
                        title: "Dollars per million tokens against concurrency",
                        subtitle: "Output tokens (solid) and input tokens (dashed) at the catalog's $/device-hour.",
                        x: Axis("concurrent requests", scale: .log, format: .count),
                        y: Axis("$ per million tokens", scale: .log, format: .usd),
                        series: series
                    )
                )
            )
        } else if !priced.isEmpty {
            var names = priced.map { e in
                e.deployment + (e.batch.map { ", c=\(NumberFormat.number.label($0))" } ?? "")
            }
            if Set(names).count < names.count { names = zip(priced, names).map { "\($0.label): \($1)" } }
            charts.append(
                .bars(
                    BarChart(
                        id: id + "-usd",
                        title: "Dollars per million tokens",
                        categories: names,
                        bars: [
                            BarChart.Bars("output tokens", priced.map(\.usdOut), color: Palette.blue),
                            BarChart.Bars("input tokens", priced.map(\.usdIn), color: 4),
                        ],
                        value: Axis("$ per million tokens", format: .usd),
                        categoryLabel: "deployment"
                    )
                )
            )
        }
        // Memory: one bar per deployment, at the highest load that fits (or as given when none does).
        var memory: [Estimate] = []
        for d in order { if let e = sorted(d).last { memory.append(e) } }
        memory += estimates.filter { e in !e.fits && !memory.contains { $0.deployment == e.deployment } }
        if severalLoads {
            memory = memory.map { e in
                var e = e
                e.label = e.deployment + (e.batch.map { ", c=\(NumberFormat.number.label($0))" } ?? "")
                return e
            }
        }
        if let m = memoryChart(id: id, memory) { charts.append(.bars(m)) }
        var notes: [String] = []
        for e in estimates where !e.fits {
            notes.append("\(e.label): \(e.deployment) does not fit in memory; it is left out of the load charts.")
        }
        return ReportSection(
            id: id,
            heading: heading,
            source: source,
            facts: facts(estimates),
            charts: charts,
            notes: notes
        )
    }

    static func validationSection(_ input: ReportInput, id: String) throws -> ReportSection {
        let doc = input.document
        guard let rows = doc["rows"]?.array else {
            throw ReportError.missingField(file: input.source, kind: "t2 cost --validate", field: "rows")
        }
        var order: [String] = []
        var byMetric: [String: [DataPoint]] = [:]
        var table: [[String]] = []
        for r in rows {
            guard let metric = r["metric"]?.string, let m = r["measured"]?.double, let p = r["predicted"]?.double else {
                continue
            }
            if byMetric[metric] == nil { order.append(metric) }
            byMetric[metric, default: []].append(DataPoint(p, m))
            table.append([
                r["id"]?.string ?? "", metric, Text.number(m), Text.number(p),
                r["error_pct"]?.double.map { NumberFormat.fixed($0, 1) + "%" } ?? "",
            ])
        }
        let all = byMetric.values.flatMap { $0.flatMap { [$0.x, $0.y] } }.filter { $0 > 0 }
        let lo = Scale.oneTwoFive(below: all.min() ?? 1)
        let hi = Scale.oneTwoFive(above: all.max() ?? 10)
        var series = [Series("y = x", .line(.dotted), [DataPoint(lo, lo), DataPoint(hi, hi)], color: 6)]
        for (i, m) in order.enumerated() {
            series.append(
                Series(m.replacingOccurrences(of: "_", with: " "), .points(Palette.marker(i)), byMetric[m]!, color: i)
            )
        }
        let medians = (doc["median_abs_pct_error"]?.members ?? []).map {
            [$0.key, Text.fixed($0.value.double, 1) + "%", doc["counts"]?[$0.key]?.int.map(String.init) ?? ""]
        }
        return ReportSection(
            id: id,
            heading: "Cost model validation — \(table.count) measurements",
            source: input.source,
            facts: DataTable(columns: ["metric", "median |error|", "rows"], rows: medians),
            charts: [
                .xy(
                    Chart(
                        id: id + "-measured-vs-predicted",
                        title: "Measured against predicted",
                        subtitle:
                            "Each published measurement beside the cost model's prediction; on the diagonal the model is exact.",
                        x: Axis("predicted", scale: .log, format: .number, min: lo, max: hi),
                        y: Axis("measured", scale: .log, format: .number, min: lo, max: hi),
                        series: series,
                        table: DataTable(
                            columns: ["measurement", "metric", "measured", "predicted", "error"],
                            rows: table
                        )
                    )
                )
            ]
        )
    }
}
