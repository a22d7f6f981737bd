import Foundation

/// How an axis maps data values to positions.
public enum ScaleKind: String, Sendable, Equatable {
    /// Equal distances for equal differences.
    case linear
    /// Equal distances for equal ratios (values ≤ 0 are not drawn).
    case log
}

/// A mapping from a data interval (the domain) to a pixel interval (the range), with its ticks.
public struct Scale: Sendable, Equatable {
    /// Linear or logarithmic.
    public var kind: ScaleKind
    /// The data interval shown, lower < upper (for a log scale both > 0).
    public var domain: ClosedRange<Double>
    /// Pixel position of `domain.lowerBound` and of `domain.upperBound` (may be decreasing, as for y).
    public var range: (Double, Double)

    /// A scale from `domain` onto `range`.
    public init(kind: ScaleKind, domain: ClosedRange<Double>, range: (Double, Double)) {
        self.kind = kind
        self.domain = domain
        self.range = range
    }

    public static func == (lhs: Scale, rhs: Scale) -> Bool {
        lhs.kind == rhs.kind && lhs.domain == rhs.domain && lhs.range == rhs.range
    }

    /// Whether `value` can be placed on this scale (finite, and positive on a log scale).
    public func accepts(_ value: Double) -> Bool {
        value.isFinite && (kind == .linear || value > 0)
    }

    /// The pixel position of `value` (extrapolated linearly beyond the domain).
    public func position(_ value: Double) -> Double {
        let t: Double
        switch kind {
        case .linear:
            t = (value - domain.lowerBound) / (domain.upperBound - domain.lowerBound)
        case .log:
            let lo = Foundation.log10(domain.lowerBound)
            let hi = Foundation.log10(domain.upperBound)
            t = (Foundation.log10(value) - lo) / (hi - lo)
        }
        return range.0 + t * (range.1 - range.0)
    }

    /// Tick values inside the domain: 1-2-5 steps on a linear scale; decades (thinned when many,
    /// with 2 and 5 between when few) on a log scale.
    public func ticks(target: Int = 6) -> [Double] {
        switch kind {
        case .linear: return Self.linearTicks(domain, target: target)
        case .log: return Self.logTicks(domain, target: target)
        }
    }

    // MARK: - Domains

    /// A domain that holds `values` with round ends: multiples of the tick step on a linear
    /// scale (0 included when `includeZero`), 1-2-5 values on a log scale. Non-finite values
    /// (and values ≤ 0 on a log scale) are ignored; with nothing left, a unit domain.
    public static func niceDomain(
        _ values: [Double],
        kind: ScaleKind,
        includeZero: Bool = false,
        target: Int = 6
    ) -> ClosedRange<Double> {
        let usable = values.filter { $0.isFinite && (kind == .linear || $0 > 0) }
        switch kind {
        case .linear:
            guard var lo = usable.min(), var hi = usable.max() else { return 0...1 }
            if includeZero {
                lo = Swift.min(lo, 0)
                hi = Swift.max(hi, 0)
            }
            if lo == hi {
                let pad = lo == 0 ? 1 : abs(lo) * 0.1
                lo -= pad
                hi += pad
            }
            let step = niceStep((hi - lo) / Double(Swift.max(1, target - 1)))
            let niceLo = (lo / step).rounded(.down) * step
            let niceHi = (hi / step).rounded(.up) * step
            return niceLo...(niceHi > niceLo ? niceHi : niceLo + step)
        case .log:
            guard var lo = usable.min(), var hi = usable.max() else { return 1...10 }
            if lo == hi {
                lo /= 2
                hi *= 2
            }
            // Under a decade: ends on 1, 1.5, 2, 3, … 9 × 10^k, so the data fill the axis.
            let narrow = hi / lo < 10
            let l = narrow ? fine(below: lo) : oneTwoFive(below: lo)
            var h = narrow ? fine(above: hi) : oneTwoFive(above: hi)
            if h <= l { h = l * 10 }
            return l...h
        }
    }

    /// The 1-2-5 value (…, 0.5, 1, 2, 5, 10, …) at or below `x` > 0.
    public static func oneTwoFive(below x: Double) -> Double {
        let e = Int(Foundation.floor(Foundation.log10(x)))
        for m in [5.0, 2, 1] where decimal(m, e) <= x * (1 + 1e-12) { return decimal(m, e) }
        return decimal(1, e)
    }

