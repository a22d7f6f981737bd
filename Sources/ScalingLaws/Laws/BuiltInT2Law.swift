import Foundation

// The built-in T² laws: fitted by `t2 fit --form t2-loss|t2-accuracy` on the Pythia GSM8K
// repeated-sampling counts (Tests/Fixtures/pythia_gsm8k_counts.csv; Schaeffer et al. 2025).
// See docs/test-time-scaling.md for the fit, the held-out check and the trusted range.

extension T2LossLaw {
    /// T² Approach 1 fitted to Pythia × GSM8K: −ln(mean pass@k) = E + A/N^α + B/D^β + G/k^γ.
    ///
    /// Fitted by `T2LossFitter.fit` on the whole fixture (1,236 model × k points, 79 models with a
    /// correct sample; Huber δ = 1e-3 on log residuals, 288-start L-BFGS). E went to its bound 0.
    /// Held out (fit on N < 12B, predict the nine 12B checkpoints): mean |Δ pass@k| 0.041.
    public static let pythiaGSM8K = T2LossLaw(
        E: 0.0,
        A: 15_997_836.14144035,
        B: 511.1044217947252,
        alpha: 0.9425626797281689,
        beta: 0.26752665861073044,
        G: 6.279031576852654,
        gamma: 0.5211583788934036
    )
}

extension T2AccuracyLaw {
    /// T² Approach 2 fitted to Pythia × GSM8K: p ~ Beta(μν, (1−μ)ν) per problem with
    /// μ = sigmoid(θ₁ + θ₂·L̂), ν = exp(θ₃ + θ₄·L̂), L̂ = E + A/N^α + B/D^β.
    ///
    /// Fitted by `T2AccuracyFitter.fit` (beta-binomial MLE on all 10,273 per-problem counts of the
    /// 81 checkpoints; gauge E = 0, θ₂ = −1). Held out (fit on N < 12B, predict the 12B
    /// checkpoints): mean |Δ pass@k| 0.032.
    public static let pythiaGSM8K = T2AccuracyLaw(
        base: ChinchillaLaw(
            E: 0,
            A: 14_722.873247665819,
            B: 97.02482730779208,
            alpha: 0.4992009893978272,
            beta: 0.12741838389503754
        ),
        theta1: -0.528278021735148,
        theta2: -1,
        theta3: 0.919765589234055,
        theta4: 0.7006307998288639
    )
}

extension FittedRange {
    /// The 81 Pythia checkpoints of the GSM8K counts fixture: N = 14M–12B, D = 2M–300B tokens,
    /// D/N = 1.67e-4 (Pythia-12B after 2M tokens) to 21,429 (Pythia-14M after 300B).
    public static let pythiaGSM8K = FittedRange(
        params: 14e6...12e9,
        tokens: 2e6...300e9,
        tokensPerParam: (2e6 / 12e9)...(300e9 / 14e6)
    )
}

extension LawFile {
    /// The built-in T² accuracy law as a law file: ``T2AccuracyLaw/pythiaGSM8K`` with its fitted
    /// range, its held-out error and 200 bootstrap replicates (models resampled with replacement,
    /// seed 1; regenerate with `scripts/builtin-law-replicates`).
    public static var pythiaGSM8KAccuracy: LawFile {
        LawFile(
            form: "t2-accuracy",
            parameters: T2AccuracyLaw.pythiaGSM8K.parameters,
            points: 10_273,
            status: "converged",
            data: DataProvenance(path: "Tests/Fixtures/pythia_gsm8k_counts.csv", rows: 10_273, sha256: nil),
            fittedRange: .pythiaGSM8K,
            heldOut: T2AccuracyLaw.pythiaGSM8KHeldOut,
            bootstrap: T2AccuracyLaw.pythiaGSM8KReplicates.map { T2AccuracyLaw.replicateParameters($0) },
            notes: [
                "T² Approach 2 fitted by beta-binomial maximum likelihood to the Pythia × GSM8K repeated-sampling counts (Schaeffer et al. 2025)"
            ]
        )
    }
}

extension T2AccuracyLaw {
    /// The held-out check of ``pythiaGSM8K``: fitted on the 72 checkpoints with N < 12B, it
    /// predicts the nine Pythia-12B checkpoints' mean pass@k (k = 1, 2, 4, …, 10,000).
    public static let pythiaGSM8KHeldOut = HeldOutSummary(
        metric: "mean_abs_pass_at_k_error",
        value: pythiaGSM8KHeldOutError,
        split: "fit on N < 12B, predict the nine 12B checkpoints"
    )

    /// A replicate's parameters from (A, B, α, β, θ₁, θ₃, θ₄); E = 0 and θ₂ = −1 fix the gauge.
    static func replicateParameters(_ v: [Double]) -> [String: Double] {
        [
            "E": 0, "A": v[0], "B": v[1], "alpha": v[2], "beta": v[3], "theta1": v[4], "theta2": -1, "theta3": v[5],
            "theta4": v[6],
        ]
    }
}
