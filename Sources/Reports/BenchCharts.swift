import Foundation
import Plotting

/// `t2 bench` results: read tolerantly, charted against load; several runs are compared.
///
/// Read: `model`, `url`, `levels[] {load, concurrency, rate, requests, succeeded, failed,
/// request_throughput, output_token_throughput, goodput, ttft|itl|tpot|e2e {mean_ms, p50_ms,
/// p90_ms, p99_ms}}`, `predictions[] {load, concurrency, ttft_ms, itl_ms,
/// output_token_throughput, deployment}` (snake_case or camelCase).
enum BenchCharts {
    struct Level {
        var load: String
        var x: Double
        var requests: Int?
        var failed: Int?
        var requestThroughput: Double?
        var outputThroughput: Double?
        var goodput: Double?
        var latency: [String: (p50: Double?, p90: Double?, p99: Double?, mean: Double?)]
    }

    struct Run {
        var label: String
        var levels: [Level]
        var predictions: [(x: Double, ttft: Double?, itl: Double?, throughput: Double?, deployment: String?)]
        var byRate: Bool
    }

    static func run(_ input: ReportInput) -> Run {
        let doc = input.document
        let raw = doc["levels"]?.array ?? []
        let byRate =
            !raw.isEmpty && raw.allSatisfy { $0["concurrency"]?.double == nil }
            && raw.contains { $0["rate"]?.double != nil }
        var levels: [Level] = []
        for (i, l) in raw.enumerated() {
            let x = (byRate ? l["rate"]?.double : l["concurrency"]?.double) ?? Double(i + 1)
            var latency: [String: (p50: Double?, p90: Double?, p99: Double?, mean: Double?)] = [:]
            for m in ["ttft", "itl", "tpot", "e2e"] {
                if let s = l[m], s != .null {
                    latency[m] = (s["p50_ms"]?.double, s["p90_ms"]?.double, s["p99_ms"]?.double, s["mean_ms"]?.double)
                }
            }
            levels.append(
                Level(
                    load: l["load"]?.string ?? "",
                    x: x,
                    requests: l["requests"]?.int,
                    failed: l["failed"]?.int,
                    requestThroughput: l["request_throughput"]?.double,
                    outputThroughput: l["output_token_throughput"]?.double,
                    goodput: l["goodput"]?.double,
                    latency: latency
                )
            )
        }
        let predictions = (doc["predictions"]?.array ?? []).compactMap {
            p -> (Double, Double?, Double?, Double?, String?)? in
            // Predictions are for the levels' loads; match by load name, else by concurrency.
            let match = levels.first { $0.load == p["load"]?.string }
            guard let x = match?.x ?? p["concurrency"]?.double else { return nil }
            return (
                x, p["ttft_ms"]?.double, p["itl_ms"]?.double, p["output_token_throughput"]?.double,
                p["deployment"]?.string
            )
        }
        let model = doc["model"]?.string ?? "server"
        return Run(
            label: model,
            levels: levels.sorted { $0.x < $1.x },
            predictions: predictions.sorted { $0.0 < $1.0 }.map {
                (x: $0.0, ttft: $0.1, itl: $0.2, throughput: $0.3, deployment: $0.4)
            },
            byRate: byRate
        )
    }

