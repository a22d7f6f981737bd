import ArgumentParser
import Foundation
import Planning
import ScalingLaws
import T2TestSupport
import Tabular
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

    @Test(
        "JSON has the documented keys: schema, the law's fitted range and held-out error, plan intervals and range check"
    )
    func jsonKeys() throws {
        let doc = try Self.json([])
        #expect(doc["schema"] as? String == "t2.plan/1")
        let plan = try #require(doc["plan"] as? [String: Any])
        for key in [
            "params", "tokens", "tokens_per_param", "samples", "predicted", "train_flops", "inference_flops",
            "in_fitted_range", "intervals",
        ] {
            #expect(plan[key] != nil, "plan.\(key)")
        }
        let intervals = try #require(plan["intervals"] as? [String: Any])
        #expect(intervals["confidence"] as? Double == 0.9)
        for key in ["params", "tokens", "k", "metric", "cost"] {
            let pair = try #require(intervals[key] as? [Double], "plan.intervals.\(key)")
            #expect(pair.count == 2 && pair[0] <= pair[1])
        }
        let law = try #require(doc["law"] as? [String: Any])
        let range = try #require(law["fitted_range"] as? [String: [Double]])
        #expect(range["params"] == [14e6, 12e9])
        #expect(range["tokens"] == [2e6, 300e9])
        #expect((law["held_out"] as? [String: Any])?["value"] is Double)
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
        let plan = try #require(doc["plan"] as? [String: Any])
        let intervals = try #require(plan["intervals"] as? [String: Any])
        let params = try #require(intervals["params"] as? [Double])
        #expect(params[0] < params[1])
        #expect(intervals["replicates"] as? Int == 5)
        #expect(intervals["metric_kind"] as? String == "task_loss")
        // No fitted range in this file: the search is not limited, and the report says why.
        #expect(plan["in_fitted_range"] == nil)
        #expect((doc["notes"] as? [String])?.contains { $0.contains("records no fitted range") } == true)
    }

    @Test("a sweep prints one CSV row per budget")
    func sweepCSV() throws {
        let text = try Self.render(["--sweep", "1e18:1e22:5", "--inference-flops", "2e9", "--format", "csv"])
        let table = try CSVTable(string: text, source: "sweep.csv")
        #expect(table.count == 5)
        #expect(table.header.prefix(6) == ["budget_mode", "budget", "params", "tokens", "tokens_per_param", "samples"])
        let column = try table.requireColumn("in_fitted_range")
        #expect((0..<table.count).allSatisfy { table.text(row: $0, column: column) == "true" })
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
            // --sweep varies the budget: a budget beside it would be silently ignored
            ["--sweep", "1e20:1e22:3", "--train-flops", "1e21", "--inference-flops", "2e9"],
            ["--sweep", "1e20:1e22:3", "--budget-flops", "1e21", "--queries", "1e9", "--tokens-per-sample", "256"],
            // numbers the planner cannot use
            ["--unique-tokens", "0"], ["--unique-tokens", "nan"], ["--range-factor", "0.5"], ["--confidence", "1"],
            ["--max-samples", "1e300"], ["--train-flops", "inf", "--inference-flops", "0"],
            ["--train-flops", "1e22", "--inference-flops", "nan"],
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

@Suite("t2 plan: inputs that crashed, bounds and data limits")
struct PlanCommandLimitTests {
    static let crashCases: [([String], Int32)] = [
        (["plan", "--train-flops", "1e22", "--inference-flops", "3e29"], 0),
        (["plan", "--sweep", "1e20:1e22:3", "--inference-flops", "3e29"], 0),
        (["plan", "--target-accuracy", "0.5", "--inference-flops", "1e29"], 0),
        (
            [
                "plan", "--budget-usd", "1e6", "--queries", "1e8", "--tokens-per-sample", "1e19", "--hardware",
                "h100-sxm", "--quant", "fp8",
            ], 64
        ),
        (
            [
                "plan", "--budget-usd", "1e6", "--queries", "1e8", "--tokens-per-sample", "256", "--prompt-tokens",
                "1e19", "--hardware", "h100-sxm", "--quant", "fp8",
            ], 64
        ),
        (
            [
                "plan", "--budget-usd", "1e6", "--queries", "1e8", "--tokens-per-sample", "256", "--prompt-tokens",
                "nan", "--hardware", "h100-sxm", "--quant", "fp8",
            ], 64
        ),
        (["plan", "--sweep", "1e20:1e22:3", "--train-flops", "1e21", "--inference-flops", "2e9"], 64),
    ]

    @Test(
        "huge inference budgets, huge token counts and NaN give a plan or a clear error, never a crash",
        arguments: crashCases
    )
    func noCrash(arguments: [String], status: Int32) throws {
        let result = try T2Binary.run(arguments)
        #expect(result.status == status, "\(arguments): \(result.stderr)")
        if status == 64 { #expect(result.stderr.contains("Error:"), "\(result.stderr)") }
        if status == 0 { #expect(!result.stdout.isEmpty) }
    }

    @Test("k is capped at --max-samples under a huge inference budget, and the report says so")
    func samplesCap() throws {
        let doc = try PlanCommandTests.json(["--train-flops", "1e22", "--inference-flops", "3e29"])
        let plan = try #require(doc["plan"] as? [String: Any])
        #expect(plan["samples"] as? Int == 10_000)
        #expect((plan["boundaries"] as? [String])?.contains("most_samples") == true, "\(plan)")
        let chin = try #require(doc["chinchilla"] as? [String: Any])
        #expect(try #require(chin["samples"] as? Int) <= 10_000)
    }

    @Test("--unique-tokens: epochs and effective data in JSON and table; fewer unique tokens never help")
    func uniqueTokens() throws {
        let args = ["--budget-flops", "1e23", "--queries", "1e9", "--tokens-per-sample", "256"]
        let free = try #require(try PlanCommandTests.json(args)["plan"] as? [String: Any])
        var previous = try #require((free["predicted"] as? [String: Any])?["pass_at_k"] as? Double)
        for u in ["15e12", "1e12", "1e11"] {
            let plan = try #require(try PlanCommandTests.json(args + ["--unique-tokens", u])["plan"] as? [String: Any])
            let unique = try #require(plan["unique_tokens"] as? Double)
            let tokens = try #require(plan["tokens"] as? Double)
            #expect(unique == Double(u))
            #expect(abs(try #require(plan["epochs"] as? Double) - tokens / unique) < 1e-9 * tokens / unique)
            let effective = try #require(plan["effective_tokens"] as? Double)
            #expect(effective <= tokens * (1 + 1e-12))
            let pass = try #require((plan["predicted"] as? [String: Any])?["pass_at_k"] as? Double)
            #expect(pass <= previous + 1e-9, "U = \(u): \(pass) > \(previous)")
            previous = pass
        }
        let text = try PlanCommandTests.render(args + ["--unique-tokens", "1e12"])
        #expect(text.contains("epochs D/U") && text.contains("effective data D′") && text.contains("Muennighoff"))
    }

    @Test(
        "the $1e6 plan stays within 4× of the fitted range, names the unconstrained optimum and explains Chinchilla's"
    )
    func dollarPlanRange() throws {
        let args = ["--budget-usd", "1e6", "--queries", "1e9", "--tokens-per-sample", "256"]
        let doc = try PlanCommandTests.json(args)
        let plan = try #require(doc["plan"] as? [String: Any])
        #expect(plan["in_fitted_range"] as? Bool == true)
        #expect(try #require(plan["tokens"] as? Double) <= 4 * 300e9 * (1 + 1e-9))
        let free = try #require(doc["unconstrained"] as? [String: Any])
        #expect(free["in_fitted_range"] as? Bool == false)
        #expect(doc["unconstrained_differs"] as? Bool == true)
        let text = try PlanCommandTests.render(args)
        #expect(text.contains("Unconstrained:"))
        #expect(text.contains("fitted on Pythia checkpoints"), "\(text)")
        let extrapolated = try #require(
            try PlanCommandTests.json(args + ["--allow-extrapolation"])["plan"] as? [String: Any]
        )
        #expect(extrapolated["in_fitted_range"] as? Bool == false)
        #expect(
            abs(try #require(extrapolated["params"] as? Double) / (try #require(free["params"] as? Double)) - 1) < 1e-9
        )
    }

    @Test("the plan CSV quotes a serving option whose name holds a comma or a quote (RFC 4180 round trip)")
    func csvQuoting() throws {
        var plan = Plan(
            params: 1e9,
            tokens: 2e10,
            samples: 3,
            samplesContinuous: nil,
            predicted: Prediction(passAtK: 0.5, taskLoss: 0.69, pretrainingLoss: 2),
            trainFLOPs: 1.2e20,
            inferenceFLOPs: 6e9,
            flopsPerQuery: nil,
            totalCost: 1.2e20,
            boundaries: []
        )
        plan.serving = ServingOption(hardware: "gpu, \"big\" one", quant: "q4,k", engine: "e", lossPenalty: 0)
        let text = PlanRendering.csv([
            (PlanBudgetRecord(.separate(trainFLOPs: 1.2e20, inferenceFLOPs: 6e9)), plan, plan)
        ])
        let table = try CSVTable(string: text, source: "plan.csv")
        #expect(table.count == 1)
        #expect(table.text(row: 0, column: try table.requireColumn("hardware")) == "gpu, \"big\" one")
        #expect(table.text(row: 0, column: try table.requireColumn("quant")) == "q4,k")
    }
}

/// Text snapshots of `--help` and table renderings, compared byte for byte. Re-record after an
/// intended change with `T2_RECORD_SNAPSHOTS=1 swift test --filter Snapshot` and review the diff.
enum Snapshot {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
        "Snapshots"
    )

    static func check(_ text: String, named name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let url = directory.appendingPathComponent(name)
        if ProcessInfo.processInfo.environment["T2_RECORD_SNAPSHOTS"] == "1" {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try AtomicFile.write(text, to: url.path)
            return
        }
        guard let recorded = try? String(contentsOf: url, encoding: .utf8) else {
            Issue.record(
                "no snapshot \(name); record it with T2_RECORD_SNAPSHOTS=1",
                sourceLocation: sourceLocation
            )
            return
        }
        if recorded != text {
            let a = recorded.split(separator: "\n", omittingEmptySubsequences: false)
            let b = text.split(separator: "\n", omittingEmptySubsequences: false)
            let first = zip(a, b).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(a.count, b.count)
            Issue.record(
                "snapshot \(name) differs at line \(first + 1):\n- \(first < a.count ? String(a[first]) : "<end>")\n+ \(first < b.count ? String(b[first]) : "<end>")\n(re-record with T2_RECORD_SNAPSHOTS=1 if intended)",
                sourceLocation: sourceLocation
            )
        }
    }
}

@Suite("Snapshots: t2 plan and t2 fit help and tables")
struct PlanFitSnapshotTests {
    @Test("t2 plan --help")
    func planHelp() throws {
        try Snapshot.check(PlanCommand.helpMessage(columns: 100), named: "plan-help.txt")
    }

    @Test("t2 fit --help")
    func fitHelp() throws {
        try Snapshot.check(FitCommand.helpMessage(columns: 100), named: "fit-help.txt")
    }

    @Test("t2 plan (the default table, with intervals and the range check)")
    func planTable() throws {
        try Snapshot.check(PlanCommandTests.render([]) + "\n", named: "plan-default.txt")
    }

    @Test("t2 plan in dollars (the range-limited plan beside the unconstrained optimum)")
    func planDollarTable() throws {
        try Snapshot.check(
            PlanCommandTests.render(["--budget-usd", "1e6", "--queries", "1e9", "--tokens-per-sample", "256"]) + "\n",
            named: "plan-dollars.txt"
        )
    }

    @Test("t2 fit (the Chinchilla table on Epoch AI's data)")
    func fitTable() throws {
        let text = try FitCommand.parse([Fixtures.chinchillaRuns, "--drop-highest", "5"]).render()
        // The count of starts reaching the optimum depends on the CPU's vector kernel; mask it.
        let masked = text.replacingOccurrences(of: Fixtures.directory, with: "Tests/Fixtures")
            .replacingOccurrences(of: #"\d+ of 4500 starts"#, with: "… of 4500 starts", options: .regularExpression)
        try Snapshot.check(masked + "\n", named: "fit-chinchilla.txt")
    }
}

@Suite("t2 plan: a bound that decides the plan is said, not hidden")
struct PlanBoundTests {
    @Test("at 1e30 FLOPs the planner stops at N = 1e13: the gap says 'higher' and the note names the bound")
    func largestModel() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.file("law.json")
        try LawFile(form: "chinchilla", parameters: ChinchillaLaw.epochRefit.parameters).write(to: path)
        let text = try PlanCommandTests.render(["--law", path, "--train-flops", "1e30", "--inference-flops", "0"])
        #expect(text.contains("higher than Chinchilla's"), "\(text)")
        #expect(text.contains("largest model the planner considers"), "\(text)")
        #expect(!text.contains("lower than Chinchilla's"))
    }
}
