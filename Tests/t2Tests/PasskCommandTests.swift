import ArgumentParser
import Foundation
import ScalingLaws
import T2TestSupport
import Tabular
import Testing

@testable import t2

/// `t2 passk` end to end on real counts: four Pythia checkpoints of Tests/Fixtures (the 300B-token
/// 160M, 410M, 1B and 12B models: n from 128 to 10,112 per problem) and the 12B model at 2M
/// tokens, whose 30 problems have no correct sample.
@Suite("t2 passk command")
struct PasskCommandTests {
    /// In file order; the all-zero model is the fourth.
    static let models = ["Pythia_160M_300B", "Pythia_410M_300B", "Pythia_1B_300B", "Pythia_12B_2M", "Pythia_12B_300B"]

    /// The fixture's rows for `models` (renamed by `rename`), written to a temporary file.
    static func counts(
        _ dir: ScratchDirectory,
        models: [String] = models,
        rename: (String) -> String = { $0 }
    ) throws -> String {
        let table = try CSVTable(contentsOf: Fixtures.pythiaCounts)
        let model = try table.requireColumn("model")
        var csv = CSVWriter(header: table.header)
        for row in 0..<table.count where models.contains(table.text(row: row, column: model)) {
            var fields = (0..<table.header.count).map { table.text(row: row, column: $0) }
            fields[model] = rename(fields[model])
            csv.append(fields)
        }
        return try dir.write("counts.csv", csv.text)
    }

    static func render(_ args: [String]) throws -> String { try PasskCommand.parse(args).render() }

