import Foundation

/// An accelerator (one GPU, or one Apple SoC): what the roofline model needs to know about it.
///
/// Units: memory in GB (10⁹ bytes), bandwidth in GB/s (10⁹ B/s), peak throughput in dense
/// (non-sparse) TFLOP/s per precision. `vector` is the non-tensor FP32 rate that weight
/// dequantization runs on; on Apple GPUs it equals the FP16 rate (no 2× half rate on M1–M4).
/// See `shared/reference/cost-anchors.md` §7 and each entry's `source`.
public struct Hardware: Codable, Sendable, Equatable {
    /// Catalog key, e.g. `h100-sxm`, `m3-max-40c-64gb`.
    public var name: String
    /// Other accepted spellings.
    public var aliases: [String]?
    /// The efficiency class engines are calibrated per: `apple`, `nvidia-gddr`, `nvidia-hbm`, `amd-hbm`.
    public var hardwareClass: String
    /// Memory of one device, GB (10⁹ B).
    public var memoryGB: Double
    /// Peak memory bandwidth, GB/s.
    public var bandwidthGBps: Double
    /// Dense peak TFLOP/s per precision (`vector`, `fp16`, `bf16`, `fp8`, `int8`, `fp4`).
    public var peakTFLOPS: [String: Double]
    /// Fraction of `memoryGB` a process may use (Apple GPUs: the Metal working-set cap, ~0.70–0.78).
    public var usableMemoryFraction: Double
    /// Board (or package) power under load, W; used for J/token.
    public var powerW: Double?
    /// GPU-to-GPU link bandwidth per direction, GB/s (tensor-parallel all-reduce).
    public var interconnectGBps: Double?
    /// A default rental price, $/GPU-hour, where a public price exists.
    public var usdPerHour: Double?
    /// Where `usdPerHour` comes from.
    public var priceSource: String?
    /// Where the specs come from.
    public var source: String?

    enum CodingKeys: String, CodingKey {
        case name, aliases
        case hardwareClass = "class"
        case memoryGB, bandwidthGBps, peakTFLOPS
        case usableMemoryFraction, powerW, interconnectGBps, usdPerHour, priceSource, source
    }

    public init(
        name: String,
        hardwareClass: String,
        memoryGB: Double,
        bandwidthGBps: Double,
        peakTFLOPS: [String: Double],
        usableMemoryFraction: Double,
        powerW: Double? = nil,
        interconnectGBps: Double? = nil,
        usdPerHour: Double? = nil,
        aliases: [String]? = nil,
        priceSource: String? = nil,
        source: String? = nil
    ) {
        self.name = name
        self.aliases = aliases
        self.hardwareClass = hardwareClass
        self.memoryGB = memoryGB
        self.bandwidthGBps = bandwidthGBps
        self.peakTFLOPS = peakTFLOPS
        self.usableMemoryFraction = usableMemoryFraction
        self.powerW = powerW
        self.interconnectGBps = interconnectGBps
        self.usdPerHour = usdPerHour
        self.priceSource = priceSource
        self.source = source
    }

    /// Dense peak FLOP/s for `precision`, falling back to fp16, bf16, then vector when the device
    /// has no units for that precision (e.g. FP8 weights on an A100 run 16-bit GEMMs).
    public func peakFLOPS(_ precision: String) -> Double {
        for key in [precision, "fp16", "bf16", "vector"] {
            if let value = peakTFLOPS[key] { return value * 1e12 }
        }
        return 0
    }

    /// The precision actually used for `precision` (after the fallback of ``peakFLOPS(_:)``).
    public func effectivePrecision(_ precision: String) -> String {
        for key in [precision, "fp16", "bf16", "vector"] where peakTFLOPS[key] != nil { return key }
        return precision
    }
}

