import Foundation
import Tabular

/// A bench report as rows of `t2 calibrate`'s measurements CSV (`t2 bench --measurements-out`):
/// `id,source,hardware,gpus,engine,model,quant,concurrency,input_tokens,output_tokens,metric,value`.
///
/// Per level with successful requests, at its concurrency (closed loop) or the mean concurrency it
/// reached (open loop, Little's law, rounded): `ttft_ms` (mean TTFT), `itl_ms` (mean TPOT — the
/// decode time per token, robust to servers that put several tokens in one event) and
/// `output_tokens_per_s` (the level's output-token throughput); at concurrency 1 also
/// `decode_tokens_per_s` (1000 / mean TPOT) and `prefill_tokens_per_s` (prompt tokens per second
/// of the server's own prompt time when it reports `timings`, else mean input tokens / mean
/// TTFT, which also holds the first decode step and the network). Token columns are the level's
/// mean input and output tokens per request (input: the synthetic length asked for when the
/// server reports no usage, as llama-cpp-python's server does; the source column says so).
public enum BenchMeasurementRows {
    /// What the rows say was measured.
    public struct Labels: Sendable, Equatable {
        public var hardware: String
        public var gpus: Int
        public var engine: String
        public var model: String
        public var quant: String
        public var source: String

        public init(hardware: String, gpus: Int, engine: String, model: String, quant: String, source: String) {
            self.hardware = hardware
            self.gpus = gpus
            self.engine = engine
            self.model = model
            self.quant = quant
            self.source = source
        }
    }

    public static let header = [
        "id", "source", "hardware", "gpus", "engine", "model", "quant", "concurrency", "input_tokens", "output_tokens",
        "metric", "value",
    ]

    /// The CSV text (header only when no level has a success yet).
    public static func csv(_ report: BenchReport, labels: Labels) -> String {
        var csv = CSVWriter(header: header)
        let run = String(report.runID.prefix(8))
        for (index, level) in report.levels.enumerated() where level.succeeded > 0 {
            let concurrency = level.concurrency ?? max(1, Int(level.achievedConcurrency.rounded()))
            // Without server usage the prompt length is the synthetic one asked for (the source says so).
            var source = labels.source
            var input = Int((Double(level.inputTokens) / Double(level.succeeded)).rounded())
            if input == 0, let asked = report.inputTokens {
                input = asked
                source += " (input tokens as requested: the server sent no usage)"
            }
            let output = Int((Double(level.outputTokens) / Double(level.succeeded)).rounded())
            var rows: [(String, Double)] = []
            if let ttft = level.ttft?.meanMs, ttft > 0, input > 0 { rows.append(("ttft_ms", ttft)) }
            if let tpot = level.tpot?.meanMs, tpot > 0 { rows.append(("itl_ms", tpot)) }
            if level.outputTokenThroughput > 0 { rows.append(("output_tokens_per_s", level.outputTokenThroughput)) }
            if concurrency == 1 {
                if let tpot = level.tpot?.meanMs, tpot > 0 { rows.append(("decode_tokens_per_s", 1000 / tpot)) }
                let t = level.totals
                if t.serverPromptCount > 0, t.serverPromptMsSum > 0, input > 0 {
                    rows.append(
                        (
                            "prefill_tokens_per_s",
                            Double(input) / (t.serverPromptMsSum / Double(t.serverPromptCount)) * 1000
                        )
                    )
                } else if let ttft = level.ttft?.meanMs, ttft > 0, input > 0 {
                    rows.append(("prefill_tokens_per_s", Double(input) / ttft * 1000))
                }
            }
            for (metric, value) in rows where value.isFinite && value > 0 {
                // Prefill rows carry no generated tokens; the others need them.
                let out = metric == "prefill_tokens_per_s" ? 0 : max(1, output)
                let inTokens = metric == "decode_tokens_per_s" ? 0 : input
                csv.append([
                    "bench-\(run)-\(index)-c\(concurrency)-\(metric)", source, labels.hardware,
                    String(labels.gpus),
                    labels.engine, labels.model, labels.quant, String(concurrency), String(inTokens), String(out),
                    metric,
                    String(format: "%.6g", value),
                ])
            }
        }
        return csv.text
    }
}
