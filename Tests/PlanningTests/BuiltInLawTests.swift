import Foundation
import Planning
import ScalingLaws
import Testing

/// The acceptance check on the law `t2 plan` ships with (passk's T² accuracy law fitted on Pythia × GSM8K).
@Suite("Planner: built-in law at the T² validation budget")
struct BuiltInLawTests {
    @Test(
        "the built-in law over-trains at C_train = 2.56e19, C_inf = 2e9: hundreds+ tokens/param, smaller N, k > 1, higher pass@k than Chinchilla"
    )
    func validationBudget() throws {
        let builtIn = try PlanningLaw(file: BuiltInPlanLaw.file, source: "built-in")
        guard case .t2Accuracy = builtIn.law else {
            Issue.record("the built-in law is expected to be t2-accuracy")
            return
        }
        let r = try Planner(law: builtIn).plan(.separate(trainFLOPs: 2.56e19, inferenceFLOPs: 2e9))
        #expect(r.plan.tokensPerParam >= 200)
        #expect(r.plan.params < r.chinchilla.params / 5)
        #expect(r.plan.samples > 1)
        #expect(r.chinchilla.tokensPerParam < 40)
        let plan = try #require(r.plan.predicted.passAtK)
        let chin = try #require(r.chinchilla.predicted.passAtK)
        #expect(plan > chin)
        #expect(6 * r.plan.params * r.plan.tokens <= 2.56e19 * (1 + 1e-12))
        #expect(2 * r.plan.params * Double(r.plan.samples) <= 2e9 * (1 + 1e-12))
    }
}