/// A transformer's shape: enough to count parameters, FLOPs per token and KV-cache bytes.
///
/// Numbers are `Double` so that ``llamaShaped(params:)`` can describe a model of any size
/// smoothly (fractional layers are fine for a cost model). Mixture-of-experts models give
/// `experts`, `activeExperts` and `activeParams` (parameters used per token).
public struct ModelArchitecture: Codable, Sendable, Equatable {
    public var name: String
    public var aliases: [String]?
    /// Transformer blocks L.
    public var layers: Double
    /// Residual width h.
    public var hidden: Double
    /// Query heads n_h.
    public var heads: Double
    /// Key/value heads n_kv (GQA: fewer than `heads`).
    public var kvHeads: Double
    /// Per-head dimension d.
    public var headDim: Double
    /// FFN intermediate size I (per expert for MoE).
    public var ffn: Double
    /// Vocabulary size V.
    public var vocab: Double
    /// Whether the output projection shares the input embedding matrix.
    public var tiedEmbeddings: Bool?
    /// Total parameters N; computed from the shape when absent.
    public var params: Double?
    /// Parameters used per token (MoE); equals `params` for dense models.
    public var activeParams: Double?
    /// Experts per MoE layer E (absent: dense).
    public var experts: Double?
    /// Experts routed per token k.
    public var activeExperts: Double?
    public var source: String?

    public init(
        name: String,
        layers: Double,
        hidden: Double,
        heads: Double,
        kvHeads: Double,
        headDim: Double,
        ffn: Double,
        vocab: Double,
        tiedEmbeddings: Bool? = nil,
        params: Double? = nil,
        activeParams: Double? = nil,
        experts: Double? = nil,
        activeExperts: Double? = nil,
        aliases: [String]? = nil,
        source: String? = nil
    ) {
        self.name = name
        self.aliases = aliases
        self.layers = layers
        self.hidden = hidden
        self.heads = heads
        self.kvHeads = kvHeads
        self.headDim = headDim
        self.ffn = ffn
        self.vocab = vocab
        self.tiedEmbeddings = tiedEmbeddings
        self.params = params
        self.activeParams = activeParams
        self.experts = experts
        self.activeExperts = activeExperts
        self.source = source
    }

    /// Parameters implied by the shape of a gated (SwiGLU) transformer:
    ///
    ///     N = V·h·(1 if tied else 2) + L·(h·n_h·d + h·n_h·d + 2·h·n_kv·d + E·3·h·I)
    ///
    /// (q and o projections, k and v projections, E gated MLPs; norms are negligible).
    public var shapeParams: Double {
        let embeddings = vocab * hidden * ((tiedEmbeddings ?? false) ? 1 : 2)
        let attention = 2 * hidden * heads * headDim + 2 * hidden * kvHeads * headDim
        let mlp = (experts ?? 1) * 3 * hidden * ffn
        return embeddings + layers * (attention + mlp)
    }

    /// Total parameters: the catalog's figure, else the shape's.
    public var totalParams: Double { params ?? shapeParams }

    /// Whether this is a mixture-of-experts model.
    public var isMixtureOfExperts: Bool { (experts ?? 1) > 1 && (activeExperts ?? 0) > 0 }

    /// A Llama-3-shaped dense model with `params` total parameters, for pricing any N (the
    /// planner's inner loop): vocabulary 128,256 (untied), head dim 128, 8 KV heads (GQA, fewer
    /// when the model has fewer heads), FFN 3.5·h, and the Llama aspect ratio L = h/128
    /// (Llama-2/3 7–8B: 4096/32; 13B: 5120/40; 405B: 16384/126). Width h is the root of
    ///
    ///     N = 2·V·h + (h/128)·(2h² + 2h·n_kv·128 + 10.5·h²),  n_kv = min(8, h/128)
    ///
    /// found by Newton's method (monotone in h; a few iterations, no allocation).
    /// Layers and width are real numbers: the cost model only needs smooth counts.
    public static func llamaShaped(params: Double) -> ModelArchitecture {
        let n = max(params, 1e3)
        let vocab = 128_256.0
        func total(_ h: Double) -> (value: Double, slope: Double) {
            let layers = h / 128
            let kv = min(8.0, layers)  // heads = h/128; kv heads = min(8, heads)
            // per-layer: 2h² (q,o) + 2·h·kv·128 (k,v) + 3·h·3.5h (MLP)
            let perLayer = 12.5 * h * h + 256 * h * kv
            let value = 2 * vocab * h + layers * perLayer
            // d/dh, with kv piecewise (slope of kv is 1/128 below 8 heads)
            let dkv = layers < 8 ? 1.0 / 128 : 0
            let dPerLayer = 25 * h + 256 * kv + 256 * h * dkv
            let slope = 2 * vocab + perLayer / 128 + layers * dPerLayer
            return (value, slope)
        }
        // Start above the root (the cubic term alone); Newton then descends monotonically on
        // this increasing convex function.
        var h = Foundation.cbrt(n * 128 / 12.5) + 1
        for _ in 0..<40 {
            let (value, slope) = total(h)
            let step = (value - n) / slope
            h = max(h - step, h / 4)
            if abs(step) <= 1e-10 * h { break }
        }
        let layers = h / 128
        let kv = min(8.0, layers)
        return ModelArchitecture(
            name: "llama-shaped",
            layers: layers,
            hidden: h,
            heads: layers,
            kvHeads: kv,
            headDim: 128,
            ffn: 3.5 * h,
            vocab: vocab,
            tiedEmbeddings: false,
            params: n,
            source: "t2 parametric Llama-3 shape (see ModelArchitecture.llamaShaped)"
        )
    }
}

