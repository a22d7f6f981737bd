import Foundation
import RealModule

/// The value of repeated training data, after Muennighoff et al. 2023, "Scaling Data-Constrained
/// Language Models" (NeurIPS 2023, arXiv 2305.16264; reference implementation in the README of
/// https://github.com/huggingface/datablations).
///
/// With U unique tokens trained on for D tokens in all (D/U epochs), the R_D = D/U − 1 repetitions
/// are worth less than fresh data; the law is evaluated at the *effective* data
///
///     D′ = U + U·R_D*·(1 − e^(−R_D/R_D*))          (D′ = D when D ≤ U)
///
/// which grows like D for a few epochs and saturates at U·(1 + R_D*). Parameters beyond those
/// that U tokens can use are discounted alike: with U_N = min(N, N_opt(U)), the compute-optimal
/// model size for U tokens, and R_N = N/U_N − 1,
///
///     N′ = U_N + U_N·R_N*·(1 − e^(−R_N/R_N*)).
///
/// Their fit on C4 (the datablations README's parameters) gives R_D* = 15.387756 and
/// R_N* = 5.309743 (the paper's rounded 15.4 and 5.3): repeated data loses 1/e of its value
/// after about 15 repetitions, and four epochs are worth 3.73 epochs of fresh data.
public struct DataRepetition: Sendable, Equatable {
    /// Unique tokens U available for training.
    public var uniqueTokens: Double
    /// R_D*: the number of repetitions after which repeated data has lost 1 − 1/e of its value.
    public var tokensDecay: Double
    /// R_N*: the same for excess parameters.
    public var paramsDecay: Double
    /// N_opt(U): the compute-optimal model size for U tokens, beyond which parameters are
    /// discounted (∞: no parameter discount).
    public var usefulParams: Double

    /// Muennighoff et al.'s fitted R_D* on C4.
    public static let tokensDecayC4 = 15.387756
    /// Muennighoff et al.'s fitted R_N* on C4.
    public static let paramsDecayC4 = 5.309743

    /// Repetition of `uniqueTokens` unique tokens priced with Muennighoff et al.'s constants; the
    /// compute-optimal model size for U tokens comes from `allocation`'s frontier (nil: no
    /// parameter discount).
    public init(
        uniqueTokens: Double,
        allocation: ChinchillaLaw?,
        tokensDecay: Double = DataRepetition.tokensDecayC4,
        paramsDecay: Double = DataRepetition.paramsDecayC4
    ) {
        self.uniqueTokens = uniqueTokens
        self.tokensDecay = tokensDecay
        self.paramsDecay = paramsDecay
        usefulParams = allocation.map { Self.computeOptimalParams(tokens: uniqueTokens, law: $0) } ?? .infinity
    }

    /// The N that is compute-optimal for D tokens under `law`: N = G·(D·G)^(β/α), the inverse of
    /// D_opt(C) = G⁻¹(C/6)^(α/(α+β)) (Hoffmann et al. App. D.2).
    public static func computeOptimalParams(tokens: Double, law: ChinchillaLaw) -> Double {
        let g = law.allocationCoefficient
        return g * Double.pow(tokens * g, law.beta / law.alpha)
    }

    /// Epochs over the unique data, D/U.
    @inlinable
    public func epochs(tokens d: Double) -> Double { d / uniqueTokens }

    /// The effective data D′ for D tokens trained on.
    @inlinable
    public func effectiveTokens(_ d: Double) -> Double {
        Self.effective(d, unique: uniqueTokens, decay: tokensDecay)
    }

    /// The effective parameters N′ for a model of N parameters.
    @inlinable
    public func effectiveParams(_ n: Double) -> Double {
        Self.effective(n, unique: min(n, usefulParams), decay: paramsDecay)
    }

    /// The repetition formula for one quantity: x′ = U + U·R*·(1 − e^(−R/R*)) with R = x/U − 1
    /// (x itself when x ≤ U).
    @inlinable
    public static func effective(_ x: Double, unique u: Double, decay: Double) -> Double {
        guard x > u, u > 0 else { return x }
        let repeats = x / u - 1
        return u + u * decay * -Double.expMinusOne(-repeats / decay)
    }
}
