import Foundation

/// KV-cache element precision (chosen apart from the weight format).
public struct KVCachePrecision: CatalogEntry {
    public var name: String
    public var aliases: [String]?
    /// Bytes per cached K or V element (f16 2, fp8 1, q8_0 34/32, q4_0 18/32).
    public var bytesPerElement: Double

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name
        case aliases
        case bytesPerElement
    }

    public static let listName = "kvCachePrecisions"
    public static var jsonKeys: [String] { CodingKeys.allCases.map(\.rawValue) }

    public init(name: String, bytesPerElement: Double, aliases: [String]? = nil) {
        self.name = name
        self.bytesPerElement = bytesPerElement
        self.aliases = aliases
    }

    public func problems() -> [String] {
        var p: [String] = []
        Check.require(!name.trimmingCharacters(in: .whitespaces).isEmpty, "has an empty name", into: &p)
        Check.require(
            Check.positive(bytesPerElement) && bytesPerElement <= 8,
            "bytesPerElement must be in (0, 8]",
            into: &p
        )
        return p
    }
}
