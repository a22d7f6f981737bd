import Foundation
import Optimization
import RealModule

/// T² Approach 1 (Roberts et al. 2026, arXiv 2604.01411): the task's negative log pass@k as
/// Chinchilla plus a power law in the number of samples k,
///
///     L̂(N, D, k) = E + A/N^α + B/D^β + G/k^γ.
///
/// t2 fits it to the aggregate −ln(mean pass@k) over problems (see `docs/` for why the mean is
/// taken before the log), so the predicted aggregate pass@k is exp(−L̂).
public struct T2LossLaw: Sendable, Equatable, Codable {
    public var E: Double
    public var A: Double
    public var B: Double
    public var alpha: Double
    public var beta: Double
    /// Coefficient of the samples term.
    public var G: Double
    /// Exponent of the samples term.
    public var gamma: Double

    public init(E: Double, A: Double, B: Double, alpha: Double, beta: Double, G: Double, gamma: Double) {
        self.E = E
        self.A = A
        self.B = B
        self.alpha = alpha
        self.beta = beta
        self.G = G
        self.gamma = gamma
    }

    /// L̂(N, D, k); k may be fractional (the planner treats it as continuous before rounding).
    @inlinable
    public func loss(params: Double, tokens: Double, samples: Double) -> Double {
        E + A * Double.pow(params, -alpha) + B * Double.pow(tokens, -beta) + G * Double.pow(samples, -gamma)
    }

    /// Predicted aggregate pass@k = exp(−L̂(N, D, k)).
    @inlinable
    public func passAtK(params: Double, tokens: Double, samples: Double) -> Double {
        Double.exp(-loss(params: params, tokens: tokens, samples: samples))
    }

    /// The pretraining part E + A/N^α + B/D^β as a Chinchilla law.
    public var pretraining: ChinchillaLaw { ChinchillaLaw(E: E, A: A, B: B, alpha: alpha, beta: beta) }

    /// Named parameters for law JSON: `E, A, B, alpha, beta, G, gamma`.
    public var parameters: [String: Double] {
        ["E": E, "A": A, "B": B, "alpha": alpha, "beta": beta, "G": G, "gamma": gamma]
    }

    /// Reads the law from named parameters.
    public init(parameters p: [String: Double], source: String) throws {
        let base = try ChinchillaLaw(parameters: p, source: source)
        func value(_ key: String) throws -> Double {
            guard let v = p[key] else {
                throw LawFileError.missingParameter(source: source, form: "t2-loss", name: key)
            }
            guard v.isFinite, v >= 0 else {
                throw LawFileError.invalidParameter(
                    source: source,
                    name: key,
                    value: v,
                    expected: "a finite number ≥ 0"
                )
            }
            return v
        }
        self.init(
            E: base.E,
            A: base.A,
            B: base.B,
            alpha: base.alpha,
            beta: base.beta,
            G: try value("G"),
            gamma: try value("gamma")
        )
    }
}

/// T² Approach 2 (Roberts et al. 2026): per-problem single-sample success p ~ Beta(a, b) with mean
/// and concentration linked to a Chinchilla-form loss L̂(N, D):
///
///     μ = sigmoid(θ₁ + θ₂·L̂(N, D)),   ν = exp(θ₃ + θ₄·L̂(N, D)),   a = μν,  b = (1 − μ)ν,
///
/// and the exact expected pass@k over problems is
///
///     pass@k = 1 − E[(1 − p)^k] = 1 − B(a, b + k) / B(a, b),
///
/// computed in log-gamma form (stable for k up to 10⁹).
public struct T2AccuracyLaw: Sendable, Equatable, Codable {
    /// The Chinchilla-form L̂(N, D) inside the link functions.
    public var base: ChinchillaLaw
    public var theta1: Double
    public var theta2: Double
    public var theta3: Double
    public var theta4: Double

    public init(base: ChinchillaLaw, theta1: Double, theta2: Double, theta3: Double, theta4: Double) {
        self.base = base
        self.theta1 = theta1
        self.theta2 = theta2
        self.theta3 = theta3
        self.theta4 = theta4
    }

    /// The Beta(a, b) of per-problem success probabilities for a model of N params and D tokens.
    @inlinable
    public func betaParameters(params: Double, tokens: Double) -> (a: Double, b: Double) {
        let l = base.loss(params: params, tokens: tokens)
        let mu = Special.sigmoid(theta1 + theta2 * l)
        let nu = Double.exp(theta3 + theta4 * l)
        return (mu * nu, (1 - mu) * nu)
    }

    /// Expected pass@k over problems, 1 − B(a, b + k)/B(a, b); k may be fractional.
    @inlinable
    public func passAtK(params: Double, tokens: Double, samples k: Double) -> Double {
        let (a, b) = betaParameters(params: params, tokens: tokens)
        let logRatio = Double.logGamma(b + k) - Double.logGamma(b) + Double.logGamma(a + b) - Double.logGamma(a + b + k)
        return -Double.expMinusOne(logRatio)
    }

    /// Named parameters for law JSON: `E, A, B, alpha, beta, theta1 … theta4`.
    public var parameters: [String: Double] {
        var p = base.parameters
        p["theta1"] = theta1
        p["theta2"] = theta2
        p["theta3"] = theta3
        p["theta4"] = theta4
        return p
    }

    /// Reads the law from named parameters.
    public init(parameters p: [String: Double], source: String) throws {
        let base = try ChinchillaLaw(parameters: p, source: source)
        func value(_ key: String) throws -> Double {
            guard let v = p[key] else {
                throw LawFileError.missingParameter(source: source, form: "t2-accuracy", name: key)
            }
            guard v.isFinite else {
                throw LawFileError.invalidParameter(source: source, name: key, value: v, expected: "a finite number")
            }
            return v
        }
        self.init(
            base: base,
            theta1: try value("theta1"),
            theta2: try value("theta2"),
            theta3: try value("theta3"),
            theta4: try value("theta4")
        )
    }
}
