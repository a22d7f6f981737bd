import Foundation

/// Dollar pricing from the InferenceCost module's catalogs and roofline model.
public enum CostModelPlanPricing {
    /// Builds the dollar pricing for `t2 plan --budget-usd`.
    public static func make(
        hardware: String, quant: String, engine: String?, tokensPerSample: Double, promptTokens: Double,
        trainHardware: String, trainMFU: Double, trainUSDPerHour: Double?, minParams: Double
    ) throws -> DollarPricing {
        throw PlanError.noServingOption("the InferenceCost cost model is not in this build yet")
    }
}
