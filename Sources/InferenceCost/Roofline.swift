import Foundation

/// The efficiencies the roofline applies to one (engine, hardware class, quantization family).
/// Defaults come from the catalog; ``Calibration`` parameters override them.
public struct Efficiency: Sendable, Equatable {
    /// Fraction of peak bandwidth reached by weight and KV reads (`<engine>/<class>/memEff`).
    public var memEff: Double
    /// Fraction of dense peak FLOP/s reached by GEMMs (`<engine>/<class>/computeEff`).
    public var computeEff: Double
    /// Fixed time per decode step, seconds (`<engine>/<class>/stepOverheadMs`, in ms there).
    public var stepOverhead: Double
    /// Vector ops per weight read in a decode step (`quant/<family>/dequantOps`).
    public var dequantOps: Double
    /// Multiplier on `computeEff` during prefill (`quant/<family>/prefillEff`).
    public var prefillEff: Double
    /// Soft-max exponent p of the roofline (`overlap`).
    public var overlap: Double
    /// Tensor-parallel all-reduce latency, seconds (`allReduceUs`, in µs there).
    public var allReduceLatency: Double

    public init(
        memEff: Double,
        computeEff: Double,
        stepOverhead: Double,
        dequantOps: Double,
        prefillEff: Double,
        overlap: Double,
        allReduceLatency: Double
    ) {
        self.memEff = memEff
        self.computeEff = computeEff
        self.stepOverhead = stepOverhead
        self.dequantOps = dequantOps
        self.prefillEff = prefillEff
        self.overlap = overlap
        self.allReduceLatency = allReduceLatency
    }
}

/// How many sequences are decoded together.
public enum Concurrency: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// This many concurrent requests (closed loop: each client sends its next request when the
    /// previous one finishes). More than fit in memory wait for a slot.
    case fixed(Int)
    /// As many as memory and the engine's batch limit allow (max-throughput load).
    case max

    public var description: String {
        switch self {
        case .fixed(let n): return String(n)
        case .max: return "max"
        }
    }

    /// Parses `"max"` or a positive whole number.
    public init?(_ text: String) {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        if t == "max" {
            self = .max
            return
        }
        guard let n = Int(t), n >= 1 else { return nil }
        self = .fixed(n)
    }
}

/// A model's shape reduced to the counts the roofline uses (precomputed once per model).
///
/// Notation (cost-anchors §3): L layers, h hidden, V vocabulary, n_kv KV heads, d head dim.
public struct ModelShape: Sendable, Equatable {
    /// L.
    public var layers: Double
    /// h.
    public var hidden: Double
    /// Input-embedding parameters V·h (looked up, not multiplied).
    public var embedding: Double
    /// Embedding + output matrices: V·h·(1 if tied else 2).
    public var embeddingAndHead: Double
    /// Total parameters N.
    public var params: Double
    /// Parameters used per token (MoE: active).
    public var activeParams: Double
    /// Parameters in routed experts (0 for dense models).
    public var expertParams: Double
    /// Routed fraction k/E (1 for dense models).
    public var routedFraction: Double
    /// KV elements cached per token: 2·L·n_kv·d.
    public var kvElementsPerToken: Double
    /// Attention width n_h·d (for the attention FLOPs over the context).
    public var attentionWidth: Double

    /// Derives the counts from an architecture. For MoE models the expert parameters are
    /// (N − N_active)·E/(E − k).
    public init(_ m: ModelArchitecture) {
        layers = m.layers
        hidden = m.hidden
        embedding = m.vocab * m.hidden
        embeddingAndHead = embedding * ((m.tiedEmbeddings ?? false) ? 1 : 2)
        params = m.totalParams
        if m.isMixtureOfExperts, let e = m.experts, let k = m.activeExperts, let active = m.activeParams {
            activeParams = active
            expertParams = (params - active) * e / (e - k)
            routedFraction = k / e
        } else {
            activeParams = params
            expertParams = 0
            routedFraction = 1
        }
        kvElementsPerToken = 2 * m.layers * m.kvHeads * m.headDim
        attentionWidth = m.heads * m.headDim
    }
}

