import Foundation
import Optimization

/// Fitted efficiency parameters (written by `t2 calibrate`, read by `t2 cost --calibration`).
///
/// ```json
/// {"parameters": {"llama.cpp/apple/memEff": 0.85, "quant/gguf-k/dequantOps": 10.6, "overlap": 2.1, …},
///  "data": {"path": "…csv", "rows": 79, "used": 79}, "objective": 0.31, "status": "converged (function)",
///  "median_abs_pct_error": {"all": 4.2, …}, "notes": ["…"]}
/// ```
///
/// Keys: `<engine>/<hardware class>/{memEff,computeEff,stepOverheadMs}`,
/// `quant/<family>/{dequantOps,prefillEff}`, `overlap`, `allReduceUs`. A key absent here takes
/// the catalog default.
public struct Calibration: Codable, Sendable, Equatable {
    public var parameters: [String: Double]
    public var data: CalibrationData?
    public var objective: Double?
    public var status: String?
    public var medianAbsPctError: [String: Double]?
    public var notes: [String]?

    public struct CalibrationData: Codable, Sendable, Equatable {
        public var path: String
        /// Rows in the file (or the half used).
        public var rows: Int
        /// Rows that could be priced and entered the fit.
        public var used: Int
        /// `rows`/`hardware` half `a`/`b` with seed, when a split was used.
        public var split: String?
    }

    enum CodingKeys: String, CodingKey {
        case parameters, data, objective, status, notes
        case medianAbsPctError = "median_abs_pct_error"
    }

    public init(
        parameters: [String: Double],
        data: CalibrationData? = nil,
        objective: Double? = nil,
        status: String? = nil,
        medianAbsPctError: [String: Double]? = nil,
        notes: [String]? = nil
    ) {
        self.parameters = parameters
        self.data = data
        self.objective = objective
        self.status = status
        self.medianAbsPctError = medianAbsPctError
        self.notes = notes
    }

    /// No fitted values: every parameter at its catalog default.
    public static let defaults = Calibration(parameters: [:], notes: ["catalog defaults"])

    /// The calibration compiled into t2: fitted on `Tests/Fixtures/inference_measurements.csv`
    /// (79 published measurements) by `t2 calibrate`; see docs/cost-model.md.
    public static let builtIn: Calibration = {
        do {
            return try decode(Data(BuiltInCalibration.json.utf8), source: "built-in calibration")
        } catch {
            fatalError("t2's built-in calibration is malformed: \(error.localizedDescription)")
        }
    }()

    static func decode(_ data: Data, source: String) throws -> Calibration {
        let calibration: Calibration
        do {
            calibration = try JSONDecoder().decode(Calibration.self, from: data)
        } catch let error as DecodingError {
            throw CatalogError(decoding: error, source: source)
        }
        for (key, value) in calibration.parameters where !(value.isFinite && value >= 0) {
            throw CatalogError(
                source: source,
                entry: "parameters.\(key)",
                problem: "\(value) is not a finite value ≥ 0",
                hint: "Recreate the file with `t2 calibrate`"
            )
        }
        return calibration
    }

    /// Reads a calibration file; errors name the file and the key.
    public static func read(contentsOf path: String) throws -> Calibration {
        guard FileManager.default.fileExists(atPath: path) else {
            throw CatalogError(
                source: path,
                problem: "no such file",
                hint: "Create one with `t2 calibrate MEASUREMENTS.csv --out \(path)`"
            )
        }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw CatalogError(source: path, problem: "cannot be read (\(error.localizedDescription))")
        }
        return try decode(data, source: path)
    }

    /// Checks that every parameter names something the catalog knows (so a typo is not ignored).
    public func check(against model: CostModel, source: String) throws {
        for key in parameters.keys.sorted() where model.defaultParameter(key) == nil {
            throw CatalogError(
                source: source,
                entry: "parameters.\(key)",
                problem: "is not a parameter of this catalog (engine, hardware class or quantization family unknown)",
                hint: "Keys look like 'llama.cpp/apple/memEff', 'quant/gguf-k/dequantOps', 'overlap'"
            )
        }
    }
}

/// Options of ``CostModel/calibrate(_:options:)``.
public struct CalibrationOptions: Sendable, Equatable {
    /// Pseudo-Huber scale δ on log residuals (0.1 ≈ 10%): rows off by much more count linearly.
    public var huberDelta: Double = 0.1
    /// Weight λ of the Gaussian prior ½λ·Σ(x − x_default)² that keeps parameters the data barely
    /// identify near their documented defaults (x = logit of an efficiency, log of the others).
    public var priorWeight: Double = 0.01
    public init(huberDelta: Double = 0.1, priorWeight: Double = 0.01) {
        self.huberDelta = huberDelta
        self.priorWeight = priorWeight
    }
}

