import ArgumentParser
import LoadTesting
import T2TestSupport
import Tabular
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
            // Issue 15: values that crashed, sent invalid JSON or allocated gigabytes.
            ["--dataset", "arithmetic", "--samples", "2", "--timeout", "inf"],
            ["--dataset", "arithmetic", "--samples", "2", "--temperature", "nan"],
            ["--dataset", "arithmetic", "--samples", "1000000000000"],
            ["--dataset", "arithmetic:1000000", "--samples", "1000000"],
            ["--dataset", "arithmetic", "--samples", "2", "--checker", "nonsense"],
            ["--dataset", "arithmetic", "--samples", "2", "--checker", "regex:(unclosed"],
            ["--dataset", "arithmetic", "--adaptive", "--budget", "100"],
            [
                "--dataset", "arithmetic", "--samples", "2", "--adaptive", "--budget", "9", "--target-k", "4",
                "--precision", "0.1",
            ],
            ["--dataset", "arithmetic", "--samples", "2", "--shard", "2/2"],
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

    @Test("bad values exit 64 with a message, before anything is allocated or sent")
    func usageErrors() throws {
        for (args, words) in [
            (["--timeout", "inf"], "--timeout"), (["--temperature", "nan"], "temperature"),
            (["--samples", "1000000000000"], "--samples"),
        ] {
            let result = try T2Binary.run(
                [
                    "sample", "--url", "http://127.0.0.1:9", "--model", "m", "--dataset", "arithmetic", "--out",
                    "/tmp/x.csv",
                ]
                    + (args.first == "--samples" ? args : ["--samples", "2"] + args)
            )
            #expect(result.status == 64, "\(args): \(result.stderr)")
            #expect(result.stderr.contains(words), "\(args): \(result.stderr)")
        }
    }

    @Test("t2 sample merge: shards' counts in one file; names with commas kept; a duplicate refused")
    func merge() throws {
        let dir = try ScratchDirectory("t2-sample-merge")
        let a = try dir.write(
            "a.csv",
            "problem,samples,correct,model\n\"p,1\",4,1,\"m, \"\"x\"\"\"\np3,4,0,\"m, \"\"x\"\"\"\n"
        )
        let b = try dir.write("b.csv", "problem,samples,correct,model\np2,4,2,\"m, \"\"x\"\"\"\n")
        let out = dir.file("m.csv")
        let result = try T2Binary.run(["sample", "merge", a, b, "--out", out])
        #expect(result.status == 0, "\(result.stderr)")
        let merged = try CSVTable(contentsOf: out)
        #expect(merged.count == 3)
        #expect(merged.text(row: 0, column: 0) == "p,1")
        #expect(merged.text(row: 2, column: 3) == "m, \"x\"")
        let again = try T2Binary.run(["sample", "merge", a, b, a, "--out", dir.file("dup.csv")])
        #expect(again.status == 1)
        #expect(again.stderr.contains("count its samples twice"), "\(again.stderr)")
        #expect(dir.read("dup.csv") == nil)
        let other = try dir.write("c.csv", "problem,samples,correct\np9,1,1\n")
        let mismatch = try T2Binary.run(["sample", "merge", a, other])
        #expect(mismatch.status == 1 && mismatch.stderr.contains("has columns"), "\(mismatch.stderr)")
    }
}
