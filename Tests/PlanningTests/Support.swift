import Foundation
import Planning
import ScalingLaws

/// Laws built for these tests only — not the built-in law (see BuiltInLawTests for that).
enum TestLaws {
    /// Epoch's Chinchilla refit plus a samples term G/k^γ (constructed; coefficients chosen so that
    /// sampling matters at the T² validation budget).
    static let t2Loss = T2LossLaw(E: 0.6, A: 477.8, B: 2143, alpha: 0.3473, beta: 0.3672, G: 1.5, gamma: 0.4)

    /// A T² Approach-2 law on Epoch's pretraining law (constructed): accuracy falls with loss (θ₂ < 0).
    static let t2Accuracy = T2AccuracyLaw(
        base: ChinchillaLaw.epochRefit,
        theta1: 14,
        theta2: -6.5,
        theta3: 1.0,
        theta4: -0.6
    )

    /// Epoch AI's maximum-likelihood estimate (Besiroglu et al. 2024, t2-anchors §3.2), whose
    /// compute-optimal allocation at C = 1e23 is N ≈ 2.949e10, D/N ≈ 19.2 (t2-anchors §2.3).
    static let epochMLE = ChinchillaLaw(E: 1.81686, A: 482.00572, B: 2085.43420, alpha: 0.34781, beta: 0.36585)

    static func planner(_ law: ScalingLaw) throws -> Planner { Planner(law: try PlanningLaw(law)) }
}

/// A small roofline stand-in for the InferenceCost module, for testing the dollar mode's mechanics:
/// decode is memory-bound, tokens/s = batch · bandwidth / weight bytes, a replica serves while the
/// weights fit in 90% of memory.
struct ToyPricing: InferencePricing {
    struct Device {
        var name: String
        var memoryBytes: Double
        var bandwidth: Double
        var usdPerHour: Double
    }
    static let devices = [
        Device(name: "big-80gb", memoryBytes: 80e9, bandwidth: 3.35e12, usdPerHour: 2.5),
        Device(name: "small-24gb", memoryBytes: 24e9, bandwidth: 1.0e12, usdPerHour: 0.4),
    ]
    static let bytesPerParam = ["bf16": 2.0, "q4_k_m": 0.61]
    var options: [ServingOption]

    init(hardware: [String]? = nil, quants: [String]? = nil) {
        var list: [ServingOption] = []
        for q in ["bf16", "q4_k_m"] where quants?.contains(q) ?? true {
            for d in Self.devices where hardware?.contains(d.name) ?? true {
                list.append(
                    ServingOption(
                        hardware: d.name,
                        quant: q,
                        engine: "toy",
                        lossPenalty: QuantizationQuality.penalty(q)!
                    )
                )
            }
        }
        options = list
    }

    func price(params: Double, option: ServingOption) -> ServingPrice? {
        guard let d = Self.devices.first(where: { $0.name == option.hardware }),
            let b = Self.bytesPerParam[option.quant]
        else { return nil }
        let weights = params * b
        guard weights <= 0.9 * d.memoryBytes else { return nil }
        let tokensPerSecond = 64 * d.bandwidth / weights
        let perToken = d.usdPerHour / 3600 / tokensPerSecond
        return ServingPrice(
            usdPerOutputToken: perToken,
            usdPerInputToken: perToken / 20,
            outputTokensPerSecond: tokensPerSecond,
            gpus: 1
        )
    }
}

extension Plan {
    /// The invariants every plan must satisfy.
    var isWellFormed: Bool {
        params.isFinite && params > 0 && tokens.isFinite && tokens > 0 && samples >= 1
            && predicted.taskLoss.isFinite && (predicted.passAtK.map { $0 >= 0 && $0 <= 1 } ?? true)
    }
}
