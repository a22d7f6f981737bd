import Foundation

/// One way to serve the planned model: hardware, weight quantization and engine, plus the quality
/// the quantization costs.
public struct ServingOption: Sendable, Hashable, Codable {
    /// Hardware catalog name (e.g. `h100-sxm`).
    public var hardware: String
    /// Quantization format (e.g. `bf16`, `q4_k_m`).
    public var quant: String
    /// Serving engine (e.g. `vllm`, `llama.cpp`).
    public var engine: String
    /// Devices per replica (tensor parallel when > 1).
    public var gpus: Int
    /// Added to the law's pretraining loss L̂(N, D) for a model served in this quantization, in nats
    /// (see ``QuantizationQuality``).
    public var lossPenalty: Double

    public init(hardware: String, quant: String, engine: String, gpus: Int = 1, lossPenalty: Double) {
        self.hardware = hardware
        self.quant = quant
        self.engine = engine
        self.gpus = gpus
        self.lossPenalty = lossPenalty
    }

    enum CodingKeys: String, CodingKey {
        case hardware, quant, engine, gpus
        case lossPenalty = "loss_penalty"
    }
}

/// What serving a model costs on one ``ServingOption``, at the throughput the memory allows.
public struct ServingPrice: Sendable, Equatable {
    /// Dollars per generated (output) token.
    public var usdPerOutputToken: Double
    /// Dollars per prompt (input) token.
    public var usdPerInputToken: Double
    /// Aggregate decode throughput of one replica (tokens/s).
    public var outputTokensPerSecond: Double
    /// GPUs (or devices) in one replica.
    public var gpus: Int

    public init(usdPerOutputToken: Double, usdPerInputToken: Double, outputTokensPerSecond: Double, gpus: Int) {
        self.usdPerOutputToken = usdPerOutputToken
        self.usdPerInputToken = usdPerInputToken
        self.outputTokensPerSecond = outputTokensPerSecond
        self.gpus = gpus
    }
}

/// Inference prices for a llama-shaped model of N parameters, the seam between the planner and a
/// cost model (`InferenceCost`). Implementations must be cheap: the planner tabulates each option
/// on ~48 model sizes.
public protocol InferencePricing: Sendable {
    /// The options a plan may choose among (filtered by `--hardware`/`--quant`/`--engine`).
    var options: [ServingOption] { get }
    /// The price of serving an N-parameter model on `option`, or nil when it does not fit.
    func price(params: Double, option: ServingOption) -> ServingPrice?
}

/// Training priced by the hour: $ per FLOP = ($/GPU-hour) / (3600 s · peak FLOP/s · MFU).
public struct TrainingPricing: Sendable, Equatable, Codable {
    /// Hardware name (for the report).
    public var hardware: String
    /// Dollars per GPU-hour.
    public var usdPerGPUHour: Double
    /// Dense peak FLOP/s of one GPU in the training precision (bf16).
    public var peakFLOPs: Double
    /// Achieved model-FLOPs utilisation (0 < MFU ≤ 1).
    public var mfu: Double

    public init(hardware: String, usdPerGPUHour: Double, peakFLOPs: Double, mfu: Double) {
        self.hardware = hardware
        self.usdPerGPUHour = usdPerGPUHour
        self.peakFLOPs = peakFLOPs
        self.mfu = mfu
    }

    /// Dollars per training FLOP.
    public var usdPerFLOP: Double { usdPerGPUHour / (3600 * peakFLOPs * mfu) }

    enum CodingKeys: String, CodingKey {
        case hardware
        case usdPerGPUHour = "usd_per_gpu_hour"
        case peakFLOPs = "peak_flops"
        case mfu
    }
}

/// The quality cost of serving quantized weights, as a shift of the pretraining loss:
///
///     ΔL(q) = ln(ppl_q / ppl_f16)
///
/// from llama.cpp perplexities of Llama-3-70B on wiki.test (dranger003, llama.cpp PR #6745, quoted
/// in `reference/cost-anchors.md` §6.2c): q8_0 +0.03 %, q6_k +0.47 %, q5_k_m +1.23 %, q4_k_m +4.83 %.
/// q4_0 scales q4_k_m by the Llama-3-8B Δppl ratio 0.4685/0.1754 (§6.2a); int8/fp8 take q8_0's value,
/// int4-awq q4_k_m's, fp4 the "within ~0.1 ppl of FP8 on Llama-3-70B" claim (§6.2). These are
/// language-model perplexities applied to the law's loss — an approximation, stated in the report.
public enum QuantizationQuality {
    /// ΔL in nats by quantization name; unknown formats get nil.
    public static let lossPenalty: [String: Double] = [
        "f16": 0, "bf16": 0, "fp16": 0,
        "fp8": 0.0003, "int8": 0.0003, "q8_0": 0.0003,
        "q6_k": 0.0047, "q5_k_m": 0.0122,
        "q4_k_m": 0.0472, "int4-awq": 0.0472, "fp4": 0.0347,
        "q4_0": 0.1213,
    ]

    /// ΔL for `quant`, case-insensitive; nil when unknown.
    public static func penalty(_ quant: String) -> Double? { lossPenalty[quant.lowercased()] }
}
