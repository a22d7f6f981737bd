import Foundation
import LoadTesting
import Optimization
import Testing

/// A tiny evaluator for the generated expressions: integers, + - *, parentheses, evaluated with
/// the usual precedence (the generator parenthesizes so that left-to-right is also correct).
private func evaluate(_ text: String) -> Int? {
    var tokens: [String] = []
    var number = ""
    for ch in text where ch != " " {
        if ch.isNumber {
            number.append(ch)
            continue
        }
        if !number.isEmpty {
            tokens.append(number)
            number = ""
        }
        tokens.append(String(ch))
    }
    if !number.isEmpty { tokens.append(number) }
    var i = 0
    func primary() -> Int? {
        guard i < tokens.count else { return nil }
        if tokens[i] == "(" {
            i += 1
            let v = sum()
            i += 1
            return v
        }
        defer { i += 1 }
        return Int(tokens[i])
    }
    func product() -> Int? {
        guard var v = primary() else { return nil }
        while i < tokens.count, tokens[i] == "*" {
            i += 1
            guard let r = primary() else { return nil }
            v *= r
        }
        return v
    }
    func sum() -> Int? {
        guard var v = product() else { return nil }
        while i < tokens.count, tokens[i] == "+" || tokens[i] == "-" {
            let op = tokens[i]
            i += 1
            guard let r = product() else { return nil }
            v = op == "+" ? v + r : v - r
        }
        return v
    }
    return sum()
}

@Suite("arithmetic dataset and answer checking")
struct ArithmeticTests {
    @Test("problems are seeded, unique in id, and their answers are exact")
    func exactAnswers() throws {
        let a = ArithmeticDataset.generate(count: 200, seed: 11)
        let b = ArithmeticDataset.generate(count: 200, seed: 11)
        let c = ArithmeticDataset.generate(count: 200, seed: 12)
        #expect(a == b)
        #expect(a != c)
        #expect(Set(a.map(\.id)).count == 200)
        for p in a {
            let expression = try #require(
                p.prompt.split(separator: ".").first?.replacingOccurrences(of: "Calculate ", with: "")
            )
            #expect(evaluate(expression) == Int(p.answer), "\(p.prompt) → \(p.answer)")
        }
        // Multi-step: every problem has at least two operators.
        #expect(a.allSatisfy { p in p.prompt.filter { "+-*".contains($0) }.count >= 2 })
    }

    @Test("final-number extraction and exact match")
    func checker() {
        let c = FinalNumberChecker()
        #expect(c.extract(from: "3 + 4 = 7, so the Answer: 7") == "7")
        #expect(c.extract(from: "Answer: -12. Then 5 more words 9") == "-12")
        #expect(c.extract(from: "first 3 then 1,234") == "1234")
        #expect(c.extract(from: "#### 42\nmore text 7") == "42")
        #expect(c.extract(from: "the result is 7.0") == "7")
        #expect(c.extract(from: "no digits here") == nil)
        #expect(c.isCorrect(response: "so the answer is 15", answer: "15"))
        #expect(!c.isCorrect(response: "Answer: 16", answer: "15"))
        #expect(!c.isCorrect(response: "Answer: 150", answer: "15"))
        #expect(c.isCorrect(response: "x-y gives 3-5 = -2. Answer: -2", answer: "-2"))
    }

    @Test("JSONL datasets: fields, numeric answers, errors with line numbers")
    func jsonl() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("t2-sample-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let good = dir.appendingPathComponent("good.jsonl").path
        try "{\"id\":\"a\",\"prompt\":\"1+1?\",\"answer\":2}\n\n{\"id\":7,\"prompt\":\"2+2?\",\"answer\":\"4\"}\n"
            .write(toFile: good, atomically: true, encoding: .utf8)
        let problems = try ArithmeticDataset.load(jsonl: good)
        #expect(
            problems == [Problem(id: "a", prompt: "1+1?", answer: "2"), Problem(id: "7", prompt: "2+2?", answer: "4")]
        )
        let bad = dir.appendingPathComponent("bad.jsonl").path
        try "{\"id\":\"a\",\"prompt\":\"x\",\"answer\":1}\n{\"id\":\"b\",\"answer\":1}\n".write(
            toFile: bad,
            atomically: true,
            encoding: .utf8
        )
        #expect(
            throws: LoadTestingError.invalidFile(
                bad,
                line: 2,
                reason: "missing string field \"prompt\" (each line needs id, prompt and answer)"
            )
        ) {
            try ArithmeticDataset.load(jsonl: bad)
        }
    }
}

