import LoadTesting
import Testing

@Suite("LoadTesting module")
struct LoadTestingModuleTests {
    @Test("the module links")
    func links() {
        #expect(String(describing: LoadTestingModule.self) == "LoadTestingModule")
    }
}
