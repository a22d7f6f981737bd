import ArgumentParser
import Foundation
import InferenceCost
import Tabular

extension Concurrency: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
}

extension MeasurementSplit: ExpressibleByArgument {}

/// Which catalog `--list` prints.
enum CatalogList: String, ExpressibleByArgument, CaseIterable, Sendable {
    case hardware, models, quants, engines, kv
}

/// Which half of a `--split` to use.
enum SplitHalf: String, ExpressibleByArgument, CaseIterable, Sendable {
    case a, b
}

/// `t2 cost`: memory fit, speed and price of serving a model.
struct CostCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cost",
        abstract:
            "What a token costs: memory fit, prefill/decode speed, $/M tokens and J/token for a model on hardware.",
        discussion: """
            Prices one deployment with a roofline model (weights and KV cache read per decode step, \
            prompt FLOPs per prefill) whose efficiencies are calibrated on published measurements.

            Examples:
              t2 cost --model llama-3-70b --quant q4_k_m --hardware m3-max-40c-64gb
              t2 cost --model llama-3.3-70b --quant fp8 --hardware h100-sxm --gpus 2 --engine tensorrt-llm --concurrency max
              t2 cost --params 7e9 --quant fp8 --hardware h200 --concurrency 64
              t2 cost --model llama-3.1-8b --quant fp8 --hardware h100-sxm --concurrency max --compare hardware=h200 --compare quant=bf16
              t2 cost --list hardware
              t2 cost --validate measurements.csv --format json
              t2 cost --validate measurements.csv --calibration half-a.json --split rows --half b

            --compare takes 'key=value,...' with keys model, params, quant, hardware, gpus, engine, \
            concurrency, input-tokens, output-tokens, usd-per-hour, kv-cache; each compared \
            deployment is the main one with those values changed.

            Prices: $/M output tokens = $/hour ÷ (output tokens/s × 3600) × 10⁶ with the catalog's \
            $/GPU-hour (or --usd-per-hour). Apple machines have no rental price: pass one.
            """
    )

    @Option(
        name: .long,
        help: ArgumentHelp("Model architecture from the catalog (see --list models).", valueName: "name")
    )
    var model: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Instead of --model: a Llama-shaped dense model with this many parameters (e.g. 7e9).",
            valueName: "N"
        )
    )
    var params: Double?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Weight format: f16, bf16, fp8, int8, q8_0, q6_k, q5_k_m, q4_k_m, q4_0, int4-awq, fp4 … (see --list quants).",
            valueName: "name"
        )
    )
    var quant: String?

    @Option(
        name: .long,
        help: ArgumentHelp("Device: h100-sxm, rtx-4090, m3-max-40c-64gb … (see --list hardware).", valueName: "name")
    )
    var hardware: String?

    @Option(name: .long, help: "Number of devices (tensor parallel, or layer split for llama.cpp).")
    var gpus: Int = 1

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Serving engine: llama.cpp, vllm, tensorrt-llm, sglang, mlx (default: llama.cpp on Apple and for GGUF formats, else vllm).",
            valueName: "name"
        )
    )
    var engine: String?

    @Option(
        name: .long,
        help: ArgumentHelp("Concurrent requests, or 'max' for the most that fit in memory.", valueName: "n|max")
    )
    var concurrency: Concurrency = .fixed(1)

    @Option(name: .long, help: "Prompt tokens per request.")
    var inputTokens: Int = 1024

    @Option(name: .long, help: "Generated tokens per request.")
    var outputTokens: Int = 256

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Price per device-hour in $ (default: the catalog's public price, if any).",
            valueName: "usd"
        )
    )
    var usdPerHour: Double?

    @Option(
        name: .long,
        help: ArgumentHelp("KV-cache precision: f16, fp8, q8_0, q4_0 (default: the engine's).", valueName: "name")
    )
    var kvCache: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Compare with the main deployment changed by 'key=value,...' (repeatable).",
            valueName: "changes"
        )
    )
    var compare: [String] = []

    @Option(
        name: .long,
        help: ArgumentHelp("List a catalog: hardware, models, quants, engines or kv.", valueName: "catalog")
    )
    var list: CatalogList?

    @Option(
        name: .customLong("validate"),
        help: ArgumentHelp("Predict every row of a measurements CSV and report the errors.", valueName: "csv")
    )
    var validateFile: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "With --validate: use one half of the rows, split by 'rows' or 'hardware'.",
            valueName: "rows|hardware"
        )
    )
    var split: MeasurementSplit?

    @Option(name: .long, help: ArgumentHelp("With --split: which half (a or b).", valueName: "a|b"))
    var half: SplitHalf = .b

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

    @Option(
        name: .long,
        help: ArgumentHelp("Calibration JSON from `t2 calibrate` (default: the built-in one).", valueName: "file")
    )
    var calibration: String?

    @OptionGroup var output: OutputOptions

    init() {}

    func validate() throws {
        let modes = [list != nil, validateFile != nil].filter { $0 }.count
        if modes > 1 { throw ValidationError("--list and --validate cannot be combined; run them separately") }
        if gpus < 1 { throw ValidationError("--gpus must be at least 1 (got \(gpus))") }
        if inputTokens < 0 { throw ValidationError("--input-tokens cannot be negative (got \(inputTokens))") }
        if outputTokens < 0 { throw ValidationError("--output-tokens cannot be negative (got \(outputTokens))") }
        if inputTokens + outputTokens == 0 {
            throw ValidationError("--input-tokens and --output-tokens cannot both be 0")
        }
        if let usdPerHour, !(usdPerHour > 0 && usdPerHour.isFinite) {
            throw ValidationError("--usd-per-hour must be a price > 0 (got \(usdPerHour))")
        }
        if let params, !(params > 0 && params.isFinite) {
            throw ValidationError("--params must be a parameter count > 0, e.g. 7e9 (got \(params))")
        }
        if model != nil && params != nil { throw ValidationError("give --model or --params, not both") }
        if split != nil && validateFile == nil { throw ValidationError("--split needs --validate") }
        if modes == 0 {
            if model == nil && params == nil {
                throw ValidationError("missing --model (or --params); `t2 cost --list models` shows the models")
            }
            if quant == nil { throw ValidationError("missing --quant; `t2 cost --list quants` shows the formats") }
            if hardware == nil {
                throw ValidationError("missing --hardware; `t2 cost --list hardware` shows the devices")
            }
        } else if !compare.isEmpty {
            throw ValidationError("--compare prices deployments; it cannot be combined with --list or --validate")
        }
        for spec in compare { _ = try Self.parseChanges(spec) }
    }

    func run() throws {
        let costModel = try Self.loadModel(catalog: catalog, calibration: calibration)
        if let list {
            try emit(Self.renderList(list, costModel.catalog, format: output.format), json: nil)
            return
        }
        if let validateFile {
            var rows = try Measurement.read(contentsOf: validateFile)
            if let split {
                let halves = split.halves(of: rows, seed: splitSeed)
                rows = half == .a ? halves.a : halves.b
                Console.note(
                    "validating on \(split.rawValue) half \(half.rawValue) (seed \(splitSeed)): \(rows.count) rows"
                )
            }
            let report = costModel.validate(rows)
            try emitValidation(report)
            return
        }
        let base = try deployment(costModel)
        let baseEstimate = try costModel.estimate(base.deployment)
        if compare.isEmpty {
            try emitEstimate(baseEstimate)
            return
        }
        var others: [(String, CostEstimate)] = []
        for spec in compare {
            let changed = try deployment(costModel, changes: try Self.parseChanges(spec))
            others.append((spec, try costModel.estimate(changed.deployment)))
        }
        try emitComparison(base: baseEstimate, others: others)
    }

    // MARK: building deployments

    static let changeKeys = [
        "model", "params", "quant", "hardware", "gpus", "engine", "concurrency", "input-tokens",
        "output-tokens", "usd-per-hour", "kv-cache",
    ]

    /// Parses `key=value,key=value`.
    static func parseChanges(_ spec: String) throws -> [String: String] {
        var changes: [String: String] = [:]
        for part in spec.split(separator: ",") {
            let pieces = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pieces.count == 2, !pieces[0].isEmpty, !pieces[1].isEmpty else {
                throw ValidationError(
                    "--compare '\(spec)': '\(part)' is not key=value (keys: \(changeKeys.joined(separator: ", ")))"
                )
            }
            guard changeKeys.contains(pieces[0]) else {
                throw ValidationError(
                    "--compare '\(spec)': unknown key '\(pieces[0])' (keys: \(changeKeys.joined(separator: ", ")))"
                )
            }
            changes[pieces[0]] = pieces[1]
        }
        guard !changes.isEmpty else {
            throw ValidationError("--compare needs key=value changes, e.g. --compare hardware=h200")
        }
        return changes
    }

    func deployment(
        _ costModel: CostModel,
        changes: [String: String] = [:]
    ) throws -> (deployment: Deployment, label: String) {
        func int(_ key: String, _ fallback: Int, minimum: Int) throws -> Int {
            guard let text = changes[key] else { return fallback }
            guard let value = Int(text), value >= minimum else {
                throw ValidationError("--compare \(key)=\(text): expected a whole number ≥ \(minimum)")
            }
            return value
        }
        var modelName = model
        var paramCount = params
        if let m = changes["model"] {
            modelName = m
            paramCount = nil
        }
        if let p = changes["params"] {
            guard let value = Double(p), value > 0 else {
                throw ValidationError("--compare params=\(p): expected a parameter count > 0")
            }
            paramCount = value
            modelName = nil
        }
        var conc = concurrency
        if let c = changes["concurrency"] {
            guard let value = Concurrency(c) else {
                throw ValidationError("--compare concurrency=\(c): expected a whole number ≥ 1 or 'max'")
            }
            conc = value
        }
        var price = usdPerHour
        if let p = changes["usd-per-hour"] {
            guard let value = Double(p), value > 0 else {
                throw ValidationError("--compare usd-per-hour=\(p): expected a price > 0")
            }
            price = value
        }
        let architecture: ModelArchitecture
        if let paramCount {
            architecture = ModelArchitecture.llamaShaped(params: paramCount)
        } else {
            architecture = try costModel.catalog.model(named: modelName ?? "")
        }
        let d = try costModel.deployment(
            model: architecture,
            quant: changes["quant"] ?? quant ?? "",
            hardware: changes["hardware"] ?? hardware ?? "",
            engine: changes["engine"] ?? engine,
            gpus: try int("gpus", gpus, minimum: 1),
            concurrency: conc,
            inputTokens: try int("input-tokens", inputTokens, minimum: 0),
            outputTokens: try int("output-tokens", outputTokens, minimum: 0),
            kvCache: changes["kv-cache"] ?? kvCache,
            usdPerHour: price
        )
        return (d, changes.map { "\($0)=\($1)" }.sorted().joined(separator: ","))
    }

    /// The cost model with the user's catalog and calibration.
    static func loadModel(catalog path: String?, calibration calibrationPath: String?) throws -> CostModel {
        let catalog = try path.map { try Catalog.builtIn(mergedWith: $0) } ?? .builtIn
        var model = CostModel(catalog: catalog, calibration: .builtIn)
        if let calibrationPath {
            let calibration = try Calibration.read(contentsOf: calibrationPath)
            model.calibration = calibration
            try calibration.check(against: model, source: calibrationPath)
        }
        return model
    }

    // MARK: rendering

    func emit(_ text: String, json: String?) throws {
        Console.output(text)
        if let out = output.out {
            try AtomicFile.write((json ?? text) + "\n", to: out)
        }
    }

    static func renderList(_ kind: CatalogList, _ catalog: Catalog, format: OutputFormat) throws -> String {
        switch kind {
        case .hardware:
            if format == .json { return try JSONOutput.encode(catalog.hardware) }
            var t = TextTable([
                ("name", .left), ("class", .left), ("memory GB", .right), ("usable", .right), ("GB/s", .right),
                ("fp16 TFLOPS", .right), ("fp8", .right), ("fp4", .right), ("W", .right), ("$/hour", .right),
            ])
            for h in catalog.hardware {
                t.append([
                    h.name, h.hardwareClass, Format.significant(h.memoryGB, 3),
                    Format.percent(h.usableMemoryFraction, 0),
                    Format.significant(h.bandwidthGBps, 4),
                    h.peakTFLOPS["fp16"].map { Format.significant($0, 4) } ?? "-",
                    h.peakTFLOPS["fp8"].map { Format.significant($0, 4) } ?? "-",
                    h.peakTFLOPS["fp4"].map { Format.significant($0, 4) } ?? "-",
                    h.powerW.map { Format.significant($0, 3) } ?? "-", h.usdPerHour.map { Format.fixed($0, 2) } ?? "-",
                ])
            }
            return t.render()
        case .models:
            if format == .json { return try JSONOutput.encode(catalog.models) }
            var t = TextTable([
                ("name", .left), ("params", .right), ("active", .right), ("layers", .right), ("hidden", .right),
                ("heads", .right), ("kv heads", .right), ("head dim", .right), ("ffn", .right), ("vocab", .right),
            ])
            for m in catalog.models {
                t.append([
                    m.name, Format.count(m.totalParams), Format.count(m.activeParams ?? m.totalParams),
                    Format.significant(m.layers, 3),
                    Format.significant(m.hidden, 5), Format.significant(m.heads, 3), Format.significant(m.kvHeads, 3),
                    Format.significant(m.headDim, 3), Format.significant(m.ffn, 5), Format.significant(m.vocab, 6),
                ])
            }
            return t.render() + "\n(any size: --params N prices a Llama-shaped model of N parameters)"
        case .quants:
            if format == .json { return try JSONOutput.encode(catalog.quantizations) }
            var t = TextTable([
                ("name", .left), ("bits/weight", .right), ("block bits", .right), ("family", .left), ("GEMM", .left),
            ])
            for q in catalog.quantizations {
                t.append([
                    q.name, Format.fixed(q.bitsPerWeight, 4), q.blockBitsPerWeight.map { Format.fixed($0, 4) } ?? "-",
                    q.family, q.computePrecision,
                ])
            }
            return t.render()
        case .engines:
            if format == .json { return try JSONOutput.encode(catalog.engines) }
            var t = TextTable([
                ("name", .left), ("multi-GPU", .left), ("max batch", .right), ("KV", .left),
                ("hardware classes", .left),
            ])
            for e in catalog.engines {
                t.append([
                    e.name, e.multiGPU.rawValue, Format.significant(e.maxBatch, 4), e.defaultKVCache,
                    e.profiles.keys.sorted().joined(separator: ", "),
                ])
            }
            return t.render()
        case .kv:
            if format == .json { return try JSONOutput.encode(catalog.kvCachePrecisions) }
            var t = TextTable([("name", .left), ("bytes/element", .right)])
            for k in catalog.kvCachePrecisions { t.append([k.name, Format.significant(k.bytesPerElement, 4)]) }
            return t.render()
        }
    }

    func emitValidation(_ report: ValidationReport) throws {
        let json = try JSONOutput.encode(report)
        switch output.format {
        case .json:
            try emit(json, json: json)
        case .csv:
            var lines = ["id,metric,measured,predicted,error_pct,status"]
            for r in report.rows {
                lines.append(
                    [
                        r.id, r.metric, String(r.measured), r.predicted.map { String($0) } ?? "",
                        r.errorPct.map { String($0) } ?? "", r.status,
                    ].joined(separator: ",")
                )
            }
            try emit(lines.joined(separator: "\n"), json: nil)
        case .table:
            var t = TextTable([
                ("id", .left), ("metric", .left), ("measured", .right), ("predicted", .right), ("error", .right),
            ])
            for r in report.rows {
                t.append([
                    r.id, r.metric, Format.significant(r.measured, 4),
                    r.predicted.map { Format.significant($0, 4) } ?? "unpriceable",
                    r.errorPct.map { Format.fixed($0, 1) + "%" } ?? (r.reason ?? ""),
                ])
            }
            var text = t.render() + "\n\nmedian |error|:"
            for key in report.medianAbsPctError.keys.sorted() {
                text +=
                    "\n  \(key): \(Format.fixed(report.medianAbsPctError[key]!, 1))% (\(report.counts[key] ?? 0) rows)"
            }
            if report.unpriceable > 0 {
                text += "\n  \(report.unpriceable) rows could not be priced (unknown names; see above)"
            }
            try emit(text, json: json)
        }
    }

    static func summaryRows(_ e: CostEstimate) -> [(String, String)] {
        func opt(_ v: Double?, _ f: (Double) -> String) -> String { v.map(f) ?? "-" }
        let money: (Double) -> String = { "$" + Format.significant($0, 3) }
        return [
            (
                "model",
                "\(e.model) (\(Format.count(e.params)) params\(e.activeParams < e.params ? ", \(Format.count(e.activeParams)) active" : ""))"
            ),
            ("quantization", "\(e.quant) (GEMMs in \(e.computePrecision), KV cache \(e.kvCache))"),
            ("hardware", "\(e.gpus) × \(e.hardware), engine \(e.engine)"),
            ("load", "concurrency \(e.concurrency), \(e.inputTokens) in / \(e.outputTokens) out tokens"),
            ("fits", e.fits ? "yes" : "NO — does not fit"),
            (
                "memory per device",
                "\(Format.fixed(e.memoryNeededPerGPUGB, 1)) GB needed of \(Format.fixed(e.memoryUsablePerGPUGB, 1)) GB usable (weights \(Format.fixed(e.weightsGB, 1)) GB total)"
            ),
            ("KV cache", "\(Format.significant(e.kvCacheMBPerToken, 3)) MB/token; max concurrency \(e.maxConcurrency)"),
            ("TTFT", opt(e.ttftMs) { Format.significant($0, 3) + " ms" }),
            ("ITL", opt(e.itlMs) { Format.significant($0, 3) + " ms" }),
            ("decode tokens/s per user", opt(e.decodeTokensPerSecond) { Format.significant($0, 3) }),
            ("prefill tokens/s", opt(e.prefillTokensPerSecond) { Format.significant($0, 4) }),
            ("output tokens/s (all users)", opt(e.outputTokensPerSecond) { Format.significant($0, 4) }),
            ("output tokens/s per GPU", opt(e.outputTokensPerSecondPerGPU) { Format.significant($0, 4) }),
            ("decode step bound by", e.decodeBound),
            ("compute cost", opt(e.usdPerHour) { money($0) + "/hour" + (e.priceSource.map { " (\($0))" } ?? "") }),
            ("FLOPS per dollar", opt(e.flopsPerDollar) { Format.scientific($0, 3) + " FLOP/$ (dense peak)" }),
            ("$/M output tokens", opt(e.usdPerMillionOutputTokens, money)),
            ("$/M input tokens", opt(e.usdPerMillionInputTokens, money)),
            ("energy", opt(e.joulesPerOutputToken) { Format.significant($0, 3) + " J/output token" }),
        ]
    }

    func emitEstimate(_ e: CostEstimate) throws {
        let json = try JSONOutput.encode(e)
        switch output.format {
        case .json: try emit(json, json: json)
        case .csv:
            let rows = Self.summaryRows(e)
            try emit(
                (["quantity,value"] + rows.map { "\($0.0),\"\($0.1.replacingOccurrences(of: "\"", with: "'"))\"" })
                    .joined(separator: "\n"),
                json: nil
            )
        case .table:
            var t = TextTable([("", .left), ("", .left)])
            for (k, v) in Self.summaryRows(e) { t.append([k, v]) }
            var text = t.render()
            if !e.fits {
                text +=
                    "\n\nDoes not fit: \(Format.fixed(e.memoryNeededPerGPUGB, 1)) GB per device needed, \(Format.fixed(e.memoryUsablePerGPUGB, 1)) GB usable. Try a smaller --quant, more --gpus or other --hardware."
            } else if e.usdPerHour == nil {
                text += "\n\nNo public $/hour for \(e.hardware): pass --usd-per-hour to get $/M tokens."
            }
            try emit(text, json: json)
        }
    }

    /// Relative change b/a − 1 as a signed percentage.
    static func change(_ a: Double?, _ b: Double?) -> String {
        guard let a, let b, a > 0 else { return "-" }
        let r = b / a
        if r >= 2 || r <= 0.5 { return Format.significant(r, 2) + "×" }
        return (r >= 1 ? "+" : "") + Format.fixed((r - 1) * 100, 0) + "%"
    }

    func emitComparison(base: CostEstimate, others: [(String, CostEstimate)]) throws {
        struct Comparison: Encodable {
            var base: CostEstimate
            var compared: [Compared]
            struct Compared: Encodable {
                var changes: String
                var estimate: CostEstimate
                var relative: [String: Double]
            }
        }
        func ratio(_ a: Double?, _ b: Double?) -> Double? {
            guard let a, let b, a > 0 else { return nil }
            return b / a - 1
        }
        let compared = others.map { spec, e in
            Comparison.Compared(
                changes: spec,
                estimate: e,
                relative: [
                    "usdPerMillionOutputTokens": ratio(base.usdPerMillionOutputTokens, e.usdPerMillionOutputTokens),
                    "usdPerMillionInputTokens": ratio(base.usdPerMillionInputTokens, e.usdPerMillionInputTokens),
                    "decodeTokensPerSecond": ratio(base.decodeTokensPerSecond, e.decodeTokensPerSecond),
                    "outputTokensPerSecondPerGPU": ratio(
                        base.outputTokensPerSecondPerGPU,
                        e.outputTokensPerSecondPerGPU
                    ),
                    "ttftMs": ratio(base.ttftMs, e.ttftMs), "itlMs": ratio(base.itlMs, e.itlMs),
                    "joulesPerOutputToken": ratio(base.joulesPerOutputToken, e.joulesPerOutputToken),
                ].compactMapValues { $0 }
            )
        }
        let json = try JSONOutput.encode(Comparison(base: base, compared: compared))
        if output.format == .json {
            try emit(json, json: json)
            return
        }
        var columns: [(String, TextTable.Alignment)] = [("", .left), ("A (main)", .right)]
        for (i, _) in others.enumerated() {
            let name = String(UnicodeScalar(UInt8(66 + i)))
            columns += [(name, .right), ("\(name) vs A", .right)]
        }
        var t = TextTable(columns)
        func row(_ label: String, _ get: (CostEstimate) -> Double?, _ f: (Double) -> String) {
            var cells = [label, get(base).map(f) ?? "-"]
            for (_, e) in others { cells += [get(e).map(f) ?? "-", Self.change(get(base), get(e))] }
            t.append(cells)
        }
        func text(_ label: String, _ get: (CostEstimate) -> String) {
            var cells = [label, get(base)]
            for (_, e) in others { cells += [get(e), ""] }
            t.append(cells)
        }
        let sig: (Double) -> String = { Format.significant($0, 3) }
        let money: (Double) -> String = { "$" + Format.significant($0, 3) }
        text("deployment") { "\($0.model) \($0.quant) \($0.gpus)×\($0.hardware)" }
        text("engine, concurrency") { "\($0.engine), \($0.concurrency)" }
        text("fits") { $0.fits ? "yes" : "NO" }
        row("$/M output tokens", \.usdPerMillionOutputTokens, money)
        row("$/M input tokens", \.usdPerMillionInputTokens, money)
        row("decode tok/s per user", \.decodeTokensPerSecond, sig)
        row("output tok/s per GPU", \.outputTokensPerSecondPerGPU, sig)
        row("output tok/s (all)", \.outputTokensPerSecond, sig)
        row("TTFT ms", \.ttftMs, sig)
        row("ITL ms", \.itlMs, sig)
        row("J/output token", \.joulesPerOutputToken, sig)
        row("$/hour", \.usdPerHour, money)
        var summary = t.render()
        for (i, (spec, e)) in others.enumerated() {
            let name = String(UnicodeScalar(UInt8(66 + i)))
            var parts: [String] = []
            if let a = base.usdPerMillionOutputTokens, let b = e.usdPerMillionOutputTokens {
                parts.append(
                    b <= a / 2
                        ? "\(Format.significant(a / b, 2))× cheaper per output token"
                        : b <= a
                            ? "\(Format.fixed((1 - b / a) * 100, 0))% cheaper per output token"
                            : b >= 2 * a
                                ? "\(Format.significant(b / a, 2))× dearer per output token"
                                : "\(Format.fixed((b / a - 1) * 100, 0))% dearer per output token"
                )
            }
            if let a = base.decodeTokensPerSecond, let b = e.decodeTokensPerSecond {
                parts.append(
                    b >= 2 * a
                        ? "\(Format.significant(b / a, 2))× faster per user"
                        : b >= a
                            ? "\(Format.fixed((b / a - 1) * 100, 0))% faster per user"
                            : b <= a / 2
                                ? "\(Format.significant(a / b, 2))× slower per user"
                                : "\(Format.fixed((1 - b / a) * 100, 0))% slower per user"
                )
            }
            if let a = base.outputTokensPerSecondPerGPU, let b = e.outputTokensPerSecondPerGPU {
                parts.append("\(Format.significant(b / a, 2))× throughput per GPU")
            }
            summary +=
                "\n\(name) (\(spec)) vs A: "
                + (parts.isEmpty
                    ? "not comparable (a deployment does not fit or has no price)" : parts.joined(separator: ", "))
        }
        try emit(summary, json: json)
    }
}
