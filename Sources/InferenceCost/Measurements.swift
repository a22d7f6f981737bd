import Foundation
import Optimization
import Tabular

/// A measured metric of a served model.
public enum Metric: String, CaseIterable, Sendable, Codable {
    /// Batch-1 generation speed (llama.cpp `tg`), tokens/s.
    case decodeTokensPerSecond = "decode_tokens_per_s"
    /// Prompt processing speed (llama.cpp `pp`), tokens/s.
    case prefillTokensPerSecond = "prefill_tokens_per_s"
    /// Aggregate output tokens/s of the deployment at the given concurrency.
    case outputTokensPerSecond = "output_tokens_per_s"
    /// Mean time to first token, ms.
    case ttftMs = "ttft_ms"
    /// Mean inter-token latency, ms.
    case itlMs = "itl_ms"

    /// The model's prediction of this metric.
    public func value(of r: RooflineResult) -> Double {
        switch self {
        case .decodeTokensPerSecond: return r.decodeTokensPerSecond
        case .prefillTokensPerSecond: return r.prefillTokensPerSecond
        case .outputTokensPerSecond: return r.outputTokensPerSecond
        case .ttftMs: return r.ttft * 1000
        case .itlMs: return r.itl * 1000
        }
    }
}

/// One row of a measurements file (`id,source,hardware,gpus,engine,model,quant,concurrency,
/// input_tokens,output_tokens,metric,value`, as `shared/data/inference_measurements.csv`).
public struct Measurement: Sendable, Equatable {
    public var id: String
    public var hardware: String
    public var gpus: Int
    public var engine: String
    public var model: String
    public var quant: String
    public var concurrency: Concurrency
    public var inputTokens: Int
    public var outputTokens: Int
    public var metric: Metric
    public var value: Double
    /// 1-based line in the file.
    public var line: Int

    public init(
        id: String,
        hardware: String,
        gpus: Int,
        engine: String,
        model: String,
        quant: String,
        concurrency: Concurrency,
        inputTokens: Int,
        outputTokens: Int,
        metric: Metric,
        value: Double,
        line: Int = 0
    ) {
        self.id = id
        self.hardware = hardware
        self.gpus = gpus
        self.engine = engine
        self.model = model
        self.quant = quant
        self.concurrency = concurrency
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.metric = metric
        self.value = value
        self.line = line
    }

    /// Reads a measurements CSV; errors name file, line and column.
    public static func read(contentsOf path: String) throws -> [Measurement] {
        try parse(try CSVTable(contentsOf: path))
    }

    /// Parses a measurements table.
    public static func parse(_ table: CSVTable) throws -> [Measurement] {
        let purpose =
            "A measurements file has columns id,hardware,gpus,engine,model,quant,concurrency,input_tokens,output_tokens,metric,value"
        let c = try [
            "id", "hardware", "gpus", "engine", "model", "quant", "concurrency", "input_tokens", "output_tokens",
            "metric", "value",
        ]
        .map { try table.requireColumn($0, purpose: purpose) }
        var rows: [Measurement] = []
        var seen = Set<String>()
        for r in 0..<table.count {
            let id = table.text(row: r, column: c[0])
            guard !id.isEmpty else { throw table.cellError(row: r, column: c[0], "is empty; every row needs an id") }
            guard seen.insert(id).inserted else {
                throw table.cellError(row: r, column: c[0], "id '\(id)' appears twice", hint: "Ids must be unique")
            }
            let concurrencyText = table.text(row: r, column: c[6])
            guard let concurrency = Concurrency(concurrencyText) else {
                throw table.cellError(
                    row: r,
                    column: c[6],
                    "'\(concurrencyText)' is not a concurrency",
                    hint: "Use a whole number ≥ 1 or 'max'"
                )
            }
            let metricText = table.text(row: r, column: c[9])
            guard let metric = Metric(rawValue: metricText) else {
                throw table.cellError(
                    row: r,
                    column: c[9],
                    "unknown metric '\(metricText)'",
                    hint: "Use one of: \(Metric.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            rows.append(
                Measurement(
                    id: id,
                    hardware: table.text(row: r, column: c[1]),
                    gpus: try table.integer(row: r, column: c[2], minimum: 1),
                    engine: table.text(row: r, column: c[3]),
                    model: table.text(row: r, column: c[4]),
                    quant: table.text(row: r, column: c[5]),
                    concurrency: concurrency,
                    inputTokens: try table.integer(row: r, column: c[7]),
                    outputTokens: try table.integer(row: r, column: c[8]),
                    metric: metric,
                    value: try table.positiveDouble(row: r, column: c[10]),
                    line: table.line(ofRow: r)
                )
            )
            if metric == .prefillTokensPerSecond || metric == .ttftMs, rows[rows.count - 1].inputTokens == 0 {
                throw table.cellError(row: r, column: c[7], "is 0, but \(metric.rawValue) needs a prompt")
            }
            if metric != .prefillTokensPerSecond && metric != .ttftMs, rows[rows.count - 1].outputTokens == 0 {
                throw table.cellError(row: r, column: c[8], "is 0, but \(metric.rawValue) needs generated tokens")
            }
        }
        return rows
    }
}

/// How to cut measurements into two halves for an honest calibrate-on-one, validate-on-the-other check.
public enum MeasurementSplit: String, CaseIterable, Sendable, Codable {
    /// Rows sorted by id, shuffled with the seed, first half vs the rest.
    case rows
    /// Distinct hardware names shuffled with the seed; half the devices vs the others (the
    /// held-out half contains only devices the calibration never saw).
    case hardware

