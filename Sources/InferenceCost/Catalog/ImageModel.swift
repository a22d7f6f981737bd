import Foundation

/// A group of attention layers of an image denoiser, as the cost model counts them.
public struct AttentionStack: Codable, Sendable, Equatable {
    /// Layers (transformer blocks) in the group.
    public var layers: Double
    /// Attention width n_h·d.
    public var width: Double
    /// `self` (softmax over the tokens: FLOPs grow with their square), `linear` (linear
    /// attention, SANA: FLOPs grow with the token count) or `cross` (image queries over the text
    /// tokens, PixArt/SANA/UNet).
    public var kind: String
    /// Whether the text tokens join the image tokens in this self-attention (MMDiT: FLUX, SD3).
    public var joint: Bool?
    /// Spatial stride of the group relative to the image-token grid (a UNet level at half the
    /// latent resolution has stride 2, hence a quarter of the tokens); 1 when absent.
    public var tokenStride: Double?
    /// Head dimension d (linear attention costs 4·n·width·d per layer); 64 when absent.
    public var headDim: Double?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case layers
        case width
        case kind
        case joint
        case tokenStride
        case headDim
    }

    /// The JSON keys of an attention group.
    public static var jsonKeys: [String] { CodingKeys.allCases.map(\.rawValue) }
    /// The kinds of attention.
    public static let kinds = ["self", "linear", "cross"]

    public init(
        layers: Double,
        width: Double,
        kind: String,
        joint: Bool? = nil,
        tokenStride: Double? = nil,
        headDim: Double? = nil
    ) {
        self.layers = layers
        self.width = width
        self.kind = kind
        self.joint = joint
        self.tokenStride = tokenStride
        self.headDim = headDim
    }

    /// FLOPs of the group for one forward pass over `imageTokens` image tokens with `textTokens`
    /// text tokens: QKᵀ and AV are each 2·n·m·width for n queries over m keys.
    public func flops(imageTokens: Double, textTokens: Double) -> Double {
        let stride = tokenStride ?? 1
        let n = imageTokens / (stride * stride)
        switch kind {
        case "cross":
            return layers * 4 * n * textTokens * width
        case "linear":
            let tokens = n + ((joint ?? false) ? textTokens : 0)
            return layers * 4 * tokens * width * (headDim ?? 64)
        default:
            let tokens = n + ((joint ?? false) ? textTokens : 0)
            return layers * 4 * tokens * tokens * width
        }
    }
}

