import ArgumentParser
import Foundation
import ScalingLaws
import T2TestSupport
import Testing

@testable import t2

/// `t2 passk` end to end on real counts: four Pythia checkpoints of Tests/Fixtures (the 300B-token
/// 160M, 410M, 1B and 12B models: n from 128 to 10,112 per problem) and the 12B model at 2M
/// tokens, whose 30 problems have no correct sample.
@Suite("t2 passk command")
struct PasskCommandTests {
    /// In file order; the all-zero model is the fourth.
    static let models = ["Pythia_160M_300B", "Pythia_410M_300B", "Pythia_1B_300B", "Pythia_12B_2M", "Pythia_12B_300B"]

    /// The fixture's rows for `models`, written to a temporary file.
    static func counts() throws -> String {
        let lines = try String(contentsOfFile: Fixtures.directory + "/pythia_gsm8k_counts.csv", encoding: .utf8)
            .split(separator: "\n")
        let kept = lines.dropFirst().filter { line in models.contains { line.hasPrefix($0 + ",") } }
        return try write("counts.csv", ([lines[0]] + kept).joined(separator: "\n") + "\n")
    }

    static func write(_ name: String, _ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "t2-passk-\(UUID().uuidString)-\(name)"
        ).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func render(_ args: [String]) throws -> String { try PasskCommand.parse(args).render() }