/// Everything about (quantization, hardware, engine, GPUs) the roofline needs, as plain numbers.
public struct ResolvedSetup: Sendable, Equatable {
    /// Bytes per linear-layer weight (bits per weight / 8).
    public var bytesPerWeight: Double
    /// Bytes per embedding/output weight.
    public var bytesPerEmbeddingWeight: Double
    /// Bytes per KV-cache element.
    public var kvBytesPerElement: Double
    /// Peak bandwidth of one device, B/s.
    public var bandwidth: Double
    /// Dense peak FLOP/s of one device at the GEMM precision.
    public var peakFLOPS: Double
    /// Vector FP32 FLOP/s of one device (dequantization).
    public var vectorFLOPS: Double
    /// Link bandwidth for all-reduce, B/s.
    public var linkBandwidth: Double
    /// Devices.
    public var gpus: Double
    /// Devices that split each step's work (G with tensor parallel, 1 with layer split).
    public var parallelism: Double
    /// Usable memory of one device, bytes.
    public var usableMemory: Double
    /// Engine's fixed memory per device, bytes.
    public var overheadMemory: Double
    /// Fraction of the memory left after weights given to the KV cache.
    public var kvMemoryFraction: Double
    /// Engine's batch limit.
    public var maxBatch: Double
    /// Power of all devices, W (0 when unknown).
    public var powerW: Double
    /// Price of all devices, $/hour (0 when unknown).
    public var usdPerHour: Double
    /// The efficiencies.
    public var efficiency: Efficiency

    public init(
        bytesPerWeight: Double,
        bytesPerEmbeddingWeight: Double,
        kvBytesPerElement: Double,
        bandwidth: Double,
        peakFLOPS: Double,
        vectorFLOPS: Double,
        linkBandwidth: Double,
        gpus: Double,
        parallelism: Double,
        usableMemory: Double,
        overheadMemory: Double,
        kvMemoryFraction: Double,
        maxBatch: Double,
        powerW: Double,
        usdPerHour: Double,
        efficiency: Efficiency
    ) {
        self.bytesPerWeight = bytesPerWeight
        self.bytesPerEmbeddingWeight = bytesPerEmbeddingWeight
        self.kvBytesPerElement = kvBytesPerElement
        self.bandwidth = bandwidth
        self.peakFLOPS = peakFLOPS
        self.vectorFLOPS = vectorFLOPS
        self.linkBandwidth = linkBandwidth
        self.gpus = gpus
        self.parallelism = parallelism
        self.usableMemory = usableMemory
        self.overheadMemory = overheadMemory
        self.kvMemoryFraction = kvMemoryFraction
        self.maxBatch = maxBatch
        self.powerW = powerW
        self.usdPerHour = usdPerHour
        self.efficiency = efficiency
    }
}

/// The raw numbers of one roofline evaluation (all SI: bytes, seconds, tokens per second).
public struct RooflineResult: Sendable, Equatable {
    /// Whether weights + one sequence's KV cache + engine overhead fit in usable memory.
    public var fits: Bool
    /// Weight bytes of the whole model.
    public var weightBytes: Double
    /// Memory one device needs for weights, overhead and one sequence's KV cache.
    public var memoryPerGPU: Double
    /// Usable memory of one device.
    public var usableMemoryPerGPU: Double
    /// KV-cache bytes per token (whole model).
    public var kvBytesPerToken: Double
    /// Concurrent sequences the KV memory and the engine allow (0 if it does not fit).
    public var maxConcurrency: Int
    /// Sequences decoded together in this estimate.
    public var batch: Int
    /// Prefill time of one request's prompt alone, s.
    public var prefillTime: Double
    /// Mean time to first token, s (queueing for prefill and for a slot included).
    public var ttft: Double
    /// Mean inter-token latency, s (a decode step plus the interleaved prefills of others).
    public var itl: Double
    /// Aggregate output tokens per second of the deployment.
    public var outputTokensPerSecond: Double
    /// Prompt tokens per second of one request's prefill (NaN without input tokens).
    public var prefillTokensPerSecond: Double
    /// Whether the decode step is limited by memory (else by compute).
    public var decodeMemoryBound: Bool

    /// Per-user decode speed 1/ITL, tokens/s.
    public var decodeTokensPerSecond: Double { 1 / itl }

    @usableFromInline
    init(
        fits: Bool,
        weightBytes: Double,
        memoryPerGPU: Double,
        usableMemoryPerGPU: Double,
        kvBytesPerToken: Double,
        maxConcurrency: Int,
        batch: Int,
        prefillTime: Double,
        ttft: Double,
        itl: Double,
        outputTokensPerSecond: Double,
        prefillTokensPerSecond: Double,
        decodeMemoryBound: Bool
    ) {
        self.fits = fits
        self.weightBytes = weightBytes
        self.memoryPerGPU = memoryPerGPU
        self.usableMemoryPerGPU = usableMemoryPerGPU
        self.kvBytesPerToken = kvBytesPerToken
        self.maxConcurrency = maxConcurrency
        self.batch = batch
        self.prefillTime = prefillTime
        self.ttft = ttft
        self.itl = itl
        self.outputTokensPerSecond = outputTokensPerSecond
        self.prefillTokensPerSecond = prefillTokensPerSecond
        self.decodeMemoryBound = decodeMemoryBound
    }
}

