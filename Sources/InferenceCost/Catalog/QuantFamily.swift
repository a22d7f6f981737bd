import Foundation

/// Defaults for a family of weight formats (calibrated values override them).
public struct QuantFamily: CatalogEntry {
    public var name: String
    /// Vector operations per weight read in a decode step, spent unpacking blocks.
    public var dequantOps: Double
    /// Multiplier on the engine's compute efficiency during prefill (1 for plain floats).
    public var prefillEff: Double
    /// What the family is.
    public var description: String?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name
        case dequantOps
        case prefillEff
        case description
    }

    public static let listName = "quantFamilies"
    public static var jsonKeys: [String] { CodingKeys.allCases.map(\.rawValue) }
    /// Families have no aliases.
    public var aliases: [String]? { nil }

    public init(name: String, dequantOps: Double, prefillEff: Double, description: String? = nil) {
        self.name = name
        self.dequantOps = dequantOps
        self.prefillEff = prefillEff
        self.description = description
    }

    public func problems() -> [String] {
        var p: [String] = []
        Check.require(!name.trimmingCharacters(in: .whitespaces).isEmpty, "has an empty name", into: &p)
        Check.require(
            Check.nonNegative(dequantOps) && dequantOps <= 1000,
            "dequantOps must be in [0, 1000]",
            into: &p
        )
        Check.require(Check.positive(prefillEff) && prefillEff <= 10, "prefillEff must be in (0, 10]", into: &p)
        return p
    }
}
