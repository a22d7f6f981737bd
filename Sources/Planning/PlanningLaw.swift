import Foundation
import Optimization
import RealModule
import ScalingLaws

/// A scaling law the planner can optimise, with the one number it minimises: the *task loss*
///
///     chinchilla:   L(N, D)                      = E + A/N^α + B/D^β            (no k term)
///     t2-loss:      L̂(N, D, k)                   = E + A/N^α + B/D^β + G/k^γ    (= −ln pass@k)
///     t2-accuracy:  −ln pass@k = −ln(1 − B(a, b + k)/B(a, b))                  (T² Approach 2)
///
/// Lower is better for all three; for the two T² forms it is a monotone transform of the predicted
/// pass@k, so minimising it maximises accuracy. `shift` adds a constant to the pretraining loss
/// L̂(N, D) inside the law (used for the quality cost of quantized serving, see ``ServingOption``).
public struct PlanningLaw: Sendable, Equatable {
    /// The law as read from a file or built in.
    public let law: ScalingLaw
    /// Repeated data (and excess parameters) priced by Muennighoff et al. 2023: the law is
    /// evaluated at the effective N′ and D′ (nil: every token is fresh).
    public var repetition: DataRepetition?

    /// Checks that the law can be planned with: every pretraining term must fall with N and D
    /// (A, B, α, β > 0), the samples term of t2-loss must not grow with k (G, γ ≥ 0), and the
    /// t2-accuracy mean must rise as the loss falls (θ₂ < 0); otherwise the "optimum" is a corner
    /// of the search box, not a plan.
    public init(_ law: ScalingLaw) throws {
        let base: ChinchillaLaw
        switch law {
        case let .chinchilla(l): base = l
        case let .t2Loss(l):
            base = l.pretraining
            guard l.G >= 0, l.gamma >= 0, l.G.isFinite, l.gamma.isFinite else {
                throw PlanError.unplannableLaw(
                    form: law.form,
                    reason:
                        "its samples term G/k^γ has G = \(l.G), γ = \(l.gamma); both must be ≥ 0 so that more samples never hurt"
                )
            }
        case let .t2Accuracy(l):
            base = l.base
            guard l.theta2 < 0, [l.theta1, l.theta2, l.theta3, l.theta4].allSatisfy(\.isFinite) else {
                throw PlanError.unplannableLaw(
                    form: law.form,
                    reason:
                        "θ₂ = \(l.theta2) ≥ 0 means predicted accuracy rises with loss; refit with `t2 fit --form t2-accuracy`"
                )
            }
        }
        for (name, value) in [("A", base.A), ("B", base.B), ("alpha", base.alpha), ("beta", base.beta)]
        where !(value > 0 && value.isFinite) {
            throw PlanError.unplannableLaw(
                form: law.form,
                reason: "parameter \(name) = \(value); the planner needs A, B, α, β > 0 (loss falling in both N and D)"
            )
        }
        guard base.E.isFinite else {
            throw PlanError.unplannableLaw(form: law.form, reason: "E = \(base.E) is not finite")
        }
        self.law = law
    }

    /// Reads a law file; a form the planner cannot use becomes ``PlanError/unplannableLaw(form:reason:)``.
    public init(file: LawFile, source: String) throws {
        let law: ScalingLaw
        do {
            law = try ScalingLaw(file, source: source)
        } catch LawFileError.unknownForm(_, let form) {
            throw PlanError.unplannableLaw(
                form: form,
                reason:
                    "\(source) holds a '\(form)' law, which does not predict quality from model size and training tokens"
            )
        }
        try self.init(law)
    }

    /// Whether the law has a test-time term (more samples k can help).
    @inlinable
    public var hasSamplesTerm: Bool {
        if case .chinchilla = law { return false }
        return true
    }

    /// Whether the law predicts pass@k (both T² forms) rather than only a loss.
    @inlinable
    public var predictsAccuracy: Bool { hasSamplesTerm }

    /// The Chinchilla-form pretraining part L(N, D), used for the Chinchilla-optimal comparison.
    public var pretraining: ChinchillaLaw {
        switch law {
        case let .chinchilla(l): return l
        case let .t2Loss(l): return l.pretraining
        case let .t2Accuracy(l): return l.base
        }
    }

    /// The task loss to minimise (see the type's documentation); `samples` may be fractional ≥ 1.
    @inlinable
    public func taskLoss(params nIn: Double, tokens dIn: Double, samples: Double, shift: Double = 0) -> Double {
        let params = repetition.map { $0.effectiveParams(nIn) } ?? nIn
        let tokens = repetition.map { $0.effectiveTokens(dIn) } ?? dIn
        switch law {
        case let .chinchilla(l):
            return l.loss(params: params, tokens: tokens) + shift
        case let .t2Loss(l):
            return l.loss(params: params, tokens: tokens, samples: samples) + shift
        case let .t2Accuracy(l):
            let lhat = l.base.loss(params: params, tokens: tokens) + shift
            let mu = Special.sigmoid(l.theta1 + l.theta2 * lhat)
            let nu = Double.exp(l.theta3 + l.theta4 * lhat)
            let a = mu * nu
            let b = (1 - mu) * nu
            // ln E[(1−p)^k] = ln B(a, b+k) − ln B(a, b)
            let logMiss =
                Double.logGamma(b + samples) - Double.logGamma(b) + Double.logGamma(a + b)
                - Double.logGamma(a + b + samples)
            return -Special.log1mexp(min(logMiss, -Double.leastNonzeroMagnitude))
        }
    }

    /// What the law predicts for a plan.
    public func predict(params nIn: Double, tokens dIn: Double, samples: Double, shift: Double = 0) -> Prediction {
        let task = taskLoss(params: nIn, tokens: dIn, samples: samples, shift: shift)
        let params = repetition.map { $0.effectiveParams(nIn) } ?? nIn
        let tokens = repetition.map { $0.effectiveTokens(dIn) } ?? dIn
        switch law {
        case let .chinchilla(l):
            return Prediction(
                passAtK: nil,
                taskLoss: task,
                pretrainingLoss: l.loss(params: params, tokens: tokens) + shift
            )
        case let .t2Loss(l):
            return Prediction(
                passAtK: Double.exp(-task),
                taskLoss: task,
                pretrainingLoss: l.pretraining.loss(params: params, tokens: tokens) + shift
            )
        case let .t2Accuracy(l):
            return Prediction(
                passAtK: Double.exp(-task),
                taskLoss: task,
                pretrainingLoss: l.base.loss(params: params, tokens: tokens) + shift
            )
        }
    }
}

/// A law's prediction for one plan.
public struct Prediction: Sendable, Equatable, Codable {
    /// Predicted pass@k (fraction of problems solved by at least one of k samples); nil for a
    /// Chinchilla law, which predicts only loss.
    public var passAtK: Double?
    /// The task loss the planner minimises: L for chinchilla, L̂(N, D, k) for t2-loss, −ln pass@k for t2-accuracy.
    public var taskLoss: Double
    /// The Chinchilla-form pretraining loss L̂(N, D) inside the law.
    public var pretrainingLoss: Double

    public init(passAtK: Double?, taskLoss: Double, pretrainingLoss: Double) {
        self.passAtK = passAtK
        self.taskLoss = taskLoss
        self.pretrainingLoss = pretrainingLoss
    }

    enum CodingKeys: String, CodingKey {
        case passAtK = "pass_at_k"
        case taskLoss = "task_loss"
        case pretrainingLoss = "pretraining_loss"
    }
}
