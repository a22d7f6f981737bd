import Foundation
import Optimization
import T2TestSupport
import Tabular
import Testing

@testable import ScalingLaws

@Suite("T² law fits on the Pythia GSM8K fixture")
struct T2FitTests {
    static func groups() throws -> [CountGroup] {
        try CountsReader.read(CSVTable(contentsOf: Fixtures.path("pythia_gsm8k_counts.csv")))
    }

    @Test("refitting the fixture reproduces the built-in T2LossLaw.pythiaGSM8K")
    func builtInLoss() throws {
        let groups = try Self.groups()
        let fit = try T2LossFitter.fit(groups)
        // Coefficients such as A are weakly identified; the law's predictions are what the planner
        // uses, so compare predicted pass@k at every fitted point (relative 1e-3) and the objective.
        let builtIn = T2LossLaw.pythiaGSM8K
        let builtInObjective = T2LossFitter.objective(fit.points).value(at: T2LossFitter.theta(builtIn))
        #expect(abs(fit.objective - builtInObjective) <= 1e-6 * builtInObjective)
        for p in fit.points {
            let a = fit.law.passAtK(params: p.params, tokens: p.tokens, samples: Double(p.k))
            let b = builtIn.passAtK(params: p.params, tokens: p.tokens, samples: Double(p.k))
            #expect(abs(a - b) <= 1e-3 * b)
        }
        #expect(abs(fit.law.gamma - builtIn.gamma) < 1e-3 && abs(fit.law.G - builtIn.G) < 1e-2 * builtIn.G)
    }

    @Test("refitting the fixture reproduces the built-in T2AccuracyLaw.pythiaGSM8K")
    func builtInAccuracy() throws {
        let groups = try Self.groups()
        let fit = try T2AccuracyFitter.fit(groups)
        let builtIn = T2AccuracyLaw.pythiaGSM8K
        for g in groups {
            for k in [1.0, 10, 100, 1000] {
                let a = fit.law.passAtK(params: g.params!, tokens: g.tokens!, samples: k)
                let b = builtIn.passAtK(params: g.params!, tokens: g.tokens!, samples: k)
                #expect(abs(a - b) <= 2e-3 * max(b, 1e-3))
            }
        }
    }

    @Test("built-in laws are finite and monotone over the planner's range")
    func monotone() {
        let ns = stride(from: 7.0, through: 11.0, by: 0.25).map { Foundation.pow(10, $0) }
        let ds = stride(from: 7.0, through: 13.0, by: 0.5).map { Foundation.pow(10, $0) }
        let ks = [1.0, 2, 10, 100, 1000, 10000]
        for law in [
            { (n: Double, d: Double, k: Double) in T2LossLaw.pythiaGSM8K.passAtK(params: n, tokens: d, samples: k) },
            { (n: Double, d: Double, k: Double) in T2AccuracyLaw.pythiaGSM8K.passAtK(params: n, tokens: d, samples: k)
            },
        ] {
            for (i, n) in ns.enumerated() {
                for (j, d) in ds.enumerated() {
                    for (l, k) in ks.enumerated() {
                        let p = law(n, d, k)
                        #expect(p.isFinite && p >= 0 && p <= 1)
                        if i > 0 { #expect(p >= law(ns[i - 1], d, k) - 1e-12) }
                        if j > 0 { #expect(p >= law(n, ds[j - 1], k) - 1e-12) }
                        if l > 0 { #expect(p >= law(n, d, ks[l - 1]) - 1e-12) }
                    }
                }
            }
        }
    }

    @Test("held-out error on the largest models is below 0.06 (loss) and 0.05 (accuracy)")
    func heldOut() throws {
        let (fit, held) = T2HeldOut.split(try Self.groups())
        #expect(held.allSatisfy { $0.params == 12e9 } && held.count == 9)
        let loss = try T2LossFitter.fit(fit)
        let acc = try T2AccuracyFitter.fit(fit)
        let e1 = try T2HeldOut.evaluate(heldOut: held) { loss.law.passAtK(params: $0, tokens: $1, samples: $2) }
        let e2 = try T2HeldOut.evaluate(heldOut: held) { acc.law.passAtK(params: $0, tokens: $1, samples: $2) }
        #expect(e1.meanAbsoluteError < 0.06)
        #expect(e2.meanAbsoluteError < 0.05)
    }
}
