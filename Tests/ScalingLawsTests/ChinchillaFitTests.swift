import Foundation
import Optimization
import RealModule
import T2TestSupport
import Tabular
import Testing

@testable import ScalingLaws

/// Reads the Chinchilla fixture (245 runs digitised by Epoch AI from Hoffmann et al. Figure 4).
func chinchillaRuns() throws -> [Run] {
    try RunsReader.read(try CSVTable(contentsOf: Fixtures.path("chinchilla_epoch.csv"))).fit
}

func relativeDifference(_ a: Double, _ b: Double) -> Double { abs(a - b) / abs(b) }

/// ∂f/∂x_j at x by a central difference with step 1e-6·max(1, |x_j|).
func centralDifference<F: DifferentiableObjective>(_ objective: F, at x: [Double], index j: Int) -> Double {
    var scratch = [Double](repeating: 0, count: x.count)
    func f(_ p: [Double]) -> Double {
        p.withUnsafeBufferPointer { pb in
            scratch.withUnsafeMutableBufferPointer { objective.valueAndGradient(at: pb, gradient: $0) }
        }
    }
    let h = 1e-6 * max(1, abs(x[j]))
    var xp = x
    var xm = x
    xp[j] += h
    xm[j] -= h
    return (f(xp) - f(xm)) / (2 * h)
}

@Suite("Chinchilla fit on Epoch AI's data")
struct EpochRefitTests {
    /// Acceptance: Epoch AI's published refit, objective 1.018274e-3 at A ≈ 477.8, B ≈ 2143,
    /// E ≈ 1.8172, α ≈ 0.3473, β ≈ 0.3672, from the full 4,500-start grid on 240 points.
    @Test("reproduces Epoch AI's refit with --drop-highest 5 (4,500 starts)")
    func epochRefit() throws {
        var options = ChinchillaAnalysis.Options()
        options.dropHighest = 5
        let analysis = try ChinchillaAnalysis.run(
            try chinchillaRuns(),
            source: "chinchilla_epoch.csv",
            options: options
        )
        let fit = analysis.fit
        #expect(fit.points == 240)
        #expect(fit.starts == 4_500)
        #expect(fit.objective <= 1.01830e-3, "objective \(fit.objective)")
        #expect(
            fit.objective >= 1.0180e-3,
            "objective \(fit.objective) is below the known optimum: the objective changed"
        )
        let expected: [(String, Double, Double)] = [
            ("A", fit.law.A, 477.8), ("B", fit.law.B, 2143), ("E", fit.law.E, 1.8172),
            ("alpha", fit.law.alpha, 0.3473), ("beta", fit.law.beta, 0.3672),
        ]
        for (name, value, published) in expected {
            #expect(relativeDifference(value, published) < 0.005, "\(name) = \(value), published \(published)")
        }
        #expect(fit.status.isConverged)
        #expect(analysis.dropped.count == 5)
        // The dropped runs are the five highest losses of the file.
        let highest = try chinchillaRuns().map(\.loss).sorted(by: >).prefix(5)
        #expect(Set(analysis.dropped.map(\.loss)) == Set(highest))
        // Epoch's refit implies ~20 tokens per parameter at Chinchilla scale.
        let allocation = fit.law.computeOptimal(flops: 1e23)
        #expect(allocation.tokensPerParam > 15 && allocation.tokensPerParam < 25)
    }

    @Test("the embedded Epoch refit constant matches what the fit produces")
    func embeddedConstant() throws {
        var options = ChinchillaAnalysis.Options()
        options.dropHighest = 5
        let law = try ChinchillaAnalysis.run(try chinchillaRuns(), source: "fixture", options: options).fit.law
        let embedded = ChinchillaLaw.epochRefit
        for key in ["E", "A", "B", "alpha", "beta"] {
            #expect(relativeDifference(embedded.parameters[key]!, law.parameters[key]!) < 1e-3, "\(key)")
        }
    }

    @Test("the result does not depend on the number of threads")
    func threadIndependence() throws {
        let runs = try chinchillaRuns()
        var options = ChinchillaFitOptions()
        options.starts = Array(ChinchillaFitter.hoffmannGrid.prefix(600))
        options.threads = 1
        let one = ChinchillaFitter.fit(runs, options: options)
        options.threads = 2
        let two = ChinchillaFitter.fit(runs, options: options)
        #expect(one.objective == two.objective)
        #expect(one.law == two.law)
        #expect(one.startObjectives == two.startObjectives)
    }
}

