import Foundation

/// One deployment to price: a model served in a weight format on some devices by an engine
/// under a load.
public struct Deployment: Sendable, Equatable {
    public var model: ModelArchitecture
    public var quant: QuantizationFormat
    public var hardware: Hardware
    public var engine: Engine
    /// Devices (tensor parallel or layer split, per the engine).
    public var gpus: Int
    public var concurrency: Concurrency
    /// Prompt tokens per request.
    public var inputTokens: Int
    /// Generated tokens per request.
    public var outputTokens: Int
    /// KV-cache precision; nil = the engine's default.
    public var kvCache: KVCachePrecision?
    /// $/GPU-hour; nil = the hardware's catalog price.
    public var usdPerHour: Double?

    public init(
        model: ModelArchitecture,
        quant: QuantizationFormat,
        hardware: Hardware,
        engine: Engine,
        gpus: Int = 1,
        concurrency: Concurrency = .fixed(1),
        inputTokens: Int = 1024,
        outputTokens: Int = 256,
        kvCache: KVCachePrecision? = nil,
        usdPerHour: Double? = nil
    ) {
        self.model = model
        self.quant = quant
        self.hardware = hardware
        self.engine = engine
        self.gpus = gpus
        self.concurrency = concurrency
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.kvCache = kvCache
        self.usdPerHour = usdPerHour
    }
}

/// What a deployment costs and how fast it runs (the `t2.cost/1` document of a language model).
/// Speeds are nil when it does not fit; prices are nil without a $/hour (the catalog's or
/// `usdPerHour`).
public struct CostEstimate: Sendable, Codable, Equatable {
    /// `t2.cost/1`.
    public var schema = CostEstimate.schemaName
    /// `text` (this type) or `image` (``ImageCostEstimate``).
    public var modality = "text"
    public var model: String
    public var params: Double
    public var activeParams: Double
    public var quant: String
    public var hardware: String
    public var engine: String
    public var gpus: Int
    public var concurrency: String
    public var inputTokens: Int
    public var outputTokens: Int
    public var kvCache: String
    /// GEMM precision actually used on this hardware.
    public var computePrecision: String

    public var fits: Bool
    /// Weight bytes, GB (10⁹ B).
    public var weightsGB: Double
    /// KV cache per token, MB (10⁶ B).
    public var kvCacheMBPerToken: Double
    /// What one device needs (weights/G + overhead + one sequence's KV), GB.
    public var memoryNeededPerGPUGB: Double
    /// Usable memory of one device, GB.
    public var memoryUsablePerGPUGB: Double
    public var maxConcurrency: Int
    /// Sequences decoded together in this estimate.
    public var batch: Int

    public var ttftMs: Double?
    public var itlMs: Double?
    /// Per-user generation speed, 1/ITL.
    public var decodeTokensPerSecond: Double?
    /// Prompt processing speed of one request.
    public var prefillTokensPerSecond: Double?
    /// Aggregate output tokens/s of the deployment.
    public var outputTokensPerSecond: Double?
    public var outputTokensPerSecondPerGPU: Double?
    /// "memory" or "compute": what limits a decode step.
    public var decodeBound: String

    /// $/hour of all devices (compute cost).
    public var usdPerHour: Double?
    public var priceSource: String?
    /// $/hour ÷ (aggregate output tokens/s × 3600) × 10⁶ (NVIDIA's cost-per-token equation).
    public var usdPerMillionOutputTokens: Double?
    /// $/hour ÷ (prefill tokens/s × 3600) × 10⁶.
    public var usdPerMillionInputTokens: Double?
    /// Dense peak FLOP per dollar at the GEMM precision (FLOP/s × 3600 ÷ $/hour).
    public var flopsPerDollar: Double?
    /// Power (W) ÷ aggregate output tokens/s.
    public var joulesPerOutputToken: Double?
    public var powerW: Double?

    /// The schema string of a cost estimate.
    public static let schemaName = "t2.cost/1"

