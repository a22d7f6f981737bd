import Foundation
import ScalingLaws

/// The law `t2 plan` uses without `--law`: the T² accuracy law (Approach 2) fitted on the Pythia
/// GSM8K repeated-sampling counts, `T2AccuracyLaw.pythiaGSM8K`, as a law file with its fitted
/// range, held-out error and bootstrap replicates (`LawFile.pythiaGSM8KAccuracy`, ScalingLaws).
///
/// Why Approach 2 rather than the loss law `T2LossLaw.pythiaGSM8K`: it predicts pass@k itself —
/// exactly, as 1 − B(a, b+k)/B(a, b) from a per-problem success distribution fitted to every
/// problem's counts — so its predictions stay in [0, 1] and its benefit from sampling depends on
/// the model (a weak model gains less from k than a strong one). The loss law adds a separable
/// G/k^γ to −ln pass@k, so the gain from k is the same for every (N, D), and it is fitted to an
/// aggregate curve. See docs/planning.md.
public enum BuiltInPlanLaw {
    /// The built-in law file.
    public static var file: LawFile { .pythiaGSM8KAccuracy }

    /// A one-line description for reports.
    public static let description = "built-in T² accuracy law, GSM8K pass@k fitted on 81 Pythia checkpoints"

    /// What the built-in law cannot know, said beside plans it extrapolates to (docs/planning.md,
    /// "The Chinchilla column").
    public static let caveat =
        "The built-in law is fitted on Pythia checkpoints (14M–12B parameters, ≤ 300B tokens of the Pile, base models sampled on GSM8K): the best of them, Pythia-12B after 300B tokens, solves 1.1% of problems per sample, and the law extends that trend, with no knowledge of math-rich data, prompting or post-training that lift modern models of this size far higher. Trusting it at this scale needs checkpoints near that size and data in the fit (t2 fit --form t2-accuracy with your own counts)"
}
