import Foundation

/// An engine's efficiencies on one hardware class (defaults; the calibration overrides them).
public struct EngineProfile: Codable, Sendable, Equatable {
    /// Fraction of peak memory bandwidth reached by decode reads.
    public var memEff: Double
    /// Fraction of dense peak FLOP/s reached by GEMMs.
    public var computeEff: Double
    /// Fixed time per decode step (kernel launches, sampling, scheduling), ms. Image engines:
    /// fixed time per denoising step.
    public var stepOverheadMs: Double
    /// The precision this engine's GEMMs run at on this class whatever the weight format, when
    /// it has one: llama.cpp's CPU backend multiplies block-quantized weights with int8 dot
    /// products (activations quantized to 8 bits), so its `cpu` profile says `int8`.
    public var computePrecision: String?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case memEff
        case computeEff
        case stepOverheadMs
        case computePrecision
    }

    /// The JSON keys of a profile.
    public static var jsonKeys: [String] { CodingKeys.allCases.map(\.rawValue) }

    public init(memEff: Double, computeEff: Double, stepOverheadMs: Double, computePrecision: String? = nil) {
        self.memEff = memEff
        self.computeEff = computeEff
        self.stepOverheadMs = stepOverheadMs
        self.computePrecision = computePrecision
    }

    /// Problems with the profile's values, each prefixed with `prefix` (`profiles.apple.`).
    func problems(prefix: String) -> [String] {
        var p: [String] = []
        Check.require(Check.fraction(memEff), "\(prefix)memEff must be in (0, 1]", into: &p)
        Check.require(Check.fraction(computeEff), "\(prefix)computeEff must be in (0, 1]", into: &p)
        Check.require(
            Check.nonNegative(stepOverheadMs) && stepOverheadMs <= 60_000,
            "\(prefix)stepOverheadMs must be in [0, 60000]",
            into: &p
        )
        if let computePrecision {
            Check.require(
                Hardware.precisions.contains(computePrecision),
                "\(prefix)computePrecision '\(computePrecision)' is not one of \(Hardware.precisions.joined(separator: ", "))",
                into: &p
            )
        }
        return p
    }
}

/// How an engine uses several devices.
public enum MultiGPUMode: String, Codable, Sendable, Equatable {
    /// Tensor parallel: every GPU holds 1/G of every layer; time ÷ G plus all-reduces.
    case tensorParallel = "tensor-parallel"
    /// llama.cpp's default split: each GPU holds some layers and they run one after another, so
    /// more GPUs add memory but do not speed decode up.
    case layerSplit = "layer-split"
    /// Every device holds a whole copy and serves its own requests (image engines): throughput
    /// × G, latency unchanged.
    case dataParallel = "data-parallel"
    /// Single device only.
    case none
}

/// A serving engine as an efficiency profile plus its memory and batching behaviour.
public struct Engine: CatalogEntry {
    public var name: String
    public var aliases: [String]?
    /// What the engine serves: `text` (language models; the default) or `image` (diffusion).
    public var modality: String?
    public var multiGPU: MultiGPUMode
    /// Largest number of sequences (images, for image engines) processed together.
    public var maxBatch: Double
    /// Fraction of the memory left after weights that the engine gives to the KV cache
    /// (image engines: to activations).
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

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name
        case aliases
        case modality
        case multiGPU
        case maxBatch
        case memoryFraction
        case memoryOverheadGB
        case defaultKVCache
        case fp8KVWithLowPrecisionWeights
        case description
        case profiles
    }

    public static let listName = "engines"
    public static var jsonKeys: [String] { CodingKeys.allCases.map(\.rawValue) }
    /// The modalities an engine may serve.
    public static let modalities = ["text", "image"]

    /// Whether this engine serves image (diffusion) models.
    public var servesImages: Bool { modality == "image" }

    public func problems() -> [String] {
        var p: [String] = []
        Check.require(!name.trimmingCharacters(in: .whitespaces).isEmpty, "has an empty name", into: &p)
        Check.require(
            modality.map(Engine.modalities.contains) ?? true,
            "modality must be 'text' or 'image'",
            into: &p
        )
        Check.require(
            maxBatch.isFinite && maxBatch >= 1 && maxBatch <= 1e9,
            "maxBatch must be in [1, 10^9]",
            into: &p
        )
        Check.require(Check.fraction(memoryFraction), "memoryFraction must be in (0, 1]", into: &p)
        Check.require(
            Check.nonNegative(memoryOverheadGB) && memoryOverheadGB < 1e6,
            "memoryOverheadGB must be ≥ 0",
            into: &p
        )
        Check.require(!profiles.isEmpty, "profiles needs at least one hardware class", into: &p)
        for cls in profiles.keys.sorted() {
            p += profiles[cls]!.problems(prefix: "profiles.\(cls).")
        }
        return p
    }

    public static func nestedUnknownKeys(in object: [String: Any]) -> [(path: String, key: String, allowed: [String])] {
        guard let profiles = object["profiles"] as? [String: Any] else { return [] }
        var found: [(path: String, key: String, allowed: [String])] = []
        for cls in profiles.keys.sorted() {
            if let profile = profiles[cls] as? [String: Any] {
                found += Check.unknownKeys(profile, allowed: EngineProfile.jsonKeys, path: "profiles.\(cls)")
            }
        }
        return found
    }
}