    enum CodingKeys: String, CodingKey {
        case schema
        case modality
        case model
        case params
        case activeParams = "active_params"
        case quant
        case hardware
        case engine
        case gpus
        case concurrency
        case inputTokens = "input_tokens"
        case outputTokens = "output_tokens"
        case kvCache = "kv_cache"
        case computePrecision = "compute_precision"
        case fits
        case weightsGB = "weights_gb"
        case kvCacheMBPerToken = "kv_cache_mb_per_token"
        case memoryNeededPerGPUGB = "memory_needed_per_gpu_gb"
        case memoryUsablePerGPUGB = "memory_usable_per_gpu_gb"
        case maxConcurrency = "max_concurrency"
        case batch
        case ttftMs = "ttft_ms"
        case itlMs = "itl_ms"
        case decodeTokensPerSecond = "decode_tokens_per_s"
        case prefillTokensPerSecond = "prefill_tokens_per_s"
        case outputTokensPerSecond = "output_tokens_per_s"
        case outputTokensPerSecondPerGPU = "output_tokens_per_s_per_gpu"
        case decodeBound = "decode_bound"
        case usdPerHour = "usd_per_hour"
        case priceSource = "price_source"
        case usdPerMillionOutputTokens = "usd_per_million_output_tokens"
        case usdPerMillionInputTokens = "usd_per_million_input_tokens"
        case flopsPerDollar = "flops_per_dollar"
        case joulesPerOutputToken = "joules_per_output_token"
        case powerW = "power_w"
    }
}

/// The cost model: a catalog plus a calibration. `estimate` prices one deployment; `pricer`
/// resolves names once for the planner's inner loop.
public struct CostModel: Sendable {
    public var catalog: Catalog
    public var calibration: Calibration

    public init(catalog: Catalog = .builtIn, calibration: Calibration = .builtIn) {
        self.catalog = catalog
        self.calibration = calibration
    }

    /// Efficiency parameter names for an (engine, hardware class, quant family).
    public static func parameterKeys(engine: String, hardwareClass: String, family: String) -> [String] {
        [
            "\(engine)/\(hardwareClass)/memEff", "\(engine)/\(hardwareClass)/computeEff",
            "\(engine)/\(hardwareClass)/stepOverheadMs", "quant/\(family)/dequantOps",
            "quant/\(family)/prefillEff", "overlap", "allReduceUs",
        ]
    }

    /// The catalog's default for a parameter name (see ``parameterKeys(engine:hardwareClass:family:)``).
    public func defaultParameter(_ key: String) -> Double? {
        let parts = key.split(separator: "/").map(String.init)
        if parts.count == 1 {
            switch key {
            case "overlap": return catalog.global.overlap
            case "allReduceUs": return catalog.global.allReduceUs
            default: return nil
            }
        }
        if parts.count == 3, parts[0] == "quant", let family = try? catalog.quantFamily(named: parts[1]) {
            return parts[2] == "dequantOps" ? family.dequantOps : parts[2] == "prefillEff" ? family.prefillEff : nil
        }
        // engine names may contain '/': take the last two components as class and field
        guard parts.count >= 3 else { return nil }
        let engineName = parts[0..<(parts.count - 2)].joined(separator: "/")
        guard let engine = try? catalog.engine(named: engineName), let profile = engine.profiles[parts[parts.count - 2]]
        else { return nil }
        switch parts[parts.count - 1] {
        case "memEff": return profile.memEff
        case "computeEff": return profile.computeEff
        case "stepOverheadMs": return profile.stepOverheadMs
        default: return nil
        }
    }

    /// The value of a parameter: calibrated, else the catalog default.
    public func parameter(_ key: String) -> Double? {
        calibration.parameters[key] ?? defaultParameter(key)
    }