/// A text-to-image diffusion model: its denoiser (a diffusion transformer or a UNet), text
/// encoder and VAE decoder, reduced to the counts the image roofline needs.
///
/// One image at W×H pixels has `(W/f/p)·(H/f/p)` **image tokens** — latent patches, with f the
/// VAE's downsampling (`latentDownsample`) and p the denoiser's patch size (`patchSize`; 1 for a
/// UNet or SANA, whose tokens are latent pixels). A forward pass of the denoiser costs
///
///     2·imageTokenParams·T + 2·textTokenParams·X + extraGFLOPsPerImageToken·10⁹·T + Σ attention
///
/// FLOPs for T image tokens and X text tokens; a step runs `guidanceForwards` passes (2 with
/// classifier-free guidance, 1 for guidance-distilled models such as FLUX.1).
public struct ImageModel: CatalogEntry {
    public var name: String
    public var aliases: [String]?
    /// Denoiser architecture, descriptive: `mmdit`, `dit`, `linear-dit`, `unet`.
    public var architecture: String
    /// Denoiser parameters (held in memory and read every step).
    public var params: Double
    /// Weights applied to every image token in one forward pass (its per-token GEMMs; the
    /// modulation MLPs that run once per image are not counted).
    public var imageTokenParams: Double
    /// Weights applied to every text token inside the denoiser: the text stream of an MMDiT, or
    /// the cross-attention key/value projections; 0 when absent.
    public var textTokenParams: Double?
    /// FLOPs per image token per forward pass not in `imageTokenParams` or the attention groups,
    /// GFLOP (a UNet's convolutions; computed from its configuration).
    public var extraGFLOPsPerImageToken: Double?
    /// The attention groups.
    public var attention: [AttentionStack]
    /// VAE spatial downsampling f (8 for SD/FLUX VAEs, 32 for SANA's DC-AE).
    public var latentDownsample: Double
    /// Latent pixels per token side p (2 for DiTs, 1 for UNets and SANA).
    public var patchSize: Double
    /// Latent channels.
    public var latentChannels: Double
    /// Text tokens the denoiser sees (T5 sequence length, CLIP + T5 for SD3).
    public var textTokens: Double
    /// FLOPs of encoding one prompt with every text encoder, GFLOP.
    public var textEncoderGFLOPs: Double
    /// Parameters of the text encoders (memory).
    public var textEncoderParams: Double
    /// FLOPs of decoding one megapixel with the VAE decoder, GFLOP (it scales with pixels).
    public var vaeDecoderGFLOPsPerMegapixel: Double
    /// Parameters of the VAE (memory).
    public var vaeParams: Double
    /// Denoising steps of the model's reference pipeline.
    public var defaultSteps: Double
    /// Denoiser passes per step: 2 with classifier-free guidance, 1 for guidance-distilled models.
    public var guidanceForwards: Double
    /// Activation memory per image token per image in flight, MB (rough: peak working set of
    /// one forward pass with flash attention); sets how many images fit in a batch.
    public var activationMBPerToken: Double?
    /// The resolution the model was trained for, `WxH`.
    public var defaultResolution: String?
    /// Where the numbers come from.
    public var source: String?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name
        case aliases
        case architecture
        case params
        case imageTokenParams
        case textTokenParams
        case extraGFLOPsPerImageToken
        case attention
        case latentDownsample
        case patchSize
        case latentChannels
        case textTokens
        case textEncoderGFLOPs
        case textEncoderParams
        case vaeDecoderGFLOPsPerMegapixel
        case vaeParams
        case defaultSteps
        case guidanceForwards
        case activationMBPerToken
        case defaultResolution
        case source
    }

    public static let listName = "imageModels"
    public static var jsonKeys: [String] { CodingKeys.allCases.map(\.rawValue) }

    public init(
        name: String,
        architecture: String,
        params: Double,
        imageTokenParams: Double,
        textTokenParams: Double? = nil,
        extraGFLOPsPerImageToken: Double? = nil,
        attention: [AttentionStack],
        latentDownsample: Double,
        patchSize: Double,
        latentChannels: Double,
        textTokens: Double,
        textEncoderGFLOPs: Double,
        textEncoderParams: Double,
        vaeDecoderGFLOPsPerMegapixel: Double,
        vaeParams: Double,
        defaultSteps: Double,
        guidanceForwards: Double,
        activationMBPerToken: Double? = nil,
        defaultResolution: String? = nil,
        aliases: [String]? = nil,
        source: String? = nil
    ) {
        self.name = name
        self.aliases = aliases
        self.architecture = architecture
        self.params = params
        self.imageTokenParams = imageTokenParams
        self.textTokenParams = textTokenParams
        self.extraGFLOPsPerImageToken = extraGFLOPsPerImageToken
        self.attention = attention
        self.latentDownsample = latentDownsample
        self.patchSize = patchSize
        self.latentChannels = latentChannels
        self.textTokens = textTokens
        self.textEncoderGFLOPs = textEncoderGFLOPs
        self.textEncoderParams = textEncoderParams
        self.vaeDecoderGFLOPsPerMegapixel = vaeDecoderGFLOPsPerMegapixel
        self.vaeParams = vaeParams
        self.defaultSteps = defaultSteps
        self.guidanceForwards = guidanceForwards
        self.activationMBPerToken = activationMBPerToken
        self.defaultResolution = defaultResolution
        self.source = source
    }

    /// Image tokens (latent patches) of one `width`×`height` image: ⌈W/(f·p)⌉·⌈H/(f·p)⌉.
    public func imageTokens(width: Int, height: Int) -> Double {
        let side = latentDownsample * patchSize
        return (Double(width) / side).rounded(.up) * (Double(height) / side).rounded(.up)
    }

    /// FLOPs of one denoiser forward pass for one image of `imageTokens` tokens.
    public func forwardFLOPs(imageTokens t: Double) -> Double {
        var flops = 2 * imageTokenParams * t + 2 * (textTokenParams ?? 0) * textTokens
        flops += (extraGFLOPsPerImageToken ?? 0) * 1e9 * t
        for stack in attention { flops += stack.flops(imageTokens: t, textTokens: textTokens) }
        return flops
    }

    public func problems() -> [String] {
        var p: [String] = []
        Check.require(!name.trimmingCharacters(in: .whitespaces).isEmpty, "has an empty name", into: &p)
        for (key, value) in [
            ("params", params), ("latentDownsample", latentDownsample),
            ("patchSize", patchSize), ("latentChannels", latentChannels), ("defaultSteps", defaultSteps),
            ("guidanceForwards", guidanceForwards),
        ] {
            Check.require(
                Check.positive(value) && value < Check.largestCount * 1e3,
                "\(key) must be > 0",
                into: &p
            )
        }
        for (key, value) in [
            ("imageTokenParams", imageTokenParams), ("textTokens", textTokens),
            ("textEncoderGFLOPs", textEncoderGFLOPs),
            ("textEncoderParams", textEncoderParams), ("vaeDecoderGFLOPsPerMegapixel", vaeDecoderGFLOPsPerMegapixel),
            ("vaeParams", vaeParams), ("textTokenParams", textTokenParams ?? 0),
            ("extraGFLOPsPerImageToken", extraGFLOPsPerImageToken ?? 0),
            ("activationMBPerToken", activationMBPerToken ?? 0),
        ] {
            Check.require(
                Check.nonNegative(value) && value < Check.largestCount * 1e3,
                "\(key) must be ≥ 0",
                into: &p
            )
        }
        Check.require(imageTokenParams <= params, "imageTokenParams cannot exceed params", into: &p)
        Check.require(
            imageTokenParams > 0 || (extraGFLOPsPerImageToken ?? 0) > 0,
            "imageTokenParams or extraGFLOPsPerImageToken must be > 0 (a forward pass needs FLOPs per image token)",
            into: &p
        )
        Check.require(defaultSteps <= 10_000, "defaultSteps must be at most 10000", into: &p)
        Check.require(guidanceForwards <= 8, "guidanceForwards must be at most 8", into: &p)
        for (i, stack) in attention.enumerated() {
            Check.require(
                AttentionStack.kinds.contains(stack.kind),
                "attention[\(i)].kind '\(stack.kind)' is not one of self, linear, cross",
                into: &p
            )
            Check.require(
                Check.positive(stack.layers) && Check.positive(stack.width) && stack.width < 1e7,
                "attention[\(i)] needs layers > 0 and width > 0",
                into: &p
            )
            Check.require(
                stack.tokenStride.map { Check.positive($0) && $0 <= 1024 } ?? true,
                "attention[\(i)].tokenStride must be in (0, 1024]",
                into: &p
            )
            Check.require(
                stack.headDim.map { Check.positive($0) && $0 < 1e5 } ?? true,
                "attention[\(i)].headDim must be > 0",
                into: &p
            )
        }
        if let defaultResolution {
            Check.require(
                ImageResolution(defaultResolution) != nil,
                "defaultResolution '\(defaultResolution)' is not WIDTHxHEIGHT",
                into: &p
            )
        }
        return p
    }

    public static func nestedUnknownKeys(in object: [String: Any]) -> [(path: String, key: String, allowed: [String])] {
        guard let stacks = object["attention"] as? [Any] else { return [] }
        var found: [(path: String, key: String, allowed: [String])] = []
        for (i, stack) in stacks.enumerated() {
            if let stack = stack as? [String: Any] {
                found += Check.unknownKeys(stack, allowed: AttentionStack.jsonKeys, path: "attention[\(i)]")
            }
        }
        return found
    }
}

/// An image size in pixels, written `WIDTHxHEIGHT` (`1024x1024`).
public struct ImageResolution: Sendable, Equatable, Hashable, CustomStringConvertible {
    public var width: Int
    public var height: Int

    /// The largest side t2 prices, pixels.
    public static let largestSide = 65_536

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    /// Parses `1024x1024` (also `1024×1024` and `1024X1024`); nil unless both sides are whole
    /// numbers in 1…65536.
    public init?(_ text: String) {
        let parts = text.trimmingCharacters(in: .whitespaces).lowercased()
            .replacingOccurrences(of: "×", with: "x").split(separator: "x", omittingEmptySubsequences: false)
        guard parts.count == 2, let w = Int(parts[0]), let h = Int(parts[1]),
            (1...Self.largestSide).contains(w), (1...Self.largestSide).contains(h)
        else { return nil }
        self.init(width: w, height: h)
    }

    /// Megapixels (10⁶ pixels).
    public var megapixels: Double { Double(width) * Double(height) / 1e6 }

    public var description: String { "\(width)x\(height)" }
}
