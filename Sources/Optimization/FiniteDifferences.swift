/// The Hessian of a ``DifferentiableObjective`` by central differences of its analytic gradient,
/// symmetrised: H[i][j] = (∂ᵢf(x + hⱼeⱼ) − ∂ᵢf(x − hⱼeⱼ)) / 2hⱼ with hⱼ = `relativeStep`·max(1, |xⱼ|),
/// then (H + Hᵀ)/2. Costs 2·d gradient evaluations; the error is O(h²) in the third derivatives.
///
/// Used for Laplace approximations and delta-method standard errors, where the objective is cheap
/// and an exact Hessian is not written out.
public func finiteDifferenceHessian<F: DifferentiableObjective>(
    _ objective: F,
    at x: [Double],
    relativeStep: Double = 1e-5
) -> [[Double]] {
    let d = x.count
    func gradient(_ p: [Double]) -> [Double] {
        var g = [Double](repeating: 0, count: d)
        p.withUnsafeBufferPointer { pb in
            g.withUnsafeMutableBufferPointer { gb in _ = objective.valueAndGradient(at: pb, gradient: gb) }
        }
        return g
    }
    var h = [[Double]](repeating: [Double](repeating: 0, count: d), count: d)
    for j in 0..<d {
        let step = relativeStep * max(1, abs(x[j]))
        var xp = x
        var xm = x
        xp[j] += step
        xm[j] -= step
        let gp = gradient(xp)
        let gm = gradient(xm)
        for i in 0..<d { h[i][j] = (gp[i] - gm[i]) / (2 * step) }
    }
    for i in 0..<d {
        for j in 0..<i {
            let s = 0.5 * (h[i][j] + h[j][i])
            h[i][j] = s
            h[j][i] = s
        }
    }
    return h
}
