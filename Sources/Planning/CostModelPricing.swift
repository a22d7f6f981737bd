import Foundation
import InferenceCost

/// ``InferencePricing`` from the InferenceCost roofline model: a llama-shaped model of N parameters
/// (`ModelArchitecture.llamaShaped(params:)`, InferenceCost) served at the throughput its memory allows
/// (`Concurrency.max`), each request `promptTokens` in and `tokensPerSample` out.
///
/// Options are hardware × quantization × GPUs per replica (1, 2, 4, 8 with tensor parallel where
/// the engine supports it, so larger models stay servable), with the engine given or the cost
/// model's default for the hardware. Hardware without a public $/hour is left out of "any".
public struct CostModelPricing: InferencePricing {
    public let options: [ServingOption]
    private let pricers: [ServingOption: Pricer]
    private let outputTokens: Int
    private let inputTokens: Int

    /// - Parameters:
    ///   - costModel: the cost model (its catalog names the hardware and formats).
    ///   - hardware: a catalog name, a comma list, or `any`.
    ///   - quant: a quantization name, a comma list, or `any` (the formats with a known quality
    ///     penalty in ``QuantizationQuality``).
    ///   - engine: the serving engine (nil: the catalog's default for each hardware and format).
    ///   - tokensPerSample: output tokens per sample, T.
    ///   - promptTokens: input tokens per query, P.
    ///   - gpuCounts: the device counts tried for each option.
    public init(
        costModel: CostModel = CostModel(),
        hardware: String,
        quant: String,
        engine: String?,
        tokensPerSample: Double,
        promptTokens: Double,
        gpuCounts: [Int] = [1, 2, 4, 8]
    ) throws {
        let catalog = costModel.catalog
        let anyHardware = hardware.lowercased() == "any"
        let anyQuant = quant.lowercased() == "any"
        let hardwareList: [Hardware] =
            anyHardware
            ? catalog.hardware.filter { ($0.usdPerHour ?? 0) > 0 }
            : try hardware.split(separator: ",").map {
                try catalog.hardware(named: String($0).trimmingCharacters(in: .whitespaces))
            }
        let quantList: [QuantizationFormat] =
            anyQuant
            ? catalog.quantizations.filter { QuantizationQuality.penalty($0.name) != nil }
            : try quant.split(separator: ",").map {
                try catalog.quantization(named: String($0).trimmingCharacters(in: .whitespaces))
            }
        if !anyHardware, let h = hardwareList.first(where: { ($0.usdPerHour ?? 0) <= 0 }) {
            throw PlanError.noServingOption(
                "hardware '\(h.name)' has no $/hour in the catalog; add one with a catalog file (t2 cost --catalog)"
            )
        }
        let out = max(1, Int(tokensPerSample.rounded()))
        let inp = max(0, Int(promptTokens.rounded()))
        var options: [ServingOption] = []
        var pricers: [ServingOption: Pricer] = [:]
        var firstError: (any Error)?
        for q in quantList {
            let penalty = QuantizationQuality.penalty(q.name) ?? 0
            for h in hardwareList {
                for g in gpuCounts {
                    do {
                        let pricer = try costModel.pricer(quant: q.name, hardware: h.name, engine: engine, gpus: g)
                        let engineName =
                            try engine.map { try catalog.engine(named: $0).name }
                            ?? catalog.defaultEngine(for: h, quant: q)?.name ?? "default"
                        let option = ServingOption(
                            hardware: h.name,
                            quant: q.name,
                            engine: engineName,
                            gpus: g,
                            lossPenalty: penalty
                        )
                        options.append(option)
                        pricers[option] = pricer
                    } catch {
                        if g == 1, firstError == nil { firstError = error }
                    }
                }
            }
        }
        guard !options.isEmpty else {
            if let firstError { throw firstError }
            throw PlanError.noServingOption(
                "no hardware × quantization pair matches '--hardware \(hardware) --quant \(quant)'"
            )
        }
        self.options = options
        self.pricers = pricers
        self.outputTokens = out
        self.inputTokens = inp
    }

    public func price(params: Double, option: ServingOption) -> ServingPrice? {
        guard let pricer = pricers[option] else { return nil }
        let c = pricer.price(params: params, concurrency: .max, inputTokens: inputTokens, outputTokens: outputTokens)
        guard c.fits, c.usdPerMillionOutputTokens.isFinite, c.usdPerMillionOutputTokens > 0 else { return nil }
        let input = inputTokens > 0 && c.usdPerMillionInputTokens.isFinite ? c.usdPerMillionInputTokens / 1e6 : 0
        return ServingPrice(
            usdPerOutputToken: c.usdPerMillionOutputTokens / 1e6,
            usdPerInputToken: input,
            outputTokensPerSecond: c.outputTokensPerSecond,
            gpus: option.gpus
        )
    }
}

/// Builds ``DollarPricing`` from catalog names, as `t2 plan --budget-usd` does.
public enum CostModelPlanPricing {
    /// Training on `trainHardware` at its catalog $/hour (or `trainUSDPerHour`) and bf16 peak × `trainMFU`;
    /// serving by ``CostModelPricing``.
    public static func make(
        hardware: String,
        quant: String,
        engine: String?,
        tokensPerSample: Double,
        promptTokens: Double,
        trainHardware: String,
        trainMFU: Double,
        trainUSDPerHour: Double?,
        minParams: Double,
        costModel: CostModel = CostModel()
    ) throws -> DollarPricing {
        let h = try costModel.catalog.hardware(named: trainHardware)
        guard let price = trainUSDPerHour ?? h.usdPerHour, price > 0 else {
            throw PlanError.noServingOption(
                "training hardware '\(h.name)' has no $/hour in the catalog; give --train-usd-per-hour"
            )
        }
        let training = TrainingPricing(
            hardware: h.name,
            usdPerGPUHour: price,
            peakFLOPs: h.peakFLOPS("bf16"),
            mfu: trainMFU
        )
        let serving = try CostModelPricing(
            costModel: costModel,
            hardware: hardware,
            quant: quant,
            engine: engine,
            tokensPerSample: tokensPerSample,
            promptTokens: promptTokens
        )
        return try DollarPricing(training: training, serving: serving, minParams: minParams)
    }
}
