import Foundation
import Optimization
import Tabular

/// Fitted efficiency parameters (written by `t2 calibrate`, read by `t2 cost --calibration`):
/// the `t2.calibration/1` document.
///
/// ```json
/// {"schema": "t2.calibration/1",
///  "parameters": {"llama.cpp/apple/memEff": 0.85, "quant/gguf-k/dequantOps": 10.6, "overlap": 2.1, …},
///  "data": {"path": "…csv", "rows": 79, "used": 79}, "objective": 0.31, "status": "converged (function)",
///  "median_abs_pct_error": {"all": 4.2, …}, "notes": ["…"]}
/// ```
///
/// Keys: `<engine>/<hardware class>/{memEff,computeEff,stepOverheadMs}`,
/// `quant/<family>/{dequantOps,prefillEff}`, `overlap`, `allReduceUs`. A key absent here takes
/// the catalog default. Values must lie in each parameter's range (``CostModel/parameterRange(_:)``).
public struct Calibration: Codable, Sendable, Equatable {
    /// `t2.calibration/1`.
    public var schema: String? = Calibration.schemaName
    public var parameters: [String: Double]
    public var data: CalibrationData?
    public var objective: Double?
    public var status: String?
    public var medianAbsPctError: [String: Double]?
    /// The prior weight λ the fit used and how it was chosen (absent in files from before it was
    /// recorded).
    public var priorWeight: PriorWeightChoice?
    public var notes: [String]?

    /// The schema string of a calibration file.
    public static let schemaName = "t2.calibration/1"

    /// What the calibration was fitted on.
    public struct CalibrationData: Codable, Sendable, Equatable {
        public var path: String
        /// Rows in the file (or the half used).
        public var rows: Int
        /// Rows that could be priced and entered the fit.
        public var used: Int
        /// `rows`/`hardware` half `a`/`b` with seed, when a split was used.
        public var split: String?

        public init(path: String, rows: Int, used: Int, split: String? = nil) {
            self.path = path
            self.rows = rows
            self.used = used
            self.split = split
        }
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case schema
        case parameters
        case data
        case objective
        case status
        case notes
        case medianAbsPctError = "median_abs_pct_error"
        case priorWeight = "prior_weight"
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
    /// (79 published measurements of language models) and, for the image engines, on
    /// `Tests/Fixtures/image_measurements.csv`, by `t2 calibrate`; see docs/cost-model.md.
    public static let builtIn: Calibration = {
        do {
            return try decode(Data(BuiltInCalibration.json.utf8), source: "built-in calibration")
        } catch {
            fatalError("t2's built-in calibration is malformed: \(error.localizedDescription)")
        }
    }()

    /// Decodes a calibration document: unknown top-level keys, values that are not finite and
    /// values outside a parameter's range are refused with the key named.
    public static func decode(_ data: Data, source: String) throws -> Calibration {
        if let top = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let key = top.keys.sorted().first(where: { name in !CodingKeys.allCases.contains { $0.rawValue == name } })
        {
            throw CatalogError.unknownKey(
                key,
                allowed: CodingKeys.allCases.map(\.rawValue),
                source: source,
                entry: "top level",
                what: "a calibration file"
            )
        }
        let calibration: Calibration
        do {
            calibration = try JSONDecoder().decode(Calibration.self, from: data)
        } catch let error as DecodingError {
            throw CatalogError(decoding: error, source: source)
        }
        if let schema = calibration.schema, schema != schemaName {
            throw CatalogError(
                source: source,
                entry: "schema",
                problem: "'\(schema)' is not a calibration (expected '\(schemaName)')",
                hint: "Give the file `t2 calibrate --out` wrote"
            )
        }
        for key in calibration.parameters.keys.sorted() {
            let value = calibration.parameters[key]!
            guard value.isFinite else {
                throw CatalogError(
                    source: source,
                    entry: "parameters.\(key)",
                    problem: "\(value) is not a finite number",
                    hint: "Recreate the file with `t2 calibrate`"
                )
            }
            if let range = CostModel.parameterRange(key), !range.contains(value) {
                throw CatalogError(
                    source: source,
                    entry: "parameters.\(key)",
                    problem: "\(value) is outside \(range.description) (\(range.meaning))",
                    hint: "Recreate the file with `t2 calibrate`, or correct the value"
                )
            }
        }
        return calibration
    }

