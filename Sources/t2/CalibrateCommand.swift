import ArgumentParser
import Foundation
import InferenceCost
import Optimization
import Tabular

/// `t2 calibrate`: fit the cost model's efficiencies to measurements.
struct CalibrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate",
        abstract: "Fit the cost model's efficiency parameters to your own inference measurements.",
        discussion: """
            Reads a measurements CSV (columns id,hardware,gpus,engine,model,quant,concurrency,\
            input_tokens,output_tokens,metric,value; metrics decode_tokens_per_s, \
            prefill_tokens_per_s, output_tokens_per_s, ttft_ms, itl_ms, and for image models \
            seconds_per_image, images_per_s with optional resolution and steps columns) — or the \
            JSON report of `t2 bench --format json`, labelled with --hardware, --engine, --quant \
            (and --model, --gpus) — and fits the memory and compute efficiencies, per-step \
            overheads and dequantization costs those rows inform (L-BFGS on log errors with a \
            prior towards the catalog defaults whose weight is chosen by leaving each device out \
            in turn, when the rows cover 3 or more devices). Use the result with \
            `t2 cost --calibration FILE` or `t2 plan --budget-usd … --calibration FILE`.

            Examples:
              t2 calibrate m.csv --out calibration.json
              t2 bench … --format json --out bench.json
              t2 calibrate bench.json --hardware local --engine llama-cpp-python --quant q4_1 --concurrency 1,2 --out cal.json

            Honest check: calibrate on one half and validate on the other:
              t2 calibrate m.csv --split rows --half a --out a.json
              t2 cost --validate m.csv --calibration a.json --split rows --half b
            """
    )

    @Argument(
        help: ArgumentHelp(
            "Measurements CSV, or a `t2 bench --format json` report (`-` reads standard input).",
            valueName: "measurements.csv|bench.json"
        )
    )
    var measurements: String

    @Option(
        name: .long,
        help: ArgumentHelp("Use one half of the rows, split by 'rows' or 'hardware'.", valueName: "rows|hardware")
    )
    var split: MeasurementSplit?

    @Option(name: .long, help: ArgumentHelp("With --split: which half (a or b; default a).", valueName: "a|b"))
    var half: SplitHalf?

    @Option(name: .long, help: "Seed of --split.")
    var splitSeed: UInt64 = 1

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Use only rows at these concurrencies, e.g. 1,2 (to hold the others out for `t2 cost --validate`).",
            valueName: "list"
        )
    )
    var concurrency: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Bench JSON: the hardware the server ran on (catalog name, or 'local' for this machine).",
            valueName: "name"
        )
    )
    var hardware: String?

    @Option(name: .long, help: "Bench JSON: devices the server used (default 1).")
    var gpus: Int = 1

    @Option(
        name: .long,
        help: ArgumentHelp("Bench JSON: the serving engine (llama.cpp, llama-cpp-python, vllm …).", valueName: "name")
    )
    var engine: String?

    @Option(
        name: .long,
        help: ArgumentHelp("Bench JSON: the catalog model (default: the report's model name).", valueName: "name")
    )
    var model: String?

    @Option(name: .long, help: ArgumentHelp("Bench JSON: the weight format (q4_k_m, fp8 …).", valueName: "name"))
    var quant: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "JSON catalog file whose entries are added to (or replace) the built-in ones.",
            valueName: "file"
        )
    )
    var catalog: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Weight λ of the prior that keeps parameters the rows barely inform near the catalog's defaults (½λ·Σ(x − x_default)² beside the rows' log errors; 0 = none), or 'auto': the λ among \(Self.candidateRange) that best predicts each device when it is left out (rows from \(CalibrationOptions.minimumDevicesToCrossValidate) or more devices; otherwise \(String(format: "%g", CalibrationOptions().priorWeight))).",
            valueName: "λ|auto"
        )
    )
    var priorWeight: PriorWeightArgument = .auto

    /// The `auto` candidates' range as the help writes it ("0.01–3").
    static var candidateRange: String {
        let c = CalibrationOptions.priorWeightCandidates
        return String(format: "%g–%g", c.min() ?? 0, c.max() ?? 0)
    }

    @OptionGroup var output: OutputOptions

    init() {}

    func validate() throws {
        if half != nil && split == nil {
            throw ValidationError("--half needs --split (rows or hardware): it picks which half of the split to use")
        }
        if case .fixed(let weight) = priorWeight, !CalibrationOptions.priorWeightRange.contains(weight) {
            throw ValidationError(
                "--prior-weight must be 'auto' or a number in \(CalibrationOptions.priorWeightRangeText) (got \(weight))"
            )
        }
        if gpus < 1 || gpus > CostModel.largestDeviceCount {
            throw ValidationError("--gpus must be 1 to \(CostModel.largestDeviceCount) (got \(gpus))")
        }
        _ = try levels()
    }

    /// The `--concurrency` filter.
    func levels() throws -> Set<Int>? {
        guard let concurrency else { return nil }
        var set = Set<Int>()
        for part in concurrency.split(separator: ",") {
            guard let n = Int(part.trimmingCharacters(in: .whitespaces)), n >= 1, n <= CostModel.largestConcurrency
            else {
                throw ValidationError(
                    "--concurrency takes whole numbers ≥ 1 separated by commas, e.g. 1,2 (got '\(concurrency)')"
                )
            }
            set.insert(n)
        }
        guard !set.isEmpty else { throw ValidationError("--concurrency needs at least one level, e.g. 1,2") }
        return set
    }

    func run() throws {
        let usesLocal = hardware?.lowercased() == LocalHardware.name
        let costModel = try CostCommand.loadModel(catalog: catalog, calibration: nil, localHardware: usesLocal)
        var rows = try readRows()
        if let levels = try levels() {
            rows = rows.filter { m in
                if case .fixed(let n) = m.concurrency { return levels.contains(n) }
                return false
            }
            Console.note(
                "calibrating on concurrency \(levels.sorted().map(String.init).joined(separator: ", ")): \(rows.count) rows"
            )
        }
        var splitNote: String?
        if let split {
            let halves = split.halves(of: rows, seed: splitSeed)
            let which = half ?? .a
            rows = which == .a ? halves.a : halves.b
            splitNote = "\(split.rawValue) half \(which.rawValue), seed \(splitSeed)"
            Console.note("calibrating on \(splitNote!): \(rows.count) rows")
        }
        let progress = ProgressLine("t2 calibrate")
        var calibration: Calibration
        switch priorWeight {
        case .fixed(let weight):
            calibration = try costModel.calibrate(
                rows,
                source: measurements,
                options: CalibrationOptions(priorWeight: weight)
            ) { evaluation, objective in
                progress.update("evaluation \(evaluation), objective \(Format.significant(objective, 4))")
            }
        case .auto:
            calibration = try costModel.calibrateChoosingPriorWeight(rows, source: measurements) { fold, of in
                progress.update("choosing the prior weight: fold \(fold) of \(of)")
            }
        }
        progress.finish()
        calibration.data?.split = splitNote
        let json = try JSONOutput.encode(calibration)
        var table = TextTable([("parameter", .left), ("fitted", .right), ("default", .right)])
        for key in calibration.parameters.keys.sorted() {
            table.append([
                key, Format.significant(calibration.parameters[key]!, 4),
                costModel.defaultParameter(key).map { Format.significant($0, 4) } ?? "-",
            ])
        }
        switch output.format {
        case .json:
            Console.output(json)
            if let out = output.out { try AtomicFile.write(json + "\n", to: out) }
        case .csv:
            let csv = table.csv
            Console.output(String(csv.dropLast()))
            if let out = output.out {
                try AtomicFile.write(csv, to: out)
                Console.note("\(out) holds CSV; `--calibration` needs the JSON (run again with --format json or table)")
            }
        case .table:
            if let out = output.out { try AtomicFile.write(json + "\n", to: out) }
            var text = table.render()
            text +=
                "\n\nfit: objective \(Format.significant(calibration.objective ?? .nan, 4)), \(calibration.status ?? "")"
            text += ", \(calibration.data?.used ?? 0) of \(rows.count) rows priced"
            text += "\nmedian |error| on these rows:"
            for (key, value) in (calibration.medianAbsPctError ?? [:]).sorted(by: { $0.key < $1.key }) {
                text += "\n  \(key): \(Format.fixed(value, 1))%"
            }
            if let choice = calibration.priorWeight { text += "\n" + Self.describe(choice) }
            for note in calibration.notes ?? [] { text += "\nnote: \(note)" }
            if output.out == nil {
                text += "\n\n(pass --out calibration.json to save it for `t2 cost --calibration`)"
            }
            Console.output(text)
        }
    }

    /// The rows of the input: a measurements CSV, or a bench report labelled by the flags.
    func readRows() throws -> [InferenceCost.Measurement] {
        let data = try InputFile.read(measurements, limit: 1 << 30)
        guard BenchMeasurements.looksLikeJSON(data) else {
            if measurements == "-" {
                let text = String(decoding: data, as: UTF8.self)
                return try InferenceCost.Measurement.parse(try CSVTable(string: text, source: "standard input"))
            }
            return try InferenceCost.Measurement.read(contentsOf: measurements)
        }
        var missing: [String] = []
        if hardware == nil { missing.append("--hardware") }
        if engine == nil { missing.append("--engine") }
        if quant == nil { missing.append("--quant") }
        guard missing.isEmpty else {
            throw ValidationError(
                "\(measurements) is a bench report: say where and how the server ran with \(missing.joined(separator: ", ")) (e.g. --hardware local --engine llama-cpp-python --quant q4_1)"
            )
        }
        let rows = try BenchMeasurements.measurements(
            fromBenchJSON: data,
            source: measurements,
            labels: BenchMeasurements.Labels(
                hardware: hardware!,
                gpus: gpus,
                engine: engine!,
                model: model,
                quant: quant!
            )
        )
        guard !rows.isEmpty else {
            throw TabularError(
                file: measurements,
                problem: "has no closed-loop level with successful requests",
                hint: "Run `t2 bench` with --concurrency levels"
            )
        }
        return rows
    }
}

