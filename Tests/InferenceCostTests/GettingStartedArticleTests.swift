import InferenceCost
import Testing

/// The code of `InferenceCost.docc/GettingStarted.md`, run.
@Suite("InferenceCost getting-started article")
struct InferenceCostGettingStartedArticleTests {
    @Test("price a deployment: fits, latency, throughput, dollars and joules")
    func article() throws {
        let model = CostModel()
        let deployment = try model.deployment(
            model: "llama-3.1-8b",
            quant: "fp8",
            hardware: "h100-sxm",
            concurrency: .fixed(32),
            inputTokens: 1024,
            outputTokens: 256
        )
        let estimate = try model.estimate(deployment)
        #expect(estimate.fits)
        let itl = try #require(estimate.itlMs)
        let throughput = try #require(estimate.outputTokensPerSecond)
        // 32 streams each emitting one token per ITL: throughput and latency agree.
        #expect(abs(throughput / (32 * 1000 / itl) - 1) < 0.05)
        #expect((estimate.usdPerMillionOutputTokens ?? 0) > 0)
        #expect((estimate.joulesPerOutputToken ?? 0) > 0)
    }
}