    /// Reads a calibration file (`-`: standard input); errors name the file and the key.
    public static func read(contentsOf path: String) throws -> Calibration {
        let data: Data
        do { data = try InputFile.read(path, limit: 64 << 20) } catch let error as TabularError {
            throw CatalogError(
                source: path,
                problem: error.problem,
                hint: error.hint ?? "Create one with `t2 calibrate MEASUREMENTS.csv --out \(path)`"
            )
        }
        let body = data.starts(with: [0xEF, 0xBB, 0xBF]) ? Data(data.dropFirst(3)) : data
        return try decode(body, source: path)
    }

    /// Checks that every parameter names something the catalog knows (so a typo is not ignored).
    public func check(against model: CostModel, source: String) throws {
        for key in parameters.keys.sorted() where model.defaultParameter(key) == nil {
            let known = model.knownParameterKeys()
            let nearest = nearestNames(to: key, in: known, limit: 1).first
            throw CatalogError(
                source: source,
                entry: "parameters.\(key)",
                problem: "is not a parameter of this catalog (engine, hardware class or quantization family unknown)",
                hint: (nearest.map { "Did you mean '\($0)'? " } ?? "")
                    + "Keys look like 'llama.cpp/apple/memEff', 'quant/gguf-k/dequantOps', 'overlap'"
            )
        }
    }
}

/// The allowed values of one calibration parameter.
public struct ParameterRange: Sendable, Equatable {
    public var lower: Double
    public var upper: Double
    /// Whether `lower` itself is allowed.
    public var includesLower: Bool
    /// What the parameter is, for error messages.
    public var meaning: String

    /// Whether `value` is allowed.
    public func contains(_ value: Double) -> Bool {
        (includesLower ? value >= lower : value > lower) && value <= upper
    }

