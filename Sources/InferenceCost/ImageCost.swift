import Foundation

/// One image-generation deployment to price: a diffusion model in a weight format on devices
/// (each holding a whole copy) by an engine, at a resolution, step count and load.
public struct ImageDeployment: Sendable, Equatable {
    public var model: ImageModel
    public var quant: QuantizationFormat
    public var hardware: Hardware
    public var engine: Engine
    /// Devices, each serving its own images (data parallel).
    public var gpus: Int
    /// Images in flight per device (`.max`: as many as memory and the engine allow).
    public var concurrency: Concurrency
    public var resolution: ImageResolution
    /// Denoising steps.
    public var steps: Int
    /// $/device-hour; nil = the hardware's catalog price.
    public var usdPerHour: Double?
    /// Tokens a provider bills per image, when it counts differently from t2's latent patches.
    public var tokensPerImage: Double?

    public init(
        model: ImageModel,
        quant: QuantizationFormat,
        hardware: Hardware,
        engine: Engine,
        gpus: Int = 1,
        concurrency: Concurrency = .fixed(1),
        resolution: ImageResolution,
        steps: Int,
        usdPerHour: Double? = nil,
        tokensPerImage: Double? = nil
    ) {
        self.model = model
        self.quant = quant
        self.hardware = hardware
        self.engine = engine
        self.gpus = gpus
        self.concurrency = concurrency
        self.resolution = resolution
        self.steps = steps
        self.usdPerHour = usdPerHour
        self.tokensPerImage = tokensPerImage
    }
}

/// What an image deployment costs and how fast it runs, in the units the market quotes (the
/// `t2.cost/1` document of an image model, `modality` `image`). Speeds are nil when it does not
/// fit; prices are nil without a $/hour.
///
/// Image tokens are latent patches, (W/f/p)·(H/f/p) (see ``ImageModel``), unless
/// `tokensPerImage` was given (`image_tokens_source` says which).
public struct ImageCostEstimate: Sendable, Codable, Equatable {
    /// `t2.cost/1`.
    public var schema = CostEstimate.schemaName
    /// `image`.
    public var modality = "image"
    public var model: String
    /// Denoiser parameters.
    public var params: Double
    public var quant: String
    public var hardware: String
    public var engine: String
    public var gpus: Int
    public var concurrency: String
    /// `WIDTHxHEIGHT`.
    public var resolution: String
    public var steps: Int
    /// Denoiser passes per step (2 with classifier-free guidance).
    public var guidanceForwards: Double
    /// GEMM precision of the denoiser on this hardware.
    public var computePrecision: String
    /// Image tokens per image used for the $/M image tokens price.
    public var imageTokensPerImage: Double
    /// `latent patches (W/f/p · H/f/p)` or `--tokens-per-image`.
    public var imageTokensSource: String
    /// Latent patches per image (what the denoiser computes over), whatever the billing count.
    public var latentTokensPerImage: Double
    /// FLOPs of one image: steps × guidance × forward + text encoding + VAE decoding.
    public var flopsPerImage: Double

    public var fits: Bool
    /// Weights of the denoiser, text encoders and VAE, GB.
    public var weightsGB: Double
    /// Memory one device needs for one image in flight, GB.
    public var memoryNeededPerGPUGB: Double
    public var memoryUsablePerGPUGB: Double
    /// Images one device can process together.
    public var maxBatch: Int
    /// Images processed together in this estimate (the load).
    public var batch: Int

    /// Time from request to image, s.
    public var secondsPerImage: Double?
    /// Time of one denoising step of the batch, ms.
    public var stepMs: Double?
    /// Images per second of the whole deployment.
    public var imagesPerSecond: Double?
    public var imagesPerSecondPerGPU: Double?
    /// Image tokens per second per device.
    public var imageTokensPerSecondPerGPU: Double?
    /// "memory" or "compute": what limits a denoising step.
    public var stepBound: String

    /// $/hour of all devices.
    public var usdPerHour: Double?
    public var priceSource: String?
    /// $/hour ÷ (images/s × 3600).
    public var usdPerImage: Double?
    /// $ per image ÷ image tokens per image × 10⁶.
    public var usdPerMillionImageTokens: Double?
    /// Images per dollar.
    public var imagesPerDollar: Double?
    /// Power (W) ÷ images/s.
    public var joulesPerImage: Double?
    public var powerW: Double?