/// A weight format: bits per weight and how its matrix products run.
public struct QuantizationFormat: Codable, Sendable, Equatable {
    public var name: String
    public var aliases: [String]?
    /// Whole-model average bits per weight (block format plus the tensors a recipe keeps at
    /// higher precision), as in llama.cpp's quantize README; sets weight bytes.
    public var bitsPerWeight: Double
    /// Exact bits per weight of the block format itself (`8 · block bytes / block weights`).
    public var blockBitsPerWeight: Double?
    /// Bits of the embedding and output matrices when the format keeps them apart (FP8, AWQ …).
    public var embeddingBits: Double?
    /// Efficiency family (`float`, `gguf-k`, `gguf-legacy`, `native-fp8`, …).
    public var family: String
    /// Precision of the GEMMs (`fp16`, `bf16`, `fp8`, `int8`, `fp4`).
    public var computePrecision: String
    public var source: String?

    public init(
        name: String,
        bitsPerWeight: Double,
        family: String,
        computePrecision: String,
        blockBitsPerWeight: Double? = nil,
        embeddingBits: Double? = nil,
        aliases: [String]? = nil,
        source: String? = nil
    ) {
        self.name = name
        self.aliases = aliases
        self.bitsPerWeight = bitsPerWeight
        self.blockBitsPerWeight = blockBitsPerWeight
        self.embeddingBits = embeddingBits
        self.family = family
        self.computePrecision = computePrecision
        self.source = source
    }
}

/// KV-cache element precision (chosen apart from the weight format).
public struct KVCachePrecision: Codable, Sendable, Equatable {
    public var name: String
    public var aliases: [String]?
    /// Bytes per cached K or V element (f16 2, fp8 1, q8_0 34/32, q4_0 18/32).
    public var bytesPerElement: Double

    public init(name: String, bytesPerElement: Double, aliases: [String]? = nil) {
        self.name = name
        self.bytesPerElement = bytesPerElement
        self.aliases = aliases
    }
}

/// Defaults for a family of weight formats (calibrated values override them).
public struct QuantFamily: Codable, Sendable, Equatable {
    public var name: String
    /// Vector operations per weight read in a decode step, spent unpacking blocks.
    public var dequantOps: Double
    /// Multiplier on the engine's compute efficiency during prefill (1 for plain floats).
    public var prefillEff: Double
    public var description: String?
}

/// An engine's efficiencies on one hardware class (defaults; the calibration overrides them).
public struct EngineProfile: Codable, Sendable, Equatable {
    /// Fraction of peak memory bandwidth reached by decode reads.
    public var memEff: Double
    /// Fraction of dense peak FLOP/s reached by GEMMs.
    public var computeEff: Double
    /// Fixed time per decode step (kernel launches, sampling, scheduling), ms.
    public var stepOverheadMs: Double

    public init(memEff: Double, computeEff: Double, stepOverheadMs: Double) {
        self.memEff = memEff
        self.computeEff = computeEff
        self.stepOverheadMs = stepOverheadMs
    }
}