@Suite("Chinchilla law")
struct ChinchillaLawTests {
    @Test("the closed-form allocation minimises loss along the iso-FLOP curve", arguments: [1e18, 1e21, 1e23, 1e26])
    func allocationIsOptimal(flops: Double) {
        for law in [ChinchillaLaw.epochRefit, ChinchillaLaw.hoffmann2022] {
            let closed = law.computeOptimal(flops: flops)
            // Minimise L(N, C/6N) over log N numerically.
            let (logN, _) = minimizeScalar(in: Double.log(1e6)...Double.log(1e14), tolerance: 1e-12) { logN in
                let n = Double.exp(logN)
                return law.loss(params: n, tokens: flops / (6 * n))
            }
            #expect(relativeDifference(closed.params, Double.exp(logN)) < 1e-4)
            #expect(relativeDifference(6 * closed.params * closed.tokens, flops) < 1e-12)
        }
    }

    @Test("Hoffmann et al.'s published law gives their compute-optimal 70B-class allocation")
    func hoffmannAllocation() {
        // Approach 3 of Hoffmann et al. (their Table A3) puts C = 5.76e23 (Chinchilla's budget) at
        // roughly 40B parameters (Approach 3 favours smaller models than Approaches 1-2's 67-70B).
        let allocation = ChinchillaLaw.hoffmann2022.computeOptimal(flops: 5.76e23)
        #expect(allocation.params > 3e10 && allocation.params < 5e10, "N = \(allocation.params)")
    }

    @Test("law files round-trip and unknown forms are rejected with the known ones listed")
    func lawFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("t2-law-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("law.json").path
        let file = LawFile(
            form: "chinchilla",
            parameters: ChinchillaLaw.epochRefit.parameters,
            objective: 1e-3,
            points: 240
        )
        try file.write(to: path)
        let read = try LawFile.read(from: path)
        #expect(read == file)
        #expect(try ScalingLaw(read, source: path) == .chinchilla(.epochRefit))

        var unknown = file
        unknown.form = "kaplan"
        #expect(throws: LawFileError.self) { try ScalingLaw(unknown, source: path) }
        do {
            _ = try ScalingLaw(unknown, source: path)
        } catch {
            #expect(error.localizedDescription.contains("chinchilla"))
        }
        var missing = file
        missing.parameters["beta"] = nil
        #expect(throws: LawFileError.missingParameter(source: path, form: "chinchilla", name: "beta")) {
            try ScalingLaw(missing, source: path)
        }
    }
}

@Suite("Recovering known laws (seeded property tests)")
struct RecoveryPropertyTests {
    /// Runs generated from a known law over a realistic grid: 6 sizes × 8 token counts spanning
    /// 2.5 and 2.4 decades, multiplicative log-normal noise of `noise` on the loss.
    static func synthetic(_ law: ChinchillaLaw, noise: Double, seed: UInt64) -> [Run] {
        var rng = SeededGenerator(seed: seed)
        var runs: [Run] = []
        for i in 0..<6 {
            let n = 5e7 * Double.pow(10, Double(i) * 0.5)
            for j in 0..<8 {
                let d = 20 * n * Double.pow(10, Double(j) * 0.3 - 1.0)
                let loss = law.loss(params: n, tokens: d) * Double.exp(noise * rng.nextNormal())
                runs.append(Run(params: n, tokens: d, loss: loss))
            }
        }
        return runs
    }

