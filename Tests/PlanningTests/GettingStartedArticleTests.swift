import Planning
import ScalingLaws
import Testing

/// The code of `Planning.docc/GettingStarted.md`, run.
@Suite("Planning getting-started article")
struct PlanningGettingStartedArticleTests {
    @Test("plan for a FLOP budget; intervals; limited data")
    func article() throws {
        let request = PlanRequest(
            law: BuiltInPlanLaw.file,
            lawSource: "built-in",
            budget: .separate(trainFLOPs: 2.56e19, inferenceFLOPs: 2e9)
        )
        let report = try PlanReport.make(request)
        let plan = report.plan
        #expect(plan.samples > 1, "the T² plan samples more than once")
        #expect(6 * plan.params * plan.tokens <= 2.56e19 * 1.000001)
        #expect((plan.predicted.passAtK ?? 0) > (report.chinchilla.predicted.passAtK ?? 1))
        #expect(report.chinchilla.params > plan.params, "Chinchilla's model is the larger")

        let intervals = try #require(plan.intervals)
        #expect(intervals.params[0] <= plan.params && plan.params <= intervals.params[1])
        #expect(intervals.k[0] <= Double(plan.samples) && Double(plan.samples) <= intervals.k[1])
        #expect(plan.inFittedRange == true)

        var limited = request
        limited.uniqueTokens = plan.tokens / 8
        let withRepeats = try PlanReport.make(limited)
        let epochs = try #require(withRepeats.plan.epochs)
        #expect(epochs > 1)
        #expect((withRepeats.plan.effectiveTokens ?? .infinity) < withRepeats.plan.tokens)
    }
}
