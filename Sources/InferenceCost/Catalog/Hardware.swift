import Foundation

/// A device that serves a model — one GPU, one Apple SoC, or one CPU socket (or a whole CPU
/// machine) — as the roofline model sees it.
///
/// Units: memory in GB (10⁹ bytes), bandwidth in GB/s (10⁹ B/s), peak throughput in dense
/// (non-sparse) TFLOP/s per precision. `vector` is the non-tensor FP32 rate that weight
/// dequantization runs on; on Apple GPUs it equals the FP16 rate (no 2× half rate on M1–M4).
/// On CPUs (`class` `cpu`), `vector` is the FP32 FMA peak of all cores and `int8` the peak of the
/// integer dot-product instructions (AVX-VNNI / AVX512-VNNI, ARM `sdot`) that llama.cpp's CPU
/// kernels multiply quantized weights with. Each entry's `source` names where its numbers come from.
public struct Hardware: CatalogEntry {
    /// Catalog key, e.g. `h100-sxm`, `m3-max-40c-64gb`, `epyc-9654`.
    public var name: String
    /// Other accepted spellings.
    public var aliases: [String]?
    /// The efficiency class engines are calibrated per: `apple`, `nvidia-gddr`, `nvidia-hbm`,
    /// `amd-hbm`, `cpu`.
    public var hardwareClass: String
    /// Memory of one device, GB (10⁹ B). CPUs: the system memory of the configuration described.
    public var memoryGB: Double
    /// Peak memory bandwidth, GB/s (CPUs: channels × MT/s × 8 bytes).
    public var bandwidthGBps: Double
    /// Dense peak TFLOP/s per precision (`vector`, `fp16`, `bf16`, `fp8`, `int8`, `fp4`).
    public var peakTFLOPS: [String: Double]
    /// Fraction of `memoryGB` a process may use (Apple GPUs: the Metal working-set cap, ~0.70–0.78).
    public var usableMemoryFraction: Double
    /// Board (or package) power under load, W; used for J/token.
    public var powerW: Double?
    /// GPU-to-GPU link bandwidth per direction, GB/s (tensor-parallel all-reduce).
    public var interconnectGBps: Double?
    /// A default rental price, $/device-hour, where a public price exists.
    public var usdPerHour: Double?
    /// Where `usdPerHour` comes from.
    public var priceSource: String?
    /// Physical cores (CPUs; informative for GPUs).
    public var cores: Double?
    /// Where the specs come from.
    public var source: String?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name
        case aliases
        case hardwareClass = "class"
        case memoryGB
        case bandwidthGBps
        case peakTFLOPS
        case usableMemoryFraction
        case powerW
        case interconnectGBps
        case usdPerHour
        case priceSource
        case cores
        case source
    }

    /// The hardware classes the built-in engines have profiles for.
    public static let classes = ["apple", "nvidia-gddr", "nvidia-hbm", "amd-hbm", "cpu"]
    /// The precisions `peakTFLOPS` may list.
    public static let precisions = ["vector", "fp16", "bf16", "fp8", "int8", "fp4"]

    public static let listName = "hardware"
    public static var jsonKeys: [String] { CodingKeys.allCases.map(\.rawValue) }

    public init(
        name: String,
        hardwareClass: String,
        memoryGB: Double,
        bandwidthGBps: Double,
        peakTFLOPS: [String: Double],
        usableMemoryFraction: Double,
        powerW: Double? = nil,
        interconnectGBps: Double? = nil,
        usdPerHour: Double? = nil,
        aliases: [String]? = nil,
        priceSource: String? = nil,
        cores: Double? = nil,
        source: String? = nil
    ) {
        self.name = name
        self.aliases = aliases
        self.hardwareClass = hardwareClass
        self.memoryGB = memoryGB
        self.bandwidthGBps = bandwidthGBps
        self.peakTFLOPS = peakTFLOPS
        self.usableMemoryFraction = usableMemoryFraction
        self.powerW = powerW
        self.interconnectGBps = interconnectGBps
        self.usdPerHour = usdPerHour
        self.priceSource = priceSource
        self.cores = cores
        self.source = source
    }

    /// Whether this is a CPU (llama.cpp's CPU backend, `--hardware local`).
    public var isCPU: Bool { hardwareClass == "cpu" }

    /// Dense peak FLOP/s for `precision`, falling back to fp16, bf16, then vector when the device
    /// has no units for that precision (e.g. FP8 weights on an A100 run 16-bit GEMMs).
    public func peakFLOPS(_ precision: String) -> Double {
        for key in [precision, "fp16", "bf16", "vector"] {
            if let value = peakTFLOPS[key] { return value * 1e12 }
        }
        return 0
    }

    /// The precision actually used for `precision` (after the fallback of ``peakFLOPS(_:)``).
    public func effectivePrecision(_ precision: String) -> String {
        for key in [precision, "fp16", "bf16", "vector"] where peakTFLOPS[key] != nil { return key }
        return precision
    }

    public func problems() -> [String] {
        var p: [String] = []
        Check.require(!name.trimmingCharacters(in: .whitespaces).isEmpty, "has an empty name", into: &p)
        Check.require(Check.positive(memoryGB), "memoryGB must be > 0 (GB, 10^9 bytes)", into: &p)
        Check.require(
            Check.positive(bandwidthGBps),
            "bandwidthGBps must be > 0 (GB/s, 10^9 bytes per second)",
            into: &p
        )
        Check.require(Check.fraction(usableMemoryFraction), "usableMemoryFraction must be in (0, 1]", into: &p)
        Check.require(
            !peakTFLOPS.isEmpty && peakTFLOPS.values.allSatisfy(Check.positive),
            "peakTFLOPS needs at least one precision (vector, fp16, bf16, fp8, int8, fp4) with a value > 0",
            into: &p
        )
        Check.require(
            peakTFLOPS["vector"] != nil || peakTFLOPS["fp16"] != nil,
            "peakTFLOPS needs 'fp16' or 'vector'",
            into: &p
        )
        Check.require(powerW.map(Check.positive) ?? true, "powerW must be > 0", into: &p)
        Check.require(usdPerHour.map(Check.positive) ?? true, "usdPerHour must be > 0", into: &p)
        Check.require(interconnectGBps.map(Check.positive) ?? true, "interconnectGBps must be > 0", into: &p)
        Check.require(cores.map { Check.positive($0) && $0 < 1e6 } ?? true, "cores must be in (0, 10^6)", into: &p)
        return p
    }

    public static func nestedUnknownKeys(in object: [String: Any]) -> [(path: String, key: String, allowed: [String])] {
        guard let peaks = object["peakTFLOPS"] as? [String: Any] else { return [] }
        return Check.unknownKeys(peaks, allowed: precisions, path: "peakTFLOPS")
    }
}
