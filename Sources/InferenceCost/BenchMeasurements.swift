import Foundation
import Tabular

/// Reads the JSON report of `t2 bench --format json` (`t2.bench/1`) as measurement rows, so that
/// `t2 calibrate` can fit the cost model to a benchmark run without a converter.
///
/// Each closed-loop level (fixed concurrency C) with successful requests becomes rows in the
/// measurements schema (the same rows `t2 bench --measurements-out` writes):
///
/// - `ttft_ms` (mean time to first token), `itl_ms` (mean TPOT — the decode time per token, robust
///   to servers that put several tokens in one stream event; the mean inter-token gap when the
///   report has no TPOT) and `output_tokens_per_s` (output tokens of successful requests per
///   second of the level);
/// - at C = 1 also `decode_tokens_per_s` = 1000 / ITL and `prefill_tokens_per_s` = prompt tokens
///   per second of the server's own prompt time when it reported `timings`
///   (`totals.server_prompt_ms_sum` / `server_prompt_count`), else prompt tokens / TTFT (which
///   also holds the request's round trip and the first decode step).
///
/// This is the one converter: `t2 calibrate bench.json` reads a report with it, and
/// `t2 bench --measurements-out` writes its rows with it.
///
/// Prompt and generated tokens per request are the level's means (the prompt length asked for,
/// `inputTokens` of the report, when the server sent no usage counts). Open-loop (`--rate`) levels
/// are skipped: the model prices closed loops. Keys are matched without regard to case or
/// underscores, so `outputTokenThroughput` and `output_token_throughput` both read.
public enum BenchMeasurements {
    /// What the report does not say: where and how the server ran.
    public struct Labels: Sendable, Equatable {
        public var hardware: String
        public var gpus: Int
        public var engine: String
        /// The catalog model; nil = the report's `model`.
        public var model: String?
        public var quant: String

        public init(hardware: String, gpus: Int = 1, engine: String, model: String? = nil, quant: String) {
            self.hardware = hardware
            self.gpus = gpus
            self.engine = engine
            self.model = model
            self.quant = quant
        }
    }

    /// Whether `data` looks like a JSON document (its first non-space byte is `{`).
    public static func looksLikeJSON(_ data: Data) -> Bool {
        for byte in data.prefix(4096) {
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r")
                || byte == UInt8(ascii: "\t") || byte == 0xEF || byte == 0xBB || byte == 0xBF
            {
                continue
            }
            return byte == UInt8(ascii: "{")
        }
        return false
    }

