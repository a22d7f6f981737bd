import Foundation
import Optimization
import Tabular
import Testing
@testable import ScalingLaws

@Suite("T² law fits on the Pythia GSM8K fixture")
struct T2FitTests {
    static func groups() throws -> [CountGroup] {
        try CountsReader.read(CSVTable(contentsOf: Fixtures.path("pythia_gsm8k_counts.csv")))
    }

    @Test("print fits")
    func printFits() throws {
        let groups = try Self.groups()
        var t0 = Date()
        let loss = try T2LossFitter.fit(groups)
        print("LOSS", loss.law, loss.objective, loss.status, loss.points.count, Date().timeIntervalSince(t0))
        t0 = Date()
        let acc = try T2AccuracyFitter.fit(groups)
        print("ACC", acc.law, acc.objective, acc.status, Date().timeIntervalSince(t0))
        let (f, h) = T2HeldOut.split(groups)
        let pl = try T2LossFitter.fit(f)
        let pa = try T2AccuracyFitter.fit(f)
        print("HELD loss", try T2HeldOut.evaluate(heldOut: h) { pl.law.passAtK(params: $0, tokens: $1, samples: $2) })
        print("HELD acc", try T2HeldOut.evaluate(heldOut: h) { pa.law.passAtK(params: $0, tokens: $1, samples: $2) })
        t0 = Date()
        let bl = T2LossFitter.bootstrap(loss, replicates: 200, seed: 1)
        print("BOOT loss", bl.count, Date().timeIntervalSince(t0))
        t0 = Date()
        let ba = T2AccuracyFitter.bootstrap(acc, groups: groups, replicates: 200, seed: 1)
        print("BOOT acc", ba.count, Date().timeIntervalSince(t0))
    }
}