    /// The 1-2-5 value at or above `x` > 0.
    public static func oneTwoFive(above x: Double) -> Double {
        let e = Int(Foundation.floor(Foundation.log10(x)))
        for m in [1.0, 2, 5] where decimal(m, e) >= x * (1 - 1e-12) { return decimal(m, e) }
        return decimal(1, e + 1)
    }

    static let fineSteps: [Double] = [1, 1.5, 2, 3, 4, 5, 6, 7, 8, 9]

    static func fine(below x: Double) -> Double {
        let e = Int(Foundation.floor(Foundation.log10(x)))
        for m in fineSteps.reversed() where decimal(m, e) <= x * (1 + 1e-12) { return decimal(m, e) }
        return decimal(1, e)
    }

    static func fine(above x: Double) -> Double {
        let e = Int(Foundation.floor(Foundation.log10(x)))
        for m in fineSteps where decimal(m, e) >= x * (1 - 1e-12) { return decimal(m, e) }
        return decimal(1, e + 1)
    }

    /// m × 10^e as the double nearest the decimal number (5e24 exactly as written, not 5 × 1e24's
    /// rounding).
    static func decimal(_ m: Double, _ e: Int) -> Double {
        Double("\(m)e\(e)") ?? m * Foundation.pow(10, Double(e))
    }

    /// 1, 2 or 5 × 10^k nearest above `rough`.
    static func niceStep(_ rough: Double) -> Double {
        guard rough > 0, rough.isFinite else { return 1 }
        let e = Foundation.floor(Foundation.log10(rough))
        let p = Foundation.pow(10, e)
        let m = rough / p
        let nice: Double = m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10
        return nice * p
    }

    static func linearTicks(_ domain: ClosedRange<Double>, target: Int) -> [Double] {
        let span = domain.upperBound - domain.lowerBound
        guard span > 0, span.isFinite else { return [domain.lowerBound] }
        let step = niceStep(span / Double(Swift.max(1, target - 1)))
        let first = (domain.lowerBound / step - 1e-9).rounded(.up)
        let last = (domain.upperBound / step + 1e-9).rounded(.down)
        guard last >= first, last - first < 1000 else { return [domain.lowerBound, domain.upperBound] }
        return stride(from: first, through: last, by: 1).map { i in
            let v = i * step
            return abs(v) < step * 1e-9 ? 0 : v
        }
    }

    static func logTicks(_ domain: ClosedRange<Double>, target: Int) -> [Double] {
        let lo = Foundation.log10(domain.lowerBound)
        let hi = Foundation.log10(domain.upperBound)
        guard hi > lo, lo.isFinite, hi.isFinite else { return [domain.lowerBound] }
        let firstDecade = Int((lo - 1e-9).rounded(.up))
        let lastDecade = Int((hi + 1e-9).rounded(.down))
        let decades = lastDecade - firstDecade + 1
        func inside(_ v: Double) -> Bool {
            v >= domain.lowerBound * (1 - 1e-9) && v <= domain.upperBound * (1 + 1e-9)
        }
        if hi - lo < 1.5 {
            // Less than a decade and a half: 1, 2, 5 in each decade (and 1–9 when very narrow).
            let multipliers: [Double] = hi - lo < 1 ? fineSteps : [1, 2, 5]
            var ticks: [Double] = []
            for e in (firstDecade - 1)...(lastDecade + 1) {
                for m in multipliers {
                    let v = decimal(m, e)
                    if inside(v) { ticks.append(v) }
                }
            }
            if ticks.count > 2 * target, multipliers.count > 3 {
                return ticks.filter { t in [1.0, 2, 5].contains { abs(t / tickDecade(t) - $0) < 1e-9 } }
            }
            return ticks
        }
        let every = Swift.max(1, Int((Double(decades - 1) / Double(Swift.max(2, target) - 1)).rounded()))
        var ticks: [Double] = []
        var e = firstDecade
        // Thinned decades stay on multiples of `every`, so 1e18, 1e20, 1e22 rather than 1e19, 1e21.
        while e <= lastDecade {
            if (e % every + every) % every == 0 { ticks.append(decimal(1, e)) }
            e += 1
        }
        if ticks.count < 2 {
            ticks = (firstDecade...lastDecade).map { decimal(1, $0) }
        }
        return ticks
    }

    static func tickDecade(_ v: Double) -> Double { Foundation.pow(10, Foundation.floor(Foundation.log10(v) + 1e-9)) }
}
