import Foundation

/// A priced deployment of either modality: a language model (``CostEstimate``) or an image
/// model (``ImageCostEstimate``). Encodes as the wrapped estimate.
public enum AnyCostEstimate: Sendable, Equatable, Encodable {
    case text(CostEstimate)
    case image(ImageCostEstimate)

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .text(let e): try e.encode(to: encoder)
        case .image(let e): try e.encode(to: encoder)
        }
    }

    /// `text` or `image`.
    public var modality: String {
        switch self {
        case .text: return "text"
        case .image: return "image"
        }
    }

    /// "model quant G×hardware".
    public var label: String {
        switch self {
        case .text(let e): return "\(e.model) \(e.quant) \(e.gpus)×\(e.hardware)"
        case .image(let e): return "\(e.model) \(e.quant) \(e.gpus)×\(e.hardware) \(e.resolution) \(e.steps) steps"
        }
    }

    /// The price announcements quote: $ per million output tokens (text) or per million image
    /// tokens (image).
    public var usdPerMillionTokens: Double? {
        switch self {
        case .text(let e): return e.usdPerMillionOutputTokens
        case .image(let e): return e.usdPerMillionImageTokens
        }
    }

    /// $ per unit of output: per output token (text), per image (image).
    public var usdPerUnit: Double? {
        switch self {
        case .text(let e): return e.usdPerMillionOutputTokens.map { $0 / 1e6 }
        case .image(let e): return e.usdPerImage
        }
    }

    /// The latency a user waits, seconds: a whole request, TTFT + (O − 1)·ITL (text), or the
    /// time to an image (image).
    public var latencySeconds: Double? {
        switch self {
        case .text(let e):
            guard let itl = e.itlMs else { return e.ttftMs.map { $0 / 1000 } }
            return ((e.ttftMs ?? 0) + Double(max(e.outputTokens - 1, 0)) * itl) / 1000
        case .image(let e): return e.secondsPerImage
        }
    }

    /// Throughput per GPU: output tokens/s (text) or images/s (image).
    public var throughputPerGPU: Double? {
        switch self {
        case .text(let e): return e.outputTokensPerSecondPerGPU
        case .image(let e): return e.imagesPerSecondPerGPU
        }
    }
}

/// The ratios that variant-versus-flagship announcements quote, of a compared deployment B
/// against the baseline A. nil where either side has no figure (no price, does not fit).
public struct ComparisonRatios: Sendable, Equatable, Codable {
    /// (1 − price_B / price_A) × 100 per million output tokens (text) or image tokens (image);
    /// negative when B is dearer.
    public var pctCheaperPerMillionTokens: Double?
    /// (1 − price_B / price_A) × 100 per image (image models).
    public var pctCheaperPerImage: Double?
    /// (latency_A / latency_B − 1) × 100: how much faster a user gets a whole answer or image.
    public var pctFaster: Double?
    /// latency_B / latency_A.
    public var latencyRatio: Double?
    /// throughput per GPU of B ÷ that of A ("× throughput per GPU").
    public var throughputPerGPURatio: Double?
    /// tokens (or images) per dollar of B ÷ those of A = price_A / price_B.
    public var unitsPerDollarRatio: Double?

    enum CodingKeys: String, CodingKey {
        case pctCheaperPerMillionTokens = "pct_cheaper_per_million_tokens"
        case pctCheaperPerImage = "pct_cheaper_per_image"
        case pctFaster = "pct_faster"
        case latencyRatio = "latency_ratio"
        case throughputPerGPURatio = "throughput_per_gpu_ratio"
        case unitsPerDollarRatio = "units_per_dollar_ratio"
    }

