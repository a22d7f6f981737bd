import RealModule

/// Special functions used by the scaling-law likelihoods. All are stable over the full range the
/// fits reach (arguments up to ~10⁷, e.g. beta-binomial counts with millions of samples).
public enum Special {
    /// ln Γ(x) for x > 0 (swift-numerics' `logGamma`, accurate to a few ulp).
    @inlinable
    public static func logGamma(_ x: Double) -> Double { Double.logGamma(x) }

    /// ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a + b), for a, b > 0.
    @inlinable
    public static func logBeta(_ a: Double, _ b: Double) -> Double {
        Double.logGamma(a) + Double.logGamma(b) - Double.logGamma(a + b)
    }

    /// The digamma function ψ(x) = d/dx ln Γ(x), for x > 0.
    ///
    /// Recurrence ψ(x) = ψ(x+1) − 1/x up to x ≥ 10, then the asymptotic series
    /// ψ(x) ≈ ln x − 1/(2x) − Σ B₂ₖ/(2k·x²ᵏ) (Abramowitz & Stegun 6.3.18); absolute error < 1e-12.
    public static func digamma(_ xIn: Double) -> Double {
        guard xIn > 0 else { return xIn == 0 ? -.infinity : .nan }
        var x = xIn
        var result = 0.0
        while x < 10 {
            result -= 1 / x
            x += 1
        }
        let inv = 1 / x
        let inv2 = inv * inv
        let series = inv2 * (1.0 / 12 - inv2 * (1.0 / 120 - inv2 * (1.0 / 252 - inv2 * (1.0 / 240 - inv2 * (1.0 / 132)))))
        return result + Double.log(x) - 0.5 * inv - series
    }

    /// ln(e^a + e^b) without overflow.
    @inlinable
    public static func logAddExp(_ a: Double, _ b: Double) -> Double {
        if a == -.infinity { return b }
        if b == -.infinity { return a }
        let m = max(a, b)
        return m + Double.log(onePlus: Double.exp(-abs(a - b)))
    }

    /// ln Σ e^{xᵢ} without overflow; −∞ for an empty sequence.
    @inlinable
    public static func logSumExp<S: Sequence>(_ values: S) -> Double where S.Element == Double {
        var m = -Double.infinity
        for v in values where v > m { m = v }
        if m == -.infinity || !m.isFinite { return m }
        var s = 0.0
        for v in values { s += Double.exp(v - m) }
        return m + Double.log(s)
    }

    /// The logistic function 1/(1 + e^{−x}), stable for large |x|.
    @inlinable
    public static func sigmoid(_ x: Double) -> Double {
        if x >= 0 {
            return 1 / (1 + Double.exp(-x))
        }
        let e = Double.exp(x)
        return e / (1 + e)
    }

    /// ln(1 − e^{x}) for x ≤ 0, accurate near both ends (Mächler 2012, "log1mexp").
    @inlinable
    public static func log1mexp(_ x: Double) -> Double {
        if x > -0.6931471805599453 {
            return Double.log(-Double.expMinusOne(x))
        }
        return Double.log(onePlus: -Double.exp(x))
    }
}
