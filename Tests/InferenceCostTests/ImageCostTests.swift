import Foundation
import InferenceCost
import T2TestSupport
import Tabular
import Testing

@Suite("Image models")
struct ImageCostTests {
    let model = CostModel()

    func estimate(
        _ name: String,
        _ hardware: String = "h100-sxm",
        quant: String? = nil,
        engine: String? = nil,
        gpus: Int = 1,
        concurrency: Concurrency = .fixed(1),
        resolution: ImageResolution? = nil,
        steps: Int? = nil,
        usdPerHour: Double? = nil,
        tokensPerImage: Double? = nil
    ) throws -> ImageCostEstimate {
        try model.estimate(
            try model.imageDeployment(
                model: name,
                quant: quant,
                hardware: hardware,
                engine: engine,
                gpus: gpus,
                concurrency: concurrency,
                resolution: resolution,
                steps: steps,
                usdPerHour: usdPerHour,
                tokensPerImage: tokensPerImage
            )
        )
    }

    @Test("the issue's models are in the catalog with sources")
    func catalog() throws {
        for name in [
            "flux-1-dev", "flux-1-schnell", "sd3.5-large", "sd3.5-medium", "pixart-sigma", "sana-1.6b", "sana-0.6b",
            "sdxl",
        ] {
            let m = try model.catalog.imageModel(named: name)
            #expect(m.source?.isEmpty == false, "\(name) has no source")
            #expect(m.problems().isEmpty, "\(name): \(m.problems())")
        }
        // a language-model lookup of an image model says what to do instead
        #expect(throws: CostModelError.self) { try model.catalog.model(named: "flux-1-dev") }
    }

    @Test("image tokens are latent patches: (W/f/p)·(H/f/p)")
    func imageTokens() throws {
        let flux = try model.catalog.imageModel(named: "flux-1-dev")
        #expect(flux.imageTokens(width: 1024, height: 1024) == (1024.0 / 16) * (1024.0 / 16))
        #expect(flux.imageTokens(width: 1024, height: 768) == 64 * 48)
        let sana = try model.catalog.imageModel(named: "sana-1.6b")
        #expect(sana.imageTokens(width: 1024, height: 1024) == 32 * 32)
        let sdxl = try model.catalog.imageModel(named: "sdxl")
        #expect(sdxl.imageTokens(width: 1024, height: 1024) == 128 * 128)
    }

    @Test("softmax attention grows with the square of the tokens, linear attention and GEMMs linearly")
    func attentionScaling() throws {
        let flux = try model.catalog.imageModel(named: "flux-1-dev")
        var noText = flux
        noText.textTokenParams = 0
        noText.textTokens = 0
        let t = 4096.0
        let gemm = { (m: ImageModel, t: Double) in 2 * m.imageTokenParams * t }
        let attention1 = noText.forwardFLOPs(imageTokens: t) - gemm(noText, t)
        let attention4 = noText.forwardFLOPs(imageTokens: 4 * t) - gemm(noText, 4 * t)
        #expect(abs(attention4 / attention1 - 16) < 1e-9)
        var sana = try model.catalog.imageModel(named: "sana-1.6b")
        sana.textTokenParams = 0
        sana.textTokens = 0
        let linear1 = sana.forwardFLOPs(imageTokens: 1024) - gemm(sana, 1024)
        let linear4 = sana.forwardFLOPs(imageTokens: 4096) - gemm(sana, 4096)
        #expect(abs(linear4 / linear1 - 4) < 1e-9)
    }

    @Test("each step costs the same: latency is linear in steps, and text encoding and VAE are paid once")
    func steps() throws {
        let e4 = try estimate("flux-1-dev", steps: 4)
        let e28 = try estimate("flux-1-dev", steps: 28)
        let e52 = try estimate("flux-1-dev", steps: 52)
        let s4 = try #require(e4.secondsPerImage)
        let s28 = try #require(e28.secondsPerImage)
        let s52 = try #require(e52.secondsPerImage)
        #expect(abs((s52 - s28) - (s28 - s4)) < 1e-9 * s52)
        let step = try #require(e28.stepMs) / 1000
        #expect(abs((s28 - s4) / 24 - step) < 1e-9)
        #expect(s4 > 4 * step)  // the fixed text-encoder and VAE time
    }

