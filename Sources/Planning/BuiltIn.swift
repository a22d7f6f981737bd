import Foundation
import ScalingLaws

/// The law `t2 plan` uses without `--law`: the T² accuracy law (Approach 2) fitted on the Pythia
/// GSM8K repeated-sampling counts, ``T2AccuracyLaw/pythiaGSM8K``.
///
/// Why Approach 2 rather than the loss law ``T2LossLaw/pythiaGSM8K``: it predicts pass@k itself —
/// exactly, as 1 − B(a, b+k)/B(a, b) from a per-problem success distribution fitted to every
/// problem's counts — so its predictions stay in [0, 1] and its benefit from sampling depends on
/// the model (a weak model gains less from k than a strong one). The loss law adds a separable
/// G/k^γ to −ln pass@k, so the gain from k is the same for every (N, D), and it is fitted to an
/// aggregate curve. See docs/planning.md.
public enum BuiltInPlanLaw {
    /// The built-in law and a one-line description for reports.
    public static var law: (law: ScalingLaw, description: String) {
        get throws {
            (
                .t2Accuracy(T2AccuracyLaw.pythiaGSM8K),
                "built-in T² accuracy law, GSM8K pass@k fitted on 81 Pythia checkpoints"
            )
        }
    }
}
