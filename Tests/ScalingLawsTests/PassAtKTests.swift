import Foundation
import Optimization
import T2TestSupport
import Tabular
import Testing

@testable import ScalingLaws

@Suite("pass@k estimator (Chen et al. 2021)")
struct PassAtKTests {
    @Test(
        "t2-anchors §13 test vectors",
        arguments: [
            (10, 3, 1, 0.3), (10, 3, 5, 1 - 21.0 / 252), (10, 3, 8, 1.0), (200, 1, 100, 0.5),
            (100, 0, 10, 0.0), (10000, 122, 1000, 0.99999759197112),
        ]
    )
    func vectors(n: Int, c: Int, k: Int, expected: Double) throws {
        #expect(abs(try PassAtK.estimate(samples: n, correct: c, k: k) - expected) < 1e-12)
    }

    @Test("k > n is an error naming the problem, never 1.0")
    func kAboveN() throws {
        #expect(throws: CountsError.self) { try PassAtK.estimate(samples: 10, correct: 0, k: 11) }
        let group = CountGroup(name: "m", problems: [ProblemCount(problem: "p7", samples: 5, correct: 1, line: 9)])
        do {
            _ = try PassAtK.mean(group, k: 6)
            Issue.record("expected an error")
        } catch let error as CountsError {
            let message = error.errorDescription ?? ""
            #expect(message.contains("p7") && message.contains("line 9") && message.contains("'m'"))
        }
    }

    @Test("k ≤ 0 is an error")
    func kNonPositive() {
        #expect(throws: CountsError.invalidK(k: 0)) { try PassAtK.estimate(samples: 10, correct: 1, k: 0) }
        #expect(throws: CountsError.invalidK(k: -3)) { try PassAtK.estimate(samples: 10, correct: 1, k: -3) }
    }

    @Test("product and log-gamma forms agree for n in the millions")
    func largeCounts() {
        // c > 100,000 takes the log-gamma branch; compare with the product evaluated directly.
        let n = 3_000_000
        let c = 150_000
        let k = 20
        var logProduct = 0.0
        for i in (n - c + 1)...n { logProduct += Foundation.log1p(-Double(k) / Double(i)) }
        let direct = -Foundation.expm1(logProduct)
        // ln Γ at arguments ~3e6 is ~4e7, whose ulp is ~7e-9: the log-gamma branch is exact to a
        // few of those ulps, so 1e-7 absolute is the honest tolerance (the value is ~0.63).
        #expect(abs(PassAtK.unchecked(samples: n, correct: c, k: k) - direct) < 1e-7)
        #expect(PassAtK.unchecked(samples: 3_000_000, correct: 1, k: 1) > 0)
        #expect(abs(PassAtK.unchecked(samples: 3_000_000, correct: 1, k: 1) - 1.0 / 3_000_000) < 1e-15)
    }

    @Test("the counts' horizon is n(1 + ln n), and a group's share past it counts its problems one by one")
    func countsHorizon() {
        #expect(abs(PassAtK.countsHorizon(samples: 100) - 100 * (1 + Foundation.log(100.0))) < 1e-9)
        #expect(Int(PassAtK.countsHorizon(samples: 100).rounded()) == 561)
        #expect(PassAtK.countsHorizon(samples: 1) == 1 && PassAtK.countsHorizon(samples: 0) == 0)
        // n = 10,000 reaches k = 102,103; n = 100 stops at 560 (560.5).
        let mixed = CountGroup(
            name: "m",
            problems: [
                ProblemCount(problem: "a", samples: 100, correct: 1),
                ProblemCount(problem: "b", samples: 10_000, correct: 0),
                ProblemCount(problem: "c", samples: 10_000, correct: 3),
                ProblemCount(problem: "d", samples: 100, correct: 0),
            ]
        )
        #expect(PassAtK.shareBeyondHorizon(mixed, k: 560) == 0)
        #expect(PassAtK.shareBeyondHorizon(mixed, k: 561) == 0.5)
        #expect(PassAtK.shareBeyondHorizon(mixed, k: 102_103) == 0.5)
        #expect(PassAtK.shareBeyondHorizon(mixed, k: 102_104) == 1)
        // The fewest samples whose horizon reaches k.
        for k in [1, 2, 3, 100, 560, 561, 1_000, 10_000, 1_000_000_000] {
            let n = PassAtK.samplesForHorizon(k)
            #expect(PassAtK.countsHorizon(samples: n) >= Double(k), "k = \(k): n = \(n)")
            #expect(n == 1 || PassAtK.countsHorizon(samples: n - 1) < Double(k), "k = \(k): n = \(n)")
        }
        #expect(PassAtK.samplesForHorizon(10_000) == 1_233 && PassAtK.samplesForHorizon(1_000) == 164)
        #expect(PassAtK.samplesForHorizon(561) == 101 && PassAtK.samplesForHorizon(560) == 100)
        let note = PassAtK.horizonNote(groups: 3, forecast: 7, k: 10_000, samples: 100)
        #expect(note.hasPrefix("pass@10000 is past the counts' horizon for 3 of 7 forecast group(s) (marked *)"))
        #expect(note.contains("(n = 100: 561;") && note.contains("Orlitsky, Suresh & Wu 2016"))
        #expect(note.hasSuffix("pass@10000 rests on the counts from about 1233 samples per problem"))
    }

