import ScalingLaws
import Testing

/// The code of `ScalingLaws.docc/GettingStarted.md`, run, with the figures its comments quote.
@Suite("ScalingLaws getting-started article")
struct ScalingLawsGettingStartedArticleTests {
    @Test("evaluate a law: Chinchilla's loss and the compute-optimal split")
    func evaluate() {
        let law = ChinchillaLaw.epochRefit
        let loss = law.loss(params: 70e9, tokens: 1.4e12)
        #expect(abs(loss - 1.97) < 0.005)
        let best = law.computeOptimal(flops: 5.76e23)
        #expect(abs(best.params / 73e9 - 1) < 0.02)
        #expect(abs(best.tokens / 1.3e12 - 1) < 0.02)
        #expect(abs(best.tokensPerParam - 18) < 0.5)
        #expect(abs(6 * best.params * best.tokens / 5.76e23 - 1) < 1e-9)
    }

    @Test("add repeated sampling: more samples, more accuracy; the fitted range tells extrapolation")
    func sampling() {
        let t2 = T2AccuracyLaw.pythiaGSM8K
        let one = t2.passAtK(params: 1e9, tokens: 300e9, samples: 1)
        let hundred = t2.passAtK(params: 1e9, tokens: 300e9, samples: 100)
        #expect(hundred > one)
        let range = FittedRange.pythiaGSM8K
        #expect(range.contains(params: 1e9, tokens: 300e9))
        #expect(!range.contains(params: 70e9, tokens: 15e12))
    }

    @Test("estimate pass@k from counts: the article's 0.27, and k > n refused")
    func estimate() throws {
        let p = try PassAtK.estimate(samples: 100, correct: 3, k: 10)
        #expect(abs(p - 0.2735) < 0.0005)
        #expect(throws: (any Error).self) { try PassAtK.estimate(samples: 10, correct: 3, k: 11) }
    }
}
