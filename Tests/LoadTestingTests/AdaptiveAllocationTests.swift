import Foundation
import LoadTesting
import Optimization
import T2TestSupport
import Tabular
import Testing

@Suite("adaptive allocation: interval coverage on known truth, samples saved against uniform")
struct AdaptiveAllocationTests {
    /// Synthetic counts with known truth: 60 problems, a third never solved, a third hard
    /// (p ~ Beta(0.3, 4)), a third easy (p uniform in 0.4…0.95), 400 recorded samples each.
    static func synthetic(seed: UInt64) -> [(n: Int, c: Int)] {
        var rng = SeededGenerator(seed: seed)
        func uniform() -> Double { Double(rng.next() >> 11) / Double(1 << 53) }
        func gamma(_ shape: Double) -> Double {
            // Marsaglia–Tsang, with the shape < 1 boost.
            if shape < 1 { return gamma(shape + 1) * Foundation.pow(uniform(), 1 / shape) }
            let d = shape - 1.0 / 3
            let c = 1 / (9 * d).squareRoot()
            while true {
                let x = (-2 * Foundation.log(max(uniform(), 1e-300))).squareRoot() * Foundation.cos(2 * .pi * uniform())
                let v = Foundation.pow(1 + c * x, 3)
                if v > 0, Foundation.log(max(uniform(), 1e-300)) < 0.5 * x * x + d - d * v + d * Foundation.log(v) {
                    return d * v
                }
            }
        }
        return (0..<60).map { i in
            let p: Double
            switch i % 3 {
            case 0: p = 0
            case 1:
                let a = gamma(0.3)
                p = a / (a + gamma(4))
            default: p = 0.4 + 0.55 * uniform()
            }
            let n = 400
            let c = (0..<n).reduce(0) { acc, _ in acc + (uniform() < p ? 1 : 0) }
            return (n, c)
        }
    }

    @Test("on data with known truth the 90% interval holds the truth and adaptive needs fewer samples")
    func knownTruth() {
        var coveredUniform = 0
        var coveredAdaptive = 0
        var runs = 0
        var ratios: [Double] = []
        for dataSeed in 0..<3 {
            let counts = Self.synthetic(seed: UInt64(100 + dataSeed))
            let result = AdaptiveSimulation.compare(counts: counts, targetK: 50, precision: 0.08, minimum: 4, seeds: 4)
            #expect(result.truth > 0.3 && result.truth < 0.9, "truth \(result.truth)")
            let u = result.uniformNeeded.compactMap { $0 }
            let a = result.adaptiveNeeded.compactMap { $0 }
            #expect(u.count == 4 && a.count == 4, "uniform \(result.uniformNeeded) adaptive \(result.adaptiveNeeded)")
            guard !u.isEmpty, !a.isEmpty else { continue }
            ratios.append(Double(u.reduce(0, +)) / Double(a.reduce(0, +)))
            coveredUniform += result.covered.uniform
            coveredAdaptive += result.covered.adaptive
            runs += 4
            // Counts stay honest: every adaptive trajectory's samples only grow.
            for run in result.adaptive {
                #expect(zip(run, run.dropFirst()).allSatisfy { $0.samples < $1.samples })
            }
        }
        // 12 runs at a nominal 90%: 9 or fewer covered would happen with probability < 3%.
        #expect(coveredAdaptive >= 10, "adaptive covered \(coveredAdaptive)/\(runs)")
        #expect(coveredUniform >= 10, "uniform covered \(coveredUniform)/\(runs)")
        #expect(ratios.allSatisfy { $0 > 1.2 }, "uniform ÷ adaptive samples: \(ratios)")
    }

    @Test("on recorded Pythia GSM8K counts the interval holds the truth and adaptive needs no more samples")
    func pythia() throws {
        let table = try CSVTable(contentsOf: Fixtures.pythiaCounts)
        let model = try table.requireColumn("model", purpose: "test")
        let n = try table.requireColumn("samples", purpose: "test")
        let c = try table.requireColumn("correct", purpose: "test")
        var groups: [String: [(n: Int, c: Int)]] = [:]
        for r in 0..<table.count {
            groups[table.text(row: r, column: model), default: []].append(
                (try table.integer(row: r, column: n), try table.integer(row: r, column: c))
            )
        }
        // Checkpoints from pass@100 ≈ 6% to ≈ 54%; the truth is the pass@100 of all recorded samples.
        let names = [
            "Pythia_160M_300B", "Pythia_410M_300B", "Pythia_1B_300B", "Pythia_1.4B_60B", "Pythia_2.8B_300B",
            "Pythia_12B_300B",
        ]
        var covered = (uniform: 0, adaptive: 0)
        var samples = (uniform: 0, adaptive: 0)
        for name in names {
            let counts = try #require(groups[name], "\(name) is not in the fixture")
            let result = AdaptiveSimulation.compare(counts: counts, targetK: 100, precision: 0.1, minimum: 4, seeds: 2)
            let u = result.uniformNeeded.compactMap { $0 }
            let a = result.adaptiveNeeded.compactMap { $0 }
            #expect(u.count == 2 && a.count == 2, "\(name): uniform \(u) adaptive \(a)")
            covered.uniform += result.covered.uniform
            covered.adaptive += result.covered.adaptive
            samples.uniform += u.reduce(0, +)
            samples.adaptive += a.reduce(0, +)
        }
        // 12 runs at a nominal 90% (a plug-in interval at the fitted prior held the truth in 1 of 12).
        #expect(covered.adaptive >= 10, "adaptive covered \(covered.adaptive)/12")
        #expect(covered.uniform >= 10, "uniform covered \(covered.uniform)/12")
        #expect(Double(samples.adaptive) <= 1.05 * Double(samples.uniform), "\(samples)")
    }

    @Test("allocation: settled problems (always solved) get no more samples; open ones share the round")
    func allocation() {
        var allocator = AdaptiveAllocator(settings: AdaptiveSettings(budget: 10_000, targetK: 50, precision: 0.02))
        // Ten problems solved every time, ten never solved, 8 samples each.
        let n = Array(repeating: 8, count: 20)
        let c = (0..<20).map { $0 < 10 ? 8 : 0 }
        allocator.fitPrior(n: n, c: c)
        let extra = allocator.allocate(n: n, c: c, size: 40, cap: Array(repeating: 1000, count: 20))
        #expect(extra.reduce(0, +) == 40)
        #expect(extra[0..<10].reduce(0, +) < extra[10..<20].reduce(0, +), "\(extra)")
        // Caps are respected.
        let capped = allocator.allocate(n: n, c: c, size: 40, cap: Array(repeating: 9, count: 20))
        #expect(zip(n, capped).allSatisfy { $0 + $1 <= 9 })
    }
}
