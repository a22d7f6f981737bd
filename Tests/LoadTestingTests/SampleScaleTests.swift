import Foundation
import LoadTesting
import NIOCore
import T2TestSupport
import Tabular
import Testing

@Suite("t2 sample at scale: shards, merge, adaptive allocation, SIGKILL", .serialized, .timeLimit(.minutes(2)))
struct SampleScaleTests {
    /// Rows of a counts CSV as `problem → (samples, correct)`.
    static func counts(_ path: String) throws -> [String: [String]] {
        let t = try CSVTable(contentsOf: path)
        var rows: [String: [String]] = [:]
        for r in 0..<t.count { rows[t.text(row: r, column: 0)] = Array(t.rows[r].dropFirst()) }
        return rows
    }

    /// Lines of a sample log after its settings line.
    static func logLines(_ path: String) throws -> [String] {
        Array(try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").dropFirst().map(String.init))
    }

    @Test("three shards of the problems, merged, give the unsharded run's counts")
    func shardsMerge() async throws {
        let server = try await FaultServer()
        let dir = try ScratchDirectory("t2-sample-shards")
        let whole = try await T2Binary.runAsync([
            "sample", "--url", server.url(.answer), "--model", "m", "--dataset", "arithmetic:7", "--samples", "2",
            "--concurrency", "2", "--label", "tiny", "--out", dir.file("whole.csv"),
        ])
        #expect(whole.status == 0, "\(whole.stderr)")
        var parts: [String] = []
        for i in 0..<3 {
            let part = dir.file("part-\(i).csv")
            let r = try await T2Binary.runAsync(
                [
                    "sample", "--url", server.url(.answer), "--model", "m", "--dataset", "arithmetic:7", "--samples",
                    "2", "--label", "tiny", "--shards", "3", "--out", part,
                ],
                environment: ["JOB_COMPLETION_INDEX": "\(i)"]
            )
            #expect(r.status == 0, "\(r.stderr)")
            #expect(
                try String(contentsOfFile: part + ".samples.jsonl", encoding: .utf8).contains("\"shard\":\"\(i)/3\"")
            )
            parts.append(part)
        }
        await server.stop()
        let merged = try await T2Binary.runAsync(["sample", "merge"] + parts + ["--out", dir.file("merged.csv")])
        #expect(merged.status == 0, "\(merged.stderr)")
        #expect(try Self.counts(dir.file("merged.csv")) == Self.counts(dir.file("whole.csv")))
        #expect(try Self.counts(dir.file("whole.csv")).count == 7)
        // A shard's log cannot be resumed as another shard or unsharded.
        let wrong = try await T2Binary.runAsync([
            "sample", "--url", "http://127.0.0.1:9", "--model", "m", "--dataset", "arithmetic:7", "--samples", "2",
            "--label", "tiny", "--shard", "1/3", "--out", parts[0],
        ])
        #expect(wrong.status == 1 && wrong.stderr.contains("--shard 1/3 vs 0/3"), "\(wrong.stderr)")
    }

    @Test("SIGKILL mid-run, then the same command: exactly the requested samples, none twice")
    func sigkillResume() async throws {
        // 10 tokens 40 ms apart: a sample takes ~0.4 s, so the kill lands mid-run.
        let server = try await FaultServer(tokens: 10, delay: .milliseconds(40))
        let dir = try ScratchDirectory("t2-sample-kill")
        let out = dir.file("counts.csv")
        let log = out + ".samples.jsonl"
        let arguments = [
            "sample", "--model", "m", "--dataset", "arithmetic:10", "--samples", "6", "--concurrency", "3",
            "--max-tokens", "16", "--out", out,
        ]
        let process = try T2Binary.start(["sample", "--url", server.url(.slow)] + arguments.dropFirst())
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, ((try? Self.logLines(log))?.count ?? 0) < 8 {
            try await Task.sleep(nanoseconds: 100_000_000)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let before = try Self.logLines(log)
        #expect(before.count >= 8 && before.count < 60, "\(before.count) samples before the kill")
        // The rerun may use any server: the samples' settings are what must match.
        let again = try await T2Binary.runAsync(["sample", "--url", server.url(.ok)] + arguments.dropFirst())
        await server.stop()
        #expect(again.status == 0, "\(again.stderr)")
        let after = try Self.logLines(log)
        #expect(after.count == 60)
        let keys = try after.map { line -> String in
            let v = try JSONValue.parse(Array(line.utf8))
            return "\(v["problem"]?.stringValue ?? "?")#\(v["sample"]?.intValue ?? -1)"
        }
        #expect(Set(keys).count == 60)
        #expect(Array(after.prefix(before.count)) == before)  // appended, never rewritten
        let rows = try Self.counts(out)
        #expect(rows.count == 10 && rows.values.allSatisfy { $0[0] == "6" })
    }

    @Test("adaptive allocation: solved problems stop early, unsolved ones get the samples; counts are honest")
    func adaptive() async throws {
        let server = try await FaultServer()
        let dir = try ScratchDirectory("t2-sample-adaptive")
        let out = dir.file("counts.csv")
        // The server always answers 5: problems whose answer is 5 are always solved, the others never.
        let problems = (0..<12).map { Problem(id: "q\($0)", prompt: "?", answer: $0 % 3 == 0 ? "5" : "7") }
        let client = StreamingClient(address: try ServerAddress(url: server.url(.answer)))
        let run = SamplingRun(
            client: client,
            problems: problems,
            options: SamplingOptions(
                allocation: .adaptive(AdaptiveSettings(budget: 200, targetK: 50, precision: 0.01, minimum: 2)),
                concurrency: 4,
                settings: GenerationSettings(model: "m", maxTokens: 8, temperature: 0.7),
                seed: 1
            ),
            outputPath: out
        )
        let summary = try await run.run()
        await client.shutdown()
        await server.stop()
        let status = try #require(summary.adaptive)
        #expect(summary.samplesDone <= 200 && summary.samplesDone >= 24)
        #expect(status.stopReason == "budget spent" || status.stopReason == "precision reached", "\(status)")
        #expect(status.low <= 1.0 / 3 + 1e-9 || status.estimate < 0.5)
        let rows = try Self.counts(out)
        let solved = problems.filter { $0.answer == "5" }.map { Int(rows[$0.id]![0])! }
        let unsolved = problems.filter { $0.answer != "5" }.map { Int(rows[$0.id]![0])! }
        #expect(solved.allSatisfy { $0 >= 2 } && unsolved.allSatisfy { $0 >= 2 })
        #expect(solved.max()! < unsolved.min()!, "solved \(solved) unsolved \(unsolved)")
        // n and c as drawn: every solved problem's samples are all correct, none of the others'.
        for p in problems {
            let row = rows[p.id]!
            #expect(row[1] == (p.answer == "5" ? row[0] : "0"))
        }
        #expect(try Self.logLines(run.logPath).count == summary.samplesDone)
    }
}
