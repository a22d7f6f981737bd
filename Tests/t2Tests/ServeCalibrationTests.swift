import Foundation
import T2TestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `t2 serve --calibration FILE`: the served cost views and dollar plans use the calibration, and
/// answer exactly what the command line does with `--calibration FILE` (issue 16).
@Suite("t2 serve --calibration", .timeLimit(.minutes(3)))
struct ServeCalibrationTests {
    /// A running `t2 serve` and its URL (the first line it prints).
    final class Served {
        let process: Process
        let url: String

        init(_ arguments: [String]) throws {
            process = Process()
            process.executableURL = URL(fileURLWithPath: try T2Binary.path())
            process.arguments = ["serve", "--port", "0"] + arguments
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            try process.run()
            var line = Data()
            let handle = out.fileHandleForReading
            while true {
                let byte = handle.readData(ofLength: 1)
                if byte.isEmpty || byte == Data("\n".utf8) { break }
                line.append(byte)
            }
            url = String(decoding: line, as: UTF8.self)
        }

        func get(_ path: String) async throws -> (status: Int, body: String) {
            let (data, response) = try await URLSession.shared.data(from: try #require(URL(string: url + path)))
            return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
        }

        deinit {
            if process.isRunning {
                process.interrupt()
                process.waitUntilExit()
            }
        }
    }

    /// A JSON document without its wall-clock `seconds`.
    static func timeless(_ text: String) throws -> NSDictionary {
        var object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        object["seconds"] = nil
        return object as NSDictionary
    }

    @Test("cost and dollar plans use the calibration and equal the command line's answers with it")
    func servedWithCalibration() async throws {
        let dir = try ScratchDirectory("t2-serve-cal")
        let calibration = dir.file("cal.json")
        let calibrate = try await T2Binary.runAsync([
            "calibrate", Fixtures.path("inference_measurements.csv"), "--split", "hardware", "--half", "a",
            "--out", calibration,
        ])
        try #require(calibrate.status == 0, "t2 calibrate: \(calibrate.stderr)")

        let served = try Served(["--calibration", calibration])
        #expect(served.url.hasPrefix("http://127.0.0.1:"), "first line: \(served.url)")

        let deployment = ["--model", "llama-3.1-8b", "--quant", "fp8", "--hardware", "h100-sxm", "--concurrency", "16"]
        let cli = try await T2Binary.runAsync(
            ["cost"] + deployment + ["--calibration", calibration, "--format", "json"]
        )
        let uncalibrated = try await T2Binary.runAsync(["cost"] + deployment + ["--format", "json"])
        let api = try await served.get("/api/cost?model=llama-3.1-8b&quant=fp8&hardware=h100-sxm&concurrency=16")
        #expect(api.status == 200)
        #expect(
            try Self.timeless(api.body) == Self.timeless(cli.stdout),
            "/api/cost differs from t2 cost --calibration"
        )
        #expect(
            try Self.timeless(api.body) != Self.timeless(uncalibrated.stdout),
            "the calibration changed nothing: the test would not notice it being ignored"
        )

        let budget = [
            "--budget-usd", "1e6", "--queries", "1e9", "--tokens-per-sample", "256", "--hardware", "h100-sxm",
            "--quant", "fp8",
        ]
        let plan = try await T2Binary.runAsync(["plan"] + budget + ["--calibration", calibration, "--format", "json"])
        #expect(plan.status == 0, "t2 plan: \(plan.stderr)")
        let apiPlan = try await served.get(
            "/api/plan?budget_usd=1e6&queries=1e9&tokens_per_sample=256&hardware=h100-sxm&quant=fp8"
        )
        #expect(apiPlan.status == 200)
        #expect(
            try Self.timeless(apiPlan.body) == Self.timeless(plan.stdout),
            "/api/plan differs from t2 plan --calibration"
        )

        // A FLOP plan prices nothing: it is served unchanged (the command line refuses --calibration there).
        let flops = try await served.get("/api/plan?train_flops=1e21&inference_flops=1e10")
        #expect(flops.status == 200)
    }

    @Test("a bad calibration file stops t2 serve before it listens, naming the file")
    func badCalibration() throws {
        let dir = try ScratchDirectory("t2-serve-cal")
        let bad = try dir.write("bad.json", "{\"schema\": \"t2.calibration/1\", \"parameters\": {\"x\": \"fast\"}}")
        let result = try T2Binary.run(["serve", "--port", "0", "--calibration", bad])
        #expect(result.status == 1)
        #expect(result.stderr.contains("bad.json"), "stderr: \(result.stderr)")
        #expect(result.stdout.isEmpty, "it printed a URL: \(result.stdout)")
        let missing = try T2Binary.run(["serve", "--port", "0", "--calibration", dir.file("none.json")])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("none.json"), "stderr: \(missing.stderr)")
    }
}