    /// The efficiencies for an engine on a hardware class with a quantization family.
    public func efficiency(engine: Engine, hardware: Hardware, quant: QuantizationFormat) throws -> Efficiency {
        guard engine.profiles[hardware.hardwareClass] != nil else {
            throw CostModelError.unsupported(
                engine: engine.name,
                hardwareClass: hardware.hardwareClass,
                hardware: hardware.name,
                supported: engine.profiles.keys.sorted()
            )
        }
        let keys = CostModel.parameterKeys(
            engine: engine.name,
            hardwareClass: hardware.hardwareClass,
            family: quant.family
        )
        let v = keys.map { parameter($0) ?? .nan }
        return Efficiency(
            memEff: v[0],
            computeEff: v[1],
            stepOverhead: v[2] / 1000,
            dequantOps: v[3],
            prefillEff: v[4],
            overlap: v[5],
            allReduceLatency: v[6] / 1e6
        )
    }

    /// The KV-cache precision a deployment uses: the given one, else FP8 for FP8/FP4 weights on
    /// engines that ship FP8 KV with them, else the engine default.
    public func kvCache(
        for engine: Engine,
        quant: QuantizationFormat,
        requested: KVCachePrecision?
    ) throws -> KVCachePrecision {
        if let requested { return requested }
        if engine.fp8KVWithLowPrecisionWeights == true, quant.family == "native-fp8" || quant.family == "native-fp4",
            let fp8 = try? catalog.kvCache(named: "fp8")
        {
            return fp8
        }
        return try catalog.kvCache(named: engine.defaultKVCache)
    }

    /// The most devices one deployment may have.
    public static let largestDeviceCount = 100_000

    /// Resolves (quant, hardware, engine, GPUs) into the numbers the roofline needs; checks values.
    public func resolve(
        quant: QuantizationFormat,
        hardware: Hardware,
        engine: Engine,
        gpus: Int,
        kvCache requested: KVCachePrecision? = nil,
        usdPerHour: Double? = nil
    ) throws -> (ResolvedSetup, KVCachePrecision) {
        guard gpus >= 1, gpus <= CostModel.largestDeviceCount else {
            throw CostModelError.invalidValue(
                name: "gpus",
                value: String(gpus),
                expected: "1 to \(CostModel.largestDeviceCount) devices"
            )
        }
        if gpus > 1 && engine.multiGPU == .none {
            throw CostModelError.invalidValue(
                name: "gpus",
                value: String(gpus),
                expected: "1: engine '\(engine.name)' runs on a single device"
            )
        }
        if let usdPerHour, !(usdPerHour.isFinite && usdPerHour > 0) {
            throw CostModelError.invalidValue(
                name: "usd-per-hour",
                value: String(usdPerHour),
                expected: "a price > 0 ($ per GPU-hour)"
            )
        }
        if engine.servesImages {
            throw CostModelError.wrongModality(
                name: engine.name,
                expected: "an engine for language models",
                hint:
                    "It serves image models; pick llama.cpp, vllm, sglang, tensorrt-llm or mlx (t2 cost --list engines)"
            )
        }
        if hardware.isCPU && gpus > 1 {
            throw CostModelError.invalidValue(
                name: "gpus",
                value: String(gpus),
                expected: "1: a CPU entry describes the whole machine (its sockets, cores and memory channels)"
            )
        }
        if engine.multiGPU == .dataParallel && gpus > 1 {
            throw CostModelError.invalidValue(
                name: "gpus",
                value: String(gpus),
                expected: "1: engine '\(engine.name)' runs one copy per device; price one device"
            )
        }
        let efficiency = try self.efficiency(engine: engine, hardware: hardware, quant: quant)
        let kv = try kvCache(for: engine, quant: quant, requested: requested)
        let g = Double(gpus)
        let price = usdPerHour ?? hardware.usdPerHour
        let precision = engine.profiles[hardware.hardwareClass]?.computePrecision ?? quant.computePrecision
        let setup = ResolvedSetup(
            bytesPerWeight: quant.bitsPerWeight / 8,
            bytesPerEmbeddingWeight: (quant.embeddingBits ?? quant.bitsPerWeight) / 8,
            kvBytesPerElement: kv.bytesPerElement,
            bandwidth: hardware.bandwidthGBps * 1e9,
            peakFLOPS: hardware.peakFLOPS(precision),
            vectorFLOPS: hardware.peakFLOPS("vector"),
            linkBandwidth: (hardware.interconnectGBps ?? 32) * 1e9,
            gpus: g,
            parallelism: engine.multiGPU == .tensorParallel ? g : 1,
            usableMemory: hardware.memoryGB * 1e9 * hardware.usableMemoryFraction,
            overheadMemory: engine.memoryOverheadGB * 1e9,
            kvMemoryFraction: engine.memoryFraction,
            maxBatch: engine.maxBatch,
            powerW: (hardware.powerW ?? 0) * g,
            usdPerHour: (price ?? 0) * g,
            efficiency: efficiency
        )
        return (setup, kv)
    }