/// The roofline model (cost-anchors §3) with calibrated efficiencies. Pure arithmetic on
/// ``ModelShape`` and ``ResolvedSetup``; allocation-free, so the planner can call it ~10⁶×/s.
public enum Roofline {
    /// Soft maximum (aᵖ + bᵖ)^(1/p): imperfect overlap of memory traffic and compute.
    /// p → ∞ is the hard roofline max(a, b); p = 1 is no overlap at all.
    @inlinable
    static func softMax(_ a: Double, _ b: Double, _ p: Double) -> Double {
        let m = Swift.max(a, b)
        guard m > 0 else { return 0 }
        return m * Foundation.pow(Foundation.pow(a / m, p) + Foundation.pow(b / m, p), 1 / p)
    }

    /// Time of one decode step for `batch` sequences at mean context `context` tokens:
    ///
    ///     t_mem   = (W_read(B) + B·S·kv_bytes) / (G·BW·memEff)
    ///     t_comp  = B·(2·N_active,linear + 4·L·S·n_h·d) / (G·F·computeEff) + W_params·dequantOps / (G·F_vector)
    ///     t_step  = t_overhead + (t_memᵖ + t_compᵖ)^(1/p) + 2L·(α + 2(G−1)/G · B·h·2 / link)   (TP only)
    ///
    /// W_read counts the output matrix and, for MoE models, only the experts the batch touches:
    /// 1 − (1 − k/E)^B of them. G is the tensor-parallel degree (1 for layer split).
    @inlinable
    public static func decodeStep(
        _ m: ModelShape,
        _ s: ResolvedSetup,
        batch: Double,
        context: Double
    ) -> (time: Double, memoryBound: Bool) {
        let e = s.efficiency
        let touched = m.expertParams > 0 ? 1 - Foundation.pow(1 - m.routedFraction, batch) : 0
        let shared = m.params - m.embeddingAndHead - m.expertParams
        let readParams = shared + m.expertParams * touched
        let readBytes = readParams * s.bytesPerWeight + m.embedding * s.bytesPerEmbeddingWeight
        let kvBytes = batch * context * m.kvElementsPerToken * s.kvBytesPerElement
        let tMem = (readBytes + kvBytes) / (s.parallelism * s.bandwidth * e.memEff)
        let linearFLOPs = 2 * (m.activeParams - m.embeddingAndHead + m.embedding)
        let flops = batch * (linearFLOPs + 4 * m.layers * context * m.attentionWidth)
        let tCompute =
            flops / (s.parallelism * s.peakFLOPS * e.computeEff)
            + (readParams + m.embedding) * e.dequantOps / (s.parallelism * s.vectorFLOPS)
        var time = e.stepOverhead + softMax(tMem, tCompute, Swift.max(1, e.overlap))
        time += communication(m, s, tokens: batch)
        return (time, tMem >= tCompute)
    }

    /// Tensor-parallel all-reduce time for one forward pass over `tokens` tokens: two all-reduces
    /// per layer (after attention and after the MLP), ring cost 2(G−1)/G of the activations.
    @inlinable
    static func communication(_ m: ModelShape, _ s: ResolvedSetup, tokens: Double) -> Double {
        guard s.parallelism > 1 else { return 0 }
        let bytes = 2 * (s.parallelism - 1) / s.parallelism * tokens * m.hidden * 2
        return 2 * m.layers * (s.efficiency.allReduceLatency + bytes / s.linkBandwidth)
    }

    /// Prefill of a `prompt`-token request alone: compute-bound GEMMs plus causal attention,
    ///
    ///     FLOPs = 2·N_active,linear·P + 2·V·h + 2·L·P²·n_h·d
    ///     t_pre = t_overhead + ((W/(G·BW·memEff))ᵖ + (FLOPs/(G·F·computeEff·prefillEff))ᵖ)^(1/p) + comm(P)
    ///
    /// Returns the time alone and its compute part (what a batched prefill costs the GPU when it
    /// is interleaved with others' decode steps).
    @inlinable
    public static func prefill(_ m: ModelShape, _ s: ResolvedSetup, prompt: Double) -> (alone: Double, work: Double) {
        guard prompt > 0 else { return (0, 0) }
        let e = s.efficiency
        let linear = m.activeParams - m.embeddingAndHead
        let flops = 2 * linear * prompt + 2 * m.embedding + 2 * m.layers * prompt * prompt * m.attentionWidth
        let tCompute = flops / (s.parallelism * s.peakFLOPS * e.computeEff * e.prefillEff)
        let weights = (m.params - m.embeddingAndHead) * s.bytesPerWeight + m.embedding * s.bytesPerEmbeddingWeight
        let tMem = weights / (s.parallelism * s.bandwidth * e.memEff)
        let comm = communication(m, s, tokens: prompt)
        let alone = e.stepOverhead + softMax(tMem, tCompute, Swift.max(1, e.overlap)) + comm
        return (alone, tCompute + comm)
    }