extension CalibrateCommand {
    /// One line on the prior weight, and for a cross-validated choice each candidate's score.
    static func describe(_ choice: PriorWeightChoice) -> String {
        let weight = Format.significant(choice.chosen, 3)
        switch choice.method {
        case .crossValidated:
            let scores = choice.candidates.map { c in
                "\(Format.significant(c.weight, 3)): "
                    + (c.heldOutMedianAbsPctError.map { Format.fixed($0, 1) + "%" } ?? "no row priced")
            }
            let sample = choice.sampledRows.map { " on a sample of \($0) rows, scaled to all rows" } ?? ""
            return "prior weight λ = \(weight), chosen by leaving each of \(choice.folds) devices out\(sample) "
                + "(held-out median |error| by λ: \(scores.joined(separator: ", ")))"
        case .fallback:
            return "prior weight λ = \(weight) (the default: \(choice.reason ?? "cross-validation was not possible"))"
        case .given:
            return "prior weight λ = \(weight)"
        }
    }
}

/// `--prior-weight`: a number, or `auto` (leave-one-device-out cross-validation).
enum PriorWeightArgument: ExpressibleByArgument, Equatable {
    case fixed(Double)
    case auto

    init?(argument: String) {
        if argument.lowercased() == "auto" {
            self = .auto
        } else if let value = Double(argument), value.isFinite {
            self = .fixed(value)
        } else {
            return nil
        }
    }

    var defaultValueDescription: String {
        switch self {
        case .fixed(let value): return Format.significant(value, 3)
        case .auto: return "auto"
        }
    }
}