    /// The most prompt or generated tokens per request the cost model prices (no model has a
    /// context near it; larger values would only overflow the arithmetic).
    public static let largestTokenCount = 100_000_000

    /// The most concurrent requests (or images in flight) the cost model prices.
    public static let largestConcurrency = 10_000_000

    /// Checks the load values of a deployment.
    static func checkLoad(concurrency: Concurrency, inputTokens: Int, outputTokens: Int) throws {
        if case .fixed(let n) = concurrency, n < 1 || n > largestConcurrency {
            throw CostModelError.invalidValue(
                name: "concurrency",
                value: String(n),
                expected: "1 to \(largestConcurrency) concurrent requests, or 'max'"
            )
        }
        for (name, value) in [("input-tokens", inputTokens), ("output-tokens", outputTokens)]
        where value > largestTokenCount {
            throw CostModelError.invalidValue(
                name: name,
                value: String(value),
                expected: "at most \(largestTokenCount) tokens per request"
            )
        }
        guard inputTokens >= 0 else {
            throw CostModelError.invalidValue(
                name: "input-tokens",
                value: String(inputTokens),
                expected: "≥ 0 prompt tokens"
            )
        }
        guard outputTokens >= 0 else {
            throw CostModelError.invalidValue(
                name: "output-tokens",
                value: String(outputTokens),
                expected: "≥ 0 generated tokens"
            )
        }
        guard inputTokens + outputTokens >= 1 else {
            throw CostModelError.invalidValue(
                name: "input-tokens + output-tokens",
                value: "0",
                expected: "at least one token per request"
            )
        }
    }

    /// The engine called `name`, or the catalog's default for the hardware and format.
    func engine(named name: String?, hardware: Hardware, quant: QuantizationFormat) throws -> Engine {
        if let name { return try catalog.engine(named: name) }
        if let chosen = catalog.defaultEngine(for: hardware, quant: quant) { return chosen }
        throw CostModelError.unsupported(
            engine: "(any)",
            hardwareClass: hardware.hardwareClass,
            hardware: hardware.name,
            supported: []
        )
    }

    /// Builds a deployment from catalog names (the engine defaults by hardware and format).
    public func deployment(
        model: String,
        quant: String,
        hardware: String,
        engine: String? = nil,
        gpus: Int = 1,
        concurrency: Concurrency = .fixed(1),
        inputTokens: Int = 1024,
        outputTokens: Int = 256,
        kvCache: String? = nil,
        usdPerHour: Double? = nil
    ) throws -> Deployment {
        let m = try catalog.model(named: model)
        return try deployment(
            model: m,
            quant: quant,
            hardware: hardware,
            engine: engine,
            gpus: gpus,
            concurrency: concurrency,
            inputTokens: inputTokens,
            outputTokens: outputTokens,
            kvCache: kvCache,
            usdPerHour: usdPerHour
        )
    }

    /// Builds a deployment of a given architecture (e.g. ``ModelArchitecture/llamaShaped(params:)``).
    public func deployment(
        model: ModelArchitecture,
        quant: String,
        hardware: String,
        engine: String? = nil,
        gpus: Int = 1,
        concurrency: Concurrency = .fixed(1),
        inputTokens: Int = 1024,
        outputTokens: Int = 256,
        kvCache: String? = nil,
        usdPerHour: Double? = nil
    ) throws -> Deployment {
        let q = try catalog.quantization(named: quant)
        let h = try catalog.hardware(named: hardware)
        let e = try self.engine(named: engine, hardware: h, quant: q)
        let kv = try kvCache.map { try catalog.kvCache(named: $0) }
        return Deployment(
            model: model,
            quant: q,
            hardware: h,
            engine: e,
            gpus: gpus,
            concurrency: concurrency,
            inputTokens: inputTokens,
            outputTokens: outputTokens,
            kvCache: kv,
            usdPerHour: usdPerHour
        )
    }

