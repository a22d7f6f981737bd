import Foundation
import Optimization
import T2TestSupport
import Tabular
import Testing

@testable import LoadTesting

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
    static let problems = [
        Problem(id: "p1", prompt: "2+3?", answer: "5"), Problem(id: "p2", prompt: "2+2?", answer: "4"),
        Problem(id: "p,3", prompt: "1+4?", answer: "5"),
    ]

    static func options(samples: Int = 4, temperature: Double = 0.7) -> SamplingOptions {
        SamplingOptions(
            samplesPerProblem: samples,
            concurrency: 3,
            settings: GenerationSettings(model: "m", maxTokens: 16, temperature: temperature),
            seed: 9,
            modelLabel: "tiny, \"q\"",
            params: 135e6
        )
    }

    /// A log as an earlier run would have left it: the settings line and `samples` (problem
    /// index, sample index) pairs, optionally with a torn last line.
    static func writeLog(_ run: SamplingRun, _ samples: [(Int, Int)], torn: Bool = false) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        struct Header: Encodable {
            var t2_sample_log = 1
            var settings: SampleRunSettings
        }
        var text = String(decoding: try encoder.encode(Header(settings: run.settings)), as: UTF8.self) + "\n"
        for (i, j) in samples {
            let r = SampleResult(
                problem: problems[i].id,
                sample: j,
                seed: run.options.sampleSeed(problem: i, sample: j, problems: problems.count),
                correct: true,
                generatedTokens: 6,
                extracted: "5"
            )
            text += String(decoding: try encoder.encode(r), as: UTF8.self) + "\n"
        }
        if torn { text += "{\"correct\":tr" }
        try text.write(toFile: run.logPath, atomically: true, encoding: .utf8)
    }

    @Test("K requests per problem with distinct seeds; an interrupted run resumes without redoing samples")
    func resume() async throws {
        let server = try await FaultServer()
        let dir = try ScratchDirectory("t2-sample")
        let out = dir.file("counts.csv")
        let options = Self.options()
        let client = StreamingClient(address: try ServerAddress(url: server.url(.answer)))

        // A first run that finished only some samples, with a torn last line as a crash leaves.
        let run = SamplingRun(client: client, problems: Self.problems, options: options, outputPath: out)
        try Self.writeLog(run, [(0, 0), (0, 2), (2, 1)], torn: true)

        let summary = try await run.run()
        await client.shutdown()
        await server.stop()

        #expect(summary.samplesResumed == 3)
        #expect(summary.samplesDone == 12)
        #expect(summary.samplesFailed == 0)
        let bodies = server.requestBodies.withLock { $0 }
        #expect(bodies.count == 9)  // only the 9 missing samples were sent
        let seeds = try bodies.map { try #require(JSONValue.parse($0)["seed"]?.intValue) }
        let allSeeds = (0..<3).flatMap { i in
            (0..<4).map { j in Int(options.sampleSeed(problem: i, sample: j, problems: 3)) }
        }
        #expect(Set(allSeeds).count == 12)
        #expect(Set(seeds).count == 9)
        #expect(
            Set(seeds).isDisjoint(with: [0, 2].map { Int(options.sampleSeed(problem: 0, sample: $0, problems: 3)) })
        )

        // RFC 4180: the comma in a problem id and the comma and quotes in the label are quoted.
        let csv = try String(contentsOfFile: out, encoding: .utf8)
        #expect(
            csv == """
                problem,samples,correct,generated_tokens,mean_generated_tokens,model,params
                p1,4,4,24,6.00,"tiny, ""q\"\"",135000000
                p2,4,0,24,6.00,"tiny, ""q\"\"",135000000
                "p,3",4,4,24,6.00,"tiny, ""q\"\"",135000000

                """
        )
        let table = try CSVTable(contentsOf: out)
        #expect(table.text(row: 2, column: 0) == "p,3")
        #expect(table.text(row: 0, column: 5) == "tiny, \"q\"")
        let log = try String(contentsOfFile: run.logPath, encoding: .utf8)
        #expect(log.split(separator: "\n").count == 13)  // the settings line and 12 samples

        // Running again does nothing: everything is done.
        let again = SamplingRun(
            client: StreamingClient(address: try ServerAddress(url: "http://127.0.0.1:9")),
            problems: Self.problems,
            options: options,
            outputPath: out
        )
        let second = try await again.run()
        #expect(second.samplesResumed == 12 && second.samplesFailed == 0)
        await again.client.shutdown()
    }

    @Test("seeds do not depend on the number of samples: growing a run never reuses one")
    func seedsAcrossSizes() {
        let small = Self.options(samples: 4)
        let large = Self.options(samples: 9)
        for i in 0..<3 {
            for j in 0..<4 {
                #expect(
                    small.sampleSeed(problem: i, sample: j, problems: 3)
                        == large.sampleSeed(problem: i, sample: j, problems: 3)
                )
            }
        }
        let all = (0..<3).flatMap { i in (0..<9).map { j in large.sampleSeed(problem: i, sample: j, problems: 3) } }
        #expect(Set(all).count == 27)
    }

    @Test("a smaller --samples keeps the log whole and counts only the first K samples")
    func smallerSamples() async throws {
        let dir = try ScratchDirectory("t2-sample")
        let out = dir.file("counts.csv")
        let client = StreamingClient(address: try ServerAddress(url: "http://127.0.0.1:9"))
        let run = SamplingRun(
            client: client,
            problems: Self.problems,
            options: Self.options(samples: 2),
            outputPath: out
        )
        let logged = (0..<3).flatMap { i in (0..<4).map { (i, $0) } }
        try Self.writeLog(run, logged)
        let before = try String(contentsOfFile: run.logPath, encoding: .utf8)
        let summary = try await run.run()
        await client.shutdown()
        #expect(summary.samplesDone == 6)
        #expect(summary.samplesBeyondRequest == 6)
        #expect(try String(contentsOfFile: run.logPath, encoding: .utf8) == before)
        let table = try CSVTable(contentsOf: out)
        #expect((0..<3).allSatisfy { table.text(row: $0, column: 1) == "2" })
    }

    @Test("a log from another dataset, other settings, or an older t2 is refused; a second writer is locked out")
    func mismatch() async throws {
        let dir = try ScratchDirectory("t2-sample")
        let out = dir.file("counts.csv")
        let client = StreamingClient(address: try ServerAddress(url: "http://127.0.0.1:9"))
        defer { Task { await client.shutdown() } }
        let run = SamplingRun(client: client, problems: Self.problems, options: Self.options(), outputPath: out)
        try Self.writeLog(run, [(0, 0)])

        // Another temperature: refused, naming the setting and both values.
        let hotter = SamplingRun(
            client: client,
            problems: Self.problems,
            options: Self.options(temperature: 1.0),
            outputPath: out
        )
        do {
            _ = try await hotter.run()
            Issue.record("a different temperature was accepted")
        } catch {
            #expect(
                "\(error.localizedDescription)".contains("--temperature 1.0 vs 0.7"),
                "\(error.localizedDescription)"
            )
        }
        // Another dataset.
        let other = SamplingRun(
            client: client,
            problems: [Problem(id: "x", prompt: "1?", answer: "1")],
            options: Self.options(),
            outputPath: out
        )
        await #expect(throws: LoadTestingError.self) { _ = try await other.run() }

        // A log without a settings line (an older t2, or not a log at all).
        try "{\"correct\":true,\"generated_tokens\":1,\"problem\":\"p1\",\"sample\":0,\"seed\":1}\n".write(
            toFile: run.logPath,
            atomically: true,
            encoding: .utf8
        )
        do {
            _ = try await run.run()
            Issue.record("a log without settings was accepted")
        } catch {
            #expect("\(error.localizedDescription)".contains("no settings line"))
        }

        // Two writers: the second is refused while the first holds the log.
        try FileManager.default.removeItem(atPath: run.logPath)
        let first = try SampleLog(path: run.logPath, settings: run.settings)
        #expect(throws: LoadTestingError.self) { _ = try SampleLog(path: run.logPath, settings: run.settings) }
        withExtendedLifetime(first) {}
    }
}