    @Test("classifier-free guidance doubles the denoiser work")
    func guidance() throws {
        let sd = try model.catalog.imageModel(named: "sd3.5-medium")
        var oneForward = sd
        oneForward.guidanceForwards = 1
        let two = ImageWorkload(sd, resolution: ImageResolution(width: 1024, height: 1024), steps: 40)
        let one = ImageWorkload(oneForward, resolution: ImageResolution(width: 1024, height: 1024), steps: 40)
        #expect(two.forwardFLOPs == one.forwardFLOPs && two.guidanceForwards == 2 * one.guidanceForwards)
    }

    @Test("the market units follow from images/s and $/hour: $/image, $/M image tokens, images per $, J/image")
    func units() throws {
        let e = try estimate("flux-1-dev", steps: 28)
        let ips = try #require(e.imagesPerSecond)
        let price = try #require(e.usdPerHour)
        let perImage = try #require(e.usdPerImage)
        #expect(abs(perImage - price / (ips * 3600)) < 1e-12)
        #expect(e.imageTokensPerImage == 4096)
        #expect(abs(try #require(e.usdPerMillionImageTokens) - perImage / 4096 * 1e6) < 1e-9)
        #expect(abs(try #require(e.imagesPerDollar) - 1 / perImage) < 1e-6)
        #expect(abs(try #require(e.joulesPerImage) - 700 / ips) < 1e-6)
        // a provider that bills 1,000 tokens per image: the image costs the same, the token more
        let billed = try estimate("flux-1-dev", steps: 28, tokensPerImage: 1000)
        #expect(billed.usdPerImage == e.usdPerImage)
        #expect(abs(try #require(billed.usdPerMillionImageTokens) - perImage / 1000 * 1e6) < 1e-9)
        #expect(billed.imageTokensSource == "--tokens-per-image")
        // no public price: speeds, no prices
        let mac = try estimate("sana-0.6b", "rtx-4090")
        #expect(mac.secondsPerImage != nil && mac.usdPerImage == nil)
    }

    @Test("batching is the load: throughput rises, each request waits longer; more GPUs add throughput only")
    func batching() throws {
        let one = try estimate("sdxl", "h100-sxm", concurrency: .fixed(1))
        let eight = try estimate("sdxl", "h100-sxm", concurrency: .fixed(8))
        let eightRate = try #require(eight.imagesPerSecondPerGPU)
        let oneRate = try #require(one.imagesPerSecondPerGPU)
        #expect(eightRate > oneRate)
        let eightLatency = try #require(eight.secondsPerImage)
        let oneLatency = try #require(one.secondsPerImage)
        #expect(eightLatency > oneLatency)
        let most = try estimate("sdxl", "h100-sxm", concurrency: .max)
        #expect(most.batch == most.maxBatch && most.maxBatch >= 8)
        let replicas = try estimate("sdxl", "h100-sxm", gpus: 8, concurrency: .fixed(8))
        let replicaRate = try #require(replicas.imagesPerSecond)
        let eightTotal = try #require(eight.imagesPerSecond)
        #expect(abs(replicaRate - 8 * eightTotal) < 1e-9)
        #expect(replicas.secondsPerImage == eight.secondsPerImage)
    }

    @Test("memory: FLUX.1 in bf16 needs more than a 12 GB card; SANA fits; a tiny image is memory-bound")
    func memory() throws {
        let flux = try estimate("flux-1-dev", "rtx-3060-12gb")
        #expect(!flux.fits && flux.secondsPerImage == nil && flux.usdPerImage == nil)
        #expect(flux.memoryNeededPerGPUGB > 24)  // 12B denoiser + 4.9B T5 at 16 bits
        let sana = try estimate("sana-0.6b", "rtx-3060-12gb")
        #expect(sana.fits)
        let tiny = try estimate("sana-0.6b", "h100-sxm", resolution: ImageResolution(width: 128, height: 128))
        #expect(tiny.stepBound == "memory")
        let big = try estimate("flux-1-dev", "h100-sxm")
        #expect(big.stepBound == "compute")
    }

