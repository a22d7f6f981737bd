import Foundation
import InferenceCost
import Optimization
import T2TestSupport
import Testing

/// `calibrateChoosingPriorWeight`: leave-one-device-out cross-validation of the prior weight,
/// checked on synthetic rows whose truth is known (the published rows' deployments, with values
/// the cost model itself predicts under a chosen truth).
@Suite("prior weight chosen by leaving each device out")
struct PriorWeightTests {
    /// The text fixture's deployments with values predicted under `truth`, each multiplied by
    /// exp(σ·z) (z standard normal, seeded).
    static func synthetic(truth: Calibration, sigma: Double, seed: UInt64) throws -> [InferenceCost.Measurement] {
        let model = CostModel(calibration: truth)
        var generator = SeededGenerator(seed: seed)
        return try Measurement.read(contentsOf: Fixtures.measurements).map { row in
            var row = row
            row.value = try model.predict(row) * Foundation.exp(sigma * generator.nextNormal())
            return row
        }
    }

    @Test("exact rows from parameters far from the defaults: the weakest prior wins and transfers")
    func exactRowsPickAWeakPrior() throws {
        // The built-in calibration's text parameters differ from the catalog defaults (overlap
        // 1.4 against 3, Apple's step overhead 6 ms against 1 ms …).
        let rows = try Self.synthetic(truth: .builtIn, sigma: 0, seed: 1)
        let fitted = try CostModel(calibration: .defaults).calibrateChoosingPriorWeight(rows)
        let choice = try #require(fitted.priorWeight)
        #expect(choice.method == .crossValidated && choice.folds >= 10)
        #expect(choice.candidates.map(\.weight) == CalibrationOptions.priorWeightCandidates)
        #expect(choice.chosen == CalibrationOptions.priorWeightCandidates.first, "\(choice.candidates)")
        let scores = choice.candidates.compactMap(\.heldOutMedianAbsPctError)
        #expect(scores.count == choice.candidates.count)
        // The chosen λ is the argmin, and a strong prior is clearly worse on exact data.
        #expect(scores.first! == scores.min()!)
        #expect(scores.last! > 2 * scores.first!, "\(scores)")
    }

    @Test("noisy rows whose truth is the catalog defaults: the chosen prior is stronger and nearer the truth")
    func noisyRowsAtTheDefaultsPickAStrongerPrior() throws {
        // 30% log-normal noise around the defaults: nothing to learn, so the weakest prior only
        // fits noise. Cross-validation must see that (choose a stronger prior), and its fit must
        // be nearer the truth, parameter by parameter and in what it predicts, than the weakest.
        let model = CostModel(calibration: .defaults)
        let truth = try Self.synthetic(truth: .defaults, sigma: 0, seed: 0)
        func distance(_ c: Calibration) throws -> Double {
            try c.parameters.map { key, value in
                abs(Foundation.log(value / (try #require(model.defaultParameter(key)))))
            }.reduce(0, +)
        }
        func medianError(_ c: Calibration) -> Double {
            CostModel(calibration: c).validate(truth).medianAbsPctError["all"] ?? .infinity
        }
        for seed: UInt64 in [1, 2, 3] {
            let rows = try Self.synthetic(truth: .defaults, sigma: 0.3, seed: seed)
            let chosen = try model.calibrateChoosingPriorWeight(rows)
            let choice = try #require(chosen.priorWeight)
            #expect(choice.method == .crossValidated)
            #expect(choice.chosen > CalibrationOptions.priorWeightCandidates[0], "seed \(seed): \(choice.candidates)")
            let weakest = try model.calibrate(rows, options: CalibrationOptions(priorWeight: 0.01))
            #expect(try distance(chosen) < distance(weakest), "seed \(seed)")
            #expect(medianError(chosen) < medianError(weakest), "seed \(seed)")
        }
    }

    @Test("fewer than three devices: the given weight, and the reason, instead of cross-validation")
    func tooFewDevices() throws {
        let rows = try Measurement.read(contentsOf: Fixtures.measurements)
        let devices = Array(Set(rows.map(\.hardware))).sorted().prefix(2)
        let two = rows.filter { devices.contains($0.hardware) }
        let fitted = try CostModel().calibrateChoosingPriorWeight(two, options: CalibrationOptions(priorWeight: 0.05))
        let choice = try #require(fitted.priorWeight)
        #expect(choice.method == .fallback && choice.chosen == 0.05 && choice.folds == 0)
        #expect(choice.reason?.contains("2 devices") == true)
        // The same fit as a plain calibration with that weight.
        let plain = try CostModel().calibrate(two, options: CalibrationOptions(priorWeight: 0.05))
        #expect(plain.parameters == fitted.parameters)
        #expect(plain.priorWeight == PriorWeightChoice(chosen: 0.05, method: .given))
        // A third device the catalog lacks has nothing to predict: it is not a fold.
        var unknown = rows.first { !devices.contains($0.hardware) }!
        unknown.hardware = "zz-9000"
        let withUnknown = try CostModel().calibrateChoosingPriorWeight(two + [unknown])
        #expect(withUnknown.priorWeight?.method == .fallback)
        #expect(withUnknown.priorWeight?.reason?.contains("2 devices") == true)
    }

    @Test("a large file is cross-validated on a per-device sample, and λ scaled to all its rows")
    func sampled() throws {
        let rows = try Measurement.read(contentsOf: Fixtures.measurements)
        let devices = Set(rows.map { $0.hardware.lowercased() }).count
        let fitted = try CostModel().calibrateChoosingPriorWeight(rows, crossValidationRows: 2 * devices)
        let choice = try #require(fitted.priorWeight)
        let sampled = try #require(choice.sampledRows)
        #expect(sampled > devices && sampled <= 2 * devices, "at most two rows per device")
        #expect(choice.folds == devices && choice.candidates.allSatisfy { $0.rows <= sampled })
        func score(_ c: PriorWeightChoice.Candidate) -> Double { c.heldOutMedianAbsPctError ?? .infinity }
        let best = try #require(choice.candidates.min { score($0) < score($1) })
        #expect(abs(choice.chosen - best.weight * Double(rows.count) / Double(sampled)) < 1e-12 * choice.chosen)
        // The final fit used every row with that λ.
        let plain = try CostModel().calibrate(rows, options: CalibrationOptions(priorWeight: choice.chosen))
        #expect(plain.parameters == fitted.parameters && fitted.data?.used == rows.count)
        // Under the limit nothing is sampled.
        #expect(try CostModel().calibrateChoosingPriorWeight(rows).priorWeight?.sampledRows == nil)
    }

    @Test("bad candidate weights are refused, naming them")
    func badCandidates() throws {
        let rows = try Measurement.read(contentsOf: Fixtures.measurements)
        for candidates in [[], [-1.0], [0.1, .nan]] {
            do {
                _ = try CostModel().calibrateChoosingPriorWeight(rows, candidates: candidates)
                Issue.record("accepted \(candidates)")
            } catch {
                #expect(error.localizedDescription.contains("prior weight candidates"))
            }
        }
    }

    @Test("the choice is written to the calibration file and read back")
    func roundTrip() throws {
        let rows = try Measurement.read(contentsOf: Fixtures.path("image_measurements.csv"))
        let fitted = try CostModel().calibrateChoosingPriorWeight(rows)
        let data = try JSONEncoder().encode(fitted)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"prior_weight\"") && text.contains("\"held_out_median_abs_pct_error\""))
        let back = try Calibration.decode(data, source: "round trip")
        #expect(back.priorWeight == fitted.priorWeight)
    }
}