    /// Prices one deployment. Throws for impossible values (0 GPUs, negative tokens) and for an
    /// engine without a profile for the hardware.
    public func estimate(_ d: Deployment) throws -> CostEstimate {
        try CostModel.checkLoad(concurrency: d.concurrency, inputTokens: d.inputTokens, outputTokens: d.outputTokens)
        let (setup, kv) = try resolve(
            quant: d.quant,
            hardware: d.hardware,
            engine: d.engine,
            gpus: d.gpus,
            kvCache: d.kvCache,
            usdPerHour: d.usdPerHour
        )
        let shape = ModelShape(d.model)
        let r = Roofline.evaluate(
            shape,
            setup,
            concurrency: d.concurrency,
            inputTokens: d.inputTokens,
            outputTokens: d.outputTokens
        )
        let price: Double? = setup.usdPerHour > 0 ? setup.usdPerHour : nil
        let hasOutput = d.outputTokens > 0
        let out = r.fits && hasOutput ? r.outputTokensPerSecond : nil
        let prefill = r.fits && d.inputTokens > 0 ? r.prefillTokensPerSecond : nil
        func perMillion(_ tokensPerSecond: Double?) -> Double? {
            guard let price, let tokensPerSecond, tokensPerSecond > 0 else { return nil }
            return price / (tokensPerSecond * 3600) * 1e6
        }
        let precision = d.engine.profiles[d.hardware.hardwareClass]?.computePrecision ?? d.quant.computePrecision
        let peak = d.hardware.peakFLOPS(precision) * Double(d.gpus)
        return CostEstimate(
            model: d.model.name,
            params: shape.params,
            activeParams: shape.activeParams,
            quant: d.quant.name,
            hardware: d.hardware.name,
            engine: d.engine.name,
            gpus: d.gpus,
            concurrency: d.concurrency.description,
            inputTokens: d.inputTokens,
            outputTokens: d.outputTokens,
            kvCache: kv.name,
            computePrecision: d.hardware.effectivePrecision(precision),
            fits: r.fits,
            weightsGB: r.weightBytes / 1e9,
            kvCacheMBPerToken: r.kvBytesPerToken / 1e6,
            memoryNeededPerGPUGB: r.memoryPerGPU / 1e9,
            memoryUsablePerGPUGB: r.usableMemoryPerGPU / 1e9,
            maxConcurrency: r.maxConcurrency,
            batch: r.batch,
            ttftMs: r.fits && d.inputTokens > 0 ? r.ttft * 1000 : nil,
            itlMs: r.fits && hasOutput ? r.itl * 1000 : nil,
            decodeTokensPerSecond: r.fits && hasOutput ? r.decodeTokensPerSecond : nil,
            prefillTokensPerSecond: prefill,
            outputTokensPerSecond: out,
            outputTokensPerSecondPerGPU: out.map { $0 / Double(d.gpus) },
            decodeBound: r.decodeMemoryBound ? "memory" : "compute",
            usdPerHour: price,
            priceSource: d.usdPerHour != nil ? "--usd-per-hour" : d.hardware.priceSource,
            usdPerMillionOutputTokens: perMillion(out),
            usdPerMillionInputTokens: perMillion(prefill),
            flopsPerDollar: price.map { peak * 3600 / $0 },
            joulesPerOutputToken: setup.powerW > 0 ? out.map { setup.powerW / $0 } : nil,
            powerW: setup.powerW > 0 ? setup.powerW : nil
        )
    }