    static func json(_ args: [String]) throws -> [String: Any] {
        let text = try render(args + ["--format", "json"])
        return try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    /// The message of the error `args` raise (parse or run), or "" with a recorded issue.
    static func failure(_ args: [String]) -> String {
        do {
            _ = try PasskCommand.parse(args).render()
        } catch {
            return (error as? any LocalizedError)?.errorDescription ?? "\(error)"
        }
        Issue.record("expected an error for \(args)")
        return ""
    }

    @Test("JSON: groups[] with group, pass_at_k keyed by k, distribution, parameters and forecast with intervals")
    func jsonKeys() throws {
        let path = try Self.counts()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let doc = try Self.json([path, "--forecast", "1000,10000", "--bootstrap", "20", "--seed", "3"])
        #expect(doc["bootstrap"] as? Int == 20 && doc["seed"] as? Int == 3)
        let family = try #require(doc["family"] as? String)
        #expect(SuccessFamily(rawValue: family) != nil)
        let selection = try #require(doc["selection"] as? [[String: Any]])
        // All four families are candidates: the models share GSM8K's problem ids.
        #expect(Set(selection.compactMap { $0["family"] as? String }) == Set(SuccessFamily.allCases.map(\.rawValue)))
        #expect(
            selection.allSatisfy {
                $0["held_out_log_likelihood"] is Double && $0["standard_error"] is Double && $0["parameters"] is Int
            }
        )
        // The chosen family is the one with the fewest parameters within one standard error of the best.
        let best = try #require(selection.first?["held_out_log_likelihood"] as? Double)
        let eligible = selection.filter {
            best - ($0["held_out_log_likelihood"] as! Double) <= ($0["standard_error"] as! Double)
        }
        let fewest = eligible.min { ($0["parameters"] as! Int) < ($1["parameters"] as! Int) }
        #expect(fewest?["family"] as? String == family)
        let groups = try #require(doc["groups"] as? [[String: Any]])
        #expect(groups.compactMap { $0["group"] as? String } == Self.models)
        for g in groups where g["group"] as? String != "Pythia_12B_2M" {
            let name = g["group"] as? String ?? ""
            #expect(g["problems"] as? Int == 128, "\(name)")
            let curve = try #require(g["pass_at_k"] as? [String: Double], "\(name)")
            #expect(curve.keys.allSatisfy { Int($0) != nil } && curve["1"] != nil && curve["128"] != nil)
            let distribution = try #require(g["distribution"] as? [String: Any])
            #expect(
                distribution["family"] as? String == family && distribution["a"] is Double
                    && distribution["b"] is Double
            )
            let parameters = try #require(g["parameters"] as? [String: Double])
            #expect(parameters["a"] != nil && parameters["b"] != nil)
            let forecast = try #require(g["forecast"] as? [String: [String: Any]])
            #expect(Set(forecast.keys) == ["1000", "10000"])
            for f in forecast.values {
                let estimate = try #require(f["estimate"] as? Double)
                let low = try #require(f["low"] as? Double)
                let high = try #require(f["high"] as? Double)
                #expect(0 <= low && low <= high && high <= 1 && estimate >= 0 && estimate <= 1)
                #expect(f["power_law"] is Double)
            }
            // More samples never lower pass@k.
            #expect(
                try #require(forecast["10000"]?["estimate"] as? Double)
                    >= (try #require(forecast["1000"]?["estimate"] as? Double))
            )
        }
        // The all-zero model: its curve, no distribution, and why.
        let zero = groups[3]
        #expect(zero["distribution"] == nil && zero["parameters"] == nil)
        #expect((zero["note"] as? String)?.contains("unidentifiable") == true)
        #expect((zero["pass_at_k"] as? [String: Double])?["1"] == 0)
    }

    @Test(
        "--family fixes the family; the crossed family reports α and its tail assumption",
        arguments: SuccessFamily.allCases
    )
    func family(_ family: SuccessFamily) throws {
        let path = try Self.counts()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let args = [path, "--forecast", "10000", "--bootstrap", "0", "--family", family.rawValue]
        let doc = try Self.json(args)
        #expect(doc["family"] as? String == family.rawValue)
        #expect((doc["selection"] as? [Any])?.isEmpty == true)
        let groups = try #require(doc["groups"] as? [[String: Any]])
        let parameters = try #require(groups[0]["parameters"] as? [String: Double])
        let notes = try #require(doc["notes"] as? [String])
        let table = try Self.render(args)
        #expect(table.contains("family: \(family.rawValue) (given)"))
        if family == .crossed {
            // One problem shape and one within-problem shape a for all models.
            let alphas = Set(groups.compactMap { ($0["parameters"] as? [String: Double])?["problem_shape"] })
            #expect(alphas.count == 1 && parameters["problem_shape"]! > 0)
            #expect(notes.count == 1 && notes[0].contains("assumption"))
            #expect(table.contains("note: crossed-beta-binomial") && table.contains(" α "))
        } else {
            #expect(parameters["problem_shape"] == nil && notes.isEmpty && !table.contains("note:"))
        }
        #expect((parameters["zero_mass"] != nil) == (family == .zeroInflated))
    }

    @Test("an unknown family, and the crossed family without shared problem ids, are errors that say what to do")
    func familyErrors() throws {
        let path = try Self.counts()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let unknown = Self.failure([path, "--family", "beta"])
        #expect(unknown.contains("'beta'") && SuccessFamily.allCases.allSatisfy { unknown.contains($0.rawValue) })
        let disjoint = try Self.write(
            "disjoint.csv",
            "model,problem,samples,correct\nm1,a,100,3\nm1,b,100,0\nm2,c,100,5\nm2,d,100,1\n"
        )
        defer { try? FileManager.default.removeItem(atPath: disjoint) }
        let message = Self.failure([disjoint, "--family", "crossed-beta-binomial", "--bootstrap", "0"])
        #expect(
            message.contains("crossed-beta-binomial") && message.contains("share no problem ids")
                && message.contains("--family")
        )
        // Selection simply leaves it out.
        let doc = try Self.json([disjoint, "--bootstrap", "0"])
        #expect(
            !((doc["selection"] as? [[String: Any]]) ?? []).contains {
                $0["family"] as? String == "crossed-beta-binomial"
            }
        )
    }

    @Test("--pool-levels: the model with no correct sample gets a prior-driven forecast, labelled so")
    func poolLevels() throws {
        let path = try Self.counts()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let args = [
            path, "--forecast", "1000", "--bootstrap", "0", "--family", "crossed-beta-binomial", "--pool-levels",
        ]
        let doc = try Self.json(args)
        let groups = try #require(doc["groups"] as? [[String: Any]])
        let zero = groups[3]
        #expect(
            zero["group"] as? String == "Pythia_12B_2M" && zero["prior_driven"] as? Bool == true
                && zero["distribution"] == nil
        )
        let f = try #require((zero["forecast"] as? [String: [String: Double]])?["1000"])
        #expect(f["low"]! <= f["estimate"]! && f["estimate"]! <= f["high"]! && f["power_law"] == nil)
        #expect(groups.filter { $0["prior_driven"] != nil }.count == 1)
        let prior = try #require(doc["level_prior"] as? [String: Any])
        #expect((prior["covariates"] as? [String])?.first == "constant" && (prior["tau"] as? Double ?? 0) > 0)
        #expect((doc["notes"] as? [String])?.contains { $0.contains("prior-driven") } == true)
        let table = try Self.render(args)
        #expect(table.contains("Pythia_12B_2M") && table.contains("prior-driven") && table.contains(" prior"))
        let csv = try Self.render(args + ["--format", "csv"])
        #expect(
            csv.contains("Pythia_12B_2M,prior-driven-forecast,1000,") && csv.contains("Pythia_12B_300B,forecast,1000,")
        )
        // Without the flag the model stays unidentifiable; with another family the flag says why it did nothing.
        let plain = try #require(try Self.json(Array(args.dropLast()))["groups"] as? [[String: Any]])
        #expect((plain[3]["forecast"] as? [String: Any])?.isEmpty == true && plain[3]["prior_driven"] == nil)
        let other = try Self.json([
            path, "--forecast", "1000", "--bootstrap", "0", "--family", "beta-binomial", "--pool-levels",
        ])
        #expect((other["notes"] as? [String])?.contains { $0.contains("needs the crossed-beta-binomial") } == true)
    }

    @Test("bad input: each error names the file, line or option and what is wrong")
    func badInput() throws {
        let header = "model,problem,samples,correct\n"
        func file(_ body: String) throws -> String { try Self.write("bad.csv", header + body) }
        let negative = try file("m,a,10,1\nm,b,10,-2\n")
        var m = Self.failure([negative])
        #expect(m.contains(negative + ":3") && m.contains("'correct'") && m.contains("negative"))
        let above = try file("m,a,10,11\n")
        m = Self.failure([above])
        #expect(m.contains(above + ":2") && m.contains("exceeds samples"))
        let small = try file("m,a,10,1\nm,b,20,3\n")
        m = Self.failure([small, "--k", "1,15"])
        #expect(
            m.contains("problem 'a'") && m.contains("line 2") && m.contains("k = 15 exceeds its 10 samples")
                && m.contains("--forecast")
        )
        for (option, value) in [("--k", "0"), ("--forecast", "-3"), ("--forecast", "1000,x")] {
            m = Self.failure([small, option + "=" + value])
            #expect(
                m.contains(option) && (m.contains("must be ≥ 1") || m.contains("not a whole number")),
                "\(option) \(value): \(m)"
            )
        }
        let missing = try Self.write("missing.csv", "model,problem,samples\nm,a,10\n")
        m = Self.failure([missing])
        #expect(m.contains(missing) && m.contains("'correct'"))
        let empty = try Self.write("empty.csv", header)
        m = Self.failure([empty])
        #expect(m.contains(empty) && m.contains("no count rows"))
        let nothing = try Self.write("nothing.csv", "")
        #expect(Self.failure([nothing]).contains(nothing))
        for path in [negative, above, small, missing, empty, nothing] {
            try? FileManager.default.removeItem(atPath: path)
        }
    }
}