@Suite("repeated sampling: counts, distinct seeds, resume", .timeLimit(.minutes(1)))
struct SamplingRunTests {
    @Test("K requests per problem with distinct seeds; an interrupted run resumes without redoing samples")
    func resume() async throws {
        let server = try await FaultServer()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("t2-sample-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("counts.csv").path
        let problems = [
            Problem(id: "p1", prompt: "2+3?", answer: "5"), Problem(id: "p2", prompt: "2+2?", answer: "4"),
            Problem(id: "p,3", prompt: "1+4?", answer: "5"),
        ]
        let options = SamplingOptions(
            samplesPerProblem: 4,
            concurrency: 3,
            settings: GenerationSettings(model: "m", maxTokens: 16, temperature: 0.7),
            seed: 9,
            modelLabel: "tiny",
            params: 135e6
        )
        let client = StreamingClient(address: try ServerAddress(url: server.url(.answer)))

        // A first run that finished only some samples: simulate it by writing its log, with a
        // torn last line as a crash would leave.
        let run = SamplingRun(client: client, problems: problems, options: options, outputPath: out)
        let logged = [(0, 0), (0, 2), (2, 1)].map { (i, j) in
            "{\"correct\":true,\"extracted\":\"5\",\"generated_tokens\":6,\"problem\":\"\(problems[i].id)\",\"sample\":\(j),\"seed\":\(options.sampleSeed(problem: i, sample: j))}"
        }
        try (logged.joined(separator: "\n") + "\n{\"correct\":tr").write(
            toFile: run.logPath,
            atomically: true,
            encoding: .utf8
        )

        let summary = try await run.run()
        await client.shutdown()
        await server.stop()

        #expect(summary.samplesResumed == 3)
        #expect(summary.samplesDone == 12)
        #expect(summary.samplesFailed == 0)
        let bodies = server.requestBodies.withLock { $0 }
        #expect(bodies.count == 9)  // only the 9 missing samples were sent
        let seeds = try bodies.map { try #require(JSONValue.parse($0)["seed"]?.intValue) }
        let allSeeds = (0..<3).flatMap { i in (0..<4).map { j in Int(options.sampleSeed(problem: i, sample: j)) } }
        #expect(Set(allSeeds).count == 12)
        #expect(Set(seeds).count == 9)
        #expect(Set(seeds).isDisjoint(with: [0, 2].map { Int(options.sampleSeed(problem: 0, sample: $0)) }))

        let csv = try String(contentsOfFile: out, encoding: .utf8)
        #expect(
            csv == """
                problem,samples,correct,generated_tokens,mean_generated_tokens,model,params
                p1,4,4,24,6.00,tiny,135000000
                p2,4,0,24,6.00,tiny,135000000
                "p,3",4,4,24,6.00,tiny,135000000

                """
        )
        let log = try String(contentsOfFile: run.logPath, encoding: .utf8)
        #expect(log.split(separator: "\n").count == 12)

        // Running again does nothing: everything is done.
        let again = SamplingRun(
            client: StreamingClient(address: try ServerAddress(url: "http://127.0.0.1:9")),
            problems: problems,
            options: options,
            outputPath: out
        )
        let second = try await again.run()
        #expect(second.samplesResumed == 12 && second.samplesFailed == 0)
        await again.client.shutdown()
    }

    @Test("a log from another dataset is refused")
    func mismatch() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("t2-sample-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("counts.csv").path
        try "{\"correct\":true,\"generated_tokens\":1,\"problem\":\"other\",\"sample\":0,\"seed\":1}\n".write(
            toFile: out + ".samples.jsonl",
            atomically: true,
            encoding: .utf8
        )
        let client = StreamingClient(address: try ServerAddress(url: "http://127.0.0.1:9"))
        let run = SamplingRun(
            client: client,
            problems: [Problem(id: "p", prompt: "x", answer: "1")],
            options: SamplingOptions(
                samplesPerProblem: 1,
                concurrency: 1,
                settings: GenerationSettings(model: "m", maxTokens: 4),
                seed: 0
            ),
            outputPath: out
        )
        await #expect(throws: LoadTestingError.self) { _ = try await run.run() }
        await client.shutdown()
    }
}
