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
    /// Image models: time from request to image at the given batch (concurrency), s.
    case secondsPerImage = "seconds_per_image"
    /// Image models: images per second of the whole deployment.
    case imagesPerSecond = "images_per_s"

    /// Whether the metric is of an image model.
    public var isImage: Bool { self == .secondsPerImage || self == .imagesPerSecond }

    /// The model's prediction of this (text) metric; NaN for image metrics.
    public func value(of r: RooflineResult) -> Double {
        switch self {
        case .decodeTokensPerSecond: return r.decodeTokensPerSecond
        case .prefillTokensPerSecond: return r.prefillTokensPerSecond
        case .outputTokensPerSecond: return r.outputTokensPerSecond
        case .ttftMs: return r.ttft * 1000
        case .itlMs: return r.itl * 1000
        case .secondsPerImage, .imagesPerSecond: return .nan
        }
    }

    /// The model's prediction of this (image) metric; NaN for text metrics.
    public func value(of r: ImageRooflineResult) -> Double {
        switch self {
        case .secondsPerImage: return r.secondsPerImage
        case .imagesPerSecond: return r.imagesPerSecond
        default: return .nan
        }
    }
}

/// One row of a measurements file: `id,hardware,gpus,engine,model,quant,concurrency,
/// input_tokens,output_tokens,metric,value` (other columns, such as `source`, are kept out of
/// the way), plus, for image models, the optional columns `resolution` (`1024x1024`) and `steps`
/// (the model's defaults when absent or empty).
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
    /// Image models: the image size.
    public var resolution: ImageResolution?
    /// Image models: denoising steps.
    public var steps: Int?
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
        resolution: ImageResolution? = nil,
        steps: Int? = nil,
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
        self.resolution = resolution
        self.steps = steps
        self.line = line
    }

    /// The required columns, in the order `t2 bench --measurements-out` writes them.
    public static let columns = [
        "id", "hardware", "gpus", "engine", "model", "quant", "concurrency", "input_tokens", "output_tokens",
        "metric", "value",
    ]

    /// What the deployment and load of the row are, without its id and value: rows with the
    /// same signature have the same prediction.
    var signature: String {
        [
            Catalog.key(hardware), String(gpus), Catalog.key(engine), Catalog.key(model), Catalog.key(quant),
            concurrency.description, String(inputTokens), String(outputTokens), metric.rawValue,
            resolution?.description ?? "", steps.map(String.init) ?? "",
        ].joined(separator: "|")
    }

    /// Reads a measurements CSV whole; errors name file, line and column. Ids must be unique.
    public static func read(contentsOf path: String) throws -> [Measurement] {
        var rows: [Measurement] = []
        var seen = Set<String>()
        try stream(contentsOf: path) { row in
            guard seen.insert(row.id).inserted else {
                throw TabularError(
                    file: path,
                    line: row.line,
                    column: "id",
                    problem: "id '\(row.id)' appears twice",
                    hint: "Ids must be unique"
                )
            }
            rows.append(row)
        }
        return rows
    }

    /// Reads a measurements CSV one row at a time (bounded memory), calling `body` with each.
    /// Does not check that ids are unique (``read(contentsOf:)`` does).
    public static func stream(contentsOf path: String, _ body: (Measurement) throws -> Void) throws {
        let reader = try CSVStreamReader(path: path)
        let columns = try RowParser(header: reader.header, source: path)
        while let record = try reader.next() {
            try body(try columns.parse(record.fields, line: record.line))
        }
    }

    /// Parses a measurements table (ids must be unique).
    public static func parse(_ table: CSVTable) throws -> [Measurement] {
        let columns = try RowParser(header: table.header, source: table.source)
        var rows: [Measurement] = []
        var seen = Set<String>()
        for r in 0..<table.count {
            let row = try columns.parse(table.rows[r], line: table.line(ofRow: r))
            guard seen.insert(row.id).inserted else {
                throw table.cellError(
                    row: r,
                    column: columns.index[0],
                    "id '\(row.id)' appears twice",
                    hint: "Ids must be unique"
                )
            }
            rows.append(row)
        }
        return rows
    }

    /// Column indices of a measurements header and the parsing of one row.
    struct RowParser {
        let header: [String]
        let source: String
        let index: [Int]
        let resolutionColumn: Int?
        let stepsColumn: Int?

        init(header: [String], source: String) throws {
            self.header = header
            self.source = source
            let purpose =
                "A measurements file has columns \(Measurement.columns.joined(separator: ",")) (and resolution, steps for image models)"
            index = try Measurement.columns.map { name in
                guard let i = header.firstIndex(of: name) else {
                    throw TabularError(
                        file: source,
                        line: 1,
                        column: name,
                        problem: "missing required column '\(name)'",
                        hint: "\(purpose). The file has columns: \(header.joined(separator: ", "))"
                    )
                }
                return i
            }
            resolutionColumn = header.firstIndex(of: "resolution")
            stepsColumn = header.firstIndex(of: "steps")
        }

        func error(_ line: Int, _ column: Int, _ problem: String, hint: String? = nil) -> TabularError {
            TabularError(file: source, line: line, column: header[column], problem: problem, hint: hint)
        }

        func number(_ fields: [String], _ column: Int, line: Int) throws -> Double {
            let raw = fields[column]
            guard !raw.isEmpty else { throw error(line, column, "is empty; expected a number") }
            guard let value = Double(raw) else { throw error(line, column, "'\(raw)' is not a number") }
            guard value.isFinite else { throw error(line, column, "'\(raw)' is not a finite number") }
            return value
        }

        func integer(_ fields: [String], _ column: Int, line: Int, minimum: Int, maximum: Int) throws -> Int {
            let value = try number(fields, column, line: line)
            guard value == value.rounded() else {
                throw error(line, column, "'\(fields[column])' is not a whole number")
            }
            guard value >= Double(minimum) else {
                throw error(line, column, "\(fields[column]) must be at least \(minimum)")
            }
            guard value <= Double(maximum) else {
                throw error(line, column, "\(fields[column]) must be at most \(maximum)")
            }
            return Int(value)
        }

        func parse(_ fields: [String], line: Int) throws -> Measurement {
            let c = index
            let id = fields[c[0]]
            guard !id.isEmpty else { throw error(line, c[0], "is empty; every row needs an id") }
            let concurrencyText = fields[c[6]]
            guard let concurrency = Concurrency(concurrencyText) else {
                throw error(
                    line,
                    c[6],
                    "'\(concurrencyText)' is not a concurrency",
                    hint: "Use a whole number ≥ 1 or 'max'"
                )
            }
            if case .fixed(let n) = concurrency, n > CostModel.largestConcurrency {
                throw error(line, c[6], "\(n) is more than \(CostModel.largestConcurrency) concurrent requests")
            }
            let metricText = fields[c[9]]
            guard let metric = Metric(rawValue: metricText) else {
                throw error(
                    line,
                    c[9],
                    "unknown metric '\(metricText)'",
                    hint: "Use one of: \(Metric.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            let value = try number(fields, c[10], line: line)
            guard value > 0 else { throw error(line, c[10], "\(fields[c[10]]) must be greater than 0") }
            let input = try integer(fields, c[7], line: line, minimum: 0, maximum: CostModel.largestTokenCount)
            let output = try integer(fields, c[8], line: line, minimum: 0, maximum: CostModel.largestTokenCount)
            var resolution: ImageResolution?
            if let r = resolutionColumn, !fields[r].isEmpty {
                guard let parsed = ImageResolution(fields[r]) else {
                    throw error(
                        line,
                        r,
                        "'\(fields[r])' is not a resolution",
                        hint: "Write WIDTHxHEIGHT, e.g. 1024x1024"
                    )
                }
                resolution = parsed
            }
            var steps: Int?
            if let s = stepsColumn, !fields[s].isEmpty {
                steps = try integer(fields, s, line: line, minimum: 1, maximum: CostModel.largestStepCount)
            }
            if !metric.isImage {
                if metric == .prefillTokensPerSecond || metric == .ttftMs, input == 0 {
                    throw error(line, c[7], "is 0, but \(metric.rawValue) needs a prompt")
                }
                if metric != .prefillTokensPerSecond && metric != .ttftMs, output == 0 {
                    throw error(line, c[8], "is 0, but \(metric.rawValue) needs generated tokens")
                }
            }
            return Measurement(
                id: id,
                hardware: fields[c[1]],
                gpus: try integer(fields, c[2], line: line, minimum: 1, maximum: CostModel.largestDeviceCount),
                engine: fields[c[3]],
                model: fields[c[4]],
                quant: fields[c[5]],
                concurrency: concurrency,
                inputTokens: input,
                outputTokens: output,
                metric: metric,
                value: value,
                resolution: resolution,
                steps: steps,
                line: line
            )
        }
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
        case id
        case metric
        case hardware
        case model
        case quant
        case engine
        case measured
        case predicted
        case status
        case reason
        case errorPct = "error_pct"
    }

    /// The CSV header of ``csvFields``.
    public static let csvHeader = [
        "id", "metric", "hardware", "model", "quant", "engine", "measured", "predicted", "error_pct", "status",
        "reason",
    ]

    /// The row as CSV fields (numbers with 6 significant digits).
    public var csvFields: [String] {
        func f(_ v: Double?) -> String { v.map { String(format: "%.6g", $0) } ?? "" }
        return [
            id, metric, hardware, model, quant, engine, f(measured), f(predicted), f(errorPct), status, reason ?? "",
        ]
    }
}

/// Predicted vs measured for a set of measurements (`t2.cost-validate/1`).
public struct ValidationReport: Sendable, Codable, Equatable {
    /// `t2.cost-validate/1`.
    public var schema = ValidationReport.schemaName
    public var rows: [ValidationRow]
    /// Median |error| in percent per metric and `all`, over priceable rows.
    public var medianAbsPctError: [String: Double]
    /// Rows per metric and `all` that entered the medians.
    public var counts: [String: Int]
    public var unpriceable: Int

    /// The schema string of a validation report.
    public static let schemaName = "t2.cost-validate/1"

    enum CodingKeys: String, CodingKey {
        case schema
        case rows
        case unpriceable
        case counts
        case medianAbsPctError = "median_abs_pct_error"
    }

    public init(rows: [ValidationRow], medianAbsPctError: [String: Double], counts: [String: Int], unpriceable: Int) {
        self.rows = rows
        self.medianAbsPctError = medianAbsPctError
        self.counts = counts
        self.unpriceable = unpriceable
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
    /// A measurement resolved against the catalog: what to evaluate, on which setup, and the
    /// parameter keys its efficiencies come from (for calibration).
    struct PreparedRow: Sendable {
        enum Kind: Sendable {
            case text(ModelShape)
            case image(ImageWorkload, halfPrecisionFLOPS: Double)
        }
        var measurement: Measurement
        var kind: Kind
        var setup: ResolvedSetup
        var keys: [String]

        /// The prediction with `efficiency` in place of the setup's.
        func predict(_ efficiency: Efficiency) -> Double {
            var s = setup
            s.efficiency = efficiency
            return predict(on: s)
        }

        /// The prediction on `s`.
        func predict(on s: ResolvedSetup) -> Double {
            let m = measurement
            switch kind {
            case .text(let shape):
                return m.metric.value(
                    of: Roofline.evaluate(
                        shape,
                        s,
                        concurrency: m.concurrency,
                        inputTokens: m.inputTokens,
                        outputTokens: m.outputTokens
                    )
                )
            case .image(let workload, let half):
                return m.metric.value(
                    of: ImageRoofline.evaluate(workload, s, halfPrecisionFLOPS: half, concurrency: m.concurrency)
                )
            }
        }
    }

    /// Resolves a measurement (throws for unknown names or unsupported combinations).
    func prepare(_ m: Measurement) throws -> PreparedRow {
        if m.metric.isImage || catalog.isImageModel(m.model) {
            guard m.metric.isImage else {
                throw CostModelError.wrongModality(
                    name: m.model,
                    expected: "a language model",
                    hint: "Image models are measured with seconds_per_image or images_per_s"
                )
            }
            let d = try imageDeployment(
                model: m.model,
                quant: m.quant,
                hardware: m.hardware,
                engine: m.engine,
                gpus: m.gpus,
                concurrency: m.concurrency,
                resolution: m.resolution,
                steps: m.steps
            )
            let (workload, setup, half) = try resolveImage(d)
            let keys = CostModel.parameterKeys(
                engine: d.engine.name,
                hardwareClass: d.hardware.hardwareClass,
                family: d.quant.family
            )
            return PreparedRow(
                measurement: m,
                kind: .image(workload, halfPrecisionFLOPS: half),
                setup: setup,
                keys: keys
            )
        }
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
        return PreparedRow(measurement: m, kind: .text(ModelShape(model)), setup: setup, keys: keys)
    }

    /// The model's prediction for one measurement's metric and load.
    public func predict(_ m: Measurement) throws -> Double {
        let p = try prepare(m)
        return p.predict(on: p.setup)
    }

    /// Predicts every row; rows with unknown names are kept and marked `unpriceable`.
    public func validate(_ measurements: [Measurement]) -> ValidationReport {
        var validator = Validator(model: self)
        let rows = measurements.map { validator.add($0) }
        let summary = validator.summary()
        return ValidationReport(
            rows: rows,
            medianAbsPctError: summary.medianAbsPctError,
            counts: summary.counts,
            unpriceable: summary.unpriceable
        )
    }

    /// Validates measurements one at a time in bounded memory: each row is predicted as it
    /// comes (deployments resolved once per distinct signature, up to 10,000 kept), and only
    /// the absolute errors are kept for the medians (8 bytes a row).
    public struct Validator {
        let model: CostModel
        private var prepared: [String: Result<PreparedRow, any Error>] = [:]
        private var errors: [String: [Double]] = [:]
        /// Rows seen so far.
        public private(set) var rows = 0
        /// Rows that could not be priced so far.
        public private(set) var unpriceable = 0

        public init(model: CostModel) { self.model = model }

        /// Predicts `m` and records its error.
        public mutating func add(_ m: Measurement) -> ValidationRow {
            rows += 1
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
            let key = m.signature
            let resolved: Result<PreparedRow, any Error>
            if let cached = prepared[key] {
                resolved = cached
            } else {
                resolved = Result { try model.prepare(m) }
                if prepared.count >= 10_000 { prepared.removeAll(keepingCapacity: true) }
                prepared[key] = resolved
            }
            do {
                let p = try resolved.get()
                let predicted = p.predict(on: p.setup)
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
            return row
        }

        /// The medians and counts so far.
        public func summary() -> (medianAbsPctError: [String: Double], counts: [String: Int], unpriceable: Int) {
            (errors.mapValues(median), errors.mapValues(\.count), unpriceable)
        }
    }
}