extension CostModel {
    /// Fits the efficiency parameters that the measurements inform, by L-BFGS on
    ///
    ///     Σ_rows δ²(√(1 + (r/δ)²) − 1) + ½λ·Σ_params (x − x_default)²,   r = ln(predicted / measured)
    ///
    /// over x = logit(efficiency) for `memEff`/`computeEff` (kept in (0, 1)), x = ln(p − 1) for
    /// `overlap` (p ≥ 1) and x = ln(value) otherwise; gradients by central differences. Parameters fitted: the (engine, class)
    /// triples of the rows, `dequantOps`/`prefillEff` of quantization families that dequantize,
    /// `overlap`, and `allReduceUs` when a row uses tensor parallelism. Rows that cannot be
    /// priced are skipped (and counted). Returns the calibration (its medians are on `rows`).
    public func calibrate(
        _ rows: [Measurement],
        source: String = "measurements",
        options: CalibrationOptions = CalibrationOptions()
    ) throws -> Calibration {
        let base = CostModel(catalog: catalog, calibration: .defaults)
        var prepared: [PreparedRow] = []
        var skipped: [String] = []
        for m in rows {
            do { prepared.append(try base.prepare(m)) } catch { skipped.append(m.id) }
        }
        guard !prepared.isEmpty else {
            throw CostModelError.noUsableMeasurements(
                source: source,
                reason: rows.isEmpty
                    ? "the file has no rows" : "no row names a known model, quantization, hardware and engine"
            )
        }
        // Which parameters the data inform.
        var fitted = Set<String>()
        for p in prepared {
            fitted.formUnion(p.keys[0...2])
            if let family = try? catalog.quantFamily(named: p.keys[3].split(separator: "/")[1].description),
                family.dequantOps > 0
            {
                fitted.insert(p.keys[3])
                fitted.insert(p.keys[4])
            }
            fitted.insert("overlap")
            if p.setup.parallelism > 1 { fitted.insert("allReduceUs") }
        }
        let keys = fitted.filter { (base.defaultParameter($0) ?? 0) > 0 }.sorted()
        let isFraction = keys.map { $0.hasSuffix("/memEff") || $0.hasSuffix("/computeEff") }
        let isExponent = keys.map { $0 == "overlap" }  // p ≥ 1: fitted as ln(p − 1)
        func toX(_ v: Double, _ i: Int) -> Double {
            isFraction[i]
                ? Foundation.log(v / (1 - v)) : isExponent[i] ? Foundation.log(max(v - 1, 1e-3)) : Foundation.log(v)
        }
        let prior = keys.enumerated().map {
            toX(min(base.defaultParameter($1)!, isFraction[$0] ? 0.999 : .infinity), $0)
        }
        let index = Dictionary(uniqueKeysWithValues: keys.enumerated().map { ($1, $0) })
        // Per row: for each of the 7 efficiency keys, the index into x (or -1) and the fixed value.
        let slots: [[Int]] = prepared.map { p in p.keys.map { index[$0] ?? -1 } }
        let fixed: [[Double]] = prepared.map { p in p.keys.map { base.defaultParameter($0) ?? .nan } }
        let measurements = prepared.map(\.measurement)
        let shapes = prepared.map(\.shape)
        let setups = prepared.map(\.setup)
        let delta = options.huberDelta
        let lambda = options.priorWeight

        @Sendable func values(_ x: UnsafeBufferPointer<Double>, _ i: Int) -> Double {
            isFraction[i]
                ? 1 / (1 + Foundation.exp(-x[i])) : isExponent[i] ? 1 + Foundation.exp(x[i]) : Foundation.exp(x[i])
        }
        @Sendable func residual(_ x: UnsafeBufferPointer<Double>, row r: Int) -> Double {
            var v = [Double](repeating: 0, count: 7)
            for j in 0..<7 { v[j] = slots[r][j] >= 0 ? values(x, slots[r][j]) : fixed[r][j] }
            var setup = setups[r]
            setup.efficiency = Efficiency(
                memEff: v[0],
                computeEff: v[1],
                stepOverhead: v[2] / 1000,
                dequantOps: v[3],
                prefillEff: v[4],
                overlap: v[5],
                allReduceLatency: v[6] / 1e6
            )
            let m = measurements[r]
            let predicted = m.metric.value(
                of: Roofline.evaluate(
                    shapes[r],
                    setup,
                    concurrency: m.concurrency,
                    inputTokens: m.inputTokens,
                    outputTokens: m.outputTokens
                )
            )
            return Foundation.log(predicted / m.value)
        }
        @Sendable func loss(_ x: UnsafeBufferPointer<Double>) -> Double {
            var total = 0.0
            for r in 0..<measurements.count {
                let res = residual(x, row: r)
                guard res.isFinite else { return .infinity }
                total += delta * delta * ((1 + (res / delta) * (res / delta)).squareRoot() - 1)
            }
            for i in 0..<prior.count { total += 0.5 * lambda * (x[i] - prior[i]) * (x[i] - prior[i]) }
            return total
        }
        let objective = ClosureObjective { x, gradient in
            let f = loss(x)
            var probe = Array(x)
            let h = 1e-6
            for i in 0..<probe.count {
                let saved = probe[i]
                probe[i] = saved + h
                let up = probe.withUnsafeBufferPointer(loss)
                probe[i] = saved - h
                let down = probe.withUnsafeBufferPointer(loss)
                probe[i] = saved
                gradient[i] = (up - down) / (2 * h)
            }
            return f
        }
        let result = minimizeLBFGS(
            objective,
            from: prior,
            options: LBFGSOptions(
                gradientTolerance: 1e-7,
                functionTolerance: 1e-12,
                maxIterations: 500,
                maxEvaluations: 2000
            )
        )
        var parameters: [String: Double] = [:]
        result.x.withUnsafeBufferPointer { x in
            for (i, key) in keys.enumerated() { parameters[key] = values(x, i) }
        }
        var calibration = Calibration(
            parameters: parameters,
            data: Calibration.CalibrationData(path: source, rows: rows.count, used: prepared.count, split: nil),
            objective: result.value,
            status: result.status.rawValue,
            medianAbsPctError: nil,
            notes: skipped.isEmpty
                ? nil : ["rows not priceable, left out of the fit: \(skipped.joined(separator: ", "))"]
        )
        let fittedModel = CostModel(catalog: catalog, calibration: calibration)
        calibration.medianAbsPctError = fittedModel.validate(rows).medianAbsPctError
        return calibration
    }
}