    /// The rows of a bench report; errors name the file and the level.
    public static func measurements(fromBenchJSON data: Data, source: String, labels: Labels) throws -> [Measurement] {
        let body = data.starts(with: [0xEF, 0xBB, 0xBF]) ? Data(data.dropFirst(3)) : data
        guard let root = try? JSONSerialization.jsonObject(with: body) as? [String: Any] else {
            throw TabularError(
                file: source,
                problem: "is not a JSON object",
                hint: "Give the file `t2 bench --format json --out FILE` wrote"
            )
        }
        func value(_ object: [String: Any], _ key: String) -> Any? {
            let wanted = normalized(key)
            return object.first { normalized($0.key) == wanted }?.value
        }
        func number(_ object: [String: Any], _ key: String) -> Double? {
            (value(object, key) as? NSNumber)?.doubleValue
        }
        if let schema = value(root, "schema") as? String, !schema.hasPrefix("t2.bench/") {
            throw TabularError(
                file: source,
                problem: "is a '\(schema)' document, not a t2 bench report",
                hint: "Give the file `t2 bench --format json --out FILE` wrote, or a measurements CSV"
            )
        }
        guard let levels = value(root, "levels") as? [Any] else {
            throw TabularError(
                file: source,
                problem: "has no 'levels' list: not a t2 bench report",
                hint: "Give the file `t2 bench --format json --out FILE` wrote, or a measurements CSV"
            )
        }
        let model = labels.model ?? (value(root, "model") as? String) ?? ""
        // the prompt length asked for, when the server reported no prompt tokens (no usage in the stream)
        let requestedInput = number(root, "inputTokens")
        var rows: [Measurement] = []
        for (i, item) in levels.enumerated() {
            guard let level = item as? [String: Any] else { continue }
            guard let concurrencyValue = number(level, "concurrency"), concurrencyValue >= 1,
                concurrencyValue == concurrencyValue.rounded(), concurrencyValue <= Double(CostModel.largestConcurrency)
            else { continue }  // open-loop levels carry a rate instead
            let c = Int(concurrencyValue)
            let succeeded = number(level, "succeeded") ?? 0
            guard succeeded >= 1 else { continue }
            var input = ((number(level, "inputTokens") ?? 0) / succeeded).rounded()
            if input < 1, let requestedInput, requestedInput >= 1 { input = requestedInput.rounded() }
            let output = ((number(level, "outputTokens") ?? 0) / succeeded).rounded()
            let ttft = (value(level, "ttft") as? [String: Any]).flatMap { number($0, "meanMs") }
            let tpot = (value(level, "tpot") as? [String: Any]).flatMap { number($0, "meanMs") }
            let gap = (value(level, "itl") as? [String: Any]).flatMap { number($0, "meanMs") }
            let itl = tpot.flatMap { $0 > 0 ? $0 : nil } ?? gap
            let totals = value(level, "totals") as? [String: Any]
            let serverPromptCount = totals.flatMap { number($0, "serverPromptCount") } ?? 0
            let serverPromptMs = totals.flatMap { number($0, "serverPromptMsSum") } ?? 0
            let throughput = number(level, "outputTokenThroughput")
            guard input <= Double(CostModel.largestTokenCount), output <= Double(CostModel.largestTokenCount) else {
                throw TabularError(file: source, problem: "levels[\(i)] has implausible token counts")
            }
            func add(_ metric: Metric, _ v: Double?) {
                guard let v, v.isFinite, v > 0 else { return }
                if metric == .ttftMs || metric == .prefillTokensPerSecond, input < 1 { return }
                if metric != .ttftMs && metric != .prefillTokensPerSecond, output < 1 { return }
                rows.append(
                    Measurement(
                        id: "c\(c)-\(metric.rawValue)",
                        hardware: labels.hardware,
                        gpus: labels.gpus,
                        engine: labels.engine,
                        model: model,
                        quant: labels.quant,
                        concurrency: .fixed(c),
                        inputTokens: Int(input),
                        outputTokens: Int(output),
                        metric: metric,
                        value: v,
                        line: i + 1
                    )
                )
            }
            add(.ttftMs, ttft)
            add(.itlMs, itl)
            add(.outputTokensPerSecond, throughput)
            if c == 1 {
                add(.decodeTokensPerSecond, itl.map { 1000 / $0 })
                if serverPromptCount > 0, serverPromptMs > 0 {
                    add(.prefillTokensPerSecond, input / (serverPromptMs / serverPromptCount / 1000))
                } else {
                    add(.prefillTokensPerSecond, ttft.map { input / ($0 / 1000) })
                }
            }
        }
        // Ids must be unique when a report repeats a concurrency: number the repeats.
        var seen: [String: Int] = [:]
        for i in rows.indices {
            let n = seen[rows[i].id, default: 0]
            seen[rows[i].id] = n + 1
            if n > 0 { rows[i].id += "-\(n + 1)" }
        }
        return rows
    }

    /// Measurement rows as the calibrate CSV (the columns of ``Measurement/columns`` plus
    /// `source`).
    public static func csv(_ rows: [Measurement], source: String) -> String {
        var writer = CSVWriter(header: Measurement.columns + ["source"])
        for m in rows {
            writer.append([
                m.id, m.hardware, String(m.gpus), m.engine, m.model, m.quant, m.concurrency.description,
                String(m.inputTokens), String(m.outputTokens), m.metric.rawValue, String(format: "%.6g", m.value),
                source,
            ])
        }
        return writer.text
    }

    static func normalized(_ key: String) -> String {
        key.lowercased().filter { $0 != "_" && $0 != "-" }
    }
}
