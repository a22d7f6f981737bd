import Foundation
import RealModule

/// The Chinchilla pretraining law (Hoffmann et al. 2022, arXiv 2203.15556, eq. 2):
///
///     L(N, D) = E + A / N^α + B / D^β
///
/// with N the parameter count and D the number of training tokens. Training compute is
/// C ≈ 6·N·D FLOPs (Kaplan et al. 2020), and the compute-optimal allocation for a budget C is
/// (Hoffmann et al. Appendix D.2):
///
///     N_opt(C) = G·(C/6)^(β/(α+β)),   D_opt(C) = G⁻¹·(C/6)^(α/(α+β)),   G = (αA / (βB))^(1/(α+β)).
public struct ChinchillaLaw: Sendable, Equatable, Codable {
    /// Irreducible loss E (nats per token).
    public var E: Double
    /// Parameter-term coefficient A.
    public var A: Double
    /// Data-term coefficient B.
    public var B: Double
    /// Parameter exponent α.
    public var alpha: Double
    /// Data exponent β.
    public var beta: Double

    public init(E: Double, A: Double, B: Double, alpha: Double, beta: Double) {
        self.E = E
        self.A = A
        self.B = B
        self.alpha = alpha
        self.beta = beta
    }

    /// Epoch AI's refit of the Chinchilla data (Besiroglu et al. 2024, "Chinchilla Scaling: A
    /// replication attempt"): Huber δ = 1e-3 on log-loss, L-BFGS from the 4,500-start grid, 240
    /// points (the 5 highest-loss runs dropped). `t2 fit` reproduces it from
    /// `Tests/Fixtures/chinchilla_epoch.csv`, and a test checks that it still does.
    public static let epochRefit = ChinchillaLaw(
        E: 1.817_2,
        A: 477.8,
        B: 2_143,
        alpha: 0.347_3,
        beta: 0.367_2
    )

    /// Hoffmann et al.'s published Approach 3 values (E = 1.69, A = 406.4, B = 410.7, α = 0.34, β = 0.28).
    public static let hoffmann2022 = ChinchillaLaw(E: 1.69, A: 406.4, B: 410.7, alpha: 0.34, beta: 0.28)

    /// Predicted loss for `params` parameters trained on `tokens` tokens.
    @inlinable
    public func loss(params: Double, tokens: Double) -> Double {
        E + A * Double.pow(params, -alpha) + B * Double.pow(tokens, -beta)
    }

    /// The coefficient G = (αA/(βB))^(1/(α+β)) of the compute-optimal allocation.
    public var allocationCoefficient: Double {
        Double.pow(alpha * A / (beta * B), 1 / (alpha + beta))
    }

    /// The compute-optimal allocation for `flops` training FLOPs (C = 6ND).
    public func computeOptimal(flops: Double) -> Allocation {
        let a = beta / (alpha + beta)
        let n = allocationCoefficient * Double.pow(flops / 6, a)
        let d = flops / (6 * n)
        return Allocation(flops: flops, params: n, tokens: d, loss: loss(params: n, tokens: d))
    }

    /// Named parameters, as written to law JSON (`E`, `A`, `B`, `alpha`, `beta`).
    public var parameters: [String: Double] {
        ["E": E, "A": A, "B": B, "alpha": alpha, "beta": beta]
    }

    /// Reads the law from named parameters; throws ``LawFileError`` naming a missing or invalid one.
    public init(parameters p: [String: Double], source: String) throws {
        func value(_ key: String, positive: Bool = true) throws -> Double {
            guard let v = p[key] else {
                throw LawFileError.missingParameter(source: source, form: "chinchilla", name: key)
            }
            guard v.isFinite, !positive || v > 0 else {
                throw LawFileError.invalidParameter(
                    source: source,
                    name: key,
                    value: v,
                    expected: "a finite number > 0"
                )
            }
            return v
        }
        self.init(
            E: try value("E", positive: false),
            A: try value("A"),
            B: try value("B"),
            alpha: try value("alpha"),
            beta: try value("beta")
        )
    }
}

/// A point on the compute-optimal frontier of a pretraining law.
public struct Allocation: Sendable, Equatable, Codable {
    /// Training compute C = 6·N·D (FLOPs).
    public var flops: Double
    /// Parameters N.
    public var params: Double
    /// Training tokens D.
    public var tokens: Double
    /// Predicted loss L(N, D).
    public var loss: Double

    /// D / N.
    public var tokensPerParam: Double { tokens / params }

    public init(flops: Double, params: Double, tokens: Double, loss: Double) {
        self.flops = flops
        self.params = params
        self.tokens = tokens
        self.loss = loss
    }

    enum CodingKeys: String, CodingKey {
        case flops, params, tokens, loss
        case tokensPerParam = "tokens_per_param"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(flops, forKey: .flops)
        try c.encode(params, forKey: .params)
        try c.encode(tokens, forKey: .tokens)
        try c.encode(loss, forKey: .loss)
        try c.encode(tokensPerParam, forKey: .tokensPerParam)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        flops = try c.decode(Double.self, forKey: .flops)
        params = try c.decode(Double.self, forKey: .params)
        tokens = try c.decode(Double.self, forKey: .tokens)
        loss = try c.decode(Double.self, forKey: .loss)
    }
}