    /// The ratios of `b` against `a` (both of one modality).
    public init(_ a: AnyCostEstimate, _ b: AnyCostEstimate) {
        func positive(_ v: Double?) -> Double? { v.flatMap { $0.isFinite && $0 > 0 ? $0 : nil } }
        if let pa = positive(a.usdPerMillionTokens), let pb = positive(b.usdPerMillionTokens) {
            pctCheaperPerMillionTokens = (1 - pb / pa) * 100
        }
        if case .image(let ea) = a, case .image(let eb) = b, let pa = positive(ea.usdPerImage),
            let pb = positive(eb.usdPerImage)
        {
            pctCheaperPerImage = (1 - pb / pa) * 100
        }
        if let la = positive(a.latencySeconds), let lb = positive(b.latencySeconds) {
            pctFaster = (la / lb - 1) * 100
            latencyRatio = lb / la
        }
        if let ta = positive(a.throughputPerGPU), let tb = positive(b.throughputPerGPU) {
            throughputPerGPURatio = tb / ta
        }
        if let ua = positive(a.usdPerUnit), let ub = positive(b.usdPerUnit) {
            unitsPerDollarRatio = ua / ub
        }
    }

    /// The claims in words: "41% cheaper per M output tokens, 22% faster, 4.0× throughput per
    /// GPU, 1.7× tokens per dollar".
    public func sentence(modality: String) -> String {
        var parts: [String] = []
        let unit = modality == "image" ? "image tokens" : "output tokens"
        if let p = pctCheaperPerMillionTokens {
            parts.append(
                p >= 0 ? "\(Self.percent(p)) cheaper per M \(unit)" : "\(Self.percent(-p)) dearer per M \(unit)"
            )
        }
        if let p = pctCheaperPerImage {
            parts.append(p >= 0 ? "\(Self.percent(p)) cheaper per image" : "\(Self.percent(-p)) dearer per image")
        }
        if let p = pctFaster, let latency = latencyRatio {
            if p >= 0 {
                parts.append(p >= 100 ? "\(Self.times(1 / latency)) faster" : "\(Self.percent(p)) faster")
            } else {
                parts.append(
                    latency >= 2 ? "\(Self.times(latency)) slower" : "\(Self.percent((latency - 1) * 100)) slower"
                )
            }
        }
        if let r = throughputPerGPURatio { parts.append("\(Self.times(r)) throughput per GPU") }
        if let r = unitsPerDollarRatio {
            parts.append("\(Self.times(r)) \(modality == "image" ? "images" : "tokens") per dollar")
        }
        return parts.joined(separator: ", ")
    }

    static func percent(_ v: Double) -> String { String(format: "%.0f%%", v) }
    static func times(_ v: Double) -> String { v >= 10 ? String(format: "%.0f×", v) : String(format: "%.2g×", v) }
}

/// Deployments side by side with the ratios of each against the first (`t2.cost-compare/1`).
public struct CostComparison: Sendable, Equatable, Encodable {
    /// `t2.cost-compare/1`.
    public var schema = CostComparison.schemaName
    /// The baseline A.
    public var baseline: AnyCostEstimate
    /// Each compared deployment B, C, … with its changes from the baseline.
    public var compared: [Compared]

    public static let schemaName = "t2.cost-compare/1"

    /// One compared deployment.
    public struct Compared: Sendable, Equatable, Encodable {
        /// The `key=value` changes from the baseline.
        public var changes: String
        public var estimate: AnyCostEstimate
        public var ratios: ComparisonRatios
        /// The ratios in words.
        public var summary: String

        public init(changes: String, estimate: AnyCostEstimate, ratios: ComparisonRatios, summary: String) {
            self.changes = changes
            self.estimate = estimate
            self.ratios = ratios
            self.summary = summary
        }
    }

    /// Compares `others` (with their change descriptions) to `baseline`; all must share its
    /// modality.
    public init(baseline: AnyCostEstimate, others: [(changes: String, estimate: AnyCostEstimate)]) throws {
        self.baseline = baseline
        compared = try others.map { item in
            guard item.estimate.modality == baseline.modality else {
                throw CostModelError.invalidValue(
                    name: "compare \(item.changes)",
                    value: item.estimate.modality,
                    expected:
                        "a \(baseline.modality) model like the baseline: compare text with text, images with images"
                )
            }
            let ratios = ComparisonRatios(baseline, item.estimate)
            return Compared(
                changes: item.changes,
                estimate: item.estimate,
                ratios: ratios,
                summary: ratios.sentence(modality: baseline.modality)
            )
        }
    }
}
