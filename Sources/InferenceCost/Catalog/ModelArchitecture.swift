import Foundation

/// A transformer's shape: enough to count parameters, FLOPs per token and KV-cache bytes.
///
/// Numbers are `Double` so that ``llamaShaped(params:)`` can describe a model of any size
/// smoothly (fractional layers are fine for a cost model). Mixture-of-experts models give
/// `experts`, `activeExperts` and `activeParams` (parameters used per token).
public struct ModelArchitecture: CatalogEntry {
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
    /// Where the shape comes from (a config.json, a paper).
    public var source: String?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name
        case aliases
        case layers
        case hidden
        case heads
        case kvHeads
        case headDim
        case ffn
        case vocab
        case tiedEmbeddings
        case params
        case activeParams
        case experts
        case activeExperts
        case source
    }

    public static let listName = "models"
    public static var jsonKeys: [String] { CodingKeys.allCases.map(\.rawValue) }

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

    public func problems() -> [String] {
        var p: [String] = []
        Check.require(!name.trimmingCharacters(in: .whitespaces).isEmpty, "has an empty name", into: &p)
        for (key, value) in [
            ("layers", layers), ("hidden", hidden), ("heads", heads), ("kvHeads", kvHeads),
            ("headDim", headDim), ("ffn", ffn), ("vocab", vocab),
        ] {
            Check.require(
                Check.positive(value) && value < Check.largestCount,
                "\(key) must be > 0 (and below 10^12)",
                into: &p
            )
        }
        Check.require(kvHeads <= heads, "kvHeads (\(kvHeads)) cannot exceed heads (\(heads))", into: &p)
        Check.require(params.map(Check.positive) ?? true, "params must be > 0", into: &p)
        if experts != nil || activeExperts != nil || activeParams != nil {
            let e = experts ?? 0
            let k = activeExperts ?? 0
            Check.require(
                e >= 2 && k >= 1 && k < e,
                "a mixture-of-experts entry needs experts ≥ 2 and 1 ≤ activeExperts < experts",
                into: &p
            )
            Check.require(
                activeParams.map { $0 > 0 && $0 < totalParams } ?? false,
                "a mixture-of-experts entry needs activeParams, below params",
                into: &p
            )
        }
        return p
    }
}