    /// Weight bytes of the whole model: linear weights at the format's bits per weight, the
    /// embedding and output matrices at `embeddingBits` where the format keeps them apart.
    @inlinable
    public static func weightBytes(_ m: ModelShape, _ s: ResolvedSetup) -> Double {
        (m.params - m.embeddingAndHead) * s.bytesPerWeight + m.embeddingAndHead * s.bytesPerEmbeddingWeight
    }

    /// Evaluates a deployment.
    ///
    /// - Memory: per device, W/G + overhead + one sequence's KV (I+O tokens)/G ≤ usable. The KV
    ///   budget is (usable − W/G − overhead)·kvMemoryFraction; with paged KV caches a sequence
    ///   holds I + O/2 tokens on average, so max concurrency = ⌊budget / ((I + O/2)·kv/G)⌋,
    ///   capped by the engine's batch limit.
    /// - Serving B = min(concurrency, max) sequences (closed loop) at mean context S = I + O/2:
    ///   ITL = t_step(B, S) + (B − 1)/O · t_prefill,work (the others' prefills interleave);
    ///   TTFT = t_prefill + [B > 1] (t_step + ρ/(1 − ρ)·t_prefill,work) + slot wait, with
    ///   ρ = (B − 1)/O·t_prefill,work/ITL the share of time spent on prefill (M/M/1 wait, a
    ///   heuristic) and slot wait = T_request·(C/B − 1) when C > B clients share B slots;
    ///   output tokens/s = B·O / (TTFT_service + (O − 1)·ITL).
    @inlinable
    public static func evaluate(
        _ m: ModelShape,
        _ s: ResolvedSetup,
        concurrency: Concurrency,
        inputTokens: Int,
        outputTokens: Int
    ) -> RooflineResult {
        let input = Double(inputTokens)
        let output = Double(Swift.max(outputTokens, 1))
        let weights = weightBytes(m, s)
        let kvPerToken = m.kvElementsPerToken * s.kvBytesPerElement
        let perGPUWeights = weights / s.gpus
        let oneSequence = (input + Double(outputTokens)) * kvPerToken / s.gpus
        let needed = perGPUWeights + s.overheadMemory + oneSequence
        let fits = needed <= s.usableMemory
        let budget = (s.usableMemory - perGPUWeights - s.overheadMemory) * s.kvMemoryFraction
        let perSequence = Swift.max(1, input + output / 2) * kvPerToken / s.gpus
        var maxConcurrency = 0
        if fits {
            let byMemory = budget > 0 ? (budget / perSequence).rounded(.down) : 0
            maxConcurrency = Int(Swift.min(Swift.max(byMemory, 1), s.maxBatch))
        }
        let clients: Int
        switch concurrency {
        case .fixed(let n): clients = n
        case .max: clients = Swift.max(maxConcurrency, 1)
        }
        let batch = Swift.max(1, Swift.min(clients, Swift.max(maxConcurrency, 1)))
        let b = Double(batch)
        let context = input + output / 2
        let step = decodeStep(m, s, batch: b, context: context)
        let pre = prefill(m, s, prompt: input)
        let itl = step.time + (b - 1) / output * pre.work
        let rho = Swift.min(0.95, itl > 0 ? (b - 1) / output * pre.work / itl : 0)
        let prefillWait = rho / (1 - rho) * pre.work
        let ttftService = pre.alone + (batch > 1 ? step.time + prefillWait : 0)
        let request = ttftService + (output - 1) * itl
        let slotWait = clients > batch ? request * (Double(clients) / b - 1) : 0
        return RooflineResult(
            fits: fits,
            weightBytes: weights,
            memoryPerGPU: needed,
            usableMemoryPerGPU: s.usableMemory,
            kvBytesPerToken: kvPerToken,
            maxConcurrency: maxConcurrency,
            batch: batch,
            prefillTime: pre.alone,
            ttft: ttftService + slotWait,
            itl: itl,
            outputTokensPerSecond: b * output / request,
            prefillTokensPerSecond: input > 0 ? input / pre.alone : .nan,
            decodeMemoryBound: step.memoryBound
        )
    }
}
