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
        let series =
            inv2 * (1.0 / 12 - inv2 * (1.0 / 120 - inv2 * (1.0 / 252 - inv2 * (1.0 / 240 - inv2 * (1.0 / 132)))))
        return result + Double.log(x) - 0.5 * inv - series
    }

    /// Below this argument the log-Pochhammer and digamma differences use ln Γ and ψ directly;
    /// above it, the Stirling series of the difference (no cancellation between two huge values).
    @usableFromInline static let stirlingThreshold = 100.0

    /// Above x = this · max(k, 1)^1.5 the differences take their first two terms in 1/x
    /// (D ≈ k ln x + k(k−1)/(2x), error < k³/(6x²) < 2e-17 relative): no logarithm at all.
    @usableFromInline static let asymptoticScale = 1e8

    /// The log-Pochhammer symbol D(x, k) = ln Γ(x + k) − ln Γ(x) = ln[x(x+1)…(x+k−1)], for x > 0,
    /// k ≥ 0 (k may be fractional).
    ///
    /// For x ≥ 100 it is the difference of Stirling's series taken term by term,
    ///
    ///     D(x, k) = (x − ½)·ln(1 + k/x) + k·ln(x + k) − k + s(x + k) − s(x),
    ///     s(y) = 1/(12y) − 1/(360y³) + 1/(1260y⁵) − 1/(1680y⁷),
    ///
    /// with s(x + k) − s(x)'s leading term as −k/(12x(x + k)); the truncation error is below
    /// 1e-21 there. For x ≥ 1e8·max(k, 1)^1.5, D = k ln x + k(k − 1)/(2x). Plain
    /// ln Γ(x + k) − ln Γ(x) loses every digit once x ≫ 1e15 (beta-binomial shapes reach e⁵⁰ in
    /// the crossed model's quadrature) and returns inf − inf beyond 1e305.
    @inlinable
    public static func logPochhammer(_ x: Double, _ k: Double) -> Double {
        if k == 0 { return 0 }
        if x < stirlingThreshold { return Double.logGamma(x + k) - Double.logGamma(x) }
        return logPochhammer(x, k, logX: Double.log(x))
    }

    /// ``logPochhammer(_:_:)`` when ln x is already known (it saves the one logarithm of the
    /// Stirling range, e.g. on a grid of ln x).
    @inlinable
    public static func logPochhammer(_ x: Double, _ k: Double, logX: Double) -> Double {
        if k == 0 { return 0 }
        if x < stirlingThreshold { return Double.logGamma(x + k) - Double.logGamma(x) }
        let k1 = max(k, 1)
        if x >= asymptoticScale * k1 * k1.squareRoot() { return k * logX + 0.5 * k * (k - 1) / x }
        let y = x + k
        let rx = 1 / x
        let ry = 1 / y
        let rx2 = rx * rx
        let ry2 = ry * ry
        // s(y) − s(x) with the 1/(12·) term in cancellation-free form.
        let tail =
            -k * rx * ry / 12
            - (ry * ry2 * (1.0 / 360 - ry2 * (1.0 / 1260 - ry2 / 1680)) - rx * rx2
                * (1.0 / 360 - rx2 * (1.0 / 1260 - rx2 / 1680)))
        let l = Double.log(onePlus: k / x)
        return (x - 0.5) * l + k * (logX + l) - k + tail
    }

    /// ψ(x + k) − ψ(x) (the derivative of ``logPochhammer(_:_:)`` in x), for x > 0, k ≥ 0.
    ///
    /// Whole k ≤ 16 sums Σᵢ 1/(x + i) exactly; otherwise for x ≥ 100 the asymptotic series of ψ
    /// is differenced term by term,
    ///
    ///     ln(1 + k/x) + k/(2x(x+k)) + k(2x+k)/(12x²(x+k)²) + [1/(120y⁴) − 1/(252y⁶) + 1/(240y⁸)]_x^{x+k},
    ///
    /// (absolute error < 1e-20 there), k/x − k(k − 1)/(2x²) for x ≥ 1e8·max(k, 1)^1.5; below 100,
    /// ``digamma(_:)`` twice.
    @inlinable
    public static func digammaDifference(_ x: Double, _ k: Double) -> Double {
        if k == 0 { return 0 }
        if isShortWholeStep(k) { return shortSum(x, k) { 1 / $0 } }
        if x < stirlingThreshold { return digamma(x + k) - digamma(x) }
        let k1 = max(k, 1)
        if x >= asymptoticScale * k1 * k1.squareRoot() { return k / x - 0.5 * k * (k - 1) / (x * x) }
        let y = x + k
        let rx = 1 / x
        let ry = 1 / y
        let rx2 = rx * rx
        let ry2 = ry * ry
        let tail =
            ry2 * ry2 * (1.0 / 120 - ry2 * (1.0 / 252 - ry2 / 240)) - rx2 * rx2
            * (1.0 / 120 - rx2 * (1.0 / 252 - rx2 / 240))
        return Double.log(onePlus: k / x) + 0.5 * k * rx * ry + k * (2 * x + k) * rx2 * ry2 / 12 + tail
    }

    /// Whether k is a whole number of at most 16 steps, where the differences of ψ and ψ′ are summed
    /// exactly (ψ(x + k) − ψ(x) = Σᵢ 1/(x + i), ψ′(x + k) − ψ′(x) = −Σᵢ 1/(x + i)²).
    @inlinable
    static func isShortWholeStep(_ k: Double) -> Bool { k <= 16 && k == k.rounded(.down) }

    /// Σ_{i < k} term(x + i) for a whole k (``isShortWholeStep(_:)``).
    @inlinable @inline(__always)
    static func shortSum(_ x: Double, _ k: Double, _ term: (Double) -> Double) -> Double {
        var s = 0.0
        var i = 0.0
        while i < k {
            s += term(x + i)
            i += 1
        }
        return s
    }

    /// The trigamma function ψ′(x) = d²/dx² ln Γ(x), for x > 0.
    ///
    /// Recurrence ψ′(x) = ψ′(x+1) + 1/x² up to x ≥ 20, then the asymptotic series
    /// ψ′(x) ≈ 1/x + 1/(2x²) + Σ B₂ₖ/x²ᵏ⁺¹ to B₁₀ (Abramowitz & Stegun 6.4.12); absolute error
    /// < 1e-17 there.
    public static func trigamma(_ xIn: Double) -> Double {
        guard xIn > 0 else { return xIn == 0 ? .infinity : .nan }
        var x = xIn
        var result = 0.0
        while x < 20 {
            result += 1 / (x * x)
            x += 1
        }
        let inv = 1 / x
        let inv2 = inv * inv
        let series =
            inv
            * (1 + inv
                * (0.5 + inv * (1.0 / 6 - inv2 * (1.0 / 30 - inv2 * (1.0 / 42 - inv2 * (1.0 / 30 - inv2 * 5 / 66))))))
        return result + series
    }

    /// ψ′(x + k) − ψ′(x) (the derivative of ``digammaDifference(_:_:)`` in x), for x > 0, k ≥ 0.
    ///
    /// Whole k ≤ 16 sums −Σᵢ 1/(x + i)² exactly; below x = 100, ``trigamma(_:)`` twice; above, the
    /// asymptotic series of ψ′ differenced term by term with the first three terms in
    /// cancellation-free form,
    ///
    ///     −k/(xy) − k(x + y)/(2x²y²) − k(x² + xy + y²)/(6x³y³) + [−1/(30t⁵) + 1/(42t⁷) − 1/(30t⁹)]_x^{y},
    ///
    /// y = x + k; and −k/x² + k(k − 1)/x³ for x ≥ 1e8·max(k, 1)^1.5.
    @inlinable
    public static func trigammaDifference(_ x: Double, _ k: Double) -> Double {
        if k == 0 { return 0 }
        if isShortWholeStep(k) { return shortSum(x, k) { -1 / ($0 * $0) } }
        if x < stirlingThreshold { return trigamma(x + k) - trigamma(x) }
        let k1 = max(k, 1)
        if x >= asymptoticScale * k1 * k1.squareRoot() { return -k / (x * x) + k * (k - 1) / (x * x * x) }
        let y = x + k
        let rx = 1 / x
        let ry = 1 / y
        let rxy = rx * ry
        let rx2 = rx * rx
        let ry2 = ry * ry
        let tail =
            ry * ry2 * ry2 * (-1.0 / 30 + ry2 * (1.0 / 42 - ry2 / 30))
            - rx * rx2 * rx2 * (-1.0 / 30 + rx2 * (1.0 / 42 - rx2 / 30))
        return -k * rxy * (1 + 0.5 * (x + y) * rxy + (x * x + x * y + y * y) * rxy * rxy / 6) + tail
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