    static func section(_ inputs: [ReportInput], id: String) throws -> ReportSection {
        var runs = inputs.map(run)
        // Runs with the same model are told apart by their file.
        let labels = runs.map(\.label)
        for i in runs.indices where labels.filter({ $0 == runs[i].label }).count > 1 {
            runs[i].label += " (" + URL(fileURLWithPath: inputs[i].source).lastPathComponent + ")"
        }
        let byRate = runs.allSatisfy(\.byRate)
        let xAxis =
            byRate
            ? Axis("offered load (requests/s)", scale: .log, format: .number)
            : Axis("concurrent requests", scale: .log, format: .count)
        var charts: [AnyChart] = []
        let single = runs.count == 1
        for (metric, title) in [
            ("ttft", "Time to first token"), ("itl", "Inter-token latency"), ("e2e", "End-to-end latency"),
        ] {
            var series: [Series] = []
            for (i, r) in runs.enumerated() {
                let prefix = single ? "" : r.label + " "
                let color = single ? nil : i
                series.append(
                    Series(
                        prefix + "p50",
                        .lineAndPoints(.solid, .circle),
                        r.levels.map { DataPoint($0.x, $0.latency[metric]?.p50 ?? .nan) },
                        color: color ?? 0
                    )
                )
                if single {
                    series.append(
                        Series(
                            "p90",
                            .lineAndPoints(.solid, .square),
                            r.levels.map { DataPoint($0.x, $0.latency[metric]?.p90 ?? .nan) },
                            color: 4
                        )
                    )
                }
                series.append(
                    Series(
                        prefix + "p99",
                        .lineAndPoints(.dashed, .triangle),
                        r.levels.map { DataPoint($0.x, $0.latency[metric]?.p99 ?? .nan) },
                        color: color ?? 1
                    )
                )
                let predicted: [DataPoint] = r.predictions.map {
                    DataPoint($0.x, metric == "ttft" ? $0.ttft ?? .nan : metric == "itl" ? $0.itl ?? .nan : .nan)
                }
                if metric != "e2e" {
                    series.append(
                        Series(
                            prefix + "cost model",
                            .lineAndPoints(.dotted, .diamond),
                            predicted,
                            color: single ? 6 : i
                        )
                    )
                }
            }
            charts.append(
                .xy(
                    Chart(
                        id: id + "-" + metric,
                        title: title + " against load",
                        subtitle: "Percentiles over the successful requests of each load level"
                            + (runs.contains { !$0.predictions.isEmpty } && metric != "e2e"
                                ? "; dotted: the cost model's prediction." : "."),
                        x: xAxis,
                        y: Axis("\(metric.uppercased()) (ms)", scale: .log, format: .number),
                        series: series,
                        width: 520,
                        height: 340
                    )
                )
            )
        }
        var throughput: [Series] = []
        var goodput: [Series] = []
        for (i, r) in runs.enumerated() {
            let prefix = single ? "" : r.label + " "
            throughput.append(
                Series(
                    prefix + "measured",
                    .lineAndPoints(.solid, .circle),
                    r.levels.map { DataPoint($0.x, $0.outputThroughput ?? .nan) },
                    color: single ? 0 : i
                )
            )
            throughput.append(
                Series(
                    prefix + "cost model",
                    .lineAndPoints(.dotted, .diamond),
                    r.predictions.map { DataPoint($0.x, $0.throughput ?? .nan) },
                    color: single ? 6 : i
                )
            )
            goodput.append(
                Series(
                    prefix + "requests/s",
                    .lineAndPoints(.solid, .circle),
                    r.levels.map { DataPoint($0.x, $0.requestThroughput ?? .nan) },
                    color: single ? 0 : i
                )
            )
            goodput.append(
                Series(
                    prefix + "goodput (met every SLO)",
                    .lineAndPoints(.dashed, .square),
                    r.levels.map { DataPoint($0.x, $0.goodput ?? .nan) },
                    color: single ? 2 : i
                )
            )
        }
        charts.append(
            .xy(
                Chart(
                    id: id + "-throughput",
                    title: "Output throughput against load",
                    x: xAxis,
                    y: Axis("output tokens/s", format: .count, includeZero: true),
                    series: throughput,
                    width: 520,
                    height: 340
                )
            )
        )
        if runs.contains(where: { $0.levels.contains { $0.goodput != nil } }) {
            charts.append(
                .xy(
                    Chart(
                        id: id + "-goodput",
                        title: "Goodput against load",
                        subtitle: "Requests per second, and those that met every --slo objective.",
                        x: xAxis,
                        y: Axis("requests/s", format: .number, includeZero: true),
                        series: goodput,
                        width: 520,
                        height: 340
                    )
                )
            )
        }
        var rows: [[String]] = []
        for r in runs {
            for l in r.levels {
                rows.append([
                    r.label, l.load, l.requests.map(String.init) ?? "", l.failed.map(String.init) ?? "",
                    Text.number(l.latency["ttft"]?.p50), Text.number(l.latency["ttft"]?.p99),
                    Text.number(l.latency["itl"]?.p50), Text.number(l.latency["itl"]?.p99),
                    Text.number(l.latency["e2e"]?.p50), Text.number(l.latency["e2e"]?.p99),
                    Text.number(l.outputThroughput), Text.number(l.goodput),
                ])
            }
        }
        var notes: [String] = []
        if !runs.contains(where: { !$0.predictions.isEmpty }) {
            notes.append(
                "No cost-model prediction: run t2 bench with --hardware (and --quant) to draw one beside each measurement."
            )
        }
        return ReportSection(
            id: id,
            heading: "Bench — " + runs.map(\.label).joined(separator: ", "),
            source: inputs.map(\.source).joined(separator: ", "),
            summary: runs.map { r in
                "\(r.label): \(r.levels.count) load level\(r.levels.count == 1 ? "" : "s"), \(r.levels.compactMap(\.requests).reduce(0, +)) requests."
            },
            facts: DataTable(
                columns: [
                    "run", "load", "requests", "failed", "TTFT p50 (ms)", "TTFT p99", "ITL p50 (ms)", "ITL p99",
                    "E2E p50 (ms)",
                    "E2E p99", "output tok/s", "goodput (req/s)",
                ],
                rows: rows
            ),
            charts: charts,
            smallMultiples: true,
            notes: notes
        )
    }
}
