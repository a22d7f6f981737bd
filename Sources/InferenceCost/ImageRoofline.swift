import Foundation

/// One image request reduced to the counts the image roofline uses (precomputed once per model,
/// resolution and step count).
public struct ImageWorkload: Sendable, Equatable {
    /// Image tokens T (latent patches) of one image.
    public var imageTokens: Double
    /// FLOPs of one denoiser forward pass for one image.
    public var forwardFLOPs: Double
    /// Denoiser passes per step (classifier-free guidance: 2).
    public var guidanceForwards: Double
    /// Denoising steps.
    public var steps: Double
    /// FLOPs of encoding the prompt (and the negative prompt under guidance) for one image.
    public var textEncoderFLOPs: Double
    /// FLOPs of decoding one image with the VAE.
    public var vaeFLOPs: Double
    /// Denoiser parameters.
    public var denoiserParams: Double
    /// Text-encoder and VAE parameters (kept at 16 bits).
    public var auxiliaryParams: Double
    /// Activation bytes per image in flight.
    public var activationBytesPerImage: Double

    /// Derives the counts for `model` at `resolution` and `steps`.
    ///
    /// - text encoder: `textEncoderGFLOPs` per prompt, × `guidanceForwards` (the negative prompt
    ///   is encoded too when the model uses classifier-free guidance);
    /// - VAE: `vaeDecoderGFLOPsPerMegapixel` × megapixels;
    /// - activations: `activationMBPerToken` × (T + text tokens) × guidance passes (0.1 MB when
    ///   the catalog gives none).
    public init(_ model: ImageModel, resolution: ImageResolution, steps: Double) {
        let t = model.imageTokens(width: resolution.width, height: resolution.height)
        imageTokens = t
        forwardFLOPs = model.forwardFLOPs(imageTokens: t)
        guidanceForwards = model.guidanceForwards
        self.steps = steps
        textEncoderFLOPs = model.textEncoderGFLOPs * 1e9 * model.guidanceForwards
        vaeFLOPs = model.vaeDecoderGFLOPsPerMegapixel * 1e9 * resolution.megapixels
        denoiserParams = model.params
        auxiliaryParams = model.textEncoderParams + model.vaeParams
        activationBytesPerImage =
            (model.activationMBPerToken ?? 0.1) * 1e6 * (t + model.textTokens) * model.guidanceForwards
    }
}

/// The raw numbers of one image-roofline evaluation (SI units: bytes, seconds).
public struct ImageRooflineResult: Sendable, Equatable {
    /// Whether the weights, the engine's overhead and one image's activations fit.
    public var fits: Bool
    /// Weight bytes (denoiser at the format's bits, text encoders and VAE at 16 bits).
    public var weightBytes: Double
    /// Memory one device needs for one image in flight.
    public var memoryPerGPU: Double
    /// Usable memory of one device.
    public var usableMemoryPerGPU: Double
    /// Images one device can process together (memory and the engine's batch limit).
    public var maxBatch: Int
    /// Images processed together in this estimate.
    public var batch: Int
    /// Time of one denoising step for the batch, s.
    public var stepTime: Double
    /// Text encoding of the batch, s.
    public var textEncoderTime: Double
    /// VAE decoding of the batch, s.
    public var vaeTime: Double
    /// Time from a request's start to its image, s (queueing for a batch slot included).
    public var secondsPerImage: Double
    /// Images per second of the whole deployment (all replicas).
    public var imagesPerSecond: Double
    /// Whether a denoising step is limited by memory (else by compute).
    public var stepMemoryBound: Bool
}

/// The roofline for text-to-image diffusion: a batch of B images runs
///
///     t_batch = t_text + steps · t_step + t_vae
///     t_step  = t_overhead + (t_memᵖ + t_compᵖ)^(1/p)
///     t_comp  = B · g · F_forward / (F_peak · computeEff),   t_mem = W_denoiser / (BW · memEff)
///     t_text  = t_overhead + B · F_text / (F_16 · computeEff),   t_vae = t_overhead + B · F_vae / (F_16 · computeEff)
///
/// (g the guidance passes, F_16 the 16-bit peak: text encoders and VAE run at 16 bits whatever
/// the denoiser's format). A request's latency is t_batch (plus the wait for a batch slot when
/// more clients than slots share a device); images/s = B / t_batch per device, × devices (each
/// holds a whole copy: data parallel).
public enum ImageRoofline {
    /// Evaluates `w` on `s` with `concurrency` images in flight per device (`.max`: as many as
    /// memory and the engine allow); `halfPrecisionFLOPS` is the device's 16-bit dense peak.
    public static func evaluate(
        _ w: ImageWorkload,
        _ s: ResolvedSetup,
        halfPrecisionFLOPS: Double,
        concurrency: Concurrency
    ) -> ImageRooflineResult {
        let e = s.efficiency
        let weights = w.denoiserParams * s.bytesPerWeight + w.auxiliaryParams * 2
        let oneImage = weights + s.overheadMemory + w.activationBytesPerImage
        let fits = oneImage <= s.usableMemory
        var maxBatch = 0
        if fits {
            let room = (s.usableMemory - weights - s.overheadMemory) * s.kvMemoryFraction
            let byMemory =
                w.activationBytesPerImage > 0 ? (room / w.activationBytesPerImage).rounded(.down) : s.maxBatch
            maxBatch = Int(Swift.min(Swift.max(byMemory, 1), s.maxBatch))
        }
        let clients: Int
        switch concurrency {
        case .fixed(let n): clients = n
        case .max: clients = Swift.max(maxBatch, 1)
        }
        let batch = Swift.max(1, Swift.min(clients, Swift.max(maxBatch, 1)))
        let b = Double(batch)
        let tCompute = b * w.guidanceForwards * w.forwardFLOPs / (s.peakFLOPS * e.computeEff)
        let tMemory = w.denoiserParams * s.bytesPerWeight / (s.bandwidth * e.memEff)
        let step = e.stepOverhead + Roofline.softMax(tMemory, tCompute, Swift.max(1, e.overlap))
        let half = halfPrecisionFLOPS > 0 ? halfPrecisionFLOPS : s.peakFLOPS
        let text = e.stepOverhead + b * w.textEncoderFLOPs / (half * e.computeEff)
        let vae = e.stepOverhead + b * w.vaeFLOPs / (half * e.computeEff)
        let total = text + w.steps * step + vae
        let slotWait = clients > batch ? total * (Double(clients) / b - 1) : 0
        return ImageRooflineResult(
            fits: fits,
            weightBytes: weights,
            memoryPerGPU: oneImage,
            usableMemoryPerGPU: s.usableMemory,
            maxBatch: maxBatch,
            batch: batch,
            stepTime: step,
            textEncoderTime: text,
            vaeTime: vae,
            secondsPerImage: total + slotWait,
            imagesPerSecond: b / total * s.gpus,
            stepMemoryBound: tMemory >= tCompute
        )
    }
}
