import Foundation

/// A weight format: bits per weight and how its matrix products run.
public struct QuantizationFormat: CatalogEntry {
    public var name: String
    public var aliases: [String]?
    /// Whole-model average bits per weight (block format plus the tensors a recipe keeps at
    /// higher precision), as in llama.cpp's quantize README; sets weight bytes.
    public var bitsPerWeight: Double
    /// Exact bits per weight of the block format itself (`8 · block bytes / block weights`).
    public var blockBitsPerWeight: Double?
    /// Bits of the embedding and output matrices when the format keeps them apart (FP8, AWQ …).
    public var embeddingBits: Double?
    /// Efficiency family (`float`, `gguf-k`, `gguf-legacy`, `native-fp8`, …).
    public var family: String
    /// Precision of the GEMMs (`fp16`, `bf16`, `fp8`, `int8`, `fp4`).
    public var computePrecision: String
    /// Where the bits come from.
    public var source: String?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name
        case aliases
        case bitsPerWeight
        case blockBitsPerWeight
        case embeddingBits
        case family
        case computePrecision
        case source
    }

    public static let listName = "quantizations"
    public static var jsonKeys: [String] { CodingKeys.allCases.map(\.rawValue) }

    public init(
        name: String,
        bitsPerWeight: Double,
        family: String,
        computePrecision: String,
        blockBitsPerWeight: Double? = nil,
        embeddingBits: Double? = nil,
        aliases: [String]? = nil,
        source: String? = nil
    ) {
        self.name = name
        self.aliases = aliases
        self.bitsPerWeight = bitsPerWeight
        self.blockBitsPerWeight = blockBitsPerWeight
        self.embeddingBits = embeddingBits
        self.family = family
        self.computePrecision = computePrecision
        self.source = source
    }

    /// Whether this is one of llama.cpp's GGUF block formats (the `gguf-*` families).
    public var isGGUF: Bool { family.hasPrefix("gguf") }

    public func problems() -> [String] {
        var p: [String] = []
        Check.require(!name.trimmingCharacters(in: .whitespaces).isEmpty, "has an empty name", into: &p)
        Check.require(
            Check.positive(bitsPerWeight) && bitsPerWeight <= 64,
            "bitsPerWeight must be in (0, 64]",
            into: &p
        )
        Check.require(
            blockBitsPerWeight.map { Check.positive($0) && $0 <= 64 } ?? true,
            "blockBitsPerWeight must be in (0, 64]",
            into: &p
        )
        Check.require(
            embeddingBits.map { Check.positive($0) && $0 <= 64 } ?? true,
            "embeddingBits must be in (0, 64]",
            into: &p
        )
        Check.require(
            Hardware.precisions.contains(computePrecision),
            "computePrecision '\(computePrecision)' is not one of \(Hardware.precisions.joined(separator: ", "))",
            into: &p
        )
        return p
    }
}