    @Test("impossible values are refused with their name")
    func invalid() throws {
        #expect(throws: CostModelError.self) { try estimate("flux-1-dev", steps: 0) }
        #expect(throws: CostModelError.self) { try estimate("flux-1-dev", gpus: 0) }
        #expect(throws: CostModelError.self) { try estimate("flux-1-dev", tokensPerImage: .nan) }
        #expect(throws: CostModelError.self) { try estimate("flux-1-dev", engine: "vllm") }
        #expect(ImageResolution("1024x") == nil && ImageResolution("0x10") == nil && ImageResolution("99999x1") == nil)
        #expect(ImageResolution("1024×768") == ImageResolution(width: 1024, height: 768))
    }

    @Test("variant vs flagship: the ratios announcements quote are consistent with the figures")
    func ratios() throws {
        let dev = AnyCostEstimate.image(try estimate("flux-1-dev", steps: 28))
        let schnell = AnyCostEstimate.image(try estimate("flux-1-schnell", steps: 4))
        let r = ComparisonRatios(dev, schnell)
        let cheaper = try #require(r.pctCheaperPerImage)
        let perDollar = try #require(r.unitsPerDollarRatio)
        #expect(abs(cheaper - (1 - 1 / perDollar) * 100) < 1e-9)
        // same GPU, one image at a time: throughput per GPU is the inverse of the latency ratio
        let throughput: Double = try #require(r.throughputPerGPURatio)
        let latency: Double = try #require(r.latencyRatio)
        let faster: Double = try #require(r.pctFaster)
        #expect(abs(throughput - 1 / latency) < 1e-9)
        #expect(abs(faster - (1 / latency - 1) * 100) < 1e-9)
        // 4 steps instead of 28 (and a shorter T5 sequence): about 6–7× the images per dollar
        #expect(perDollar > 5 && perDollar < 7.5)
        // text: a smaller model on the same GPU
        let big = AnyCostEstimate.text(
            try model.estimate(try model.deployment(model: "llama-3-70b", quant: "fp8", hardware: "h100-sxm", gpus: 2))
        )
        let small = AnyCostEstimate.text(
            try model.estimate(try model.deployment(model: "llama-3.1-8b", quant: "fp8", hardware: "h100-sxm"))
        )
        let t = ComparisonRatios(big, small)
        #expect(try #require(t.pctCheaperPerMillionTokens) > 50)
        #expect(try #require(t.throughputPerGPURatio) > 2)
        #expect(throws: CostModelError.self) { try CostComparison(baseline: dev, others: [("model=llama", small)]) }
    }

    @Test("the published image measurements: calibrated in-sample and with each device held out")
    func validation() throws {
        let rows = try Measurement.read(contentsOf: Fixtures.path("image_measurements.csv"))
        #expect(rows.count >= 15)
        let builtIn = CostModel().validate(rows)
        #expect(builtIn.unpriceable == 0)
        #expect(try #require(builtIn.medianAbsPctError["all"]) <= 20)
        // Every row predicted by a calibration fitted without its device (both halves), each half
        // choosing its prior weight by leaving its own devices out in turn, as `t2 calibrate` does.
        let (a, b) = MeasurementSplit.hardware.halves(of: rows, seed: 1)
        var heldOut: [Double] = []
        for (train, test) in [(a, b), (b, a)] {
            let calibration = try CostModel(calibration: .defaults).calibrateChoosingPriorWeight(train)
            heldOut += CostModel(calibration: calibration).validate(test).rows.compactMap { $0.errorPct.map(abs) }
        }
        #expect(heldOut.count == rows.count)
        let median = heldOut.sorted()[heldOut.count / 2]
        // docs/cost-model.md reports this figure (8.3% with split seed 1); the target is 20%.
        #expect(median <= 20, "device-held-out median |error| \(median)%")
    }
}