    /// The two halves (a, b) of `rows`.
    public func halves(of rows: [Measurement], seed: UInt64) -> (a: [Measurement], b: [Measurement]) {
        var generator = SeededGenerator(seed: seed)
        switch self {
        case .rows:
            var ids = rows.map(\.id).sorted()
            ids.shuffle(using: &generator)
            let a = Set(ids.prefix(ids.count / 2))
            return (rows.filter { a.contains($0.id) }, rows.filter { !a.contains($0.id) })
        case .hardware:
            var devices = Array(Set(rows.map { Catalog.key($0.hardware) })).sorted()
            devices.shuffle(using: &generator)
            let a = Set(devices.prefix(devices.count / 2))
            return (
                rows.filter { a.contains(Catalog.key($0.hardware)) },
                rows.filter { !a.contains(Catalog.key($0.hardware)) }
            )
        }
    }
}

/// One row of a validation: predicted vs measured.
public struct ValidationRow: Sendable, Codable, Equatable {
    public var id: String
    public var metric: String
    public var hardware: String
    public var model: String
    public var quant: String
    public var engine: String
    public var measured: Double
    /// nil when the row cannot be priced.
    public var predicted: Double?
    /// 100·(predicted − measured)/measured.
    public var errorPct: Double?
    /// `ok` or `unpriceable`.
    public var status: String
    /// Why a row cannot be priced (an unknown name, with suggestions).
    public var reason: String?

    enum CodingKeys: String, CodingKey {
        case id, metric, hardware, model, quant, engine, measured, predicted, status, reason
        case errorPct = "error_pct"
    }
}

/// Predicted vs measured for a set of measurements.
public struct ValidationReport: Sendable, Codable, Equatable {
    public var rows: [ValidationRow]
    /// Median |error| in percent per metric and `all`, over priceable rows.
    public var medianAbsPctError: [String: Double]
    /// Rows per metric and `all` that entered the medians.
    public var counts: [String: Int]
    public var unpriceable: Int

    enum CodingKeys: String, CodingKey {
        case rows, unpriceable, counts
        case medianAbsPctError = "median_abs_pct_error"
    }
}

/// The median of `values` (NaN when empty).
func median(_ values: [Double]) -> Double {
    guard !values.isEmpty else { return .nan }
    let s = values.sorted()
    let n = s.count
    return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
}

extension CostModel {
    /// A measurement resolved against the catalog: shape, setup, and the parameter keys its
    /// efficiencies come from (for calibration).
    struct PreparedRow {
        var measurement: Measurement
        var shape: ModelShape
        var setup: ResolvedSetup
        var keys: [String]
    }

    /// Resolves a measurement (throws for unknown names or unsupported combinations).
    func prepare(_ m: Measurement) throws -> PreparedRow {
        let model = try catalog.model(named: m.model)
        let quant = try catalog.quantization(named: m.quant)
        let hardware = try catalog.hardware(named: m.hardware)
        let engine = try catalog.engine(named: m.engine)
        try CostModel.checkLoad(concurrency: m.concurrency, inputTokens: m.inputTokens, outputTokens: m.outputTokens)
        let (setup, _) = try resolve(quant: quant, hardware: hardware, engine: engine, gpus: m.gpus)
        let keys = CostModel.parameterKeys(
            engine: engine.name,
            hardwareClass: hardware.hardwareClass,
            family: quant.family
        )
        return PreparedRow(measurement: m, shape: ModelShape(model), setup: setup, keys: keys)
    }

    /// The model's prediction for one measurement's metric and load.
    public func predict(_ m: Measurement) throws -> Double {
        let p = try prepare(m)
        return m.metric.value(
            of: Roofline.evaluate(
                p.shape,
                p.setup,
                concurrency: m.concurrency,
                inputTokens: m.inputTokens,
                outputTokens: m.outputTokens
            )
        )
    }

    /// Predicts every row; rows with unknown names are kept and marked `unpriceable`.
    public func validate(_ measurements: [Measurement]) -> ValidationReport {
        var rows: [ValidationRow] = []
        var errors: [String: [Double]] = [:]
        var unpriceable = 0
        for m in measurements {
            var row = ValidationRow(
                id: m.id,
                metric: m.metric.rawValue,
                hardware: m.hardware,
                model: m.model,
                quant: m.quant,
                engine: m.engine,
                measured: m.value,
                predicted: nil,
                errorPct: nil,
                status: "ok",
                reason: nil
            )
            do {
                let predicted = try predict(m)
                guard predicted.isFinite, predicted > 0 else {
                    throw CostModelError.invalidValue(
                        name: "prediction",
                        value: String(predicted),
                        expected: "a finite positive value"
                    )
                }
                row.predicted = predicted
                let error = (predicted - m.value) / m.value * 100
                row.errorPct = error
                errors[m.metric.rawValue, default: []].append(abs(error))
                errors["all", default: []].append(abs(error))
            } catch {
                row.status = "unpriceable"
                row.reason = error.localizedDescription
                unpriceable += 1
            }
            rows.append(row)
        }
        return ValidationReport(
            rows: rows,
            medianAbsPctError: errors.mapValues(median),
            counts: errors.mapValues(\.count),
            unpriceable: unpriceable
        )
    }
}