    /// A pricer for one (quantization, hardware, engine, GPUs): resolves names and efficiencies
    /// once, then prices any model size without allocating.
    public func pricer(
        quant: String,
        hardware: String,
        engine: String? = nil,
        gpus: Int = 1,
        kvCache: String? = nil,
        usdPerHour: Double? = nil
    ) throws -> Pricer {
        let q = try catalog.quantization(named: quant)
        let h = try catalog.hardware(named: hardware)
        let e = try self.engine(named: engine, hardware: h, quant: q)
        let kv = try kvCache.map { try catalog.kvCache(named: $0) }
        let (setup, _) = try resolve(quant: q, hardware: h, engine: e, gpus: gpus, kvCache: kv, usdPerHour: usdPerHour)
        return Pricer(setup: setup)
    }
}

/// The planner's fast path: what a model costs on one resolved (quant, hardware, engine, GPUs).
public struct QuickCost: Sendable, Equatable {
    public var fits: Bool
    public var maxConcurrency: Int
    /// Per-user decode tokens/s (1/ITL).
    public var decodeTokensPerSecond: Double
    /// Aggregate output tokens/s.
    public var outputTokensPerSecond: Double
    /// $ per million output tokens (infinity without a price or when it does not fit).
    public var usdPerMillionOutputTokens: Double
    /// $ per million input (prompt) tokens.
    public var usdPerMillionInputTokens: Double
    /// J per output token (NaN without a power figure).
    public var joulesPerOutputToken: Double

    @usableFromInline
    init(
        fits: Bool,
        maxConcurrency: Int,
        decodeTokensPerSecond: Double,
        outputTokensPerSecond: Double,
        usdPerMillionOutputTokens: Double,
        usdPerMillionInputTokens: Double,
        joulesPerOutputToken: Double
    ) {
        self.fits = fits
        self.maxConcurrency = maxConcurrency
        self.decodeTokensPerSecond = decodeTokensPerSecond
        self.outputTokensPerSecond = outputTokensPerSecond
        self.usdPerMillionOutputTokens = usdPerMillionOutputTokens
        self.usdPerMillionInputTokens = usdPerMillionInputTokens
        self.joulesPerOutputToken = joulesPerOutputToken
    }
}

/// Prices models on one resolved setup; allocation-free (see ``CostModel/pricer(quant:hardware:engine:gpus:kvCache:usdPerHour:)``).
public struct Pricer: Sendable {
    public let setup: ResolvedSetup

    public init(setup: ResolvedSetup) { self.setup = setup }

    /// Prices a Llama-shaped dense model of `params` parameters (``ModelArchitecture/llamaShaped(params:)``).
    @inlinable
    public func price(
        params: Double,
        concurrency: Concurrency = .max,
        inputTokens: Int = 1024,
        outputTokens: Int = 256
    ) -> QuickCost {
        price(
            shape: ModelShape(ModelArchitecture.llamaShaped(params: params)),
            concurrency: concurrency,
            inputTokens: inputTokens,
            outputTokens: outputTokens
        )
    }

    /// Prices a model of a given shape.
    @inlinable
    public func price(
        shape: ModelShape,
        concurrency: Concurrency = .max,
        inputTokens: Int = 1024,
        outputTokens: Int = 256
    ) -> QuickCost {
        let r = Roofline.evaluate(
            shape,
            setup,
            concurrency: concurrency,
            inputTokens: max(0, inputTokens),
            outputTokens: max(0, outputTokens)
        )
        let price = setup.usdPerHour
        let outPrice = r.fits && price > 0 ? price / (r.outputTokensPerSecond * 3600) * 1e6 : .infinity
        let inPrice =
            r.fits && price > 0 && inputTokens > 0 ? price / (r.prefillTokensPerSecond * 3600) * 1e6 : .infinity
        return QuickCost(
            fits: r.fits,
            maxConcurrency: r.maxConcurrency,
            decodeTokensPerSecond: r.decodeTokensPerSecond,
            outputTokensPerSecond: r.outputTokensPerSecond,
            usdPerMillionOutputTokens: outPrice,
            usdPerMillionInputTokens: inPrice,
            joulesPerOutputToken: setup.powerW > 0 ? setup.powerW / r.outputTokensPerSecond : .nan
        )
    }
}
