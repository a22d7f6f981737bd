import Foundation
import LoadTesting
import NIOCore
import T2TestSupport
import Testing

@Suite("Ctrl-C keeps a valid results file", .timeLimit(.minutes(3)))
struct InterruptTests {
    /// A scratch directory, removed when the test's `defer` runs.
    static func scratch() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("t2-int-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Starts the built t2 with `arguments`, output discarded.
    static func start(_ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try T2Binary.path())
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Polls every 200 ms for up to 90 s until `ready` holds: on a loaded 2-core CI machine, with
    /// the rest of the suite running beside it, a process can take tens of seconds to get going.
    static func wait(until ready: () -> Bool) async throws {
        let deadline = Date().addingTimeInterval(90)
        while Date() < deadline && !ready() { try await Task.sleep(nanoseconds: 200_000_000) }
    }

    /// Sends SIGINT and waits up to 10 s for the process to exit (terminating it after that).
    static func interrupt(_ process: Process) async throws {
        kill(process.processIdentifier, SIGINT)
        let exitDeadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < exitDeadline { try await Task.sleep(nanoseconds: 50_000_000) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }

    @Test("SIGINT during t2 bench leaves complete JSON of the finished requests and exits 130")
    func sigint() async throws {
        // 40 tokens 25 ms apart: each request takes about a second, so the run is mid-flight.
        let server = try await FaultServer(tokens: 40, delay: .milliseconds(25))
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("bench.json").path
        let process = try Self.start([
            "bench", "--url", server.url(.slow), "--model", "m", "--concurrency", "2", "--requests", "1000",
            "--output-tokens", "40", "--format", "json", "--out", out,
        ])
        // Wait until some requests have finished (the file is rewritten every second).
        var finishedSoFar = 0
        try await Self.wait {
            if let data = FileManager.default.contents(atPath: out), let json = try? JSONValue.parse(Array(data)),
                let n = json["levels"]?[0]?["requests"]?.intValue, n >= 2
            {
                finishedSoFar = n
            }
            return finishedSoFar >= 2
        }
        #expect(finishedSoFar >= 2, "no incremental results appeared")
        try await Self.interrupt(process)
        await server.stop()
        #expect(process.terminationStatus == 130)
        let data = try #require(FileManager.default.contents(atPath: out))
        let json = try JSONValue.parse(Array(data))
        #expect(json["interrupted"] == .bool(true))
        #expect(json["complete"] == .bool(true))
        let level = try #require(json["levels"]?[0])
        let requests = try #require(level["requests"]?.intValue)
        #expect(requests >= finishedSoFar && requests < 1000)
        #expect(level["succeeded"]?.intValue == requests)  // cancelled in-flight requests are left out
        #expect(level["ttft"]?["p99_ms"]?.doubleValue != nil)
    }

    @Test("SIGINT during t2 sample leaves a valid counts file and a log that agree, and exits 130")
    func sigintSample() async throws {
        // 10 tokens 50 ms apart: each sample takes about half a second.
        let server = try await FaultServer(tokens: 10, delay: .milliseconds(50))
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("counts.csv").path
        let log = out + ".samples.jsonl"
        let process = try Self.start([
            "sample", "--url", server.url(.slow), "--model", "m", "--dataset", "arithmetic:20", "--samples", "8",
            "--concurrency", "2", "--out", out,
        ])
        // Wait until a few samples are in the log.
        try await Self.wait {
            ((try? String(contentsOfFile: log, encoding: .utf8))?.split(separator: "\n").count ?? 0) >= 4
        }
        try await Self.interrupt(process)
        await server.stop()
        #expect(process.terminationStatus == 130)
        // The counts file is whole: a header and rows whose sample counts add up to the log's lines.
        let csv = try String(contentsOfFile: out, encoding: .utf8)
        let rows = csv.split(separator: "\n").map {
            $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
        #expect(rows.first?.prefix(3) == ["problem", "samples", "correct"])
        let samples = try rows.dropFirst().map { row in try #require(Int(row[1])) }
        // The log's first line is the run's settings; every other line is one sample.
        let logged = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").count - 1
        #expect(samples.reduce(0, +) == logged, "counts \(samples.reduce(0, +)) vs log \(logged)")
        #expect(logged >= 3 && logged < 160)
    }
}