    enum CodingKeys: String, CodingKey {
        case schema
        case modality
        case model
        case params
        case quant
        case hardware
        case engine
        case gpus
        case concurrency
        case resolution
        case steps
        case guidanceForwards = "guidance_forwards"
        case computePrecision = "compute_precision"
        case imageTokensPerImage = "image_tokens_per_image"
        case imageTokensSource = "image_tokens_source"
        case latentTokensPerImage = "latent_tokens_per_image"
        case flopsPerImage = "flops_per_image"
        case fits
        case weightsGB = "weights_gb"
        case memoryNeededPerGPUGB = "memory_needed_per_gpu_gb"
        case memoryUsablePerGPUGB = "memory_usable_per_gpu_gb"
        case maxBatch = "max_batch"
        case batch
        case secondsPerImage = "seconds_per_image"
        case stepMs = "step_ms"
        case imagesPerSecond = "images_per_s"
        case imagesPerSecondPerGPU = "images_per_s_per_gpu"
        case imageTokensPerSecondPerGPU = "image_tokens_per_s_per_gpu"
        case stepBound = "step_bound"
        case usdPerHour = "usd_per_hour"
        case priceSource = "price_source"
        case usdPerImage = "usd_per_image"
        case usdPerMillionImageTokens = "usd_per_million_image_tokens"
        case imagesPerDollar = "images_per_usd"
        case joulesPerImage = "joules_per_image"
        case powerW = "power_w"
    }
}

extension CostModel {
    /// The most denoising steps priced.
    public static let largestStepCount = 100_000

    /// Builds an image deployment from catalog names: the engine defaults to diffusers, the
    /// weight format to bf16, the steps and resolution to the model's own.
    public func imageDeployment(
        model: String,
        quant: String? = nil,
        hardware: String,
        engine: String? = nil,
        gpus: Int = 1,
        concurrency: Concurrency = .fixed(1),
        resolution: ImageResolution? = nil,
        steps: Int? = nil,
        usdPerHour: Double? = nil,
        tokensPerImage: Double? = nil
    ) throws -> ImageDeployment {
        let m = try catalog.imageModel(named: model)
        let q = try catalog.quantization(named: quant ?? "bf16")
        let h = try catalog.hardware(named: hardware)
        let e: Engine
        if let engine {
            e = try catalog.engine(named: engine)
        } else if let chosen = catalog.defaultEngine(for: h, quant: q, images: true) {
            e = chosen
        } else {
            throw CostModelError.unsupported(
                engine: "(any image engine)",
                hardwareClass: h.hardwareClass,
                hardware: h.name,
                supported: []
            )
        }
        let size =
            resolution ?? m.defaultResolution.flatMap(ImageResolution.init)
            ?? ImageResolution(width: 1024, height: 1024)
        return ImageDeployment(
            model: m,
            quant: q,
            hardware: h,
            engine: e,
            gpus: gpus,
            concurrency: concurrency,
            resolution: size,
            steps: steps ?? Int(m.defaultSteps),
            usdPerHour: usdPerHour,
            tokensPerImage: tokensPerImage
        )
    }