    @Test("default k: powers of 2 and 10 up to the smallest n")
    func defaultKs() {
        #expect(PassAtK.defaultKs(upTo: 128) == [1, 2, 4, 8, 10, 16, 32, 64, 100, 128])
        #expect(PassAtK.defaultKs(upTo: 1) == [1])
    }

    @Test("Pythia fixture: aggregate pass@k matches t2-anchors §12")
    func fixtureAggregates() throws {
        let groups = try CountsReader.read(CSVTable(contentsOf: Fixtures.path("pythia_gsm8k_counts.csv")))
        #expect(groups.count == 81)
        let big = try #require(groups.first { $0.name == "Pythia_12B_300B" })
        #expect(abs(try PassAtK.mean(big, k: 1) - 0.0109) < 5e-5)
        #expect(abs(try PassAtK.mean(big, k: 10) - 0.0997) < 5e-5)
        #expect(abs(try PassAtK.mean(big, k: 100) - 0.5084) < 5e-5)
    }
}

@Suite("Counts input checks")
struct CountsReaderTests {
    func read(_ text: String) throws -> [CountGroup] {
        try CountsReader.read(CSVTable(string: text, source: "counts.csv"))
    }

    func message(_ body: () throws -> Void) -> String {
        do { try body() } catch { return (error as? any LocalizedError)?.errorDescription ?? "\(error)" }
        return ""
    }

    @Test("negative counts name file, line and column")
    func negative() {
        let m = message { _ = try read("problem,samples,correct\na,10,1\nb,10,-1\n") }
        #expect(m.contains("counts.csv:3") && m.contains("'correct'") && m.contains("negative"))
        let m2 = message { _ = try read("problem,samples,correct\na,-10,0\n") }
        #expect(m2.contains("counts.csv:2") && m2.contains("'samples'"))
    }

    @Test("correct > samples")
    func correctAboveSamples() {
        let m = message { _ = try read("model,problem,samples,correct\nm,a,10,11\n") }
        #expect(m.contains("counts.csv:2") && m.contains("'correct'") && m.contains("exceeds"))
    }

    @Test("empty file and missing columns")
    func emptyAndMissing() {
        #expect(message { _ = try read("problem,samples,correct\n") }.contains("no count rows"))
        #expect(message { _ = try read("problem,samples\na,3\n") }.contains("'correct'"))
    }

    @Test("groups keep file order and N, D")
    func grouping() throws {
        let g = try read(
            "model,params,tokens,problem,samples,correct\nx,1e6,2e7,a,10,1\ny,2e6,2e7,a,10,0\nx,1e6,2e7,b,10,2\n"
        )
        #expect(g.map(\.name) == ["x", "y"])
        #expect(g[0].problems.count == 2 && g[0].params == 1e6 && g[1].allZero)
    }

    @Test("a group with all zeros is reported unidentifiable")
    func allZeros() {
        let e = CountsError.allZero(group: "Pythia_12B_2M", problems: 30)
        #expect(e.errorDescription!.contains("unidentifiable") && e.errorDescription!.contains("Pythia_12B_2M"))
    }

    @Test("empty group")
    func emptyGroup() {
        #expect(throws: CountsError.emptyGroup(group: "m")) {
            try PassAtK.mean(CountGroup(name: "m", problems: []), k: 1)
        }
    }
}
