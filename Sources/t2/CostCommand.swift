import ArgumentParser
import Foundation
import InferenceCost
import Tabular

extension Concurrency: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
}

extension MeasurementSplit: ExpressibleByArgument {}

extension ImageResolution: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
}

/// Which catalog `--list` prints.
enum CatalogList: String, ExpressibleByArgument, CaseIterable, Sendable {
    case hardware, models, quants, engines, kv
    case imageModels = "image-models"
}

/// Which half of a `--split` to use.
enum SplitHalf: String, ExpressibleByArgument, CaseIterable, Sendable {
    case a, b
}

/// `t2 cost`: memory fit, speed and price of serving a language or image model.
struct CostCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cost",
        abstract:
            "What a token or an image costs: memory fit, speed, $/M tokens, $/image and energy for a model on hardware.",
        discussion: """
            Prices one deployment with a roofline model whose efficiencies are calibrated on \
            published measurements. Language models: weights and KV cache read per decode step, \
            prompt FLOPs per prefill. Image (diffusion) models: steps × denoiser FLOPs over the \
            image tokens (attention quadratic in them) + text encoding + VAE decoding.

            Examples:
              t2 cost --model llama-3-70b --quant q4_k_m --hardware m3-max-40c-64gb
              t2 cost --model llama-3.3-70b --quant fp8 --hardware h100-sxm --gpus 2 --engine tensorrt-llm --concurrency max
              t2 cost --params 7e9 --quant fp8 --hardware h200 --concurrency 64
              t2 cost --model flux-1-dev --hardware h100-sxm --resolution 1024x1024 --steps 28
              t2 cost --model flux-1-dev --hardware h100-sxm --compare model=flux-1-schnell,steps=4
              t2 cost --model llama-3.1-8b --quant q4_k_m --hardware local        (this machine's CPU)
              t2 cost --model llama-3.1-8b --quant fp8 --hardware h100-sxm --concurrency max --compare hardware=h200
              t2 cost --list hardware
              t2 cost --validate measurements.csv --format json
              t2 cost --validate measurements.csv --calibration half-a.json --split rows --half b

            --compare takes 'key=value,...' with keys model, params, quant, hardware, gpus, engine, \
            concurrency, input-tokens, output-tokens, usd-per-hour, kv-cache, resolution, steps, \
            tokens-per-image; each compared deployment is the main one with those values changed, \
            and the ratios announcements quote are printed: % cheaper per M tokens, % faster, × \
            throughput per GPU, × tokens (images) per dollar.

            Prices: $/M output tokens = $/hour ÷ (output tokens/s × 3600) × 10⁶ with the catalog's \
            $/GPU-hour (or --usd-per-hour); $/image = $/hour ÷ (images/s × 3600); $/M image tokens = \
            $/image ÷ image tokens × 10⁶, where image tokens are latent patches, (W/f/p)·(H/f/p) \
            for VAE downsampling f and patch size p (--tokens-per-image for providers who count \
            differently). Apple machines and most consumer GPUs have no rental price: pass one.

            --hardware local describes this machine (CPU model, cores, memory) and measures its \
            memory bandwidth once (about 2 s), cached in $T2_LOCAL_HARDWARE or \
            ~/.cache/t2/local-hardware.json — a catalog file you can edit.
            """
    )

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Model from the catalog: a language model (--list models) or an image model (--list image-models).",
            valueName: "name"
        )
    )
    var model: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Instead of --model: a Llama-shaped dense language model with this many parameters (e.g. 7e9).",
            valueName: "N"
        )
    )
    var params: Double?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Weight format: f16, bf16, fp8, int8, q8_0, q6_k, q5_k_m, q4_k_m, q4_0, int4-awq, fp4 … (see --list quants; image models default to bf16).",
            valueName: "name"
        )
    )
    var quant: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Device: h100-sxm, rtx-4090, m3-max-40c-64gb, epyc-9654 … (see --list hardware), or 'local' for this machine.",
            valueName: "name"
        )
    )
    var hardware: String?

    @Option(
        name: .long,
        help: "Number of devices (tensor parallel, layer split for llama.cpp, one copy each for image engines)."
    )
    var gpus: Int = 1

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Serving engine: llama.cpp, llama-cpp-python, vllm, tensorrt-llm, sglang, mlx; for images diffusers, tensorrt-diffusion (default: llama.cpp on Apple, CPUs and GGUF formats, vllm otherwise, diffusers for images).",
            valueName: "name"
        )
    )
    var engine: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Concurrent requests (images in flight per device for image models), or 'max' for the most that fit.",
            valueName: "n|max"
        )
    )
    var concurrency: Concurrency = .fixed(1)

    @Option(name: .long, help: "Language models: prompt tokens per request (default 1024).")
    var inputTokens: Int?

    @Option(name: .long, help: "Language models: generated tokens per request (default 256).")
    var outputTokens: Int?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Image models: image size WIDTHxHEIGHT in pixels (default: the model's, usually 1024x1024).",
            valueName: "WxH"
        )
    )
    var resolution: ImageResolution?

    @Option(name: .long, help: "Image models: denoising steps (default: the model's, e.g. 28 for flux-1-dev).")
    var steps: Int?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Image models: tokens a provider bills per image, for $/M image tokens (default: latent patches).",
            valueName: "n"
        )
    )
    var tokensPerImage: Double?

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
        help: ArgumentHelp(
            "List a catalog: hardware, models, image-models, quants, engines or kv.",
            valueName: "catalog"
        )
    )
    var list: CatalogList?

    @Option(
        name: .customLong("validate"),
        help: ArgumentHelp(
            "Predict every row of a measurements CSV (any size: rows are streamed), or of a `t2 bench --format json` report labelled with --hardware, --engine, --quant, and report the errors.",
            valueName: "csv"
        )
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

    @Option(name: .long, help: ArgumentHelp("With --split: which half (a or b; default b).", valueName: "a|b"))
    var half: SplitHalf?

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

    /// The largest --tokens-per-image accepted.
    static let largestTokensPerImage = 1e9

    func validate() throws {
        let modes = [list != nil, validateFile != nil].filter { $0 }.count
        if modes > 1 { throw ValidationError("--list and --validate cannot be combined; run them separately") }
        if gpus < 1 || gpus > CostModel.largestDeviceCount {
            throw ValidationError("--gpus must be 1 to \(CostModel.largestDeviceCount) (got \(gpus))")
        }
        if case .fixed(let n) = concurrency, n > CostModel.largestConcurrency {
            throw ValidationError("--concurrency must be at most \(CostModel.largestConcurrency) (got \(n)), or 'max'")
        }
        for (flag, value) in [("--input-tokens", inputTokens), ("--output-tokens", outputTokens)] {
            guard let value else { continue }
            if value < 0 { throw ValidationError("\(flag) cannot be negative (got \(value))") }
            if value > CostModel.largestTokenCount {
                throw ValidationError(
                    "\(flag) must be at most \(CostModel.largestTokenCount) tokens per request (got \(value))"
                )
            }
        }
        if (inputTokens ?? 1024) + (outputTokens ?? 256) == 0 {
            throw ValidationError("--input-tokens and --output-tokens cannot both be 0")
        }
        if let steps, steps < 1 || steps > CostModel.largestStepCount {
            throw ValidationError("--steps must be 1 to \(CostModel.largestStepCount) denoising steps (got \(steps))")
        }
        if let tokensPerImage, !(tokensPerImage > 0 && tokensPerImage <= Self.largestTokensPerImage) {
            throw ValidationError("--tokens-per-image must be a count > 0 and at most 1e9 (got \(tokensPerImage))")
        }
        if let usdPerHour, !(usdPerHour > 0 && usdPerHour.isFinite) {
            throw ValidationError("--usd-per-hour must be a price > 0 (got \(usdPerHour))")
        }
        if let params, !(params > 0 && params.isFinite && params < 1e15) {
            throw ValidationError("--params must be a parameter count > 0 and below 1e15, e.g. 7e9 (got \(params))")
        }
        if model != nil && params != nil { throw ValidationError("give --model or --params, not both") }
        if split != nil && validateFile == nil { throw ValidationError("--split needs --validate") }
        if half != nil && split == nil {
            throw ValidationError("--half needs --split (rows or hardware): it picks which half of the split to use")
        }
        if modes == 0 {
            if model == nil && params == nil {
                throw ValidationError("missing --model (or --params); `t2 cost --list models` shows the models")
            }
            if hardware == nil {
                throw ValidationError("missing --hardware; `t2 cost --list hardware` shows the devices")
            }
        } else if !compare.isEmpty {
            throw ValidationError("--compare prices deployments; it cannot be combined with --list or --validate")
        }
        for spec in compare { _ = try Self.parseChanges(spec) }
    }

    func run() throws {
        var costModel = try Self.loadModel(
            catalog: catalog,
            calibration: calibration,
            localHardware: Self.usesLocal(hardware, compare)
        )
        if let list {
            try emitList(list, costModel.catalog)
            return
        }
        if let validateFile {
            try runValidation(validateFile, costModel)
            return
        }
        let base = try estimate(&costModel, changes: [:])
        if compare.isEmpty {
            try emitEstimate(base)
            return
        }
        var others: [(changes: String, estimate: AnyCostEstimate)] = []
        for spec in compare {
            let changes = try Self.parseChanges(spec)
            others.append((Self.describe(changes), try estimate(&costModel, changes: changes)))
        }
        try emitComparison(try CostComparison(baseline: base, others: others))
    }

    // MARK: building deployments

    static let changeKeys = [
        "model", "params", "quant", "hardware", "gpus", "engine", "concurrency", "input-tokens",
        "output-tokens", "usd-per-hour", "kv-cache", "resolution", "steps", "tokens-per-image",
    ]

    /// Parses `key=value,key=value`, checking every value's range (so a huge number is a usage
    /// error, not an overflow later).
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
                let hint = changeKeys.min { editDistance($0, pieces[0]) < editDistance($1, pieces[0]) } ?? ""
                throw ValidationError(
                    "--compare '\(spec)': unknown key '\(pieces[0])' (did you mean '\(hint)'? keys: \(changeKeys.joined(separator: ", ")))"
                )
            }
            changes[pieces[0]] = pieces[1]
        }
        guard !changes.isEmpty else {
            throw ValidationError("--compare needs key=value changes, e.g. --compare hardware=h200")
        }
        for (key, text) in changes {
            switch key {
            case "gpus": _ = try integer(key, text, 1, CostModel.largestDeviceCount)
            case "input-tokens", "output-tokens": _ = try integer(key, text, 0, CostModel.largestTokenCount)
            case "steps": _ = try integer(key, text, 1, CostModel.largestStepCount)
            case "concurrency":
                guard let c = Concurrency(text) else {
                    throw ValidationError("--compare concurrency=\(text): expected a whole number ≥ 1 or 'max'")
                }
                if case .fixed(let n) = c, n > CostModel.largestConcurrency {
                    throw ValidationError(
                        "--compare concurrency=\(text): expected at most \(CostModel.largestConcurrency) or 'max'"
                    )
                }
            case "params": _ = try positive(key, text, 1e15)
            case "usd-per-hour": _ = try positive(key, text, 1e9)
            case "tokens-per-image": _ = try positive(key, text, largestTokensPerImage)
            case "resolution":
                guard ImageResolution(text) != nil else {
                    throw ValidationError("--compare resolution=\(text): expected WIDTHxHEIGHT, e.g. 1024x1024")
                }
            default: break
            }
        }
        return changes
    }

    static func integer(_ key: String, _ text: String, _ minimum: Int, _ maximum: Int) throws -> Int {
        guard let value = Int(text), value >= minimum, value <= maximum else {
            throw ValidationError("--compare \(key)=\(text): expected a whole number from \(minimum) to \(maximum)")
        }
        return value
    }

    static func positive(_ key: String, _ text: String, _ maximum: Double) throws -> Double {
        guard let value = Double(text), value.isFinite, value > 0, value <= maximum else {
            throw ValidationError("--compare \(key)=\(text): expected a number > 0 and at most \(maximum)")
        }
        return value
    }

    static func describe(_ changes: [String: String]) -> String {
        changes.map { "\($0)=\($1)" }.sorted().joined(separator: ",")
    }

    /// Whether `--hardware local` (also in a comma list) or a compared `hardware=local` is asked for.
    static func usesLocal(_ hardware: String?, _ compare: [String]) -> Bool {
        let names = (hardware ?? "").lowercased().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        if names.contains(LocalHardware.name) { return true }
        return compare.contains { $0.lowercased().contains("hardware=\(LocalHardware.name)") }
    }

    /// Prices the main deployment with `changes` applied: an image model when the model is one.
    func estimate(_ costModel: inout CostModel, changes: [String: String]) throws -> AnyCostEstimate {
        var modelName = model
        var paramCount = params
        if let m = changes["model"] {
            modelName = m
            paramCount = nil
        }
        if let p = changes["params"] {
            paramCount = Double(p)
            modelName = nil
        }
        let conc = changes["concurrency"].flatMap { Concurrency($0) } ?? concurrency
        let price = changes["usd-per-hour"].flatMap(Double.init) ?? usdPerHour
        let device = changes["hardware"] ?? hardware ?? ""
        let deviceCount = changes["gpus"].flatMap { Int($0) } ?? gpus
        let engineName = changes["engine"] ?? engine
        let quantName = changes["quant"] ?? quant
        if paramCount == nil, let name = modelName, costModel.catalog.isImageModel(name) {
            if inputTokens != nil || outputTokens != nil || changes["input-tokens"] != nil
                || changes["output-tokens"] != nil || kvCache != nil || changes["kv-cache"] != nil
            {
                throw ValidationError(
                    "'\(name)' is an image model: it takes --resolution, --steps and --tokens-per-image, not --input-tokens, --output-tokens or --kv-cache"
                )
            }
            let d = try costModel.imageDeployment(
                model: name,
                quant: quantName,
                hardware: device,
                engine: engineName,
                gpus: deviceCount,
                concurrency: conc,
                resolution: changes["resolution"].flatMap { ImageResolution($0) } ?? resolution,
                steps: changes["steps"].flatMap { Int($0) } ?? steps,
                usdPerHour: price,
                tokensPerImage: changes["tokens-per-image"].flatMap(Double.init) ?? tokensPerImage
            )
            return .image(try costModel.estimate(d))
        }
        if resolution != nil || steps != nil || tokensPerImage != nil || changes["resolution"] != nil
            || changes["steps"] != nil || changes["tokens-per-image"] != nil
        {
            throw ValidationError(
                "--resolution, --steps and --tokens-per-image price image models; '\(modelName ?? "the --params model")' is a language model (image models: t2 cost --list image-models)"
            )
        }
        guard let quantName else {
            throw ValidationError("missing --quant; `t2 cost --list quants` shows the formats")
        }
        let architecture: ModelArchitecture
        if let paramCount {
            architecture = ModelArchitecture.llamaShaped(params: paramCount)
        } else {
            architecture = try costModel.catalog.model(named: modelName ?? "")
        }
        let d = try costModel.deployment(
            model: architecture,
            quant: quantName,
            hardware: device,
            engine: engineName,
            gpus: deviceCount,
            concurrency: conc,
            inputTokens: changes["input-tokens"].flatMap { Int($0) } ?? inputTokens ?? 1024,
            outputTokens: changes["output-tokens"].flatMap { Int($0) } ?? outputTokens ?? 256,
            kvCache: changes["kv-cache"] ?? kvCache,
            usdPerHour: price
        )
        return .text(try costModel.estimate(d))
    }

    /// The cost model with the user's catalog and calibration (and this machine as `local` when
    /// asked for).
    static func loadModel(
        catalog path: String?,
        calibration calibrationPath: String?,
        localHardware: Bool = false
    ) throws -> CostModel {
        var catalog = try path.map { try Catalog.builtIn(mergedWith: $0) } ?? .builtIn
        if localHardware {
            let cache = LocalHardware.defaultPath()
            let (entry, created) = try LocalHardware.load(path: cache)
            if created {
                Console.note(
                    "described this machine and measured \(Format.significant(entry.bandwidthGBps, 3)) GB/s memory bandwidth; saved as \(cache) (edit it, or delete it to measure again)"
                )
            }
            try catalog.merge(CatalogFile(hardware: [entry]), source: cache)
        }
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
            try AtomicFile.write((output.format == .table ? (json ?? text) : text) + "\n", to: out)
        }
    }

    /// The catalog as a table (the same columns serve `--format csv`).
    static func listTable(_ kind: CatalogList, _ catalog: Catalog) -> (table: TextTable, footer: String?) {
        switch kind {
        case .hardware:
            var t = TextTable([
                ("name", .left), ("class", .left), ("memory GB", .right), ("usable", .right), ("GB/s", .right),
                ("fp16 TFLOPS", .right), ("fp8", .right), ("int8", .right), ("cores", .right), ("W", .right),
                ("$/hour", .right),
            ])
            for h in catalog.hardware {
                t.append([
                    h.name, h.hardwareClass, Format.significant(h.memoryGB, 3),
                    Format.percent(h.usableMemoryFraction, 0), Format.significant(h.bandwidthGBps, 4),
                    (h.peakTFLOPS["fp16"] ?? h.peakTFLOPS["vector"]).map { Format.significant($0, 4) } ?? "-",
                    h.peakTFLOPS["fp8"].map { Format.significant($0, 4) } ?? "-",
                    h.peakTFLOPS["int8"].map { Format.significant($0, 4) } ?? "-",
                    h.cores.map { Format.whole($0) } ?? "-",
                    h.powerW.map { Format.significant($0, 3) } ?? "-", h.usdPerHour.map { Format.fixed($0, 2) } ?? "-",
                ])
            }
            return (t, "(CPUs list their FP32 vector peak under fp16; --hardware local adds this machine)")
        case .models:
            var t = TextTable([
                ("name", .left), ("params", .right), ("active", .right), ("layers", .right), ("hidden", .right),
                ("heads", .right), ("kv heads", .right), ("head dim", .right), ("ffn", .right), ("vocab", .right),
            ])
            for m in catalog.models {
                t.append([
                    m.name, Format.count(m.totalParams), Format.count(m.activeParams ?? m.totalParams),
                    Format.whole(m.layers), Format.whole(m.hidden), Format.whole(m.heads), Format.whole(m.kvHeads),
                    Format.whole(m.headDim), Format.whole(m.ffn), Format.whole(m.vocab),
                ])
            }
            return (
                t,
                "(any size: --params N prices a Llama-shaped model of N parameters; image models: --list image-models)"
            )
        case .imageModels:
            var t = TextTable([
                ("name", .left), ("architecture", .left), ("params", .right), ("image tokens @1024²", .right),
                ("steps", .right), ("guidance passes", .right), ("GFLOP/step @1024²", .right),
            ])
            for m in catalog.imageModels {
                let tokens = m.imageTokens(width: 1024, height: 1024)
                t.append([
                    m.name, m.architecture, Format.count(m.params), Format.whole(tokens),
                    Format.whole(m.defaultSteps), Format.whole(m.guidanceForwards, 2),
                    Format.significant(m.guidanceForwards * m.forwardFLOPs(imageTokens: tokens) / 1e9, 4),
                ])
            }
            return (t, "(image tokens are latent patches: (W/f/p)·(H/f/p); --tokens-per-image bills another count)")
        case .quants:
            var t = TextTable([
                ("name", .left), ("bits/weight", .right), ("block bits", .right), ("family", .left), ("GEMM", .left),
            ])
            for q in catalog.quantizations {
                t.append([
                    q.name, Format.fixed(q.bitsPerWeight, 4), q.blockBitsPerWeight.map { Format.fixed($0, 4) } ?? "-",
                    q.family, q.computePrecision,
                ])
            }
            return (t, nil)
        case .engines:
            var t = TextTable([
                ("name", .left), ("serves", .left), ("multi-GPU", .left), ("max batch", .right), ("KV", .left),
                ("hardware classes", .left),
            ])
            for e in catalog.engines {
                t.append([
                    e.name, e.modality ?? "text", e.multiGPU.rawValue, Format.significant(e.maxBatch, 4),
                    e.defaultKVCache,
                    e.profiles.keys.sorted().joined(separator: " "),
                ])
            }
            return (t, nil)
        case .kv:
            var t = TextTable([("name", .left), ("bytes/element", .right)])
            for k in catalog.kvCachePrecisions { t.append([k.name, Format.significant(k.bytesPerElement, 4)]) }
            return (t, nil)
        }
    }

    func emitList(_ kind: CatalogList, _ catalog: Catalog) throws {
        switch output.format {
        case .json:
            let listing = CatalogListing(kind.rawValue, catalog)
            let json = try JSONOutput.encode(listing)
            try emit(json, json: json)
        case .csv:
            try emit(Self.listTable(kind, catalog).table.csv, json: nil)
        case .table:
            let (table, footer) = Self.listTable(kind, catalog)
            let text = table.render() + (footer.map { "\n" + $0 } ?? "")
            try emit(text, json: try JSONOutput.encode(CatalogListing(kind.rawValue, catalog)))
        }
    }

    /// `--validate`: rows are read, predicted and written one at a time (memory stays bounded
    /// whatever the file's size), except with `--split`, which needs every row to cut halves.
    func runValidation(_ path: String, _ costModel: CostModel) throws {
        var validator = CostModel.Validator(model: costModel)
        let writer = try output.out.map { try AtomicFileWriter(path: $0) }
        let format = output.format
        var table: [ValidationRow]? = []
        let tableLimit = 2000
        var firstJSONRow = true
        let rowEncoder = JSONEncoder()
        rowEncoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        rowEncoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf",
            negativeInfinity: "-inf",
            nan: "nan"
        )
        var pending = ""
        func put(_ text: String, toStdout: Bool = true) throws {
            if toStdout {
                pending += text
                if pending.utf8.count > 1 << 16 {
                    FileHandle.standardOutput.write(Data(pending.utf8))
                    pending = ""
                }
            }
            try writer?.write(text)
        }
        switch format {
        case .csv: try put(CSVWriter.line(ValidationRow.csvHeader))
        case .json: try put(Self.validationHeaderJSON)
        case .table: if writer != nil { try writer?.write(Self.validationHeaderJSON) }
        }
        let progress = ProgressLine("t2 cost --validate")
        func handle(_ m: InferenceCost.Measurement) throws {
            let row = validator.add(m)
            progress.update("\(validator.rows) rows validated")
            switch format {
            case .csv:
                try put(CSVWriter.line(row.csvFields))
            case .json, .table:
                let encoded = String(decoding: try rowEncoder.encode(row), as: UTF8.self)
                try put((firstJSONRow ? "    " : ",\n    ") + encoded, toStdout: format == .json)
                firstJSONRow = false
                if format == .table, table != nil {
                    table!.append(row)
                    if table!.count > tableLimit { table = nil }
                }
            }
        }
        if let split {
            let all = try InferenceCost.Measurement.read(contentsOf: path)
            let halves = split.halves(of: all, seed: splitSeed)
            let chosen = (half ?? .b) == .a ? halves.a : halves.b
            Console.note(
                "validating on \(split.rawValue) half \((half ?? .b).rawValue) (seed \(splitSeed)): \(chosen.count) of \(all.count) rows"
            )
            for m in chosen { try handle(m) }
        } else if let rows = try benchRows(path) {
            for m in rows { try handle(m) }
        } else {
            try InferenceCost.Measurement.stream(contentsOf: path) { try handle($0) }
        }
        progress.finish()
        let summary = validator.summary()
        let footer = try Self.validationFooterJSON(summary)
        switch format {
        case .csv: break
        case .json: try put("\n  ],\n" + footer)
        case .table: if writer != nil { try writer?.write("\n  ],\n" + footer) }
        }
        FileHandle.standardOutput.write(Data(pending.utf8))
        pending = ""
        if format == .table {
            Console.output(Self.validationTable(table, summary, rows: validator.rows, limit: tableLimit))
        }
        guard validator.rows > 0 else {
            throw TabularError(
                file: path,
                problem: "has no measurement rows (only a header)",
                hint: "Add rows with the columns \(InferenceCost.Measurement.columns.joined(separator: ","))"
            )
        }
        guard validator.rows > validator.unpriceable else {
            throw TabularError(
                file: path,
                problem:
                    "no row could be priced (\(validator.unpriceable) rows name unknown models, hardware, formats or engines)",
                hint: "See the reasons above; `t2 cost --list …` shows the catalog, --catalog FILE adds entries"
            )
        }
        try writer?.commit()
    }

    /// The start of the streamed `t2.cost-validate/1` document: its schema, then the rows.
    static let validationHeaderJSON = "{\n  \"schema\" : \"\(ValidationReport.schemaName)\",\n  \"rows\" : [\n"

    /// The rows of a `t2 bench --format json` report given to `--validate`, labelled by
    /// `--hardware`, `--engine`, `--quant` (and `--model`, `--gpus`); nil for a CSV file.
    func benchRows(_ path: String) throws -> [InferenceCost.Measurement]? {
        guard path != "-", let handle = FileHandle(forReadingAtPath: path) else { return nil }
        let head = handle.readData(ofLength: 4096)
        try? handle.close()
        guard BenchMeasurements.looksLikeJSON(head) else { return nil }
        guard let hardware, let engine, let quant else {
            throw ValidationError(
                "\(path) is a bench report: say where and how the server ran with --hardware, --engine and --quant (e.g. --hardware local --engine llama-cpp-python --quant q4_1)"
            )
        }
        return try BenchMeasurements.measurements(
            fromBenchJSON: try InputFile.read(path, limit: 1 << 30),
            source: path,
            labels: BenchMeasurements.Labels(hardware: hardware, gpus: gpus, engine: engine, model: model, quant: quant)
        )
    }

    static func validationFooterJSON(
        _ summary: (medianAbsPctError: [String: Double], counts: [String: Int], unpriceable: Int)
    ) throws -> String {
        struct Footer: Encodable {
            var medianAbsPctError: [String: Double]
            var counts: [String: Int]
            var unpriceable: Int
            enum CodingKeys: String, CodingKey {
                case counts
                case unpriceable
                case medianAbsPctError = "median_abs_pct_error"
            }
        }
        let json = try JSONOutput.encode(
            Footer(
                medianAbsPctError: summary.medianAbsPctError,
                counts: summary.counts,
                unpriceable: summary.unpriceable
            )
        )
        // The footer's members continue the object whose "rows" were streamed first.
        return String(json.dropFirst(2)) + "\n"
    }

    static func validationTable(
        _ rows: [ValidationRow]?,
        _ summary: (medianAbsPctError: [String: Double], counts: [String: Int], unpriceable: Int),
        rows count: Int,
        limit: Int
    ) -> String {
        var text = ""
        if let rows {
            var t = TextTable([
                ("id", .left), ("metric", .left), ("measured", .right), ("predicted", .right), ("error", .right),
            ])
            for r in rows {
                t.append([
                    r.id, r.metric, Format.significant(r.measured, 4),
                    r.predicted.map { Format.significant($0, 4) } ?? "unpriceable",
                    r.errorPct.map { Format.fixed($0, 1) + "%" } ?? (r.reason ?? ""),
                ])
            }
            text = t.render() + "\n\n"
        } else {
            text = "\(count) rows (more than \(limit): per-row results with --format csv or json)\n\n"
        }
        text += "median |error|:"
        for key in summary.medianAbsPctError.keys.sorted() {
            text +=
                "\n  \(key): \(Format.fixed(summary.medianAbsPctError[key]!, 1))% (\(summary.counts[key] ?? 0) rows)"
        }
        if summary.unpriceable > 0 {
            text += "\n  \(summary.unpriceable) rows could not be priced (unknown names; see the reasons)"
        }
        return text
    }

    /// A token count: whole numbers without a decimal point.
    static func tokenCount(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : Format.significant(v, 6)
    }

    static func summaryRows(_ estimate: AnyCostEstimate) -> [(String, String)] {
        func opt(_ v: Double?, _ f: (Double) -> String) -> String { v.map(f) ?? "-" }
        let money: (Double) -> String = { "$" + Format.significant($0, 3) }
        switch estimate {
        case .text(let e):
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
                (
                    "KV cache",
                    "\(Format.significant(e.kvCacheMBPerToken, 3)) MB/token; max concurrency \(e.maxConcurrency)"
                ),
                ("TTFT", opt(e.ttftMs) { Format.significant($0, 3) + " ms" }),
                ("ITL", opt(e.itlMs) { Format.significant($0, 3) + " ms" }),
                ("decode tokens/s per user", opt(e.decodeTokensPerSecond) { Format.significant($0, 3) }),
                ("prefill tokens/s", opt(e.prefillTokensPerSecond) { Format.significant($0, 4) }),
                ("output tokens/s (all users)", opt(e.outputTokensPerSecond) { Format.significant($0, 4) }),
                ("output tokens/s per GPU", opt(e.outputTokensPerSecondPerGPU) { Format.significant($0, 4) }),
                ("decode step bound by", e.decodeBound),
                (
                    "compute cost",
                    opt(e.usdPerHour) { money($0) + "/hour" + (e.priceSource.map { " (\($0))" } ?? "") }
                ),
                ("FLOPS per dollar", opt(e.flopsPerDollar) { Format.scientific($0, 3) + " FLOP/$ (dense peak)" }),
                ("$/M output tokens", opt(e.usdPerMillionOutputTokens, money)),
                ("$/M input tokens", opt(e.usdPerMillionInputTokens, money)),
                ("energy", opt(e.joulesPerOutputToken) { Format.significant($0, 3) + " J/output token" }),
            ]
        case .image(let e):
            return [
                ("model", "\(e.model) (\(Format.count(e.params)) denoiser params)"),
                (
                    "weights",
                    "\(e.quant) (GEMMs in \(e.computePrecision)); \(Format.significant(e.guidanceForwards, 2)) denoiser pass(es) per step"
                ),
                ("hardware", "\(e.gpus) × \(e.hardware), engine \(e.engine)"),
                (
                    "image",
                    "\(e.resolution), \(e.steps) steps, \(Int(e.latentTokensPerImage)) latent patches (image tokens)"
                ),
                ("load", "\(e.concurrency) image(s) in flight per device; batch \(e.batch) of max \(e.maxBatch)"),
                ("fits", e.fits ? "yes" : "NO — does not fit"),
                (
                    "memory per device",
                    "\(Format.fixed(e.memoryNeededPerGPUGB, 1)) GB needed of \(Format.fixed(e.memoryUsablePerGPUGB, 1)) GB usable (weights \(Format.fixed(e.weightsGB, 1)) GB)"
                ),
                ("FLOPs per image", Format.scientific(e.flopsPerImage, 3)),
                ("seconds per image", opt(e.secondsPerImage) { Format.significant($0, 3) + " s" }),
                ("denoising step", opt(e.stepMs) { Format.significant($0, 3) + " ms (batch)" }),
                ("images/s (all devices)", opt(e.imagesPerSecond) { Format.significant($0, 3) }),
                ("images/s per GPU", opt(e.imagesPerSecondPerGPU) { Format.significant($0, 3) }),
                ("image tokens/s per GPU", opt(e.imageTokensPerSecondPerGPU) { Format.significant($0, 4) }),
                ("step bound by", e.stepBound),
                (
                    "compute cost",
                    opt(e.usdPerHour) { money($0) + "/hour" + (e.priceSource.map { " (\($0))" } ?? "") }
                ),
                ("$/image", opt(e.usdPerImage) { "$" + Format.significant($0, 3) }),
                (
                    "$/M image tokens",
                    opt(e.usdPerMillionImageTokens) {
                        money($0)
                            + " (\(Self.tokenCount(e.imageTokensPerImage)) tokens/image: \(e.imageTokensSource))"
                    }
                ),
                ("images per $", opt(e.imagesPerDollar) { Format.significant($0, 3) }),
                ("energy", opt(e.joulesPerImage) { Format.significant($0, 3) + " J/image" }),
            ]
        }
    }

    func emitEstimate(_ estimate: AnyCostEstimate) throws {
        let json = try JSONOutput.encode(estimate)
        switch output.format {
        case .json: try emit(json, json: json)
        case .csv:
            var csv = CSVWriter(header: ["quantity", "value"])
            for (k, v) in Self.summaryRows(estimate) { csv.append([k, v]) }
            try emit(String(csv.text.dropLast()), json: nil)
        case .table:
            var t = TextTable([("", .left), ("", .left)])
            for (k, v) in Self.summaryRows(estimate) { t.append([k, v]) }
            var text = t.render()
            let fits: Bool
            let price: Double?
            let device: String
            switch estimate {
            case .text(let e):
                fits = e.fits
                price = e.usdPerHour
                device = e.hardware
                if !fits {
                    text +=
                        "\n\nDoes not fit: \(Format.fixed(e.memoryNeededPerGPUGB, 1)) GB per device needed, \(Format.fixed(e.memoryUsablePerGPUGB, 1)) GB usable. Try a smaller --quant, more --gpus or other --hardware."
                }
            case .image(let e):
                fits = e.fits
                price = e.usdPerHour
                device = e.hardware
                if !fits {
                    text +=
                        "\n\nDoes not fit: \(Format.fixed(e.memoryNeededPerGPUGB, 1)) GB per device needed, \(Format.fixed(e.memoryUsablePerGPUGB, 1)) GB usable. Try --quant fp8 or other --hardware."
                }
            }
            if fits && price == nil {
                text += "\n\nNo public $/hour for \(device): pass --usd-per-hour to get prices."
            }
            try emit(text, json: json)
        }
    }

    /// Relative change b/a − 1 as a signed percentage (or a ratio beyond 2×).
    static func change(_ a: Double?, _ b: Double?) -> String {
        guard let a, let b, a > 0 else { return "-" }
        let r = b / a
        if r >= 2 || r <= 0.5 { return Format.significant(r, 2) + "×" }
        return (r >= 1 ? "+" : "") + Format.fixed((r - 1) * 100, 0) + "%"
    }

    /// The comparison as a table: one row per figure, a column per deployment and per change.
    static func comparisonTable(_ c: CostComparison) -> TextTable {
        var columns: [(String, TextTable.Alignment)] = [("", .left), ("A (main)", .right)]
        for i in c.compared.indices {
            let name = String(UnicodeScalar(UInt8(66 + min(i, 24))))
            columns += [(name, .right), ("\(name) vs A", .right)]
        }
        var t = TextTable(columns)
        let all = [c.baseline] + c.compared.map(\.estimate)
        func row(_ label: String, _ get: (AnyCostEstimate) -> Double?, _ f: (Double) -> String) {
            var cells = [label, get(c.baseline).map(f) ?? "-"]
            for e in all.dropFirst() { cells += [get(e).map(f) ?? "-", Self.change(get(c.baseline), get(e))] }
            t.append(cells)
        }
        func text(_ label: String, _ get: (AnyCostEstimate) -> String) {
            var cells = [label, get(c.baseline)]
            for e in all.dropFirst() { cells += [get(e), ""] }
            t.append(cells)
        }
        let sig: (Double) -> String = { Format.significant($0, 3) }
        let money: (Double) -> String = { "$" + Format.significant($0, 3) }
        text("deployment") { $0.label }
        switch c.baseline {
        case .text:
            func t(_ e: AnyCostEstimate) -> CostEstimate? { if case .text(let x) = e { return x } else { return nil } }
            text("engine, concurrency") { t($0).map { "\($0.engine), \($0.concurrency)" } ?? "" }
            text("fits") { t($0)?.fits == true ? "yes" : "NO" }
            row("$/M output tokens", { t($0)?.usdPerMillionOutputTokens }, money)
            row("$/M input tokens", { t($0)?.usdPerMillionInputTokens }, money)
            row("decode tok/s per user", { t($0)?.decodeTokensPerSecond }, sig)
            row("output tok/s per GPU", { t($0)?.outputTokensPerSecondPerGPU }, sig)
            row("output tok/s (all)", { t($0)?.outputTokensPerSecond }, sig)
            row("TTFT ms", { t($0)?.ttftMs }, sig)
            row("ITL ms", { t($0)?.itlMs }, sig)
            row("request latency s", { $0.latencySeconds }, sig)
            row("J/output token", { t($0)?.joulesPerOutputToken }, sig)
            row("$/hour", { t($0)?.usdPerHour }, money)
        case .image:
            func m(_ e: AnyCostEstimate) -> ImageCostEstimate? {
                if case .image(let x) = e { return x } else { return nil }
            }
            text("engine, batch") { m($0).map { "\($0.engine), \($0.batch)" } ?? "" }
            text("fits") { m($0)?.fits == true ? "yes" : "NO" }
            row("$/image", { m($0)?.usdPerImage }, { "$" + Format.significant($0, 3) })
            row("$/M image tokens", { m($0)?.usdPerMillionImageTokens }, money)
            row("image tokens/image", { m($0)?.imageTokensPerImage }, sig)
            row("seconds per image", { m($0)?.secondsPerImage }, sig)
            row("images/s per GPU", { m($0)?.imagesPerSecondPerGPU }, sig)
            row("images per $", { m($0)?.imagesPerDollar }, sig)
            row("FLOPs per image", { m($0)?.flopsPerImage }, { Format.scientific($0, 3) })
            row("J/image", { m($0)?.joulesPerImage }, sig)
            row("$/hour", { m($0)?.usdPerHour }, money)
        }
        return t
    }

    func emitComparison(_ c: CostComparison) throws {
        let json = try JSONOutput.encode(c)
        switch output.format {
        case .json:
            try emit(json, json: json)
        case .csv:
            var text = Self.comparisonTable(c).csv
            var ratios = CSVWriter(header: [
                "compared", "changes", "pct_cheaper_per_million_tokens", "pct_cheaper_per_image", "pct_faster",
                "latency_ratio", "throughput_per_gpu_ratio", "units_per_dollar_ratio",
            ])
            for (i, item) in c.compared.enumerated() {
                func f(_ v: Double?) -> String { v.map { String(format: "%.6g", $0) } ?? "" }
                let r = item.ratios
                ratios.append([
                    String(UnicodeScalar(UInt8(66 + min(i, 24)))), item.changes, f(r.pctCheaperPerMillionTokens),
                    f(r.pctCheaperPerImage), f(r.pctFaster), f(r.latencyRatio), f(r.throughputPerGPURatio),
                    f(r.unitsPerDollarRatio),
                ])
            }
            text += "\n" + ratios.text
            try emit(String(text.dropLast()), json: nil)
        case .table:
            var summary = Self.comparisonTable(c).render()
            for (i, item) in c.compared.enumerated() {
                let name = String(UnicodeScalar(UInt8(66 + min(i, 24))))
                summary +=
                    "\n\(name) (\(item.changes)) vs A: "
                    + (item.summary.isEmpty
                        ? "not comparable (a deployment does not fit or has no price)" : item.summary)
            }
            try emit(summary, json: json)
        }
    }
}