    @Test("noise-free data give back the law exactly", arguments: [ChinchillaLaw.epochRefit, .hoffmann2022])
    func exact(law: ChinchillaLaw) {
        var options = ChinchillaFitOptions()
        options.starts = stride(from: 0, to: ChinchillaFitter.hoffmannGrid.count, by: 9).map {
            ChinchillaFitter.hoffmannGrid[$0]
        }
        let fit = ChinchillaFitter.fit(Self.synthetic(law, noise: 0, seed: 0), options: options)
        for key in ["E", "A", "B", "alpha", "beta"] {
            #expect(
                relativeDifference(fit.law.parameters[key]!, law.parameters[key]!) < 1e-4,
                "\(key): \(fit.law.parameters[key]!) vs \(law.parameters[key]!)"
            )
        }
        #expect(fit.objective < 1e-12)
    }

    @Test("with 0.5% noise, the exponents and the allocation are recovered across 12 seeds")
    func noisy() {
        var options = ChinchillaFitOptions()
        options.starts = stride(from: 0, to: ChinchillaFitter.hoffmannGrid.count, by: 9).map {
            ChinchillaFitter.hoffmannGrid[$0]
        }
        let law = ChinchillaLaw.epochRefit
        let truth = law.computeOptimal(flops: 1e22)
        for seed in UInt64(1)...12 {
            let fit = ChinchillaFitter.fit(Self.synthetic(law, noise: 0.005, seed: seed), options: options)
            #expect(abs(fit.law.alpha - law.alpha) < 0.06, "seed \(seed): α = \(fit.law.alpha)")
            #expect(abs(fit.law.beta - law.beta) < 0.06, "seed \(seed): β = \(fit.law.beta)")
            #expect(abs(fit.law.E - law.E) < 0.1, "seed \(seed): E = \(fit.law.E)")
            let allocation = fit.law.computeOptimal(flops: 1e22)
            #expect(
                relativeDifference(allocation.tokensPerParam, truth.tokensPerParam) < 0.35,
                "seed \(seed): D/N = \(allocation.tokensPerParam)"
            )
            // Interpolated predictions are accurate to well within the noise.
            let predicted = fit.law.loss(params: 3e8, tokens: 6e9)
            #expect(relativeDifference(predicted, law.loss(params: 3e8, tokens: 6e9)) < 0.005, "seed \(seed)")
        }
    }
}

@Suite("Shared-exponent fit (α = β, Gadre et al. 2024)")
struct SharedExponentFitTests {
    /// A law of Gadre et al.'s form: one exponent for N and D.
    static let law = ChinchillaLaw(E: 1.75, A: 130, B: 250, alpha: 0.26, beta: 0.26)

    @Test("the gradient of the restricted objective matches a central difference")
    func gradient() throws {
        let runs = RecoveryPropertyTests.synthetic(Self.law, noise: 0.01, seed: 3)
        let objective = SharedExponentObjective(ChinchillaHuberObjective(runs: runs, delta: 1e-3))
        for x in [[4.9, 5.5, 0.56, 0.26], [3.0, 7.0, 0.2, 0.4], [10.0, 10.0, -1.0, 1.0]] {
            var g = [Double](repeating: 0, count: 4)
            let f = x.withUnsafeBufferPointer { xb in
                g.withUnsafeMutableBufferPointer { objective.valueAndGradient(at: xb, gradient: $0) }
            }
            #expect(f.isFinite)
            for j in 0..<4 {
                let numeric = centralDifference(objective, at: x, index: j)
                #expect(abs(numeric - g[j]) <= 1e-5 * max(1, abs(g[j])), "x = \(x), ∂\(j): \(g[j]) vs \(numeric)")
            }
        }
    }

    @Test("data from a shared-exponent law are recovered across 8 seeds, with α = β exactly")
    func recovery() {
        var options = ChinchillaFitOptions()
        options.sharedExponent = true
        options.starts = stride(from: 0, to: ChinchillaFitter.hoffmannGrid.count, by: 3).map {
            ChinchillaFitter.hoffmannGrid[$0]
        }
        for seed in UInt64(1)...8 {
            let fit = ChinchillaFitter.fit(
                RecoveryPropertyTests.synthetic(Self.law, noise: 0.005, seed: seed),
                options: options
            )
            #expect(fit.law.alpha == fit.law.beta)
            #expect(abs(fit.law.alpha - Self.law.alpha) < 0.03, "seed \(seed): η = \(fit.law.alpha)")
            #expect(abs(fit.law.E - Self.law.E) < 0.08, "seed \(seed): E = \(fit.law.E)")
            let predicted = fit.law.loss(params: 3e8, tokens: 6e9)
            #expect(relativeDifference(predicted, Self.law.loss(params: 3e8, tokens: 6e9)) < 0.005, "seed \(seed)")
        }
    }

    @Test("the 4,500-point grid gives 1,620 distinct starts, and four free parameters need five runs")
    func startsAndCount() throws {
        #expect(ChinchillaProblem.starts(ChinchillaFitter.hoffmannGrid, sharedExponent: true).count == 1_620)
        var options = ChinchillaAnalysis.Options()
        options.fit.sharedExponent = true
        let runs = Array(RecoveryPropertyTests.synthetic(Self.law, noise: 0, seed: 0).prefix(4))
        #expect(throws: FitError.tooFewPoints(source: "x.csv", points: 4, parameters: 4, dropped: 0)) {
            try ChinchillaAnalysis.run(runs, source: "x.csv", options: options)
        }
    }
}