/// How an engine uses several GPUs.
public enum MultiGPUMode: String, Codable, Sendable, Equatable {
    /// Tensor parallel: every GPU holds 1/G of every layer; time ÷ G plus all-reduces.
    case tensorParallel = "tensor-parallel"
    /// llama.cpp's default split: each GPU holds some layers and they run one after another, so
    /// more GPUs add memory but do not speed decode up.
    case layerSplit = "layer-split"
    /// Single device only.
    case none
}

/// A serving engine as an efficiency profile plus its memory and batching behaviour.
public struct Engine: Codable, Sendable, Equatable {
    public var name: String
    public var aliases: [String]?
    public var multiGPU: MultiGPUMode
    /// Largest number of sequences decoded together.
    public var maxBatch: Double
    /// Fraction of the memory left after weights that the engine gives to the KV cache.
    public var memoryFraction: Double
    /// Fixed memory per GPU for activations, workspaces and the runtime, GB.
    public var memoryOverheadGB: Double
    /// KV-cache precision unless the user picks one.
    public var defaultKVCache: String
    /// Whether FP8/FP4 weights come with an FP8 KV cache (TensorRT-LLM ModelOpt checkpoints).
    public var fp8KVWithLowPrecisionWeights: Bool?
    public var description: String?
    /// Efficiency defaults per hardware class; a class absent here is not supported.
    public var profiles: [String: EngineProfile]
}

/// Model-wide defaults of the roofline (calibrated values override them).
public struct GlobalParameters: Codable, Sendable, Equatable {
    /// Exponent p of the soft roofline max (tᵖ_mem + tᵖ_compute)^(1/p); ∞ is the hard roofline.
    public var overlap: Double
    /// Latency of one tensor-parallel all-reduce, µs.
    public var allReduceUs: Double
}

/// A catalog file: every list is optional, so a user's `--catalog FILE` can add or replace a
/// few entries (matched by `name`) and inherit the rest from the built-in catalog.
public struct CatalogFile: Codable, Sendable {
    public var hardware: [Hardware]?
    public var models: [ModelArchitecture]?
    public var quantizations: [QuantizationFormat]?
    public var kvCachePrecisions: [KVCachePrecision]?
    public var quantFamilies: [QuantFamily]?
    public var engines: [Engine]?
    public var global: GlobalParameters?
}

/// The hardware, model, quantization and engine catalogs, indexed by name and alias.
public struct Catalog: Sendable {
    public private(set) var hardware: [Hardware] = []
    public private(set) var models: [ModelArchitecture] = []
    public private(set) var quantizations: [QuantizationFormat] = []
    public private(set) var kvCachePrecisions: [KVCachePrecision] = []
    public private(set) var quantFamilies: [QuantFamily] = []
    public private(set) var engines: [Engine] = []
    public private(set) var global = GlobalParameters(overlap: 3, allReduceUs: 8)

    private var hardwareIndex: [String: Int] = [:]
    private var modelIndex: [String: Int] = [:]
    private var quantIndex: [String: Int] = [:]
    private var kvIndex: [String: Int] = [:]
    private var familyIndex: [String: Int] = [:]
    private var engineIndex: [String: Int] = [:]

    /// The catalog compiled into t2 (``BuiltInCatalog``).
    public static let builtIn: Catalog = {
        do {
            return try Catalog(json: Data(BuiltInCatalog.json.utf8), source: "built-in catalog")
        } catch {
            fatalError("t2's built-in catalog is malformed: \(error.localizedDescription)")
        }
    }()

    /// An empty catalog.
    public init() {}

    /// Parses and checks a catalog JSON document (lists absent from it stay empty).
    public init(json: Data, source: String) throws {
        self.init()
        try merge(try Catalog.decode(json, source: source), source: source)
    }

    /// The built-in catalog with the entries of the JSON file at `path` added (same name: replaced).
    public static func builtIn(mergedWith path: String) throws -> Catalog {
        var catalog = Catalog.builtIn
        try catalog.merge(contentsOf: path)
        return catalog
    }