    static func json(_ args: [String]) throws -> [String: Any] {
        let text = try render(args + ["--format", "json"])
        return try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    /// The message of the error `args` raise (parse, validation or run), or "" with a recorded issue.
    static func failure(_ args: [String]) -> String {
        do {
            var command = try PasskCommand.parseAsRoot(args)
            try command.validate()
            _ = try (command as? PasskCommand)?.render()
        } catch {
            if let validation = error as? ValidationError { return validation.message }
            return (error as? any LocalizedError)?.errorDescription ?? "\(error)"
        }
        Issue.record("expected an error for \(args)")
        return ""
    }

    @Test("the shape-prior line says when no slope on strength was tried (two groups) and when it was")
    func shapePriorLine() throws {
        let dir = try ScratchDirectory()
        let two = try Self.render([try Self.counts(dir, models: Array(Self.models.prefix(2))), "--bootstrap", "0"])
        let line = try #require(two.split(separator: "\n").first { $0.hasPrefix("shape prior:") })
        #expect(line.contains("no slope on strength with fewer than three groups") && !line.contains("P(β ≠ 0)"))
        let four = try Self.render([try Self.counts(dir), "--bootstrap", "0"])
        let other = try #require(four.split(separator: "\n").first { $0.hasPrefix("shape prior:") })
        #expect(other.contains("with and without β; P(β ≠ 0) = "), "\(other)")
    }

    @Test("a forecast past the counts' horizon n(1 + ln n) is marked * in the table, and a note says what that means")
    func horizonMarks() throws {
        let dir = try ScratchDirectory()
        // 12B_300B has 128 samples per problem (horizon 749); the others 256 or more (1,676 and up).
        let text = try Self.render([try Self.counts(dir), "--forecast", "1000", "--bootstrap", "0"])
        let lines = text.split(separator: "\n").map(String.init)
        let marked = lines.filter { $0.contains("*") && $0.hasPrefix("Pythia_") }
        #expect(marked.count == 1 && marked.first?.hasPrefix("Pythia_12B_300B") == true, "\(marked)")
        let note = try #require(lines.first { $0.hasPrefix("note: pass@1000 is past the counts' horizon") })
        #expect(note.contains("for 1 of 4 forecast group(s) (marked *)") && note.contains("(n = 128: 749;"), "\(note)")
        // Within every group's horizon: no mark, no note.
        let within = try Self.render([try Self.counts(dir, models: Array(Self.models.prefix(2))), "--forecast", "200"])
        #expect(!within.contains("*") && !within.contains("counts' horizon"))
    }

    @Test("JSON: schema, the default family with its shape prior, and forecasts with 90% intervals")
    func jsonKeys() throws {
        let dir = try ScratchDirectory()
        let path = try Self.counts(dir)
        let doc = try Self.json([path, "--forecast", "1000,10000", "--bootstrap", "40", "--seed", "3"])
        #expect(doc["schema"] as? String == "t2.passk/1")
        #expect(doc["bootstrap"] as? Int == 40 && doc["seed"] as? Int == 3 && doc["confidence"] as? Double == 0.9)
        #expect(
            doc["family"] as? String == "crossed-pooled-shape-beta-binomial"
                && doc["family_choice"] as? String == "default"
        )
        #expect(doc["intervals"] as? String == "posterior" && (doc["selection"] as? [Any])?.isEmpty == true)
        let prior = try #require(doc["shape_prior"] as? [String: Any])
        let grid = try #require(prior["tau_grid"] as? [Double])
        #expect(grid == CrossedShapePooling.spreadGrid && grid.contains(prior["tau"] as? Double ?? -1))
        let weights = try #require(prior["tau_weights"] as? [Double])
        #expect(abs(weights.reduce(0, +) - 1) < 1e-9 && prior["mu"] is Double)
        // Four fitted groups: the priors with a slope on strength were candidates.
        let slopeProbability = try #require(prior["slope_probability"] as? Double)
        #expect(prior["slope_tried"] as? Bool == true && prior["beta"] is Double && (0...1).contains(slopeProbability))
        let groups = try #require(doc["groups"] as? [[String: Any]])
        #expect(groups.compactMap { $0["group"] as? String } == Self.models)
        var shapes: Set<Double> = []
        for g in groups where g["group"] as? String != "Pythia_12B_2M" {
            let name = g["group"] as? String ?? ""
            #expect(g["problems"] as? Int == 128, "\(name)")
            let curve = try #require(g["pass_at_k"] as? [String: Double], "\(name)")
            #expect(curve.keys.allSatisfy { Int($0) != nil } && curve["1"] != nil && curve["128"] != nil)
            let parameters = try #require(g["parameters"] as? [String: Double])
            shapes.insert(try #require(parameters["a"]))
            #expect(parameters["b"] != nil && parameters["problem_shape"] != nil)
            // Every key is snake_case (docs/json.md), the distribution's too.
            let distribution = try #require(g["distribution"] as? [String: Any])
            #expect(Set(distribution.keys) == ["family", "a", "b", "zero_mass", "problem_shape"])
            let forecast = try #require(g["forecast"] as? [String: [String: Any]])
            #expect(Set(forecast.keys) == ["1000", "10000"])
            for f in forecast.values {
                let estimate = try #require(f["estimate"] as? Double)
                let interval = try #require(f["interval"] as? [Double])
                #expect(interval.count == 2 && 0 <= interval[0] && interval[0] <= interval[1] && interval[1] <= 1)
                #expect(estimate >= 0 && estimate <= 1 && f["power_law"] is Double && f["independent"] is Double)
                let beyond = try #require(f["beyond_counts"] as? Double)
                #expect((0...1).contains(beyond))
            }
            // The share past the counts' horizon n(1 + ln n) grows with k: 128 samples reach k = 749,
            // 256 reach 1,676, 384 reach 2,669, 640 reach 4,775 (and 10,112 reach 103,360).
            let shares = try ["1000", "10000"].map { try #require(forecast[$0]?["beyond_counts"] as? Double) }
            let expected: [String: [Double]] = [
                "Pythia_160M_300B": [0, 1], "Pythia_410M_300B": [0, 1], "Pythia_12B_300B": [1, 1],
            ]
            if let e = expected[name] { #expect(shares == e, "\(name): \(shares)") }
            #expect(shares[0] <= shares[1])
            // More samples never lower pass@k.
            #expect(
                try #require(forecast["10000"]?["estimate"] as? Double)
                    >= (try #require(forecast["1000"]?["estimate"] as? Double))
            )
        }
        // One shape per model (partially pooled, not shared).
        #expect(shapes.count == 4)
        // The all-zero model: its empirical curve (0), no distribution, no forecast, and why.
        let zero = groups[3]
        #expect(zero["distribution"] == nil && zero["parameters"] == nil)
        #expect((zero["forecast"] as? [String: Any])?.isEmpty == true)
        #expect((zero["note"] as? String)?.contains("unidentifiable") == true)
        let zeroCurve = try #require(zero["pass_at_k"] as? [String: Double])
        #expect(!zeroCurve.isEmpty && zeroCurve.values.allSatisfy { $0 == 0 })
        #expect((doc["notes"] as? [String])?.contains { $0.contains("1 of 5 group(s) have no correct sample") } == true)
    }

    @Test("--family auto chooses by held-out likelihood with the one-standard-error rule")
    func heldOutChoice() throws {
        let dir = try ScratchDirectory()
        let path = try Self.counts(dir)
        let doc = try Self.json([path, "--forecast", "1000", "--bootstrap", "0", "--family", "auto"])
        #expect(doc["family_choice"] as? String == "held-out" && doc["intervals"] as? String == "none")
        let family = try #require(doc["family"] as? String)
        let selection = try #require(doc["selection"] as? [[String: Any]])
        #expect(Set(selection.compactMap { $0["family"] as? String }) == Set(SuccessFamily.allCases.map(\.rawValue)))
        let best = try #require(selection.first?["held_out_log_likelihood"] as? Double)
        let eligible = selection.filter {
            best - ($0["held_out_log_likelihood"] as! Double) <= ($0["standard_error"] as! Double)
        }
        let fewest = eligible.min { ($0["parameters"] as! Int) < ($1["parameters"] as! Int) }
        #expect(fewest?["family"] as? String == family)
    }

    @Test(
        "--family fixes the family; the crossed families report α and their tail assumption",
        arguments: SuccessFamily.allCases
    )
    func family(_ family: SuccessFamily) throws {
        let dir = try ScratchDirectory()
        let path = try Self.counts(dir)
        let args = [path, "--forecast", "10000", "--bootstrap", "0", "--family", family.rawValue]
        let doc = try Self.json(args)
        #expect(doc["family"] as? String == family.rawValue)
        #expect((doc["selection"] as? [Any])?.isEmpty == true)
        let groups = try #require(doc["groups"] as? [[String: Any]])
        let parameters = try #require(groups[0]["parameters"] as? [String: Double])
        let notes = try #require(doc["notes"] as? [String])
        let table = try Self.render(args)
        #expect(table.contains("family: \(family.rawValue)"))
        if family.sharesProblemEffects {
            // One problem shape α for all models.
            let alphas = Set(groups.compactMap { ($0["parameters"] as? [String: Double])?["problem_shape"] })
            #expect(alphas.count == 1 && parameters["problem_shape"]! > 0)
            #expect(notes.contains { $0.contains("assumption") })
            #expect(table.contains("note: crossed-beta-binomial") && table.contains(" α "))
        } else {
            #expect(parameters["problem_shape"] == nil && !notes.contains { $0.contains("assumption") })
        }
        #expect((parameters["zero_mass"] != nil) == (family == .zeroInflated))
    }

    @Test("an unknown family, and a crossed family without shared problem ids, are errors that say what to do")
    func familyErrors() throws {
        let dir = try ScratchDirectory()
        let path = try Self.counts(dir)
        let unknown = Self.failure([path, "--family", "beta"])
        #expect(unknown.contains("'beta'") && SuccessFamily.allCases.allSatisfy { unknown.contains($0.rawValue) })
        let disjoint = try dir.write(
            "disjoint.csv",
            "model,problem,samples,correct\nm1,a,100,3\nm1,b,100,0\nm2,c,100,5\nm2,d,100,1\n"
        )
        let message = Self.failure([disjoint, "--family", "crossed-beta-binomial", "--bootstrap", "0"])
        #expect(
            message.contains("crossed-beta-binomial") && message.contains("share no problem ids")
                && message.contains("--family")
        )
        // The default falls back to the per-model beta-binomial and says why; auto leaves the crossed families out.
        let fallback = try Self.json([disjoint, "--forecast", "1000", "--bootstrap", "0"])
        #expect(fallback["family"] as? String == "beta-binomial")
        #expect((fallback["notes"] as? [String])?.contains { $0.contains("no shared problem ids") } == true)
        let doc = try Self.json([disjoint, "--bootstrap", "0", "--family", "auto"])
        #expect(
            !((doc["selection"] as? [[String: Any]]) ?? []).contains {
                ($0["family"] as? String)?.hasPrefix("crossed") == true
            }
        )
    }

    @Test(
        "--pool-levels: the model with no correct sample gets a prior-driven forecast; a non-crossed family is a usage error"
    )
    func poolLevels() throws {
        let dir = try ScratchDirectory()
        let path = try Self.counts(dir)
        for family in ["crossed-beta-binomial", "crossed-pooled-shape-beta-binomial"] {
            let args = [path, "--forecast", "1000", "--bootstrap", "0", "--family", family, "--pool-levels"]
            let doc = try Self.json(args)
            let groups = try #require(doc["groups"] as? [[String: Any]])
            let zero = groups[3]
            #expect(
                zero["group"] as? String == "Pythia_12B_2M" && zero["prior_driven"] as? Bool == true
                    && zero["distribution"] == nil
            )
            let f = try #require((zero["forecast"] as? [String: [String: Any]])?["1000"])
            let estimate = try #require(f["estimate"] as? Double)
            let interval = try #require(f["interval"] as? [Double])
            #expect(interval[0] <= estimate && estimate <= interval[1] && f["power_law"] == nil)
            #expect(groups.filter { $0["prior_driven"] != nil }.count == 1)
            let prior = try #require(doc["level_prior"] as? [String: Any])
            #expect((prior["covariates"] as? [String])?.first == "constant" && (prior["tau"] as? Double ?? 0) > 0)
            #expect((doc["notes"] as? [String])?.contains { $0.contains("prior-driven") } == true)
            let table = try Self.render(args)
            #expect(table.contains("Pythia_12B_2M") && table.contains("prior-driven") && table.contains(" prior"))
            let csv = try Self.render(args + ["--format", "csv"])
            #expect(
                csv.contains("Pythia_12B_2M,prior-driven-forecast,1000,")
                    && csv.contains("Pythia_12B_300B,forecast,1000,")
            )
        }
        // Without the flag the model stays without a forecast.
        let plain = try #require(
            try Self.json([path, "--forecast", "1000", "--bootstrap", "0"])["groups"] as? [[String: Any]]
        )
        #expect((plain[3]["forecast"] as? [String: Any])?.isEmpty == true && plain[3]["prior_driven"] == nil)
        // With a family that has no shared problems, or without --forecast, the flag is a usage error.
        let other = Self.failure([path, "--forecast", "1000", "--family", "beta-binomial", "--pool-levels"])
        #expect(other.contains("--pool-levels needs a crossed family") && other.contains("beta-binomial"))
        #expect(Self.failure([path, "--pool-levels"]).contains("give --forecast"))
        let binary = try T2Binary.run([
            "passk", path, "--forecast", "1000", "--family", "beta-binomial", "--pool-levels",
        ])
        #expect(binary.status == 64 && binary.stderr.contains("--pool-levels needs a crossed family"))
    }

    @Test("huge, zero, negative and non-numeric flag values are usage errors (exit 64), never a crash")
    func flagBounds() throws {
        let dir = try ScratchDirectory()
        let path = try Self.counts(dir)
        let cases: [([String], String)] = [
            (["--forecast", "9223372036854775807"], "between 1 and 1000000000"),
            (["--forecast", "1e30"], "too large"),
            (["--forecast", "1000,x"], "not a whole number"),
            (["--forecast=-3"], "must be ≥ 1"),
            (["--forecast", "2.5"], "not a whole number"),
            (["--k", "0"], "must be ≥ 1"),
            (["--bootstrap", "1000000000000"], "0 … 100000"),
            (["--bootstrap=-1"], "0 … 100000"),
            (["--confidence", "1"], "strictly between 0 and 1"),
            (["--confidence", "nan"], "strictly between 0 and 1"),
        ]
        for (flags, expected) in cases {
            let message = Self.failure([path] + flags)
            #expect(message.contains(expected), "\(flags): \(message)")
            let run = try T2Binary.run(["passk", path] + flags)
            #expect(run.status == 64, "\(flags): exit \(run.status), \(run.stderr)")
            #expect(!run.stderr.contains("Fatal error") && run.stdout.isEmpty, "\(flags)")
        }
        // The bounds themselves are accepted: 10⁹ forecasts, written as 1e9 too.
        let doc = try Self.json([path, "--forecast", "1000,1e9", "--bootstrap", "0", "--family", "beta-binomial"])
        let groups = try #require(doc["groups"] as? [[String: Any]])
        let forecast = try #require(groups[0]["forecast"] as? [String: [String: Any]])
        let far = try #require(forecast["1000000000"]?["estimate"] as? Double)
        let near = try #require(forecast["1000"]?["estimate"] as? Double)
        #expect(far.isFinite && far > near && far <= 1)
    }

    @Test("CSV: names with commas and quotes round-trip through CSVTable; --format csv --out writes CSV")
    func csvRoundTrip() throws {
        let dir = try ScratchDirectory()
        let odd: [String: String] = [
            "Pythia_160M_300B": "pythia, \"160M\"", "Pythia_410M_300B": "410M \"dedup\"",
            "Pythia_1B_300B": "1B,300B", "Pythia_12B_300B": "12B", "Pythia_12B_2M": "12B, 2M",
        ]
        let path = try Self.counts(dir) { odd[$0] ?? $0 }
        let out = dir.file("x.csv")
        let args = [path, "--forecast", "1000", "--bootstrap", "0", "--format", "csv", "--out", out]
        let printed = try Self.render(args)
        let written = try #require(dir.read("x.csv"))
        #expect(written == printed + "\n")
        #expect(!written.hasPrefix("{"))
        let table = try CSVTable(string: written, source: out)
        #expect(table.header == ["group", "kind", "k", "value", "low", "high", "power_law", "beyond_counts"])
        let group = try table.requireColumn("group")
        let names = Set((0..<table.count).map { table.text(row: $0, column: group) })
        #expect(names == Set(odd.values))
        let kind = try table.requireColumn("kind")
        let forecasts = (0..<table.count).filter { table.text(row: $0, column: kind) == "forecast" }
        #expect(forecasts.count == 4)
        let beyond = try table.requireColumn("beyond_counts")
        for row in 0..<table.count {
            let value = table.text(row: row, column: beyond)
            #expect(table.text(row: row, column: kind) == "forecast" ? Double(value) != nil : value.isEmpty)
        }
        // The same file read back as counts keeps the names too (the writer quotes, the reader unquotes).
        let json = try Self.json([path, "--bootstrap", "0"])
        #expect(
            Set((json["groups"] as? [[String: Any]] ?? []).compactMap { $0["group"] as? String }) == Set(odd.values)
        )
        // --out without --format csv writes the JSON document.
        let jsonOut = dir.file("x.json")
        _ = try Self.render([path, "--bootstrap", "0", "--out", jsonOut])
        let doc = try #require(
            JSONSerialization.jsonObject(with: Data((dir.read("x.json") ?? "").utf8)) as? [String: Any]
        )
        #expect(doc["schema"] as? String == "t2.passk/1")
    }

    @Test("a file where no group has a correct sample: empirical pass@k (0) is reported, a warning, exit 0")
    func allZero() throws {
        let dir = try ScratchDirectory()
        let path = try dir.write(
            "zero.csv",
            "model,problem,samples,correct\nm1,a,100,0\nm1,b,100,0\nm2,a,50,0\nm2,b,50,0\n"
        )
        let doc = try Self.json([path, "--forecast", "1000"])
        #expect(doc["family"] == nil)
        let groups = try #require(doc["groups"] as? [[String: Any]])
        #expect(groups.count == 2)
        for g in groups {
            let curve = try #require(g["pass_at_k"] as? [String: Double])
            #expect(curve["1"] == 0 && curve.values.allSatisfy { $0 == 0 })
            #expect((g["forecast"] as? [String: Any])?.isEmpty == true)
        }
        #expect((doc["notes"] as? [String])?.contains { $0.contains("no group has a correct sample") } == true)
        let run = try T2Binary.run(["passk", path, "--forecast", "1000"])
        #expect(run.status == 0)
        #expect(run.stderr.contains("warning: group 'm1'") && run.stderr.contains("warning: group 'm2'"))
        #expect(run.stdout.contains("no correct sample"))
        // One group with a correct sample beside one without: the first is fitted (beta-binomial:
        // nothing to cross with), the second keeps its empirical 0.
        let mixed = try dir.write("mixed.csv", "model,problem,samples,correct\nm1,a,100,3\nm1,b,100,0\nm2,a,50,0\n")
        let mixedDoc = try Self.json([mixed, "--forecast", "1000", "--bootstrap", "0"])
        let mixedGroups = try #require(mixedDoc["groups"] as? [[String: Any]])
        #expect(mixedDoc["family"] as? String == "beta-binomial")
        #expect(mixedGroups[0]["distribution"] != nil && (mixedGroups[1]["pass_at_k"] as? [String: Double])?["1"] == 0)
    }

    @Test("progress never reaches stdout: the JSON on stdout parses, whatever stderr shows")
    func stdoutClean() throws {
        let run = try T2Binary.run([
            "passk", Fixtures.path("pythia_math_counts.csv"), "--forecast", "10000", "--bootstrap", "20",
            "--format", "json",
        ])
        #expect(run.status == 0, "\(run.stderr)")
        let doc = try #require(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(doc["schema"] as? String == "t2.passk/1")
        // stderr is not a terminal here: no progress line (no carriage returns) at all.
        #expect(!run.stderr.contains("\r"))
    }

    @Test("bad input: each error names the file, line or option and what is wrong")
    func badInput() throws {
        let dir = try ScratchDirectory()
        let header = "model,problem,samples,correct\n"
        func file(_ body: String) throws -> String { try dir.write("bad-\(body.hashValue).csv", header + body) }
        let negative = try file("m,a,10,1\nm,b,10,-2\n")
        var m = Self.failure([negative])
        #expect(m.contains(negative + ":3") && m.contains("'correct'") && m.contains("negative"))
        #expect(m.contains("whole number from 0 to the samples drawn"), "says what to write: \(m)")
        let word = try file("m,a,ten,1\n")
        m = Self.failure([word])
        #expect(
            m.contains(word + ":2") && m.contains("'samples'") && m.contains("'ten' is not a count")
                && m.contains("whole number ≥ 1"),
            "\(m)"
        )
        let blank = try file("m,a,10,\n")
        m = Self.failure([blank])
        #expect(m.contains(blank + ":2") && m.contains("'correct'") && m.contains("is empty"), "\(m)")
        let above = try file("m,a,10,11\n")
        m = Self.failure([above])
        #expect(m.contains(above + ":2") && m.contains("exceeds samples"))
        let small = try file("m,a,10,1\nm,b,20,3\n")
        m = Self.failure([small, "--k", "1,15"])
        #expect(
            m.contains("problem 'a'") && m.contains("line 2") && m.contains("k = 15 exceeds its 10 samples")
                && m.contains("--forecast")
        )
        let duplicate = try file("m,a,10,1\nm,b,10,2\nm,a,10,3\n")
        m = Self.failure([duplicate])
        #expect(m.contains(duplicate + ":4") && m.contains("repeats line 2"))
        let missing = try dir.write("missing.csv", "model,problem,samples\nm,a,10\n")
        m = Self.failure([missing])
        #expect(m.contains(missing) && m.contains("'correct'"))
        let empty = try dir.write("empty.csv", header)
        m = Self.failure([empty])
        #expect(m.contains(empty) && m.contains("no count rows"))
        let nothing = try dir.write("nothing.csv", "")
        #expect(Self.failure([nothing]).contains(nothing))
        let run = try T2Binary.run(["passk", negative])
        #expect(run.status == 1 && run.stderr.contains("negative"))
    }
}
