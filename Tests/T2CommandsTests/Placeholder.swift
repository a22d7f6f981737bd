import T2Commands
import Testing

@Suite("t2 root command")
struct RootCommandTests {
    @Test("the root command has a name and a version")
    func configuration() {
        #expect(T2Command.configuration.commandName == "t2")
        #expect(!T2Version.current.isEmpty)
    }
}
