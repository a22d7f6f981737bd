import InferenceCost
import Testing

@Suite("InferenceCost module")
struct InferenceCostModuleTests {
    @Test("the module links")
    func links() {
        #expect(String(describing: InferenceCostModule.self) == "InferenceCostModule")
    }
}