@Suite("Bootstrap and diagnostics")
struct BootstrapTests {
    @Test("bootstrap intervals are reproducible by seed and bracket the point estimate")
    func bootstrap() throws {
        var options = ChinchillaAnalysis.Options()
        options.dropHighest = 5
        options.bootstrap = 24
        options.seed = 7
        options.fit.starts = stride(from: 0, to: ChinchillaFitter.hoffmannGrid.count, by: 5).map {
            ChinchillaFitter.hoffmannGrid[$0]
        }
        let runs = try chinchillaRuns()
        let first = try ChinchillaAnalysis.run(runs, source: "fixture", options: options)
        let again = try ChinchillaAnalysis.run(runs, source: "fixture", options: options)
        #expect(first.replicates == again.replicates)
        #expect(first.replicates.count == 24)
        let intervals = try #require(first.intervals)
        for (key, interval) in intervals.parameters {
            #expect(interval.lowerBound <= interval.upperBound)
            #expect(interval.lowerBound > 0, "\(key)")
        }
        let alpha = try #require(intervals.parameters["alpha"])
        #expect(alpha.contains(first.fit.law.alpha))
        #expect(alpha.upperBound - alpha.lowerBound < 0.2)
        #expect(intervals.tokensPerParam.count == options.budgets.count)
        options.seed = 8
        let other = try ChinchillaAnalysis.run(runs, source: "fixture", options: options)
        #expect(other.replicates != first.replicates)
    }

    @Test("data spanning too little of N is flagged")
    func narrowSpan() throws {
        let law = ChinchillaLaw.epochRefit
        var runs: [Run] = []
        for (i, n) in [1.0e8, 1.2e8, 1.5e8].enumerated() {
            for j in 0..<5 {
                let d = n * Double(10 + 15 * j)
                runs.append(
                    Run(params: n, tokens: d, loss: law.loss(params: n, tokens: d) * (1 + 0.001 * Double((i + j) % 3)))
                )
            }
        }
        var options = ChinchillaAnalysis.Options()
        options.fit.starts = stride(from: 0, to: ChinchillaFitter.hoffmannGrid.count, by: 15).map {
            ChinchillaFitter.hoffmannGrid[$0]
        }
        let analysis = try ChinchillaAnalysis.run(runs, source: "narrow", options: options)
        #expect(analysis.diagnostics.contains { $0.contains("decades of N") })
    }

    @Test("the full Chinchilla data raise no identifiability warnings")
    func noFalseAlarms() throws {
        var options = ChinchillaAnalysis.Options()
        options.dropHighest = 5
        options.fit.starts = stride(from: 0, to: ChinchillaFitter.hoffmannGrid.count, by: 3).map {
            ChinchillaFitter.hoffmannGrid[$0]
        }
        let analysis = try ChinchillaAnalysis.run(try chinchillaRuns(), source: "fixture", options: options)
        #expect(analysis.diagnostics.isEmpty, "\(analysis.diagnostics)")
    }

    @Test("fewer runs than parameters is an error that says how many are needed")
    func tooFew() throws {
        let runs = Array(try chinchillaRuns().prefix(8))
        var options = ChinchillaAnalysis.Options()
        options.dropHighest = 3
        #expect(throws: FitError.tooFewPoints(source: "x.csv", points: 5, parameters: 5, dropped: 3)) {
            try ChinchillaAnalysis.run(runs, source: "x.csv", options: options)
        }
    }
}

@Suite("Chinchilla objective kernels")
struct ChinchillaKernelTests {
    /// θ = (a, b, e, α, β) points across the Hoffmann grid, near the optimum, and beyond the
    /// exp range (which must take the max-shifted scalar path).
    static let points: [[Double]] = [
        [6.17, 7.67, 0.597, 0.347, 0.367], [0, 0, -1, 0, 0], [25, 25, 1, 2, 2], [10, 5, 0.5, 0.5, 1.5],
        [20, 0, -0.5, 1.5, 0], [5, 25, 0, 0.3, 0.4], [800, 7, 0.5, 0.35, 0.37], [6, 7, 0.5, -40, 0.37],
    ]

