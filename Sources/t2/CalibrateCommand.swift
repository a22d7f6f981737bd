import ArgumentParser
import Foundation
import InferenceCost
import Tabular

/// `t2 calibrate`: fit the cost model's efficiencies to measurements.
struct CalibrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate",
        abstract: "Fit the cost model's efficiency parameters to your own inference measurements.",
        discussion: """
            Reads a measurements CSV (columns id,hardware,gpus,engine,model,quant,concurrency,\
            input_tokens,output_tokens,metric,value; metrics decode_tokens_per_s, \
            prefill_tokens_per_s, output_tokens_per_s, ttft_ms, itl_ms) and fits the memory and \
            compute efficiencies, per-step overheads and dequantization costs those rows inform \
            (L-BFGS on log errors with a weak prior towards the catalog defaults). Use the result \
            with `t2 cost --calibration FILE`.

            Honest check: calibrate on one half and validate on the other:
              t2 calibrate m.csv --split rows --half a --out a.json
              t2 cost --validate m.csv --calibration a.json --split rows --half b
            """
    )

    @Argument(help: ArgumentHelp("Measurements CSV.", valueName: "measurements.csv"))
    var measurements: String

    @Option(
        name: .long,
        help: ArgumentHelp("Use one half of the rows, split by 'rows' or 'hardware'.", valueName: "rows|hardware")
    )
    var split: MeasurementSplit?

    @Option(name: .long, help: ArgumentHelp("With --split: which half (a or b).", valueName: "a|b"))
    var half: SplitHalf = .a

    @Option(name: .long, help: "Seed of --split.")
    var splitSeed: UInt64 = 1

    @Option(
        name: .long,
        help: ArgumentHelp(
            "JSON catalog file whose entries are added to (or replace) the built-in ones.",
            valueName: "file"
        )
    )
    var catalog: String?

    @OptionGroup var output: OutputOptions

    init() {}

    func run() throws {
        let costModel = try CostCommand.loadModel(catalog: catalog, calibration: nil)
        var rows = try Measurement.read(contentsOf: measurements)
        var splitNote: String?
        if let split {
            let halves = split.halves(of: rows, seed: splitSeed)
            rows = half == .a ? halves.a : halves.b
            splitNote = "\(split.rawValue) half \(half.rawValue), seed \(splitSeed)"
            Console.note("calibrating on \(splitNote!): \(rows.count) rows")
        }
        var calibration = try costModel.calibrate(rows, source: measurements)
        calibration.data?.split = splitNote
        let json = try JSONOutput.encode(calibration)
        if let out = output.out { try AtomicFile.write(json + "\n", to: out) }
        if output.format == .json {
            Console.output(json)
            return
        }
        var t = TextTable([("parameter", .left), ("fitted", .right), ("default", .right)])
        for key in calibration.parameters.keys.sorted() {
            t.append([
                key, Format.significant(calibration.parameters[key]!, 4),
                costModel.defaultParameter(key).map { Format.significant($0, 4) } ?? "-",
            ])
        }
        var text = t.render()
        text +=
            "\n\nfit: objective \(Format.significant(calibration.objective ?? .nan, 4)), \(calibration.status ?? "")"
        text += ", \(calibration.data?.used ?? 0) of \(rows.count) rows priced"
        text += "\nmedian |error| on these rows:"
        for (key, value) in (calibration.medianAbsPctError ?? [:]).sorted(by: { $0.key < $1.key }) {
            text += "\n  \(key): \(Format.fixed(value, 1))%"
        }
        for note in calibration.notes ?? [] { text += "\nnote: \(note)" }
        if output.out == nil { text += "\n\n(pass --out calibration.json to save it for `t2 cost --calibration`)" }
        Console.output(text)
    }
}
