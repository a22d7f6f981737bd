import Foundation

/// Model-wide defaults of the roofline (calibrated values override them).
public struct GlobalParameters: Codable, Sendable, Equatable {
    /// Exponent p of the soft roofline max (tᵖ_mem + tᵖ_compute)^(1/p); ∞ is the hard roofline.
    public var overlap: Double
    /// Latency of one tensor-parallel all-reduce, µs.
    public var allReduceUs: Double

    enum CodingKeys: String, CodingKey, CaseIterable {
        case overlap
        case allReduceUs
    }

    /// The JSON keys of `global`.
    public static var jsonKeys: [String] { CodingKeys.allCases.map(\.rawValue) }

    public init(overlap: Double, allReduceUs: Double) {
        self.overlap = overlap
        self.allReduceUs = allReduceUs
    }

    /// Problems with the values.
    func problems() -> [String] {
        var p: [String] = []
        Check.require(overlap.isFinite && overlap >= 1 && overlap <= 100, "overlap must be in [1, 100]", into: &p)
        Check.require(
            Check.nonNegative(allReduceUs) && allReduceUs <= 1e6,
            "allReduceUs must be in [0, 10^6]",
            into: &p
        )
        return p
    }
}
