import Foundation

// The built-in T² laws: fitted by `t2 fit --form t2-loss|t2-accuracy` on the Pythia GSM8K
// repeated-sampling counts (Tests/Fixtures/pythia_gsm8k_counts.csv; Schaeffer et al. 2025).
// See docs/test-time-scaling.md for the fit, the held-out check and the trusted range.

extension T2LossLaw {
    /// T² Approach 1 fitted to Pythia × GSM8K: −ln(mean pass@k) = E + A/N^α + B/D^β + G/k^γ.
    ///
    /// PROVISIONAL coefficients (to be replaced by the fixture refit).
    public static let pythiaGSM8K = T2LossLaw(
        E: 0.2, A: 500, B: 1_000, alpha: 0.3, beta: 0.3, G: 3.5, gamma: 0.5)
}

extension T2AccuracyLaw {
    /// T² Approach 2 fitted to Pythia × GSM8K: p ~ Beta(μν, (1−μ)ν) per problem with
    /// μ = sigmoid(θ₁ + θ₂·L̂), ν = exp(θ₃ + θ₄·L̂), L̂ = E + A/N^α + B/D^β.
    ///
    /// PROVISIONAL coefficients (to be replaced by the fixture refit).
    public static let pythiaGSM8K = T2AccuracyLaw(
        base: ChinchillaLaw(E: 0, A: 500, B: 1_000, alpha: 0.3, beta: 0.3),
        theta1: -3.7, theta2: -1, theta3: 3.3, theta4: 0)
}
