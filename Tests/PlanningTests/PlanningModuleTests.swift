import Planning
import Testing

@Suite("Planning module")
struct PlanningModuleTests {
    @Test("the module links")
    func links() {
        #expect(String(describing: PlanningModule.self) == "PlanningModule")
    }
}