    /// Adds (or replaces by name) the entries of the JSON catalog file at `path`.
    public mutating func merge(contentsOf path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else {
            throw CatalogError(source: path, problem: "no such file", hint: "Check the path given to --catalog")
        }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw CatalogError(source: path, problem: "cannot be read (\(error.localizedDescription))")
        }
        try merge(try Catalog.decode(data, source: path), source: path)
    }

    static func decode(_ data: Data, source: String) throws -> CatalogFile {
        do {
            return try JSONDecoder().decode(CatalogFile.self, from: data)
        } catch let error as DecodingError {
            throw CatalogError(decoding: error, source: source)
        } catch {
            throw CatalogError(source: source, problem: "is not a catalog (\(error.localizedDescription))")
        }
    }

    /// Adds (or replaces by name) the entries of `file`, checking every added entry.
    public mutating func merge(_ file: CatalogFile, source: String) throws {
        func check(_ ok: Bool, _ list: String, _ index: Int, _ name: String, _ problem: String) throws {
            if !ok {
                throw CatalogError(
                    source: source,
                    entry: "\(list)[\(index)] '\(name)'",
                    problem: problem,
                    hint: "Fix the entry (see docs/cost-model.md, 'Catalog files') or remove it"
                )
            }
        }
        func positive(_ v: Double) -> Bool { v.isFinite && v > 0 }
        func fraction(_ v: Double) -> Bool { v.isFinite && v > 0 && v <= 1 }
        for (i, f) in (file.quantFamilies ?? []).enumerated() {
            try check(!f.name.isEmpty, "quantFamilies", i, f.name, "has an empty name")
            try check(f.dequantOps.isFinite && f.dequantOps >= 0, "quantFamilies", i, f.name, "dequantOps must be ≥ 0")
            try check(positive(f.prefillEff), "quantFamilies", i, f.name, "prefillEff must be > 0")
            Catalog.upsert(f, name: f.name, aliases: nil, into: &quantFamilies, index: &familyIndex)
        }
        for (i, k) in (file.kvCachePrecisions ?? []).enumerated() {
            try check(!k.name.isEmpty, "kvCachePrecisions", i, k.name, "has an empty name")
            try check(positive(k.bytesPerElement), "kvCachePrecisions", i, k.name, "bytesPerElement must be > 0")
            Catalog.upsert(k, name: k.name, aliases: k.aliases, into: &kvCachePrecisions, index: &kvIndex)
        }
        for (i, h) in (file.hardware ?? []).enumerated() {
            try check(!h.name.isEmpty, "hardware", i, h.name, "has an empty name")
            try check(positive(h.memoryGB), "hardware", i, h.name, "memoryGB must be > 0")
            try check(
                positive(h.bandwidthGBps),
                "hardware",
                i,
                h.name,
                "bandwidthGBps must be > 0 (GB/s, 10^9 bytes per second)"
            )
            try check(fraction(h.usableMemoryFraction), "hardware", i, h.name, "usableMemoryFraction must be in (0, 1]")
            try check(
                !h.peakTFLOPS.isEmpty && h.peakTFLOPS.values.allSatisfy(positive),
                "hardware",
                i,
                h.name,
                "peakTFLOPS needs at least one precision (vector, fp16, bf16, fp8, int8, fp4) with a value > 0"
            )
            try check(
                h.peakTFLOPS["vector"] != nil || h.peakTFLOPS["fp16"] != nil,
                "hardware",
                i,
                h.name,
                "peakTFLOPS needs 'fp16' or 'vector'"
            )
            try check(h.powerW.map(positive) ?? true, "hardware", i, h.name, "powerW must be > 0")
            try check(h.usdPerHour.map(positive) ?? true, "hardware", i, h.name, "usdPerHour must be > 0")
            try check(h.interconnectGBps.map(positive) ?? true, "hardware", i, h.name, "interconnectGBps must be > 0")
            Catalog.upsert(h, name: h.name, aliases: h.aliases, into: &hardware, index: &hardwareIndex)
        }
        for (i, m) in (file.models ?? []).enumerated() {
            try check(!m.name.isEmpty, "models", i, m.name, "has an empty name")
            for (key, value) in [
                ("layers", m.layers), ("hidden", m.hidden), ("heads", m.heads), ("kvHeads", m.kvHeads),
                ("headDim", m.headDim), ("ffn", m.ffn), ("vocab", m.vocab),
            ] {
                try check(positive(value), "models", i, m.name, "\(key) must be > 0")
            }
            try check(
                m.kvHeads <= m.heads,
                "models",
                i,
                m.name,
                "kvHeads (\(m.kvHeads)) cannot exceed heads (\(m.heads))"
            )
            try check(m.params.map(positive) ?? true, "models", i, m.name, "params must be > 0")
            if m.experts != nil || m.activeExperts != nil || m.activeParams != nil {
                let e = m.experts ?? 0
                let k = m.activeExperts ?? 0
                try check(
                    e >= 2 && k >= 1 && k < e,
                    "models",
                    i,
                    m.name,
                    "a mixture-of-experts entry needs experts ≥ 2 and 1 ≤ activeExperts < experts"
                )
                try check(
                    m.activeParams.map { $0 > 0 && $0 < m.totalParams } ?? false,
                    "models",
                    i,
                    m.name,
                    "a mixture-of-experts entry needs activeParams, below params"
                )
            }
            Catalog.upsert(m, name: m.name, aliases: m.aliases, into: &models, index: &modelIndex)
        }
        for (i, e) in (file.engines ?? []).enumerated() {
            try check(!e.name.isEmpty, "engines", i, e.name, "has an empty name")
            try check(e.maxBatch >= 1, "engines", i, e.name, "maxBatch must be ≥ 1")
            try check(fraction(e.memoryFraction), "engines", i, e.name, "memoryFraction must be in (0, 1]")
            try check(
                e.memoryOverheadGB.isFinite && e.memoryOverheadGB >= 0,
                "engines",
                i,
                e.name,
                "memoryOverheadGB must be ≥ 0"
            )
            try check(!e.profiles.isEmpty, "engines", i, e.name, "profiles needs at least one hardware class")
            for (cls, p) in e.profiles {
                try check(fraction(p.memEff), "engines", i, e.name, "profiles.\(cls).memEff must be in (0, 1]")
                try check(
                    positive(p.computeEff) && p.computeEff <= 1,
                    "engines",
                    i,
                    e.name,
                    "profiles.\(cls).computeEff must be in (0, 1]"
                )
                try check(
                    p.stepOverheadMs.isFinite && p.stepOverheadMs >= 0,
                    "engines",
                    i,
                    e.name,
                    "profiles.\(cls).stepOverheadMs must be ≥ 0"
                )
            }
            Catalog.upsert(e, name: e.name, aliases: e.aliases, into: &engines, index: &engineIndex)
        }
        for (i, q) in (file.quantizations ?? []).enumerated() {
            try check(!q.name.isEmpty, "quantizations", i, q.name, "has an empty name")
            try check(
                positive(q.bitsPerWeight) && q.bitsPerWeight <= 64,
                "quantizations",
                i,
                q.name,
                "bitsPerWeight must be in (0, 64]"
            )
            try check(q.embeddingBits.map(positive) ?? true, "quantizations", i, q.name, "embeddingBits must be > 0")
            Catalog.upsert(q, name: q.name, aliases: q.aliases, into: &quantizations, index: &quantIndex)
        }
        if let g = file.global {
            try check(g.overlap.isFinite && g.overlap >= 1, "global", 0, "global", "overlap must be ≥ 1")
            try check(g.allReduceUs.isFinite && g.allReduceUs >= 0, "global", 0, "global", "allReduceUs must be ≥ 0")
            global = g
        }
        // Cross references, checked after the whole file so that order does not matter.
        for (i, q) in quantizations.enumerated() where familyIndex[Catalog.key(q.family)] == nil {
            throw CatalogError(
                source: source,
                entry: "quantizations[\(i)] '\(q.name)'",
                problem: "family '\(q.family)' is not in quantFamilies",
                hint: "Use one of: \(quantFamilies.map(\.name).joined(separator: ", ")), or add it to quantFamilies"
            )
        }
        for (i, e) in engines.enumerated() where kvIndex[Catalog.key(e.defaultKVCache)] == nil {
            throw CatalogError(
                source: source,
                entry: "engines[\(i)] '\(e.name)'",
                problem: "defaultKVCache '\(e.defaultKVCache)' is not in kvCachePrecisions",
                hint: "Use one of: \(kvCachePrecisions.map(\.name).joined(separator: ", "))"
            )
        }
    }

    static func key(_ name: String) -> String {
        name.trimmingCharacters(in: .whitespaces).lowercased()
    }

    private static func upsert<T>(
        _ item: T,
        name: String,
        aliases: [String]?,
        into list: inout [T],
        index: inout [String: Int]
    ) {
        let position: Int
        if let existing = index[key(name)] {
            list[existing] = item
            position = existing
        } else {
            list.append(item)
            position = list.count - 1
        }
        index[key(name)] = position
        for alias in aliases ?? [] { index[key(alias)] = position }
    }

    private static func find<T>(
        _ name: String,
        kind: String,
        in list: [T],
        index: [String: Int],
        names: [String]
    ) throws -> T {
        if let i = index[key(name)] { return list[i] }
        throw CostModelError.unknownName(kind: kind, name: name, suggestions: nearestNames(to: key(name), in: names))
    }

    /// The hardware called `name` (or an alias); throws ``CostModelError/unknownName(kind:name:suggestions:)``
    /// with the nearest names otherwise.
    public func hardware(named name: String) throws -> Hardware {
        try Catalog.find(name, kind: "hardware", in: hardware, index: hardwareIndex, names: Array(hardwareIndex.keys))
    }

    /// The model architecture called `name`.
    public func model(named name: String) throws -> ModelArchitecture {
        try Catalog.find(name, kind: "model", in: models, index: modelIndex, names: Array(modelIndex.keys))
    }

    /// The quantization format called `name`.
    public func quantization(named name: String) throws -> QuantizationFormat {
        try Catalog.find(
            name,
            kind: "quantization",
            in: quantizations,
            index: quantIndex,
            names: Array(quantIndex.keys)
        )
    }

    /// The KV-cache precision called `name`.
    public func kvCache(named name: String) throws -> KVCachePrecision {
        try Catalog.find(
            name,
            kind: "KV-cache precision",
            in: kvCachePrecisions,
            index: kvIndex,
            names: Array(kvIndex.keys)
        )
    }

    /// The engine called `name`.
    public func engine(named name: String) throws -> Engine {
        try Catalog.find(name, kind: "engine", in: engines, index: engineIndex, names: Array(engineIndex.keys))
    }

    /// The quantization family called `name`.
    public func quantFamily(named name: String) throws -> QuantFamily {
        try Catalog.find(
            name,
            kind: "quantization family",
            in: quantFamilies,
            index: familyIndex,
            names: Array(familyIndex.keys)
        )
    }

    /// The engine used when none is named: llama.cpp on Apple silicon and for GGUF formats,
    /// vLLM otherwise (both as spelled in the built-in catalog).
    public func defaultEngine(for hardware: Hardware, quant: QuantizationFormat) -> Engine? {
        let preferred = hardware.hardwareClass == "apple" || quant.family.hasPrefix("gguf") ? "llama.cpp" : "vllm"
        if let i = engineIndex[preferred], engines[i].profiles[hardware.hardwareClass] != nil { return engines[i] }
        return engines.first { $0.profiles[hardware.hardwareClass] != nil }
    }
}

