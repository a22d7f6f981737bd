import Foundation
import RealModule

/// A price per token tabulated on a log-spaced grid of model sizes, interpolated linearly in
/// (ln N, ln price); callers keep N within the curve's `maxParams`.
struct PriceTable: Sendable {
    let lnN0: Double
    let step: Double
    let lnValues: [Double]

    @inline(__always)
    func value(lnN: Double) -> Double {
        let x = (lnN - lnN0) / step
        let last = lnValues.count - 1
        if x <= 0 { return Double.exp(lnValues[0]) }
        if x >= Double(last) {
            // beyond the last grid point that fits, up to the refined memory limit: extend the last segment
            guard last >= 1 else { return Double.exp(lnValues[last]) }
            return Double.exp(lnValues[last] + (x - Double(last)) * (lnValues[last] - lnValues[last - 1]))
        }
        let i = Int(x)
        let f = x - Double(i)
        let a = lnValues[i]
        let b = lnValues[i + 1]
        if !b.isFinite { return f < 1e-12 ? Double.exp(a) : .infinity }
        return Double.exp(a + f * (b - a))
    }
}

/// One serving choice the optimiser sees: a single option, or (when hardware is free) the cheapest
/// hardware for one quantization at each model size.
struct ServingCurve: Sendable {
    /// The options this curve stands for; the plan is repriced exactly among them at the end.
    let candidates: [ServingOption]
    let output: PriceTable
    let input: PriceTable
    /// The largest N any candidate serves.
    let maxParams: Double
    /// Quantization loss penalty shared by the candidates.
    let shift: Double
}

/// Dollar pricing for the planner: training by the GPU-hour, serving by an ``InferencePricing``
/// tabulated once (so a sweep over budgets prices each option only once).
///
/// When several hardware choices share one quantization, the planner optimises against their lower
/// envelope, min over hardware of $/output token at each N — exact when prompts are free (P = 0),
/// because for fixed (N, k) only the serving price differs between them — and then reprices the
/// chosen (N, k) exactly on every candidate.
public struct DollarPricing: Sendable {
    public let training: TrainingPricing
    public let serving: any InferencePricing
    let curves: [ServingCurve]

    /// Tabulates every option of `serving` on `pointsPerDecade` sizes per decade in [minParams, maxParams].
    public init(
        training: TrainingPricing,
        serving: any InferencePricing,
        minParams: Double = 1e6,
        maxParams: Double = 1e13,
        pointsPerDecade: Int = 8
    ) throws {
        guard training.usdPerFLOP.isFinite, training.usdPerFLOP > 0 else {
            throw PlanError.invalidBudget(
                "training price is \(training.usdPerFLOP) $/FLOP; give a positive $/GPU-hour, peak FLOP/s and MFU in (0, 1]"
            )
        }
        self.training = training
        self.serving = serving
        let options = serving.options
        guard !options.isEmpty else {
            throw PlanError.noServingOption("the hardware/quantization/engine filter matches nothing")
        }
        let lnMin = Double.log(minParams)
        let lnMax = Double.log(maxParams)
        let count = max(2, Int(((lnMax - lnMin) / Double.log(10) * Double(pointsPerDecade)).rounded(.up)) + 1)
        let step = (lnMax - lnMin) / Double(count - 1)
        let grid = (0..<count).map { lnMin + Double($0) * step }

        var groups: [String: [ServingOption]] = [:]
        var order: [String] = []
        for option in options {
            if groups[option.quant] == nil { order.append(option.quant) }
            groups[option.quant, default: []].append(option)
        }
        var curves: [ServingCurve] = []
        for quant in order {
            let members = groups[quant]!
            var out = [Double](repeating: .infinity, count: count)
            var inp = [Double](repeating: .infinity, count: count)
            var maxN = 0.0
            for option in members {
                var lastFit = -1
                for (i, u) in grid.enumerated() {
                    guard let p = serving.price(params: Double.exp(u), option: option),
                        p.usdPerOutputToken > 0, p.usdPerOutputToken.isFinite
                    else { continue }
                    lastFit = i
                    let lo = Double.log(p.usdPerOutputToken)
                    if lo < out[i] {
                        out[i] = lo
                        inp[i] = Double.log(max(p.usdPerInputToken, 1e-300))
                    }
                }
                if lastFit >= 0 {
                    // refine the memory limit between the last fitting grid point and the next
                    var lo = grid[lastFit]
                    var hi = lastFit + 1 < count ? grid[lastFit + 1] : grid[lastFit]
                    if hi > lo {
                        for _ in 0..<24 {
                            let mid = 0.5 * (lo + hi)
                            if serving.price(params: Double.exp(mid), option: option) != nil {
                                lo = mid
                            } else {
                                hi = mid
                            }
                        }
                    }
                    maxN = max(maxN, Double.exp(lo))
                }
            }
            guard maxN > 0 else { continue }
            // Trim the table where nothing fits so interpolation never crosses into +∞ below maxN.
            let lastIndex = out.lastIndex(where: { $0.isFinite }) ?? 0
            let firstIndex = out.firstIndex(where: { $0.isFinite }) ?? 0
            guard firstIndex == 0 else { continue }  // a quant that cannot serve the smallest model is skipped
            let outT = Array(out[0...lastIndex])
            let inT = Array(inp[0...lastIndex])
            curves.append(
                ServingCurve(
                    candidates: members,
                    output: PriceTable(lnN0: lnMin, step: step, lnValues: outT.map { $0.isFinite ? $0 : 700 }),
                    input: PriceTable(lnN0: lnMin, step: step, lnValues: inT.map { $0.isFinite ? $0 : 700 }),
                    maxParams: maxN,
                    shift: members.map(\.lossPenalty).max() ?? 0
                )
            )
        }
        guard !curves.isEmpty else {
            throw PlanError.noServingOption(
                "none of the \(options.count) hardware × quantization options can serve even a \(Int(minParams / 1e6))M-parameter model"
            )
        }
        self.curves = curves
    }

    private init(training: TrainingPricing, serving: any InferencePricing, curves: [ServingCurve]) {
        self.training = training
        self.serving = serving
        self.curves = curves
    }

    /// The same prices with only the quantization of `option` left to choose (hardware stays free
    /// within it); itself when no curve serves that option. Plan intervals use it, so that each
    /// bootstrap replicate is planned on the quantization the plan chose, not on every one again.
    public func restricted(to option: ServingOption) -> DollarPricing {
        let kept = curves.filter { $0.candidates.contains(option) }
        return kept.isEmpty ? self : DollarPricing(training: training, serving: serving, curves: kept)
    }
}