    @Test(
        "the C kernel (AVX2+FMA or portable) agrees with the Swift SIMD kernel and a central difference",
        arguments: points
    )
    func kernelsAgree(theta: [Double]) throws {
        let runs = Array(try chinchillaRuns().sorted { $0.loss > $1.loss }.dropFirst(5))
        let objective = ChinchillaHuberObjective(runs: runs, delta: 1e-3)
        var gC = [Double](repeating: 0, count: 5)
        var gSwift = gC
        let fC = theta.withUnsafeBufferPointer { x in
            gC.withUnsafeMutableBufferPointer { objective.valueAndGradient(at: x, gradient: $0) }
        }
        let fSwift = theta.withUnsafeBufferPointer { x in
            gSwift.withUnsafeMutableBufferPointer { objective.swiftValueAndGradient(at: x, gradient: $0) }
        }
        var gPortable = gC
        let fPortable = theta.withUnsafeBufferPointer { x in
            gPortable.withUnsafeMutableBufferPointer {
                objective.kernelValueAndGradient(at: x, gradient: $0, portable: true)
            }
        }
        #expect(fC.isFinite && fSwift.isFinite)
        #expect(
            abs(fPortable - fSwift) <= 1e-12 * max(abs(fSwift), 1e-300),
            "portable kernel: \(fPortable) vs \(fSwift)"
        )
        #expect(
            abs(fC - fSwift) <= 1e-12 * max(abs(fSwift), 1e-300),
            "kernel \(ChinchillaHuberObjective.kernel): \(fC) vs \(fSwift)"
        )
        let scale = gSwift.map(abs).max()!
        for i in 0..<5 {
            #expect(abs(gC[i] - gSwift[i]) <= 1e-11 * max(scale, 1e-300), "∂\(i): \(gC[i]) vs \(gSwift[i])")
            #expect(
                abs(gPortable[i] - gSwift[i]) <= 1e-11 * max(scale, 1e-300),
                "portable ∂\(i): \(gPortable[i]) vs \(gSwift[i])"
            )
            // Central difference of the value (the Huber kinks are C¹, so this is smooth enough).
            let numeric = centralDifference(objective, at: theta, index: i)
            #expect(
                abs(numeric - gC[i]) <= 1e-5 * max(scale, abs(numeric)) + 1e-12,
                "∂\(i): analytic \(gC[i]), numeric \(numeric)"
            )
        }
    }
}

@Suite("Large files: the sweep on a subsample, refined on all runs")
struct SubsampledSweepTests {
    @Test("5,000 simulated runs: the subsampled sweep reaches the full sweep's optimum")
    func sameOptimum() {
        let law = ChinchillaLaw.epochRefit
        var rng = SeededGenerator(seed: 11)
        var runs: [Run] = []
        for _ in 0..<5_000 {
            let n = Foundation.exp(Foundation.log(1e7) + rng.nextUniform() * Foundation.log(1e3))
            let d = n * Foundation.exp(Foundation.log(2) + rng.nextUniform() * Foundation.log(100))
            runs.append(
                Run(
                    params: n,
                    tokens: d,
                    loss: law.loss(params: n, tokens: d) * Foundation.exp(0.01 * rng.nextNormal())
                )
            )
        }
        var options = ChinchillaFitOptions()
        options.starts = stride(from: 0, to: ChinchillaFitter.hoffmannGrid.count, by: 9).map {
            ChinchillaFitter.hoffmannGrid[$0]
        }
        let sub = ChinchillaFitter.fit(runs, options: options)
        #expect(sub.sweepPoints == options.sweepRuns && sub.points == 5_000)
        options.sweepRuns = 0
        let full = ChinchillaFitter.fit(runs, options: options)
        #expect(full.sweepPoints == 5_000)
        #expect(abs(sub.objective / full.objective - 1) < 1e-9, "\(sub.objective) vs \(full.objective)")
        for (key, value) in full.law.parameters {
            #expect(abs(sub.law.parameters[key]! / value - 1) < 1e-5, "\(key)")
        }
        // and the truth is recovered from this much data
        #expect(abs(sub.law.alpha - law.alpha) < 0.02 && abs(sub.law.beta - law.beta) < 0.02)
    }

    @Test("the subsample spreads over compute: every decile of N·D is represented")
    func spread() {
        let runs = (0..<10_000).map { i in Run(params: 1e7 * Double(i + 1), tokens: 1e9, loss: 3) }
        let sample = ChinchillaFitter.subsample(runs, size: 1_000)
        #expect(sample.count == 1_000)
        let deciles = Set(sample.map { Int(($0.params / 1e7 - 1) / 1_000) })
        #expect(deciles == Set(0..<10))
    }
}