/// A malformed catalog or calibration file.
public struct CatalogError: Error, LocalizedError, Equatable, Sendable {
    /// The file (or "built-in catalog").
    public var source: String
    /// The entry or key path, e.g. `hardware[3] 'my-gpu'` or `hardware[3].bandwidthGBps`.
    public var entry: String?
    public var problem: String
    public var hint: String?

    public init(source: String, entry: String? = nil, problem: String, hint: String? = nil) {
        self.source = source
        self.entry = entry
        self.problem = problem
        self.hint = hint
    }

    init(decoding error: DecodingError, source: String) {
        func path(_ keys: [any CodingKey]) -> String {
            var text = ""
            for key in keys {
                if let i = key.intValue {
                    text += "[\(i)]"
                } else {
                    text += (text.isEmpty ? "" : ".") + key.stringValue
                }
            }
            return text.isEmpty ? "top level" : text
        }
        let schemaHint = "See docs/cost-model.md ('Catalog files') for the schema; every list is optional"
        switch error {
        case .keyNotFound(let key, let context):
            let where_ = path(context.codingPath)
            self.init(source: source, entry: where_, problem: "missing key '\(key.stringValue)'", hint: schemaHint)
        case .typeMismatch(let type, let context):
            self.init(
                source: source,
                entry: path(context.codingPath),
                problem: "has the wrong type (expected \(type))",
                hint: schemaHint
            )
        case .valueNotFound(let type, let context):
            self.init(
                source: source,
                entry: path(context.codingPath),
                problem: "is null (expected \(type))",
                hint: schemaHint
            )
        case .dataCorrupted(let context):
            let underlying = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            self.init(
                source: source,
                entry: context.codingPath.isEmpty ? nil : path(context.codingPath),
                problem: "is not valid JSON or has an invalid value (\(underlying ?? context.debugDescription))",
                hint: "Check the file with a JSON validator"
            )
        @unknown default:
            self.init(source: source, problem: "cannot be decoded (\(error))")
        }
    }

