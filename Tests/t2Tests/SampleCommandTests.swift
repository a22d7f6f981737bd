import ArgumentParser
import LoadTesting
import Testing

@testable import t2

@Suite("t2 sample arguments")
struct SampleCommandTests {
    func parse(_ args: [String]) throws -> SampleCommand {
        try SampleCommand.parse(["--url", "http://127.0.0.1:8080", "--model", "m", "--out", "/tmp/x.csv"] + args)
    }

    @Test("arithmetic[:N] makes N seeded problems (50 by default)")
    func datasets() throws {
        #expect(try parse(["--dataset", "arithmetic", "--samples", "2"]).loadProblems().count == 50)
        let a = try parse(["--dataset", "arithmetic:7", "--samples", "2", "--seed", "3"]).loadProblems()
        #expect(a.count == 7)
        #expect(a == ArithmeticDataset.generate(count: 7, seed: 3))
    }

    @Test(
        "bad arguments are rejected",
        arguments: [
            ["--dataset", "arithmetic:0", "--samples", "2"], ["--dataset", "arithmetic:x", "--samples", "2"],
            ["--dataset", "arithmetic", "--samples", "0"],
            ["--dataset", "arithmetic", "--samples", "2", "--concurrency", "0"],
            ["--dataset", "arithmetic", "--samples", "2", "--endpoint", "x"],
        ]
    )
    func rejects(args: [String]) {
        #expect(throws: (any Error).self) { try parse(args) }
    }

    @Test("a missing JSONL dataset is a clear error")
    func missingFile() throws {
        let command = try parse(["--dataset", "/nonexistent/problems.jsonl", "--samples", "2"])
        #expect(throws: LoadTestingError.self) { try command.loadProblems() }
    }
}
