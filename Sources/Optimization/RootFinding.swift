/// One-dimensional root finding and minimization.

/// Errors from the one-dimensional solvers.
public enum SolverError: Error, Equatable, Sendable {
    /// f(a) and f(b) have the same sign, so [a, b] does not bracket a root.
    case notBracketed(a: Double, fa: Double, b: Double, fb: Double)
    /// f returned a non-finite value at `x`.
    case nonFinite(x: Double)
}

/// Brent's method (Brent 1973, ch. 4; the `zeroin` algorithm): a root of f in [a, b] where f(a)
/// and f(b) have opposite signs, to absolute tolerance `tolerance` in x.
///
/// Converges superlinearly for smooth f and never slower than bisection.
public func findRoot(
    in interval: ClosedRange<Double>,
    tolerance: Double = 1e-12,
    maxIterations: Int = 200,
    _ f: (Double) -> Double
) throws -> Double {
    var a = interval.lowerBound
    var b = interval.upperBound
    var fa = f(a)
    var fb = f(b)
    guard fa.isFinite else { throw SolverError.nonFinite(x: a) }
    guard fb.isFinite else { throw SolverError.nonFinite(x: b) }
    if fa == 0 { return a }
    if fb == 0 { return b }
    guard (fa < 0) != (fb < 0) else { throw SolverError.notBracketed(a: a, fa: fa, b: b, fb: fb) }
    var c = a
    var fc = fa
    var d = b - a
    var e = d
    for _ in 0..<maxIterations {
        if (fb > 0) == (fc > 0) {
            c = a
            fc = fa
            d = b - a
            e = d
        }
        if abs(fc) < abs(fb) {
            a = b
            b = c
            c = a
            fa = fb
            fb = fc
            fc = fa
        }
        let tol = 2 * Double.ulpOfOne * abs(b) + 0.5 * tolerance
        let m = 0.5 * (c - b)
        if abs(m) <= tol || fb == 0 { return b }
        if abs(e) >= tol && abs(fa) > abs(fb) {
            var p: Double
            var q: Double
            let s = fb / fa
            if a == c {
                p = 2 * m * s
                q = 1 - s
            } else {
                let qq = fa / fc
                let r = fb / fc
                p = s * (2 * m * qq * (qq - r) - (b - a) * (r - 1))
                q = (qq - 1) * (r - 1) * (s - 1)
            }
            if p > 0 { q = -q } else { p = -p }
            if 2 * p < min(3 * m * q - abs(tol * q), abs(e * q)) {
                e = d
                d = p / q
            } else {
                d = m
                e = m
            }
        } else {
            d = m
            e = m
        }
        a = b
        fa = fb
        b += abs(d) > tol ? d : (m > 0 ? tol : -tol)
        fb = f(b)
        guard fb.isFinite else { throw SolverError.nonFinite(x: b) }
    }
    return b
}

/// Brent's minimizer (golden section with parabolic interpolation; Brent 1973, ch. 5): a local
/// minimum of f in [a, b] to relative tolerance `tolerance`.
/// - Returns: (x, f(x)).
public func minimizeScalar(
    in interval: ClosedRange<Double>,
    tolerance: Double = 1e-10,
    maxIterations: Int = 200,
    _ f: (Double) -> Double
) -> (x: Double, value: Double) {
    let golden = 0.3819660112501051
    var a = interval.lowerBound
    var b = interval.upperBound
    var x = a + golden * (b - a)
    var w = x
    var v = x
    var fx = f(x)
    var fw = fx
    var fv = fx
    var d = 0.0
    var e = 0.0
    for _ in 0..<maxIterations {
        let mid = 0.5 * (a + b)
        let tol1 = tolerance * abs(x) + 1e-14
        let tol2 = 2 * tol1
        if abs(x - mid) <= tol2 - 0.5 * (b - a) { break }
        var useGolden = true
        if abs(e) > tol1 {
            let r = (x - w) * (fx - fv)
            var q = (x - v) * (fx - fw)
            var p = (x - v) * q - (x - w) * r
            q = 2 * (q - r)
            if q > 0 { p = -p }
            q = abs(q)
            let eTemp = e
            e = d
            if abs(p) < abs(0.5 * q * eTemp) && p > q * (a - x) && p < q * (b - x) {
                d = p / q
                let u = x + d
                if u - a < tol2 || b - u < tol2 { d = mid >= x ? tol1 : -tol1 }
                useGolden = false
            }
        }
        if useGolden {
            e = (x >= mid ? a : b) - x
            d = golden * e
        }
        let u = abs(d) >= tol1 ? x + d : x + (d > 0 ? tol1 : -tol1)
        let fu = f(u)
        if fu <= fx || !fx.isFinite {
            if u >= x { a = x } else { b = x }
            v = w
            fv = fw
            w = x
            fw = fx
            x = u
            fx = fu
        } else {
            if u < x { a = u } else { b = u }
            if fu <= fw || w == x {
                v = w
                fv = fw
                w = u
                fw = fu
            } else if fu <= fv || v == x || v == w {
                v = u
                fv = fu
            }
        }
    }
    return (x, fx)
}