/// A catalog list as a document (`t2.cost-list/1`): entries use the keys of catalog files, so
/// an entry can be copied into a `--catalog` file and edited.
struct CatalogListing: Encodable {
    var schema = "t2.cost-list/1"
    var list: String
    var hardware: [Hardware]?
    var models: [ModelArchitecture]?
    var imageModels: [ImageModel]?
    var quantizations: [QuantizationFormat]?
    var engines: [Engine]?
    var kvCachePrecisions: [KVCachePrecision]?

    init(_ list: String, _ catalog: Catalog) {
        self.list = list
        switch CatalogList(rawValue: list) {
        case .hardware: hardware = catalog.hardware
        case .models: models = catalog.models
        case .imageModels: imageModels = catalog.imageModels
        case .quants: quantizations = catalog.quantizations
        case .engines: engines = catalog.engines
        case .kv: kvCachePrecisions = catalog.kvCachePrecisions
        case nil: break
        }
    }
}

extension TextTable {
    /// The table as CSV (RFC 4180, through ``CSVWriter``), with the column titles as header.
    var csv: String {
        var writer = CSVWriter(header: columns.map { $0.title.isEmpty ? "quantity" : $0.title })
        for row in rows {
            writer.append((0..<columns.count).map { $0 < row.count ? row[$0] : "" })
        }
        return writer.text
    }
}