    public var errorDescription: String? {
        var text = source
        if let entry { text += ": \(entry)" }
        text += ": \(problem)"
        if let hint { text += ". \(hint)" }
        return text
    }
}

/// Errors of the cost model that a user can act on.
public enum CostModelError: Error, LocalizedError, Equatable, Sendable {
    /// A name that is in no catalog list; `suggestions` are the nearest known names.
    case unknownName(kind: String, name: String, suggestions: [String])
    /// The engine has no profile for the hardware's class.
    case unsupported(engine: String, hardwareClass: String, hardware: String, supported: [String])
    /// An impossible deployment value.
    case invalidValue(name: String, value: String, expected: String)
    /// Nothing to calibrate on.
    case noUsableMeasurements(source: String, reason: String)

    public var errorDescription: String? {
        switch self {
        case .unknownName(let kind, let name, let suggestions):
            var text = "unknown \(kind) '\(name)'"
            if !suggestions.isEmpty {
                text += "; did you mean \(suggestions.map { "'\($0)'" }.joined(separator: ", "))?"
            }
            let list =
                kind == "KV-cache precision"
                ? "kv"
                : kind == "quantization"
                    ? "quants" : kind == "model" ? "models" : kind == "engine" ? "engines" : "hardware"
            return text + " (`t2 cost --list \(list)` shows them all; `--catalog FILE` adds your own)"
        case .unsupported(let engine, let hardwareClass, let hardware, let supported):
            return
                "engine '\(engine)' has no profile for \(hardwareClass) hardware ('\(hardware)'); it runs on: \(supported.joined(separator: ", ")). Pick another --engine or add a profile with --catalog"
        case .invalidValue(let name, let value, let expected):
            return "\(name) = \(value) is impossible: expected \(expected)"
        case .noUsableMeasurements(let source, let reason):
            return "\(source): no measurement rows can be used for calibration (\(reason))"
        }
    }
}