    /// `(0, 1]` or `[1, 100]`.
    public var description: String {
        func f(_ v: Double) -> String { v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : String(v) }
        return "\(includesLower ? "[" : "(")\(f(lower)), \(f(upper))]"
    }
}

extension CostModel {
    /// The range of a calibration parameter by its last key component; nil for names that are
    /// not parameters.
    public static func parameterRange(_ key: String) -> ParameterRange? {
        let field = key.split(separator: "/").last.map(String.init) ?? key
        switch field {
        case "memEff":
            return ParameterRange(lower: 0, upper: 1, includesLower: false, meaning: "a fraction of peak bandwidth")
        case "computeEff":
            return ParameterRange(lower: 0, upper: 1, includesLower: false, meaning: "a fraction of peak FLOP/s")
        case "stepOverheadMs":
            return ParameterRange(lower: 0, upper: 60_000, includesLower: true, meaning: "milliseconds per step")
        case "dequantOps":
            return ParameterRange(lower: 0, upper: 1000, includesLower: true, meaning: "vector ops per weight")
        case "prefillEff":
            return ParameterRange(lower: 0, upper: 10, includesLower: false, meaning: "a multiplier on computeEff")
        case "overlap":
            return ParameterRange(lower: 1, upper: 100, includesLower: true, meaning: "the soft-max exponent p ≥ 1")
        case "allReduceUs":
            return ParameterRange(lower: 0, upper: 1e6, includesLower: true, meaning: "microseconds per all-reduce")
        default:
            return nil
        }
    }

    /// Every parameter key of this catalog (for suggestions).
    public func knownParameterKeys() -> [String] {
        var keys = ["overlap", "allReduceUs"]
        for family in catalog.quantFamilies {
            keys += ["quant/\(family.name)/dequantOps", "quant/\(family.name)/prefillEff"]
        }
        for engine in catalog.engines {
            for cls in engine.profiles.keys {
                keys += ["memEff", "computeEff", "stepOverheadMs"].map { "\(engine.name)/\(cls)/\($0)" }
            }
        }
        return keys
    }
}

/// Options of ``CostModel/calibrate(_:source:options:progress:)``.
public struct CalibrationOptions: Sendable, Equatable {
    /// Pseudo-Huber scale δ on log residuals (0.1 ≈ 10%): rows off by much more count linearly.
    public var huberDelta: Double = 0.1
    /// Weight λ of the Gaussian prior ½λ·Σ(x − x_default)² that keeps parameters the data barely
    /// identify near their documented defaults (x = logit of an efficiency, log of the others).
    public var priorWeight: Double = 0.01
    /// The prior weights ``CostModel/calibrate(_:source:options:progress:)`` accepts (0 = no prior;
    /// beyond 1e6 the rows no longer move any parameter).
    public static let priorWeightRange: ClosedRange<Double> = 0...1e6
    /// `priorWeightRange` as messages write it.
    public static let priorWeightRangeText = "0…1e6"
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
    /// `overlap` (p ≥ 1) and x = ln(value) otherwise; gradients by central differences.
    /// Parameters fitted: the (engine, class) triples of the rows, `dequantOps`/`prefillEff` of
    /// quantization families that dequantize, `overlap` (language-model rows), and `allReduceUs`
    /// when a row uses tensor parallelism. Rows that cannot be priced are skipped (and counted).
    ///
    /// Cost: rows with the same deployment and load (``Measurement`` signature) share one
    /// prediction per evaluation, a parameter's finite difference re-predicts only the rows it
    /// affects, and predictions run on all cores — near-linear in the rows. `progress`, when
    /// given, is called after every evaluation of the objective with its count and value.
    /// Returns the calibration (its medians are on `rows`).
    public func calibrate(
        _ rows: [Measurement],
        source: String = "measurements",
        options: CalibrationOptions = CalibrationOptions(),
        progress: (@Sendable (_ evaluation: Int, _ objective: Double) -> Void)? = nil
    ) throws -> Calibration {
        guard options.huberDelta.isFinite, options.huberDelta > 0 else {
            throw CostModelError.invalidValue(
                name: "calibration Huber δ",
                value: "\(options.huberDelta)",
                expected: "a positive number (0.1 ≈ 10% on log errors)"
            )
        }
        guard CalibrationOptions.priorWeightRange.contains(options.priorWeight) else {
            throw CostModelError.invalidValue(
                name: "calibration prior weight",
                value: "\(options.priorWeight)",
                expected:
                    "a number in \(CalibrationOptions.priorWeightRangeText) (0 = no prior; the default \(CalibrationOptions().priorWeight) is weak)"
            )
        }
        let base = CostModel(catalog: catalog, calibration: .defaults)
        // Group rows by signature: one prepared row (and one prediction) per group.
        var groupIndex: [String: Int] = [:]
        var prepared: [PreparedRow] = []
        var logValues: [[Double]] = []
        var failed: [String: Bool] = [:]
        var skipped: [String] = []
        var used = 0
        for m in rows {
            let key = m.signature
            if let g = groupIndex[key] {
                logValues[g].append(Foundation.log(m.value))
                used += 1
                continue
            }
            if failed[key] == true {
                skipped.append(m.id)
                continue
            }
            do {
                let p = try base.prepare(m)
                groupIndex[key] = prepared.count
                prepared.append(p)
                logValues.append([Foundation.log(m.value)])
                used += 1
            } catch {
                failed[key] = true
                skipped.append(m.id)
            }
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
            if case .text = p.kind {
                if let family = try? catalog.quantFamily(named: p.keys[3].split(separator: "/")[1].description),
                    family.dequantOps > 0
                {
                    fitted.insert(p.keys[3])
                    fitted.insert(p.keys[4])
                }
                fitted.insert("overlap")
                if p.setup.parallelism > 1 { fitted.insert("allReduceUs") }
            }
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
        // Per group: for each of the 7 efficiency keys, the index into x (or -1) and the fixed value.
        let slots: [[Int]] = prepared.map { p in p.keys.map { index[$0] ?? -1 } }
        let fixed: [[Double]] = prepared.map { p in p.keys.map { base.defaultParameter($0) ?? .nan } }
        // The groups each parameter affects (finite differences re-predict only those).
        var affectedGroups = [[Int]](repeating: [], count: keys.count)
        for (g, s) in slots.enumerated() {
            for i in Set(s) where i >= 0 { affectedGroups[i].append(g) }
        }
        let affected = affectedGroups
        let allGroups = Array(0..<prepared.count)
        let groups = prepared
        let values = logValues
        let delta = options.huberDelta
        let lambda = options.priorWeight
        let fractionFlags = isFraction
        let exponentFlags = isExponent

        @Sendable func parameter(_ x: [Double], _ i: Int) -> Double {
            fractionFlags[i]
                ? 1 / (1 + Foundation.exp(-x[i]))
                : exponentFlags[i] ? 1 + Foundation.exp(x[i]) : Foundation.exp(x[i])
        }
        @Sendable func groupLoss(_ x: [Double], _ g: Int) -> Double {
            let s = slots[g]
            let f = fixed[g]
            func v(_ j: Int) -> Double { s[j] >= 0 ? parameter(x, s[j]) : f[j] }
            let efficiency = Efficiency(
                memEff: v(0),
                computeEff: v(1),
                stepOverhead: v(2) / 1000,
                dequantOps: v(3),
                prefillEff: v(4),
                overlap: v(5),
                allReduceLatency: v(6) / 1e6
            )
            let predicted = groups[g].predict(efficiency)
            guard predicted.isFinite, predicted > 0 else { return .infinity }
            let lp = Foundation.log(predicted)
            var total = 0.0
            for value in values[g] {
                let r = (lp - value) / delta
                total += delta * delta * ((1 + r * r).squareRoot() - 1)
            }
            return total
        }
        @Sendable func dataLoss(_ x: [Double], _ subset: [Int]) -> Double {
            let chunks = max(1, min(subset.count / 64, Parallel.defaultThreads * 4))
            if chunks == 1 { return subset.reduce(0) { $0 + groupLoss(x, $1) } }
            let size = (subset.count + chunks - 1) / chunks
            let parts = Parallel.map(chunks) { c -> Double in
                var total = 0.0
                for k in (c * size)..<min(subset.count, (c + 1) * size) { total += groupLoss(x, subset[k]) }
                return total
            }
            return parts.reduce(0, +)
        }
        @Sendable func priorLoss(_ x: [Double]) -> Double {
            var total = 0.0
            for i in 0..<prior.count { total += 0.5 * lambda * (x[i] - prior[i]) * (x[i] - prior[i]) }
            return total
        }
        let evaluations = Locked(0)
        let objective = ClosureObjective { xBuffer, gradient in
            let x = Array(xBuffer)
            let f = dataLoss(x, allGroups) + priorLoss(x)
            if let progress {
                let n = evaluations.withLock { count -> Int in
                    count += 1
                    return count
                }
                progress(n, f)
            }
            guard f.isFinite else {
                for i in 0..<gradient.count { gradient[i] = 0 }
                return .infinity
            }
            let h = 1e-6
            var probe = x
            for i in 0..<x.count {
                probe[i] = x[i] + h
                let up = dataLoss(probe, affected[i])
                probe[i] = x[i] - h
                let down = dataLoss(probe, affected[i])
                probe[i] = x[i]
                gradient[i] = (up - down) / (2 * h) + lambda * (x[i] - prior[i])
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
        for (i, key) in keys.enumerated() { parameters[key] = parameter(result.x, i) }
        var calibration = Calibration(
            parameters: parameters,
            data: Calibration.CalibrationData(path: source, rows: rows.count, used: used, split: nil),
            objective: result.value,
            status: result.status.rawValue,
            medianAbsPctError: nil,
            notes: skipped.isEmpty
                ? nil
                : [
                    "rows not priceable, left out of the fit: \(skipped.prefix(20).joined(separator: ", "))"
                        + (skipped.count > 20 ? " and \(skipped.count - 20) more" : "")
                ]
        )
        let fittedModel = CostModel(catalog: catalog, calibration: calibration)
        var validator = Validator(model: fittedModel)
        for m in rows { _ = validator.add(m) }
        calibration.medianAbsPctError = validator.summary().medianAbsPctError
        calibration.priorWeight = PriorWeightChoice(chosen: options.priorWeight, method: .given)
        return calibration
    }
}

/// How a calibration's prior weight λ was chosen (the `prior_weight` entry of a calibration file).
public struct PriorWeightChoice: Codable, Sendable, Equatable {
    /// The λ the calibration was fitted with.
    public var chosen: Double
    /// How λ was chosen.
    public var method: Method
    /// Devices left out in turn (0 unless cross-validation ran).
    public var folds: Int
    /// Each candidate λ with the median |error| (%) of the held-out rows, pooled over the folds.
    public var candidates: [Candidate]
    /// Why the choice fell back to the default, when it did.
    public var reason: String?
    /// When the rows were too many to cross-validate in full: the rows of the seeded sample the
    /// candidates were scored on. Their weights then apply to the sample, and `chosen` is the
    /// best one × rows/sampled rows, which weighs the prior the same against all the rows.
    public var sampledRows: Int?

    /// How λ was chosen (the JSON strings in parentheses).
    public enum Method: String, Codable, Sendable {
        /// The caller fixed λ (`given`).
        case given
        /// Leave-one-device-out cross-validation chose it (`cross-validated`).
        case crossValidated = "cross-validated"
        /// Cross-validation was asked for but was not possible, so the given λ was used
        /// (`default`; `reason` says why).
        case fallback = "default"
    }

    enum CodingKeys: String, CodingKey {
        case chosen, method, folds, candidates, reason
        case sampledRows = "sampled_rows"
    }

    /// One candidate λ and how well calibrations fitted with it priced the left-out devices.
    public struct Candidate: Codable, Sendable, Equatable {
        public var weight: Double
        /// nil when no held-out row could be priced.
        public var heldOutMedianAbsPctError: Double?
        /// Held-out rows that were priced.
        public var rows: Int

        public init(weight: Double, heldOutMedianAbsPctError: Double?, rows: Int) {
            self.weight = weight
            self.heldOutMedianAbsPctError = heldOutMedianAbsPctError
            self.rows = rows
        }

        enum CodingKeys: String, CodingKey {
            case weight
            case heldOutMedianAbsPctError = "held_out_median_abs_pct_error"
            case rows
        }
    }

    public init(
        chosen: Double,
        method: Method,
        folds: Int = 0,
        candidates: [Candidate] = [],
        reason: String? = nil,
        sampledRows: Int? = nil
    ) {
        self.chosen = chosen
        self.method = method
        self.folds = folds
        self.candidates = candidates
        self.reason = reason
        self.sampledRows = sampledRows
    }
}

extension CalibrationOptions {
    /// The prior weights leave-one-device-out cross-validation chooses among.
    public static let priorWeightCandidates: [Double] = [0.01, 0.03, 0.1, 0.3, 1, 3]
    /// Cross-validation needs at least this many distinct devices (one left out, the rest fitted).
    public static let minimumDevicesToCrossValidate = 3
    /// Rows cross-validation uses at most (an equal, seeded share per device); the final fit
    /// always uses every row.
    public static let crossValidationRows = 4_000
}

extension CostModel {
    /// Chooses the prior weight λ by leave-one-device-out cross-validation, then calibrates on
    /// all `rows` with it.
    ///
    /// For each candidate λ and each device, a calibration is fitted on the other devices' rows
    /// and predicts the left-out device's rows; the λ whose pooled held-out median |error| is
    /// smallest wins. This asks the question a calibration is used for — how well does it price a
    /// device it was not fitted on — so few rows per parameter (image engines, CPUs) get a strong
    /// prior and many rows (the text fixture) a weak one, without a weight tuned by hand. With
    /// fewer than ``CalibrationOptions/minimumDevicesToCrossValidate`` devices there is nothing to
    /// hold out and `options.priorWeight` is used; the result's ``Calibration/priorWeight`` says
    /// which happened. Cost: candidates × devices calibrations on at most `crossValidationRows`
    /// rows (an equal seeded share per device), run on all cores, then one fit on all rows.
    public func calibrateChoosingPriorWeight(
        _ rows: [Measurement],
        source: String = "measurements",
        candidates: [Double] = CalibrationOptions.priorWeightCandidates,
        options: CalibrationOptions = CalibrationOptions(),
        crossValidationRows: Int = CalibrationOptions.crossValidationRows,
        progress: (@Sendable (_ fold: Int, _ of: Int) -> Void)? = nil
    ) throws -> Calibration {
        guard !candidates.isEmpty,
            candidates.allSatisfy({ CalibrationOptions.priorWeightRange.contains($0) })
        else {
            throw CostModelError.invalidValue(
                name: "calibration prior weight candidates",
                value: candidates.map { "\($0)" }.joined(separator: ","),
                expected: "one or more numbers in \(CalibrationOptions.priorWeightRangeText)"
            )
        }
        // The rows by device, and the devices with a row the model can price: a device the
        // catalog lacks has nothing to predict when left out, so it is not a fold.
        let base = CostModel(catalog: catalog, calibration: .defaults)
        var priceable: [String: Bool] = [:]  // by deployment signature: many rows share one
        var byDevice: [String: [Measurement]] = [:]
        var priced = Set<String>()
        for m in rows {
            let device = Catalog.key(m.hardware)
            byDevice[device, default: []].append(m)
            let key = m.signature
            if priceable[key] == nil { priceable[key] = (try? base.prepare(m)) != nil }
            if priceable[key]! { priced.insert(device) }
        }
        let devices = priced.sorted()
        func fallback(folds: Int, scored: [PriorWeightChoice.Candidate], reason: String) throws -> Calibration {
            var calibration = try calibrate(rows, source: source, options: options)
            calibration.priorWeight = PriorWeightChoice(
                chosen: options.priorWeight,
                method: .fallback,
                folds: folds,
                candidates: scored,
                reason: reason
            )
            return calibration
        }
        guard devices.count >= CalibrationOptions.minimumDevicesToCrossValidate else {
            return try fallback(
                folds: 0,
                scored: [],
                reason: "the priceable rows cover \(devices.count) device\(devices.count == 1 ? "" : "s"); "
                    + "leaving one out needs \(CalibrationOptions.minimumDevicesToCrossValidate)"
            )
        }
        // Each fold's rows. Choosing λ does not need every row of a large file: at most
        // `crossValidationRows`, the same share of each device (a seeded sample), so the cost
        // stays bounded.
        var foldRows = devices.map { byDevice[$0]! }
        let whole = foldRows.reduce(0) { $0 + $1.count }
        if rows.count > crossValidationRows {
            let perDevice = max(1, crossValidationRows / devices.count)
            var generator = SeededGenerator(seed: 0xC1A5_5E7)
            for d in foldRows.indices where foldRows[d].count > perDevice {
                foldRows[d].shuffle(using: &generator)
                foldRows[d].removeLast(foldRows[d].count - perDevice)
            }
        }
        let kept = foldRows.reduce(0) { $0 + $1.count }
        let scale = Double(whole) / Double(kept)  // rows the final fit weighs λ against ÷ rows CV did
        let folded = foldRows
        let jobs = candidates.count * devices.count
        let done = Locked(0)
        // Each job: the held-out device's |errors| (%) under one candidate λ.
        let outcomes = Parallel.map(jobs) { job -> Result<[Double], any Error> in
            let weight = candidates[job / devices.count]
            let heldOut = job % devices.count
            let result = Result { () -> [Double] in
                var fold = options
                fold.priorWeight = weight
                let fitted = try self.calibrate(
                    folded.indices.filter { $0 != heldOut }.flatMap { folded[$0] },
                    source: source,
                    options: fold
                )
                var validator = Validator(model: CostModel(catalog: self.catalog, calibration: fitted))
                return folded[heldOut].compactMap { validator.add($0).errorPct.map(abs) }
            }
            if let progress {
                let n = done.withLock { count -> Int in
                    count += 1
                    return count
                }
                progress(n, jobs)
            }
            return result
        }
        var folds: [[Double]] = []
        for outcome in outcomes {
            switch outcome {
            case .success(let errors): folds.append(errors)
            // Training rows that cannot be priced at all (every other device on an engine the
            // catalog lacks) predict nothing: that fold has no held-out rows.
            case .failure(CostModelError.noUsableMeasurements): folds.append([])
            case .failure(let error): throw error
            }
        }
        var scored: [PriorWeightChoice.Candidate] = []
        for (c, weight) in candidates.enumerated() {
            let errors = folds[(c * devices.count)..<((c + 1) * devices.count)].flatMap { $0 }
            scored.append(
                PriorWeightChoice.Candidate(
                    weight: weight,
                    heldOutMedianAbsPctError: errors.isEmpty ? nil : median(errors),
                    rows: errors.count
                )
            )
        }
        let scores = scored.compactMap { c in c.heldOutMedianAbsPctError.map { (weight: c.weight, error: $0) } }
        guard let best = scores.min(by: { $0.error < $1.error }) else {
            return try fallback(folds: devices.count, scored: scored, reason: "no held-out row could be priced")
        }
        // The prior is one term against a sum over rows: chosen on a sample, λ weighed against
        // fewer rows, so on all rows it is scaled by rows/sample to keep the same balance.
        var chosen = options
        chosen.priorWeight = min(best.weight * scale, CalibrationOptions.priorWeightRange.upperBound)
        var calibration = try calibrate(rows, source: source, options: chosen)
        calibration.priorWeight = PriorWeightChoice(
            chosen: chosen.priorWeight,
            method: .crossValidated,
            folds: devices.count,
            candidates: scored,
            sampledRows: kept < whole ? kept : nil
        )
        return calibration
    }
}