    /// Resolves an image deployment into the workload and the setup the image roofline needs,
    /// with the 16-bit peak of the device; checks values.
    func resolveImage(_ d: ImageDeployment) throws -> (ImageWorkload, ResolvedSetup, Double) {
        guard d.engine.servesImages else {
            throw CostModelError.wrongModality(
                name: d.engine.name,
                expected: "an engine for image models",
                hint: "Use --engine diffusers (PyTorch) or tensorrt, or leave --engine out"
            )
        }
        guard d.gpus >= 1, d.gpus <= CostModel.largestDeviceCount else {
            throw CostModelError.invalidValue(
                name: "gpus",
                value: String(d.gpus),
                expected: "1 to \(CostModel.largestDeviceCount) devices"
            )
        }
        guard d.steps >= 1, d.steps <= CostModel.largestStepCount else {
            throw CostModelError.invalidValue(
                name: "steps",
                value: String(d.steps),
                expected: "1 to \(CostModel.largestStepCount) denoising steps"
            )
        }
        if case .fixed(let n) = d.concurrency, n < 1 || n > CostModel.largestConcurrency {
            throw CostModelError.invalidValue(
                name: "concurrency",
                value: String(n),
                expected: "1 to \(CostModel.largestConcurrency) images in flight, or 'max'"
            )
        }
        if let t = d.tokensPerImage, !(t.isFinite && t > 0 && t < 1e12) {
            throw CostModelError.invalidValue(
                name: "tokens-per-image",
                value: String(t),
                expected: "a token count > 0 per image"
            )
        }
        if let usdPerHour = d.usdPerHour, !(usdPerHour.isFinite && usdPerHour > 0) {
            throw CostModelError.invalidValue(
                name: "usd-per-hour",
                value: String(usdPerHour),
                expected: "a price > 0 ($ per GPU-hour)"
            )
        }
        let efficiency = try self.efficiency(engine: d.engine, hardware: d.hardware, quant: d.quant)
        let g = Double(d.gpus)
        let price = d.usdPerHour ?? d.hardware.usdPerHour
        let precision = d.engine.profiles[d.hardware.hardwareClass]?.computePrecision ?? d.quant.computePrecision
        let setup = ResolvedSetup(
            bytesPerWeight: d.quant.bitsPerWeight / 8,
            bytesPerEmbeddingWeight: d.quant.bitsPerWeight / 8,
            kvBytesPerElement: 2,
            bandwidth: d.hardware.bandwidthGBps * 1e9,
            peakFLOPS: d.hardware.peakFLOPS(precision),
            vectorFLOPS: d.hardware.peakFLOPS("vector"),
            linkBandwidth: (d.hardware.interconnectGBps ?? 32) * 1e9,
            gpus: g,
            parallelism: 1,
            usableMemory: d.hardware.memoryGB * 1e9 * d.hardware.usableMemoryFraction,
            overheadMemory: d.engine.memoryOverheadGB * 1e9,
            kvMemoryFraction: d.engine.memoryFraction,
            maxBatch: d.engine.maxBatch,
            powerW: (d.hardware.powerW ?? 0) * g,
            usdPerHour: (price ?? 0) * g,
            efficiency: efficiency
        )
        let workload = ImageWorkload(d.model, resolution: d.resolution, steps: Double(d.steps))
        return (workload, setup, d.hardware.peakFLOPS("bf16"))
    }

    /// Prices one image deployment.
    public func estimate(_ d: ImageDeployment) throws -> ImageCostEstimate {
        let (w, setup, half) = try resolveImage(d)
        let r = ImageRoofline.evaluate(w, setup, halfPrecisionFLOPS: half, concurrency: d.concurrency)
        let price: Double? = setup.usdPerHour > 0 ? setup.usdPerHour : nil
        let ips: Double? = r.fits && r.imagesPerSecond > 0 ? r.imagesPerSecond : nil
        let tokens = d.tokensPerImage ?? w.imageTokens
        let usdPerImage: Double? = price.flatMap { p in ips.map { p / ($0 * 3600) } }
        let precision = d.engine.profiles[d.hardware.hardwareClass]?.computePrecision ?? d.quant.computePrecision
        return ImageCostEstimate(
            model: d.model.name,
            params: d.model.params,
            quant: d.quant.name,
            hardware: d.hardware.name,
            engine: d.engine.name,
            gpus: d.gpus,
            concurrency: d.concurrency.description,
            resolution: d.resolution.description,
            steps: d.steps,
            guidanceForwards: w.guidanceForwards,
            computePrecision: d.hardware.effectivePrecision(precision),
            imageTokensPerImage: tokens,
            imageTokensSource: d.tokensPerImage == nil ? "latent patches (W/f/p · H/f/p)" : "--tokens-per-image",
            latentTokensPerImage: w.imageTokens,
            flopsPerImage: w.steps * w.guidanceForwards * w.forwardFLOPs + w.textEncoderFLOPs + w.vaeFLOPs,
            fits: r.fits,
            weightsGB: r.weightBytes / 1e9,
            memoryNeededPerGPUGB: r.memoryPerGPU / 1e9,
            memoryUsablePerGPUGB: r.usableMemoryPerGPU / 1e9,
            maxBatch: r.maxBatch,
            batch: r.batch,
            secondsPerImage: r.fits ? r.secondsPerImage : nil,
            stepMs: r.fits ? r.stepTime * 1000 : nil,
            imagesPerSecond: ips,
            imagesPerSecondPerGPU: ips.map { $0 / Double(d.gpus) },
            imageTokensPerSecondPerGPU: ips.map { $0 / Double(d.gpus) * tokens },
            stepBound: r.stepMemoryBound ? "memory" : "compute",
            usdPerHour: price,
            priceSource: d.usdPerHour != nil ? "--usd-per-hour" : d.hardware.priceSource,
            usdPerImage: usdPerImage,
            usdPerMillionImageTokens: usdPerImage.map { $0 / tokens * 1e6 },
            imagesPerDollar: usdPerImage.map { 1 / $0 },
            joulesPerImage: setup.powerW > 0 ? ips.map { setup.powerW / $0 } : nil,
            powerW: setup.powerW > 0 ? setup.powerW : nil
        )
    }
}