/// Levenshtein distance between two strings (by Unicode scalars), O(|a|·|b|).
public func editDistance(_ a: String, _ b: String) -> Int {
    let x = Array(a.unicodeScalars)
    let y = Array(b.unicodeScalars)
    if x.isEmpty { return y.count }
    if y.isEmpty { return x.count }
    var previous = Array(0...y.count)
    var current = Array(repeating: 0, count: y.count + 1)
    for i in 1...x.count {
        current[0] = i
        for j in 1...y.count {
            let cost = x[i - 1] == y[j - 1] ? 0 : 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
        }
        swap(&previous, &current)
    }
    return previous[y.count]
}

/// Up to `limit` names nearest to `name` by edit distance, comparing letters and digits only
/// (so `q4km` is next to `q4_k_m` and `rtx4090` to `rtx-4090`), ties broken by the full edit
/// distance and then alphabetically; only names within half the longer length, plus any name
/// that contains `name`.
func nearestNames(to name: String, in names: [String], limit: Int = 3) -> [String] {
    func bare(_ s: String) -> String { String(s.unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) }) }
    let target = bare(name)
    let scored = Set(names).map { candidate -> (name: String, bare: Int, full: Int) in
        let contains = !name.isEmpty && candidate.contains(name)
        return (
            candidate, contains ? 0 : editDistance(target, bare(candidate)),
            contains ? 0 : editDistance(name, candidate)
        )
    }
    return
        scored
        .filter { $0.bare <= max(2, max($0.name.count, name.count) / 2) }
        .sorted { ($0.bare, $0.full, $0.name) < ($1.bare, $1.full, $1.name) }
        .prefix(limit).map(\.name)
}
