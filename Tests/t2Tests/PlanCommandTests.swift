import ArgumentParser
import Foundation
import ScalingLaws
import Testing

@testable import t2

@Suite("t2 plan command")
struct PlanCommandTests {
    static func render(_ args: [String]) throws -> String {
        try PlanCommand.parse(args).render()
    }

    static func json(_ args: [String]) throws -> [String: Any] {
        let text = try render(args + ["--format", "json"])
        return try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    static func writeLaw(_ file: LawFile) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("t2-plan-\(UUID().uuidString).json")
            .path
        try file.write(to: path)
        return path
    }

    @Test(
        "no arguments: the built-in law at the T² validation budget, a readable summary and the Chinchilla comparison"
    )
    func defaultRun() throws {
        let text = try Self.render([])
        #expect(text.contains("built-in T² accuracy law"))
        #expect(text.contains("Plan:       train a"))
        #expect(text.contains("Chinchilla: train"))
        #expect(text.contains("2.56e19"))
    }

    @Test("JSON has the documented keys")
    func jsonKeys() throws {
        let doc = try Self.json([])
        let plan = try #require(doc["plan"] as? [String: Any])
        for key in ["params", "tokens", "tokens_per_param", "samples", "predicted", "train_flops", "inference_flops"] {
            #expect(plan[key] != nil, "plan.\(key)")
        }
        let chin = try #require(doc["chinchilla"] as? [String: Any])
        for key in ["params", "tokens", "tokens_per_param"] { #expect(chin[key] != nil, "chinchilla.\(key)") }
        let budget = try #require(doc["budget"] as? [String: Any])
        #expect(budget["mode"] as? String == "separate")
        #expect(budget["train_flops"] as? Double == 2.56e19)
        let predicted = try #require(plan["predicted"] as? [String: Any])
        #expect(predicted["pass_at_k"] is Double)
    }

    @Test("--max-train-tokens caps D, and the report says the data bound the plan")
    func dataCap() throws {
        let free = try #require(try Self.json([])["plan"] as? [String: Any])
        let freeTokens = try #require(free["tokens"] as? Double)
        let doc = try Self.json(["--max-train-tokens", String(freeTokens / 10)])
        let plan = try #require(doc["plan"] as? [String: Any])
        #expect(try #require(plan["tokens"] as? Double) <= freeTokens / 10 * (1 + 1e-12))
        #expect((plan["boundaries"] as? [String])?.contains("most_tokens") == true, "\(plan)")
        let text = try Self.render(["--max-train-tokens", String(freeTokens / 10)])
        #expect(text.contains("all the training data available"), "\(text)")
    }

    @Test("--law with a chinchilla file and --inference-flops 0 returns the closed-form allocation")
    func chinchillaLawFile() throws {
        let law = ChinchillaLaw.epochRefit
        let path = try Self.writeLaw(LawFile(form: "chinchilla", parameters: law.parameters))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let doc = try Self.json(["--law", path, "--train-flops", "1e23", "--inference-flops", "0"])
        let plan = try #require(doc["plan"] as? [String: Any])
        let closed = law.computeOptimal(flops: 1e23)
        #expect(abs(try #require(plan["params"] as? Double) / closed.params - 1) < 1e-3)
        #expect(abs(try #require(plan["tokens_per_param"] as? Double) / closed.tokensPerParam - 1) < 1e-3)
    }

    @Test("bootstrap replicates in the law file give intervals on N, D and k")
    func bootstrapIntervals() throws {
        let law = ChinchillaLaw.epochRefit
        let replicates = [0.97, 0.99, 1.0, 1.01, 1.03].map { f -> [String: Double] in
            var p = law.parameters
            p["A"] = law.A * f
            return p
        }
        let path = try Self.writeLaw(LawFile(form: "chinchilla", parameters: law.parameters, bootstrap: replicates))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let doc = try Self.json([
            "--law", path, "--budget-flops", "1e22", "--queries", "1e9", "--tokens-per-sample", "100",
        ])
        let intervals = try #require(doc["intervals"] as? [String: Any])
        let params = try #require(intervals["params"] as? [String: Double])
        #expect(params["lower"]! < params["upper"]!)
        #expect(intervals["replicates"] as? Int == 5)
    }

    @Test("a sweep prints one CSV row per budget")
    func sweepCSV() throws {
        let text = try Self.render(["--sweep", "1e18:1e22:5", "--inference-flops", "2e9", "--format", "csv"])
        let lines = text.split(separator: "\n")
        #expect(lines.count == 6)
        #expect(lines[0].hasPrefix("budget_mode,budget,params,tokens,tokens_per_param,samples"))
    }

    @Test("a target finds the cheapest plan and reports the saving")
    func target() throws {
        let doc = try Self.json(["--target-accuracy", "0.05", "--queries", "1e6", "--tokens-per-sample", "256"])
        let target = try #require(doc["target"] as? [String: Any])
        #expect(target["kind"] as? String == "accuracy")
        let predicted = try #require((doc["plan"] as? [String: Any])?["predicted"] as? [String: Any])
        #expect(try #require(predicted["pass_at_k"] as? Double) >= 0.05 - 1e-9)
    }

    @Test(
        "bad arguments are rejected with what to do",
        arguments: [
            ["--train-flops", "1e20"],
            ["--budget-flops", "1e20"],
            ["--target-accuracy", "30"],
            ["--sweep", "1e20:1e18:5"],
            ["--train-flops", "1e20", "--inference-flops", "0", "--budget-flops", "1e21"],
            ["--target-loss", "2", "--budget-flops", "1e21", "--queries", "1", "--tokens-per-sample", "1"],
            ["--max-train-tokens", "0"], ["--max-train-tokens", "-15e12"], ["--max-train-tokens", "1000"],
        ]
    )
    func badArguments(args: [String]) {
        #expect(throws: (any Error).self) { try PlanCommand.parse(args) }
    }

    @Test("a law file of a form that cannot be planned is rejected with the reason")
    func unplannableFile() throws {
        let path = try Self.writeLaw(LawFile(form: "power-law", parameters: ["a": 1, "b": 0.5]))
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            _ = try Self.render(["--law", path])
            Issue.record("expected an error")
        } catch {
            #expect(error.localizedDescription.contains("'power-law'"))
        }
    }

    @Test("a budget too small to train anything says the smallest feasible budget")
    func tinyBudget() throws {
        do {
            _ = try Self.render(["--train-flops", "1e9", "--inference-flops", "2e9"])
            Issue.record("expected an error")
        } catch {
            #expect(error.localizedDescription.contains("smallest feasible budget is 6e+12"))
        }
    }
}
